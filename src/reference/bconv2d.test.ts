import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Activation, Padding } from '../ops/common.js';
import { bitpackedSize, packFloat32 } from './bitpack.js';
import {
  backTransformConstant, bconv2dAccum, bconv2dBitpacked, bconv2dFloat, bconv2dGeometry, bconv2dInt8, foldOutputTransform,
  type BconvOutputTransform, type Bconv2dGeometry,
} from './bconv2d.js';
import {
  converterThresholds, floatBinaryConv, INT32_MAX, INT32_MIN, makeRng, pick, randInt, randomBconvCase as randomCase,
  randomSigns, type FloatConvCase,
} from './lce-testutil.js';

interface Packed {
  geometry: Bconv2dGeometry;
  input: Int32Array;
  filter: Int32Array;
}

function pack(c: FloatConvCase, input: Float32Array, filter: Float32Array): Packed {
  const inWords = bitpackedSize(c.channelsIn);
  const cg = c.channelsIn / c.groups;
  const wg = bitpackedSize(cg);
  const packedInput = new Int32Array(c.batch * c.inHeight * c.inWidth * inWords);
  packFloat32(input, c.batch * c.inHeight * c.inWidth, c.channelsIn, packedInput);
  const packedFilter = new Int32Array(c.channelsOut * c.filterHeight * c.filterWidth * wg);
  packFloat32(filter, c.channelsOut * c.filterHeight * c.filterWidth, cg, packedFilter);
  const geometry = bconv2dGeometry({
    inputShape: [c.batch, c.inHeight, c.inWidth, inWords],
    filterShape: [c.channelsOut, c.filterHeight, c.filterWidth, wg],
    channelsIn: c.channelsIn, groups: c.groups, strideHeight: c.strideHeight, strideWidth: c.strideWidth,
    dilationHeight: c.dilationHeight, dilationWidth: c.dilationWidth,
    padding: c.pad === 'valid' ? Padding.VALID : Padding.SAME, padValues: c.pad === 'same-one' ? 1 : 0,
  });
  return { geometry, input: packedInput, filter: packedFilter };
}

function describe(c: FloatConvCase): string {
  return JSON.stringify(c);
}

function transformFor(k: number, c: FloatConvCase, multiplier: Float32Array, bias: Float32Array, scale = 1, zp = 0): BconvOutputTransform {
  const t: BconvOutputTransform = {
    clampMin: 0, clampMax: 0, multiplier: new Float32Array(c.channelsOut), bias: new Float32Array(c.channelsOut),
  };
  foldOutputTransform(k, c.activation, multiplier, bias, c.channelsOut, scale, zp, t);
  return t;
}

test('float output with multiplier 1, bias 0 equals the clamped ±1 float convolution exactly', () => {
  const rng = makeRng(1);
  for (let iter = 0; iter < 300; iter++) {
    const c = randomCase(rng, (['valid', 'same-one', 'same-zero'] as const)[iter % 3]);
    const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
    const filtF = randomSigns(rng, c.channelsOut * c.filterHeight * c.filterWidth * (c.channelsIn / c.groups));
    const oracle = floatBinaryConv(c, inF, filtF, true);
    const p = pack(c, inF, filtF);
    assert.equal(p.geometry.outHeight, oracle.outHeight, describe(c));
    assert.equal(p.geometry.outWidth, oracle.outWidth, describe(c));
    const k = backTransformConstant(p.geometry);
    const t = transformFor(k, c, new Float32Array(c.channelsOut).fill(1), new Float32Array(c.channelsOut));
    const out = new Float32Array(oracle.dot.length).fill(NaN);
    bconv2dFloat(p.geometry, p.input, p.filter, t, out);
    for (let i = 0; i < out.length; i++) assert.equal(out[i], oracle.dot[i], `${describe(c)} at ${i}`);
  }
});

test('float output with random multiplier/bias: clamp on the dot before the affine, ≈ float32 rounding', () => {
  const rng = makeRng(2);
  for (let iter = 0; iter < 200; iter++) {
    const c = randomCase(rng);
    const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
    const filtF = randomSigns(rng, c.channelsOut * c.filterHeight * c.filterWidth * (c.channelsIn / c.groups));
    const mult = Float32Array.from({ length: c.channelsOut }, () => (rng() * 4 - 2));
    const bias = Float32Array.from({ length: c.channelsOut }, () => (rng() * 20 - 10));
    const oracle = floatBinaryConv(c, inF, filtF, true);
    const p = pack(c, inF, filtF);
    const k = backTransformConstant(p.geometry);
    const out = new Float32Array(oracle.dot.length);
    bconv2dFloat(p.geometry, p.input, p.filter, transformFor(k, c, mult, bias), out);
    for (let i = 0; i < out.length; i++) {
      const o = i % c.channelsOut;
      const g = mult[o]!;
      const b = bias[o]!;
      const expected = oracle.dot[i]! * g + b;
      const tol = 2 ** -21 * (2 * k * Math.abs(g) + Math.abs(b) + k * Math.abs(g)) + 1e-30;
      assert.ok(Math.abs(out[i]! - expected) <= tol, `${describe(c)} at ${i}: ${out[i]} vs ${expected}`);
    }
  }
});

