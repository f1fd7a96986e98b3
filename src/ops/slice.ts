/** SLICE and STRIDED_SLICE (TensorFlow's sparse→dense slice spec: begin/end/ellipsis/new-axis/shrink masks, offset). */
import type { OperatorDef } from '../graph/model.js';
import { gatherMap, stridesOf } from '../reference/layout.js';
import { fail, requireInput, requireOutputCount } from './common.js';
import { constInts, fmtShape, optBool, optNumber } from './builtin-util.js';
import { evalGatherMap, type GatherMapState } from './transpose-pad.js';
import type { OpKernel, PrepareContext, TensorSpec } from './kernel.js';

function setOutput(ctx: PrepareContext<unknown>, input: TensorSpec, shape: number[]): void {
  requireOutputCount(ctx, 1);
  const out = ctx.outputs[0]!;
  if (out.dtype !== input.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${input.dtype}`);
  out.shape = shape;
}

export const sliceKernel: OpKernel<null, GatherMapState> = {
  type: 'SLICE',
  parse: () => null,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const begin = constInts(ctx, requireInput(ctx, 1), 'begin');
    const size = constInts(ctx, requireInput(ctx, 2), 'size');
    const rank = input.shape.length;
    if (begin.length !== rank || size.length !== rank) {
      fail(ctx, `begin [${begin.join(', ')}] and size [${size.join(', ')}] must have one entry per input dim (${rank})`);
    }
    const shape = size.map((s, i) => {
      const dim = input.shape[i]!;
      const b = begin[i]!;
      const len = s === -1 ? dim - b : s;
      if (b < 0 || len < 0 || b + len > dim) fail(ctx, `slice begin ${b} size ${s} is out of range for dim ${i} of ${fmtShape(input.shape)}`);
      return len;
    });
    setOutput(ctx, input, shape);
    const strides = stridesOf(input.shape);
    return { map: gatherMap(shape, strides, begin.reduce((acc, b, i) => acc + b * strides[i]!, 0)) };
  },
  eval: evalGatherMap,
};

export interface StridedSliceOptions {
  beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number; offset: boolean;
}

export interface StridedSliceSpec {
  /** Per input dim: first index, step, and count. */
  begin: number[]; stride: number[]; size: number[];
  /** Output shape after new axes are inserted and shrunk axes removed. */
  outShape: number[];
}

/**
 * TensorFlow's strided-slice semantics on static values: expand the sparse spec (with ellipsis and new axes) to one
 * entry per input dim, then clamp begin/end per dim. Throws via `bad` with a message on invalid specs.
 */
export function stridedSliceSpec(
  inShape: readonly number[], begin: readonly number[], end: readonly number[], strides: readonly number[],
  o: StridedSliceOptions, bad: (msg: string) => never,
): StridedSliceSpec {
  const n = begin.length;
  if (end.length !== n || strides.length !== n) bad('begin, end and strides must have the same length');
  let ellipsis = o.ellipsisMask & ((1 << n) - 1);
  let sparseN = n;
  if ((ellipsis & (ellipsis - 1)) !== 0) bad('only one ellipsis is allowed');
  if (ellipsis === 0) { ellipsis = 1 << n; sparseN = n + 1; } // implicit trailing ellipsis
  const ellipsisAt = Math.log2(ellipsis);
  let newAxesAfterEllipsis = 0;
  for (let i = ellipsisAt + 1; i < n; i++) if (o.newAxisMask & (1 << i)) newAxesAfterEllipsis++;
  const rank = inShape.length;
  const dB = new Array<number>(rank).fill(0);
  const dE = new Array<number>(rank).fill(0);
  const dS = new Array<number>(rank).fill(1);
  const dBeginMask = new Array<boolean>(rank).fill(false);
  const dEndMask = new Array<boolean>(rank).fill(false);
  const dShrink = new Array<boolean>(rank).fill(false);
  /** per output-shape slot: a dense dim, -1 = new axis */
  const gather: number[] = [];
  let full = 0;
  for (let i = 0; i < sparseN; i++) {
    const bit = 1 << i;
    if (ellipsis & bit) {
      const next = Math.min(rank - (sparseN - i) + 1 + newAxesAfterEllipsis, rank);
      for (; full < next; full++) {
        dBeginMask[full] = true; dEndMask[full] = true;
        gather.push(full);
      }
    } else if (o.newAxisMask & bit) {
      gather.push(-1);
    } else {
      if (full >= rank) bad(`slice spec has more entries than the input has dims (${rank})`);
      dB[full] = begin[i]!;
      dE[full] = o.offset ? begin[i]! + end[i]! : end[i]!;
      dS[full] = strides[i]!;
      dBeginMask[full] = (o.beginMask & bit) !== 0;
      dEndMask[full] = (o.endMask & bit) !== 0;
      dShrink[full] = (o.shrinkAxisMask & bit) !== 0;
      if (!dShrink[full]) gather.push(full);
      full++;
    }
  }
  const outBegin: number[] = [];
  const outStride: number[] = [];
  const outSize: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dim = inShape[d]!;
    const s = dS[d]!;
    if (s === 0) bad(`stride of dim ${d} is 0`);
    if (dShrink[d]) {
      const b = dB[d]! < 0 ? dB[d]! + dim : dB[d]!;
      if (b < 0 || b >= dim) bad(`shrink index ${dB[d]} is out of range for dim ${d} of size ${dim}`);
      outBegin.push(b); outStride.push(1); outSize.push(1);
      continue;
    }
    const [lo, hi] = s > 0 ? [0, dim] : [-1, dim - 1];
    const canon = (x: number, masked: boolean, isBegin: boolean): number => {
      if (masked) return (s > 0) === isBegin ? lo : hi;
      const v = x < 0 ? x + dim : x;
      return v < lo ? lo : v > hi ? hi : v;
    };
    const b = canon(dB[d]!, dBeginMask[d]!, true);
    const e = canon(dE[d]!, dEndMask[d]!, false);
    const len = s > 0 ? (e > b ? Math.ceil((e - b) / s) : 0) : (e < b ? Math.ceil((b - e) / -s) : 0);
    outBegin.push(b); outStride.push(s); outSize.push(len);
  }
  return { begin: outBegin, stride: outStride, size: outSize, outShape: gather.map((g) => (g < 0 ? 1 : outSize[g]!)) };
}

export const stridedSliceKernel: OpKernel<StridedSliceOptions, GatherMapState> = {
  type: 'STRIDED_SLICE',
  parse(op: OperatorDef) {
    const o = op.builtinOptions;
    return {
      beginMask: optNumber(o, 'beginMask', 0, 'STRIDED_SLICE'),
      endMask: optNumber(o, 'endMask', 0, 'STRIDED_SLICE'),
      ellipsisMask: optNumber(o, 'ellipsisMask', 0, 'STRIDED_SLICE'),
      newAxisMask: optNumber(o, 'newAxisMask', 0, 'STRIDED_SLICE'),
      shrinkAxisMask: optNumber(o, 'shrinkAxisMask', 0, 'STRIDED_SLICE'),
      offset: optBool(o, 'offset', false, 'STRIDED_SLICE'),
    };
  },
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const begin = constInts(ctx, requireInput(ctx, 1), 'begin');
    const end = constInts(ctx, requireInput(ctx, 2), 'end');
    const stridesT = ctx.inputs[3] ?? null;
    const strides = stridesT ? constInts(ctx, stridesT, 'strides') : begin.map(() => 1);
    const spec = stridedSliceSpec(input.shape, begin, end, strides, ctx.options, (m) => fail(ctx, m));
    setOutput(ctx, input, spec.outShape);
    const inStrides = stridesOf(input.shape);
    const base = spec.begin.reduce((acc, b, i) => acc + b * inStrides[i]!, 0);
    return { map: gatherMap(spec.size, spec.stride.map((s, i) => s * inStrides[i]!), base) };
  },
  eval: evalGatherMap,
};
