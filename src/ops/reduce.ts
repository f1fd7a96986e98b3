/**
 * MEAN, SUM and REDUCE_MAX over a constant axes tensor, with keepDims. Float32 accumulates in float32 in input
 * order like TFLite's reference Reduce. Int8/uint8 follow the kernels LCE's x86 TFLite build (TF 2.16, the
 * optimized registrations) runs, checked against LCE 0.16.0's interpreter on random shapes, axes and quantisations
 * (scripts/int8-op-sweep.ts):
 *  - MEAN of a 4-D tensor over axes exactly [1, 2] or [2, 1] (raw values, as TFLite tests them) with keepDims: the
 *    optimized Mean4D. Raw integer sum, one fixed-point multiplier for input_scale / (H·W·output_scale), plus a
 *    bias output_zp − round(input_zp·input_scale/output_scale) computed in float32. Channel blocks of 16 go through
 *    the NEON path (NEON_2_SSE on x86: SQRDMULH + rounding shift, ties up), the remaining channels through the scalar
 *    MultiplyByQuantizedMultiplier (ties away from zero) — one thread's split, the interpreter's default.
 *  - every other int8/uint8 MEAN (keepDims false included, equal quantisation or not): reference
 *    QuantizedMeanOrSum's integer path. The input/output multiplier absorbs 1/count (shift by min(floor(log2
 *    count), 32, 31 + shift), integer division), then MultiplyByQuantizedMultiplier(sum − input_zp·count) + output_zp,
 *    saturated.
 *  - SUM (equal quantisation or not): float rescale, round half away, + output_zp, saturated.
 *  - REDUCE_MAX needs equal quantization and compares raw values.
 */
import type { DType } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements, stridesOf } from '../reference/layout.js';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierRoundUp, quantizeMultiplier, roundHalfAway,
} from '../reference/quant.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { constInts, optBool } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor } from './kernel.js';

type ReduceKind = 'MEAN' | 'SUM' | 'REDUCE_MAX';

type Int8Path =
  /** optimized Mean4D: channels below `vectorChannels` take the 16-lane NEON path, the rest the scalar one. */
  | { kind: 'mean-hw'; mult: number; shift: number; bias: number; channels: number; vectorChannels: number }
  /** reference QuantizedMeanOrSum, integer: multiplier and shift already include 1/count. */
  | { kind: 'mean-int'; inZp: number; outZp: number; mult: number; shift: number }
  | { kind: 'sum-float'; scale: number; bias: number; outZp: number }
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
      int8 = sumRescale(qi, qo, count);
    } else {
      // TFLite tests the raw axis values here (negative spellings of 1, 2 do not take this path)
      const hw = ctx.options.keepDims && rank === 4 && rawAxes.length === 2
        && ((rawAxes[0] === 1 && rawAxes[1] === 2) || (rawAxes[0] === 2 && rawAxes[1] === 1));
      int8 = hw ? meanHw(qi, qo, input.shape[1]! * input.shape[2]!, input.shape[3]!) : meanInt(qi, qo, count);
    }
  }
  return { kind, dtype: input.dtype, outIndex, outSize, count, acc: new Float64Array(outSize), int8 };
}

type Q = { scale: number; zeroPoint: number };

/** optimized_integer_ops::Mean (int8) / optimized_ops::Mean (uint8): float32 bias and scale, as the C++ computes them. */
function meanHw(qi: Q, qo: Q, plane: number, channels: number): Int8Path {
  const f = Math.fround;
  let temp = f(f(qi.zeroPoint * qi.scale) / qo.scale);
  temp = temp > 0 ? f(temp + 0.5) : f(temp - 0.5);
  const bias = qo.zeroPoint - Math.trunc(temp);
  const m = quantizeMultiplier(f(qi.scale / f(plane * qo.scale)));
  return { kind: 'mean-hw', mult: m.multiplier, shift: m.shift, bias, channels, vectorChannels: channels - (channels % 16) };
}

/** reference_ops::QuantizedMeanOrSum with an integer multiplier: 1/count folded into the multiplier. */
function meanInt(qi: Q, qo: Q, count: number): Int8Path {
  const m = quantizeMultiplier(qi.scale / qo.scale);
  let { multiplier: mult, shift } = m;
  if (count > 0) {
    const log2 = count.toString(2).length - 1; // 63 − CountLeadingZeros(count)
    const adjust = Math.min(log2, 32, 31 + shift);
    mult = Number((BigInt(mult) << BigInt(adjust)) / BigInt(count)); // int64 division; mult >= 0
    shift -= adjust;
  }
  return { kind: 'mean-int', inZp: qi.zeroPoint, outZp: qo.zeroPoint, mult, shift };
}

/** QuantizedMeanOrSum(compute_sum): float32 scale and bias = −input_zp·scale·count. */
function sumRescale(qi: Q, qo: Q, count: number): Int8Path {
  const f = Math.fround;
  const scale = f(qi.scale / qo.scale);
  return { kind: 'sum-float', scale, bias: f(f(-qi.zeroPoint * scale) * count), outZp: qo.zeroPoint };
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
    if (p.kind === 'raw') v = a;
    else if (count === 0) v = 0; // TFLite fills an empty mean with NaN cast to the integer type
    else if (p.kind === 'mean-hw') {
      const r = (o % p.channels < p.vectorChannels
        ? multiplyByQuantizedMultiplierRoundUp(a, p.mult, p.shift)
        : multiplyByQuantizedMultiplier(a, p.mult, p.shift)) + p.bias;
      v = r < qmin ? qmin : r > qmax ? qmax : r;
    } else if (p.kind === 'mean-int') {
      const r = multiplyByQuantizedMultiplier((a - p.inZp * count) | 0, p.mult, p.shift) + p.outZp;
      v = r < qmin ? qmin : r > qmax ? qmax : r;
    } else {
      const r = roundHalfAway(Math.fround(Math.fround(Math.fround(a) * p.scale) + p.bias)) + p.outZp;
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
