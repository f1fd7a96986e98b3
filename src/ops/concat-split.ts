/**
 * CONCATENATION, PACK (concat along a new axis), SPLIT, SPLIT_V and UNPACK. Concatenation of int8 inputs whose
 * scale/zero point differ from the output's is requantized with TFLite's ConcatenationWithScaling float arithmetic
 * (TFLite itself rejects such int8 models; equal-scale inputs are copied bit for bit).
 */
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements } from '../reference/layout.js';
import { roundHalfAway } from '../reference/quant.js';
import { Activation, activationRange, fail, requireInput } from './common.js';
import { constInts, fmtShape, int8Range, normAxis, optNumber, quantOrUnit } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor, TensorSpec } from './kernel.js';

/** Rescale of one concatenated int8 input onto the output's quantization; null = bit copy. */
interface Rescale { scale: number; bias: number; outZp: number }

export interface ConcatState {
  outer: number;
  inner: number;
  /** Per input: its extent along the axis. */
  axisSizes: number[];
  outAxis: number;
  rescale: (Rescale | null)[];
  lo: number; hi: number;
  qmin: number; qmax: number;
  float: boolean;
}

function outerInner(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: shapeSize(shape.slice(0, axis)), inner: shapeSize(shape.slice(axis + 1)) };
}

