/**
 * experimental_default_int8_range (§4.11): the int8 quantisation LCE gets from TF's DefaultQuantParams and Quantize
 * passes and its own quantize patterns, for a model without fake-quant statistics.
 *
 * - Every float32 graph input, and every float32 output of a TFLite op, gets the default range: a QUANTIZE → DEQUANTIZE
 *   pair after it. LCE ops are not quantizable in TF's sense (their float outputs stay float, unpaired).
 * - A TFLite op whose float activation inputs all have that pair becomes int8: it reads and writes the int8 tensors.
 *   Conv filters are quantised per output channel, depthwise filters per channel, FC weights per tensor, all
 *   symmetric in [−127, 127]; biases become int32 with scale input_scale × weight_scale. SOFTMAX, LOGISTIC and TANH
 *   write TFLite's fixed output ranges instead of the default one.
 * - Any other op stays float and reads DEQUANTIZE outputs; its own output still gets the QUANTIZE (so an int8 reader
 *   after it reads int8, and a float reader a quantised-and-dequantised value).
 * - An LceQuantize that would be the only reader of a DEQUANTIZE reads the int8 tensor instead.
 * The graph keeps float I/O (QUANTIZE after inputs, DEQUANTIZE before outputs); int8-io strips them when asked.
 * Ops outside the lists below, and int8 situations whose parameters TF would derive otherwise (a float constant
 * operand other than weights and bias, an int8 reader of a fixed-range output), are a ConverterError naming the layer.
 */
import { ConverterError } from '../../errors.js';
import type { Quantization } from '../../graph/model.js';
import { floatData, isConst, type IrGraph, type IrOp, type IrTensor } from '../ir.js';
import type { Pass } from './pass.js';

/** TF's fakeQuantAttrsToType for 8-bit signed activations: scale (max − min)/255, zero point nudged with std::round. */
export function int8Quantization(range: [number, number]): Quantization {
  const min = Math.min(range[0], 0);
  const max = Math.max(range[1], 0);
  const scale = max > min ? (max - min) / 255 : 1;
  // std::round rounds halves away from zero: [-3, 3] gives −0.5 → −1, as LCE's files show
  const zp = -128 - min / scale;
  const zeroPoint = Math.max(-128, Math.min(127, zp < 0 ? -Math.round(-zp) : Math.round(zp)));
  return { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 };
}

/** Ops with a filter (input 1) and an optional bias (input 2): the filter's per-channel axis, or per-tensor. */
const WEIGHTED: Record<string, { axis?: number }> = {
  CONV_2D: { axis: 0 },
  DEPTHWISE_CONV_2D: { axis: 3 },
  FULLY_CONNECTED: {},
};

/** Ops whose int8 form writes the default range (their non-activation inputs are int32 constants). */
const DEFAULT_RANGE = new Set([
  'ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'MEAN', 'REDUCE_MAX', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'RESHAPE',
  'CONCATENATION', 'TRANSPOSE', 'PAD', 'RELU', 'RELU6',
]);

/** TFLite's fixed int8 output ranges. */
const FIXED_RANGE: Record<string, Quantization> = {
  SOFTMAX: { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 },
  LOGISTIC: { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 },
  TANH: { scale: [1 / 128], zeroPoint: [0], quantizedDimension: 0 },
};

/** Rounds halves away from zero (std::round), as TF's quantized-value converter does. */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function fail(op: IrOp, why: string): never {
  throw new ConverterError(`int8 quantisation (int8Range): ${op.type} from layer '${op.origin}' ${why}`);
}

/** Symmetric narrow-range int8 weights: per slice of `axis` (or per tensor), scale max|w|/127, zero point 0. */
function quantizeWeights(g: IrGraph, op: IrOp, w: IrTensor, axis: number | undefined): IrTensor {
  const data = floatData(w);
  if (!data) fail(op, 'has a non-constant filter');
  const channels = axis === undefined ? 1 : w.shape[axis]!;
  const inner = axis === undefined ? 1 : w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const bound = new Float64Array(channels);
  data.forEach((v, i) => { bound[channelOf(i)] = Math.max(bound[channelOf(i)]!, Math.abs(v)); });
  if (bound.some((b) => b === 0)) fail(op, 'has an all-zero filter slice (TF gives it a non-zero zero point; TFLite int8 kernels refuse that)');
  const scale = [...bound].map((b) => (2 * b) / 254);
  const q = Int8Array.from(data, (v, i) => Math.max(-127, Math.min(127, roundAway(v / scale[channelOf(i)]!))));
  const t = g.tensor(`${w.name}/int8`, 'int8', w.shape, q);
  t.quantization = { scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis ?? 0 };
  return t;
}

