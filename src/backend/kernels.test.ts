// Every wasm kernel variant × every build (SIMD128, relaxed SIMD where it loads, scalar) against the plain-TS
// reference kernels on random shapes: bit-exact for binary and integer outputs and for float outputs computed the
// same way; same-zero padding (a correction added after the transform) within float rounding.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  bconv2dGeometry, backTransformConstant, foldOutputTransform, bconv2dFloat, bconv2dInt8, bconv2dBitpacked,
  type BconvOutputTransform, type Bconv2dGeometry,
} from '../reference/bconv2d.js';
import { bmaxpool2d, bmaxpool2dGeometry } from '../reference/bmaxpool.js';
import { packFloat32, packInt8, unpackFloat32, unpackInt8, int8UnpackValues, bitpackedSize } from '../reference/bitpack.js';
import { Activation, Padding } from '../ops/common.js';
import { WasmKernels, type KernelBuild } from './wasm.js';
import { nodeKernelLoader } from './node-loader.js';
import {
  BGEMM_VARIANTS, PACK_F32_VARIANTS, PACK_I8_VARIANTS, availableIn, type Isa,
} from './variants.js';
import { hasFusedRelaxedMadd, hasRelaxedSimd, hasWasmSimd, hasX86Swizzle } from './features.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random packed words for `rows` rows of `channels` channels, padding bits 0 (the bitpacked invariant). */
function randomPacked(r: () => number, rows: number, channels: number): Int32Array {
  const words = bitpackedSize(channels);
  const out = new Int32Array(rows * words);
  for (let i = 0; i < rows; i++) {
    for (let w = 0; w < words; w++) {
      const bits = Math.min(32, channels - w * 32);
      let x = (Math.floor(r() * 65536) | (Math.floor(r() * 65536) << 16)) >>> 0;
      if (bits < 32) x &= (1 << bits) - 1;
      out[i * words + w] = x | 0;
    }
  }
  return out;
}

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
const kernels = new Map<Isa, WasmKernels>();

before(async () => {
  for (const isa of ISAS) kernels.set(isa, await WasmKernels.load({ loader: nodeKernelLoader, isa }));
});

function k(isa: Isa): WasmKernels {
  const w = kernels.get(isa);
  if (!w) throw new Error(`no ${isa} build loaded`);
  return w;
}

/** The reference kernels' float, int8 and bitpacked outputs of one binary convolution case. */
function referenceOutputs(g: Bconv2dGeometry, input: Int32Array, filter: Int32Array, tf: BconvOutputTransform, ti: BconvOutputTransform,
  thresholds: Int32Array, rows: number, cout: number): { wantF: Float32Array; wantI: Int8Array; wantB: Int32Array } {
  const wantF = new Float32Array(rows * cout);
  bconv2dFloat(g, input, filter, tf, wantF);
  const wantI = new Int8Array(rows * cout);
  bconv2dInt8(g, input, filter, ti, wantI);
  const wantB = new Int32Array(rows * bitpackedSize(cout));
  bconv2dBitpacked(g, input, filter, thresholds, wantB);
  return { wantF, wantI, wantB };
}

describe('kernel builds', () => {
  it('export every listed variant of their ISA and nothing SIMD in the scalar build', () => {
    for (const isa of ISAS) {
      for (const v of availableIn(BGEMM_VARIANTS, isa)) {
        assert.ok(k(isa).has(v.name), `${v.name} in ${isa}`);
        assert.ok(k(isa).has(v.conv), `${v.conv} in ${isa}`);
      }
    }
    if (kernels.has('scalar')) {
      for (const v of BGEMM_VARIANTS.filter((x) => x.isa === 'wasmsimd')) assert.ok(!k('scalar').has(v.name));
    }
  });

  it('tell an x86 engine by relaxed_swizzle (it picks the binary GEMM tile)', () => {
    assert.equal(hasX86Swizzle(), hasRelaxedSimd() && (process.arch === 'x64' || process.arch === 'ia32'));
  });

  it('load a shared-memory build whose memory is a SharedArrayBuffer', async () => {
    const isa = ISAS[0]!;
    const w = await WasmKernels.load({ loader: nodeKernelLoader, isa, shared: true });
    // the default wasmsimd build is the relaxed-SIMD one where relaxed_madd is fused
    const build: KernelBuild = isa === 'wasmsimd' ? (hasFusedRelaxedMadd() ? 'simd-fma-shared' : 'simd-shared') : 'scalar-shared';
    assert.equal(w.build, build);
    assert.ok(w.memory.buffer instanceof SharedArrayBuffer);
    const twin = await WasmKernels.instantiateOn(w.module, w.memory, isa, build);
    const p = w.alloc(64);
    w.f32(p, 4).set([1, -1, 0, -2]);
    const dst = w.alloc(4);
    twin.packF32(p, 1, 4, dst);
    assert.equal(w.i32(dst, 1)[0], 0b1010);
  });
});

