/**
 * MEAN, SUM and REDUCE_MAX over a constant axes tensor, with keepDims. Float32 accumulates in float32 in input
 * order like TFLite's reference Reduce. Int8 follows TFLite's EvalMean/EvalSum (reference kernels) path choice:
 *  - MEAN over H,W of a 4-D tensor with keepDims: integer sum, fixed-point rescale, rounded integer division;
 *  - MEAN with equal input/output quantization: integer sum / count, truncated;
 *  - otherwise float rescale (QuantizedMeanOrSum).
 *  - SUM with equal quantization: int8 sum (wraps like TFLite's int8 accumulator); otherwise float rescale.
 *  - REDUCE_MAX needs equal quantization and compares raw values.
 */
import type { DType } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements, stridesOf } from '../reference/layout.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway } from '../reference/quant.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { constInts, optBool } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor } from './kernel.js';

type ReduceKind = 'MEAN' | 'SUM' | 'REDUCE_MAX';

type Int8Path =
  | { kind: 'mean-hw'; inZp: number; outZp: number; mult: number; shift: number }
  | { kind: 'mean-same' }
  | { kind: 'float-rescale'; scale: number; bias: number; outZp: number; sum: boolean }
  | { kind: 'raw' };

export interface ReduceState {
  kind: ReduceKind;
  dtype: DType;
  /** For each input element (row-major), the output element it accumulates into. */
  outIndex: Int32Array;
  outSize: number;
  count: number;
  /** Accumulators, reused across evals. */
  acc: Float64Array;
  int8: Int8Path | null;
}

const LOWEST: Partial<Record<DType, number>> = {
  float32: -3.4028234663852886e38, int32: -2147483648, int8: -128, uint8: 0, int16: -32768,
};

