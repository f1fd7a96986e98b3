/**
 * The thread pool: workers (worker_threads in Node, module Web Workers in browsers) that share the kernels'
 * WebAssembly.Memory and run row ranges of prepared GEMMs. Dispatch is synchronous, so an op's eval can use it:
 * the main thread posts a job to every worker through a shared control block (Atomics.notify), runs its own share,
 * then waits for the others (Atomics.wait in Node; a spin where the main thread may not block, i.e. browsers).
 * Each worker always gets the same share, so a row is computed by the same code whatever the thread count.
 */
import { LceError } from '../errors.js';
import type { Bconv2dPlan, WasmKernels } from './wasm.js';
import { Ctl, JobKind, SLOT_INTS, WORKER_LAYOUT, functionExports, type WorkerInit, type WorkerReply } from './worker-protocol.js';
import { workerSource } from './worker.js';

/** A started worker, whichever runtime made it. */
interface PoolWorker {
  post(msg: WorkerInit): void;
  /** Resolves with the worker's first reply, or rejects if it fails to start. */
  firstReply(): Promise<WorkerReply>;
  terminate(): Promise<void>;
}

/** How long a worker may take on one job before the pool gives up on it (a dead worker, never a slow kernel). */
const JOB_TIMEOUT_MS = 60_000;
/** Polls of the DONE word before blocking: most shares finish within a few microseconds of each other. */
const SPIN = 2000;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return Boolean(proc?.versions?.node);
}

/** Cores this runtime reports (os.availableParallelism in Node, navigator.hardwareConcurrency in browsers). */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
    return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

async function spawnNodeWorker(): Promise<PoolWorker> {
  const specifier = 'node:worker_threads';
  const wt = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
  const worker = new wt.Worker(workerSource(), { eval: true, execArgv: [] });
  // Never keep the process alive: a forgotten session.release() must not hang Node.
  worker.unref();
  return {
    post: (m) => worker.postMessage(m),
    firstReply: () => new Promise<WorkerReply>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      worker.once('error', onError);
      worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
      worker.once('message', (m: WorkerReply) => { worker.off('error', onError); resolve(m); });
    }),
    terminate: async () => { await worker.terminate(); },
  };
}

function spawnBrowserWorker(): PoolWorker {
  const url = URL.createObjectURL(new Blob([workerSource()], { type: 'text/javascript' }));
  const worker = new Worker(url);
  return {
    post: (m) => worker.postMessage(m),
    // The script URL is revoked once the worker has answered (revoking earlier may race its loading).
    firstReply: () => new Promise<WorkerReply>((resolve, reject) => {
      worker.addEventListener('error', (e) => { URL.revokeObjectURL(url); reject(new Error(`worker failed to start: ${e.message}`)); }, { once: true });
      worker.addEventListener('message', (e: MessageEvent<WorkerReply>) => { URL.revokeObjectURL(url); resolve(e.data); }, { once: true });
    }),
    terminate: async () => { worker.terminate(); },
  };
}

/** End of thread i's share: tiles split as evenly as possible, in whole tiles of `mr` rows. */
function rowBound(rows: number, tiles: number, mr: number, i: number, threads: number): number {
  return Math.min(rows, Math.round((tiles * i) / threads) * mr);
}

function mainThreadCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class ThreadPool {
  /** Threads that share a job: the workers and the calling thread. */
  readonly threads: number;
  private readonly workers: PoolWorker[];
  private readonly ctl: Int32Array;
  private readonly canBlock: boolean;
  /** Export name → index in the module's function exports (the workers number them the same way). */
  private readonly exportIndex: Map<string, number>;
  private released = false;

  private constructor(workers: PoolWorker[], ctl: Int32Array, module: WebAssembly.Module) {
    this.workers = workers;
    this.ctl = ctl;
    this.exportIndex = new Map(functionExports(module).map((name, i) => [name, i]));
    this.threads = workers.length + 1;
    this.canBlock = mainThreadCanBlock();
  }

  /** Start `threads − 1` workers on the kernels' shared memory; resolves when all of them are ready. */
  static async start(kernels: WasmKernels, threads: number): Promise<ThreadPool> {
    if (!(kernels.memory.buffer instanceof SharedArrayBuffer)) {
      throw new LceError('LIMIT', 'a thread pool needs the shared-memory kernel build');
    }
    const n = Math.max(0, Math.floor(threads) - 1);
    const control = new SharedArrayBuffer(Math.max(1, n) * SLOT_INTS * 4);
    const workers: PoolWorker[] = [];
    try {
      for (let slot = 0; slot < n; slot++) {
        const w = isNode() ? await spawnNodeWorker() : spawnBrowserWorker();
        workers.push(w);
        const reply = w.firstReply();
        w.post({ module: kernels.module, memory: kernels.memory, control, slot, layout: WORKER_LAYOUT });
        const r = await reply;
        if (!r.ready) throw new Error(`worker ${slot} could not instantiate the kernels: ${r.error}`);
      }
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new ThreadPool(workers, new Int32Array(control), kernels.module);
  }

  /** Rows [0, plan.rows) of a prepared binary convolution on every thread (the plan needs ≥ threads scratch copies). */
  runBconv2d(kernels: WasmKernels, plan: Bconv2dPlan): void {
    this.runRows(kernels, plan.variant.conv, plan.desc, plan.rows, plan.variant.mr, plan.scratch, plan.scratchBytes, plan.threads);
  }

  /**
   * Rows [0, rows) of a row-range kernel export `name(desc, m0, m1, scratch)` on up to `threads` threads: thread t
   * takes the t-th of near-equal ranges in whole tiles of `grain` rows, with scratch + t·scratchBytes.
   */
  runRows(kernels: WasmKernels, name: string, desc: number, rows: number, grain: number, scratch: number,
    scratchBytes: number, threads: number): void {
    if (this.released) throw new LceError('INPUT', 'the thread pool was released');
    const fn = this.exportIndex.get(name);
    if (fn === undefined) throw new LceError('OP_PREPARE', `${name} is not an export of the kernel build`);
    const t = Math.min(this.threads, threads);
    const tiles = Math.ceil(rows / grain);
    const ctl = this.ctl;
    for (let w = 1; w < t; w++) {
      const base = (w - 1) * SLOT_INTS;
      const a = base + Ctl.ARG0;
      ctl[base + Ctl.KIND] = JobKind.CALL_ROWS;
      ctl[a] = fn;
      ctl[a + 1] = desc;
      ctl[a + 2] = rowBound(rows, tiles, grain, w, t);
      ctl[a + 3] = rowBound(rows, tiles, grain, w + 1, t);
      ctl[a + 4] = scratch + w * scratchBytes;
      Atomics.add(ctl, base + Ctl.SEQ, 1);
      Atomics.notify(ctl, base + Ctl.SEQ, 1);
    }
    try {
      kernels.invoke(name, desc, 0, rowBound(rows, tiles, grain, 1, t), scratch);
    } finally {
      // Even when this thread's share traps, the others must be finished before anyone reuses their slots.
      for (let w = 1; w < t; w++) this.waitFor(w - 1);
    }
  }

  private waitFor(worker: number): void {
    const ctl = this.ctl;
    const base = worker * SLOT_INTS;
    const seq = Atomics.load(ctl, base + Ctl.SEQ);
    let spins = 0;
    let start = 0;
    for (;;) {
      const done = Atomics.load(ctl, base + Ctl.DONE);
      if (done === seq) break;
      if (++spins > SPIN) {
        if (start === 0) start = performance.now();
        if (this.canBlock) Atomics.wait(ctl, base + Ctl.DONE, done, 100);
        if (performance.now() - start > JOB_TIMEOUT_MS) {
          throw new LceError('LIMIT', `worker thread ${worker + 1} did not finish its job within ${JOB_TIMEOUT_MS / 1000} s`);
        }
      }
    }
    if (Atomics.load(ctl, base + Ctl.STATUS) !== 0) {
      throw new LceError('LIMIT', `a kernel failed in worker thread ${worker + 1} (wasm trap)`);
    }
  }

  /** Stop and terminate every worker. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const ctl = this.ctl;
    this.workers.forEach((_, w) => {
      const base = w * SLOT_INTS;
      ctl[base + Ctl.KIND] = JobKind.STOP;
      Atomics.add(ctl, base + Ctl.SEQ, 1);
      Atomics.notify(ctl, base + Ctl.SEQ, 1);
    });
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
