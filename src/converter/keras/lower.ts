/**
 * Keras layer calls → IR ops, shaped the way TensorFlow's importer shapes them before LCE's passes run
 * (BatchNormalization as MUL + ADD, convolution bias as a conv input, Larq quantizers as sign ops on the input and
 * on the constant kernel). Batch dimension 1, NHWC, TFLite weight layouts (OHWI conv filters, [1,H,W,C·M]
 * depthwise filters, [O,I] dense weights).
 */
import { ConverterError } from '../../errors.js';
import { IrGraph, shapeSize, type IrOptions, type IrTensor } from '../ir.js';
import { isObject, type FlatLayer, type FlatModel, type Json, type JsonObject } from './config.js';
import type { Hdf5Array } from './hdf5.js';
import { emitQuantizer, parseQuantizer, type QuantizerSpec } from './quantizers.js';
import { lowerTfOpLambda } from './tf-ops.js';
import type { WeightStore } from './weights.js';

const Act = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 } as const;
const Pad = { SAME: 0, VALID: 1 } as const;

/** Layers that do nothing at inference time. */
const IDENTITY_LAYERS = new Set([
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout', 'ActivityRegularization',
]);

const QUANTIZER_LAYERS = new Set(['SteSign', 'ApproxSign', 'SwishSign', 'MagnitudeAwareSign', 'DoReFa', 'DoReFaQuantizer', 'NoOp', 'NoOpQuantizer', 'SteTern', 'SteHeaviside']);

const SUGGESTIONS: Record<string, string> = {
  Lambda: 'rewrite the Lambda as built-in Keras layers (Add, Multiply, Activation, Reshape, …) and re-save',
  QuantConv1D: 'use QuantConv2D on a (1, W, C) input',
  QuantConv3D: 'use QuantConv2D',
  Conv1D: 'use Conv2D on a (1, W, C) input',
  UpSampling2D: 'use a strided Conv2DTranspose-free design or Reshape/Concatenate',
};

export interface LoweringResult {
  graph: IrGraph;
  layersIn: number;
}

function num(v: Json | undefined, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function pair(v: Json | undefined, fallback: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  return [fallback, fallback];
}

function activationName(v: Json | undefined): string {
  if (v === null || v === undefined) return 'linear';
  if (typeof v === 'string') return v;
  if (isObject(v)) {
    if (typeof v.config === 'string') return v.config;
    if (typeof v.class_name === 'string') return v.class_name;
  }
  return String(v);
}

/** Output size of one spatial axis (TFLite's rule, §1.4). */
export function convOutSize(padding: number, inSize: number, filter: number, stride: number, dilation: number): number {
  const fe = (filter - 1) * dilation + 1;
  return padding === Pad.SAME ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - fe) / stride);
}

/** Total SAME padding along one axis. */
export function samePadTotal(inSize: number, filter: number, stride: number, dilation: number): number {
  const out = Math.floor((inSize + stride - 1) / stride);
  return Math.max(0, (out - 1) * stride + (filter - 1) * dilation + 1 - inSize);
}

class Lowerer {
  readonly g = new IrGraph();
  private readonly tensors = new Map<string, IrTensor>();

  constructor(private readonly model: FlatModel, private readonly weights: WeightStore, private readonly source: string) {}

  private fail(layer: FlatLayer, msg: string): never {
    throw new ConverterError(`${this.source}: layer '${layer.id}' (${layer.className}): ${msg}`);
  }