const CHANNELS = [1, 31, 32, 33, 65, 96];

describe('bitpack / unpack', () => {
  for (const isa of ISAS) {
    for (const v of availableIn(PACK_F32_VARIANTS, isa)) {
      it(`${v.name} on the ${isa} build equals packFloat32`, () => {
        const w = k(isa);
        const r = rng(1);
        for (const c of CHANNELS) {
          const rows = 3;
          const src = new Float32Array(rows * c).map(() => (r() < 0.1 ? 0 : r() - 0.5));
          const want = new Int32Array(rows * bitpackedSize(c));
          packFloat32(src, rows, c, want);
          const mark = w.mark();
          const ps = w.put(src);
          const pd = w.alloc(want.byteLength);
          w.packF32(ps, rows, c, pd, v.name);
          assert.deepEqual(w.i32(pd, want.length), want, `channels ${c}`);
          w.release(mark);
        }
      });
    }
    for (const v of availableIn(PACK_I8_VARIANTS, isa)) {
      it(`${v.name} on the ${isa} build equals packInt8 for zero points inside and outside int8`, () => {
        const w = k(isa);
        const r = rng(2);
        for (const c of CHANNELS) {
          for (const zp of [0, -5, 17, -128, 127, -300, 300]) {
            const rows = 2;
            const src = new Int8Array(rows * c).map(() => Math.floor(r() * 256) - 128);
            const want = new Int32Array(rows * bitpackedSize(c));
            packInt8(src, rows, c, zp, want);
            const mark = w.mark();
            const ps = w.put(src);
            const pd = w.alloc(want.byteLength);
            w.packI8(ps, rows, c, zp, pd, v.name);
            assert.deepEqual(w.i32(pd, want.length), want, `channels ${c} zp ${zp}`);
            w.release(mark);
          }
        }
      });
    }
    it(`unpack to float32 and int8 on the ${isa} build equals the reference`, () => {
      const w = k(isa);
      const r = rng(3);
      for (const c of CHANNELS) {
        const rows = 3;
        const packed = randomPacked(r, rows, c);
        const wantF = new Float32Array(rows * c);
        unpackFloat32(packed, rows, c, wantF);
        const vals = int8UnpackValues(0.37, -3);
        const wantI = new Int8Array(rows * c);
        unpackInt8(packed, rows, c, vals, wantI);
        const mark = w.mark();
        const ps = w.put(packed);
        const pf = w.alloc(wantF.byteLength);
        const pi = w.alloc(wantI.byteLength);
        w.unpackF32(ps, rows, c, pf);
        w.unpackI8(ps, rows, c, vals.zeroBit, vals.oneBit, pi);
        assert.deepEqual(w.f32(pf, wantF.length), wantF);
        assert.deepEqual(w.i8(pi, wantI.length), wantI);
        w.release(mark);
      }
    });
  }
});

describe('bmaxpool2d', () => {
  for (const isa of ISAS) {
    it(`b1_bmaxpool2d__scalar on the ${isa} build equals the reference`, () => {
      const w = k(isa);
      const r = rng(4);
      for (const [h, wd, c, f, s, pad] of [
        [7, 9, 33, 3, 2, Padding.SAME], [8, 8, 64, 2, 2, Padding.VALID], [5, 3, 1, 3, 1, Padding.SAME],
        [9, 7, 96, 3, 2, Padding.VALID],
      ] as const) {
        const words = bitpackedSize(c);
        const g = bmaxpool2dGeometry([2, h, wd, words], f, f, s, s, pad);
        const input = randomPacked(r, 2 * h * wd, c);
        const want = new Int32Array(g.batch * g.outHeight * g.outWidth * words);
        bmaxpool2d(g, input, want);
        const mark = w.mark();
        const pi = w.put(input);
        const po = w.alloc(want.byteLength);
        w.bmaxpool2d(g, pi, po);
        assert.deepEqual(w.i32(po, want.length), want);
        w.release(mark);
      }
    });
  }
});

