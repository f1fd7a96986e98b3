/** GATHER (axis, batch_dims; any element type, int32/int64 indices) and ARG_MAX (first maximum wins, as in TFLite). */
import { InputError } from '../errors.js';
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements } from '../reference/layout.js';
import { fail, requireDType, requireInput, requireOutputCount } from './common.js';
import { constInts, fmtShape, normAxis, optNumber } from './builtin-util.js';
import type { OpKernel, RuntimeTensor } from './kernel.js';

export interface GatherState {
  batch: number; outer: number; axisSize: number; coords: number; inner: number;
  opIndex: number; indicesName: string;
}

export const gatherKernel: OpKernel<{ axis: number; batchDims: number }, GatherState> = {
  type: 'GATHER',
  parse: (op: OperatorDef) => ({
    axis: optNumber(op.builtinOptions, 'axis', 0, 'GATHER'),
    batchDims: optNumber(op.builtinOptions, 'batchDims', 0, 'GATHER'),
  }),
  prepare(ctx) {
    const params = requireInput(ctx, 0);
    const indices = requireInput(ctx, 1);
    requireDType(ctx, indices, ['int32', 'int64'], 'indices');
    requireOutputCount(ctx, 1);
    const out = ctx.outputs[0]!;
    if (out.dtype !== params.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${params.dtype}`);
    const axis = normAxis(ctx, ctx.options.axis, params.shape.length);
    let bd = ctx.options.batchDims;
    if (bd < 0) bd += indices.shape.length;
    if (bd < 0 || bd > axis || bd > indices.shape.length) fail(ctx, `batchDims ${ctx.options.batchDims} is invalid for axis ${axis}`);
    for (let i = 0; i < bd; i++) {
      if (params.shape[i] !== indices.shape[i]) fail(ctx, `batch dim ${i} differs: params ${fmtShape(params.shape)}, indices ${fmtShape(indices.shape)}`);
    }
    out.shape = [...params.shape.slice(0, axis), ...indices.shape.slice(bd), ...params.shape.slice(axis + 1)];
    return {
      batch: shapeSize(params.shape.slice(0, bd)),
      outer: shapeSize(params.shape.slice(bd, axis)),
      axisSize: params.shape[axis]!,
      coords: shapeSize(indices.shape.slice(bd)),
      inner: shapeSize(params.shape.slice(axis + 1)),
      opIndex: ctx.opIndex,
      indicesName: indices.name,
    };
  },
  eval(s, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]) {
    const src = elements(inputs[0]!.data);
    const idx = inputs[1]!.data as ArrayLike<number | bigint>;
    const dst = elements(outputs[0]!.data);
    let w = 0;
    for (let b = 0; b < s.batch; b++) {
      for (let o = 0; o < s.outer; o++) {
        for (let c = 0; c < s.coords; c++) {
          const j = Number(idx[b * s.coords + c]!);
          if (j < 0 || j >= s.axisSize) {
            throw new InputError(`GATHER (op ${s.opIndex}): index ${j} in '${s.indicesName}' is outside [0, ${s.axisSize})`);
          }
          const from = ((b * s.outer + o) * s.axisSize + j) * s.inner;
          for (let k = 0; k < s.inner; k++) dst[w++] = src[from + k]!;
        }
      }
    }
  },
};

export interface ArgMaxState { outer: number; axisSize: number; inner: number }

export const argMaxKernel: OpKernel<null, ArgMaxState> = {
  type: 'ARG_MAX',
  parse: () => null,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDType(ctx, input, ['float32', 'int32', 'int8', 'uint8'], 'input');
    const axisT = requireInput(ctx, 1);
    const axes = constInts(ctx, axisT, 'axis tensor');
    if (axes.length !== 1) fail(ctx, `axis tensor '${axisT.name}' must hold one value`);
    const axis = normAxis(ctx, axes[0]!, input.shape.length);
    requireOutputCount(ctx, 1);
    const out = ctx.outputs[0]!;
    requireDType(ctx, out, ['int32', 'int64'], 'output');
    out.shape = input.shape.filter((_, i) => i !== axis);
    return {
      outer: shapeSize(input.shape.slice(0, axis)),
      axisSize: input.shape[axis]!,
      inner: shapeSize(input.shape.slice(axis + 1)),
    };
  },
  eval(s, inputs, outputs) {
    const x = elements(inputs[0]!.data);
    const out = outputs[0]!.data;
    const big = out instanceof BigInt64Array;
    const o = elements(out);
    for (let a = 0; a < s.outer; a++) {
      for (let k = 0; k < s.inner; k++) {
        const base = a * s.axisSize * s.inner + k;
        let best = 0;
        let bestV = x[base]!;
        for (let j = 1; j < s.axisSize; j++) {
          const v = x[base + j * s.inner]!;
          if (v > bestV) { bestV = v; best = j; }
        }
        if (big) (out as BigInt64Array)[a * s.inner + k] = BigInt(best);
        else o[a * s.inner + k] = best;
      }
    }
  },
};
