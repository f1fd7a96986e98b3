/**
 * Activations: RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU, LOGISTIC, TANH, HARD_SWISH.
 * Float32 for all; int8/uint8 as TFLite computes them: ReLU family and LEAKY_RELU requantize with fixed-point
 * multipliers, LOGISTIC/TANH use the 256-entry float-built lookup table, HARD_SWISH the int16 fixed-point path.
 */
import type { DType } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import {
  hardSwishParams, hardSwishQuantized, int8LookupTable, logisticF32, tanhF32,
} from '../reference/activation-int8.js';
import { broadcastIndexMap, broadcastShapes, elements, sameShape, type Elements } from '../reference/layout.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway } from '../reference/quant.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount, requireWithinCap } from './common.js';
import { fmtShape, int8Range, optNumber } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor, TensorSpec } from './kernel.js';

/** Prepared per-element work: `run(in, out, n)`, chosen at prepare so eval does no dispatch or allocation. */
export interface UnaryState {
  size: number;
  run: (input: Elements, output: Elements, n: number) => void;
}

function prepareSameShape(ctx: PrepareContext<unknown>, dtypes: readonly DType[]): { input: TensorSpec; output: TensorSpec } {
  requireInputCount(ctx, 1);
  requireOutputCount(ctx, 1);
  const input = requireInput(ctx, 0);
  const output = ctx.outputs[0]!;
  requireDType(ctx, input, dtypes, 'input');
  if (output.dtype !== input.dtype) fail(ctx, `output '${output.name}' has dtype ${output.dtype}; expected ${input.dtype}`);
  output.shape = input.shape.slice();
  return { input, output };
}

function evalUnary(s: UnaryState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  s.run(elements(inputs[0]!.data), elements(outputs[0]!.data), s.size);
}

function mapFloat(f: (x: number) => number): UnaryState['run'] {
  return (input, output, n) => {
    for (let i = 0; i < n; i++) output[i] = f(input[i]!);
  };
}

function mapTable(table: Int8Array, dtype: DType): UnaryState['run'] {
  // uint8 tables are stored as the int8 bit pattern; the output view reinterprets the byte.
  const unsigned = dtype === 'uint8';
  return (input, output, n) => {
    for (let i = 0; i < n; i++) {
      const v = table[input[i]! & 0xff]!;
      output[i] = unsigned ? v & 0xff : v;
    }
  };
}

// --- ReLU family -------------------------------------------------------------------------------------------

function makeReluKernel(type: 'RELU' | 'RELU6' | 'RELU_N1_TO_1', lo: number, hi: number): OpKernel<null, UnaryState> {
  return {
    type,
    parse: () => null,
    prepare(ctx) {
      const { input, output } = prepareSameShape(ctx, ['float32', 'int8', 'uint8']);
      const size = shapeSize(input.shape);
      if (input.dtype === 'float32') return { size, run: mapFloat((x) => (x < lo ? lo : x > hi ? hi : x)) };
      const qi = perTensorQuant(ctx, input, 'input');
      const qo = perTensorQuant(ctx, output, 'output');
      const [tmin, tmax] = int8Range(input.dtype);
      // TFLite's QuantizedReluX: bounds round act/scale (float32) half away from zero
      const qlo = Math.max(tmin, qo.zeroPoint + roundHalfAway(Math.fround(lo / qo.scale)));
      const qhi = hi === Infinity ? tmax : Math.min(tmax, qo.zeroPoint + roundHalfAway(Math.fround(hi / qo.scale)));
      const m = quantizeMultiplier(Math.fround(qi.scale / qo.scale));
      return {
        size,
        run: (inp, out, n) => {
          for (let i = 0; i < n; i++) {
            const v = qo.zeroPoint + multiplyByQuantizedMultiplier(inp[i]! - qi.zeroPoint, m.multiplier, m.shift);
            out[i] = v < qlo ? qlo : v > qhi ? qhi : v;
          }
        },
      };
    },
    eval: evalUnary,
  };
}

export const reluKernel = makeReluKernel('RELU', 0, Infinity);
export const relu6Kernel = makeReluKernel('RELU6', 0, 6);
export const reluN1To1Kernel = makeReluKernel('RELU_N1_TO_1', -1, 1);

// --- LEAKY_RELU --------------------------------------------------------------------------------------------

export const leakyReluKernel: OpKernel<{ alpha: number }, UnaryState> = {
  type: 'LEAKY_RELU',
  parse: (op: OperatorDef) => ({ alpha: Math.fround(optNumber(op.builtinOptions, 'alpha', 0, 'LEAKY_RELU')) }),
  prepare(ctx) {
    const { input, output } = prepareSameShape(ctx, ['float32', 'int8', 'uint8']);
    const size = shapeSize(input.shape);
    const alpha = ctx.options.alpha;
    if (input.dtype === 'float32') return { size, run: mapFloat((x) => (x > 0 ? x : x * alpha)) };
    const qi = perTensorQuant(ctx, input, 'input');
    const qo = perTensorQuant(ctx, output, 'output');
    const [tmin, tmax] = int8Range(input.dtype);
    const mAlpha = quantizeMultiplier(Math.fround(Math.fround(qi.scale * alpha) / qo.scale));
    const mId = quantizeMultiplier(Math.fround(qi.scale / qo.scale));
    return {
      size,
      run: (inp, out, n) => {
        for (let i = 0; i < n; i++) {
          const x = inp[i]! - qi.zeroPoint;
          const m = x >= 0 ? mId : mAlpha;
          const v = qo.zeroPoint + multiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
          out[i] = v < tmin ? tmin : v > tmax ? tmax : v;
        }
      },
    };
  },
  eval: evalUnary,
};

