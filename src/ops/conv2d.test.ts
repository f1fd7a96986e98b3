import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError, ModelValidationError } from '../errors.js';
import type { BuiltinOptions } from '../graph/model.js';
import { multiplyByQuantizedMultiplierRoundUp, quantizeMultiplier, roundHalfAway } from '../reference/quant.js';
import { conv2d } from './conv2d.js';
import { assertClose, runOp1 } from './test-util.js';
import type { TestTensor } from './test-util.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Case {
  n: number; h: number; w: number; c: number; oc: number; fh: number; fw: number; groups: number;
  sh: number; sw: number; dh: number; dw: number; same: boolean; act: number; bias: boolean;
}

/** Output size and leading pad computed straight from TF's definition of SAME / VALID. */
function axis(inSize: number, f: number, s: number, d: number, same: boolean): { out: number; pad: number } {
  const eff = (f - 1) * d + 1;
  const out = same ? Math.ceil(inSize / s) : Math.ceil((inSize - eff + 1) / s);
  const total = Math.max(0, (out - 1) * s + eff - inSize);
  return { out, pad: same ? Math.floor(total / 2) : 0 };
}

/** A direct 7-loop convolution in doubles, bounds-checking every tap; `value(b, oy, ox, oc, acc)` finishes it. */
function naiveConv(
  k: Case, input: ArrayLike<number>, filter: ArrayLike<number>, finish: (oc: number, acc: number) => number,
): { shape: number[]; out: number[] } {
  const H = axis(k.h, k.fh, k.sh, k.dh, k.same);
  const W = axis(k.w, k.fw, k.sw, k.dw, k.same);
  const fc = k.c / k.groups;
  const out: number[] = [];
  for (let b = 0; b < k.n; b++) for (let oy = 0; oy < H.out; oy++) for (let ox = 0; ox < W.out; ox++) {
    for (let oc = 0; oc < k.oc; oc++) {
      const g = Math.floor(oc / (k.oc / k.groups));
      let acc = 0;
      for (let fy = 0; fy < k.fh; fy++) for (let fx = 0; fx < k.fw; fx++) for (let ic = 0; ic < fc; ic++) {
        const iy = oy * k.sh - H.pad + fy * k.dh;
        const ix = ox * k.sw - W.pad + fx * k.dw;
        if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
        acc += input[((b * k.h + iy) * k.w + ix) * k.c + g * fc + ic]! * filter[((oc * k.fh + fy) * k.fw + fx) * fc + ic]!;
      }
      out.push(finish(oc, acc));
    }
  }
  return { shape: [k.n, H.out, W.out, k.oc], out };
}

function options(k: Case): BuiltinOptions {
  return {
    padding: k.same ? 0 : 1, strideW: k.sw, strideH: k.sh, fusedActivationFunction: k.act,
    dilationWFactor: k.dw, dilationHFactor: k.dh,
  };
}

const CASES: Case[] = [
  { n: 1, h: 5, w: 7, c: 1, oc: 1, fh: 3, fw: 3, groups: 1, sh: 1, sw: 1, dh: 1, dw: 1, same: true, act: 0, bias: true },
  { n: 2, h: 9, w: 6, c: 3, oc: 8, fh: 3, fw: 2, groups: 1, sh: 2, sw: 2, dh: 1, dw: 1, same: true, act: 1, bias: true },
  { n: 1, h: 11, w: 10, c: 31, oc: 5, fh: 3, fw: 3, groups: 1, sh: 1, sw: 2, dh: 2, dw: 2, same: true, act: 3, bias: false },
  { n: 1, h: 7, w: 9, c: 33, oc: 33, fh: 2, fw: 3, groups: 1, sh: 2, sw: 1, dh: 1, dw: 2, same: false, act: 0, bias: true },
  { n: 2, h: 6, w: 5, c: 4, oc: 6, fh: 3, fw: 3, groups: 2, sh: 1, sw: 1, dh: 1, dw: 1, same: true, act: 2, bias: true },
  { n: 1, h: 8, w: 8, c: 6, oc: 3, fh: 1, fw: 1, groups: 3, sh: 2, sw: 2, dh: 1, dw: 1, same: false, act: 0, bias: false },
  { n: 1, h: 4, w: 4, c: 2, oc: 4, fh: 5, fw: 5, groups: 1, sh: 3, sw: 3, dh: 1, dw: 1, same: true, act: 0, bias: true },
];

