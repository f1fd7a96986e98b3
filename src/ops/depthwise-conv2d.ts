/**
 * DEPTHWISE_CONV_2D (TFLite builtin 4): float32, and int8 with per-channel symmetric weights (quantized along
 * dimension 3) and int32 bias. Filter [1, H, W, C·M]. The depth multiplier comes from the shapes
 * (filter channels / input channels); the redundant `depthMultiplier` option is ignored, as TFLite has done
 * since TF 2.0 (the schema says so).
 */
import type { Int8Requant } from '../reference/conv2d.js';
import type { DepthwiseConv2DGeometry } from '../reference/depthwise-conv2d.js';
import { depthwiseConv2dFloat, depthwiseConv2dInt8 } from '../reference/depthwise-conv2d.js';
import { activationRange, fail } from './common.js';
import {
  checkBias, int8ConvRequant, parseInt32Option, parseSpatialConvOptions, prepareConvOperands, spatialAxis,
  type Conv2DOptions,
} from './conv2d.js';
import { defineOp } from './kernel.js';

export interface DepthwiseConv2DOptions extends Conv2DOptions {
  /** As written in the file (0 when absent); the shapes decide the real multiplier. */
  depthMultiplier: number;
}

type DepthwiseState =
  | { kind: 'float32'; geometry: DepthwiseConv2DGeometry; hasBias: boolean; actMin: number; actMax: number }
  | { kind: 'int8'; geometry: DepthwiseConv2DGeometry; hasBias: boolean; requant: Int8Requant };

export const depthwiseConv2d = defineOp<DepthwiseConv2DOptions, DepthwiseState>({
  type: 'DEPTHWISE_CONV_2D',
  parse(op) {
    const t = 'DEPTHWISE_CONV_2D';
    return {
      ...parseSpatialConvOptions(op.builtinOptions, t),
      depthMultiplier: parseInt32Option(op.builtinOptions, 'depthMultiplier', 0, t),
    };
  },
  prepare(ctx) {
    const opts = ctx.options;
    const { input, filter, bias, output, dt } = prepareConvOperands(ctx);
    const [batch, inH, inW, inC] = input.shape as [number, number, number, number];
    const [one, filterH, filterW, outC] = filter.shape as [number, number, number, number];
    if (one !== 1) fail(ctx, `filter '${filter.name}' must have shape [1, H, W, C·M], got [${filter.shape.join(', ')}]`);
    if (!(filterH >= 1 && filterW >= 1 && outC >= 1 && inC >= 1)) {
      fail(ctx, `empty input or filter: input [${input.shape.join(', ')}], filter [${filter.shape.join(', ')}]`);
    }
    if (outC % inC !== 0) fail(ctx, `filter has ${outC} channels, not a multiple of the input's ${inC}`);
    const depthMultiplier = outC / inC;
    checkBias(ctx, bias, dt === 'int8', outC);
    const h = spatialAxis(ctx, opts.padding, inH, filterH, opts.strideH, opts.dilationH, 'height');
    const w = spatialAxis(ctx, opts.padding, inW, filterW, opts.strideW, opts.dilationW, 'width');
    output.shape = [batch, h.out, w.out, outC];
    const geometry: DepthwiseConv2DGeometry = {
      batch, inH, inW, inC, outH: h.out, outW: w.out, depthMultiplier, filterH, filterW,
      strideH: opts.strideH, strideW: opts.strideW, dilationH: opts.dilationH, dilationW: opts.dilationW,
      padTop: h.before, padLeft: w.before,
    };
    if (dt === 'float32') {
      const [actMin, actMax] = activationRange(opts.activation);
      return { kind: 'float32', geometry, hasBias: bias !== null, actMin, actMax };
    }
    const requant = int8ConvRequant(ctx, input, filter, output, outC, 3, opts.activation);
    return { kind: 'int8', geometry, hasBias: bias !== null, requant };
  },
  eval(state, inputs, outputs) {
    const input = inputs[0]!.data;
    const filter = inputs[1]!.data;
    const bias = state.hasBias ? inputs[2]!.data : null;
    const output = outputs[0]!.data;
    if (state.kind === 'float32') {
      depthwiseConv2dFloat(state.geometry, input as Float32Array, filter as Float32Array, bias as Float32Array | null,
        output as Float32Array, state.actMin, state.actMax);
    } else {
      depthwiseConv2dInt8(state.geometry, input as Int8Array, filter as Int8Array, bias as Int32Array | null,
        output as Int8Array, state.requant);
    }
  },
});
