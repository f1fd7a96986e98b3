/** TRANSPOSE, PAD and PADV2 as precomputed gathers (dtype-agnostic; int8 passes through, padding with the zero point). */
import { shapeSize } from '../graph/dtype.js';
import { elements, gatherInto, gatherMap, stridesOf } from '../reference/layout.js';
import { fail, requireInput, requireOutputCount } from './common.js';
import { constInts, fmtShape, quantOrUnit } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor, TensorSpec } from './kernel.js';

export interface GatherMapState { map: Int32Array }

function sameDTypeOutput(ctx: PrepareContext<unknown>, input: TensorSpec, shape: number[]): void {
  requireOutputCount(ctx, 1);
  const out = ctx.outputs[0]!;
  if (out.dtype !== input.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${input.dtype}`);
  out.shape = shape;
}

export function evalGatherMap(s: GatherMapState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  gatherInto(elements(outputs[0]!.data), elements(inputs[0]!.data), s.map);
}

export const transposeKernel: OpKernel<null, GatherMapState> = {
  type: 'TRANSPOSE',
  parse: () => null,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const perm = constInts(ctx, requireInput(ctx, 1), 'permutation');
    const rank = input.shape.length;
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
      fail(ctx, `permutation [${perm.join(', ')}] is not a permutation of the ${rank} input dims`);
    }
    const shape = perm.map((p) => input.shape[p]!);
    sameDTypeOutput(ctx, input, shape);
    const inStrides = stridesOf(input.shape);
    return { map: gatherMap(shape, perm.map((p) => inStrides[p]!), 0) };
  },
  eval: evalGatherMap,
};

export interface PadState { map: Int32Array; fill: number | bigint | null; fillFromInput: boolean }

function preparePad(ctx: PrepareContext<unknown>, v2: boolean): PadState {
  const input = requireInput(ctx, 0);
  const padT = requireInput(ctx, 1);
  const pads = constInts(ctx, padT, 'paddings');
  const rank = input.shape.length;
  if (pads.length !== 2 * rank) fail(ctx, `paddings '${padT.name}' must be [${rank}, 2], got ${fmtShape(padT.shape)}`);
  if (pads.some((p) => p < 0)) fail(ctx, `paddings [${pads.join(', ')}] must not be negative`);
  const shape = input.shape.map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!);
  sameDTypeOutput(ctx, input, shape);
  const inStrides = stridesOf(input.shape);
  const n = shapeSize(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) {
      const x = idx[d]! - pads[2 * d]!;
      if (x < 0 || x >= input.shape[d]!) { src = -1; break; }
      src += x * inStrides[d]!;
    }
    map[i] = src;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  const valueT = v2 ? ctx.inputs[2] ?? null : null;
  if (valueT) {
    if (valueT.dtype !== input.dtype) fail(ctx, `constant value '${valueT.name}' has dtype ${valueT.dtype}; expected ${input.dtype}`);
    if (shapeSize(valueT.shape) !== 1) fail(ctx, `constant value '${valueT.name}' must hold one element`);
    return { map, fill: null, fillFromInput: true };
  }
  // TFLite pads quantized tensors with the output zero point (the quantized 0.0)
  const zp = input.dtype === 'int8' || input.dtype === 'uint8' || input.dtype === 'int16' ? quantOrUnit(ctx.outputs[0]!).zeroPoint : 0;
  return { map, fill: input.dtype === 'int64' ? 0n : zp, fillFromInput: false };
}

function evalPad(s: PadState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const fill = s.fillFromInput ? (inputs[2]!.data as ArrayLike<number | bigint>)[0]! : s.fill!;
  gatherInto(elements(outputs[0]!.data), elements(inputs[0]!.data), s.map, fill as number);
}

export const padKernel: OpKernel<null, PadState> = {
  type: 'PAD', parse: () => null, prepare: (ctx) => preparePad(ctx, false), eval: evalPad,
};
export const padV2Kernel: OpKernel<null, PadState> = {
  type: 'PADV2', parse: () => null, prepare: (ctx) => preparePad(ctx, true), eval: evalPad,
};
