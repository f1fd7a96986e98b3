/**
 * What the fast float ops share: a prepared row-range kernel (descriptor in wasm memory) bound to its tensors'
 * arena offsets on first eval, run on one thread or split by output rows over the pool.
 */
import { setF32Io } from '../../backend/wasm.js';
import type { RuntimeTensor } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

/** A row-range kernel export(desc, m0, m1, scratch) and how to split it. */
export interface RowKernel {
  readonly name: string;
  readonly desc: number;
  readonly rows: number;
  /** Rows per tile: thread ranges are whole tiles. */
  readonly grain: number;
  readonly scratch: number;
  readonly scratchBytes: number;
  /** Scratch copies prepared (threads that may run it). */
  readonly threads: number;
  /** Worth splitting over the pool. */
  readonly split: boolean;
  /** Worth splitting even when that means waking a sleeping worker (backend.poolFor). */
  readonly wakeWorthy: boolean;
}

export interface FloatPlanState<R> {
  readonly ref: R;
  /** null: the reference kernel runs. */
  readonly kernel: RowKernel | null;
  boundInput: number;
  boundOutput: number;
}

export function planState<R>(ref: R, kernel: RowKernel | null, backend: WasmBackend): FloatPlanState<R> {
  if (kernel?.split) backend.requestThreads(kernel.wakeWorthy);
  return { ref, kernel, boundInput: -1, boundOutput: -1 };
}

/** Run the prepared kernel on input 0 → output 0; false when it cannot (no plan, tensors outside the arena). */
export function runPlanned<R>(backend: WasmBackend, state: FloatPlanState<R>, inputs: readonly (RuntimeTensor | null)[],
  outputs: readonly RuntimeTensor[]): boolean {
  const kernel = state.kernel;
  if (!kernel) return false;
  const input = backend.offsetOf(inputs[0]!);
  const output = backend.offsetOf(outputs[0]!);
  if (input < 0 || output < 0) return false;
  const k = backend.kernels;
  if (input !== state.boundInput || output !== state.boundOutput) {
    setF32Io(k, kernel, input, output);
    state.boundInput = input;
    state.boundOutput = output;
  }
  const pool = backend.poolFor(kernel);
  if (pool) {
    pool.runRows(k, kernel.name, kernel.desc, kernel.rows, kernel.grain, kernel.scratch, kernel.scratchBytes, kernel.threads);
  } else {
    k.invoke(kernel.name, kernel.desc, 0, kernel.rows, kernel.scratch);
  }
  return true;
}

/**
 * Multiply-accumulates (or window reads) below which one thread beats handing rows to the others. 1 << 17 (was
 * 1 << 19) also splits QuickNet's depthwise convolutions (56x56x16 and 28x28x64: 451 k MACs, 0.1-0.15 ms each) and its
 * last max pool: with the workers polling through a run (models with at least 4 split ops, backend.ts
 * RUN_POLLING_MIN_SPLIT_OPS) a split costs a few µs; in runs that do not poll only ops from FLOAT_WAKE_MIN_WORK split.
 * No corpus model crosses that count (split ops QuickNet 22 -> 27, QuickNetSmall 21 -> 26, BiRealNet 1 -> 1). QuickNet
 * on 2 threads, separate processes alternating (the VM is noisy): median 13.44 / 13.62 / 12.02 / 13.27 ms ->
 * 12.20 / 13.16 / 11.65 / 12.63 ms.
 */
export const FLOAT_SPLIT_MIN_WORK = 1 << 17;

/** Work from which an op splits even in a run whose workers sleep between ops (≈ 0.2 ms of float work). */
export const FLOAT_WAKE_MIN_WORK = 1 << 22;

/**
 * `split`: worth splitting over the pool (at least `minWork` and two tiles of `grain` rows per thread);
 * `wakeWorthy`: also when that wakes a sleeping worker (from `wakeMinWork`). Float thresholds by default;
 * LceBconv2d passes its binary ones.
 */
export function worthSplitting(backend: WasmBackend, work: number, rows: number, grain: number, minWork = FLOAT_SPLIT_MIN_WORK,
  wakeMinWork = FLOAT_WAKE_MIN_WORK): { split: boolean; wakeWorthy: boolean } {
  const split = backend.threads > 1 && work >= minWork && rows >= 2 * backend.threads * grain;
  return { split, wakeWorthy: split && work >= wakeMinWork };
}
