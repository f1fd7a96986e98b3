import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { encodeFlexIntMap } from '../format/flexbuffer.js';
import { bitpackedSize, packFloat32 } from '../reference/bitpack.js';
import {
  converterThresholds, floatBinaryConv, makeRng, perTensor, prepareCustomOp, randomBconvCase, randomSigns,
  type FloatConvCase, type HandTensor,
} from '../reference/lce-testutil.js';
import { Activation } from './common.js';
import { lceBconv2d } from './lce-bconv2d.js';

function optionsOf(c: FloatConvCase): Record<string, number> {
  return {
    channels_in: c.channelsIn, dilation_height_factor: c.dilationHeight, dilation_width_factor: c.dilationWidth,
    fused_activation_function: c.activation, pad_values: c.pad === 'same-one' ? 1 : 0, padding: c.pad === 'valid' ? 1 : 0,
    stride_height: c.strideHeight, stride_width: c.strideWidth,
  };
}

interface Built {
  inputs: (HandTensor | null)[];
  options: Uint8Array;
  oracle: ReturnType<typeof floatBinaryConv>;
  k: number;
}

/** Pack a case's ±1 input and filter into the op's tensors; `kind` picks which optional inputs are present. */
function build(
  c: FloatConvCase, rng: () => number, kind: 'float32' | 'int8' | 'int32',
  multiplier: Float32Array, bias: Float32Array, constantAffine = true,
): Built {
  const cg = c.channelsIn / c.groups;
  const tap = c.filterHeight * c.filterWidth * cg;
  const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
  const filtF = randomSigns(rng, c.channelsOut * tap);
  const oracle = floatBinaryConv(c, inF, filtF, kind === 'float32');
  const inWords = bitpackedSize(c.channelsIn);
  const input = new Int32Array(c.batch * c.inHeight * c.inWidth * inWords);
  packFloat32(inF, c.batch * c.inHeight * c.inWidth, c.channelsIn, input);
  let thresholds: Int32Array | null = null;
  let filterValues = filtF;
  if (kind === 'int32') {
    const t = converterThresholds(tap, c.activation, multiplier, bias);
    thresholds = t.thresholds;
    filterValues = filtF.map((v, i) => (t.flip[Math.floor(i / tap)] ? -v : v));
  }
  const wg = bitpackedSize(cg);
  const filter = new Int32Array(c.channelsOut * c.filterHeight * c.filterWidth * wg);
  packFloat32(filterValues, c.channelsOut * c.filterHeight * c.filterWidth, cg, filter);
  const inputs: (HandTensor | null)[] = [
    { dtype: 'int32', shape: [c.batch, c.inHeight, c.inWidth, inWords], data: input },
    { dtype: 'int32', shape: [c.channelsOut, c.filterHeight, c.filterWidth, wg], data: filter, constant: true },
    kind === 'int32' ? null : { dtype: 'float32', shape: [c.channelsOut], data: multiplier, constant: constantAffine },
    kind === 'int32' ? null : { dtype: 'float32', shape: [c.channelsOut], data: bias, constant: constantAffine },
    thresholds ? { dtype: 'int32', shape: [c.channelsOut], data: thresholds, constant: true } : null,
  ];
  return { inputs, options: encodeFlexIntMap(optionsOf(c)), oracle, k: tap };
}

test('float32 output through parse/prepare/eval matches the ±1 float convolution (every padding and activation)', () => {
  const rng = makeRng(101);
  for (let iter = 0; iter < 90; iter++) {
    const c = randomBconvCase(rng, (['valid', 'same-one', 'same-zero'] as const)[iter % 3]);
    const mult = Float32Array.from({ length: c.channelsOut }, () => rng() * 4 - 2);
    const bias = Float32Array.from({ length: c.channelsOut }, () => rng() * 10 - 5);
    const b = build(c, rng, 'float32', mult, bias, iter % 4 !== 0);
    const p = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'float32', shape: [0, 0, 0, 0] }]);
    assert.deepEqual(p.outputs[0]!.shape, [c.batch, b.oracle.outHeight, b.oracle.outWidth, c.channelsOut], JSON.stringify(c));
    const out = p.run()[0] as Float32Array;
    for (let i = 0; i < out.length; i++) {
      const o = i % c.channelsOut;
      const expected = b.oracle.dot[i]! * mult[o]! + bias[o]!;
      const tol = 2 ** -21 * (3 * b.k * Math.abs(mult[o]!) + Math.abs(bias[o]!)) + 1e-30;
      assert.ok(Math.abs(out[i]! - expected) <= tol, `${JSON.stringify(c)} at ${i}: ${out[i]} vs ${expected}`);
    }
  }
});