/** int32 bias with scale input_scale × weight_scale per channel (computed in double, as TF does). */
function quantizeBias(g: IrGraph, op: IrOp, b: IrTensor, inputScale: number, weights: Quantization): IrTensor {
  const data = floatData(b);
  if (!data) fail(op, 'has a non-constant bias');
  const scale = weights.scale.map((s) => inputScale * s);
  const at = (i: number): number => scale[scale.length === 1 ? 0 : i]!;
  const q = Int32Array.from(data, (v, i) => Math.max(-2147483648, Math.min(2147483647, roundAway(v / at(i)))));
  const t = g.tensor(`${b.name}/int32`, 'int32', b.shape, q);
  t.quantization = { scale, zeroPoint: scale.map(() => 0), quantizedDimension: 0 };
  return t;
}

const isFloatActivation = (t: IrTensor | null): t is IrTensor => t !== null && !isConst(t) && t.dtype === 'float32';

export const int8Quantize: Pass = {
  name: 'int8-quantize',
  run(g: IrGraph, options) {
    if (!options.int8Range) return 0;
    const defaults = int8Quantization(options.int8Range);
    // DefaultQuantParams: the float tensors that get a QUANTIZE → DEQUANTIZE pair, with their parameters.
    const paired = new Map<IrTensor, Quantization>();
    for (const x of g.inputs) if (x.dtype === 'float32') paired.set(x, defaults);
    const int8Ops = new Set<IrOp>();
    for (const op of g.ops) {
      if (op.type.startsWith('Lce') || !op.outputs.some((o) => o.dtype === 'float32')) continue;
      const weighted = WEIGHTED[op.type];
      const fixed = FIXED_RANGE[op.type];
      if (!weighted && !fixed && !DEFAULT_RANGE.has(op.type)) fail(op, 'is not supported by the int8 quantisation pass');
      const activations = op.inputs.filter((t, k) => isFloatActivation(t) && !(weighted && k > 0));
      const quantized = activations.every((t) => paired.has(t as IrTensor));
      if (quantized) {
        for (const [k, t] of op.inputs.entries()) {
          if (weighted && k > 0) continue;
          if (isConst(t) && t.dtype === 'float32') fail(op, 'has a float constant operand: TF would give it its own range');
          if (t && paired.has(t) && paired.get(t) !== defaults) fail(op, `reads the fixed-range output '${t.name}'`);
        }
        int8Ops.add(op);
      } else if (fixed) {
        fail(op, 'stays float here (an input is not quantised) and TF\'s range for its output is not modelled');
      }
      for (const o of op.outputs) if (o.dtype === 'float32') paired.set(o, fixed ?? defaults);
    }

    for (const op of int8Ops) {
      const weighted = WEIGHTED[op.type];
      if (!weighted) continue;
      const inputScale = paired.get(op.inputs[0]!)!.scale[0]!;
      const w = quantizeWeights(g, op, op.inputs[1]!, weighted.axis);
      op.inputs = op.inputs.map((t, k) => (k === 1 ? w : k === 2 && t ? quantizeBias(g, op, t, inputScale, w.quantization!) : t));
    }

    for (const [t, q] of paired) {
      const tq = g.tensor(`${t.name}/int8`, 'int8', t.shape);
      tq.quantization = q;
      const producer = g.producer(t);
      const readers = g.consumers(t);
      if (producer && int8Ops.has(producer)) producer.outputs = producer.outputs.map((o) => (o === t ? tq : o));
      else g.op('QUANTIZE', [t], [tq], {}, producer?.origin ?? t.name, producer);
      const floatReaders: IrOp[] = [];
      for (const r of readers) {
        if (int8Ops.has(r)) r.inputs = r.inputs.map((i) => (i === t ? tq : i));
        else floatReaders.push(r);
      }
      const outputSlots = g.outputs.filter((o) => o === t).length;
      const sole = floatReaders.length === 1 && outputSlots === 0 ? floatReaders[0]! : undefined;
      if (sole?.type === 'LceQuantize') {
        sole.inputs = [tq];
        continue;
      }
      if (floatReaders.length === 0 && outputSlots === 0) continue;
      const dq = producer && int8Ops.has(producer) ? t : g.tensor(`${t.name}/dequantized`, 'float32', t.shape);
      g.op('DEQUANTIZE', [tq], [dq], {}, producer?.origin ?? t.name);
      if (dq !== t) {
        if (outputSlots > 0 && !g.inputs.includes(t)) [dq.name, t.name] = [t.name, `${t.name}/float`];
        for (const r of floatReaders) r.inputs = r.inputs.map((i) => (i === t ? dq : i));
        g.outputs = g.outputs.map((o) => (o === t ? dq : o));
      }
    }
    return paired.size;
  },
};