function prepareReduce(kind: ReduceKind, ctx: PrepareContext<{ keepDims: boolean }>): ReduceState {
  requireInputCount(ctx, 2);
  requireOutputCount(ctx, 1);
  const input = requireInput(ctx, 0);
  requireDType(ctx, input, ['float32', 'int32', 'int8', 'uint8'], 'input');
  const out = ctx.outputs[0]!;
  if (out.dtype !== input.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${input.dtype}`);
  const rawAxes = constInts(ctx, requireInput(ctx, 1), 'axis tensor');
  const rank = input.shape.length;
  const axes: number[] = [];
  for (const a of rawAxes) {
    const r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank) fail(ctx, `axis ${a} is out of range for rank ${rank}`);
    if (!axes.includes(r)) axes.push(r);
  }
  const reduced = input.shape.map((_, i) => axes.includes(i));
  const kept = input.shape.map((d, i) => (reduced[i] ? 1 : d));
  out.shape = ctx.options.keepDims ? kept : input.shape.filter((_, i) => !reduced[i]);
  const outSize = shapeSize(kept);
  const count = shapeSize(input.shape.filter((_, i) => reduced[i]));
  // output index of every input element
  const n = shapeSize(input.shape);
  const outStrides = stridesOf(kept);
  const outIndex = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!reduced[d]) o += idx[d]! * outStrides[d]!;
    outIndex[i] = o;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < input.shape[d]!) break;
      idx[d] = 0;
    }
  }
  let int8: Int8Path | null = null;
  if (input.dtype === 'int8' || input.dtype === 'uint8') {
    const qi = perTensorQuant(ctx, input, 'input');
    const qo = perTensorQuant(ctx, out, 'output');
    const same = qi.scale === qo.scale && qi.zeroPoint === qo.zeroPoint;
    if (kind === 'REDUCE_MAX') {
      if (!same) fail(ctx, 'quantized REDUCE_MAX needs the same scale and zero point on input and output');
      int8 = { kind: 'raw' };
    } else if (kind === 'SUM') {
      int8 = same ? { kind: 'raw' } : floatRescale(qi, qo, count, true);
    } else {
      // TFLite tests the raw axis values here (negative spellings of 1, 2 do not take this path)
      const hw = ctx.options.keepDims && rank === 4 && rawAxes.length === 2
        && ((rawAxes[0] === 1 && rawAxes[1] === 2) || (rawAxes[0] === 2 && rawAxes[1] === 1));
      if (hw && input.dtype === 'int8') {
        const m = quantizeMultiplier(qi.scale / qo.scale);
        int8 = { kind: 'mean-hw', inZp: qi.zeroPoint, outZp: qo.zeroPoint, mult: m.multiplier, shift: m.shift };
      } else if (same) int8 = { kind: 'mean-same' };
      else int8 = floatRescale(qi, qo, count, false);
    }
  }
  return { kind, dtype: input.dtype, outIndex, outSize, count, acc: new Float64Array(outSize), int8 };
}

function floatRescale(
  qi: { scale: number; zeroPoint: number }, qo: { scale: number; zeroPoint: number }, count: number, sum: boolean,
): Int8Path {
  const f = Math.fround;
  const scale = f(qi.scale / qo.scale);
  const bias = sum ? f(f(-qi.zeroPoint * scale) * count) : f(-qi.zeroPoint * scale);
  return { kind: 'float-rescale', scale, bias, outZp: qo.zeroPoint, sum };
}

function evalReduce(s: ReduceState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const x = elements(inputs[0]!.data);
  const out = elements(outputs[0]!.data);
  const { acc, outIndex, outSize, count } = s;
  const isMax = s.kind === 'REDUCE_MAX';
  const isFloat = s.dtype === 'float32';
  acc.fill(isMax ? LOWEST[s.dtype]! : 0);
  const n = outIndex.length;
  if (isMax) {
    for (let i = 0; i < n; i++) { const o = outIndex[i]!; const v = x[i]!; if (v > acc[o]!) acc[o] = v; }
  } else if (isFloat) {
    for (let i = 0; i < n; i++) { const o = outIndex[i]!; acc[o] = Math.fround(acc[o]! + x[i]!); }
  } else if (s.int8?.kind === 'mean-hw') {
    const zp = s.int8.inZp;
    for (let i = 0; i < n; i++) acc[outIndex[i]!] += x[i]! - zp;
  } else {
    for (let i = 0; i < n; i++) acc[outIndex[i]!] += x[i]!;
  }
  const [qmin, qmax] = s.dtype === 'uint8' ? [0, 255] : [-128, 127];
  for (let o = 0; o < outSize; o++) {
    const a = acc[o]!;
    if (isMax) { out[o] = a; continue; }
    if (isFloat) { out[o] = s.kind === 'MEAN' ? (count > 0 ? Math.fround(a / count) : NaN) : a; continue; }
    if (s.dtype === 'int32') { out[o] = s.kind === 'MEAN' ? (count > 0 ? Math.trunc(a / count) : 0) : a | 0; continue; }
    const p = s.int8!;
    let v: number;
    if (p.kind === 'raw') v = s.dtype === 'uint8' ? a & 0xff : (a << 24) >> 24; // int8 accumulator wraps
    else if (p.kind === 'mean-same') v = count > 0 ? Math.trunc(a / count) : 0;
    else if (p.kind === 'mean-hw') {
      let r = multiplyByQuantizedMultiplier(a, p.mult, p.shift);
      const half = Math.trunc(count / 2);
      r = r > 0 ? Math.trunc((r + half) / count) : Math.trunc((r - half) / count);
      r += p.outZp;
      v = r < qmin ? qmin : r > qmax ? qmax : r;
    } else if (p.sum) {
      const r = roundHalfAway(Math.fround(Math.fround(a * p.scale) + p.bias)) + p.outZp;
      v = s.dtype === 'uint8' ? r & 0xff : (r << 24) >> 24; // TFLite casts without clamping
    } else {
      const mean = Math.fround(a / count);
      const r = roundHalfAway(Math.fround(Math.fround(mean * p.scale) + p.bias)) + p.outZp;
      v = r < qmin ? qmin : r > qmax ? qmax : r;
    }
    out[o] = v;
  }
}

function reduceKernel(kind: ReduceKind): OpKernel<{ keepDims: boolean }, ReduceState> {
  return {
    type: kind,
    parse: (op: OperatorDef) => ({ keepDims: optBool(op.builtinOptions, 'keepDims', false, kind) }),
    prepare: (ctx) => prepareReduce(kind, ctx),
    eval: evalReduce,
  };
}

export const meanKernel = reduceKernel('MEAN');
export const sumKernel = reduceKernel('SUM');
export const reduceMaxKernel = reduceKernel('REDUCE_MAX');