test('int8 output through the op: scale and zero point of the output tensor, round half away, saturate', () => {
  const rng = makeRng(102);
  for (let iter = 0; iter < 60; iter++) {
    const c = randomBconvCase(rng);
    const mult = Float32Array.from({ length: c.channelsOut }, () => rng() - 0.5);
    const bias = Float32Array.from({ length: c.channelsOut }, () => rng() * 2 - 1);
    const scale = Math.fround(0.02 + rng() * 0.1);
    const zp = Math.floor(rng() * 21) - 10;
    const b = build(c, rng, 'int8', mult, bias);
    const p = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'int8', shape: [1, 1, 1, 1], quantization: perTensor(scale, zp) }]);
    const out = p.run()[0] as Int8Array;
    for (let i = 0; i < out.length; i++) {
      const o = i % c.channelsOut;
      const real = (b.oracle.dot[i]! * mult[o]! + bias[o]!) / scale + zp;
      const expected = Math.max(-128, Math.min(127, real < 0 ? -Math.round(-real) : Math.round(real))) + 0;
      const nearTie = Math.abs(Math.abs(real - Math.trunc(real)) - 0.5) < 1e-3;
      if (nearTie) assert.ok(Math.abs(out[i]! - expected) <= 1);
      else assert.equal(out[i], expected, `${JSON.stringify(c)} at ${i}: real ${real}`);
    }
  }
});

test('bitpacked int32 output through the op: bit = (float result < 0), output resized to ceil(C_out/32)', () => {
  const rng = makeRng(103);
  for (let iter = 0; iter < 60; iter++) {
    const c = randomBconvCase(rng, iter % 2 ? 'valid' : 'same-one');
    const cg = c.channelsIn / c.groups;
    const k = c.filterHeight * c.filterWidth * cg;
    const mult = Float32Array.from({ length: c.channelsOut }, () => (rng() < 0.1 ? 0 : rng() * 4 - 2));
    const bias = Float32Array.from({ length: c.channelsOut }, () => (rng() * 2 - 1) * k * 0.7);
    const b = build(c, rng, 'int32', mult, bias);
    const p = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'int32', shape: [9, 9, 9, 9] }]);
    const words = bitpackedSize(c.channelsOut);
    assert.deepEqual(p.outputs[0]!.shape, [c.batch, b.oracle.outHeight, b.oracle.outWidth, words]);
    const out = p.run()[0] as Int32Array;
    const pixels = out.length / words;
    for (let px = 0; px < pixels; px++) {
      for (let bit = 0; bit < words * 32; bit++) {
        const got = (out[px * words + (bit >>> 5)]! >>> (bit & 31)) & 1;
        if (bit >= c.channelsOut) { assert.equal(got, 0, 'padding bit'); continue; }
        const y = b.oracle.dot[px * c.channelsOut + bit]! * mult[bit]! + bias[bit]!;
        if (Math.abs(y) < 1e-4 * (Math.abs(bias[bit]!) + k * Math.abs(mult[bit]!)) + 1e-9) continue;
        assert.equal(got, y < 0 ? 1 : 0, `${JSON.stringify(c)} pixel ${px} channel ${bit}`);
      }
    }
  }
});

