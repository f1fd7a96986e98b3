/**
 * CONV_2D (TFLite builtin 3): float32, and int8 activations with int8 per-channel symmetric weights and int32 bias.
 * Also holds the pieces DEPTHWISE_CONV_2D and FULLY_CONNECTED share: fused-activation and padding parsing,
 * and the per-channel requantisation set-up.
 */
import { ModelValidationError } from '../errors.js';
import { shapeSize } from '../graph/dtype.js';
import type { BuiltinOptions } from '../graph/model.js';
import type { Conv2DGeometry, Int8Requant } from '../reference/conv2d.js';
import { conv2dFloat, conv2dInt8 } from '../reference/conv2d.js';
import { quantizeMultiplier, quantizedActivationRange } from '../reference/quant.js';
import { optNumber } from './builtin-util.js';
import {
  Activation, activationRange, fail, padGeometry, Padding, perTensorQuant, requireDType, requireInput,
  requireInputCount, requireOutputCount, requireRank,
} from './common.js';
import type { PadGeometry } from './common.js';
import { defineOp } from './kernel.js';
import type { PrepareContext, TensorSpec } from './kernel.js';

type Ctx = PrepareContext<unknown>;

/** Reads `fusedActivationFunction` (default NONE) and checks it is a schema ActivationFunctionType value. */
export function parseActivation(opts: BuiltinOptions | null, opType: string): number {
  const act = optNumber(opts, 'fusedActivationFunction', Activation.NONE, opType);
  if (!Number.isInteger(act) || act < 0 || act > Activation.SIGN_BIT) {
    throw new ModelValidationError(`${opType}: fusedActivationFunction ${act} is not an ActivationFunctionType`);
  }
  return act;
}

/** Reads `padding` (default SAME, the schema's 0) and checks it is SAME or VALID. */
export function parsePadding(opts: BuiltinOptions | null, opType: string): number {
  const padding = optNumber(opts, 'padding', Padding.SAME, opType);
  if (padding !== Padding.SAME && padding !== Padding.VALID) {
    throw new ModelValidationError(`${opType}: padding ${padding} is neither SAME (0) nor VALID (1)`);
  }
  return padding;
}

/** An integer option (schema default `dflt`); non-integers are malformed files. */
export function parseInt32Option(opts: BuiltinOptions | null, key: string, dflt: number, opType: string): number {
  const v = optNumber(opts, key, dflt, opType);
  if (!Number.isInteger(v)) throw new ModelValidationError(`${opType}: option ${key} must be an integer, got ${v}`);
  return v;
}

/** Only clamping activations can be fused into these kernels (TFLite would silently skip TANH/SIGN_BIT on floats). */
export function requireClampActivation(ctx: Ctx, act: number): void {
  if (act === Activation.TANH || act === Activation.SIGN_BIT) {
    fail(ctx, `fused activation ${act === Activation.TANH ? 'TANH' : 'SIGN_BIT'} is not supported; only NONE, RELU, RELU_N1_TO_1 and RELU6`);
  }
}

export function requirePositive(ctx: Ctx, value: number, what: string): void {
  if (!(value >= 1)) fail(ctx, `${what} must be >= 1, got ${value}`);
}

/** Padding geometry of one spatial axis, refusing windows that do not fit (an empty output). */
export function spatialAxis(
  ctx: Ctx, padding: number, inSize: number, filter: number, stride: number, dilation: number, axis: string,
): PadGeometry {
  const g = padGeometry(padding, inSize, filter, stride, dilation);
  if (g.out <= 0) {
    fail(ctx, `${axis}: a filter of ${filter} (dilation ${dilation}) does not fit an input of ${inSize} with VALID padding`);
  }
  return g;
}

/** Scales must be finite and positive for the multipliers to mean anything. */
function requireScale(ctx: Ctx, scale: number, role: string): void {
  if (!(scale > 0) || !Number.isFinite(scale)) fail(ctx, `${role} has quantization scale ${scale}; expected a positive number`);
}

/**
 * int8 requantisation for a conv-like op: one (multiplier, shift) per output channel from
 * input_scale · filter_scale[c] / output_scale (a single filter scale is broadcast), the output zero point,
 * and the fused activation's clamp range. Filter zero points must be 0 (symmetric weights), as TFLite requires.
 */