test('int8 output: scale/zero point folded in, round half away from zero, saturate', () => {
  const rng = makeRng(3);
  for (let iter = 0; iter < 200; iter++) {
    const c = randomCase(rng);
    const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
    const filtF = randomSigns(rng, c.channelsOut * c.filterHeight * c.filterWidth * (c.channelsIn / c.groups));
    const mult = Float32Array.from({ length: c.channelsOut }, () => (rng() * 2 - 1));
    const bias = Float32Array.from({ length: c.channelsOut }, () => (rng() * 4 - 2));
    const scale = Math.fround(pick(rng, [0.01, 0.05, 0.25, 1 / 3]));
    const zp = randInt(rng, -20, 20);
    const oracle = floatBinaryConv(c, inF, filtF);
    const p = pack(c, inF, filtF);
    const k = backTransformConstant(p.geometry);
    const out = new Int8Array(oracle.dot.length);
    bconv2dInt8(p.geometry, p.input, p.filter, transformFor(k, c, mult, bias, scale, zp), out);
    for (let i = 0; i < out.length; i++) {
      const o = i % c.channelsOut;
      const real = (oracle.dot[i]! * mult[o]! + bias[o]!) / scale + zp;
      const rounded = real < 0 ? -Math.round(-real) : Math.round(real);
      const expected = Math.max(-128, Math.min(127, rounded)) + 0; // + 0: −0 → 0
      const nearTie = Math.abs(Math.abs(real - Math.trunc(real)) - 0.5) < 1e-3;
      if (nearTie) assert.ok(Math.abs(out[i]! - expected) <= 1, `${describe(c)} at ${i}`);
      else assert.equal(out[i], expected, `${describe(c)} at ${i}: real ${real}`);
    }
  }
});

test('int8 output: exact half ties round away from zero (portable rule)', () => {
  // 1×1 filter, 1 channel, input +1 and weight +1: dot = 1, accum = 0. y = 1·m + b with m=1, b=1.5 → 2.5 → 3;
  // b = −3.5 → −2.5 → −3.
  const c: FloatConvCase = {
    batch: 1, inHeight: 1, inWidth: 1, channelsIn: 1, channelsOut: 2, filterHeight: 1, filterWidth: 1, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'valid', activation: Activation.NONE,
  };
  const p = pack(c, Float32Array.from([1]), Float32Array.from([1, 1]));
  const out = new Int8Array(2);
  bconv2dInt8(p.geometry, p.input, p.filter, transformFor(1, c, Float32Array.from([1, 1]), Float32Array.from([1.5, -3.5])), out);
  assert.deepEqual([...out], [3, -3]);
});

test('bitpacked output with converter thresholds (weights flipped for γ < 0): bit = (float result < 0)', () => {
  const rng = makeRng(4);
  let checked = 0;
  for (let iter = 0; iter < 120; iter++) {
    const c = randomCase(rng, rng() < 0.5 ? 'valid' : 'same-one'); // the converter never does this with same-zero
    const cg = c.channelsIn / c.groups;
    const tap = c.filterHeight * c.filterWidth * cg;
    const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
    const filtF = randomSigns(rng, c.channelsOut * tap);
    const mult = Float32Array.from({ length: c.channelsOut }, () => (rng() < 0.1 ? 0 : rng() * 4 - 2));
    const bias = Float32Array.from({ length: c.channelsOut }, () => (rng() * 2 - 1) * tap * 0.7);
    const k = tap;
    const { thresholds, flip } = converterThresholds(k, c.activation, mult, bias);
    const flipped = filtF.slice();
    for (let o = 0; o < c.channelsOut; o++) if (flip[o]) for (let j = 0; j < tap; j++) flipped[o * tap + j] = -flipped[o * tap + j]!;
    const oracle = floatBinaryConv(c, inF, filtF);
    const p = pack(c, inF, flipped);
    const words = bitpackedSize(c.channelsOut);
    const pixels = c.batch * oracle.outHeight * oracle.outWidth;
    const out = new Int32Array(pixels * words).fill(0x7eadbeef);
    bconv2dBitpacked(p.geometry, p.input, p.filter, thresholds, out);
    for (let px = 0; px < pixels; px++) {
      for (let bit = 0; bit < words * 32; bit++) {
        const got = (out[px * words + (bit >>> 5)]! >>> (bit & 31)) & 1;
        if (bit >= c.channelsOut) {
          assert.equal(got, 0, `padding bit ${bit} set: ${describe(c)}`);
          continue;
        }
        const y = oracle.dot[px * c.channelsOut + bit]! * mult[bit]! + bias[bit]!;
        if (Math.abs(y) < 1e-4 * (Math.abs(bias[bit]!) + k * Math.abs(mult[bit]!)) + 1e-9) continue; // float ties
        checked++;
        assert.equal(got, y < 0 ? 1 : 0, `${describe(c)} pixel ${px} channel ${bit}: y=${y}`);
      }
    }
  }
  assert.ok(checked > 10000, `checked ${checked}`);
});

