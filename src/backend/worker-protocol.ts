/**
 * The control block shared by the pool (main thread) and its workers: one slot of SLOT_INTS int32 per worker in a
 * SharedArrayBuffer. The main thread writes a job's arguments, then bumps SEQ and notifies; the worker runs the job,
 * writes STATUS, stores SEQ's value into DONE and notifies. No messages pass per job, only Atomics.
 */
export const SLOT_INTS = 16;

export const Ctl = {
  /** Job counter, bumped by the main thread for each job. */
  SEQ: 0,
  /** The last SEQ the worker finished. */
  DONE: 1,
  /** What to run (JobKind). */
  KIND: 2,
  /** 0 ok, 1 the kernel threw (trap). */
  STATUS: 3,
  /** Arguments from here on. */
  ARG0: 4,
} as const;

export const JobKind = {
  STOP: 0,
  /**
   * A row-range kernel, export(desc, m0, m1, scratch): ARG0 the export's index in functionExports(module),
   * ARG0+1 descriptor, ARG0+2 m0, ARG0+3 m1, ARG0+4 scratch (ignored by kernels without scratch).
   */
  CALL_ROWS: 1,
} as const;

/** The module's function exports in a fixed order, so both sides can name a kernel by a small integer. */
export function functionExports(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
}

/** The control-slot layout and job kinds, sent to the worker (whose program cannot import them). */
export interface WorkerLayout {
  slotInts: number; SEQ: number; DONE: number; KIND: number; STATUS: number; ARG0: number; STOP: number; CALL_ROWS: number;
}

export const WORKER_LAYOUT: WorkerLayout = { slotInts: SLOT_INTS, ...Ctl, STOP: JobKind.STOP, CALL_ROWS: JobKind.CALL_ROWS };

/** The message a worker gets once, at start. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  layout: WorkerLayout;
}

/** What a worker answers to its init message. */
export type WorkerReply = { ready: true } | { ready: false; error: string };