test('float CONV_2D matches a direct convolution (groups, stride, dilation, SAME/VALID, batch 2, activations)', () => {
  const r = rng(1);
  for (const k of CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => r() * 2 - 1);
    const filter = Array.from({ length: k.oc * k.fh * k.fw * (k.c / k.groups) }, () => r() * 2 - 1);
    const bias = Array.from({ length: k.oc }, () => r() - 0.5);
    const lo = k.act === 1 || k.act === 3 ? 0 : k.act === 2 ? -1 : -Infinity;
    const hi = k.act === 3 ? 6 : k.act === 2 ? 1 : Infinity;
    const f32 = (a: number[]) => Array.from(new Float32Array(a));
    const expected = naiveConv(k, f32(input), f32(filter), (oc, acc) => {
      const v = acc + (k.bias ? Math.fround(bias[oc]!) : 0);
      return Math.min(hi, Math.max(lo, v));
    });
    const got = runOp1(conv2d, {
      inputs: [
        { dtype: 'float32', shape: [k.n, k.h, k.w, k.c], data: input },
        { dtype: 'float32', shape: [k.oc, k.fh, k.fw, k.c / k.groups], data: filter, constant: true },
        k.bias ? { dtype: 'float32', shape: [k.oc], data: bias, constant: true } : null,
      ],
      outputs: [{ dtype: 'float32', shape: [] }],
      options: options(k),
    });
    assert.deepEqual(got.shape, expected.shape, JSON.stringify(k));
    assertClose(got.values, expected.out, 1e-5);
  }
});

/** int8 case: random per-channel quantized tensors; returns the op result and two independent expectations. */
function int8Case(k: Case, seed: number, perChannel: boolean) {
  const r = rng(seed);
  const fc = k.c / k.groups;
  const inScale = 0.02 + r() * 0.03;
  const inZp = Math.floor(r() * 21) - 10;
  const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.floor(r() * 256) - 128);
  const fScales = Array.from({ length: perChannel ? k.oc : 1 }, () => 0.002 + r() * 0.02);
  const fScale = (oc: number) => fScales[perChannel ? oc : 0]!;
  const filter = Array.from({ length: k.oc * k.fh * k.fw * fc }, () => Math.floor(r() * 255) - 127);
  const bias = Array.from({ length: k.oc }, () => Math.floor(r() * 4001) - 2000);
  // real-valued result of the dequantized tensors, to choose an output scale with a little saturation
  const real = naiveConv(k, input.map((x) => (x - inZp) * inScale), filter, (oc, acc) => {
    const v = acc * 1; // filter still integer here: scale per channel below
    return v * fScale(oc) + (k.bias ? bias[oc]! * inScale * fScale(oc) : 0);
  });
  const maxAbs = Math.max(1e-3, ...real.out.map(Math.abs));
  const outScale = maxAbs / 110;
  const outZp = Math.floor(r() * 41) - 20;
  const [qlo, qhi] = int8ActRange(k.act, outScale, outZp);
  const viaFloat = real.out.map((v) => Math.min(qhi, Math.max(qlo, roundHalfAway(v / outScale) + outZp)));
  // integer pipeline spelled out with the (BigInt) quant.ts helpers
  const exact = naiveConv(k, input.map((x) => x - inZp), filter, (oc, acc) => {
    const m = quantizeMultiplier((inScale * fScale(oc)) / outScale);
    const v = multiplyByQuantizedMultiplierRoundUp(acc + (k.bias ? bias[oc]! : 0), m.multiplier, m.shift) + outZp;
    return Math.min(qhi, Math.max(qlo, v));
  });
  const inputs: (TestTensor | null)[] = [
    { dtype: 'int8', shape: [k.n, k.h, k.w, k.c], data: input, quant: { scale: inScale, zeroPoint: inZp } },
    {
      dtype: 'int8', shape: [k.oc, k.fh, k.fw, fc], data: filter, constant: true,
      quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: 0 },
    },
    k.bias ? { dtype: 'int32', shape: [k.oc], data: bias, constant: true } : null,
  ];
  const got = runOp1(conv2d, {
    inputs, outputs: [{ dtype: 'int8', shape: [], quant: { scale: outScale, zeroPoint: outZp } }], options: options(k),
  });
  return { got, viaFloat, exact };
}