// --- PRELU -------------------------------------------------------------------------------------------------

export interface PreluState { size: number; xMap: Int32Array | null; aMap: Int32Array | null }

export const preluKernel: OpKernel<null, PreluState> = {
  type: 'PRELU',
  parse: () => null,
  prepare(ctx) {
    requireInputCount(ctx, 2);
    requireOutputCount(ctx, 1);
    const x = requireInput(ctx, 0);
    const alpha = requireInput(ctx, 1);
    const out = ctx.outputs[0]!;
    requireDType(ctx, x, ['float32'], 'input');
    requireDType(ctx, alpha, ['float32'], 'alpha');
    requireDType(ctx, out, ['float32'], 'output');
    const shape = broadcastShapes(x.shape, alpha.shape);
    if (!shape) fail(ctx, `input ${fmtShape(x.shape)} and alpha ${fmtShape(alpha.shape)} do not broadcast`);
    requireWithinCap(ctx, shape, `broadcast output '${out.name}'`);
    out.shape = shape;
    return {
      size: shapeSize(shape),
      xMap: sameShape(x.shape, shape) ? null : broadcastIndexMap(x.shape, shape),
      aMap: sameShape(alpha.shape, shape) ? null : broadcastIndexMap(alpha.shape, shape),
    };
  },
  eval(s, inputs, outputs) {
    const x = inputs[0]!.data as Float32Array;
    const a = inputs[1]!.data as Float32Array;
    const o = outputs[0]!.data as Float32Array;
    for (let i = 0; i < s.size; i++) {
      const v = x[s.xMap ? s.xMap[i]! : i]!;
      o[i] = v >= 0 ? v : v * a[s.aMap ? s.aMap[i]! : i]!;
    }
  },
};

// --- LOGISTIC, TANH ----------------------------------------------------------------------------------------

function lutKernel(type: 'LOGISTIC' | 'TANH', f: (x: number) => number): OpKernel<null, UnaryState> {
  return {
    type,
    parse: () => null,
    prepare(ctx) {
      const { input, output } = prepareSameShape(ctx, ['float32', 'int8', 'uint8']);
      const size = shapeSize(input.shape);
      if (input.dtype === 'float32') return { size, run: mapFloat(type === 'LOGISTIC' ? (x) => 1 / (1 + Math.exp(-x)) : Math.tanh) };
      const qi = perTensorQuant(ctx, input, 'input');
      const qo = perTensorQuant(ctx, output, 'output');
      if (type === 'LOGISTIC' && qo.scale !== 1 / 256) {
        fail(ctx, `quantized LOGISTIC needs output scale 1/256, got ${qo.scale}`);
      }
      let table: Int8Array;
      if (input.dtype === 'int8') table = int8LookupTable(qi.scale, qi.zeroPoint, qo.scale, qo.zeroPoint, f);
      else {
        // uint8: same construction over 0..255
        table = new Int8Array(256);
        const inv = Math.fround(1 / qo.scale);
        for (let v = 0; v <= 255; v++) {
          const t = Math.fround(f(Math.fround(qi.scale * (v - qi.zeroPoint))));
          const q = roundHalfAway(Math.fround(t * inv)) + qo.zeroPoint;
          table[v] = Math.max(0, Math.min(255, q));
        }
      }
      return { size, run: mapTable(table, input.dtype) };
    },
    eval: evalUnary,
  };
}

export const logisticKernel = lutKernel('LOGISTIC', logisticF32);
export const tanhKernel = lutKernel('TANH', tanhF32);

// --- HARD_SWISH --------------------------------------------------------------------------------------------

export const hardSwishKernel: OpKernel<null, UnaryState> = {
  type: 'HARD_SWISH',
  parse: () => null,
  prepare(ctx) {
    const { input, output } = prepareSameShape(ctx, ['float32', 'int8', 'uint8']);
    const size = shapeSize(input.shape);
    if (input.dtype === 'float32') {
      return { size, run: mapFloat((x) => (x * Math.min(6, Math.max(0, x + 3))) / 6) };
    }
    const qi = perTensorQuant(ctx, input, 'input');
    const qo = perTensorQuant(ctx, output, 'output');
    const p = hardSwishParams(qi.scale, qi.zeroPoint, qo.scale, qo.zeroPoint);
    if (!p) fail(ctx, `input scale ${qi.scale} / output scale ${qo.scale} needs a left shift TFLite does not support`);
    const [tmin, tmax] = int8Range(input.dtype);
    return {
      size,
      run: (inp, out, n) => {
        for (let i = 0; i < n; i++) out[i] = hardSwishQuantized(p, inp[i]!, tmin, tmax);
      },
    };
  },
  eval: evalUnary,
};

export { prepareSameShape, evalUnary, mapFloat };
