/**
 * Backend selection: 'wasm' (the WebAssembly kernels, activations in wasm memory, optional worker threads) or
 * 'reference' (the plain-TS kernels). The default is wasm whenever the kernel build loads, else reference.
 * A WasmBackend belongs to one session: its own WebAssembly.Memory (weights, descriptors, scratch, then the
 * activation arena, allocated last so the memory never grows while arena views exist) and its own thread pool.
 */
import { LceError } from '../errors.js';
import { hasSharedMemory } from '../backend/features.js';
import { availableCores, ThreadPool } from '../backend/pool.js';
import type { Isa } from '../backend/variants.js';
import { fetchKernelLoader, WasmKernels, type KernelBuild, type KernelLoader } from '../backend/wasm.js';
import type { RuntimeTensor } from '../ops/kernel.js';

export type BackendName = 'wasm' | 'reference';

export interface BackendOptions {
  /** Default: 'wasm' when the kernels load, else 'reference'. Asking for 'wasm' explicitly makes a load failure an error. */
  backend?: BackendName;
  /** Threads for the wasm kernels (default: available cores); 1 where SharedArrayBuffer is unavailable. */
  numThreads?: number;
  /** Where the kernel builds come from (default: build/ next to the package, read from disk in Node). */
  kernelLoader?: KernelLoader;
  /** Force the scalar or SIMD build (tests); default by feature detection. */
  isa?: Isa;
  /**
   * Test hook: every op that asked to split uses the pool, even in runs that do not poll and for ops too small to
   * pay a worker's wake-up (op tests check the split path on mid-sized ops).
   */
  splitEveryOp?: boolean;
}

let defaultLoader: KernelLoader | null = null;

/** The Node entry installs a file-system loader; browsers fetch build/ relative to this module unless told otherwise. */
export function setDefaultKernelLoader(loader: KernelLoader): void {
  defaultLoader = loader;
}

async function resolveLoader(): Promise<KernelLoader> {
  if (defaultLoader) return defaultLoader;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    // Core modules may be imported without src/node.ts (tests, tools); the file loader is found the same way.
    const specifier = '../backend/node-loader.js';
    const { nodeKernelLoader } = (await import(/* @vite-ignore */ specifier)) as typeof import('../backend/node-loader.js');
    defaultLoader = nodeKernelLoader;
    return nodeKernelLoader;
  }
  return fetchKernelLoader(new URL('../../build/', import.meta.url));
}

/** Compiled modules per loader and build: sessions share the compiled code, never the memory. */
const modules = new WeakMap<KernelLoader, Map<KernelBuild, Promise<WebAssembly.Module>>>();

function cachingLoader(loader: KernelLoader): KernelLoader {
  let perBuild = modules.get(loader);
  if (!perBuild) modules.set(loader, (perBuild = new Map()));
  const cache = perBuild;
  return {
    load(build) {
      let m = cache.get(build);
      if (!m) {
        m = loader.load(build).then((src) => (src instanceof WebAssembly.Module ? src : WebAssembly.compile(src)));
        cache.set(build, m);
        m.catch(() => cache.delete(build));
      }
      return m;
    },
  };
}

/** Split ops from which a run keeps the pool's workers polling throughout (ThreadPool.beginRun). */
export const RUN_POLLING_MIN_SPLIT_OPS = 4;

export class WasmBackend {
  readonly kernels: WasmKernels;
  /** Threads an op may plan for (scratch copies); the pool exists only if some op will use it (see start). */
  readonly threads: number;
  private poolInstance: ThreadPool | null = null;
  private splitOpCount = 0;
  private wakeWorthyCount = 0;
  private arenaBuffer: ArrayBufferLike | null = null;

  /** numThreads was given: a pool that fails to start is then an error, not a quiet fall back to one thread. */
  private readonly explicitThreads: boolean;
  private readonly splitEveryOp: boolean;

  private constructor(kernels: WasmKernels, threads: number, explicitThreads: boolean, splitEveryOp: boolean) {
    this.kernels = kernels;
    this.threads = threads;
    this.explicitThreads = explicitThreads;
    this.splitEveryOp = splitEveryOp;
  }

