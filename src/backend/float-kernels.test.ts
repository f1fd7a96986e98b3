// Every float wasm kernel variant × every build (SIMD128 with the f64x2-emulated fused multiply-add, relaxed SIMD
// with f32x4.relaxed_madd where it is fused, scalar) against the plain-TS reference kernels on random
// shapes (channels 1, 3, 31, 33, 65; odd spatial sizes; stride 2; dilation 2; SAME and VALID; every fused
// activation), single-pixel convolutions (the matrix × vector order) and depths that are not a multiple of 4. Every
// kernel sums in the reference's order (which is LCE's x86 TFLite's), so all are compared exactly.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { conv2dFloat, type Conv2DGeometry } from '../reference/conv2d.js';
import { depthwiseConv2dFloat, type DepthwiseConv2DGeometry } from '../reference/depthwise-conv2d.js';
import { fullyConnectedFloat } from '../reference/fully-connected.js';
import { averagePool2dFloat, maxPool2dFloat, type Pool2DGeometry } from '../reference/pool2d.js';
import { Activation, Padding, activationRange, padGeometry } from '../ops/common.js';
import {
  WasmKernels, prepareF32Conv2d, prepareF32FullyConnected, prepareF32Depthwise, prepareF32Pool2d, runF32GemmRows,
  runF32DirectRows, runF32Binary, runF32MeanHw, setF32Io, packF32GemmWeights, prepareF32AddPack, setF32AddPackIo,
} from './wasm.js';
import { nodeKernelLoader } from './node-loader.js';
import {
  F32_GEMM_VARIANTS, F32_DWCONV_VARIANTS, F32_MAXPOOL_VARIANTS, F32_AVGPOOL_VARIANTS, F32_ADD_VARIANTS,
  F32_MUL_VARIANTS, F32_MEAN_HW_VARIANTS, F32_ADD_PACK_VARIANTS, PREFERRED_F32_GEMM, availableIn, type Isa,
} from './variants.js';
import { bitpackedSize, packFloat32 } from '../reference/bitpack.js';
import { hasFusedRelaxedMadd, hasRelaxedSimd, hasWasmSimd } from './features.js';
import { OpPrepareError } from '../errors.js';

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

