// `npm run bench:compare [-- --models QuickNet,BiRealNet] [--runs 20] [--warmup 3] [--threads 1,2]
//   [--engines lce-js,lce,...] [--gap-ms 20] [--burst 4] [--burst-ms 25] [--no-ceiling] [--out bench/results]`
// lce-js against the field on this machine, in one run: every engine × model × thread count is a worker that
// holds its sessions; the coordinator asks them for one burst of back-to-back inferences at a time, round-robin (the
// engine order rotates each round), so load changes on the shared machine hit every engine alike. Reports the median
// of the timed runs, in steady state (runs 2.. of each burst) and for the first inference after a pause,
// after warm-up, checks that every engine answers the same input with the same output, and writes
// bench/results/compare.{md,svg,json}.
import { fork, spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '../../src/format/npy.js';
import {
  ENGINE_MODEL, ENGINES, type EngineName, type ModelFiles, type ModelWork, type WorkerRequest, type WorkerResponse,
} from './protocol.js';
import { compareOutputs, judgeCheck, type OutputCheck } from './check.js';
import { renderMarkdown, renderSvg, type CellResult, type Report } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const REF = join(ROOT, 'tools', 'reference');
const PY = join(REF, '.venv', 'bin', 'python');
const TWINS = join(ROOT, 'bench', 'models', 'twins');
const DEFAULT_MODELS = ['QuickNetSmall', 'QuickNet', 'QuickNetLarge', 'BiRealNet'];

// ---------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const modelNames = (opt('models') ?? DEFAULT_MODELS.join(',')).split(',').filter(Boolean);
const runs = Number(opt('runs') ?? 20);
const warmup = Number(opt('warmup') ?? 3);
// A pause before every inference: engines whose worker threads spin after a call (ORT's intra-op pool, ruy in LCE)
// would otherwise still be burning a core when the next engine starts, which on a 2-core machine halves a
// 2-thread run of whoever comes next.
const gapMs = Number(opt('gap-ms') ?? 20);
// Inferences per request, back to back. The first one after the pause meets what an idle machine leaves behind
// (threads asleep, an idle vCPU descheduled by the host, caches refilled by the other engines): it is reported on
// its own. Runs 2.. are the steady state an application running inference after inference sees.
const burst = Number(opt('burst') ?? 4);
// ... and at least this long in all: a 0.2 ms model gets enough back-to-back runs to leave the wake-up behind too.
// With --burst 1 (first inferences only) the default is 0, so no burst grows past its first run.
const burstMs = Number(opt('burst-ms') ?? (burst === 1 ? 0 : 25));
const threadCounts = (opt('threads') ?? '1,2').split(',').map(Number);
const engines = (opt('engines') ?? ENGINES.join(',')).split(',') as EngineName[];
const outDir = resolve(ROOT, opt('out') ?? 'bench/results');
const withCeiling = !argv.includes('--no-ceiling');
for (const e of engines) if (!(ENGINES as readonly string[]).includes(e)) throw new Error(`unknown engine ${e}; engines: ${ENGINES.join(', ')}`);
if (!(runs >= 1) || !(warmup >= 0) || !(burst >= 1) || !Number.isInteger(burst) || !(burstMs >= 0) || threadCounts.some((t) => !(t >= 1))) {
  throw new Error('bad --runs/--warmup/--burst/--burst-ms/--threads');
}
const command = `npm run bench:compare${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const log = (s: string) => process.stderr.write(`[compare] ${s}\n`);

// ---------------------------------------------------------------- corpus
interface ManifestCase {
  group: string; case: string; dir: string;
  files: { tflite: string; h5?: string; inputs: string[][]; lce_outputs: string[][] };
  interpreter_options: Record<string, unknown>;
  float_tolerance?: { value: number; reason: string };
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { cases: ManifestCase[] };
const cases = modelNames.map((name) => {
  const c = manifest.cases.find((k) => k.case === name && k.group === 'zoo') ?? manifest.cases.find((k) => k.case === name);
  if (!c) throw new Error(`no corpus case ${name} in test/fixtures/manifest.json (zoo has: ${manifest.cases.filter((k) => k.group === 'zoo').map((k) => k.case).join(', ') || 'nothing yet'})`);
  if (!c.files.h5) throw new Error(`${name}: the corpus case has no .h5`);
  return c;
});

// ---------------------------------------------------------------- float twins (Python, once, cached)
const twinEngines = engines.filter((e) => ENGINE_MODEL[e] === 'twin');
const needPython = twinEngines.length > 0 || engines.includes('lce');
if (needPython && !existsSync(PY)) throw new Error(`no Python oracle at ${PY}: run \`npm run fixtures -- --list\` once to create it`);