  static async create(options: BackendOptions = {}): Promise<WasmBackend> {
    const requested = options.numThreads ?? (await availableCores());
    if (!Number.isInteger(requested) || requested < 1) {
      throw new LceError('INPUT', `numThreads must be an integer ≥ 1, got ${requested}`);
    }
    const threads = requested > 1 && hasSharedMemory() ? requested : 1;
    const loader = cachingLoader(options.kernelLoader ?? (await resolveLoader()));
    const kernels = await WasmKernels.load({
      loader, shared: threads > 1, ...(options.isa ? { isa: options.isa } : {}),
    });
    return new WasmBackend(kernels, threads, options.numThreads !== undefined, options.splitEveryOp === true);
  }

  /** The pool, once `start` made one (null on one thread, or when no op will use it). */
  get pool(): ThreadPool | null {
    return this.poolInstance;
  }

  /** Runs keep the workers polling from start to end (enough split ops that waking them per op would cost more). */
  get runPolling(): boolean {
    return this.splitOpCount >= RUN_POLLING_MIN_SPLIT_OPS;
  }

  /**
   * Called by an op's prepare when it has work worth splitting across threads; `wakeWorthy`: enough work (≈ 0.2 ms)
   * to pay for waking a sleeping worker, so the op splits even in a run that does not poll.
   */
  requestThreads(wakeWorthy: boolean): void {
    this.splitOpCount++;
    if (wakeWorthy) this.wakeWorthyCount++;
  }

  /**
   * The pool for an op that asked to split, at eval: in runs that poll, or for wake-worthy ops; otherwise null (the
   * op runs on the calling thread). A model with one or two mid-sized split ops (the corpus BiRealNet: a 0.1 ms
   * stem) was slower on two threads than on one: each run paid a worker's wake-up.
   */
  poolFor(op: { readonly split: boolean; readonly wakeWorthy: boolean }): ThreadPool | null {
    return op.split && (op.wakeWorthy || this.runPolling || this.splitEveryOp) ? this.poolInstance : null;
  }

  /**
   * The interpreter's arena allocator: the last allocation in wasm memory. After it nothing may allocate
   * (growth would detach the views of non-shared memory), which `kernels.alloc` callers respect by allocating
   * only in prepare, and which this method enforces by refusing a second arena.
   */
  readonly allocateArena = (bytes: number): { buffer: ArrayBufferLike; byteOffset: number } => {
    if (this.arenaBuffer) throw new LceError('LIMIT', 'this wasm backend already holds an activation arena');
    const byteOffset = this.kernels.alloc(bytes);
    this.arenaBuffer = this.kernels.memory.buffer;
    return { buffer: this.arenaBuffer, byteOffset };
  };

  /** Byte offset of a tensor in wasm memory, or −1 when it is not in the arena (e.g. a constant). */
  offsetOf(t: RuntimeTensor): number {
    return t.data.buffer === this.arenaBuffer ? t.data.byteOffset : -1;
  }

  /**
   * Start the worker pool if some op will use it: runs poll (4 or more split ops), or an op is wake-worthy (ops run on
   * one thread until then, and if it cannot start).
   */
  async start(): Promise<void> {
    const used = this.runPolling || this.wakeWorthyCount > 0 || (this.splitEveryOp && this.splitOpCount > 0);
    if (this.threads < 2 || !used || this.poolInstance) return;
    try {
      this.poolInstance = await ThreadPool.start(this.kernels, this.threads);
    } catch (e) {
      if (this.explicitThreads) {
        throw new LceError('LIMIT', `cannot start ${this.threads - 1} worker thread(s): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
  }

  async release(): Promise<void> {
    const pool = this.poolInstance;
    this.poolInstance = null;
    if (pool) await pool.release();
  }
}

/**
 * The backend a session gets: a WasmBackend, or null for the reference kernels. With no explicit choice a
 * kernel build that fails to load (no wasm, missing files) quietly means reference.
 */
export async function selectBackend(options: BackendOptions = {}): Promise<WasmBackend | null> {
  const name = options.backend;
  if (name !== undefined && name !== 'wasm' && name !== 'reference') {
    throw new LceError('INPUT', `backend must be 'wasm' or 'reference', got '${String(name)}'`);
  }
  if (name === 'reference') return null;
  if (name === 'wasm') return WasmBackend.create(options);
  try {
    return await WasmBackend.create(options);
  } catch (e) {
    if (e instanceof LceError && e.code === 'INPUT') throw e;
    return null;
  }
}
