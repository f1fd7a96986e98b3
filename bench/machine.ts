// `npm run bench:machine [-- --seconds S] [--threads N] [model.tflite]`: is a slow run lce-js's fault or the
// machine's? Alternates a fixed plain-JavaScript arithmetic loop (no wasm, no memory traffic: its time can only
// change with the CPU throughput the machine gives this process) with one inference of the model (default: the
// corpus QuickNet), for S seconds. Prints both distributions, their correlation, and the model's latency split by
// the loop's speed at the time. On a VM whose host throttles or shares the core, both move together.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from '../src/node.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const seconds = Number(flag('--seconds') ?? 20);
const threads = Number(flag('--threads') ?? 1);
const model = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--'))) ?? 'test/fixtures/zoo/QuickNet/lce.tflite';
if (!existsSync(model)) {
  console.error(`bench:machine: ${model} not found`);
  process.exit(1);
}

// Fixed work: 4096 doubles stay in L1; a data-dependent index stops the JIT from folding the loop away.
const table = new Float64Array(4096).map((_, i) => ((i * 2654435761) % 1000) / 1000);
function calibrationLoop(): number {
  let s = 0;
  for (let r = 0; r < 600; r++) for (let i = 0; i < 4096; i++) s += table[i]! * table[(i * 7 + r) & 4095]!;
  return s;
}

const session = await InferenceSession.create(readFileSync(model), { numThreads: threads });
const meta = session.inputMetadata[0]!;
const dims = meta.dims.map((d) => (d > 0 ? d : 1));
const size = dims.reduce((a, b) => a * b, 1);
const data = meta.type === 'int8' ? new Int8Array(size).map((_, i) => (i * 37) % 255 - 127) : new Float32Array(size).map((_, i) => Math.sin(i));
const feeds = { [meta.name]: new Tensor(meta.type, data, dims) };

let sink = 0;
for (let i = 0; i < 5; i++) {
  sink += calibrationLoop();
  await session.run(feeds);
}
const loopMs: number[] = [];
const modelMs: number[] = [];
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  let t = performance.now();
  sink += calibrationLoop();
  loopMs.push(performance.now() - t);
  t = performance.now();
  await session.run(feeds);
  modelMs.push(performance.now() - t);
}
await session.release();
if (!Number.isFinite(sink)) throw new Error('calibration loop produced a non-finite sum');

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const row = (name: string, xs: number[]): string =>
  `${name.padEnd(24)} min ${quantile(xs, 0).toFixed(2).padStart(7)}  p10 ${quantile(xs, 0.1).toFixed(2).padStart(7)}  median ${quantile(xs, 0.5).toFixed(2).padStart(7)}  p90 ${quantile(xs, 0.9).toFixed(2).padStart(7)}  max ${quantile(xs, 1).toFixed(2).padStart(7)} ms`;

const mx = mean(loopMs);
const my = mean(modelMs);
let sxy = 0;
let sxx = 0;
let syy = 0;
for (let i = 0; i < loopMs.length; i++) {
  sxy += (loopMs[i]! - mx) * (modelMs[i]! - my);
  sxx += (loopMs[i]! - mx) ** 2;
  syy += (modelMs[i]! - my) ** 2;
}
const correlation = sxy / Math.sqrt(sxx * syy);
// "Fast" = the loop within 15 % of its best time: the machine at full speed.
const fastLimit = quantile(loopMs, 0) * 1.15;
const fast = modelMs.filter((_, i) => loopMs[i]! <= fastLimit);
const slow = modelMs.filter((_, i) => loopMs[i]! > fastLimit);

console.log(`${model}, ${threads} thread(s), ${loopMs.length} alternating pairs in ${seconds} s`);
console.log(row('plain JS loop', loopMs));
console.log(row('model inference', modelMs));
console.log(`correlation of the two per pair: ${correlation.toFixed(2)}`);
console.log(`loop at full speed (<= ${fastLimit.toFixed(2)} ms) in ${fast.length} of ${loopMs.length} pairs: model median ${fast.length ? quantile(fast, 0.5).toFixed(2) : '-'} ms; otherwise median ${slow.length ? quantile(slow, 0.5).toFixed(2) : '-'} ms`);