test('decodes the 160-byte LCE options and ignores TANH as an activation (acts as NONE)', () => {
  const hex = '6368616E6E656C735F696E00' + '64696C6174696F6E5F6865696768745F666163746F7200'
    + '64696C6174696F6E5F77696474685F666163746F7200' + '66757365645F61637469766174696F6E5F66756E6374696F6E00'
    + '7061645F76616C75657300' + '70616464696E6700' + '7374726964655F68656967687400' + '7374726964655F776964746800'
    + '08' + '8277614C33292215' + '08' + '01' + '08' + '0301010000010101' + '0404040404040404' + '10' + '24' + '01';
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  const opts = lceBconv2d.parse({ opcodeIndex: 0, inputs: [], outputs: [], builtinOptionsType: 0, builtinOptions: null, customOptions: bytes }, { builtinCode: 32, deprecatedBuiltinCode: 32, version: 1 });
  assert.deepEqual(opts, {
    channelsIn: 3, dilationHeightFactor: 1, dilationWidthFactor: 1, fusedActivationFunction: 0, padValues: 0,
    padding: 1, strideHeight: 1, strideWidth: 1, invalid: null,
  });
  const rng = makeRng(104);
  const c: FloatConvCase = {
    batch: 1, inHeight: 4, inWidth: 4, channelsIn: 3, channelsOut: 4, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'valid', activation: Activation.TANH,
  };
  const one = new Float32Array(4).fill(1);
  const b = build(c, rng, 'float32', one, new Float32Array(4));
  const out = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'float32', shape: [1, 2, 2, 4] }]).run()[0] as Float32Array;
  assert.deepEqual([...out], [...b.oracle.dot]); // TANH clamps nothing: full range [−27, 27]
});

test('batch > 1 and grouped convolution (G = 2, 64 channels per group) through the op', () => {
  const rng = makeRng(105);
  const c: FloatConvCase = {
    batch: 3, inHeight: 5, inWidth: 6, channelsIn: 128, channelsOut: 6, filterHeight: 3, filterWidth: 2, groups: 2,
    strideHeight: 2, strideWidth: 1, dilationHeight: 1, dilationWidth: 2, pad: 'same-zero', activation: Activation.RELU,
  };
  const b = build(c, rng, 'float32', new Float32Array(6).fill(1), new Float32Array(6));
  const out = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'float32', shape: [3, 3, 6, 6] }]).run()[0] as Float32Array;
  assert.deepEqual([...out], [...b.oracle.dot]);
});

function refusal(
  what: string, mutate: (c: FloatConvCase, b: Built, outputs: HandTensor[]) => void, message: RegExp,
  kind: 'float32' | 'int8' | 'int32' = 'float32', base?: Partial<FloatConvCase>,
): void {
  const c: FloatConvCase = {
    batch: 1, inHeight: 4, inWidth: 4, channelsIn: 64, channelsOut: 4, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-one', activation: 0, ...base,
  };
  const b = build(c, makeRng(9), kind, new Float32Array(c.channelsOut).fill(1), new Float32Array(c.channelsOut));
  const outputs: HandTensor[] = [{ dtype: kind, shape: [1, 4, 4, 4], ...(kind === 'int8' ? { quantization: perTensor(0.1, 0) } : {}) }];
  mutate(c, b, outputs);
  assert.throws(() => prepareCustomOp(lceBconv2d, b.options, b.inputs, outputs, 12), (e: unknown) => {
    assert.ok(e instanceof OpPrepareError, `${what}: ${String(e)}`);
    assert.match(e.message, /^LceBconv2d \(op 12\): /, what);
    assert.match(e.message, message, what);
    return true;
  }, what);
}

const withOptions = (patch: Record<string, number>, drop?: string) => (c: FloatConvCase, b: Built) => {
  const o: Record<string, number> = { ...optionsOf(c), ...patch };
  if (drop) delete o[drop];
  b.options = encodeFlexIntMap(o);
};

