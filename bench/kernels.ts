// `npm run bench:kernels [-- --json] [--isa scalar]`: G binary-MAC/s of LceBconv2d on QuickNet's four 3x3
// binary layers (same-one, float output, one thread) for every binary GEMM variant of the build, next to each
// variant's micro-kernel peak (the GEMM tile loop alone on L1-resident data), measured in the same run.
// Ends with the 56x56x64 layer on two threads against one (bench/threads.ts).
// Times are the minimum over repeats (the machine is shared; minima are the least noisy statistic). The headline
// (preferred tile: peak and the four layers) is measured interleaved, so the VM's speed phases hit all five alike.
import { performance } from 'node:perf_hooks';
import { WasmKernels } from '../src/backend/wasm.js';
import { nodeKernelLoader } from '../src/backend/node-loader.js';
import { BGEMM_VARIANTS, availableIn, preferredBgemm, type Isa } from '../src/backend/variants.js';
import { hasX86Swizzle } from '../src/backend/features.js';
import { bconv2dGeometry, backTransformConstant } from '../src/reference/bconv2d.js';
import { Padding } from '../src/ops/common.js';
import {
  prepareF32Conv2d, prepareF32FullyConnected, prepareF32Depthwise, prepareF32Pool2d, runF32GemmRows, runF32Gemm,
  runF32DirectRows, runF32MeanHw,
} from '../src/backend/wasm.js';
import { F32_GEMM_VARIANTS, PREFERRED_F32_GEMM } from '../src/backend/variants.js';
import { padGeometry } from '../src/ops/common.js';
import { measureTwoThreadScaling } from './threads.js';
import { floatTransform, randomWords } from './binary-layer.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const isaArg = args.includes('--isa') ? args[args.indexOf('--isa') + 1] : undefined;
const isa: Isa | undefined = isaArg === 'scalar' || isaArg === 'wasmsimd' ? isaArg : undefined;
const w = await WasmKernels.load({ loader: nodeKernelLoader, ...(isa ? { isa } : {}) });

/** Best seconds per call of fn over `repeats` timed batches of ~targetMs each. */
function timeMin(fn: () => void, targetMs = 60, repeats = 7): number {
  fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t0 > targetMs / 4) break;
    calls *= 2;
  }
  calls = Math.max(1, Math.round(calls * 4));
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (performance.now() - t0) / calls);
  }
  return best / 1000;
}

interface PeakResult { variant: string; gmacs: number }
interface LayerResult { layer: string; variant: string; ms: number; gmacs: number; peak: number; ratio: number }

// Micro-kernel peak: 24 rows x 64 words (2048 bits) x 64 channels, accumulators out: ~28 KB, L1-resident.
const PEAK_ROWS = 24, PEAK_K_WORDS = 64, PEAK_N = 64;
const PEAK_MACS = PEAK_ROWS * PEAK_N * PEAK_K_WORDS * 32;
/** One call of the variant's GEMM tile loop on the peak case (allocates in wasm memory: release with a mark). */
function peakCall(variant: string): () => void {
  const g = bconv2dGeometry({
    inputShape: [1, PEAK_ROWS, 1, PEAK_K_WORDS], filterShape: [PEAK_N, 1, 1, PEAK_K_WORDS], channelsIn: PEAK_K_WORDS * 32,
    groups: 1, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: Padding.VALID, padValues: 0,
  });
  const a = w.put(randomWords(PEAK_ROWS * PEAK_K_WORDS));
  const out = w.alloc(PEAK_ROWS * PEAK_N * 4);
  const plan = w.prepareBconv2d({ geometry: g, filter: randomWords(PEAK_N * PEAK_K_WORDS), output: 'accum', variant, input: a, out });
  return () => w.runBgemm(plan, a, PEAK_ROWS);
}

const LAYERS = [[56, 64], [28, 128], [14, 256], [7, 512]] as const;
const layerMacs = (hw: number, c: number): number => hw * hw * c * c * 9;
/** One call of LceBconv2d on a QuickNet 3x3 layer (same-one, float output) with the variant (release with a mark). */
function layerCall(variant: string, hw: number, c: number): () => void {
  const words = c / 32;
  const g = bconv2dGeometry({
    inputShape: [1, hw, hw, words], filterShape: [c, 3, 3, words], channelsIn: c, groups: 1, strideHeight: 1,
    strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: Padding.SAME, padValues: 1,
  });
  const plan = w.prepareBconv2d({
    geometry: g, filter: randomWords(c * 9 * words), output: 'f32', transform: floatTransform(backTransformConstant(g), c),
    variant, input: w.put(randomWords(hw * hw * words)), out: w.alloc(hw * hw * c * 4),
  });
  return () => w.runBconv2dRows(plan);
}

