/**
 * The control block shared by the pool (main thread) and its workers, int32 words in a SharedArrayBuffer: a job
 * header, then one wake word per worker. No messages pass per job, only Atomics.
 *
 * A job is a row range [0, ROWS) of a kernel export cut into CHUNKS chunks of CHUNK_ROWS rows (the last may be
 * shorter). CLAIM holds the job's sequence number in its high bits and the chunks not yet claimed in its low
 * CHUNK_BITS bits. The main thread writes the parameters, zeroes DONE and STATUS, stores CLAIM = (seq, CHUNKS),
 * then stores seq into the wake word of each worker that may join (one per prepared scratch copy) and notifies it.
 * Every participating thread, the main one included, claims chunks by compareExchange of CLAIM from the exact
 * (seq, left) it read to (seq, left − 1); chunk CHUNKS − left is then its own. A worker reads the parameters only
 * after a successful claim: the main thread replaces a job only once DONE (chunks completed, each counted once by
 * the thread that ran it) reaches CHUNKS, so a claimed chunk pins its job. A worker that wakes after its job was
 * fully claimed sees another seq or no chunk left and goes back to sleep having read nothing else; the main thread
 * never waits for a thread that holds no chunk. Each thread uses scratch copy SCRATCH + thread·SCRATCH_BYTES
 * (main thread 0, worker in slot s thread s + 1), whichever chunks it runs.
 */
export const Ctl = {
  /** (seq << CHUNK_BITS) | chunks not yet claimed. */
  CLAIM: 0,
  /** Chunks of the current job completed (or given up after a failure). */
  DONE: 1,
  /** 0 ok, 1 a chunk threw (wasm trap) in a worker. */
  STATUS: 2,
  /** 1 once the pool is released: a woken worker exits. */
  STOP: 3,
  /** The kernel export's index in functionExports(module); the export is called as (desc, m0, m1, scratch). */
  FN: 4,
  DESC: 5,
  ROWS: 6,
  CHUNK_ROWS: 7,
  CHUNKS: 8,
  SCRATCH: 9,
  SCRATCH_BYTES: 10,
  /** 1 while a model run is in progress: workers poll between jobs instead of blocking (ThreadPool.beginRun). */
  ACTIVE: 11,
  /**
   * −1, or a second export run on each chunk's rows right after FN, as (DESC2, m0, m1, 0), by the same thread: a fused
   * step whose second op reads the rows the first just wrote while they are in that core's caches.
   */
  FN2: 12,
  DESC2: 13,
} as const;

/** Words before the first wake word; each wake word sits on its own 64-byte line. */
export const HEADER_INTS = 16;
export const SLOT_INTS = 16;
export const CHUNK_BITS = 12;
/** Most chunks a job may have. */
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;
/** Sequence numbers run 1..MAX_SEQ, so that a tagged CLAIM stays a positive int32. */
export const MAX_SEQ = (1 << (31 - CHUNK_BITS)) - 1;

/** Index of worker `slot`'s wake word: the seq of the last job it was asked to join. */
export function wakeIndex(slot: number): number {
  return HEADER_INTS + slot * SLOT_INTS;
}

/** The module's function exports in a fixed order, so both sides can name a kernel by a small integer. */
export function functionExports(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
}

/** The control-block layout, sent to the worker (whose program cannot import it). */
export interface WorkerLayout {
  CLAIM: number; DONE: number; STATUS: number; STOP: number; FN: number; DESC: number; ROWS: number;
  CHUNK_ROWS: number; CHUNKS: number; SCRATCH: number; SCRATCH_BYTES: number; ACTIVE: number; FN2: number; DESC2: number;
  headerInts: number; slotInts: number; chunkBits: number;
}

export const WORKER_LAYOUT: WorkerLayout = { ...Ctl, headerInts: HEADER_INTS, slotInts: SLOT_INTS, chunkBits: CHUNK_BITS };

/** The message a worker gets once, at start. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  layout: WorkerLayout;
  /** Test hook: milliseconds the worker sleeps after each wake-up before it claims (0 in normal use). */
  claimDelayMs: number;
}

/** What a worker answers to its init message. */
export type WorkerReply = { ready: true } | { ready: false; error: string };