function ensureBenchRequirements(): void {
  const req = join(REF, 'requirements-bench.txt');
  const stamp = join(REF, '.venv', '.requirements-bench.sha256');
  const hash = createHash('sha256').update(readFileSync(req)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  log('installing tools/reference/requirements-bench.txt (--no-deps, see the file)');
  const r = spawnSync(PY, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-deps', '-r', req], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('pip install of requirements-bench.txt failed');
  writeFileSync(stamp, hash);
}

const files = new Map<string, ModelFiles>();
if (twinEngines.length > 0) {
  ensureBenchRequirements();
  log(`float twins for ${modelNames.join(', ')} (tools/reference/float_twins.py; cached in bench/models/twins/)`);
  const r = spawnSync(PY, [join(REF, 'float_twins.py'), ...modelNames], {
    stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TF_USE_LEGACY_KERAS: '1', TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (r.status !== 0) throw new Error('float twin export failed');
}
for (const c of cases) {
  const dir = join(FIXTURES, c.dir);
  const twin = join(TWINS, c.case);
  files.set(c.case, {
    name: c.case, tflite: join(dir, c.files.tflite), h5: join(dir, c.files.h5!), input: join(dir, c.files.inputs[0]![0]!),
    ...(existsSync(join(twin, 'twin.onnx')) ? { onnx: join(twin, 'twin.onnx') } : {}),
    ...(existsSync(join(twin, 'tfjs', 'model.json')) ? { tfjsDir: join(twin, 'tfjs') } : {}),
  });
}

// ---------------------------------------------------------------- workers
interface Worker {
  engine: EngineName;
  threads: number;
  request(req: WorkerRequest): Promise<WorkerResponse>;
  close(): Promise<void>;
}

function nodeWorker(engine: Exclude<EngineName, 'lce'>, threads: number): Worker {
  const child: ChildProcess = fork(join(ROOT, 'bench', 'compare', 'worker.ts'), [engine, String(threads)], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending: { resolve: (r: WorkerResponse) => void } | null = null;
  let exited = false;
  child.on('message', (m: WorkerResponse) => { const p = pending; pending = null; p?.resolve(m); });
  child.on('exit', (code) => {
    exited = true;
    const p = pending; pending = null;
    p?.resolve({ ok: false, error: `worker exited with code ${code}` });
  });
  return {
    engine, threads,
    request(req) {
      if (exited) return Promise.resolve({ ok: false, error: 'worker has exited' });
      return new Promise((res) => { pending = { resolve: res }; child.send(req); });
    },
    async close() {
      if (!exited) await this.request({ type: 'close' });
      if (!exited) child.kill();
    },
  };
}

/** The real LCE interpreter: one Python process (tools/reference/bench_lce.py) serves every thread count. */
interface PyWorker { request(req: object): Promise<Record<string, unknown>>; close(): void }
function pythonWorker(): PyWorker {
  const child = spawn(PY, [join(REF, 'bench_lce.py')], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((r: Record<string, unknown>) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l) as Record<string, unknown>));
  child.on('exit', (code) => { for (const w of waiting.splice(0)) w({ ok: false, error: `LCE worker exited with code ${code}` }); });
  return {
    request(req) {
      return new Promise((res) => { waiting.push(res); child.stdin!.write(JSON.stringify(req) + '\n'); });
    },
    close() { child.stdin!.end(); },
  };
}

const TMP = join(outDir, 'tmp');
mkdirSync(TMP, { recursive: true });
let py: PyWorker | null = null;
function lceWorker(threads: number): Worker {
  py ??= pythonWorker();
  const p = py;
  return {
    engine: 'lce', threads,
    async request(req) {
      if (req.type === 'load') {
        const c = cases.find((k) => k.case === req.model.name)!;
        const r = await p.request({ cmd: 'load', key: req.key, tflite: req.model.tflite, threads, options: c.interpreter_options });
        return r.ok ? { ok: true, type: 'loaded', ms: r.ms as number, detail: `num_threads ${threads}${Object.keys(c.interpreter_options).length ? ` ${JSON.stringify(c.interpreter_options)}` : ''}` } : { ok: false, error: String(r.error) };
      }
      if (req.type === 'run') {
        const save = req.wantOutput ? join(TMP, `lce-${req.key.replace(/\W/g, '_')}.npy`) : null;
        const input = files.get(req.key.split('/')[0]!)!.input;
        const r = await p.request({ cmd: 'run', key: req.key, inputs: [input], n: req.n, min_ms: req.minMs ?? 0, save });
        if (!r.ok) return { ok: false, error: String(r.error) };
        if (!save) return { ok: true, type: 'ran', times: r.times as number[] };
        const out = parseNpy(new Uint8Array(readFileSync(save)));
        return { ok: true, type: 'ran', times: r.times as number[], output: Array.from(out.data as Float32Array), outputShape: [...out.shape] };
      }
      if (req.type === 'close') return { ok: true, type: 'closed' };
      return { ok: false, error: 'LCE worker has no per-op profile' };
    },
    async close() { /* the shared Python process is closed once, at the end */ },
  };
}

const workers: Worker[] = [];
for (const e of engines) for (const t of threadCounts) workers.push(e === 'lce' ? lceWorker(t) : nodeWorker(e, t));
const wid = (w: Worker) => `${w.engine}/t${w.threads}`;

// ---------------------------------------------------------------- load
const cells = new Map<string, CellResult>(); // key: engine/tN/model
const cellKey = (w: Worker, model: string) => `${wid(w)}/${model}`;
const works = new Map<string, ModelWork>();
const startLoad = loadavg();
const t0 = Date.now();
for (const c of cases) {
  for (const w of workers) {
    const cell: CellResult = { engine: w.engine, threads: w.threads, model: c.case, times: [], firstTimes: [], detail: '', error: null };
    cells.set(cellKey(w, c.case), cell);
    let r = await w.request({ type: 'load', key: `${c.case}/t${w.threads}`, model: files.get(c.case)! });
    let retried = '';
    if (!r.ok && !r.error.startsWith('n/a')) {
      // One retry, reported in the cell: a session that loads on the second attempt is timed, and the first
      // failure stays visible in the report.
      retried = `; loaded on the 2nd attempt, the 1st failed: ${r.error.split('\n')[0]!}`;
      log(`load of ${c.case} in ${wid(w)} failed (${r.error.split('\n')[0]}), retrying once`);
      r = await w.request({ type: 'load', key: `${c.case}/t${w.threads}`, model: files.get(c.case)! });
    }
    if (r.ok && r.type === 'loaded') {
      cell.detail = r.detail + retried;
      cell.loadMs = r.ms;
      if (r.work && !works.has(c.case)) works.set(c.case, r.work);
      log(`loaded ${c.case} in ${wid(w)} (${(r.ms / 1e3).toFixed(1)} s): ${r.detail}`);
    } else {
      cell.error = r.ok ? 'unexpected reply' : r.error.split('\n')[0]!;
      log(`FAILED to load ${c.case} in ${wid(w)}: ${r.ok ? '' : r.error}`);
    }
  }
}

// ---------------------------------------------------------------- output check (also the first warm-up run)
const outputs = new Map<string, { data: Float32Array; shape: number[] }>();
for (const c of cases) {
  for (const w of workers) {
    const cell = cells.get(cellKey(w, c.case))!;
    if (cell.error) continue;
    const r = await w.request({ type: 'run', key: `${c.case}/t${w.threads}`, n: 1, wantOutput: true });
    if (r.ok && r.type === 'ran' && r.output) outputs.set(cellKey(w, c.case), { data: Float32Array.from(r.output), shape: r.outputShape ?? [] });
    else cell.error = r.ok ? 'no output' : r.error.split('\n')[0]!;
  }
}
const checks: OutputCheck[] = [];
for (const c of cases) {
  const dir = join(FIXTURES, c.dir);
  const oracle = parseNpy(new Uint8Array(readFileSync(join(dir, c.files.lce_outputs[0]![0]!))));
  const oracleData = { data: oracle.data as Float32Array, shape: [...oracle.shape] };
  const tolerance = Math.min(c.float_tolerance?.value ?? 1e-5, 1e-3);
  const twinRefPath = join(TWINS, c.case, 'keras_twin_output.npy');
  const twinRef = existsSync(twinRefPath) ? parseNpy(new Uint8Array(readFileSync(twinRefPath))) : null;
  for (const w of workers) {
    const got = outputs.get(cellKey(w, c.case));
    if (!got) continue;
    if (ENGINE_MODEL[w.engine] === 'bnn') {
      const id = `${c.group}/${c.case}`;
      checks.push(judgeCheck(compareOutputs(`${wid(w)} vs LCE oracle output (committed)`, c.case, got, oracleData, tolerance), w.engine, id));
      const live = outputs.get(`lce/t${w.threads}/${c.case}`);
      if (live && w.engine !== 'lce') checks.push(judgeCheck(compareOutputs(`${wid(w)} vs LCE interpreter (this run)`, c.case, got, live, tolerance), w.engine, id));
    } else if (twinRef) {
      checks.push(compareOutputs(`${wid(w)} vs Keras float twin`, c.case, got, { data: twinRef.data as Float32Array, shape: [...twinRef.shape] }, 1e-3));
    }
  }
}
for (const k of checks) log(`check ${k.model} ${k.what}: ${k.justified ? 'justified' : k.ok ? 'ok' : 'MISMATCH'} (${k.message})`);

// ---------------------------------------------------------------- per-op profile of lce-js (one run, 1 thread)
const profiles = new Map<string, Record<string, number>>();
for (const c of cases) {
  const w = workers.find((k) => k.engine === 'lce-js' && k.threads === Math.min(...threadCounts));
  if (!w || cells.get(cellKey(w, c.case))!.error) continue;
  const r = await w.request({ type: 'profile', key: `${c.case}/t${w.threads}` });
  if (r.ok && r.type === 'profiled') profiles.set(c.case, r.msByOpType);
}

// ---------------------------------------------------------------- interleaved warm-up and timed rounds
const rounds = warmup + runs;
for (let round = 0; round < rounds; round++) {
  const timed = round >= warmup;
  for (const c of cases) {
    for (let j = 0; j < workers.length; j++) {
      const w = workers[(j + round) % workers.length]!;
      const cell = cells.get(cellKey(w, c.case))!;
      if (cell.error) continue;
      await new Promise((done) => setTimeout(done, gapMs));
      const r = await w.request({ type: 'run', key: `${c.case}/t${w.threads}`, n: burst, minMs: burstMs, wantOutput: false });
      if (!(r.ok && r.type === 'ran') || r.times.length < burst) {
        cell.error = !r.ok ? r.error.split('\n')[0]! : 'no timing';
        continue;
      }
      if (timed) {
        cell.firstTimes.push(r.times[0]!);
        cell.times.push(...r.times.slice(1));
      }
    }
  }
  log(`round ${round + 1}/${rounds}${timed ? '' : ' (warm-up)'} done, ${((Date.now() - t0) / 1e3).toFixed(0)} s, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
const endLoad = loadavg();

for (const w of workers) await w.close();
let pyInfo: Record<string, unknown> = {};
const pyNow = py as PyWorker | null; // assigned inside lceWorker(), which TypeScript's narrowing cannot see
if (pyNow) { pyInfo = await pyNow.request({ cmd: 'info' }); pyNow.close(); }

// ---------------------------------------------------------------- ceiling: the wasm binary micro-kernel peak
let ceiling: Report['ceiling'] = null;
if (withCeiling) {
  log('wasm binary micro-kernel peak (bench/kernels.ts --json)');
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'kernels.ts'), '--json'], { encoding: 'utf8' });
  const k = JSON.parse(out) as { isa: string; headline: { variant: string; peak: number } };
  ceiling = { isa: k.isa, variant: k.headline.variant, gmacsPerThread: k.headline.peak };
}

// ---------------------------------------------------------------- report
function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
const report: Report = {
  command,
  date: new Date().toISOString(),
  seconds: (Date.now() - t0) / 1e3,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: totalmem() / 2 ** 30,
    node: process.version, platform: `${process.platform} ${process.arch}`,
    loadStart: startLoad, loadEnd: endLoad,
  },
  versions: {
    'onnxruntime-node': pkgVersion('onnxruntime-node'), 'onnxruntime-web': pkgVersion('onnxruntime-web'),
    '@tensorflow/tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'),
    python: String(pyInfo.python ?? '-'), 'larq-compute-engine': String(pyInfo.larq_compute_engine ?? '-'),
  },
  runs, warmup, gapMs, burst, burstMs, threads: threadCounts, models: modelNames, engines,
  cells: [...cells.values()],
  checks,
  works: Object.fromEntries(works),
  profiles: Object.fromEntries(profiles),
  ceiling,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'compare.json'), JSON.stringify(report, null, 1) + '\n');
writeFileSync(join(outDir, 'compare.md'), renderMarkdown(report));
writeFileSync(join(outDir, 'compare.svg'), renderSvg(report));
process.stdout.write(renderMarkdown(report));
log(`wrote ${relative(ROOT, join(outDir, 'compare.md'))}, compare.svg, compare.json in ${report.seconds.toFixed(0)} s`);
process.exitCode = checks.every((k) => k.ok) ? 0 : 1;