const peaks: PeakResult[] = [];
for (const v of availableIn(BGEMM_VARIANTS, w.isa)) {
  const mark = w.mark();
  const s = timeMin(peakCall(v.name));
  peaks.push({ variant: v.name, gmacs: PEAK_MACS / s / 1e9 });
  w.release(mark);
}

const layers: LayerResult[] = [];
for (const v of availableIn(BGEMM_VARIANTS, w.isa)) {
  const peak = peaks.find((p) => p.variant === v.name)!.gmacs;
  for (const [hw, c] of LAYERS) {
    const mark = w.mark();
    const s = timeMin(layerCall(v.name, hw, c), 100, 5);
    const gmacs = layerMacs(hw, c) / s / 1e9;
    layers.push({ layer: `${hw}x${hw}x${c}`, variant: v.name, ms: s * 1e3, gmacs, peak, ratio: gmacs / peak });
    w.release(mark);
  }
}

// ---- float rows: QuickNet's float layers (larq_zoo sota/quicknet.py: stem 3x3/2 conv 3→16 and depthwise 3x3/2,
// 1x1 convs 16→64 at 56x56 and the transitions 64→128, 128→256, 256→512 after the 3x3/2 blur-pool depthwise,
// 2x2/1 max pool, global average pool, dense 512→1000) in G FLOP/s (2 per MAC), next to each float GEMM
// variant's micro-kernel peak (24 rows x K 64 x 64 channels, L1-resident).
interface FloatRow { layer: string; variant: string; ms: number; gflops: number; peak: number; ratio: number }
const randomF32 = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const f32Peaks: { variant: string; gflops: number }[] = [];
for (const v of availableIn(F32_GEMM_VARIANTS, w.isa)) {
  const mark = w.mark();
  const [rows, kk, n] = [24, 64, 64];
  const a = w.put(randomF32(rows * kk));
  const out = w.alloc(rows * n * 4);
  const plan = prepareF32FullyConnected(w, {
    geometry: { batches: rows, inDepth: kk, outDepth: n }, weights: randomF32(n * kk), bias: null, actMin: -Infinity,
    actMax: Infinity, variant: v.name, input: a, out,
  });
  // many short batches: on a shared machine the minimum needs a quiet slice to land in
  const s = timeMin(() => runF32Gemm(w, plan, a, rows), 20, 25);
  f32Peaks.push({ variant: v.name, gflops: (2 * rows * n * kk) / s / 1e9 });
  w.release(mark);
}
const F32_CONVS = [
  // [name, in H=W, in C, out C, filter, stride]
  ['stem 224x224x3→16 3x3/2', 224, 3, 16, 3, 2],
  ['1x1 56x56x16→64', 56, 16, 64, 1, 1],
  ['1x1 28x28x64→128', 28, 64, 128, 1, 1],
  ['1x1 14x14x128→256', 14, 128, 256, 1, 1],
  ['1x1 7x7x256→512', 7, 256, 512, 1, 1],
] as const;
const floatRows: FloatRow[] = [];
for (const v of availableIn(F32_GEMM_VARIANTS, w.isa)) {
  const peak = f32Peaks.find((p) => p.variant === v.name)!.gflops;
  for (const [name, hw, cin, cout, f, stride] of F32_CONVS) {
    const mark = w.mark();
    const pg = padGeometry(Padding.SAME, hw, f, stride, 1);
    const geometry = {
      batch: 1, inH: hw, inW: hw, inC: cin, outH: pg.out, outW: pg.out, outC: cout, filterH: f, filterW: f, filterC: cin,
      strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, padTop: pg.before, padLeft: pg.before,
    };
    const input = w.put(randomF32(hw * hw * cin));
    const out = w.alloc(pg.out * pg.out * cout * 4);
    const plan = prepareF32Conv2d(w, {
      geometry, filter: randomF32(cout * f * f * cin), bias: randomF32(cout), actMin: 0, actMax: Infinity, variant: v.name, input, out,
    });
    const s = timeMin(() => runF32GemmRows(w, plan), 40, 12);
    const gflops = (2 * pg.out * pg.out * cout * f * f * cin) / s / 1e9;
    floatRows.push({ layer: name, variant: v.name, ms: s * 1e3, gflops, peak, ratio: gflops / peak });
    w.release(mark);
  }
  {
    const mark = w.mark();
    const input = w.put(randomF32(512));
    const out = w.alloc(1000 * 4);
    const plan = prepareF32FullyConnected(w, {
      geometry: { batches: 1, inDepth: 512, outDepth: 1000 }, weights: randomF32(512 * 1000), bias: randomF32(1000),
      actMin: -Infinity, actMax: Infinity, variant: v.name, input, out,
    });
    const s = timeMin(() => runF32GemmRows(w, plan), 40, 12);
    const gflops = (2 * 512 * 1000) / s / 1e9;
    floatRows.push({ layer: 'dense 512→1000', variant: v.name, ms: s * 1e3, gflops, peak, ratio: gflops / peak });
    w.release(mark);
  }
}
// Direct float kernels of QuickNet (the build's own variant): FLOP counts 2 per MAC, 1 per compared/summed element.
const directRows: { layer: string; kernel: string; ms: number; gflops: number }[] = [];
for (const [name, hw, c, stride] of [['dw 3x3/2 112x112x16', 112, 16, 2], ['dw 3x3/2 55x55x64', 55, 64, 2], ['dw 3x3/2 27x27x128', 27, 128, 2]] as const) {
  const mark = w.mark();
  const pg = padGeometry(Padding.SAME, hw, 3, stride, 1);
  const geometry = {
    batch: 1, inH: hw, inW: hw, inC: c, outH: pg.out, outW: pg.out, depthMultiplier: 1, filterH: 3, filterW: 3,
    strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, padTop: pg.before, padLeft: pg.before,
  };
  const plan = prepareF32Depthwise(w, {
    geometry, filter: randomF32(9 * c), bias: null, actMin: -Infinity, actMax: Infinity,
    input: w.put(randomF32(hw * hw * c)), out: w.alloc(pg.out * pg.out * c * 4),
  });
  const s = timeMin(() => runF32DirectRows(w, plan), 30, 12);
  directRows.push({ layer: name, kernel: plan.kernel, ms: s * 1e3, gflops: (2 * 9 * pg.out * pg.out * c) / s / 1e9 });
  w.release(mark);
}
{
  const mark = w.mark();
  const plan = prepareF32Pool2d(w, {
    geometry: { batch: 1, inH: 56, inW: 56, channels: 64, outH: 55, outW: 55, filterH: 2, filterW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 },
    kind: 'max', actMin: -Infinity, actMax: Infinity, input: w.put(randomF32(56 * 56 * 64)), out: w.alloc(55 * 55 * 64 * 4),
  });
  const s = timeMin(() => runF32DirectRows(w, plan), 30, 12);
  directRows.push({ layer: 'maxpool 2x2/1 56x56x64', kernel: plan.kernel, ms: s * 1e3, gflops: (4 * 55 * 55 * 64) / s / 1e9 });
  const args = { input: w.put(randomF32(7 * 7 * 512)), out: w.alloc(512 * 4), batch: 1, plane: 49, channels: 512 };
  const sm = timeMin(() => runF32MeanHw(w, args), 30, 12);
  directRows.push({ layer: 'mean 7x7x512', kernel: `f32_mean_hw__${w.isa}`, ms: sm * 1e3, gflops: (49 * 512) / sm / 1e9 });
  w.release(mark);
}