export function int8ConvRequant(
  ctx: Ctx, input: TensorSpec, filter: TensorSpec, output: TensorSpec, channels: number, quantizedDimension: number,
  activation: number,
): Int8Requant {
  const inQ = perTensorQuant(ctx, input, 'input');
  const outQ = perTensorQuant(ctx, output, 'output');
  requireScale(ctx, inQ.scale, `input '${input.name}'`);
  requireScale(ctx, outQ.scale, `output '${output.name}'`);
  const filterScales = int8FilterScales(ctx, filter, channels, quantizedDimension, true);
  const multipliers = new Int32Array(channels);
  const shifts = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = quantizeMultiplier((inQ.scale * filterScales[c]!) / outQ.scale);
    multipliers[c] = m.multiplier;
    shifts[c] = m.shift;
  }
  const [actMin, actMax] = quantizedActivationRange(activation, outQ.scale, outQ.zeroPoint);
  return { inputZeroPoint: inQ.zeroPoint, outputZeroPoint: outQ.zeroPoint, multipliers, shifts, actMin, actMax };
}

/**
 * The filter's scales, one per output channel: per-channel along `quantizedDimension`, or a per-tensor scale
 * repeated. With `symmetric`, every zero point must be 0.
 */
export function int8FilterScales(
  ctx: Ctx, filter: TensorSpec, channels: number, quantizedDimension: number, symmetric: boolean,
): number[] {
  const q = filter.quantization;
  if (!q || q.scale.length === 0) fail(ctx, `filter '${filter.name}' (int8) needs quantization parameters`);
  if (q.scale.length !== 1 && q.scale.length !== channels) {
    fail(ctx, `filter '${filter.name}' has ${q.scale.length} scales; expected 1 or one per output channel (${channels})`);
  }
  if (q.scale.length > 1 && q.quantizedDimension !== quantizedDimension) {
    fail(ctx, `filter '${filter.name}' is quantized along dimension ${q.quantizedDimension}; expected ${quantizedDimension}`);
  }
  if (symmetric && q.zeroPoint.some((z) => z !== 0)) {
    fail(ctx, `filter '${filter.name}' must be symmetrically quantized (all zero points 0)`);
  }
  const scales: number[] = [];
  for (let c = 0; c < channels; c++) {
    const s = q.scale.length === 1 ? q.scale[0]! : q.scale[c]!;
    requireScale(ctx, s, `filter '${filter.name}' channel ${c}`);
    scales.push(s);
  }
  return scales;
}

/** Checks the optional bias: dtype (float32 for float ops, int32 for int8 ones) and one value per output channel. */
export function checkBias(ctx: Ctx, bias: TensorSpec | null, quantized: boolean, channels: number): void {
  if (!bias) return;
  requireDType(ctx, bias, [quantized ? 'int32' : 'float32'], 'bias');
  if (shapeSize(bias.shape) !== channels) {
    fail(ctx, `bias '${bias.name}' has ${shapeSize(bias.shape)} values; expected ${channels} (one per output channel)`);
  }
}

/** Optional input at `i`: absent when the operator lists fewer inputs or the index is -1. */
export function optionalInput(ctx: Ctx, i: number): TensorSpec | null {
  return ctx.inputs.length > i ? ctx.inputs[i] ?? null : null;
}

/** Input/filter/output dtypes of a float or int8 conv-like op; refuses hybrid and other mixes. */
export function convDTypes(ctx: Ctx, input: TensorSpec, filter: TensorSpec, output: TensorSpec): 'float32' | 'int8' {
  requireDType(ctx, input, ['float32', 'int8'], 'input');
  const dt = input.dtype as 'float32' | 'int8';
  if (filter.dtype !== dt) {
    fail(ctx, `filter '${filter.name}' has dtype ${filter.dtype} but the input is ${dt}` +
      (dt === 'float32' ? ' (hybrid / dequantized-weight kernels are not supported)' : ''));
  }
  if (output.dtype !== dt) fail(ctx, `output '${output.name}' has dtype ${output.dtype}; expected ${dt} (same as the input)`);
  return dt;
}

/** The options CONV_2D and DEPTHWISE_CONV_2D share. */
export interface Conv2DOptions {
  padding: number;
  strideW: number;
  strideH: number;
  dilationW: number;
  dilationH: number;
  activation: number;
}

/** Conv2DOptions / DepthwiseConv2DOptions fields common to both ops, schema defaults filled in. */
export function parseSpatialConvOptions(o: BuiltinOptions | null, opType: string): Conv2DOptions {
  return {
    padding: parsePadding(o, opType),
    strideW: parseInt32Option(o, 'strideW', 0, opType),
    strideH: parseInt32Option(o, 'strideH', 0, opType),
    dilationW: parseInt32Option(o, 'dilationWFactor', 1, opType),
    dilationH: parseInt32Option(o, 'dilationHFactor', 1, opType),
    activation: parseActivation(o, opType),
  };
}