  run(): IrGraph {
    for (const inp of this.model.inputs) {
      if (inp.shape.some((d) => d === null)) {
        throw new ConverterError(`${this.source}: input '${inp.name}' has an unknown dimension [${inp.shape.map((d) => d ?? '?')}]; give the model a fixed input shape`);
      }
      if (inp.dtype !== 'float32') throw new ConverterError(`${this.source}: input '${inp.name}' is ${inp.dtype}; only float32 model inputs are supported`);
      const t = this.g.tensor(inp.name, 'float32', [1, ...(inp.shape as number[])]);
      this.g.inputs.push(t);
      this.tensors.set(inp.key, t);
    }
    for (const layer of this.model.layers) {
      const ins = layer.inputs.map((k) => {
        const t = this.tensors.get(k);
        if (!t) this.fail(layer, `input ${k} is not available`);
        return t;
      });
      const out = this.lower(layer, ins);
      this.tensors.set(layer.outputs[0], out);
    }
    this.g.outputs = this.model.outputs.map((k) => {
      const t = this.tensors.get(k);
      if (!t) throw new ConverterError(`${this.source}: model output ${k} is not produced`);
      return t;
    });
    return this.g;
  }

  // ---- helpers ----

  private w(layer: FlatLayer, order: string[]): Map<string, Hdf5Array> {
    return this.weights.get(layer.path, order, layer.className);
  }

  private weightConst(layer: FlatLayer, name: string, a: Hdf5Array, expect?: number[]): IrTensor {
    if (expect && (a.shape.length !== expect.length || a.shape.some((d, i) => d !== expect[i]))) {
      this.fail(layer, `weight '${name}' has shape [${a.shape}], expected [${expect}]`);
    }
    return this.g.constF32(`${layer.id}/${name}`, a.data, a.shape);
  }

  /**
   * A kernel in TFLite layout. The quantizer runs on the Keras layout (magnitude_aware_sign's mean is per Keras
   * output channel), then a TRANSPOSE (`perm`, for HWIO → OHWI and [I,O] → [O,I]) or a RESHAPE (`shape` given as
   * the 4-entry target for depthwise) brings it to TFLite's; constant folding evaluates both.
   */
  private kernel(layer: FlatLayer, k: Hdf5Array, quantizerKey: string | null, layout: number[]): IrTensor {
    const name = quantizerKey ?? 'kernel';
    let t = this.g.constF32(`${layer.id}/${name.replace('_quantizer', '_kernel')}`, k.data, k.shape);
    if (quantizerKey) t = emitQuantizer(this.g, this.quantizer(layer, quantizerKey), t, `${layer.id}/${quantizerKey}`);
    const isPerm = layout.length === k.shape.length && [...layout].sort().every((v, i) => v === i) && layout.some((v, i) => v !== i);
    if (isPerm) {
      const shape = layout.map((a) => k.shape[a]);
      return this.emit(layer, 'TRANSPOSE', [t, this.g.constI32(`${layer.id}/${name}_perm`, layout, [layout.length])], shape, {}, `/${name}_tflite`);
    }
    return this.emit(layer, 'RESHAPE', [t, this.g.constI32(`${layer.id}/${name}_shape`, layout, [layout.length])], layout, {}, `/${name}_tflite`);
  }

  private out(layer: FlatLayer, shape: number[], suffix = ''): IrTensor {
    return this.g.tensor(`${layer.id}${suffix}`, 'float32', shape);
  }

  private emit(layer: FlatLayer, type: string, inputs: (IrTensor | null)[], shape: number[], options: IrOptions = {}, suffix = ''): IrTensor {
    const o = this.out(layer, shape, suffix);
    this.g.op(type, inputs, [o], options, layer.id);
    return o;
  }

