/**
 * The thread pool: workers (worker_threads in Node, module Web Workers in browsers) that share the kernels'
 * WebAssembly.Memory and run row ranges of prepared GEMMs. Dispatch is synchronous, so an op's eval can use it:
 * the main thread posts a job through a shared control block (Atomics.notify), then it and the workers claim
 * chunks of the job's rows from an atomic counter until none is left (protocol in worker-protocol.ts), and the
 * main thread waits until every claimed chunk is done (Atomics.wait in Node; a spin where the main thread may not
 * block, i.e. browsers). The split is dynamic: a thread that the machine slows down or preempts simply claims fewer
 * chunks, and a worker that wakes late finds nothing left instead of being waited for. Chunks are whole kernel
 * tiles, so a row is computed by the same code whatever thread runs it and whatever the thread count.
 */
import { LceError } from '../errors.js';
import type { Bconv2dPlan, WasmKernels } from './wasm.js';
import {
  CHUNK_BITS, Ctl, HEADER_INTS, MAX_CHUNKS, MAX_SEQ, SLOT_INTS, WORKER_LAYOUT, functionExports, wakeIndex, type WorkerInit,
  type WorkerReply,
} from './worker-protocol.js';
import { workerSource } from './worker.js';

/** A started worker, whichever runtime made it. */
interface PoolWorker {
  post(msg: WorkerInit): void;
  /** Resolves with the worker's first reply, or rejects if it fails to start. */
  firstReply(): Promise<WorkerReply>;
  terminate(): Promise<void>;
}

/** How long a worker may hold one chunk before the pool gives up on it (a dead worker, never a slow kernel). */
const JOB_TIMEOUT_MS = 60_000;
/**
 * Polls of the DONE word before blocking (tens of µs): the last chunks usually finish close together, and a main
 * thread that blocks instead of spinning frees its core for a worker the machine has preempted.
 */
const SPIN = 2000;
/**
 * Chunks per participating thread: enough that a thread slowed down or preempted for a while leaves at most a small
 * share to wait for, few enough that claiming (one compareExchange and one kernel call per chunk) stays negligible.
 */
const CHUNKS_PER_THREAD = 6;

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

/** What the pool needs of a kernel build (WasmKernels, or a test module on a shared memory). */
export type PoolKernels = Pick<WasmKernels, 'module' | 'memory' | 'invoke'>;

export interface PoolOptions {
  /** Test hook: each worker sleeps this long after every wake-up before it claims a chunk. */
  claimDelayMs?: number;
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
  /** The last job's sequence number (1..MAX_SEQ, wrapping). */
  private seq = 0;
  private released = false;

  private constructor(workers: PoolWorker[], ctl: Int32Array, module: WebAssembly.Module) {
    this.workers = workers;
    this.ctl = ctl;
    this.exportIndex = new Map(functionExports(module).map((name, i) => [name, i]));
    this.threads = workers.length + 1;
    this.canBlock = mainThreadCanBlock();
  }