// ---- the headline: the preferred tile's peak and QuickNet's four layers measured interleaved (every round times
// each of the five once, min over rounds), so a speed phase of this shared VM hits the peak and the layers alike;
// measured one after the other above, the ratios move with the phases.
interface Headline { variant: string; rounds: number; peak: number; layers: { layer: string; ms: number; gmacs: number; ratio: number }[] }
function interleavedHeadline(rounds: number): Headline {
  const variant = preferredBgemm(w.isa, hasX86Swizzle());
  const mark = w.mark();
  const cases: { label: string; macs: number; calls: number; fn: () => void }[] = [
    { label: 'peak', macs: PEAK_MACS, calls: 200, fn: peakCall(variant) },
    ...LAYERS.map(([hw, c]) => ({ label: `${hw}x${hw}x${c}`, macs: layerMacs(hw, c), calls: 3, fn: layerCall(variant, hw, c) })),
  ];
  const bestSec = cases.map(() => Infinity);
  for (const c of cases) c.fn();
  for (let r = 0; r < rounds; r++) {
    cases.forEach((c, i) => {
      const t0 = performance.now();
      for (let k = 0; k < c.calls; k++) c.fn();
      bestSec[i] = Math.min(bestSec[i]!, (performance.now() - t0) / c.calls / 1e3);
    });
  }
  w.release(mark);
  const peak = cases[0]!.macs / bestSec[0]! / 1e9;
  return {
    variant, rounds, peak,
    layers: cases.slice(1).map((c, i) => {
      const gmacs = c.macs / bestSec[i + 1]! / 1e9;
      return { layer: c.label, ms: bestSec[i + 1]! * 1e3, gmacs, ratio: gmacs / peak };
    }),
  };
}
const headline = interleavedHeadline(100);

