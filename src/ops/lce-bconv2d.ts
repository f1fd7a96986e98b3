/**
 * LceBconv2d (lce-ops.md §3.3) with the reference kernel's contract: bitpacked NHWC input, bitpacked OHWI filter,
 * float32 / int8 output through the folded multiply-add, or bitpacked int32 output through thresholds.
 * Groups are inferred from the filter's last axis; SAME padding pads with +1 (pad_values 1) or 0 (pad_values 0).
 */
import { decodeFlexMap, flexInt } from '../format/flexbuffer.js';
import type { OperatorDef } from '../graph/model.js';
import { bitpackedSize } from '../reference/bitpack.js';
import {
  backTransformConstant, bconv2dBitpacked, bconv2dFloat, bconv2dGeometry, bconv2dInt8, foldOutputTransform,
  type Bconv2dGeometry, type BconvOutputTransform,
} from '../reference/bconv2d.js';
import {
  Activation, Padding, fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount, requireRank,
} from './common.js';
import { defineOp, type PrepareContext, type TensorSpec } from './kernel.js';

export interface LceBconv2dOptions {
  channelsIn: number;
  dilationHeightFactor: number;
  dilationWidthFactor: number;
  fusedActivationFunction: number;
  padValues: number;
  padding: number;
  strideHeight: number;
  strideWidth: number;
  /** Why the options are unusable (missing key, bad pad_values); reported by prepare, where the op index is known. */
  invalid: string | null;
}

const KEYS = [
  'channels_in', 'dilation_height_factor', 'dilation_width_factor', 'fused_activation_function', 'pad_values',
  'padding', 'stride_height', 'stride_width',
] as const;

