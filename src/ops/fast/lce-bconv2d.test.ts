// The wasm LceBconv2d against the reference op on random shapes (awkward channels, groups, strides, dilations,
// every padding and activation): bit-exact for float32 (same-one/valid), int8 and bitpacked outputs, within float
// rounding for same-zero; the same answers on two threads (im2col and stacked mode); the reference fallbacks; nothing
// written outside outputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFlexIntMap } from '../../format/flexbuffer.js';
import { hasSharedMemory, hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { bitpackedSize } from '../../reference/bitpack.js';
import {
  makeRng, perTensor, randomBconvCase, type FloatConvCase, type HandTensor,
} from '../../reference/lce-testutil.js';
import { Activation } from '../common.js';
import { lceBconv2d } from '../lce-bconv2d.js';
import { fastLceBconv2d, SPLIT_MIN_MACS } from './lce-bconv2d.js';
import { compareFastWithReference, type FastRunOptions } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
type OutKind = 'float32' | 'int8' | 'int32';

function randomWords(rng: () => number, rows: number, channels: number): Int32Array {
  const words = bitpackedSize(channels);
  const out = new Int32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let w = 0; w < words; w++) {
      const bits = Math.min(32, channels - 32 * w);
      let x = (Math.floor(rng() * 65536) | (Math.floor(rng() * 65536) << 16)) >>> 0;
      if (bits < 32) x &= (1 << bits) - 1;
      out[r * words + w] = x | 0;
    }
  }
  return out;
}

function tensors(c: FloatConvCase, rng: () => number, kind: OutKind, constantAffine = true): { inputs: (HandTensor | null)[]; options: Uint8Array; output: HandTensor } {
  const cg = c.channelsIn / c.groups;
  const inWords = bitpackedSize(c.channelsIn);
  // Grouped cases have 32·k channels per group, so packing whole pixels equals packing per group.
  const input = randomWords(rng, c.batch * c.inHeight * c.inWidth, c.channelsIn);
  const filter = randomWords(rng, c.channelsOut * c.filterHeight * c.filterWidth, cg);
  const k = c.filterHeight * c.filterWidth * cg;
  const multiplier = Float32Array.from({ length: c.channelsOut }, () => rng() * 0.4 - 0.2);
  const bias = Float32Array.from({ length: c.channelsOut }, () => rng() * 8 - 4);
  const thresholds = Int32Array.from({ length: c.channelsOut }, () => Math.floor(rng() * (k + 2)) - 1);
  const options = encodeFlexIntMap({
    channels_in: c.channelsIn, dilation_height_factor: c.dilationHeight, dilation_width_factor: c.dilationWidth,
    fused_activation_function: c.activation, pad_values: c.pad === 'same-one' ? 1 : 0, padding: c.pad === 'valid' ? 1 : 0,
    stride_height: c.strideHeight, stride_width: c.strideWidth,
  });
  const inputs: (HandTensor | null)[] = [
    { dtype: 'int32', shape: [c.batch, c.inHeight, c.inWidth, inWords], data: input },
    { dtype: 'int32', shape: [c.channelsOut, c.filterHeight, c.filterWidth, bitpackedSize(cg)], data: filter, constant: true },
    kind === 'int32' ? null : { dtype: 'float32', shape: [c.channelsOut], data: multiplier, constant: constantAffine },
    kind === 'int32' ? null : { dtype: 'float32', shape: [c.channelsOut], data: bias, constant: constantAffine },
    kind === 'int32' ? { dtype: 'int32', shape: [c.channelsOut], data: thresholds, constant: true } : null,
  ];
  const output: HandTensor = { dtype: kind, shape: [0, 0, 0, 0], ...(kind === 'int8' ? { quantization: perTensor(0.07, -5) } : {}) };
  return { inputs, options, output };
}

async function check(c: FloatConvCase, kind: OutKind, seed: number, run: FastRunOptions & { constantAffine?: boolean } = {}) {
  const t = tensors(c, makeRng(seed), kind, run.constantAffine ?? true);
  const r = await compareFastWithReference(fastLceBconv2d, lceBconv2d, t.options, t.inputs, [t.output], run);
  const what = `${kind} ${JSON.stringify(c)}`;
  assert.ok(r.guardsIntact, `${what}: wrote outside its output`);
  const got = r.fast[0]!;
  const want = r.reference[0]!;
  if (kind === 'float32' && c.pad === 'same-zero') {
    const g = got as Float32Array;
    const w = want as Float32Array;
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-4 * (1 + Math.abs(w[i]!)), `${what} at ${i}: ${g[i]} vs ${w[i]}`);
  } else {
    assert.deepEqual(got, want, what);
  }
  return r;
}

