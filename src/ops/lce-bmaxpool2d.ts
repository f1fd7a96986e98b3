/**
 * LceBMaxPool2d (lce-ops.md §3.4): max pool on bitpacked int32 [N, H, W, P] as the AND of the words in each
 * window (clipped to the image). The packed channel axis passes through; prepare resizes the output.
 */
import { decodeFlexMap, flexInt } from '../format/flexbuffer.js';
import { bmaxpool2d, bmaxpool2dGeometry, type BMaxPool2dGeometry } from '../reference/bmaxpool.js';
import { Padding, fail, requireDType, requireInput, requireInputCount, requireOutputCount, requireRank } from './common.js';
import { defineOp } from './kernel.js';

export interface LceBMaxPool2dOptions {
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Schema Padding; a missing key reads as 0 = SAME, as in LCE. */
  padding: number;
}

export const lceBMaxPool2d = defineOp<LceBMaxPool2dOptions, BMaxPool2dGeometry>({
  type: 'LceBMaxPool2d',
  parse(op) {
    const bytes = op.customOptions;
    const map = bytes && bytes.byteLength > 0 ? decodeFlexMap(bytes, 'LceBMaxPool2d') : {};
    // LCE reads every key with AsInt32(), so a missing one is 0 (and then refused in prepare unless it is padding).
    return {
      filterHeight: flexInt(map, 'filter_height') ?? 0,
      filterWidth: flexInt(map, 'filter_width') ?? 0,
      strideHeight: flexInt(map, 'stride_height') ?? 0,
      strideWidth: flexInt(map, 'stride_width') ?? 0,
      padding: flexInt(map, 'padding') ?? 0,
    };
  },
  prepare(ctx) {
    const o = ctx.options;
    requireInputCount(ctx, 1);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const output = ctx.outputs[0]!;
    requireRank(ctx, input, 4, 'input');
    requireDType(ctx, input, ['int32'], 'input');
    requireDType(ctx, output, ['int32'], 'output');
    if (o.strideHeight < 1 || o.strideWidth < 1) fail(ctx, `strides must be ≥ 1, got ${o.strideHeight}×${o.strideWidth}`);
    if (o.filterHeight < 1 || o.filterWidth < 1) fail(ctx, `filter size must be ≥ 1, got ${o.filterHeight}×${o.filterWidth}`);
    if (o.padding !== Padding.SAME && o.padding !== Padding.VALID) fail(ctx, `padding must be 0 (SAME) or 1 (VALID), got ${o.padding}`);
    const g = bmaxpool2dGeometry(input.shape, o.filterHeight, o.filterWidth, o.strideHeight, o.strideWidth, o.padding);
    output.shape = [g.batch, g.outHeight, g.outWidth, g.words];
    return g;
  },
  eval(state, inputs, outputs) {
    bmaxpool2d(state, inputs[0]!.data as Int32Array, outputs[0]!.data as Int32Array);
  },
});
