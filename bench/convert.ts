// `npm run bench:convert [-- --runs N] [--cli] [model.h5]`: seconds to convert a Keras file (default: the corpus
// QuickNet, .h5, 224x224) with lce-js, the median of N in-process runs with the time per stage (read + lower,
// passes, flatbuffer write). --cli also times whole `node bin/lce.js convert` processes (start-up included), as
// a user sees it. Target (issue 5): QuickNet in <= 5 s.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { convertKeras, type ConvertProgress } from '../src/converter/convert.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(flag('--runs') ?? 5);
const cli = args.includes('--cli');
const model = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--runs')) ?? 'test/fixtures/zoo/QuickNet/model.h5';
if (!existsSync(model)) {
  console.error(`bench:convert: ${model} not found (the corpus zoo group: npm run fixtures -- --only zoo)`);
  process.exit(1);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const total: number[] = [];
const cpu: number[] = [];
const stages: Record<string, number[]> = { 'read+lower': [], passes: [], write: [] };
let ops = 0;
for (let r = 0; r < runs; r++) {
  const marks: { stage: ConvertProgress['stage']; t: number }[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await convertKeras(model, { onProgress: (p) => marks.push({ stage: p.stage, t: performance.now() }) });
  const t1 = performance.now();
  ops = res.report.opsOut;
  const first = (s: ConvertProgress['stage']): number => marks.find((m) => m.stage === s)?.t ?? t1;
  total.push((t1 - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
  stages['read+lower']!.push((first('pass') - t0) / 1000);
  stages.passes!.push((first('write') - first('pass')) / 1000);
  stages.write!.push((t1 - first('write')) / 1000);
}
console.log(`convert ${model} (${ops} ops out), ${runs} in-process runs`);
console.log(`  median ${median(total).toFixed(2)} s  (min ${Math.min(...total).toFixed(2)}, max ${Math.max(...total).toFixed(2)}; first run includes JIT warm-up)`);
// On a shared machine wall time includes waiting for a core; CPU time (main thread plus helper threads) does not.
console.log(`  CPU time median ${median(cpu).toFixed(2)} s`);
for (const [k, v] of Object.entries(stages)) console.log(`    ${k.padEnd(11)} ${median(v).toFixed(2)} s`);

if (cli) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-convert-'));
  const times: number[] = [];
  try {
    for (let r = 0; r < Math.min(runs, 3); r++) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, ['bin/lce.js', 'convert', model, '-o', join(dir, 'out.tflite')], { stdio: 'ignore' });
      if (p.status !== 0) throw new Error(`lce convert exited with ${p.status}`);
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  CLI (node bin/lce.js convert, process start-up included): median ${median(times).toFixed(2)} s over ${times.length} runs`);
}
