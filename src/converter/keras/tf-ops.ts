/**
 * TFOpLambda layers: tf-keras records an operator (`a + b`) or a tf function (`tf.concat(...)`) applied to Keras
 * tensors as a layer whose config names the function (`__operators__.add`, `concat`, …) and whose inbound node holds
 * the call's arguments. Each known function is lowered with TensorFlow's argument names and defaults to the op
 * TFLite's converter makes of it; any other function is an error naming it.
 */
import { ConverterError } from '../../errors.js';
import { shapeSize, type IrGraph, type IrOptions, type IrTensor } from '../ir.js';
import type { CallArgs, CallValue, FlatLayer, Json } from './config.js';

/** What the lowering of one TFOpLambda call needs from the layer lowerer. */
export interface TfOpContext {
  readonly g: IrGraph;
  readonly layer: FlatLayer;
  /** The layer's input tensors (the `tensor` call values index into this). */
  readonly ins: readonly IrTensor[];
  emit(type: string, inputs: (IrTensor | null)[], shape: number[], options?: IrOptions, suffix?: string): IrTensor;
  fail(msg: string): never;
  broadcast(a: readonly number[], b: readonly number[]): number[] | undefined;
}

type Lowering = (c: TfOpContext, a: Args) => IrTensor;

/** Positional and keyword arguments bound to TensorFlow's parameter names. */
class Args {
  private readonly bound = new Map<string, CallValue>();

  constructor(private readonly c: TfOpContext, params: readonly string[], call: CallArgs) {
    call.args.forEach((v, i) => {
      const p = params[i];
      if (p === undefined) c.fail(`too many positional arguments for tf.${c.layer.config.function as string}`);
      this.bound.set(p, v);
    });
    for (const [k, v] of Object.entries(call.kwargs)) {
      if (k === 'name') continue;
      if (!params.includes(k)) c.fail(`argument '${k}' of tf.${c.layer.config.function as string} is not supported`);
      this.bound.set(k, v);
    }
  }

  has(name: string): boolean {
    const v = this.bound.get(name);
    return v !== undefined && !(v.kind === 'const' && v.value === null);
  }

  /** A tensor argument; a constant becomes a float32 constant tensor. */
  tensor(name: string): IrTensor {
    const v = this.bound.get(name) ?? this.c.fail(`argument '${name}' is missing`);
    return this.toTensor(name, v);
  }

  tensors(name: string): IrTensor[] {
    const v = this.bound.get(name) ?? this.c.fail(`argument '${name}' is missing`);
    if (v.kind === 'list') return v.items.map((item, i) => this.toTensor(`${name}_${i}`, item));
    return [this.toTensor(name, v)];
  }

  /** A constant argument (a tensor there is an error: the converter needs its value). */
  value(name: string, fallback: Json): Json {
    const v = this.bound.get(name);
    if (v === undefined) return fallback;
    if (v.kind !== 'const') this.c.fail(`argument '${name}' must be a constant, not a tensor`);
    return v.value;
  }