const best = peaks.reduce((a, b) => (b.gmacs > a.gmacs ? b : a));
const twoThreads = await measureTwoThreadScaling(isa);

if (json) {
  console.log(JSON.stringify({
    isa: w.isa, preferred: preferredBgemm(w.isa, hasX86Swizzle()), headline, bestPeak: best, peaks, layers, twoThreads,
    float: { preferred: PREFERRED_F32_GEMM[w.isa], peaks: f32Peaks, layers: floatRows, direct: directRows },
  }));
} else {
  console.log(`build: ${w.build}; one thread; min over repeats; preferred = ${preferredBgemm(w.isa, hasX86Swizzle())}`);
  console.log(`\npreferred tile ${headline.variant}, interleaved (min of ${headline.rounds} rounds; issue 4 target: 3x3 layers >= 80 % of peak)`);
  console.log(`  micro-kernel peak ${headline.peak.toFixed(1)} G binary-MAC/s`);
  for (const l of headline.layers) {
    console.log(`  ${l.layer.padEnd(12)} ${l.ms.toFixed(3).padStart(8)} ms ${l.gmacs.toFixed(1).padStart(7)} G/s ${(100 * l.ratio).toFixed(0).padStart(5)}% of peak`);
  }
  console.log('\nevery variant, measured one after the other (the ratios move with the VM\'s speed phases)');
  console.log('micro-kernel peak (L1-resident, G binary-MAC/s)');
  for (const p of peaks) console.log(`  ${p.variant.padEnd(30)} ${p.gmacs.toFixed(1).padStart(7)}`);
  console.log('\nLceBconv2d 3x3 same-one, float output: G binary-MAC/s and % of that variant\'s peak (and of best peak)');
  console.log(`  ${'layer'.padEnd(12)} ${'variant'.padEnd(30)} ${'ms'.padStart(8)} ${'G/s'.padStart(7)} ${'%peak'.padStart(6)} ${'%best'.padStart(6)}`);
  for (const l of layers) {
    console.log(`  ${l.layer.padEnd(12)} ${l.variant.padEnd(30)} ${l.ms.toFixed(3).padStart(8)} ${l.gmacs.toFixed(1).padStart(7)} ${(100 * l.ratio).toFixed(0).padStart(5)}% ${(100 * l.gmacs / best.gmacs).toFixed(0).padStart(5)}%`);
  }
  console.log(`\nfloat GEMM micro-kernel peak (L1-resident, G FLOP/s); preferred = ${PREFERRED_F32_GEMM[w.isa]}`);
  for (const p of f32Peaks) console.log(`  ${p.variant.padEnd(26)} ${p.gflops.toFixed(1).padStart(7)}`);
  console.log('\nQuickNet float layers (CONV_2D / FULLY_CONNECTED, bias + ReLU fused): G FLOP/s and % of that variant\'s peak');
  console.log(`  ${'layer'.padEnd(26)} ${'variant'.padEnd(26)} ${'ms'.padStart(8)} ${'G/s'.padStart(7)} ${'%peak'.padStart(6)}`);
  for (const l of floatRows) {
    console.log(`  ${l.layer.padEnd(26)} ${l.variant.padEnd(26)} ${l.ms.toFixed(3).padStart(8)} ${l.gflops.toFixed(1).padStart(7)} ${(100 * l.ratio).toFixed(0).padStart(5)}%`);
  }
  console.log('\nQuickNet direct float kernels (G FLOP/s; pools and mean: G elements/s)');
  for (const l of directRows) console.log(`  ${l.layer.padEnd(26)} ${l.kernel.padEnd(26)} ${l.ms.toFixed(3).padStart(8)} ${l.gflops.toFixed(1).padStart(7)}`);
  console.log('\ntwo threads (worker pool on shared memory, split by output rows; blocks of ten one-thread calls, worker asleep, and ten two-thread calls, worker polling, alternating)');
  if (twoThreads) {
    const t = twoThreads;
    console.log(`  ${t.layer.padEnd(12)} ${t.variant.padEnd(26)} min: 1 thread ${t.oneThreadMs.toFixed(3)} ms, 2 threads ${t.twoThreadMs.toFixed(3)} ms: ${t.speedup.toFixed(2)}x; ` +
      `median: ${t.oneThreadMedianMs.toFixed(3)} / ${t.twoThreadMedianMs.toFixed(3)} ms: ${t.medianSpeedup.toFixed(2)}x (target: median speedup >= 1.8x)`);
  } else {
    console.log('  n/a: no SharedArrayBuffer in this runtime');
  }
}