function prepareConcat(ctx: PrepareContext<unknown>, ins: TensorSpec[], axisIn: number, act: number, newAxis: boolean): ConcatState {
  if (ins.length === 0) fail(ctx, 'needs at least one input');
  const first = ins[0]!;
  const rank = first.shape.length + (newAxis ? 1 : 0);
  const axis = normAxis(ctx, axisIn, rank);
  const withAxis = (t: TensorSpec): number[] => {
    const s = t.shape.slice();
    if (newAxis) s.splice(axis, 0, 1);
    return s;
  };
  const ref = withAxis(first);
  const shapes = ins.map((t) => {
    if (t.dtype !== first.dtype) fail(ctx, `input '${t.name}' has dtype ${t.dtype}; expected ${first.dtype}`);
    const s = withAxis(t);
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== ref[i])) {
      fail(ctx, `input '${t.name}' shape ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} outside axis ${axisIn}`);
    }
    return s;
  });
  const outShape = shapes[0]!.slice();
  outShape[axis] = shapes.reduce((acc, s) => acc + s[axis]!, 0);
  if (ctx.outputs.length !== 1) fail(ctx, `expects 1 output, got ${ctx.outputs.length}`);
  const out = ctx.outputs[0]!;
  if (out.dtype !== first.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${first.dtype}`);
  out.shape = outShape;
  if (act !== Activation.NONE && first.dtype !== 'float32') fail(ctx, `fused activation ${act} is only supported on float32`);
  if (act !== Activation.NONE && act !== Activation.RELU && act !== Activation.RELU6 && act !== Activation.RELU_N1_TO_1) {
    fail(ctx, `fused activation ${act} is not supported`);
  }
  const [lo, hi] = activationRange(act);
  const quantized = first.dtype === 'int8' || first.dtype === 'uint8';
  const qo = quantOrUnit(out);
  const rescale = ins.map((t): Rescale | null => {
    if (!quantized || newAxis) return null;
    const q = quantOrUnit(t);
    if (q.scale === qo.scale && q.zeroPoint === qo.zeroPoint) return null;
    const scale = Math.fround(q.scale * Math.fround(1 / qo.scale));
    return { scale, bias: Math.fround(-q.zeroPoint * scale), outZp: qo.zeroPoint };
  });
  const [qmin, qmax] = int8Range(first.dtype);
  const { outer, inner } = outerInner(outShape, axis);
  return { outer, inner, axisSizes: shapes.map((s) => s[axis]!), outAxis: outShape[axis]!, rescale, lo, hi, qmin, qmax, float: first.dtype === 'float32' };
}

function evalConcat(s: ConcatState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const out = elements(outputs[0]!.data);
  const clamp = s.float && (s.lo !== -Infinity || s.hi !== Infinity);
  let offset = 0;
  for (let k = 0; k < s.axisSizes.length; k++) {
    const src = elements(inputs[k]!.data);
    const chunk = s.axisSizes[k]! * s.inner;
    const r = s.rescale[k]!;
    for (let o = 0; o < s.outer; o++) {
      const dst = o * s.outAxis * s.inner + offset;
      const from = o * chunk;
      for (let j = 0; j < chunk; j++) {
        let v = src[from + j]!;
        if (r) {
          v = roundHalfAway(Math.fround(Math.fround(v * r.scale) + r.bias)) + r.outZp;
          v = v < s.qmin ? s.qmin : v > s.qmax ? s.qmax : v;
        } else if (clamp) v = v < s.lo ? s.lo : v > s.hi ? s.hi : v;
        out[dst + j] = v;
      }
    }
    offset += chunk;
  }
}

function allInputs(ctx: PrepareContext<unknown>): TensorSpec[] {
  return ctx.inputs.map((_, i) => requireInput(ctx, i));
}

export const concatenationKernel: OpKernel<{ axis: number; fusedActivationFunction: number }, ConcatState> = {
  type: 'CONCATENATION',
  parse: (op: OperatorDef) => ({
    axis: optNumber(op.builtinOptions, 'axis', 0, 'CONCATENATION'),
    fusedActivationFunction: optNumber(op.builtinOptions, 'fusedActivationFunction', 0, 'CONCATENATION'),
  }),
  prepare: (ctx) => prepareConcat(ctx, allInputs(ctx), ctx.options.axis, ctx.options.fusedActivationFunction, false),
  eval: evalConcat,
};

export const packKernel: OpKernel<{ valuesCount: number; axis: number }, ConcatState> = {
  type: 'PACK',
  parse: (op: OperatorDef) => ({
    valuesCount: optNumber(op.builtinOptions, 'valuesCount', 0, 'PACK'),
    axis: optNumber(op.builtinOptions, 'axis', 0, 'PACK'),
  }),
  prepare(ctx) {
    const ins = allInputs(ctx);
    if (ctx.options.valuesCount !== ins.length) fail(ctx, `valuesCount ${ctx.options.valuesCount} != ${ins.length} inputs`);
    ins.forEach((t) => {
      if (t.shape.length !== ins[0]!.shape.length || t.shape.some((d, i) => d !== ins[0]!.shape[i])) {
        fail(ctx, `input '${t.name}' shape ${fmtShape(t.shape)} differs from ${fmtShape(ins[0]!.shape)}`);
      }
    });
    return prepareConcat(ctx, ins, ctx.options.axis, Activation.NONE, true);
  },
  eval: evalConcat,
};

// --- splitting -----------------------------------------------------------------------------------------------

export interface SplitState { outer: number; inner: number; inAxis: number; sizes: number[] }

function prepareSplit(ctx: PrepareContext<unknown>, input: TensorSpec, axis: number, sizes: number[], dropAxis: boolean): SplitState {
  if (ctx.outputs.length !== sizes.length) fail(ctx, `expects ${sizes.length} outputs, got ${ctx.outputs.length}`);
  ctx.outputs.forEach((o, k) => {
    if (o.dtype !== input.dtype) fail(ctx, `output '${o.name}' has dtype ${o.dtype}; expected ${input.dtype}`);
    const s = input.shape.slice();
    if (dropAxis) s.splice(axis, 1);
    else s[axis] = sizes[k]!;
    o.shape = s;
  });
  const { outer, inner } = outerInner(input.shape, axis);
  return { outer, inner, inAxis: input.shape[axis]!, sizes };
}

function evalSplit(s: SplitState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[], valueIndex: number): void {
  const src = elements(inputs[valueIndex]!.data);
  let offset = 0;
  for (let k = 0; k < s.sizes.length; k++) {
    const dst = elements(outputs[k]!.data);
    const chunk = s.sizes[k]! * s.inner;
    for (let o = 0; o < s.outer; o++) {
      const from = o * s.inAxis * s.inner + offset;
      for (let j = 0; j < chunk; j++) dst[o * chunk + j] = src[from + j]!;
    }
    offset += chunk;
  }
}

export const splitKernel: OpKernel<{ numSplits: number }, SplitState> = {
  type: 'SPLIT',
  parse: (op: OperatorDef) => ({ numSplits: optNumber(op.builtinOptions, 'numSplits', 0, 'SPLIT') }),
  prepare(ctx) {
    // SPLIT takes (axis, value)
    const axisT = requireInput(ctx, 0);
    const input = requireInput(ctx, 1);
    const axes = constInts(ctx, axisT, 'axis tensor');
    if (axes.length !== 1) fail(ctx, `axis tensor '${axisT.name}' must hold one value`);
    const axis = normAxis(ctx, axes[0]!, input.shape.length);
    const n = ctx.options.numSplits;
    const dim = input.shape[axis]!;
    if (n <= 0 || dim % n !== 0) fail(ctx, `cannot split dim ${axis} of size ${dim} into ${n} equal parts`);
    return prepareSplit(ctx, input, axis, new Array<number>(n).fill(dim / n), false);
  },
  eval: (s, i, o) => evalSplit(s, i, o, 1),
};

export const splitVKernel: OpKernel<{ numSplits: number }, SplitState> = {
  type: 'SPLIT_V',
  parse: (op: OperatorDef) => ({ numSplits: optNumber(op.builtinOptions, 'numSplits', 0, 'SPLIT_V') }),
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const sizes = constInts(ctx, requireInput(ctx, 1), 'size_splits');
    const axisT = requireInput(ctx, 2);
    const axes = constInts(ctx, axisT, 'axis tensor');
    if (axes.length !== 1) fail(ctx, `axis tensor '${axisT.name}' must hold one value`);
    const axis = normAxis(ctx, axes[0]!, input.shape.length);
    const dim = input.shape[axis]!;
    const unknown = sizes.filter((s) => s === -1).length;
    const known = sizes.reduce((acc, s) => (s === -1 ? acc : acc + s), 0);
    if (unknown > 1 || sizes.some((s) => s < -1)) fail(ctx, `size_splits [${sizes.join(', ')}] is invalid`);
    const resolved = sizes.map((s) => (s === -1 ? dim - known : s));
    if (resolved.some((s) => s < 0) || resolved.reduce((a, b) => a + b, 0) !== dim) {
      fail(ctx, `size_splits [${sizes.join(', ')}] do not add up to dim ${axis} of size ${dim}`);
    }
    return prepareSplit(ctx, input, axis, resolved, false);
  },
  eval: (s, i, o) => evalSplit(s, i, o, 0),
};

export const unpackKernel: OpKernel<{ num: number; axis: number }, SplitState> = {
  type: 'UNPACK',
  parse: (op: OperatorDef) => ({
    num: optNumber(op.builtinOptions, 'num', 0, 'UNPACK'),
    axis: optNumber(op.builtinOptions, 'axis', 0, 'UNPACK'),
  }),
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const axis = normAxis(ctx, ctx.options.axis, input.shape.length);
    const dim = input.shape[axis]!;
    if (ctx.options.num !== dim) fail(ctx, `num ${ctx.options.num} != size ${dim} of axis ${ctx.options.axis}`);
    return prepareSplit(ctx, input, axis, new Array<number>(dim).fill(1), true);
  },
  eval: (s, i, o) => evalSplit(s, i, o, 0),
};