  private activation(layer: FlatLayer, x: IrTensor, name: string): IrTensor {
    const s = x.shape;
    switch (name) {
      case 'linear': return x;
      case 'relu': return this.emit(layer, 'RELU', [x], s, {}, '/relu');
      case 'relu6': return this.emit(layer, 'RELU6', [x], s, {}, '/relu6');
      case 'sigmoid': return this.emit(layer, 'LOGISTIC', [x], s, {}, '/sigmoid');
      case 'tanh': return this.emit(layer, 'TANH', [x], s, {}, '/tanh');
      case 'softmax': return this.emit(layer, 'SOFTMAX', [x], s, { beta: 1 }, '/softmax');
      case 'swish': case 'silu': {
        const sig = this.emit(layer, 'LOGISTIC', [x], s, {}, '/sigmoid');
        return this.emit(layer, 'MUL', [x, sig], s, { fusedActivationFunction: 0 }, '/swish');
      }
      case 'hard_sigmoid': {
        // tf.keras: clip(0.2·x + 0.5, 0, 1)
        const c = (n: string, v: number): IrTensor => this.g.constF32(`${layer.id}/${n}`, [v], []);
        const a = this.emit(layer, 'MUL', [x, c('slope', 0.2)], s, { fusedActivationFunction: 0 }, '/hs_mul');
        const b = this.emit(layer, 'ADD', [a, c('offset', 0.5)], s, { fusedActivationFunction: 0 }, '/hs_add');
        const m = this.emit(layer, 'MINIMUM', [b, c('one', 1)], s, {}, '/hs_min');
        return this.emit(layer, 'MAXIMUM', [m, c('zero', 0)], s, {}, '/hard_sigmoid');
      }
      default:
        this.fail(layer, `activation '${name}' is not supported; use relu, relu6, sigmoid, tanh, softmax, hard_sigmoid, swish/silu or linear`);
    }
  }

  private quantizer(layer: FlatLayer, key: string): QuantizerSpec {
    return parseQuantizer(layer.config[key], layer.id, key);
  }

  private spatialInput(layer: FlatLayer, x: IrTensor): [number, number, number] {
    if (x.shape.length !== 4) this.fail(layer, `expects a 4-D NHWC input, got [${x.shape}]`);
    if (layer.config.data_format === 'channels_first') this.fail(layer, 'channels_first is not supported; use channels_last');
    return [x.shape[1], x.shape[2], x.shape[3]];
  }