test('§4.7 worked example: K = 4, NONE gives thresholds [0, 3, 2, 2, INT32_MIN, 2, 1, 2] and flips channels 0–3', () => {
  const gamma = [-4, -3, -2, -1, 0, 1, 2, 3];
  const beta = [-10, 8, 0.4, 1, -0.01, 0.5, -1, 2.71];
  const { thresholds, flip } = converterThresholds(4, Activation.NONE, gamma, beta);
  assert.deepEqual([...thresholds], [0, 3, 2, 2, INT32_MIN, 2, 1, 2]);
  assert.deepEqual(flip, [true, true, true, true, false, false, false, false]);

  // Run the kernel on a 2×2 single-channel image with every input pattern and check against the float result.
  const c: FloatConvCase = {
    batch: 16, inHeight: 2, inWidth: 2, channelsIn: 1, channelsOut: 8, filterHeight: 2, filterWidth: 2, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'valid', activation: Activation.NONE,
  };
  const inF = new Float32Array(16 * 4);
  for (let n = 0; n < 16; n++) for (let j = 0; j < 4; j++) inF[n * 4 + j] = (n >> j) & 1 ? -1 : 1;
  const filtF = Float32Array.from({ length: 32 }, (_, i) => ((i * 7) % 3 === 0 ? -1 : 1));
  const flipped = filtF.map((v, i) => (flip[Math.floor(i / 4)] ? -v : v));
  const oracle = floatBinaryConv(c, inF, filtF);
  const p = pack(c, inF, flipped);
  const out = new Int32Array(16);
  bconv2dBitpacked(p.geometry, p.input, p.filter, thresholds, out);
  for (let n = 0; n < 16; n++) {
    for (let o = 0; o < 8; o++) {
      const y = oracle.dot[n * 8 + o]! * gamma[o]! + beta[o]!;
      assert.equal((out[n]! >>> o) & 1, y < 0 ? 1 : 0, `input ${n} channel ${o}`);
    }
  }
});

test('thresholds INT32_MIN / INT32_MAX always give −1 / +1', () => {
  const c: FloatConvCase = {
    batch: 1, inHeight: 3, inWidth: 3, channelsIn: 33, channelsOut: 2, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-one', activation: Activation.NONE,
  };
  const rng = makeRng(5);
  const p = pack(c, randomSigns(rng, 9 * 33), randomSigns(rng, 2 * 9 * 33));
  const out = new Int32Array(9);
  bconv2dBitpacked(p.geometry, p.input, p.filter, Int32Array.from([INT32_MIN, INT32_MAX]), out);
  assert.deepEqual([...out], new Array(9).fill(1));
});

test('same-zero, even Cg: out-of-image taps add Cg/2 to accum (LCE reference kernel); a window overflowing both sides stays uncorrected in the float path (LCE default kernel)', () => {
  // 1×1 image, 3×3 SAME filter, Cin = 2, all weights +1, input −1 (bits 1): 8 taps outside, 1 inside.
  const c: FloatConvCase = {
    batch: 1, inHeight: 1, inWidth: 1, channelsIn: 2, channelsOut: 1, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-zero', activation: Activation.NONE,
  };
  const p = pack(c, Float32Array.from([-1, -1]), new Float32Array(18).fill(1));
  const k = backTransformConstant(p.geometry);
  assert.equal(k, 18);
  // accum = 8·1 + 2 = 10; dot = 18 − 20 = −2 (the in-image tap only), as with zero padding.
  assert.equal(bconv2dAccum(p.geometry, p.input, p.filter, 0, 0, 0, 0), 10);
  // LCE's default kernel pads with +1 and corrects only windows that overflow one side per axis: this one
  // overflows all four, so it keeps the same-one value 16 − 2 (as the real LCE does on tiny images).
  const out = new Float32Array(1);
  bconv2dFloat(p.geometry, p.input, p.filter, transformFor(k, c, Float32Array.from([1]), Float32Array.from([0])), out);
  assert.equal(out[0], 16 - 2);
  // With a clamping activation LCE's default kernel refuses same-zero, so the reference kernel's zero padding holds.
  const relu = { ...c, activation: Activation.RELU };
  bconv2dFloat(p.geometry, p.input, p.filter, transformFor(k, relu, Float32Array.from([1]), Float32Array.from([0])), out);
  assert.equal(out[0], 0);
});

