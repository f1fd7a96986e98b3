/** Shape-only ops that copy the data unchanged (int8 passes through with its quantization): RESHAPE, SQUEEZE,
 * EXPAND_DIMS; and SHAPE, which writes the input's static shape. */
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements } from '../reference/layout.js';
import { fail, requireInput, requireOutputCount } from './common.js';
import { constInts, fmtShape, normAxis, optInts } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor, TensorSpec } from './kernel.js';

export interface CopyState { size: number }

function evalCopy(s: CopyState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const src = elements(inputs[0]!.data);
  const dst = elements(outputs[0]!.data);
  if (src === dst) return;
  for (let i = 0; i < s.size; i++) dst[i] = src[i]!;
}

function passThroughOutput(ctx: PrepareContext<unknown>, input: TensorSpec, shape: number[]): CopyState {
  requireOutputCount(ctx, 1);
  const out = ctx.outputs[0]!;
  if (out.dtype !== input.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${input.dtype}`);
  out.shape = shape;
  return { size: shapeSize(shape) };
}

/** Resolves a requested shape with at most one -1 against an element count (TFLite's reshape rules). */
export function resolveReshape(ctx: PrepareContext<unknown>, requested: readonly number[], count: number, from: readonly number[]): number[] {
  let stretch = -1;
  let known = 1;
  requested.forEach((d, i) => {
    if (d === -1) {
      if (stretch >= 0) fail(ctx, `new shape ${fmtShape(requested)} has more than one -1`);
      stretch = i;
    } else if (!Number.isInteger(d) || d < 0) fail(ctx, `new shape ${fmtShape(requested)} has an invalid dimension ${d}`);
    else known *= d;
  });
  const shape = requested.slice();
  if (stretch >= 0) {
    if (known === 0 || count % known !== 0) fail(ctx, `cannot reshape ${fmtShape(from)} (${count} elements) to ${fmtShape(requested)}`);
    shape[stretch] = count / known;
  } else if (known !== count) {
    fail(ctx, `cannot reshape ${fmtShape(from)} (${count} elements) to ${fmtShape(requested)} (${known} elements)`);
  }
  return shape;
}

export const reshapeKernel: OpKernel<{ newShape: number[] | null }, CopyState> = {
  type: 'RESHAPE',
  parse: (op: OperatorDef) => ({ newShape: optInts(op.builtinOptions, 'newShape', 'RESHAPE') }),
  prepare(ctx) {
    if (ctx.inputs.length < 1 || ctx.inputs.length > 2) fail(ctx, `expects 1 or 2 inputs, got ${ctx.inputs.length}`);
    const input = requireInput(ctx, 0);
    const shapeT = ctx.inputs[1] ?? null;
    let requested: number[];
    if (shapeT && (shapeT.constant || !ctx.options.newShape)) {
      if (shapeT.shape.length > 1) fail(ctx, `shape tensor '${shapeT.name}' must be 1-D, got ${fmtShape(shapeT.shape)}`);
      requested = constInts(ctx, shapeT, 'shape tensor');
    } else if (ctx.options.newShape) requested = ctx.options.newShape;
    else fail(ctx, 'has neither a shape input nor a newShape option');
    return passThroughOutput(ctx, input, resolveReshape(ctx, requested, shapeSize(input.shape), input.shape));
  },
  eval: evalCopy,
};

export const squeezeKernel: OpKernel<{ squeezeDims: number[] }, CopyState> = {
  type: 'SQUEEZE',
  parse: (op: OperatorDef) => ({ squeezeDims: optInts(op.builtinOptions, 'squeezeDims', 'SQUEEZE') ?? [] }),
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const rank = input.shape.length;
    const drop = new Set<number>();
    if (ctx.options.squeezeDims.length === 0) input.shape.forEach((d, i) => { if (d === 1) drop.add(i); });
    for (const a of ctx.options.squeezeDims) {
      const ax = normAxis(ctx, a, rank, 'squeeze dim');
      if (input.shape[ax] !== 1) fail(ctx, `cannot squeeze dim ${a} of ${fmtShape(input.shape)}: size is not 1`);
      drop.add(ax);
    }
    return passThroughOutput(ctx, input, input.shape.filter((_, i) => !drop.has(i)));
  },
  eval: evalCopy,
};

export const expandDimsKernel: OpKernel<null, CopyState> = {
  type: 'EXPAND_DIMS',
  parse: () => null,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const axisT = requireInput(ctx, 1);
    const axes = constInts(ctx, axisT, 'axis tensor');
    if (axes.length !== 1) fail(ctx, `axis tensor '${axisT.name}' must hold exactly one value`);
    const rank = input.shape.length;
    const ax = normAxis(ctx, axes[0]!, rank + 1);
    const shape = input.shape.slice();
    shape.splice(ax, 0, 1);
    return passThroughOutput(ctx, input, shape);
  },
  eval: evalCopy,
};

export interface ShapeState { shape: number[] }

export const shapeKernel: OpKernel<null, ShapeState> = {
  type: 'SHAPE',
  parse: () => null,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireOutputCount(ctx, 1);
    const out = ctx.outputs[0]!;
    if (out.dtype !== 'int32' && out.dtype !== 'int64') fail(ctx, `output '${out.name}' must be int32 or int64, got ${out.dtype}`);
    out.shape = [input.shape.length];
    return { shape: input.shape.slice() };
  },
  eval(s, _inputs, outputs) {
    const out = outputs[0]!.data;
    if (out instanceof BigInt64Array) s.shape.forEach((d, i) => { out[i] = BigInt(d); });
    else { const o = elements(out); for (let i = 0; i < s.shape.length; i++) o[i] = s.shape[i]!; }
  },
};

export { evalCopy };
