/** The contract every converter pass follows: a named pattern → rewrite over the IR, counting what it changed. */
import type { IrGraph } from '../ir.js';

export interface ConvertOptions {
  /** Rewrite binary QuantDense layers as reshape → 1×1 LceBconv2d → reshape (LCE leaves them as float FC). */
  denseToBconv: boolean;
  /** LCE's `target`: "xcore" disables same-zero binary convs and the BMaxPool reorder. */
  target: 'arm' | 'xcore';
  inferenceInputType: 'float32' | 'int8';
  inferenceOutputType: 'float32' | 'int8';
  /** (min, max) given to every int8 boundary tensor (LCE's experimental_default_int8_range). */
  int8Range?: [number, number];
}

export const DEFAULT_OPTIONS: ConvertOptions = {
  denseToBconv: true,
  target: 'arm',
  inferenceInputType: 'float32',
  inferenceOutputType: 'float32',
};

export interface Pass {
  name: string;
  /** Applies the rewrite everywhere it matches; returns the number of rewrites. */
  run(g: IrGraph, options: ConvertOptions): number;
}

/** Repeats `step` (one rewrite per call, true when it rewrote) until it stops matching. */
export function untilFixpoint(step: () => boolean, limit = 1_000_000): number {
  let n = 0;
  while (n < limit && step()) n++;
  return n;
}