/**
 * The prepare checks CONV_2D and DEPTHWISE_CONV_2D share: input/output counts, dtypes, 4-D input and filter,
 * strides and dilations ≥ 1, a clamp activation. Returns the operands.
 */
export function prepareConvOperands(ctx: PrepareContext<Conv2DOptions>): {
  input: TensorSpec; filter: TensorSpec; bias: TensorSpec | null; output: TensorSpec; dt: 'float32' | 'int8';
} {
  const opts = ctx.options;
  requireInputCount(ctx, 2, 3);
  requireOutputCount(ctx, 1);
  const input = requireInput(ctx, 0);
  const filter = requireInput(ctx, 1);
  const bias = optionalInput(ctx, 2);
  const output = ctx.outputs[0]!;
  const dt = convDTypes(ctx, input, filter, output);
  requireRank(ctx, input, 4, 'input');
  requireRank(ctx, filter, 4, 'filter');
  requirePositive(ctx, opts.strideW, 'strideW');
  requirePositive(ctx, opts.strideH, 'strideH');
  requirePositive(ctx, opts.dilationW, 'dilationWFactor');
  requirePositive(ctx, opts.dilationH, 'dilationHFactor');
  requireClampActivation(ctx, opts.activation);
  return { input, filter, bias, output, dt };
}

type Conv2DState =
  | { kind: 'float32'; geometry: Conv2DGeometry; hasBias: boolean; actMin: number; actMax: number }
  | { kind: 'int8'; geometry: Conv2DGeometry; hasBias: boolean; requant: Int8Requant };

export const conv2d = defineOp<Conv2DOptions, Conv2DState>({
  type: 'CONV_2D',
  parse(op) {
    return parseSpatialConvOptions(op.builtinOptions, 'CONV_2D');
  },
  prepare(ctx) {
    const opts = ctx.options;
    const { input, filter, bias, output, dt } = prepareConvOperands(ctx);
    const [batch, inH, inW, inC] = input.shape as [number, number, number, number];
    const [outC, filterH, filterW, filterC] = filter.shape as [number, number, number, number];
    if (!(outC >= 1 && filterH >= 1 && filterW >= 1 && filterC >= 1)) {
      fail(ctx, `filter '${filter.name}' has an empty dimension: [${filter.shape.join(', ')}]`);
    }
    if (inC % filterC !== 0) {
      fail(ctx, `input has ${inC} channels, not a multiple of the filter's ${filterC} input channels`);
    }
    const groups = inC / filterC;
    if (outC % groups !== 0) fail(ctx, `${outC} output channels cannot be split into ${groups} groups`);
    checkBias(ctx, bias, dt === 'int8', outC);
    const h = spatialAxis(ctx, opts.padding, inH, filterH, opts.strideH, opts.dilationH, 'height');
    const w = spatialAxis(ctx, opts.padding, inW, filterW, opts.strideW, opts.dilationW, 'width');
    output.shape = [batch, h.out, w.out, outC];
    const geometry: Conv2DGeometry = {
      batch, inH, inW, inC, outH: h.out, outW: w.out, outC, filterH, filterW, filterC,
      strideH: opts.strideH, strideW: opts.strideW, dilationH: opts.dilationH, dilationW: opts.dilationW,
      padTop: h.before, padLeft: w.before,
    };
    if (dt === 'float32') {
      const [actMin, actMax] = activationRange(opts.activation);
      return { kind: 'float32', geometry, hasBias: bias !== null, actMin, actMax };
    }
    const requant = int8ConvRequant(ctx, input, filter, output, outC, 0, opts.activation);
    return { kind: 'int8', geometry, hasBias: bias !== null, requant };
  },
  eval(state, inputs, outputs) {
    const input = inputs[0]!.data;
    const filter = inputs[1]!.data;
    const bias = state.hasBias ? inputs[2]!.data : null;
    const output = outputs[0]!.data;
    if (state.kind === 'float32') {
      conv2dFloat(state.geometry, input as Float32Array, filter as Float32Array, bias as Float32Array | null,
        output as Float32Array, state.actMin, state.actMax);
    } else {
      conv2dInt8(state.geometry, input as Int8Array, filter as Int8Array, bias as Int32Array | null,
        output as Int8Array, state.requant);
    }
  },
});
