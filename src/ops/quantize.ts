/**
 * QUANTIZE (float32 → int8/uint8, and 8-bit → 8-bit requantization) and DEQUANTIZE (int8/uint8/int16, per-tensor
 * or per-channel, and float16 → float32), bit-exact with TFLite's optimized kernels, which the real LCE interpreter
 * runs (measured against it on x86, where TF 2.16 compiles their NEON paths through NEON_2_SSE):
 *  - float → 8-bit: whole blocks of 8 elements multiply by the float32 reciprocal of the scale and round half to
 *    even (vcvtnq); the remaining `size mod 8` elements divide by the scale in double and round half away from zero;
 *  - 8-bit → float, per tensor: blocks of 8 compute float32(x·scale) + float32(−zp·scale) (two float roundings),
 *    the tail float32(scale·(x − zp)) with one rounding;
 *  - 8-bit → 8-bit requantization uses the reference fixed-point multiplier.
 */
import { shapeSize } from '../graph/dtype.js';
import { elements } from '../reference/layout.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway } from '../reference/quant.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { int8Range } from './builtin-util.js';
import type { OpKernel, RuntimeTensor } from './kernel.js';

/** TFLite's optimized quantize/dequantize vectorise over blocks of this many elements (the rest runs scalar). */
const NEON_BLOCK = 8;

/** Round half to even (vcvtnq_s32_f32 / SSE cvtps2dq), for a finite number. */
function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties towards +∞
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface QuantizeState {
  size: number;
  fromFloat: boolean;
  scale: number; zeroPoint: number;
  /** float32(1 / scale), the vector path's multiplier. */
  reciprocal: number;
  inZp: number; mult: number; shift: number;
  qmin: number; qmax: number;
}

export const quantizeKernel: OpKernel<null, QuantizeState> = {
  type: 'QUANTIZE',
  parse: () => null,
  prepare(ctx) {
    requireInputCount(ctx, 1);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0]!;
    requireDType(ctx, input, ['float32', 'int8', 'uint8'], 'input');
    requireDType(ctx, out, ['int8', 'uint8'], 'output');
    if (out.quantization && out.quantization.scale.length > 1) fail(ctx, 'per-channel output quantization is not supported');
    out.shape = input.shape.slice();
    const qo = perTensorQuant(ctx, out, 'output');
    const [qmin, qmax] = int8Range(out.dtype);
    const base = {
      size: shapeSize(input.shape), scale: qo.scale, zeroPoint: qo.zeroPoint, reciprocal: Math.fround(1 / qo.scale),
      qmin, qmax,
    };
    if (input.dtype === 'float32') return { ...base, fromFloat: true, inZp: 0, mult: 0, shift: 0 };
    const qi = perTensorQuant(ctx, input, 'input');
    const m = quantizeMultiplier(qi.scale / qo.scale);
    return { ...base, fromFloat: false, inZp: qi.zeroPoint, mult: m.multiplier, shift: m.shift };
  },
  eval(s, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]) {
    const x = elements(inputs[0]!.data);
    const o = elements(outputs[0]!.data);
    const vectorEnd = s.size - (s.size % NEON_BLOCK);
    for (let i = 0; i < s.size; i++) {
      let v: number;
      if (!s.fromFloat) v = multiplyByQuantizedMultiplier(x[i]! - s.inZp, s.mult, s.shift) + s.zeroPoint;
      else if (i < vectorEnd) v = roundHalfEven(Math.fround(x[i]! * s.reciprocal)) + s.zeroPoint;
      else v = roundHalfAway(x[i]! / s.scale) + s.zeroPoint;
      // NaN rounds to NaN; the comparisons below would let it through, so map it to the zero point
      o[i] = Number.isNaN(v) ? s.zeroPoint : v < s.qmin ? s.qmin : v > s.qmax ? s.qmax : v;
    }
  },
};

/** IEEE half bits → number. */
export function halfToFloat(bits: number): number {
  const h = bits & 0xffff;
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface DequantizeState {
  size: number;
  half: boolean;
  /** Per-tensor int8/uint8: TFLite's optimized kernel vectorises these (see the file comment). */
  vector: boolean;
  scales: number[]; zeroPoints: number[];
  /** Elements per step of the quantized dimension, and its extent (1 and 1 for per-tensor). */
  inner: number; channels: number;
}

export const dequantizeKernel: OpKernel<null, DequantizeState> = {
  type: 'DEQUANTIZE',
  parse: () => null,
  prepare(ctx) {
    requireInputCount(ctx, 1);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0]!;
    requireDType(ctx, input, ['int8', 'uint8', 'int16', 'float16'], 'input');
    requireDType(ctx, out, ['float32'], 'output');
    out.shape = input.shape.slice();
    const size = shapeSize(input.shape);
    if (input.dtype === 'float16') return { size, half: true, vector: false, scales: [1], zeroPoints: [0], inner: 1, channels: 1 };
    const q = input.quantization;
    if (!q || q.scale.length === 0) fail(ctx, `input '${input.name}' (${input.dtype}) needs quantization parameters`);
    if (q.scale.length === 1) {
      return {
        size, half: false, vector: input.dtype !== 'int16', scales: [q.scale[0]!], zeroPoints: [q.zeroPoint[0] ?? 0],
        inner: 1, channels: 1,
      };
    }
    const axis = q.quantizedDimension;
    if (axis < 0 || axis >= input.shape.length || input.shape[axis] !== q.scale.length) {
      fail(ctx, `per-channel quantization has ${q.scale.length} scales but dim ${axis} of '${input.name}' does not match`);
    }
    return {
      size, half: false, vector: false, scales: q.scale.slice(), zeroPoints: q.scale.map((_, i) => q.zeroPoint[i] ?? 0),
      inner: shapeSize(input.shape.slice(axis + 1)), channels: q.scale.length,
    };
  },
  eval(s, inputs, outputs) {
    const x = elements(inputs[0]!.data);
    const o = outputs[0]!.data as Float32Array;
    if (s.half) {
      for (let i = 0; i < s.size; i++) o[i] = halfToFloat(x[i]!);
      return;
    }
    let i = 0;
    if (s.vector) {
      const scale = Math.fround(s.scales[0]!);
      const offset = Math.fround(-s.zeroPoints[0]! * s.scales[0]!);
      const vectorEnd = s.size - (s.size % NEON_BLOCK);
      for (; i < vectorEnd; i++) o[i] = Math.fround(x[i]! * scale) + offset;
    }
    for (; i < s.size; i++) {
      const c = s.channels === 1 ? 0 : Math.floor(i / s.inner) % s.channels;
      o[i] = s.scales[c]! * (x[i]! - s.zeroPoints[c]!);
    }
  },
};