  number(name: string, fallback: number): number {
    const v = this.value(name, fallback);
    if (typeof v !== 'number') this.c.fail(`argument '${name}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  ints(name: string): number[] | null {
    const v = this.value(name, null);
    if (v === null) return null;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((d) => typeof d === 'number' && Number.isInteger(d))) this.c.fail(`argument '${name}' must be integers, got ${JSON.stringify(v)}`);
    return list as number[];
  }

  private toTensor(name: string, v: CallValue): IrTensor {
    if (v.kind === 'tensor') return this.c.ins[v.index] ?? this.c.fail(`input ${v.index} is missing`);
    if (v.kind === 'list') {
      if (v.items.length === 1) return this.toTensor(name, v.items[0]);
      this.c.fail(`argument '${name}' is a list where a tensor is expected`);
    }
    const { data, shape } = flattenConstant(v.value) ?? this.c.fail(`argument '${name}' is not a numeric constant: ${JSON.stringify(v.value)}`);
    return this.c.g.constF32(`${this.c.layer.id}/${name}`, data, shape);
  }
}

/** A (nested) JSON number list as float32 data and its shape; undefined when ragged or not numeric. */
function flattenConstant(v: Json): { data: number[]; shape: number[] } | undefined {
  if (typeof v === 'number') return { data: [v], shape: [] };
  if (typeof v === 'boolean') return { data: [v ? 1 : 0], shape: [] };
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const parts = v.map(flattenConstant);
  if (parts.some((p) => !p)) return undefined;
  const inner = parts[0]!.shape;
  if (parts.some((p) => p!.shape.join(',') !== inner.join(','))) return undefined;
  return { data: parts.flatMap((p) => p!.data), shape: [v.length, ...inner] };
}

function normAxis(c: TfOpContext, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) c.fail(`axis ${axis} is out of range for rank ${rank}`);
  return (axis + rank) % rank;
}

const binary = (type: string): Lowering => (c, a) => {
  const x = a.tensor('x');
  const y = a.tensor('y');
  const shape = c.broadcast(x.shape, y.shape) ?? c.fail(`inputs [${x.shape}] and [${y.shape}] do not broadcast`);
  return c.emit(type, [x, y], shape, type === 'MAXIMUM' || type === 'MINIMUM' ? {} : { fusedActivationFunction: 0 });
};

const unary = (type: string, param = 'x', options: IrOptions = {}): Lowering => (c, a) => {
  const x = a.tensor(param);
  return c.emit(type, [x], x.shape, options);
};

const reduce = (type: string): Lowering => (c, a) => {
  const x = a.tensor('input_tensor');
  const rank = x.shape.length;
  const axes = [...new Set((a.ints('axis') ?? x.shape.map((_, i) => i)).map((d) => normAxis(c, d, rank)))].sort((p, q) => p - q);
  const keep = a.value('keepdims', false) === true;
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return c.emit(type, [x, c.g.constI32(`${c.layer.id}/axes`, axes, [axes.length])], shape, { keepDims: keep });
};

/** TensorFlow parameter names of each supported function, and its lowering. */
const FUNCTIONS: Record<string, { params: readonly string[]; lower: Lowering }> = {
  '__operators__.add': { params: ['x', 'y'], lower: binary('ADD') },
  'math.add': { params: ['x', 'y'], lower: binary('ADD') },
  'math.subtract': { params: ['x', 'y'], lower: binary('SUB') },
  'math.multiply': { params: ['x', 'y'], lower: binary('MUL') },
  'math.truediv': { params: ['x', 'y'], lower: binary('DIV') },
  'math.divide': { params: ['x', 'y'], lower: binary('DIV') },
  'math.maximum': { params: ['x', 'y'], lower: binary('MAXIMUM') },
  'math.minimum': { params: ['x', 'y'], lower: binary('MINIMUM') },
  'math.negative': { params: ['x'], lower: unary('NEG') },
  'math.abs': { params: ['x'], lower: unary('ABS') },
  'math.sigmoid': { params: ['x'], lower: unary('LOGISTIC') },
  'nn.sigmoid': { params: ['x'], lower: unary('LOGISTIC') },
  'math.tanh': { params: ['x'], lower: unary('TANH') },
  'nn.tanh': { params: ['x'], lower: unary('TANH') },
  'nn.relu': { params: ['features'], lower: unary('RELU', 'features') },
  'nn.relu6': { params: ['features'], lower: unary('RELU6', 'features') },
  'nn.leaky_relu': {
    params: ['features', 'alpha'],
    lower: (c, a) => {
      const x = a.tensor('features');
      return c.emit('LEAKY_RELU', [x], x.shape, { alpha: a.number('alpha', 0.2) });
    },
  },
  'nn.softmax': {
    params: ['logits', 'axis'],
    lower: (c, a) => {
      const x = a.tensor('logits');
      const axis = a.value('axis', null);
      if (axis !== null && normAxis(c, Number(axis), x.shape.length) !== x.shape.length - 1) c.fail('softmax over an axis other than the last is not supported');
      return c.emit('SOFTMAX', [x], x.shape, { beta: 1 });
    },
  },
  identity: { params: ['input'], lower: (_c, a) => a.tensor('input') },
  concat: {
    params: ['values', 'axis'],
    lower: (c, a) => {
      const xs = a.tensors('values');
      const first = xs[0]!;
      const rank = first.shape.length;
      const axis = normAxis(c, a.number('axis', 0), rank);
      for (const t of xs) {
        if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) c.fail(`inputs [${first.shape}] and [${t.shape}] cannot be concatenated on axis ${axis}`);
      }
      if (xs.length === 1) return first;
      const shape = [...first.shape];
      shape[axis] = xs.reduce((s, t) => s + t.shape[axis]!, 0);
      return c.emit('CONCATENATION', xs, shape, { axis, fusedActivationFunction: 0 });
    },
  },
  reshape: {
    params: ['tensor', 'shape'],
    lower: (c, a) => {
      const x = a.tensor('tensor');
      const target = a.ints('shape') ?? c.fail("argument 'shape' is missing");
      const total = shapeSize(x.shape);
      const known = target.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
      const unknown = target.filter((d) => d === -1).length;
      if (unknown > 1 || (unknown === 1 && (known === 0 || total % known !== 0)) || (unknown === 0 && known !== total)) c.fail(`cannot reshape [${x.shape}] to [${target}]`);
      const shape = target.map((d) => (d === -1 ? total / known : d));
      return c.emit('RESHAPE', [x, c.g.constI32(`${c.layer.id}/shape`, shape, [shape.length])], shape);
    },
  },
  'math.reduce_mean': { params: ['input_tensor', 'axis', 'keepdims'], lower: reduce('MEAN') },
  'math.reduce_max': { params: ['input_tensor', 'axis', 'keepdims'], lower: reduce('REDUCE_MAX') },
  'math.reduce_sum': { params: ['input_tensor', 'axis', 'keepdims'], lower: reduce('SUM') },
  pad: {
    params: ['tensor', 'paddings', 'mode', 'constant_values'],
    lower: (c, a) => {
      const x = a.tensor('tensor');
      const mode = String(a.value('mode', 'CONSTANT')).toUpperCase();
      if (mode !== 'CONSTANT') c.fail(`pad mode ${mode} is not supported; use CONSTANT`);
      const p = flattenConstant(a.value('paddings', null));
      if (!p || p.shape.join(',') !== `${x.shape.length},2` || !p.data.every((d) => Number.isInteger(d) && d >= 0)) return c.fail(`paddings must be a constant [${x.shape.length}, 2] list of non-negative integers`);
      const shape = x.shape.map((d, i) => d + p.data[2 * i]! + p.data[2 * i + 1]!);
      const pads = c.g.constI32(`${c.layer.id}/paddings`, p.data, [x.shape.length, 2]);
      const value = a.number('constant_values', 0);
      if (value === 0) return c.emit('PAD', [x, pads], shape);
      return c.emit('PADV2', [x, pads, c.g.constF32(`${c.layer.id}/constant_values`, [value], [])], shape);
    },
  },
};

export const SUPPORTED_TF_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/** Lowers one TFOpLambda call; an unknown function is a ConverterError naming it. */
export function lowerTfOpLambda(c: TfOpContext): IrTensor {
  const fn = c.layer.config.function;
  if (typeof fn !== 'string') c.fail('has no function name');
  const spec = FUNCTIONS[fn];
  if (!spec) {
    throw new ConverterError(`layer '${c.layer.id}' (TFOpLambda): tf.${fn} is not supported by the converter; supported tf functions and operators: ${SUPPORTED_TF_FUNCTIONS.map((f) => `tf.${f}`).join(', ')}; or use the equivalent Keras layer`);
  }
  const call: CallArgs = c.layer.call ?? { args: c.ins.map((_, index) => ({ kind: 'tensor', index })), kwargs: {} };
  return spec.lower(c, new Args(c, spec.params, call));
}