test('refusals of the reference kernel, each an OpPrepareError naming op, index and problem', () => {
  for (const key of Object.keys(optionsOf({ channelsIn: 1 } as FloatConvCase))) {
    refusal(`missing ${key}`, withOptions({}, key), new RegExp(`lack required key ${key}`));
  }
  refusal('no options at all', (_c, b) => { b.options = new Uint8Array(0); }, /lack required keys channels_in, .*stride_width/);
  refusal('pad_values 2', withOptions({ pad_values: 2 }), /pad_values must be 0 or 1, got 2/);
  refusal('4 inputs', (_c, b) => { b.inputs.pop(); }, /expects 5 inputs, got 4/);
  refusal('input 3-D', (_c, b) => { b.inputs[0] = { ...b.inputs[0]!, shape: [4, 4, 2] }; }, /input 't0' must be 4-D/);
  refusal('filter 5-D', (_c, b) => { b.inputs[1] = { ...b.inputs[1]!, shape: [4, 3, 3, 2, 1] }; }, /filter 't1' must be 4-D/);
  refusal('float filter', (_c, b) => { b.inputs[1] = { ...b.inputs[1]!, dtype: 'float32' }; }, /filter.*has dtype float32/);
  refusal('float input', (_c, b) => { b.inputs[0] = { ...b.inputs[0]!, dtype: 'float32' }; }, /input 't0' has dtype float32/);
  refusal('uint8 output', (_c, _b, outs) => { outs[0] = { dtype: 'uint8', shape: [1] }; }, /output 't5' has dtype uint8/);
  refusal('groups not dividing', (_c, b) => { b.inputs[1] = { ...b.inputs[1]!, shape: [4, 3, 3, 2] }; }, /does not divide ceil\(channels_in\/32\) = 3/,
    'float32', { channelsIn: 96, groups: 1 });
  refusal('group size not multiple of 32', withOptions({ channels_in: 60 }), /multiple of 32, got 30/, 'float32', { channelsIn: 64, groups: 2 });
  refusal('C_out not divisible by groups', (_c, b) => {
    b.inputs[1] = { ...b.inputs[1]!, shape: [3, 3, 3, 1], data: new Int32Array(27) };
  }, /C_out = 3 is not divisible by 2 groups/, 'float32', { channelsIn: 64, groups: 2, channelsOut: 4 });
  const oddSameZero = /pad_values 0 and an odd channels_in \(63\) is only supported with float32 output and no fused activation/;
  refusal('same-zero odd channels, RELU', withOptions({ channels_in: 63, pad_values: 0, fused_activation_function: 1 }), oddSameZero);
  refusal('same-zero odd channels, RELU6', withOptions({ channels_in: 63, pad_values: 0, fused_activation_function: 3 }), oddSameZero);
  refusal('same-zero odd channels, RELU_N1_TO_1', withOptions({ channels_in: 63, pad_values: 0, fused_activation_function: 2 }), oddSameZero);
  refusal('same-zero odd channels, int8', withOptions({ channels_in: 63, pad_values: 0 }), oddSameZero, 'int8');
  refusal('same-zero odd channels, bitpacked', withOptions({ channels_in: 63, pad_values: 0 }), oddSameZero, 'int32');
  refusal('input words vs channels_in', (_c, b) => { b.inputs[0] = { ...b.inputs[0]!, shape: [1, 4, 4, 3] }; },
    /input 't0' has 3 packed channel words; channels_in = 64 needs 2/);
  refusal('int32 output without thresholds', (_c, b) => { b.inputs[4] = null; }, /output_threshold \(input 4\) is required/, 'int32');
  refusal('thresholds wrong length', (_c, b) => { b.inputs[4] = { dtype: 'int32', shape: [3], data: new Int32Array(3) }; }, /output_threshold 't4' has length 3/, 'int32');
  refusal('thresholds float', (_c, b) => { b.inputs[4] = { dtype: 'float32', shape: [4], data: new Float32Array(4) }; }, /output_threshold 't4' has dtype float32/, 'int32');
  refusal('thresholds 2-D', (_c, b) => { b.inputs[4] = { dtype: 'int32', shape: [4, 1], data: new Int32Array(4) }; }, /output_threshold 't4' must be 1-D/, 'int32');
  refusal('float output without multiplier', (_c, b) => { b.inputs[2] = null; }, /post_activation_multiplier \(input 2\) is required/);
  refusal('bias wrong length', (_c, b) => { b.inputs[3] = { dtype: 'float32', shape: [5], data: new Float32Array(5) }; }, /post_activation_bias 't3' has length 5/);
  refusal('multiplier int32', (_c, b) => { b.inputs[2] = { dtype: 'int32', shape: [4], data: new Int32Array(4) }; }, /post_activation_multiplier 't2' has dtype int32/);
  refusal('int8 output without quantization', (_c, _b, outs) => { outs[0] = { dtype: 'int8', shape: [1] }; }, /needs quantization parameters/, 'int8');
  refusal('int8 output scale 0', (_c, _b, outs) => { outs[0] = { dtype: 'int8', shape: [1], quantization: perTensor(0, 0) }; }, /invalid scale 0/, 'int8');
  refusal('stride 0', withOptions({ stride_width: 0 }), /strides must be ≥ 1/);
  refusal('dilation 0', withOptions({ dilation_height_factor: 0 }), /dilation factors must be ≥ 1/);
  refusal('padding 2', withOptions({ padding: 2 }), /padding must be 0 \(SAME\) or 1 \(VALID\), got 2/);
  refusal('channels_in 0', withOptions({ channels_in: 0 }), /channels_in must be ≥ 1/);
});