/** Clamp range of a fused activation, computed here from its definition. */
function int8ActRange(act: number, scale: number, zp: number): [number, number] {
  const q = (v: number) => zp + roundHalfAway(v / scale);
  if (act === 1) return [Math.max(-128, q(0)), 127];
  if (act === 3) return [Math.max(-128, q(0)), Math.min(127, q(6))];
  if (act === 2) return [Math.max(-128, q(-1)), Math.min(127, q(1))];
  return [-128, 127];
}

test('int8 CONV_2D is bit-exact with the integer pipeline and within one LSB of float math on dequantized values', () => {
  let seed = 100;
  for (const k of CASES) {
    for (const perChannel of [true, false]) {
      const { got, viaFloat, exact } = int8Case(k, seed++, perChannel);
      assert.deepEqual(got.values, exact.out, `exact ${JSON.stringify(k)} perChannel=${perChannel}`);
      for (let i = 0; i < viaFloat.length; i++) {
        assert.ok(Math.abs(got.values[i]! - viaFloat[i]!) <= 1, `element ${i}: ${got.values[i]} vs float ${viaFloat[i]} in ${JSON.stringify(k)}`);
      }
    }
  }
});

/** 1×1 conv of a single channel with filter value 1: the output is the input times inScale/outScale, requantised. */
function requantizeThroughConv(values: number[], inScale: number, outScale: number, outZp: number, act = 0, bias?: number[]): number[] {
  return runOp1(conv2d, {
    inputs: [
      { dtype: 'int8', shape: [1, 1, values.length, 1], data: values, quant: { scale: inScale, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1, 1, 1, 1], data: [1], constant: true, quant: { scale: 1, zeroPoint: 0 } },
      bias ? { dtype: 'int32', shape: [1], data: bias, constant: true } : null,
    ],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: outScale, zeroPoint: outZp } }],
    options: { padding: 1, strideW: 1, strideH: 1, fusedActivationFunction: act },
  }).values;
}

test('int8 CONV_2D rounding ties follow TFLite\'s optimized GEMM (SQRDMULH then rounding right shift, ties up)', () => {
  // multiplier 0.25 = 2^30 · 2^-1: ties go towards +∞ (the reference kernel's shift would go away from zero)
  assert.deepEqual(requantizeThroughConv([6, -6, 2, -2, 10, -10, 127, -128], 0.25, 1, 0), [2, -1, 1, 0, 3, -2, 32, -32]);
  // multiplier 0.5 = 2^30 with shift 0: the doubling high multiply alone rounds -1.5 up to -1
  assert.deepEqual(requantizeThroughConv([3, -3, 1, -1], 0.5, 1, 0), [2, -1, 1, 0]);
});