export function parseLceBconv2dOptions(op: OperatorDef): LceBconv2dOptions {
  const bytes = op.customOptions;
  const map = bytes && bytes.byteLength > 0 ? decodeFlexMap(bytes, 'LceBconv2d') : {};
  const missing = KEYS.filter((k) => flexInt(map, k) === undefined);
  const get = (k: (typeof KEYS)[number]): number => flexInt(map, k) ?? 0;
  const padValues = get('pad_values');
  let invalid: string | null = null;
  if (missing.length > 0) invalid = `custom options lack required key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  else if (padValues !== 0 && padValues !== 1) invalid = `pad_values must be 0 or 1, got ${padValues}`;
  return {
    channelsIn: get('channels_in'),
    dilationHeightFactor: get('dilation_height_factor'),
    dilationWidthFactor: get('dilation_width_factor'),
    fusedActivationFunction: get('fused_activation_function'),
    padValues,
    padding: get('padding'),
    strideHeight: get('stride_height'),
    strideWidth: get('stride_width'),
    invalid,
  };
}

export interface LceBconv2dState {
  geometry: Bconv2dGeometry;
  outputKind: 'float32' | 'int8' | 'int32';
  /** Float/int8 output only. */
  transform: BconvOutputTransform | null;
  /** Multiplier/bias are not constants: fold them at eval (into the buffers allocated here). */
  foldAtEval: boolean;
  k: number;
  activation: number;
  outputScale: number;
  outputZeroPoint: number;
}

function requireVector(ctx: PrepareContext<LceBconv2dOptions>, index: number, role: string, dtype: 'float32' | 'int32', length: number): TensorSpec {
  const t = ctx.inputs[index];
  if (!t) fail(ctx, `${role} (input ${index}) is required for ${ctx.outputs[0]!.dtype} output but is absent`);
  requireDType(ctx, t, [dtype], role);
  requireRank(ctx, t, 1, role);
  if (t.shape[0] !== length) fail(ctx, `${role} '${t.name}' has length ${t.shape[0]}; expected C_out = ${length}`);
  return t;
}

export const lceBconv2d = defineOp<LceBconv2dOptions, LceBconv2dState>({
  type: 'LceBconv2d',
  parse: (op) => parseLceBconv2dOptions(op),
  prepare(ctx) {
    const opts = ctx.options;
    if (opts.invalid) fail(ctx, opts.invalid);
    requireInputCount(ctx, 5);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const filter = requireInput(ctx, 1);
    const output = ctx.outputs[0]!;
    requireRank(ctx, input, 4, 'input');
    requireRank(ctx, filter, 4, 'filter');
    requireDType(ctx, input, ['int32'], 'input');
    requireDType(ctx, filter, ['int32'], 'filter (bitpacked OHWI)');
    requireDType(ctx, output, ['float32', 'int8', 'int32'], 'output');

    // Beyond LCE's own checks: values that would make the loops meaningless rather than merely unusual.
    if (opts.padding !== Padding.SAME && opts.padding !== Padding.VALID) fail(ctx, `padding must be 0 (SAME) or 1 (VALID), got ${opts.padding}`);
    if (opts.strideHeight < 1 || opts.strideWidth < 1) fail(ctx, `strides must be ≥ 1, got ${opts.strideHeight}×${opts.strideWidth}`);
    if (opts.dilationHeightFactor < 1 || opts.dilationWidthFactor < 1) {
      fail(ctx, `dilation factors must be ≥ 1, got ${opts.dilationHeightFactor}×${opts.dilationWidthFactor}`);
    }
    if (opts.channelsIn < 1) fail(ctx, `channels_in must be ≥ 1, got ${opts.channelsIn}`);
    const [cOut, fh, fw, wg] = filter.shape as [number, number, number, number];
    if (!(cOut >= 1 && fh >= 1 && fw >= 1 && wg >= 1)) fail(ctx, `filter '${filter.name}' has an empty shape [${filter.shape.join(', ')}]`);

    // Groups are inferred: the filter holds ceil(Cg/32) words per tap.
    const packedIn = bitpackedSize(opts.channelsIn);
    let groups = 1;
    if (wg !== packedIn) {
      if (packedIn % wg !== 0) {
        fail(ctx, `filter '${filter.name}' has ${wg} words per tap, which does not divide ceil(channels_in/32) = ${packedIn}`);
      }
      groups = packedIn / wg;
      const perGroup = Math.trunc(opts.channelsIn / groups);
      if (perGroup % 32 !== 0) fail(ctx, `grouped convolution (${groups} groups) needs channels_in/groups to be a multiple of 32, got ${perGroup}`);
      if (cOut % groups !== 0) fail(ctx, `grouped convolution: C_out = ${cOut} is not divisible by ${groups} groups`);
    }
    // LCE's reference kernel asserts this only in debug builds; a mismatch would read the wrong words.
    if (input.shape[3] !== packedIn) {
      fail(ctx, `input '${input.name}' has ${input.shape[3]} packed channel words; channels_in = ${opts.channelsIn} needs ${packedIn}`);
    }
    // Same-zero with an odd channels_in: LCE's reference kernel refuses it, its default optimized kernels accept it
    // for float output with no clamping activation (exact zero padding via a correction term), so we do the same.
    const act = opts.fusedActivationFunction;
    const clamps = act === Activation.RELU || act === Activation.RELU_N1_TO_1 || act === Activation.RELU6;
    if (opts.padding === Padding.SAME && opts.padValues === 0 && opts.channelsIn % 2 !== 0 && (output.dtype !== 'float32' || clamps)) {
      fail(ctx, `SAME padding with pad_values 0 and an odd channels_in (${opts.channelsIn}) is only supported with float32 output and no fused activation`);
    }

    const geometry = bconv2dGeometry({
      inputShape: input.shape, filterShape: filter.shape, channelsIn: opts.channelsIn, groups,
      strideHeight: opts.strideHeight, strideWidth: opts.strideWidth,
      dilationHeight: opts.dilationHeightFactor, dilationWidth: opts.dilationWidthFactor,
      padding: opts.padding, padValues: opts.padValues,
    });
    const k = backTransformConstant(geometry);
    const outputKind = output.dtype as LceBconv2dState['outputKind'];
    let transform: BconvOutputTransform | null = null;
    let foldAtEval = false;
    let outputScale = 1;
    let outputZeroPoint = 0;
    if (outputKind === 'int32') {
      requireVector(ctx, 4, 'output_threshold', 'int32', cOut);
    } else {
      const multiplier = requireVector(ctx, 2, 'post_activation_multiplier', 'float32', cOut);
      const bias = requireVector(ctx, 3, 'post_activation_bias', 'float32', cOut);
      if (outputKind === 'int8') {
        const q = perTensorQuant(ctx, output, 'output');
        if (!(q.scale > 0) || !Number.isFinite(q.scale)) fail(ctx, `output '${output.name}' has invalid scale ${q.scale}`);
        outputScale = q.scale;
        outputZeroPoint = q.zeroPoint;
      }
      transform = { clampMin: 0, clampMax: 0, multiplier: new Float32Array(cOut), bias: new Float32Array(cOut) };
      if (multiplier.constant && bias.constant) {
        foldOutputTransform(k, opts.fusedActivationFunction, multiplier.constant as Float32Array, bias.constant as Float32Array,
          cOut, outputScale, outputZeroPoint, transform);
      } else {
        foldAtEval = true;
      }
    }
    output.shape = [geometry.batch, geometry.outHeight, geometry.outWidth, outputKind === 'int32' ? bitpackedSize(cOut) : cOut];
    return { geometry, outputKind, transform, foldAtEval, k, activation: opts.fusedActivationFunction, outputScale, outputZeroPoint };
  },
  eval(state, inputs, outputs) {
    const g = state.geometry;
    const input = inputs[0]!.data as Int32Array;
    const filter = inputs[1]!.data as Int32Array;
    const out = outputs[0]!.data;
    if (state.outputKind === 'int32') {
      bconv2dBitpacked(g, input, filter, inputs[4]!.data as Int32Array, out as Int32Array);
      return;
    }
    const t = state.transform!;
    if (state.foldAtEval) {
      foldOutputTransform(state.k, state.activation, inputs[2]!.data as Float32Array, inputs[3]!.data as Float32Array,
        g.channelsOut, state.outputScale, state.outputZeroPoint, t);
    }
    if (state.outputKind === 'float32') bconv2dFloat(g, input, filter, t, out as Float32Array);
    else bconv2dInt8(g, input, filter, t, out as Int8Array);
  },
});