describe('fast LceBconv2d equals the reference op', () => {
  for (const isa of ISAS) {
    for (const kind of ['float32', 'int8', 'int32'] as const) {
      it(`${kind} output on the ${isa} build, 40 random cases`, async () => {
        const rng = makeRng(kind === 'float32' ? 11 : kind === 'int8' ? 12 : 13);
        for (let i = 0; i < 40; i++) {
          const c = randomBconvCase(rng, kind === 'float32' ? undefined : (['valid', 'same-one'] as const)[i % 2]);
          const r = await check(c, kind, 1000 + i, { isa });
          const clamps = c.activation === Activation.RELU || c.activation === Activation.RELU6 || c.activation === Activation.RELU_N1_TO_1;
          const overhang = (c.filterHeight - 1) * c.dilationHeight + 1 > c.inHeight || (c.filterWidth - 1) * c.dilationWidth + 1 > c.inWidth;
          assert.equal(r.state.plan !== null, !(c.pad === 'same-zero' && (clamps || (overhang && c.groups !== 1))), `which kernel ran for ${JSON.stringify(c)}`);
        }
      });
    }
  }

  it('QuickNet-sized layers (56x56x64, 14x14x256 3x3 same-one; 1x1 stride 2) with awkward channel counts', async () => {
    const base: FloatConvCase = {
      batch: 1, inHeight: 56, inWidth: 56, channelsIn: 64, channelsOut: 64, filterHeight: 3, filterWidth: 3, groups: 1,
      strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-one', activation: 0,
    };
    await check(base, 'float32', 1);
    await check({ ...base, inHeight: 14, inWidth: 14, channelsIn: 256, channelsOut: 255 }, 'int8', 2);
    await check({ ...base, inHeight: 15, inWidth: 13, channelsIn: 65, channelsOut: 33, filterHeight: 1, filterWidth: 1, strideHeight: 2, strideWidth: 2, pad: 'valid' }, 'int32', 3);
  });

  it('same-zero filters larger than the image (BiRealNet 2x2, 1x1): kernel plus LCE\'s border corrections, bit-exact', async () => {
    const rng = makeRng(21);
    const base = randomBconvCase(rng, 'same-one');
    for (const [h, w, k, d, s, n] of [[2, 2, 3, 1, 1, 1], [1, 1, 3, 1, 1, 2], [2, 3, 3, 1, 1, 1], [5, 2, 3, 1, 2, 1], [4, 4, 3, 2, 1, 1], [3, 7, 5, 1, 1, 2]]) {
      const c: FloatConvCase = {
        ...base, batch: n!, inHeight: h!, inWidth: w!, filterHeight: k!, filterWidth: k!, dilationHeight: d!, dilationWidth: d!,
        strideHeight: s!, strideWidth: s!, channelsIn: 65, channelsOut: 33, groups: 1, pad: 'same-zero', activation: 0,
      };
      for (const isa of ISAS) {
        const r = await check(c, 'float32', 30 + h! * 7 + w!, { isa });
        assert.ok(r.state.plan && r.state.borders, `${JSON.stringify(c)} runs the kernel with border corrections`);
        assert.deepEqual(r.fast[0], r.reference[0], `${isa} ${JSON.stringify(c)}: bit-exact`);
      }
    }
  });

  it('falls back to the reference kernel for non-constant multiplier/bias, same-zero int8, and inputs outside the arena', async () => {
    const rng = makeRng(5);
    const c = randomBconvCase(rng, 'same-one');
    const nonConst = await check(c, 'float32', 6, { constantAffine: false });
    assert.equal(nonConst.state.plan, null);
    const sz: FloatConvCase = { ...c, channelsIn: 64, groups: 1, pad: 'same-zero' };
    const sameZeroInt8 = await check(sz, 'int8', 7);
    assert.equal(sameZeroInt8.state.plan, null);
    const tinyRelu = await check({ ...sz, inHeight: 2, inWidth: 2, filterHeight: 3, filterWidth: 3, activation: Activation.RELU, dilationHeight: 1, dilationWidth: 1 }, 'float32', 9);
    assert.equal(tinyRelu.state.plan, null, 'same-zero with a clamping activation runs the reference');
    const outside = await check(c, 'int32', 8, { inputsOutsideArena: true });
    assert.ok(outside.state.plan, 'prepared for wasm, ran the reference at eval');
  });
});

describe('fast LceBconv2d on two threads', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, () => {
  it('splits big layers over the pool and gives the one-thread answer bit for bit', async () => {
    const big: FloatConvCase = {
      batch: 1, inHeight: 29, inWidth: 27, channelsIn: 96, channelsOut: 65, filterHeight: 3, filterWidth: 3, groups: 1,
      strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-one', activation: 1,
    };
    assert.ok(29 * 27 * 9 * 96 * 65 >= SPLIT_MIN_MACS, 'the case is big enough to split');
    for (const [kind, c] of [['float32', big], ['int8', { ...big, strideHeight: 2, dilationWidth: 2, inHeight: 60, inWidth: 57 }],
      ['int32', { ...big, groups: 3, channelsOut: 66 }], ['float32', { ...big, pad: 'same-zero', activation: 0 }]] as const) {
      const one = await check(c, kind, 9);
      const two = await check(c, kind, 9, { threads: 2 });
      assert.equal(two.threads, 2, `${kind}: the pool ran`);
      assert.ok(two.state.split, `${kind}: the op split its rows`);
      assert.deepEqual(two.fast[0], one.fast[0], `${kind}: two threads equal one`);
    }
  });

  it('stacked mode (windows read in place) on two threads: borders, batch 2, stride 2 with an odd width, valid, same-zero', async () => {
    const even: FloatConvCase = {
      batch: 1, inHeight: 29, inWidth: 28, channelsIn: 128, channelsOut: 65, filterHeight: 3, filterWidth: 3, groups: 1,
      strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-one', activation: 1,
    };
    for (const [kind, c] of [['float32', even], ['int8', { ...even, batch: 2, strideHeight: 2, strideWidth: 2, inHeight: 31, inWidth: 55 }],
      ['int32', { ...even, pad: 'valid', inWidth: 30 }], ['float32', { ...even, pad: 'same-zero', activation: 0 }]] as const) {
      const one = await check(c, kind, 10);
      const two = await check(c, kind, 10, { threads: 2 });
      assert.ok(one.state.plan?.stacked && two.state.plan?.stacked, `${kind}: stacked mode ran`);
      assert.equal(two.threads, 2, `${kind}: the pool ran`);
      assert.ok(two.state.split, `${kind}: the op split its rows`);
      assert.deepEqual(two.fast[0], one.fast[0], `${kind}: two threads equal one`);
    }
  });
});
