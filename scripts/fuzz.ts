/**
 * `npm run fuzz -- --cases N --seed S [--timeout-ms 1000] [--no-save] [--out DIR]`
 *
 * Mutates the corpus models (src/fuzz/mutate.ts) and feeds (src/fuzz/feeds.ts) and runs load + one run per case in
 * a worker thread with a heap cap; this thread is the watchdog that kills the worker when a case passes the time
 * limit. Success and lce-js's typed errors are fine; anything else is saved under test/regressions/cases/ (at most
 * a few cases per distinct problem) and counted, and the run goes on. Exit status 1 when there were failures.
 */
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, makeCase, type CaseLimits, type FailureKind, type Outcome } from '../src/fuzz/case.js';
import { loadCorpus } from '../src/fuzz/corpus.js';
import { saveCase } from '../src/fuzz/saved.js';
import type { FromWorker, ToWorker, WorkerSetup } from '../src/fuzz/worker.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKER = new URL('../src/fuzz/worker.ts', import.meta.url);
/** Heap cap of the worker: a case that needs more dies of it and counts as a memory failure. */
const WORKER_HEAP_MB = 512;
/** Saved cases per distinct failure (kind + message with numbers blanked). */
const SAVES_PER_SIGNATURE = 2;

interface Args { cases: number; seed: number; timeoutMs: number; save: boolean; out: string; quiet: boolean }

function parseArgs(argv: string[]): Args {
  const args: Args = { cases: 1000, seed: 1, timeoutMs: DEFAULT_LIMITS.timeoutMs, save: true, out: join(ROOT, 'test', 'regressions', 'cases'), quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--cases') args.cases = int();
    else if (a === '--seed') args.seed = int();
    else if (a === '--timeout-ms') args.timeoutMs = int();
    else if (a === '--out') args.out = value();
    else if (a === '--no-save') args.save = false;
    else if (a === '--quiet') args.quiet = true;
    else throw new Error(`unknown argument ${a}; usage: npm run fuzz -- --cases N --seed S [--timeout-ms MS] [--no-save] [--out DIR] [--quiet]`);
  }
  return args;
}

type CaseResult = { outcome: Outcome; ms: number };

/** One worker at a time; a fresh one replaces it after a hang or a crash. */
class Runner {
  private worker: Worker | null = null;
  private pending: { index: number; resolve: (r: CaseResult) => void; timer: NodeJS.Timeout; t0: number } | null = null;
  restarts = 0;

  constructor(private readonly setup: WorkerSetup) {}