test('same-zero accepts int8 and bitpacked output and fused activations in the reference kernel', () => {
  // Only LCE's optimized kernels refuse these; the reference kernel (this one) runs them.
  const rng = makeRng(106);
  const c: FloatConvCase = {
    batch: 1, inHeight: 3, inWidth: 3, channelsIn: 2, channelsOut: 3, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-zero', activation: Activation.RELU6,
  };
  const b = build(c, rng, 'int8', new Float32Array(3).fill(1), new Float32Array(3));
  const out = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'int8', shape: [1, 3, 3, 3], quantization: perTensor(1, 0) }]).run()[0] as Int8Array;
  assert.deepEqual([...out], [...b.oracle.dot]);
  const bits = build(c, rng, 'int32', new Float32Array(3).fill(1), Float32Array.from([-0.5, -0.5, -0.5]));
  const packed = prepareCustomOp(lceBconv2d, bits.options, bits.inputs, [{ dtype: 'int32', shape: [1, 3, 3, 1] }]).run()[0] as Int32Array;
  for (let px = 0; px < 9; px++) {
    for (let o = 0; o < 3; o++) assert.equal((packed[px]! >>> o) & 1, bits.oracle.dot[px * 3 + o]! - 0.5 < 0 ? 1 : 0);
  }
});

test('same-zero with an odd channels_in runs for float32 output without a clamp (as LCE\'s default kernel does)', () => {
  const rng = makeRng(107);
  for (const [channelsIn, activation] of [[33, Activation.NONE], [1, Activation.TANH], [65, 17]] as const) {
    const c: FloatConvCase = {
      batch: 2, inHeight: 5, inWidth: 4, channelsIn, channelsOut: 5, filterHeight: 3, filterWidth: 3, groups: 1,
      strideHeight: 2, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-zero', activation,
    };
    const mult = Float32Array.from({ length: 5 }, () => rng() * 2 - 1);
    const bias = Float32Array.from({ length: 5 }, () => rng() - 0.5);
    const b = build(c, rng, 'float32', mult, bias);
    const out = prepareCustomOp(lceBconv2d, b.options, b.inputs, [{ dtype: 'float32', shape: [2, 3, 4, 5] }]).run()[0] as Float32Array;
    for (let i = 0; i < out.length; i++) {
      const o = i % 5;
      const expected = b.oracle.dot[i]! * mult[o]! + bias[o]!;
      assert.ok(Math.abs(out[i]! - expected) <= 2 ** -20 * (3 * b.k + 1), `C=${channelsIn} at ${i}: ${out[i]} vs ${expected}`);
    }
  }
});