function randomF32(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

function assertExact(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] === 0 && want[i] === 0)) {
      assert.fail(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const ACTS = [Activation.NONE, Activation.RELU, Activation.RELU_N1_TO_1, Activation.RELU6] as const;
const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
const kernels = new Map<Isa, WasmKernels>();

before(async () => {
  // fma: false: the wasmsimd rows test the SIMD128 build (f64x2-emulated FMA); the relaxed-SIMD build has its own
  for (const isa of ISAS) kernels.set(isa, await WasmKernels.load({ loader: nodeKernelLoader, isa, fma: false }));
});

function k(isa: Isa): WasmKernels {
  const w = kernels.get(isa);
  if (!w) throw new Error(`no ${isa} build loaded`);
  return w;
}

/** Run `fn` with arena space released afterwards (the tests share one arena per build). */
function scoped<T>(w: WasmKernels, fn: () => T): T {
  const mark = w.mark();
  try { return fn(); } finally { w.release(mark); }
}

interface ConvCase {
  batch: number; inH: number; inW: number; inC: number; outC: number; fh: number; fw: number;
  sh: number; sw: number; dh: number; dw: number; padding: number; act: number; bias: boolean;
}

function convGeometry(c: ConvCase): Conv2DGeometry {
  const py = padGeometry(c.padding, c.inH, c.fh, c.sh, c.dh);
  const px = padGeometry(c.padding, c.inW, c.fw, c.sw, c.dw);
  return {
    batch: c.batch, inH: c.inH, inW: c.inW, inC: c.inC, outH: py.out, outW: px.out, outC: c.outC, filterH: c.fh,
    filterW: c.fw, filterC: c.inC, strideH: c.sh, strideW: c.sw, dilationH: c.dh, dilationW: c.dw,
    padTop: py.before, padLeft: px.before,
  };
}

const S = Padding.SAME, V = Padding.VALID;
const CONV_CASES: ConvCase[] = [
  { batch: 1, inH: 7, inW: 9, inC: 1, outC: 3, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padding: S, act: Activation.NONE, bias: true },
  { batch: 1, inH: 5, inW: 5, inC: 3, outC: 31, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S, act: Activation.RELU, bias: true },
  { batch: 2, inH: 9, inW: 7, inC: 65, outC: 33, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 2, padding: V, act: Activation.RELU6, bias: true },
  { batch: 1, inH: 6, inW: 11, inC: 33, outC: 65, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padding: V, act: Activation.RELU_N1_TO_1, bias: true },
  { batch: 1, inH: 11, inW: 5, inC: 31, outC: 17, fh: 1, fw: 1, sh: 2, sw: 2, dh: 1, dw: 1, padding: V, act: Activation.NONE, bias: false },
  { batch: 2, inH: 9, inW: 9, inC: 3, outC: 16, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S, act: Activation.RELU, bias: false },
  { batch: 1, inH: 8, inW: 13, inC: 5, outC: 9, fh: 2, fw: 5, sh: 2, sw: 1, dh: 1, dw: 2, padding: S, act: Activation.RELU6, bias: true },
  { batch: 1, inH: 13, inW: 13, inC: 16, outC: 64, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padding: S, act: Activation.NONE, bias: true },
  { batch: 1, inH: 3, inW: 3, inC: 7, outC: 1, fh: 5, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, padding: S, act: Activation.RELU_N1_TO_1, bias: true },
  // several blocks of rows (K = 27: ~300 rows a block) mixing in-image windows (indirect, no copy) and border rows
  { batch: 1, inH: 41, inW: 39, inC: 3, outC: 16, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S, act: Activation.RELU, bias: true },
  // dilated height, dense width (still indirect), blocks crossing the batch boundary
  { batch: 2, inH: 23, inW: 21, inC: 4, outC: 33, fh: 3, fw: 2, sh: 1, sw: 1, dh: 2, dw: 1, padding: S, act: Activation.NONE, bias: true },
  // one output pixel: matrix × vector (depth 63, 45 with out-of-image taps, 4·k + 1, 1)
  { batch: 1, inH: 3, inW: 3, inC: 7, outC: 33, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padding: V, act: Activation.NONE, bias: true },
  { batch: 1, inH: 2, inW: 2, inC: 5, outC: 17, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S, act: Activation.RELU, bias: false },
  { batch: 1, inH: 5, inW: 5, inC: 65, outC: 31, fh: 3, fw: 3, sh: 2, sw: 2, dh: 2, dw: 2, padding: V, act: Activation.RELU6, bias: true },
  { batch: 1, inH: 1, inW: 1, inC: 1, outC: 3, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padding: V, act: Activation.NONE, bias: true },
];

function checkConv(w: WasmKernels, variant: string, c: ConvCase, seed: number, threads = 1): void {
  scoped(w, () => {
    const r = rng(seed);
    const g = convGeometry(c);
    const input = randomF32(r, g.batch * g.inH * g.inW * g.inC);
    const filter = randomF32(r, g.outC * g.filterH * g.filterW * g.inC);
    const bias = c.bias ? randomF32(r, g.outC) : null;
    const [lo, hi] = activationRange(c.act);
    const size = g.batch * g.outH * g.outW * g.outC;
    const want = new Float32Array(size);
    conv2dFloat(g, input, filter, bias, want, lo, hi);
    const inP = w.put(input);
    const outP = w.alloc(size * 4);
    const plan = prepareF32Conv2d(w, { geometry: g, filter, bias, actMin: lo, actMax: hi, input: inP, out: outP, threads, variant });
    w.f32(outP, size).fill(NaN);
    if (threads === 1) runF32GemmRows(w, plan);
    else {
      // uneven slices in reverse order, each on its own scratch: must equal one pass
      const cuts = [0, Math.floor(plan.rows / 3), Math.floor((2 * plan.rows) / 3) + 1, plan.rows];
      for (let t = threads - 1; t >= 0; t--) runF32GemmRows(w, plan, cuts[t]!, cuts[t + 1]!, t);
    }
    const what = `${variant} conv ${JSON.stringify(c)}`;
    assertExact(w.f32(outP, size).slice(), want, what);
  });
}

/** Row ranges of one plan on a shared-memory build and a twin instance (a worker) equal one pass. */
async function checkTwin(w: WasmKernels): Promise<void> {
  const twin = await WasmKernels.instantiateOn(w.module, w.memory, w.isa, w.build);
  const c = CONV_CASES[2]!;
  const g = convGeometry(c);
  const r = rng(42);
  const input = randomF32(r, g.batch * g.inH * g.inW * g.inC);
  const filter = randomF32(r, g.outC * g.filterH * g.filterW * g.inC);
  const size = g.batch * g.outH * g.outW * g.outC;
  const inP = w.put(input), one = w.alloc(size * 4), two = w.alloc(size * 4);
  const plan = prepareF32Conv2d(w, { geometry: g, filter, bias: null, actMin: 0, actMax: 6, input: inP, out: one, threads: 2 });
  runF32GemmRows(w, plan);
  const single = w.f32(one, size).slice();
  setF32Io(w, plan, inP, two);
  const half = Math.floor(plan.rows / 2);
  runF32GemmRows(twin, plan, half, plan.rows, 1);
  runF32GemmRows(w, plan, 0, half, 0);
  assertExact(w.f32(two, size).slice(), single, 'two instances vs one pass');
}

/** FULLY_CONNECTED through one GEMM variant on shapes with one row, odd depths and odd channel counts. */
function checkFullyConnected(w: WasmKernels, variant: string): void {
  const shapes = [[1, 512, 1000], [3, 65, 33], [5, 1, 7], [2, 31, 1], [1, 31, 17], [1, 3, 65], [1, 1, 5], [4, 130, 9]] as const;
  shapes.forEach(([batches, inDepth, outDepth], i) => scoped(w, () => {
    const r = rng(300 + i);
    const g = { batches, inDepth, outDepth };
    const input = randomF32(r, batches * inDepth), weights = randomF32(r, outDepth * inDepth), bias = randomF32(r, outDepth);
    const [lo, hi] = activationRange(ACTS[i % ACTS.length]!);
    const want = new Float32Array(batches * outDepth);
    fullyConnectedFloat(g, input, weights, bias, want, lo, hi);
    const inP = w.put(input), outP = w.alloc(want.byteLength);
    const plan = prepareF32FullyConnected(w, { geometry: g, weights, bias, actMin: lo, actMax: hi, variant });
    setF32Io(w, plan, inP, outP);
    runF32GemmRows(w, plan);
    assertExact(w.f32(outP, want.length).slice(), want, `${variant} fc ${batches}x${inDepth}→${outDepth}`);
  }));
}

describe('float kernel builds', () => {
  it('export every listed float variant of their ISA, and no SIMD one in the scalar build', () => {
    const simple = [F32_DWCONV_VARIANTS, F32_MAXPOOL_VARIANTS, F32_AVGPOOL_VARIANTS, F32_ADD_VARIANTS, F32_MUL_VARIANTS, F32_MEAN_HW_VARIANTS, F32_ADD_PACK_VARIANTS];
    for (const isa of ISAS) {
      for (const v of availableIn(F32_GEMM_VARIANTS, isa)) {
        assert.ok(k(isa).has(v.name), `${v.name} in ${isa}`);
        assert.ok(k(isa).has(v.conv), `${v.conv} in ${isa}`);
      }
      for (const list of simple) for (const v of availableIn(list, isa)) assert.ok(k(isa).has(v.name), `${v.name} in ${isa}`);
      assert.ok(k(isa).has(PREFERRED_F32_GEMM[isa]));
    }
    if (kernels.has('scalar')) {
      for (const v of F32_GEMM_VARIANTS.filter((x) => x.isa === 'wasmsimd')) assert.ok(!k('scalar').has(v.name));
      for (const list of simple) for (const v of list.filter((x) => x.isa === 'wasmsimd')) assert.ok(!k('scalar').has(v.name));
    }
  });

  it('pack GEMM weights into zero-padded [K][NR] panels', () => {
    const wts = Float32Array.from({ length: 3 * 2 }, (_, i) => i + 1); // 3 channels x K=2
    const { panels, nPadded } = packF32GemmWeights(wts, 3, 2, 2);
    assert.equal(nPadded, 4);
    assert.deepEqual([...panels], [1, 3, 2, 4, 5, 0, 6, 0]);
  });
});

describe('float CONV_2D (packed GEMM)', () => {
  for (const isa of ISAS) {
    it(`${isa} build: every GEMM variant equals the reference on awkward shapes`, () => {
      const w = k(isa);
      for (const v of availableIn(F32_GEMM_VARIANTS, isa)) {
        CONV_CASES.forEach((c, i) => checkConv(w, v.name, c, 100 + i));
      }
    });

    it(`${isa} build: row ranges on separate thread scratch equal one pass`, () => {
      const w = k(isa);
      for (const c of [CONV_CASES[2]!, CONV_CASES[3]!, CONV_CASES[5]!, CONV_CASES[9]!]) checkConv(w, PREFERRED_F32_GEMM[isa], c, 7, 3);
    });
  }

  it('a twin instance on shared memory (a worker) runs row ranges of the same plan identically', async () => {
    const isa = ISAS[0]!;
    await checkTwin(await WasmKernels.load({ loader: nodeKernelLoader, isa, shared: true, fma: false }));
  });

  it('refuses grouped convolutions and empty shapes with a typed error', () => {
    const w = k(ISAS[0]!);
    const g = convGeometry(CONV_CASES[1]!);
    assert.throws(() => prepareF32Conv2d(w, { geometry: { ...g, inC: 6, filterC: 3 }, filter: new Float32Array(999), bias: null, actMin: -Infinity, actMax: Infinity }), OpPrepareError);
    assert.throws(() => prepareF32Conv2d(w, { geometry: { ...g, outH: 0 }, filter: new Float32Array(999), bias: null, actMin: -Infinity, actMax: Infinity }), OpPrepareError);
    assert.throws(() => prepareF32Conv2d(w, { geometry: g, filter: new Float32Array(5), bias: null, actMin: -Infinity, actMax: Infinity }), OpPrepareError);
  });
});

describe('float FULLY_CONNECTED', () => {
  for (const isa of ISAS) {
    it(`${isa} build: every GEMM variant equals the reference`, () => {
      const w = k(isa);
      for (const v of availableIn(F32_GEMM_VARIANTS, isa)) checkFullyConnected(w, v.name);
    });
  }
});

// Only where relaxed_madd is a true fused multiply-add is this build ever selected (or exact); elsewhere the
// tests say why they are skipped.
const FMA_SKIP = !hasRelaxedSimd()
  ? 'relaxed SIMD is unavailable in this runtime (Node 20 needs --experimental-wasm-relaxed-simd, set by node-loader.ts)'
  : !hasFusedRelaxedMadd() ? 'f32x4.relaxed_madd is not fused on this machine (no FMA): the relaxed-SIMD build is never selected' : false;

describe('float relaxed-SIMD build (f32x4.relaxed_madd, fused)', { skip: FMA_SKIP }, () => {
  let fma: WasmKernels | null = null;
  const w = (): WasmKernels => { if (!fma) throw new Error('relaxed-SIMD build not loaded'); return fma; };
  before(async () => { fma = await WasmKernels.load({ loader: nodeKernelLoader, isa: 'wasmsimd', fma: true }); });

  it('is the default SIMD build here, and exports every wasmsimd and scalar float variant', async () => {
    assert.equal(w().build, 'simd-fma');
    assert.equal((await WasmKernels.load({ loader: nodeKernelLoader })).build, 'simd-fma');
    for (const v of F32_GEMM_VARIANTS) assert.ok(w().has(v.name) && w().has(v.conv), `${v.name} in simd-fma`);
    const simple = [F32_DWCONV_VARIANTS, F32_MAXPOOL_VARIANTS, F32_AVGPOOL_VARIANTS, F32_ADD_VARIANTS, F32_MUL_VARIANTS, F32_MEAN_HW_VARIANTS, F32_ADD_PACK_VARIANTS];
    for (const list of simple) for (const v of list) assert.ok(w().has(v.name), `${v.name} in simd-fma`);
  });

  it('every SIMD GEMM variant equals the reference on awkward shapes (CONV_2D)', () => {
    for (const v of F32_GEMM_VARIANTS.filter((x) => x.isa === 'wasmsimd')) {
      CONV_CASES.forEach((c, i) => checkConv(w(), v.name, c, 100 + i));
    }
  });

  it('every SIMD GEMM variant equals the reference (FULLY_CONNECTED)', () => {
    for (const v of F32_GEMM_VARIANTS.filter((x) => x.isa === 'wasmsimd')) checkFullyConnected(w(), v.name);
  });

  it('row ranges on separate thread scratch, and on a twin shared-memory instance, equal one pass', async () => {
    for (const c of [CONV_CASES[2]!, CONV_CASES[3]!, CONV_CASES[5]!, CONV_CASES[9]!]) checkConv(w(), PREFERRED_F32_GEMM.wasmsimd, c, 7, 3);
    const shared = await WasmKernels.load({ loader: nodeKernelLoader, isa: 'wasmsimd', shared: true, fma: true });
    assert.equal(shared.build, 'simd-fma-shared');
    await checkTwin(shared);
  });
});

interface DwCase {
  batch: number; inH: number; inW: number; inC: number; mult: number; fh: number; fw: number;
  sh: number; sw: number; dh: number; dw: number; padding: number;
}
const DW_CASES: DwCase[] = [
  { batch: 1, inH: 7, inW: 9, inC: 1, mult: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padding: S },
  { batch: 2, inH: 9, inW: 9, inC: 3, mult: 1, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S },
  { batch: 1, inH: 11, inW: 7, inC: 31, mult: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 2, padding: S },
  { batch: 1, inH: 8, inW: 9, inC: 33, mult: 1, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: V },
  { batch: 1, inH: 5, inW: 13, inC: 65, mult: 1, fh: 5, fw: 3, sh: 2, sw: 1, dh: 1, dw: 2, padding: S },
  { batch: 1, inH: 6, inW: 5, inC: 3, mult: 2, fh: 3, fw: 3, sh: 1, sw: 2, dh: 1, dw: 1, padding: S },
  { batch: 1, inH: 9, inW: 9, inC: 16, mult: 3, fh: 3, fw: 3, sh: 2, sw: 2, dh: 2, dw: 1, padding: V },
  { batch: 1, inH: 13, inW: 11, inC: 64, mult: 1, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, padding: S },
];

describe('float DEPTHWISE_CONV_2D', () => {
  for (const isa of ISAS) {
    it(`${isa} build: every variant equals the reference (multipliers 1, 2, 3; stride, dilation, paddings, activations)`, () => {
      const w = k(isa);
      for (const v of availableIn(F32_DWCONV_VARIANTS, isa)) {
        DW_CASES.forEach((c, i) => scoped(w, () => {
          const r = rng(500 + i);
          const py = padGeometry(c.padding, c.inH, c.fh, c.sh, c.dh), px = padGeometry(c.padding, c.inW, c.fw, c.sw, c.dw);
          const g: DepthwiseConv2DGeometry = {
            batch: c.batch, inH: c.inH, inW: c.inW, inC: c.inC, outH: py.out, outW: px.out, depthMultiplier: c.mult,
            filterH: c.fh, filterW: c.fw, strideH: c.sh, strideW: c.sw, dilationH: c.dh, dilationW: c.dw,
            padTop: py.before, padLeft: px.before,
          };
          const outC = c.inC * c.mult;
          const input = randomF32(r, c.batch * c.inH * c.inW * c.inC), filter = randomF32(r, c.fh * c.fw * outC);
          const bias = i % 3 === 2 ? null : randomF32(r, outC);
          const [lo, hi] = activationRange(ACTS[i % ACTS.length]!);
          const size = c.batch * g.outH * g.outW * outC;
          const want = new Float32Array(size);
          depthwiseConv2dFloat(g, input, filter, bias, want, lo, hi);
          const inP = w.put(input), outP = w.alloc(size * 4);
          const plan = prepareF32Depthwise(w, { geometry: g, filter, bias, actMin: lo, actMax: hi, input: inP, out: outP, variant: v.name });
          const mid = Math.floor(plan.rows / 2) + 1;
          runF32DirectRows(w, plan, mid, plan.rows);
          runF32DirectRows(w, plan, 0, mid);
          assertExact(w.f32(outP, size).slice(), want, `${v.name} ${JSON.stringify(c)}`);
        }));
      }
    });
  }
});

describe('float MAX_POOL_2D / AVERAGE_POOL_2D', () => {
  const cases = [
    [1, 7, 9, 1, 2, 2, 2, 2, V], [2, 9, 7, 3, 3, 3, 2, 2, S], [1, 8, 8, 31, 3, 3, 1, 1, S], [1, 5, 11, 33, 2, 3, 2, 1, S],
    [1, 7, 7, 65, 7, 7, 1, 1, V], [1, 56, 56, 64, 2, 2, 1, 1, V], [1, 6, 5, 16, 3, 2, 2, 2, S],
  ] as const;
  for (const isa of ISAS) {
    for (const kind of ['max', 'average'] as const) {
      it(`${isa} build: ${kind} pool variants equal the reference (windows clipped to the image)`, () => {
        const w = k(isa);
        for (const v of availableIn(kind === 'max' ? F32_MAXPOOL_VARIANTS : F32_AVGPOOL_VARIANTS, isa)) {
          cases.forEach(([batch, inH, inW, channels, fh, fw, sh, sw, pad], i) => scoped(w, () => {
            const r = rng(700 + i);
            const py = padGeometry(pad, inH, fh, sh, 1), px = padGeometry(pad, inW, fw, sw, 1);
            const g: Pool2DGeometry = {
              batch, inH, inW, channels, outH: py.out, outW: px.out, filterH: fh, filterW: fw, strideH: sh, strideW: sw,
              padTop: py.before, padLeft: px.before,
            };
            const input = randomF32(r, batch * inH * inW * channels, 8);
            const [lo, hi] = activationRange(ACTS[i % ACTS.length]!);
            const size = batch * g.outH * g.outW * channels;
            const want = new Float32Array(size);
            (kind === 'max' ? maxPool2dFloat : averagePool2dFloat)(g, input, want, lo, hi);
            const inP = w.put(input), outP = w.alloc(size * 4);
            const plan = prepareF32Pool2d(w, { geometry: g, kind, actMin: lo, actMax: hi, input: inP, out: outP, variant: v.name });
            const cut = Math.min(3, plan.rows);
            runF32DirectRows(w, plan, 0, cut);
            runF32DirectRows(w, plan, cut, plan.rows);
            const got = w.f32(outP, size).slice();
            const what = `${v.name} ${[batch, inH, inW, channels, fh, fw, sh, sw, pad].join(',')}`;
            assertExact(got, want, what);
          }));
        }
      });
    }
  }
});

describe('float ADD / MUL', () => {
  for (const isa of ISAS) {
    it(`${isa} build: same shape, per-channel and scalar broadcast, every activation, row ranges (exact)`, () => {
      const w = k(isa);
      for (const op of ['add', 'mul'] as const) {
        for (const v of availableIn(op === 'add' ? F32_ADD_VARIANTS : F32_MUL_VARIANTS, isa)) {
          const shapes = [[7, 1, false], [9, 31, false], [5, 33, true], [3, 65, true], [13, 3, true], [37, 1, true], [4, 64, false]] as const;
          shapes.forEach(([rows, channels, broadcast], i) => scoped(w, () => {
            const r = rng(900 + i);
            const a = randomF32(r, rows * channels, 4), b = randomF32(r, broadcast ? channels : rows * channels, 4);
            const act = ACTS[i % ACTS.length]!;
            const [lo, hi] = activationRange(act);
            const want = new Float32Array(rows * channels);
            for (let j = 0; j < want.length; j++) {
              const y = b[broadcast ? j % channels : j]!;
              const x = op === 'add' ? a[j]! + y : a[j]! * y;
              want[j] = x < lo ? lo : x > hi ? hi : x;
            }
            const aP = w.put(a), bP = w.put(b), outP = w.alloc(want.byteLength);
            const args = { op, a: aP, b: bP, out: outP, rows, channels, broadcast, actMin: lo, actMax: hi, variant: v.name };
            const mid = Math.floor(rows / 2);
            runF32Binary(w, args, mid, rows);
            runF32Binary(w, args, 0, mid);
            assertExact(w.f32(outP, want.length).slice(), want, `${v.name} ${rows}x${channels}${broadcast ? ' broadcast' : ''}`);
          }));
        }
      }
    });
  }
});

describe('float ADD + LceQuantize (f32_add_pack)', () => {
  for (const isa of ISAS) {
    it(`${isa} build: the ADD's float output and LceQuantize's packed words of it, row ranges (exact)`, () => {
      const w = k(isa);
      for (const v of availableIn(F32_ADD_PACK_VARIANTS, isa)) {
        const shapes = [[7, 1, false], [9, 31, false], [5, 33, true], [3, 65, true], [13, 3, true], [4, 64, false], [6, 96, false], [2, 128, true]] as const;
        shapes.forEach(([rows, channels, broadcast], i) => scoped(w, () => {
          const r = rng(950 + i);
          const a = randomF32(r, rows * channels, 4), b = randomF32(r, broadcast ? channels : rows * channels, 4);
          // exact zeros and a NaN: -0 and NaN are not < 0, so their bits are 0 as in LceQuantize
          a[0] = -0; if (!broadcast) b[0] = 0;
          a[a.length - 1] = NaN;
          const [lo, hi] = activationRange(ACTS[i % ACTS.length]!);
          const want = new Float32Array(rows * channels);
          for (let j = 0; j < want.length; j++) {
            const x = Math.fround(a[j]! + b[broadcast ? j % channels : j]!);
            want[j] = x < lo ? lo : x > hi ? hi : x;
          }
          const words = bitpackedSize(channels);
          const wantBits = new Int32Array(rows * words);
          packFloat32(want, rows, channels, wantBits);
          const aP = w.put(a), bP = w.put(b), outP = w.alloc(want.byteLength), bitsP = w.alloc(wantBits.byteLength);
          w.i32(bitsP, wantBits.length).fill(-1);
          const plan = prepareF32AddPack(w, { rows, channels, broadcast, actMin: lo, actMax: hi, variant: v.name });
          setF32AddPackIo(w, plan, aP, bP, outP, bitsP);
          const mid = Math.floor(rows / 2);
          w.invoke(plan.kernel, plan.desc, mid, rows, 0);
          w.invoke(plan.kernel, plan.desc, 0, mid, 0);
          const what = `${v.name} ${rows}x${channels}${broadcast ? ' broadcast' : ''}`;
          assertExact(w.f32(outP, want.length).slice(), want, what);
          assert.deepEqual(w.i32(bitsP, wantBits.length).slice(), wantBits, `${what}: packed words`);
        }));
      }
    });
  }
});

describe('float MEAN over H,W', () => {
  for (const isa of ISAS) {
    it(`${isa} build: equals float32 sums in pixel order divided by the count (exact)`, () => {
      const w = k(isa);
      for (const v of availableIn(F32_MEAN_HW_VARIANTS, isa)) {
        const shapes = [[1, 7, 7, 512], [2, 5, 3, 1], [3, 3, 3, 31], [1, 9, 1, 33], [2, 2, 2, 65]] as const;
        shapes.forEach(([batch, h, wd, channels], i) => scoped(w, () => {
          const r = rng(1100 + i);
          const plane = h * wd;
          const input = randomF32(r, batch * plane * channels, 3);
          const want = new Float32Array(batch * channels);
          for (let n = 0; n < batch; n++) {
            for (let c = 0; c < channels; c++) {
              let s = 0;
              for (let p = 0; p < plane; p++) s = Math.fround(s + input[(n * plane + p) * channels + c]!);
              want[n * channels + c] = Math.fround(s / plane);
            }
          }
          const inP = w.put(input), outP = w.alloc(want.byteLength);
          const args = { input: inP, out: outP, batch, plane, channels, variant: v.name };
          runF32MeanHw(w, args, 0, 1);
          runF32MeanHw(w, args, 1, batch);
          assertExact(w.f32(outP, want.length).slice(), want, `${v.name} ${batch}x${h}x${wd}x${channels}`);
        }));
      }
    });
  }
});
