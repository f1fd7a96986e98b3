/**
 * `npm run soak`: long-run health of the runtime in one process.
 *  - 10 000 inferences on one session (after a warm-up): outputs of a fixed probe input never change, and RSS
 *    after a GC grows by less than 5 MB;
 *  - many sessions created, run and released (RSS checked the same way);
 *  - 8 concurrent run() calls on one session, and on 8 sessions sharing one model's bytes: identical to a
 *    sequential run;
 *  - after release() nothing keeps the process alive (no worker threads or timers): it exits by itself.
 * "After warm-up": V8 grows its heap and tiers up code over the first few thousand runs; steady state is flat.
 * Options: --runs N (default 10000), --sessions N (default 500), --model PATH (default: float_conv, int8_per_channel and
 * lce_net from test/data, one after the other).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '../src/runtime/session.js';
import {
  checkConcurrentOneSession, checkConcurrentSessions, churnSessions, diffOutputs, feedSets, liveHandles, runSequential,
} from '../src/fuzz/soak.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RSS_BUDGET = 5 * 1024 * 1024;
const WARMUP_RUNS = 10000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function settled(): { rss: number; live: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run soak does)');
  for (let i = 0; i < 3; i++) gc();
  const u = process.memoryUsage();
  return { rss: u.rss, live: u.heapUsed + u.arrayBuffers };
}
const settledRss = () => settled().rss;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

async function main(): Promise<void> {
  const runs = Number(arg('--runs', '10000'));
  const sessionsN = Number(arg('--sessions', '500'));
  const models = process.argv.includes('--model')
    ? [arg('--model', '')]
    : ['float_conv.tflite', 'int8_per_channel.tflite', 'lce_net.tflite'].map((f) => join(ROOT, 'test', 'data', f));
  let failed = false;
  for (const modelPath of models) failed = !(await soakModel(modelPath, runs, sessionsN)) || failed;
  // No process.exit: the process must end by itself once everything is released.
  process.exitCode = failed ? 1 : 0;
}

async function soakModel(modelPath: string, runs: number, sessionsN: number): Promise<boolean> {
  const bytes = new Uint8Array(readFileSync(modelPath));
  const problems: string[] = [];
  const t0 = performance.now();

  const session = await InferenceSession.create(bytes, { modelName: modelPath });
  const feeds = feedSets(session, 8);
  const expected = await runSequential(session, feeds);
  const probe = feeds[0]!;

  // Warm-up (JIT tiers and V8's heap sizing settle over the first few thousand runs), then the long run.
  // Inputs rotate; outputs are checked every 500 runs.
  for (let i = 0; i < WARMUP_RUNS; i++) await session.run(feeds[i % feeds.length]!);
  const rss0 = settledRss();
  const tRun = performance.now();
  for (let i = 0; i < runs; i++) {
    const out = await session.run(feeds[i % feeds.length]!);
    if (i % 500 === 0) {
      const d = diffOutputs(expected[i % feeds.length]!, out);
      if (d) problems.push(`run ${i}: ${d}`);
    }
  }
  const runMs = performance.now() - tRun;
  const d = diffOutputs(expected[0]!, await session.run(probe));
  if (d) problems.push(`probe after ${runs} runs: ${d}`);
  const rss1 = settledRss();
  const growth = rss1 - rss0;
  if (growth >= RSS_BUDGET) problems.push(`RSS grew ${mb(growth)} over ${runs} inferences (budget ${mb(RSS_BUDGET)})`);

  // Concurrency.
  problems.push(...await checkConcurrentOneSession(session, feeds, expected));
  problems.push(...await checkConcurrentSessions(bytes, feeds, expected));
  await session.release();

  // Session churn, after a short warm-up of its own.
  // Each session's arena is a fresh ArrayBuffer, so RSS here mostly shows the malloc heap's fragmentation (it
  // moves up and down by several MB); what the sessions leave reachable is the JS heap plus ArrayBuffers.
  await churnSessions(bytes, 50, probe, expected[0]!);
  const before = settled();
  problems.push(...await churnSessions(bytes, sessionsN, probe, expected[0]!));
  const after = settled();
  const rss2 = before.rss, rss3 = after.rss;
  const churnGrowth = after.live - before.live;
  if (churnGrowth >= RSS_BUDGET) problems.push(`JS heap + ArrayBuffers grew ${mb(churnGrowth)} over ${sessionsN} sessions created and released`);

  const handles = liveHandles();
  if (handles.length > 0) problems.push(`still alive after release: ${handles.join(', ')}`);

  console.log([
    `soak: ${modelPath}`,
    `  warm-up ${WARMUP_RUNS} inferences, then ${runs} inferences in ${(runMs / 1000).toFixed(1)} s (${(runMs / runs).toFixed(3)} ms each); RSS ${mb(rss0)} → ${mb(rss1)} (growth ${mb(growth)}, budget ${mb(RSS_BUDGET)})`,
    `  ${sessionsN} sessions created, run and released: JS heap + ArrayBuffers grew ${mb(churnGrowth)} (budget ${mb(RSS_BUDGET)}); RSS ${mb(rss2)} → ${mb(rss3)}`,
    `  8 concurrent runs on one session and on 8 sessions sharing the model: ${problems.some((p) => p.includes('concurrent') || p.includes('session ')) ? 'MISMATCH' : 'identical to sequential'}`,
    `  handles left after release: ${handles.length === 0 ? 'none' : handles.join(', ')}`,
    `  total ${((performance.now() - t0) / 1000).toFixed(1)} s; ${problems.length === 0 ? 'OK' : `${problems.length} problem(s):\n   - ${problems.slice(0, 20).join('\n   - ')}`}`,
  ].join('\n'));
  return problems.length === 0;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 2;
});