  private async start(): Promise<Worker> {
    // Loader hooks of the main thread do not reach workers: the entry registers tsx, then imports the .ts module.
    const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); });`;
    const worker = new Worker(entry, {
      eval: true,
      workerData: this.setup,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: true,
      stderr: false,
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') { worker.off('error', reject); resolve(); }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'result' && this.pending?.index === m.index) this.finish({ outcome: m.outcome, ms: m.ms });
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const kind: FailureKind = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'worker-died';
      this.worker = null;
      this.finish({ outcome: { status: 'failure', kind, stage: 'case', message: `worker died: ${e.name}: ${e.message}` }, ms: NaN });
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.finish({ outcome: { status: 'failure', kind: 'worker-died', stage: 'case', message: 'worker exited' }, ms: NaN });
    });
    return worker;
  }

  private finish(r: CaseResult): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(r);
  }

  async run(index: number): Promise<CaseResult> {
    if (!this.worker) {
      this.worker = await this.start();
      this.restarts++;
    }
    const worker = this.worker;
    return new Promise<CaseResult>((resolve) => {
      // The worker reports cases over the limit itself ('slow'); this catches the ones that never come back.
      const hardLimit = 2 * this.setup.limits.timeoutMs + 500;
      const timer = setTimeout(() => {
        this.worker = null;
        const ms = performance.now() - (this.pending?.t0 ?? 0);
        this.finish({ outcome: { status: 'failure', kind: 'hang', stage: 'case', message: `no result after ${hardLimit} ms` }, ms });
        void worker.terminate();
      }, hardLimit);
      this.pending = { index, resolve, timer, t0: performance.now() };
      worker.postMessage({ type: 'case', index } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const limits: CaseLimits = { ...DEFAULT_LIMITS, timeoutMs: args.timeoutMs };
  const corpus = loadCorpus(ROOT);
  if (corpus.length === 0) throw new Error('no corpus models found under test/data or test/fixtures/matrix');
  const runner = new Runner({ root: ROOT, seed: args.seed, limits });

  const counts = { ok: 0, typed: 0, failures: 0, timingFlakes: 0 };
  const byCode = new Map<string, number>();
  const byFailure = new Map<string, number>();
  const savesBySignature = new Map<string, number>();
  const saved: string[] = [];
  const examples: string[] = [];
  let maxMs = 0;
  const t0 = performance.now();

  for (let index = 0; index < args.cases; index++) {
    let { outcome, ms } = await runner.run(index);
    if (outcome.status === 'failure' && (outcome.kind === 'slow' || outcome.kind === 'hang')) {
      // The machine is shared: confirm a timing failure once before calling it one.
      const retry = await runner.run(index);
      if (retry.outcome.status !== 'failure' || (retry.outcome.kind !== 'slow' && retry.outcome.kind !== 'hang')) {
        counts.timingFlakes++;
        ({ outcome, ms } = retry);
      }
    }
    if (Number.isFinite(ms)) maxMs = Math.max(maxMs, ms);
    if (outcome.status === 'ok') counts.ok++;
    else if (outcome.status === 'typed') {
      counts.typed++;
      const key = `${outcome.code} (${outcome.stage})`;
      byCode.set(key, (byCode.get(key) ?? 0) + 1);
    } else {
      counts.failures++;
      byFailure.set(outcome.kind, (byFailure.get(outcome.kind) ?? 0) + 1);
      const signature = `${outcome.kind}:${outcome.message.replace(/\d+/g, '#')}`;
      const n = savesBySignature.get(signature) ?? 0;
      savesBySignature.set(signature, n + 1);
      if (n === 0) examples.push(`case ${index}: ${outcome.kind} at ${outcome.stage}: ${outcome.message}${outcome.stack ? `\n    ${outcome.stack.split('\n').slice(1, 4).join('\n    ')}` : ''}`);
      if (args.save && n < SAVES_PER_SIGNATURE) {
        saved.push(saveCase(args.out, makeCase(corpus, args.seed, index), outcome.kind, outcome.message));
      }
    }
    if (!args.quiet && (index + 1) % 1000 === 0) {
      process.stderr.write(`  ${index + 1}/${args.cases} cases, ${counts.failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  }
  await runner.close();
  const seconds = (performance.now() - t0) / 1000;

  const lines = [
    `fuzz: seed ${args.seed}, ${args.cases} cases over ${corpus.length} corpus models in ${seconds.toFixed(1)} s (${(args.cases / seconds).toFixed(0)} cases/s)`,
    `  ok ${counts.ok}, typed errors ${counts.typed}, failures ${counts.failures}`,
    `  typed errors by code: ${[...byCode].sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  failures by kind: ${[...byFailure].sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  slowest case ${maxMs.toFixed(0)} ms (limit ${limits.timeoutMs} ms); timing failures that passed on retry: ${counts.timingFlakes}; worker starts ${runner.restarts}`,
    `  caps: arena ${limits.maxArenaBytes} B, ArrayBuffers per case ${limits.maxExternalBytes} B, worker heap ${WORKER_HEAP_MB} MB`,
  ];
  if (examples.length > 0) lines.push(`  distinct failures (${examples.length}):`, ...examples.slice(0, 40).map((e) => `   - ${e}`));
  if (saved.length > 0) lines.push(`  saved ${saved.length} case(s) under ${args.out}`);
  console.log(lines.join('\n'));
  process.exitCode = counts.failures > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