test('int8 CONV_2D saturates, adds the output zero point, and clamps fused activations', () => {
  // multiplier 25 (left shift): large values saturate at the int8 range
  assert.deepEqual(requantizeThroughConv([127, -128, 1, -1, 0], 0.25, 0.01, 0), [127, -128, 25, -25, 0]);
  // zero point 100: 0.25·x/1 + 100, saturating at 127
  assert.deepEqual(requantizeThroughConv([40, 200 - 256, -128], 0.25, 1, 100), [110, 86, 68]);
  // RELU6 with scale 0.1 and zero point -100: range [-100, -40]
  assert.deepEqual(requantizeThroughConv([-8, 8, 127], 1, 0.1, -100, 3), [-100, -40, -40]);
  // bias added before requantisation: (2 + 6) · 0.25 = 2
  assert.deepEqual(requantizeThroughConv([2, -2], 0.25, 1, 0, 0, [6]), [2, 1]);
});

test('CONV_2D options: null options use schema defaults (stride 0 is refused); bad values are typed errors', () => {
  const args = (options: BuiltinOptions | null) => ({
    inputs: [
      { dtype: 'float32' as const, shape: [1, 3, 3, 1], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { dtype: 'float32' as const, shape: [1, 1, 1, 1], data: [2], constant: true },
    ],
    outputs: [{ dtype: 'float32' as const, shape: [] }],
    options,
  });
  assert.throws(() => runOp1(conv2d, args(null)), (e: unknown) => e instanceof OpPrepareError && /strideW/.test(e.message));
  assert.throws(() => runOp1(conv2d, args({ padding: 7, strideW: 1, strideH: 1 })), ModelValidationError);
  assert.throws(() => runOp1(conv2d, args({ padding: 0, strideW: 1, strideH: 1, fusedActivationFunction: 4 })),
    (e: unknown) => e instanceof OpPrepareError && /TANH/.test(e.message));
  const ok = runOp1(conv2d, args({ padding: 0, strideW: 2, strideH: 2 }));
  assert.deepEqual(ok.shape, [1, 2, 2, 1]);
  assert.deepEqual(ok.values, [2, 6, 14, 18]);
});

test('CONV_2D prepare refuses inconsistent tensors', () => {
  const opts = { padding: 1, strideW: 1, strideH: 1 };
  const f32 = (shape: number[], constant = false): TestTensor => ({ dtype: 'float32', shape, constant });
  const run = (inputs: (TestTensor | null)[], out: TestTensor = f32([])) => runOp1(conv2d, { inputs, outputs: [out], options: opts });
  assert.throws(() => run([f32([1, 4, 4, 3]), f32([2, 3, 3, 2], true)]), /not a multiple/);
  assert.throws(() => run([f32([1, 4, 4, 3]), f32([2, 5, 5, 3], true)]), /does not fit/);
  assert.throws(() => run([f32([1, 4, 4, 3]), f32([2, 1, 1, 3], true), f32([3], true)]), /bias/);
  assert.throws(() => run([f32([4, 4, 3]), f32([2, 1, 1, 3], true)]), /4-D/);
  assert.throws(() => run([f32([1, 4, 4, 3]), { dtype: 'int8', shape: [2, 1, 1, 3], constant: true }]), /hybrid/);
  // int8 with asymmetric filter or missing quantization
  const i8 = (shape: number[], q?: { scale: number; zeroPoint: number }): TestTensor => ({ dtype: 'int8', shape, ...(q ? { quant: q } : {}) });
  assert.throws(() => run([i8([1, 2, 2, 1], { scale: 1, zeroPoint: 0 }), i8([1, 1, 1, 1], { scale: 1, zeroPoint: 3 })],
    i8([], { scale: 1, zeroPoint: 0 })), /symmetric/);
  assert.throws(() => run([i8([1, 2, 2, 1]), i8([1, 1, 1, 1], { scale: 1, zeroPoint: 0 })], i8([], { scale: 1, zeroPoint: 0 })),
    /quantization/);
  assert.throws(() => run([i8([1, 2, 2, 1], { scale: 1, zeroPoint: 0 }), {
    dtype: 'int8', shape: [2, 1, 1, 1], quantization: { scale: [1, 1, 1], zeroPoint: [0, 0, 0], quantizedDimension: 0 },
  }], i8([], { scale: 1, zeroPoint: 0 })), /3 scales/);
});
