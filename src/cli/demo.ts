/**
 * `npm start`: the demo on bundled data. Converts the MNIST BNN of the oracle corpus (a Larq model trained with
 * Keras, test/fixtures/mnist) with lce-js's own converter, runs it on the 2 000 held-out digits, and compares
 * accuracy with Keras's and predictions with the real LCE's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LceError } from '../errors.js';
import { parseNpy } from '../format/npy.js';
import { convertKeras } from '../converter/convert.js';
import { InferenceSession } from '../runtime/session.js';
import { Tensor } from '../runtime/tensor.js';
import { bar } from './bench.js';
import { formatLintReport, lintKerasFile } from '../analyze/index.js';

interface MnistEntry {
  group: string;
  dir: string;
  files: { h5?: string; tflite: string; test_set?: Record<string, string> };
}

function argmax(a: Float32Array, from: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[from + i]! > a[from + b]!) b = i;
  return b;
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { fixtures: { type: 'string' }, limit: { type: 'string' } } });
  const root = values.fixtures ?? join(process.cwd(), 'test', 'fixtures');
  const manifestPath = join(root, 'manifest.json');
  if (!existsSync(manifestPath)) throw new LceError('IO', `no oracle corpus at ${root} (expected manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { cases: MnistEntry[] };
  const entry = manifest.cases.find((c) => c.group === 'mnist' && c.files.test_set && c.files.h5);
  if (!entry) throw new LceError('IO', `the corpus at ${root} has no MNIST case with a Keras file and a test set`);
  const dir = join(root, entry.dir);
  const set = entry.files.test_set!;
  const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

  const h5 = join(dir, entry.files.h5!);
  process.stdout.write(`lce-js demo: MNIST BNN (${entry.dir})\n\n1. convert ${h5} with lce-js\n`);
  const t0 = performance.now();
  const converted = await convertKeras(h5);
  const convertMs = performance.now() - t0;
  const r = converted.report;
  process.stdout.write(`   ${r.layersIn} Keras layers -> ${r.opsOut} ops in ${convertMs.toFixed(0)} ms, ${r.bytes} bytes: ` +
    Object.entries(r.opCounts).map(([k, v]) => `${k}×${v}`).join(', ') + '\n');

  const images = parseNpy(file(set.images!));
  const labels = parseNpy(file(set.labels!));
  const kerasArgmax = parseNpy(file(set.keras_argmax!));
  const lceArgmax = parseNpy(file(set.lce_argmax!));
  const count = Math.min(images.shape[0]!, values.limit ? Number(values.limit) : Infinity);
  const session = await InferenceSession.create(converted.bytes, { modelName: 'mnist (converted by lce-js)' });
  const meta = session.inputMetadata[0]!;
  const pixels = meta.dims.reduce((a, b) => a * b, 1);
  const data = images.data as Float32Array;
  process.stdout.write(`\n2. run ${count} test digits (input ${meta.type} [${meta.dims.join(', ')}])\n`);

  const input = new Float32Array(pixels);
  const latencies: number[] = [];
  let correct = 0, kerasCorrect = 0, sameAsLce = 0;
  const tty = process.stdout.isTTY;
  for (let i = 0; i < count; i++) {
    input.set(data.subarray(i * pixels, (i + 1) * pixels));
    const t = performance.now();
    const out = await session.run({ [meta.name]: new Tensor('float32', input, meta.dims) });
    latencies.push(performance.now() - t);
    const logits = out[session.outputNames[0]!]!.data as Float32Array;
    const predicted = argmax(logits, 0, logits.length);
    const label = Number(labels.data[i]);
    if (predicted === label) correct++;
    if (Number(kerasArgmax.data[i]) === label) kerasCorrect++;
    if (predicted === Number(lceArgmax.data[i])) sameAsLce++;
    if (tty && (i % 50 === 49 || i === count - 1)) process.stdout.write(`\r   ${bar((i + 1) / count)} ${i + 1}/${count}`);
  }
  if (tty) process.stdout.write('\n');
  await session.release();
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (n: number) => ((100 * n) / count).toFixed(2);
  process.stdout.write(
    `   accuracy lce-js: ${pct(correct)} %   Keras: ${pct(kerasCorrect)} %   ` +
    `predictions identical to the real LCE: ${pct(sameAsLce)} %\n` +
    `   latency per image: median ${sorted[Math.floor(count / 2)]!.toFixed(3)} ms, mean ${(latencies.reduce((a, b) => a + b, 0) / count).toFixed(3)} ms\n`,
  );
  process.stdout.write(`\n3. design-guide report (lce lint ${h5})\n`);
  process.stdout.write(formatLintReport(await lintKerasFile(h5)).replace(/^/gm, '   ') + '\n');
  return correct === kerasCorrect ? 0 : 1;
}