  /** Larq pads with `pad_values` itself (then convolves VALID) when padding is "same" and pad_values ≠ 0. */
  private larqPadding(layer: FlatLayer, x: IrTensor, kernel: [number, number], strides: [number, number], dil: [number, number]): { x: IrTensor; padding: number } {
    const padding = layer.config.padding === 'same' ? Pad.SAME : Pad.VALID;
    const padValue = num(layer.config.pad_values, 0);
    if (padding !== Pad.SAME || padValue === 0) return { x, padding };
    const th = samePadTotal(x.shape[1], kernel[0], strides[0], dil[0]);
    const tw = samePadTotal(x.shape[2], kernel[1], strides[1], dil[1]);
    const pads = [0, 0, Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2), 0, 0];
    const shape = [1, x.shape[1] + th, x.shape[2] + tw, x.shape[3]];
    const padded = this.emit(layer, 'PADV2', [x, this.g.constI32(`${layer.id}/paddings`, pads, [4, 2]), this.g.constF32(`${layer.id}/pad_value`, [padValue], [])], shape, {}, '/pad');
    return { x: padded, padding: Pad.VALID };
  }

  private convLike(layer: FlatLayer, x: IrTensor, opts: { quantized: boolean }): IrTensor {
    const cfg = layer.config;
    const [h, wd, cin] = this.spatialInput(layer, x);
    const filters = num(cfg.filters, 0);
    const kernel = pair(cfg.kernel_size, 1);
    const strides = pair(cfg.strides, 1);
    const dil = pair(cfg.dilation_rate, 1);
    const groups = num(cfg.groups, 1);
    if (groups < 1 || cin % groups !== 0 || filters % groups !== 0) this.fail(layer, `groups=${groups} does not divide ${cin} input channels and ${filters} filters`);
    const useBias = cfg.use_bias !== false;
    const wts = this.w(layer, useBias ? ['kernel', 'bias'] : ['kernel']);
    let input = x;
    if (opts.quantized) input = emitQuantizer(this.g, this.quantizer(layer, 'input_quantizer'), x, `${layer.id}/input_quantizer`);
    const { x: padded, padding } = opts.quantized ? this.larqPadding(layer, input, kernel, strides, dil) : { x: input, padding: cfg.padding === 'same' ? Pad.SAME : Pad.VALID };
    const k = wts.get('kernel') as Hdf5Array;
    if (k.shape.length !== 4 || k.shape[0] !== kernel[0] || k.shape[1] !== kernel[1] || k.shape[2] !== cin / groups || k.shape[3] !== filters) {
      this.fail(layer, `kernel shape [${k.shape}] does not match kernel_size ${kernel}, ${cin} input channels, ${groups} groups and ${filters} filters`);
    }
    const [kh, kw] = kernel;
    const filter = this.kernel(layer, k, opts.quantized ? 'kernel_quantizer' : null, [3, 0, 1, 2]);
    const bias = useBias ? this.weightConst(layer, 'bias', wts.get('bias') as Hdf5Array, [filters]) : this.g.constF32(`${layer.id}/zero_bias`, new Float32Array(filters), [filters]);
    const oh = convOutSize(padding, padded.shape[1], kh, strides[0], dil[0]);
    const ow = convOutSize(padding, padded.shape[2], kw, strides[1], dil[1]);
    if (oh <= 0 || ow <= 0) this.fail(layer, `output would be empty for input ${h}x${wd}`);
    const y = this.emit(layer, 'CONV_2D', [padded, filter, bias], [1, oh, ow, filters], {
      padding, strideW: strides[1], strideH: strides[0], dilationWFactor: dil[1], dilationHFactor: dil[0], fusedActivationFunction: Act.NONE,
    });
    return this.activation(layer, y, activationName(cfg.activation));
  }

  private depthwise(layer: FlatLayer, x: IrTensor, opts: { quantized: boolean; kernelKey: string; quantizerKey: string; bias: boolean; suffix: string; padding?: number }): IrTensor {
    const cfg = layer.config;
    const [, , cin] = this.spatialInput(layer, x);
    const mult = num(cfg.depth_multiplier, 1);
    const kernel = pair(cfg.kernel_size, 1);
    const strides = pair(cfg.strides, 1);
    const dil = pair(cfg.dilation_rate, 1);
    const order = [opts.kernelKey, ...(opts.bias ? ['bias'] : [])];
    const wts = this.w(layer, layer.className.includes('Separable') ? this.separableOrder(cfg) : order);
    const k = wts.get(opts.kernelKey) as Hdf5Array;
    if (k.shape.length !== 4 || k.shape[0] !== kernel[0] || k.shape[1] !== kernel[1] || k.shape[2] !== cin || k.shape[3] !== mult) {
      this.fail(layer, `depthwise kernel shape [${k.shape}] does not match kernel_size ${kernel}, ${cin} channels, multiplier ${mult}`);
    }
    const cout = cin * mult;
    // [H, W, C, M] and [1, H, W, C·M] share one memory layout.
    const filter = this.kernel(layer, k, opts.quantized ? opts.quantizerKey : null, [1, kernel[0], kernel[1], cout]);
    const bias = opts.bias && wts.has('bias') ? this.weightConst(layer, 'bias', wts.get('bias') as Hdf5Array, [cout]) : this.g.constF32(`${layer.id}/dw_zero_bias`, new Float32Array(cout), [cout]);
    const padding = opts.padding ?? (cfg.padding === 'same' ? Pad.SAME : Pad.VALID);
    const oh = convOutSize(padding, x.shape[1], kernel[0], strides[0], dil[0]);
    const ow = convOutSize(padding, x.shape[2], kernel[1], strides[1], dil[1]);
    return this.emit(layer, 'DEPTHWISE_CONV_2D', [x, filter, bias], [1, oh, ow, cout], {
      padding, strideW: strides[1], strideH: strides[0], depthMultiplier: mult, dilationWFactor: dil[1], dilationHFactor: dil[0], fusedActivationFunction: Act.NONE,
    }, opts.suffix);
  }

  private separableOrder(cfg: JsonObject): string[] {
    return ['depthwise_kernel', 'pointwise_kernel', ...(cfg.use_bias !== false ? ['bias'] : [])];
  }

  private depthwiseLayer(layer: FlatLayer, x: IrTensor, quantized: boolean): IrTensor {
    let input = x;
    let padding: number | undefined;
    if (quantized) {
      input = emitQuantizer(this.g, this.quantizer(layer, 'input_quantizer'), x, `${layer.id}/input_quantizer`);
      const r = this.larqPadding(layer, input, pair(layer.config.kernel_size, 1), pair(layer.config.strides, 1), pair(layer.config.dilation_rate, 1));
      input = r.x;
      padding = r.padding;
    }
    const y = this.depthwise(layer, input, { quantized, kernelKey: 'depthwise_kernel', quantizerKey: 'depthwise_quantizer', bias: layer.config.use_bias !== false, suffix: '', padding });
    return this.activation(layer, y, activationName(layer.config.activation));
  }

  private separable(layer: FlatLayer, x: IrTensor, quantized: boolean): IrTensor {
    const cfg = layer.config;
    let input = x;
    let padding: number | undefined;
    if (quantized) {
      input = emitQuantizer(this.g, this.quantizer(layer, 'input_quantizer'), x, `${layer.id}/input_quantizer`);
      const r = this.larqPadding(layer, input, pair(cfg.kernel_size, 1), pair(cfg.strides, 1), pair(cfg.dilation_rate, 1));
      input = r.x;
      padding = r.padding;
    }
    const dw = this.depthwise(layer, input, { quantized, kernelKey: 'depthwise_kernel', quantizerKey: 'depthwise_quantizer', bias: false, suffix: '/depthwise', padding });
    const filters = num(cfg.filters, 0);
    const wts = this.w(layer, this.separableOrder(cfg));
    const pw = wts.get('pointwise_kernel') as Hdf5Array;
    const cin = dw.shape[3];
    if (pw.shape.length !== 4 || pw.shape[2] !== cin || pw.shape[3] !== filters) this.fail(layer, `pointwise kernel shape [${pw.shape}] does not match`);
    const filter = this.kernel(layer, pw, quantized ? 'pointwise_quantizer' : null, [3, 0, 1, 2]);
    const bias = wts.has('bias') ? this.weightConst(layer, 'bias', wts.get('bias') as Hdf5Array, [filters]) : this.g.constF32(`${layer.id}/zero_bias`, new Float32Array(filters), [filters]);
    const y = this.emit(layer, 'CONV_2D', [dw, filter, bias], [1, dw.shape[1], dw.shape[2], filters], {
      padding: Pad.VALID, strideW: 1, strideH: 1, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: Act.NONE,
    });
    return this.activation(layer, y, activationName(cfg.activation));
  }

  private dense(layer: FlatLayer, x: IrTensor, quantized: boolean): IrTensor {
    const cfg = layer.config;
    const units = num(cfg.units, 0);
    const useBias = cfg.use_bias !== false;
    const wts = this.w(layer, useBias ? ['kernel', 'bias'] : ['kernel']);
    const k = wts.get('kernel') as Hdf5Array;
    const cin = x.shape[x.shape.length - 1];
    if (k.shape.length !== 2 || k.shape[0] !== cin || k.shape[1] !== units) this.fail(layer, `kernel shape [${k.shape}] does not match ${cin} inputs and ${units} units`);
    const input = quantized ? emitQuantizer(this.g, this.quantizer(layer, 'input_quantizer'), x, `${layer.id}/input_quantizer`) : x;
    const weights = this.kernel(layer, k, quantized ? 'kernel_quantizer' : null, [1, 0]);
    const bias = useBias ? this.weightConst(layer, 'bias', wts.get('bias') as Hdf5Array, [units]) : this.g.constF32(`${layer.id}/zero_bias`, new Float32Array(units), [units]);
    const keep = x.shape.length > 2;
    const y = this.emit(layer, 'FULLY_CONNECTED', [input, weights, bias], [...x.shape.slice(0, -1), units], {
      fusedActivationFunction: Act.NONE, weightsFormat: 0, keepNumDims: keep, asymmetricQuantizeInputs: false,
    });
    return this.activation(layer, y, activationName(cfg.activation));
  }

  private batchNorm(layer: FlatLayer, x: IrTensor): IrTensor {
    const cfg = layer.config;
    const rank = x.shape.length;
    const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
    if (axes.length !== 1 || ((Number(axes[0]) + rank) % rank) !== rank - 1) this.fail(layer, 'only normalisation over the last (channel) axis is supported');
    const c = x.shape[rank - 1];
    const scale = cfg.scale !== false;
    const center = cfg.center !== false;
    const order = [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    const wts = this.w(layer, order);
    const get = (n: string): Float32Array | undefined => {
      const a = wts.get(n);
      if (a && a.data.length !== c) this.fail(layer, `weight '${n}' has ${a.data.length} values for ${c} channels`);
      return a?.data;
    };
    const gamma = get('gamma');
    const beta = get('beta');
    const mean = get('moving_mean') as Float32Array;
    const variance = get('moving_variance') as Float32Array;
    const eps = Math.fround(num(cfg.epsilon, 1e-3));
    // TF folds inference batch norm in float32: m = γ·rsqrt(σ² + ε), b = β − μ·m.
    const mul = new Float32Array(c);
    const add = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const inv = Math.fround(1 / Math.fround(Math.sqrt(Math.fround(variance[i] + eps))));
      mul[i] = gamma ? Math.fround(inv * gamma[i]) : inv;
      add[i] = Math.fround((beta ? beta[i] : 0) - Math.fround(mean[i] * mul[i]));
    }
    const m = this.emit(layer, 'MUL', [x, this.g.constF32(`${layer.id}/mul`, mul, [c])], x.shape, { fusedActivationFunction: 0 }, '/mul');
    return this.emit(layer, 'ADD', [m, this.g.constF32(`${layer.id}/add`, add, [c])], x.shape, { fusedActivationFunction: 0 });
  }

  private pool(layer: FlatLayer, x: IrTensor, type: string): IrTensor {
    this.spatialInput(layer, x);
    const size = pair(layer.config.pool_size, 2);
    const strides = layer.config.strides === null || layer.config.strides === undefined ? size : pair(layer.config.strides, 1);
    const padding = layer.config.padding === 'same' ? Pad.SAME : Pad.VALID;
    const oh = convOutSize(padding, x.shape[1], size[0], strides[0], 1);
    const ow = convOutSize(padding, x.shape[2], size[1], strides[1], 1);
    return this.emit(layer, type, [x], [1, oh, ow, x.shape[3]], {
      padding, strideW: strides[1], strideH: strides[0], filterWidth: size[1], filterHeight: size[0], fusedActivationFunction: Act.NONE,
    });
  }

  private reshape(layer: FlatLayer, x: IrTensor, target: number[]): IrTensor {
    const total = shapeSize(x.shape);
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const unknown = target.filter((d) => d === -1).length;
    if (unknown > 1 || (unknown === 1 && total % known !== 0) || (unknown === 0 && known !== total)) {
      this.fail(layer, `cannot reshape [${x.shape}] to [${target}]`);
    }
    const shape = target.map((d) => (d === -1 ? total / known : d));
    // The shape operand keeps the -1 as TF writes it (Flatten → [-1, n], Reshape((1, 1, -1)) → [1, 1, 1, -1]).
    return this.emit(layer, 'RESHAPE', [x, this.g.constI32(`${layer.id}/shape`, target, [target.length])], shape);
  }

  private elementwise(layer: FlatLayer, ins: IrTensor[], type: string): IrTensor {
    if (ins.length < 2) this.fail(layer, 'needs at least two inputs');
    if (type === 'SUB' && ins.length !== 2) this.fail(layer, 'needs exactly two inputs');
    let acc = ins[0];
    for (let i = 1; i < ins.length; i++) {
      const shape = broadcastShapes(acc.shape, ins[i].shape) ?? this.fail(layer, `inputs [${acc.shape}] and [${ins[i].shape}] do not broadcast`);
      // MAXIMUM/MINIMUM have no fused activation (their options table has no fields)
      const options: IrOptions = type === 'MAXIMUM' || type === 'MINIMUM' ? {} : { fusedActivationFunction: 0 };
      acc = this.emit(layer, type, [acc, ins[i]], shape, options, i === ins.length - 1 ? '' : `/${i}`);
    }
    return acc;
  }

  private lower(layer: FlatLayer, ins: IrTensor[]): IrTensor {
    const cfg = layer.config;
    const x = ins[0];
    const cls = layer.className.replace(/^(larq|keras)>/, '');
    if (IDENTITY_LAYERS.has(cls)) return x;
    // Larq quantizers are Keras layers too and may be used on their own.
    if (QUANTIZER_LAYERS.has(cls)) {
      return emitQuantizer(this.g, parseQuantizer({ class_name: cls, config: cfg }, layer.id, 'quantizer layer'), x, layer.id);
    }
    switch (cls) {
      case 'QuantConv2D': return this.convLike(layer, x, { quantized: true });
      case 'Conv2D': case 'Convolution2D': return this.convLike(layer, x, { quantized: false });
      case 'QuantDepthwiseConv2D': return this.depthwiseLayer(layer, x, true);
      case 'DepthwiseConv2D': return this.depthwiseLayer(layer, x, false);
      case 'QuantSeparableConv2D': return this.separable(layer, x, true);
      case 'SeparableConv2D': case 'SeparableConvolution2D': return this.separable(layer, x, false);
      case 'QuantDense': return this.dense(layer, x, true);
      case 'Dense': return this.dense(layer, x, false);
      case 'BatchNormalization': return this.batchNorm(layer, x);
      case 'Activation': return this.activation(layer, x, activationName(cfg.activation));
      case 'ReLU': {
        const maxValue = cfg.max_value === null || cfg.max_value === undefined ? null : Number(cfg.max_value);
        const slope = num(cfg.negative_slope, 0);
        const threshold = num(cfg.threshold, 0);
        if (threshold !== 0) this.fail(layer, 'ReLU with a threshold is not supported; use threshold=0');
        if (slope !== 0) {
          if (maxValue !== null) this.fail(layer, 'ReLU with both max_value and negative_slope is not supported');
          return this.emit(layer, 'LEAKY_RELU', [x], x.shape, { alpha: slope });
        }
        if (maxValue === null) return this.emit(layer, 'RELU', [x], x.shape);
        if (maxValue === 6) return this.emit(layer, 'RELU6', [x], x.shape);
        const r = this.emit(layer, 'RELU', [x], x.shape, {}, '/relu');
        return this.emit(layer, 'MINIMUM', [r, this.g.constF32(`${layer.id}/max_value`, [maxValue], [])], x.shape);
      }
      case 'LeakyReLU': return this.emit(layer, 'LEAKY_RELU', [x], x.shape, { alpha: num(cfg.alpha ?? cfg.negative_slope, 0.3) });
      case 'PReLU': {
        const a = this.w(layer, ['alpha']).get('alpha') as Hdf5Array;
        return this.emit(layer, 'PRELU', [x, this.weightConst(layer, 'alpha', a)], x.shape);
      }
      case 'Softmax': {
        const axis = num(cfg.axis, -1);
        if (axis !== -1 && axis !== x.shape.length - 1) this.fail(layer, 'softmax over an axis other than the last is not supported');
        return this.emit(layer, 'SOFTMAX', [x], x.shape, { beta: 1 });
      }
      case 'MaxPooling2D': case 'MaxPool2D': return this.pool(layer, x, 'MAX_POOL_2D');
      case 'AveragePooling2D': case 'AvgPool2D': return this.pool(layer, x, 'AVERAGE_POOL_2D');
      case 'GlobalAveragePooling2D': case 'GlobalAvgPool2D': case 'GlobalMaxPooling2D': case 'GlobalMaxPool2D': {
        this.spatialInput(layer, x);
        const keep = cfg.keepdims === true;
        const shape = keep ? [1, 1, 1, x.shape[3]] : [1, x.shape[3]];
        return this.emit(layer, cls.includes('Max') ? 'REDUCE_MAX' : 'MEAN', [x, this.g.constI32(`${layer.id}/axes`, [1, 2], [2])], shape, { keepDims: keep });
      }
      case 'Add': return this.elementwise(layer, ins, 'ADD');
      case 'Subtract': return this.elementwise(layer, ins, 'SUB');
      case 'Multiply': return this.elementwise(layer, ins, 'MUL');
      case 'Maximum': return this.elementwise(layer, ins, 'MAXIMUM');
      case 'Minimum': return this.elementwise(layer, ins, 'MINIMUM');
      case 'Concatenate': {
        const rank = x.shape.length;
        const axis = (num(cfg.axis, -1) + rank) % rank;
        for (const t of ins) {
          if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== x.shape[i])) this.fail(layer, `inputs [${x.shape}] and [${t.shape}] cannot be concatenated on axis ${axis}`);
        }
        const shape = [...x.shape];
        shape[axis] = ins.reduce((s, t) => s + t.shape[axis], 0);
        return this.emit(layer, 'CONCATENATION', ins, shape, { axis, fusedActivationFunction: 0 });
      }
      case 'ZeroPadding2D': {
        this.spatialInput(layer, x);
        const p = cfg.padding;
        let top = 1, bottom = 1, left = 1, right = 1;
        if (typeof p === 'number') top = bottom = left = right = p;
        else if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') { top = bottom = Number(p[0]); left = right = Number(p[1]); }
        else if (Array.isArray(p) && p.length === 2) { [top, bottom] = pair(p[0], 0); [left, right] = pair(p[1], 0); }
        const pads = [0, 0, top, bottom, left, right, 0, 0];
        return this.emit(layer, 'PAD', [x, this.g.constI32(`${layer.id}/paddings`, pads, [4, 2])], [1, x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3]]);
      }
      case 'Reshape': {
        const t = Array.isArray(cfg.target_shape) ? cfg.target_shape.map(Number) : this.fail(layer, 'has no target_shape');
        return this.reshape(layer, x, [1, ...t]);
      }
      case 'Flatten': return this.reshape(layer, x, [-1, shapeSize(x.shape)]); // tf-keras: reshape(x, (-1, n))
      case 'Permute': {
        // Keras numbers the axes from 1 (the batch axis stays first): TRANSPOSE with perm [0, ...dims]
        const dims = Array.isArray(cfg.dims) ? cfg.dims.map(Number) : this.fail(layer, 'has no dims');
        const rank = x.shape.length;
        if (dims.length !== rank - 1 || [...dims].sort((a, b) => a - b).some((d, i) => d !== i + 1)) {
          this.fail(layer, `dims [${dims}] is not a permutation of 1..${rank - 1} for input [${x.shape}]`);
        }
        const perm = [0, ...dims];
        return this.emit(layer, 'TRANSPOSE', [x, this.g.constI32(`${layer.id}/perm`, perm, [rank])], perm.map((d) => x.shape[d]));
      }
      case 'InputLayer': return x;
      case 'TFOpLambda': return lowerTfOpLambda({
        g: this.g, layer, ins,
        emit: (type, inputs, shape, options, suffix) => this.emit(layer, type, inputs, shape, options, suffix),
        fail: (msg) => this.fail(layer, msg),
        broadcast: broadcastShapes,
      });
      default: {
        const hint = SUGGESTIONS[cls] ?? 'use the supported Keras/Larq layers listed in the converter documentation';
        this.fail(layer, `layer class ${cls} is not supported by the converter; ${hint}`);
      }
    }
  }
}

export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(Math.max(da, db));
  }
  return out;
}

export function lowerModel(model: FlatModel, weights: WeightStore, source: string): LoweringResult {
  const g = new Lowerer(model, weights, source).run();
  return { graph: g, layersIn: model.layers.length };
}