test('same-zero float path on a larger image: corrected border pixels are exact zero padding', () => {
  // 5×5 image, 3×3 SAME: every border window overflows one side per axis, so LCE corrects it fully.
  const c: FloatConvCase = {
    batch: 1, inHeight: 5, inWidth: 5, channelsIn: 2, channelsOut: 1, filterHeight: 3, filterWidth: 3, groups: 1,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, pad: 'same-zero', activation: Activation.NONE,
  };
  const p = pack(c, new Float32Array(50).fill(-1), new Float32Array(18).fill(1));
  const out = new Float32Array(25);
  bconv2dFloat(p.geometry, p.input, p.filter, transformFor(18, c, Float32Array.from([1]), Float32Array.from([0])), out);
  // corner: 4 in-image taps × 2 channels × (−1); edge: 6 taps; interior: 9 taps.
  assert.equal(out[0], -8);
  assert.equal(out[1], -12);
  assert.equal(out[6], -18);
});

test('same-zero with an odd channel count (float output, no clamp) follows LCE\'s default kernel (corrected zero padding)', () => {
  const rng = makeRng(6);
  for (let iter = 0; iter < 60; iter++) {
    const c: FloatConvCase = {
      ...randomCase(rng, 'same-zero'), pad: 'same-zero', groups: 1, channelsIn: pick(rng, [1, 3, 31, 33, 65]),
      activation: pick(rng, [Activation.NONE, Activation.TANH, Activation.SIGN_BIT]),
    };
    const inF = randomSigns(rng, c.batch * c.inHeight * c.inWidth * c.channelsIn);
    const filtF = randomSigns(rng, c.channelsOut * c.filterHeight * c.filterWidth * c.channelsIn);
    const oracle = floatBinaryConv(c, inF, filtF, true);
    const p = pack(c, inF, filtF);
    const k = backTransformConstant(p.geometry);
    const out = new Float32Array(oracle.dot.length);
    bconv2dFloat(p.geometry, p.input, p.filter, transformFor(k, c, new Float32Array(c.channelsOut).fill(1), new Float32Array(c.channelsOut)), out);
    for (let i = 0; i < out.length; i++) assert.equal(out[i], oracle.dot[i], `${describe(c)} at ${i}`);
  }
});

test('activation clamp on 2·accum: lo = K − amax, hi = K − amin; TANH/SIGN_BIT/unknown act as NONE', () => {
  const t: BconvOutputTransform = { clampMin: 0, clampMax: 0, multiplier: new Float32Array(1), bias: new Float32Array(1) };
  const one = Float32Array.from([1]);
  const zero = Float32Array.from([0]);
  const cases: [number, number, number, number][] = [
    [Activation.NONE, 9, 0, 18], [Activation.RELU, 9, 0, 9], [Activation.RELU6, 9, 3, 9], [Activation.RELU6, 4, 0, 4],
    [Activation.RELU_N1_TO_1, 9, 8, 10], [Activation.TANH, 9, 0, 18], [Activation.SIGN_BIT, 9, 0, 18], [99, 9, 0, 18],
  ];
  for (const [act, k, lo, hi] of cases) {
    foldOutputTransform(k, act, one, zero, 1, 1, 0, t);
    assert.deepEqual([t.clampMin, t.clampMax], [lo, hi], `activation ${act}, K ${k}`);
    assert.equal(t.multiplier[0], -1);
    assert.equal(t.bias[0], k);
  }
  // Int8: m' = −m/s, b' = (b + K·m)/s + zp, in double then float32.
  foldOutputTransform(5, Activation.NONE, Float32Array.from([0.3]), Float32Array.from([0.1]), 1, 0.05, 7, t);
  assert.equal(t.multiplier[0], Math.fround(-Math.fround(0.3) / 0.05));
  assert.equal(t.bias[0], Math.fround((Math.fround(0.1) + 5 * Math.fround(0.3)) / 0.05 + 7));
  assert.equal(INT32_MAX, 2147483647);
});
