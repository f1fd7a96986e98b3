/**
 * The converter's pass order, following LCE's (tf_tfl_passes.cc, §4.1): fold the kernel quantizers, recognise
 * binary quantizers and convolutions (PrepareLCE), fuse (OptimizeLCE ↔ TFLite Optimize ↔ OptimizeLCE), bitpack
 * weights, fuse float padding, then int8 quantisation, the I/O types and clean-up.
 */
import type { IrGraph } from './ir.js';
import { bconvPostOps } from './passes/bconv-post-ops.js';
import { binaryConv } from './passes/binary-conv.js';
import { bitpackWeights } from './passes/bitpack-weights.js';
import { bitpackedOutput } from './passes/bitpacked-output.js';
import { bmaxpool } from './passes/bmaxpool.js';
import { cse } from './passes/cse.js';
import { dce } from './passes/dce.js';
import { denseToBconv } from './passes/dense-to-bconv.js';
import { floatFusions } from './passes/float-fusions.js';
import { foldConstants } from './passes/fold-constants.js';
import { fusePadding } from './passes/fuse-padding.js';
import { int8Io } from './passes/int8-io.js';
import { int8Quantize } from './passes/int8-quantize.js';
import type { ConvertOptions, Pass } from './passes/pass.js';
import { quantizeBinary } from './passes/quantize-binary.js';
import { sinkReshape } from './passes/sink-reshape.js';

export const PIPELINE: readonly Pass[] = [
  foldConstants,
  denseToBconv,
  dce,
  sinkReshape,
  quantizeBinary,
  cse,
  binaryConv,
  dce,
  bconvPostOps,
  floatFusions,
  bconvPostOps,
  bmaxpool,
  bitpackedOutput,
  bitpackWeights,
  fusePadding,
  foldConstants,
  int8Quantize,
  int8Io,
  dce,
];

export interface PassResult {
  name: string;
  rewrites: number;
}

/** Runs the passes in order; returns how often each rewrote (summed over repeated passes). */
export function runPipeline(g: IrGraph, options: ConvertOptions, passes: readonly Pass[] = PIPELINE, onPass?: (name: string, index: number, total: number) => void): PassResult[] {
  const totals = new Map<string, number>();
  passes.forEach((p, i) => {
    onPass?.(p.name, i, passes.length);
    const n = p.run(g, options);
    g.toposort();
    totals.set(p.name, (totals.get(p.name) ?? 0) + n);
  });
  return [...totals].map(([name, rewrites]) => ({ name, rewrites }));
}
