/**
 * MAX_POOL_2D (TFLite builtin 17), float32 and int8; also the Pool2DOptions parsing and pooling prepare that
 * AVERAGE_POOL_2D shares. int8 pooling works on the raw values, so input and output must share scale and zero point.
 */
import type { Pool2DGeometry } from '../reference/pool2d.js';
import { maxPool2dFloat, maxPool2dInt8 } from '../reference/pool2d.js';
import { quantizedActivationRange } from '../reference/quant.js';
import type { BuiltinOptions } from '../graph/model.js';
import { activationRange, fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount, requireRank } from './common.js';
import { parseActivation, parseInt32Option, parsePadding, requireClampActivation, requirePositive, spatialAxis } from './conv2d.js';
import { defineOp } from './kernel.js';
import type { PrepareContext } from './kernel.js';

export interface Pool2DOptions {
  padding: number;
  strideW: number;
  strideH: number;
  filterWidth: number;
  filterHeight: number;
  activation: number;
}

export type Pool2DState =
  | { kind: 'float32'; geometry: Pool2DGeometry; actMin: number; actMax: number }
  | { kind: 'int8'; geometry: Pool2DGeometry; actMin: number; actMax: number };

export function parsePool2DOptions(opts: BuiltinOptions | null, opType: string): Pool2DOptions {
  return {
    padding: parsePadding(opts, opType),
    strideW: parseInt32Option(opts, 'strideW', 0, opType),
    strideH: parseInt32Option(opts, 'strideH', 0, opType),
    filterWidth: parseInt32Option(opts, 'filterWidth', 0, opType),
    filterHeight: parseInt32Option(opts, 'filterHeight', 0, opType),
    activation: parseActivation(opts, opType),
  };
}

export function preparePool2D(ctx: PrepareContext<Pool2DOptions>): Pool2DState {
  const opts = ctx.options;
  requireInputCount(ctx, 1);
  requireOutputCount(ctx, 1);
  const input = requireInput(ctx, 0);
  const output = ctx.outputs[0]!;
  requireDType(ctx, input, ['float32', 'int8'], 'input');
  if (output.dtype !== input.dtype) fail(ctx, `output '${output.name}' has dtype ${output.dtype}; expected ${input.dtype} (same as the input)`);
  requireRank(ctx, input, 4, 'input');
  requirePositive(ctx, opts.strideW, 'strideW');
  requirePositive(ctx, opts.strideH, 'strideH');
  requirePositive(ctx, opts.filterWidth, 'filterWidth');
  requirePositive(ctx, opts.filterHeight, 'filterHeight');
  requireClampActivation(ctx, opts.activation);
  const [batch, inH, inW, channels] = input.shape as [number, number, number, number];
  const h = spatialAxis(ctx, opts.padding, inH, opts.filterHeight, opts.strideH, 1, 'height');
  const w = spatialAxis(ctx, opts.padding, inW, opts.filterWidth, opts.strideW, 1, 'width');
  output.shape = [batch, h.out, w.out, channels];
  const geometry: Pool2DGeometry = {
    batch, inH, inW, channels, outH: h.out, outW: w.out, filterH: opts.filterHeight, filterW: opts.filterWidth,
    strideH: opts.strideH, strideW: opts.strideW, padTop: h.before, padLeft: w.before,
  };
  if (input.dtype === 'float32') {
    const [actMin, actMax] = activationRange(opts.activation);
    return { kind: 'float32', geometry, actMin, actMax };
  }
  const inQ = perTensorQuant(ctx, input, 'input');
  const outQ = perTensorQuant(ctx, output, 'output');
  // TFLite's pooling checks the same tolerance (scale within 1e-6, equal zero points)
  if (!(Math.abs(inQ.scale - outQ.scale) <= 1e-6) || inQ.zeroPoint !== outQ.zeroPoint) {
    fail(ctx, `int8 pooling needs the same quantization on input and output; got scale ${inQ.scale} zero point ` +
      `${inQ.zeroPoint} vs scale ${outQ.scale} zero point ${outQ.zeroPoint}`);
  }
  if (!(outQ.scale > 0)) fail(ctx, `output '${output.name}' has quantization scale ${outQ.scale}; expected a positive number`);
  const [actMin, actMax] = quantizedActivationRange(opts.activation, outQ.scale, outQ.zeroPoint);
  return { kind: 'int8', geometry, actMin, actMax };
}

export const maxPool2d = defineOp<Pool2DOptions, Pool2DState>({
  type: 'MAX_POOL_2D',
  parse: (op) => parsePool2DOptions(op.builtinOptions, 'MAX_POOL_2D'),
  prepare: preparePool2D,
  eval(state, inputs, outputs) {
    if (state.kind === 'float32') {
      maxPool2dFloat(state.geometry, inputs[0]!.data as Float32Array, outputs[0]!.data as Float32Array, state.actMin, state.actMax);
    } else {
      maxPool2dInt8(state.geometry, inputs[0]!.data as Int8Array, outputs[0]!.data as Int8Array, state.actMin, state.actMax);
    }
  },
});