interface ConvCase {
  n: number; h: number; w: number; cin: number; cout: number; fh: number; fw: number; s: number; d: number;
  padding: number; padValues: number; groups: number;
  /** Dilation in width when it differs from d. */
  dw?: number;
}

const CONV_CASES: ConvCase[] = [
  { n: 1, h: 5, w: 7, cin: 1, cout: 1, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 2, h: 7, w: 5, cin: 31, cout: 33, fh: 3, fw: 3, s: 2, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 1, h: 9, w: 9, cin: 32, cout: 65, fh: 3, fw: 3, s: 1, d: 2, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 1, h: 6, w: 7, cin: 33, cout: 31, fh: 2, fw: 3, s: 2, d: 1, padding: Padding.VALID, padValues: 0, groups: 1 },
  { n: 1, h: 7, w: 7, cin: 65, cout: 96, fh: 1, fw: 1, s: 1, d: 1, padding: Padding.VALID, padValues: 0, groups: 1 },
  { n: 1, h: 5, w: 5, cin: 128, cout: 32, fh: 1, fw: 1, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 2, h: 5, w: 6, cin: 64, cout: 6, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 2 },
  { n: 1, h: 7, w: 5, cin: 96, cout: 33, fh: 3, fw: 3, s: 2, d: 2, padding: Padding.SAME, padValues: 1, groups: 3 },
  { n: 1, h: 4, w: 4, cin: 1024, cout: 9, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
];
// Stacked mode (one group, dilation_w 1, whole steps of K, output width a multiple of the tile's rows: 12 suits
// every tile): borders, batch 2, odd input width with stride 2, valid, dilation in height only, a 2x3 filter, and
// K of 9 words (odd: two-word tiles fall back to im2col, the others stack).
const STACKED_CASES: ConvCase[] = [
  { n: 2, h: 5, w: 12, cin: 64, cout: 33, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 1, h: 7, w: 23, cin: 33, cout: 17, fh: 3, fw: 3, s: 2, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 2, h: 9, w: 14, cin: 64, cout: 8, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.VALID, padValues: 0, groups: 1 },
  { n: 1, h: 9, w: 12, cin: 64, cout: 9, fh: 3, fw: 3, s: 1, d: 2, dw: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 1, h: 6, w: 12, cin: 31, cout: 31, fh: 2, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
  { n: 1, h: 4, w: 12, cin: 32, cout: 65, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 1, groups: 1 },
];
const SAME_ZERO_CASES: ConvCase[] = [
  { n: 1, h: 7, w: 5, cin: 32, cout: 33, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 0, groups: 1 },
  { n: 2, h: 6, w: 7, cin: 66, cout: 8, fh: 3, fw: 2, s: 2, d: 2, padding: Padding.SAME, padValues: 0, groups: 1 },
  { n: 1, h: 5, w: 5, cin: 64, cout: 12, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 0, groups: 2 },
  { n: 2, h: 6, w: 12, cin: 64, cout: 12, fh: 3, fw: 3, s: 1, d: 1, padding: Padding.SAME, padValues: 0, groups: 1 },
];

function setupCase(c: ConvCase, seed: number) {
  const r = rng(seed);
  const wg = bitpackedSize(c.cin / c.groups);
  const inWords = c.groups * wg;
  const g = bconv2dGeometry({
    inputShape: [c.n, c.h, c.w, inWords], filterShape: [c.cout, c.fh, c.fw, wg], channelsIn: c.cin, groups: c.groups,
    strideHeight: c.s, strideWidth: c.s, dilationHeight: c.d, dilationWidth: c.dw ?? c.d, padding: c.padding,
    padValues: c.padValues,
  });
  // Grouped inputs: each group's channels are a multiple of 32 (LCE's rule), so packing per pixel is uniform.
  const input = randomPacked(r, c.n * c.h * c.w, c.cin);
  const filter = randomPacked(r, c.cout * c.fh * c.fw, c.cin / c.groups);
  const multiplier = new Float32Array(c.cout).map(() => r() * 0.2 - 0.1);
  const bias = new Float32Array(c.cout).map(() => r() * 4 - 2);
  const thresholds = new Int32Array(c.cout).map(() => Math.floor(r() * backTransformConstant(g)));
  if (c.cout > 2) { thresholds[0] = -2147483648; thresholds[1] = 2147483647; }
  return { g, input, filter, multiplier, bias, thresholds };
}

function transformFor(k: number, act: number, mult: Float32Array, bias: Float32Array, cout: number,
  scale: number, zp: number): BconvOutputTransform {
  const t: BconvOutputTransform = {
    clampMin: 0, clampMax: 0, multiplier: new Float32Array(cout), bias: new Float32Array(cout),
  };
  foldOutputTransform(k, act, mult, bias, cout, scale, zp, t);
  return t;
}

// The binary tiles' byte popcount differs between the SIMD128 and the relaxed-SIMD build (popcnt8 in
// src/kernels/gen-bgemm.mjs), so where the relaxed-SIMD build is the default the SIMD128 one is checked as well.
interface BconvBuild { label: KernelBuild; isa: Isa; fma: boolean }
const BCONV_BUILDS: BconvBuild[] = ISAS.flatMap((isa): BconvBuild[] => (isa === 'scalar'
  ? [{ label: 'scalar', isa, fma: false }]
  : [{ label: 'simd', isa, fma: false }, ...(hasFusedRelaxedMadd() ? [{ label: 'simd-fma' as const, isa, fma: true }] : [])]));
const bconvKernels = new Map<string, WasmKernels>();
before(async () => {
  for (const b of BCONV_BUILDS) {
    bconvKernels.set(b.label, await WasmKernels.load({ loader: nodeKernelLoader, isa: b.isa, fma: b.fma }));
  }
});

describe('LceBconv2d kernels', () => {
  for (const { label, isa } of BCONV_BUILDS) {
    for (const v of availableIn(BGEMM_VARIANTS, isa)) {
      it(`${v.conv} on the ${label} build equals the reference (float, int8, bitpacked; groups, stride, dilation)`, () => {
        const w = bconvKernels.get(label)!;
        CONV_CASES.forEach((c, ci) => {
          const { g, input, filter, multiplier, bias, thresholds } = setupCase(c, 100 + ci);
          const kk = backTransformConstant(g);
          const rows = g.batch * g.outHeight * g.outWidth;
          const acts = [Activation.NONE, Activation.RELU, Activation.RELU6, Activation.RELU_N1_TO_1];
          const act = acts[ci % acts.length]!;
          const tf = transformFor(kk, act, multiplier, bias, c.cout, 1, 0);
          const ti = transformFor(kk, act, multiplier, bias, c.cout, 0.05, 3);
          const { wantF, wantI, wantB } = referenceOutputs(g, input, filter, tf, ti, thresholds, rows, c.cout);
          const mark = w.mark();
          const pin = w.put(input);
          for (const [output, want] of [['f32', wantF], ['i8', wantI], ['bits', wantB]] as const) {
            const pout = w.alloc(want.byteLength);
            const plan = w.prepareBconv2d({
              geometry: g, filter, output, variant: v.name, input: pin, out: pout,
              ...(output === 'bits' ? { thresholds } : { transform: output === 'f32' ? tf : ti }),
            });
            // Two row ranges, as two threads would run them.
            const half = Math.floor(rows / 2);
            w.runBconv2dRows(plan, 0, half);
            w.runBconv2dRows(plan, half, rows);
            const got = output === 'f32' ? w.f32(pout, want.length) : output === 'i8' ? w.i8(pout, want.length)
              : w.i32(pout, want.length);
            assert.deepEqual(got, want, `case ${ci} output ${output}`);
          }
          w.release(mark);
        });
      });

      it(`${v.conv} on the ${label} build: stacked mode equals the reference and im2col (borders, batch, stride 2, odd widths)`, () => {
        const w = bconvKernels.get(label)!;
        STACKED_CASES.forEach((c, ci) => {
          const { g, input, filter, multiplier, bias, thresholds } = setupCase(c, 400 + ci);
          const kk = backTransformConstant(g);
          const rows = g.batch * g.outHeight * g.outWidth;
          const tf = transformFor(kk, Activation.NONE, multiplier, bias, c.cout, 1, 0);
          const ti = transformFor(kk, Activation.RELU, multiplier, bias, c.cout, 0.05, 3);
          const { wantF, wantI, wantB } = referenceOutputs(g, input, filter, tf, ti, thresholds, rows, c.cout);
          const mark = w.mark();
          const pin = w.put(input);
          const stackable = (c.fh * c.fw * bitpackedSize(c.cin)) % v.stepWords === 0 && g.outWidth % v.mr === 0;
          for (const [output, want] of [['f32', wantF], ['i8', wantI], ['bits', wantB]] as const) {
            const results = [false, true].map((im2col) => {
              const pout = w.alloc(want.byteLength);
              const plan = w.prepareBconv2d({
                geometry: g, filter, output, variant: v.name, input: pin, out: pout, im2col,
                ...(output === 'bits' ? { thresholds } : { transform: output === 'f32' ? tf : ti }),
              });
              assert.equal(plan.stacked, !im2col && stackable, `case ${ci}: stacked mode where it applies`);
              // Row ranges that start and end inside output rows and at odd rows, as threads may cut them.
              for (const [m0, m1] of [[0, 7], [7, 30], [30, rows]]) w.runBconv2dRows(plan, m0, m1);
              return output === 'f32' ? w.f32(pout, want.length) : output === 'i8' ? w.i8(pout, want.length)
                : w.i32(pout, want.length);
            });
            assert.deepEqual(results[0], want, `case ${ci} output ${output}`);
            assert.deepEqual(results[0], results[1], `case ${ci} output ${output}: stacked equals im2col`);
          }
          w.release(mark);
        });
      });

      it(`${v.conv} on the ${label} build: byte counts at their limit (K = 62 words in one pass, 64 chunked)`, () => {
        // Every input pixel is the complement of channel 0's filter, so that channel's xor is all ones: each byte
        // counter of a one-pass tile reaches 31 steps · 8 = 248, the most a u8 lane may hold.
        const w = bconvKernels.get(label)!;
        for (const words of [62, 64]) {
          const c: ConvCase = { n: 1, h: 3, w: 3, cin: words * 32, cout: 11, fh: 1, fw: 1, s: 1, d: 1, padding: Padding.VALID, padValues: 0, groups: 1 };
          const { g, input, filter, multiplier, bias } = setupCase(c, 300 + words);
          for (let px = 0; px < c.h * c.w; px++) {
            for (let k = 0; k < words; k++) input[px * words + k] = ~filter[k]!;
          }
          const t = transformFor(backTransformConstant(g), Activation.NONE, multiplier, bias, c.cout, 1, 0);
          const want = new Float32Array(c.h * c.w * c.cout);
          bconv2dFloat(g, input, filter, t, want);
          const mark = w.mark();
          const pin = w.put(input);
          const pout = w.alloc(want.byteLength);
          const plan = w.prepareBconv2d({ geometry: g, filter, output: 'f32', transform: t, variant: v.name, input: pin, out: pout });
          w.runBconv2dRows(plan);
          assert.deepEqual(w.f32(pout, want.length), want, `K = ${words} words`);
          w.release(mark);
        }
      });

      it(`${v.conv} on the ${label} build: same-zero padding within float tolerance`, () => {
        const w = bconvKernels.get(label)!;
        SAME_ZERO_CASES.forEach((c, ci) => {
          const { g, input, filter, multiplier, bias } = setupCase(c, 200 + ci);
          const kk = backTransformConstant(g);
          const rows = g.batch * g.outHeight * g.outWidth;
          const t = transformFor(kk, Activation.NONE, multiplier, bias, c.cout, 1, 0);
          const want = new Float32Array(rows * c.cout);
          bconv2dFloat(g, input, filter, t, want);
          const mark = w.mark();
          const pin = w.put(input);
          const pout = w.alloc(want.byteLength);
          const plan = w.prepareBconv2d({ geometry: g, filter, output: 'f32', transform: t, variant: v.name, input: pin, out: pout });
          w.runBconv2dRows(plan);
          const got = w.f32(pout, want.length);
          for (let i = 0; i < want.length; i++) {
            assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `case ${ci} at ${i}: ${got[i]} vs ${want[i]}`);
          }
          w.release(mark);
        });
      });
    }
  }
});
