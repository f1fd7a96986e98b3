// `npm run bench:kernels [-- --json] [--isa scalar]`: G binary-MAC/s of LceBconv2d on QuickNet's four 3x3
// binary layers (same-one, float output, one thread) for every binary GEMM variant of the build, next to each
// variant's micro-kernel peak (the GEMM tile loop alone on L1-resident data), measured in the same run.
// Times are the minimum over repeats (the machine is shared; minima are the least noisy statistic).
import { performance } from 'node:perf_hooks';
import { WasmKernels } from '../src/backend/wasm.js';
import { nodeKernelLoader } from '../src/backend/node-loader.js';
import { BGEMM_VARIANTS, PREFERRED_BGEMM, availableIn, type Isa } from '../src/backend/variants.js';
import { bconv2dGeometry, backTransformConstant, foldOutputTransform, type BconvOutputTransform } from '../src/reference/bconv2d.js';
import { Padding } from '../src/ops/common.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const isaArg = args.includes('--isa') ? args[args.indexOf('--isa') + 1] : undefined;
const isa: Isa | undefined = isaArg === 'scalar' || isaArg === 'wasmsimd' ? isaArg : undefined;
const w = await WasmKernels.load({ loader: nodeKernelLoader, ...(isa ? { isa } : {}) });

function randomWords(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 4294967296) | 0;
  return a;
}

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

function transform(k: number, cout: number): BconvOutputTransform {
  const t: BconvOutputTransform = { clampMin: 0, clampMax: 0, multiplier: new Float32Array(cout), bias: new Float32Array(cout) };
  foldOutputTransform(k, 0, new Float32Array(cout).fill(0.01), new Float32Array(cout), cout, 1, 0, t);
  return t;
}

interface PeakResult { variant: string; gmacs: number }
interface LayerResult { layer: string; variant: string; ms: number; gmacs: number; peak: number; ratio: number }

// Micro-kernel peak: 24 rows x 64 words (2048 bits) x 64 channels, accumulators out: ~28 KB, L1-resident.
const PEAK_ROWS = 24, PEAK_K_WORDS = 64, PEAK_N = 64;
const peaks: PeakResult[] = [];
for (const v of availableIn(BGEMM_VARIANTS, w.isa)) {
  const mark = w.mark();
  const g = bconv2dGeometry({
    inputShape: [1, PEAK_ROWS, 1, PEAK_K_WORDS], filterShape: [PEAK_N, 1, 1, PEAK_K_WORDS], channelsIn: PEAK_K_WORDS * 32,
    groups: 1, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: Padding.VALID, padValues: 0,
  });
  const a = w.put(randomWords(PEAK_ROWS * PEAK_K_WORDS));
  const out = w.alloc(PEAK_ROWS * PEAK_N * 4);
  const plan = w.prepareBconv2d({ geometry: g, filter: randomWords(PEAK_N * PEAK_K_WORDS), output: 'accum', variant: v.name, input: a, out });
  const s = timeMin(() => w.runBgemm(plan, a, PEAK_ROWS));
  peaks.push({ variant: v.name, gmacs: (PEAK_ROWS * PEAK_N * PEAK_K_WORDS * 32) / s / 1e9 });
  w.release(mark);
}

const LAYERS = [[56, 64], [28, 128], [14, 256], [7, 512]] as const;
const layers: LayerResult[] = [];
for (const v of availableIn(BGEMM_VARIANTS, w.isa)) {
  const peak = peaks.find((p) => p.variant === v.name)!.gmacs;
  for (const [hw, c] of LAYERS) {
    const mark = w.mark();
    const words = c / 32;
    const g = bconv2dGeometry({
      inputShape: [1, hw, hw, words], filterShape: [c, 3, 3, words], channelsIn: c, groups: 1, strideHeight: 1,
      strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: Padding.SAME, padValues: 1,
    });
    const input = w.put(randomWords(hw * hw * words));
    const out = w.alloc(hw * hw * c * 4);
    const plan = w.prepareBconv2d({
      geometry: g, filter: randomWords(c * 9 * words), output: 'f32', transform: transform(backTransformConstant(g), c),
      variant: v.name, input, out,
    });
    const s = timeMin(() => w.runBconv2dRows(plan), 100, 5);
    const gmacs = (hw * hw * c * c * 9) / s / 1e9;
    layers.push({ layer: `${hw}x${hw}x${c}`, variant: v.name, ms: s * 1e3, gmacs, peak, ratio: gmacs / peak });
    w.release(mark);
  }
}

const best = peaks.reduce((a, b) => (b.gmacs > a.gmacs ? b : a));
if (json) {
  console.log(JSON.stringify({ isa: w.isa, preferred: PREFERRED_BGEMM[w.isa], bestPeak: best, peaks, layers }));
} else {
  console.log(`build: ${w.build}; one thread; min over repeats; preferred = ${PREFERRED_BGEMM[w.isa]}`);
  console.log('\nmicro-kernel peak (L1-resident, G binary-MAC/s)');
  for (const p of peaks) console.log(`  ${p.variant.padEnd(26)} ${p.gmacs.toFixed(1).padStart(7)}`);
  console.log('\nLceBconv2d 3x3 same-one, float output: G binary-MAC/s and % of that variant\'s peak (and of best peak)');
  console.log(`  ${'layer'.padEnd(12)} ${'variant'.padEnd(26)} ${'ms'.padStart(8)} ${'G/s'.padStart(7)} ${'%peak'.padStart(6)} ${'%best'.padStart(6)}`);
  for (const l of layers) {
    console.log(`  ${l.layer.padEnd(12)} ${l.variant.padEnd(26)} ${l.ms.toFixed(3).padStart(8)} ${l.gmacs.toFixed(1).padStart(7)} ${(100 * l.ratio).toFixed(0).padStart(5)}% ${(100 * l.gmacs / best.gmacs).toFixed(0).padStart(5)}%`);
  }
}