  /** Start `threads − 1` workers on the kernels' shared memory; resolves when all of them are ready. */
  static async start(kernels: PoolKernels, threads: number, options: PoolOptions = {}): Promise<ThreadPool> {
    if (!(kernels.memory.buffer instanceof SharedArrayBuffer)) {
      throw new LceError('LIMIT', 'a thread pool needs the shared-memory kernel build');
    }
    const n = Math.max(0, Math.floor(threads) - 1);
    const control = new SharedArrayBuffer((HEADER_INTS + n * SLOT_INTS) * 4);
    const workers: PoolWorker[] = [];
    try {
      for (let slot = 0; slot < n; slot++) {
        const w = isNode() ? await spawnNodeWorker() : spawnBrowserWorker();
        workers.push(w);
        const reply = w.firstReply();
        w.post({ module: kernels.module, memory: kernels.memory, control, slot, layout: WORKER_LAYOUT, claimDelayMs: options.claimDelayMs ?? 0 });
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
  /**
   * A model run starts: wake the workers now, while this thread still copies inputs and runs the first unsplit ops,
   * and keep them polling between jobs (not blocking) until endRun, so no split op pays a wake-up.
   */
  beginRun(): void {
    if (this.released) return;
    Atomics.store(this.ctl, Ctl.ACTIVE, 1);
    for (let w = 0; w < this.workers.length; w++) Atomics.notify(this.ctl, wakeIndex(w));
  }

  /** The run is over: workers poll a little longer, then block until the next job. */
  endRun(): void {
    Atomics.store(this.ctl, Ctl.ACTIVE, 0);
  }

  runBconv2d(kernels: WasmKernels, plan: Bconv2dPlan): void {
    this.runRows(kernels, plan.variant.conv, plan.desc, plan.rows, plan.variant.mr, plan.scratch, plan.scratchBytes, plan.threads);
  }

  /**
   * Rows [0, rows) of a row-range kernel export `name(desc, m0, m1, scratch)` on up to `threads` threads: the rows
   * are cut into chunks of whole tiles of `grain` rows, claimed by whichever thread is free; thread t (0 = this one)
   * runs its chunks with scratch + t·scratchBytes. With `then`, the thread that ran a chunk runs
   * `then.name(then.desc, m0, m1, 0)` on the same rows right after it.
   */
  runRows(kernels: PoolKernels, name: string, desc: number, rows: number, grain: number, scratch: number,
    scratchBytes: number, threads: number, then?: { name: string; desc: number }): void {
    if (this.released) throw new LceError('INPUT', 'the thread pool was released');
    const fn = this.exportIndex.get(name);
    if (fn === undefined) throw new LceError('OP_PREPARE', `${name} is not an export of the kernel build`);
    const fn2 = then ? this.exportIndex.get(then.name) : -1;
    if (fn2 === undefined) throw new LceError('OP_PREPARE', `${then!.name} is not an export of the kernel build`);
    const t = Math.min(this.threads, threads);
    const tiles = Math.ceil(rows / grain);
    const chunkRows = Math.ceil(tiles / Math.min(tiles, t * CHUNKS_PER_THREAD, MAX_CHUNKS)) * grain;
    const chunks = Math.ceil(rows / chunkRows);
    if (t < 2 || chunks < 2) {
      kernels.invoke(name, desc, 0, rows, scratch);
      if (then) kernels.invoke(then.name, then.desc, 0, rows, 0);
      return;
    }
    const ctl = this.ctl;
    const seq = (this.seq = (this.seq % MAX_SEQ) + 1);
    const tag = seq << CHUNK_BITS;
    ctl[Ctl.FN] = fn;
    ctl[Ctl.DESC] = desc;
    ctl[Ctl.ROWS] = rows;
    ctl[Ctl.CHUNK_ROWS] = chunkRows;
    ctl[Ctl.CHUNKS] = chunks;
    ctl[Ctl.SCRATCH] = scratch;
    ctl[Ctl.SCRATCH_BYTES] = scratchBytes;
    ctl[Ctl.FN2] = fn2;
    ctl[Ctl.DESC2] = then ? then.desc : 0;
    Atomics.store(ctl, Ctl.DONE, 0);
    Atomics.store(ctl, Ctl.STATUS, 0);
    Atomics.store(ctl, Ctl.CLAIM, tag | chunks);
    for (let w = 0; w < t - 1; w++) {
      Atomics.store(ctl, wakeIndex(w), seq);
      Atomics.notify(ctl, wakeIndex(w), 1);
    }
    let failure: unknown = null;
    try {
      for (;;) {
        const claim = Atomics.load(ctl, Ctl.CLAIM);
        const left = claim - tag;
        if (left === 0) break;
        if (Atomics.compareExchange(ctl, Ctl.CLAIM, claim, claim - 1) !== claim) continue;
        const m0 = (chunks - left) * chunkRows;
        const m1 = Math.min(rows, m0 + chunkRows);
        kernels.invoke(name, desc, m0, m1, scratch);
        if (then) kernels.invoke(then.name, then.desc, m0, m1, 0);
        Atomics.add(ctl, Ctl.DONE, 1);
      }
    } catch (e) {
      // This thread's chunk trapped: count it and the chunks nobody claimed yet as done, so that only the chunks
      // the workers hold are waited for before anyone reuses the job's scratch and control words.
      failure = e;
      Atomics.add(ctl, Ctl.DONE, 1 + (Atomics.exchange(ctl, Ctl.CLAIM, tag) - tag));
    }
    this.waitForChunks(chunks);
    if (failure !== null) throw failure;
    if (Atomics.load(ctl, Ctl.STATUS) !== 0) throw new LceError('LIMIT', 'a kernel failed in a worker thread (wasm trap)');
  }

  /** Wait until all `chunks` chunks of the current job are done: only chunks some worker has claimed can be pending. */
  private waitForChunks(chunks: number): void {
    const ctl = this.ctl;
    let spins = 0;
    let start = 0;
    for (;;) {
      const done = Atomics.load(ctl, Ctl.DONE);
      if (done === chunks) return;
      if (++spins > SPIN) {
        if (start === 0) start = performance.now();
        if (this.canBlock) Atomics.wait(ctl, Ctl.DONE, done, 100);
        if (performance.now() - start > JOB_TIMEOUT_MS) {
          throw new LceError('LIMIT', `a worker thread did not finish its chunk within ${JOB_TIMEOUT_MS / 1000} s`);
        }
      }
    }
  }

  /** Stop and terminate every worker. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const ctl = this.ctl;
    Atomics.store(ctl, Ctl.STOP, 1);
    this.workers.forEach((_, w) => {
      Atomics.add(ctl, wakeIndex(w), 1);
      Atomics.notify(ctl, wakeIndex(w), 1);
    });
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
