/**
 * FULLY_CONNECTED (TFLite builtin 9): weights [units, depth]; the input is viewed as [-1, depth]; optional bias.
 * Output [batches, units], or with keepNumDims the input's shape with its last dimension replaced by units.
 * float32, and int8 with per-tensor weights (any zero point) or per-unit symmetric weights, int32 bias.
 */
import { ModelValidationError } from '../errors.js';
import { shapeSize } from '../graph/dtype.js';
import type { FullyConnectedGeometry, FullyConnectedInt8Requant } from '../reference/fully-connected.js';
import { fullyConnectedFloat, fullyConnectedInt8 } from '../reference/fully-connected.js';
import { quantizeMultiplier, quantizedActivationRange } from '../reference/quant.js';
import { optBool } from './builtin-util.js';
import { activationRange, fail, perTensorQuant, requireInput, requireInputCount, requireOutputCount } from './common.js';
import {
  checkBias, convDTypes, int8FilterScales, optionalInput, parseActivation, parseInt32Option, requireClampActivation,
} from './conv2d.js';
import { defineOp } from './kernel.js';

export interface FullyConnectedOptions {
  activation: number;
  keepNumDims: boolean;
  /** Hybrid-only (float input, int8 weights), which this kernel refuses; kept for completeness. */
  asymmetricQuantizeInputs: boolean;
}

type FullyConnectedState =
  | { kind: 'float32'; geometry: FullyConnectedGeometry; hasBias: boolean; actMin: number; actMax: number }
  | { kind: 'int8'; geometry: FullyConnectedGeometry; hasBias: boolean; requant: FullyConnectedInt8Requant };

export const fullyConnected = defineOp<FullyConnectedOptions, FullyConnectedState>({
  type: 'FULLY_CONNECTED',
  parse(op) {
    const o = op.builtinOptions;
    const t = 'FULLY_CONNECTED';
    const weightsFormat = parseInt32Option(o, 'weightsFormat', 0, t);
    if (weightsFormat !== 0) {
      // SHUFFLED4x16INT8 is a uint8-input/int16-output format of TFLite's legacy path
      throw new ModelValidationError(`${t}: weightsFormat ${weightsFormat} (shuffled) is not supported; only DEFAULT (0)`);
    }
    return {
      activation: parseActivation(o, t),
      keepNumDims: optBool(o, 'keepNumDims', false, t),
      asymmetricQuantizeInputs: optBool(o, 'asymmetricQuantizeInputs', false, t),
    };
  },
  prepare(ctx) {
    const opts = ctx.options;
    requireInputCount(ctx, 2, 3);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const weights = requireInput(ctx, 1);
    const bias = optionalInput(ctx, 2);
    const output = ctx.outputs[0]!;
    const dt = convDTypes(ctx, input, weights, output);
    requireClampActivation(ctx, opts.activation);
    if (weights.shape.length !== 2) fail(ctx, `weights '${weights.name}' must be 2-D [units, depth], got [${weights.shape.join(', ')}]`);
    const [units, depth] = weights.shape as [number, number];
    if (!(units >= 1 && depth >= 1)) fail(ctx, `weights '${weights.name}' has an empty dimension: [${weights.shape.join(', ')}]`);
    if (input.shape.length < 1) fail(ctx, `input '${input.name}' must have at least one dimension`);
    const inputSize = shapeSize(input.shape);
    if (inputSize % depth !== 0) {
      fail(ctx, `input '${input.name}' [${input.shape.join(', ')}] has ${inputSize} values, not a multiple of the weights' depth ${depth}`);
    }
    const batches = inputSize / depth;
    checkBias(ctx, bias, dt === 'int8', units);
    if (opts.keepNumDims) {
      const last = input.shape[input.shape.length - 1]!;
      if (last !== depth) fail(ctx, `keepNumDims needs the input's last dimension (${last}) to equal the weights' depth ${depth}`);
      output.shape = [...input.shape.slice(0, -1), units];
    } else {
      output.shape = [batches, units];
    }
    const geometry: FullyConnectedGeometry = { batches, inDepth: depth, outDepth: units };
    if (dt === 'float32') {
      const [actMin, actMax] = activationRange(opts.activation);
      return { kind: 'float32', geometry, hasBias: bias !== null, actMin, actMax };
    }
    const inQ = perTensorQuant(ctx, input, 'input');
    const outQ = perTensorQuant(ctx, output, 'output');
    if (!(inQ.scale > 0) || !(outQ.scale > 0)) fail(ctx, 'input and output quantization scales must be positive');
    const perChannel = (weights.quantization?.scale.length ?? 0) > 1;
    // Per-unit weights must be symmetric; per-tensor int8 weights may carry a zero point (TFLite subtracts it).
    const scales = int8FilterScales(ctx, weights, units, 0, perChannel);
    const weightsZeroPoint = perChannel ? 0 : weights.quantization!.zeroPoint[0] ?? 0;
    if (bias && !perChannel) {
      // TFLite's GetQuantizedConvolutionMultipler insists the bias is quantized with input_scale · weights_scale
      const biasScale = bias.quantization?.scale[0];
      const product = inQ.scale * scales[0]!;
      if (biasScale !== undefined && !(Math.abs(product - biasScale) <= 1e-6 * Math.min(product, biasScale))) {
        fail(ctx, `bias '${bias.name}' scale ${biasScale} differs from input scale · weights scale = ${product}`);
      }
    }
    const multipliers = new Int32Array(units);
    const shifts = new Int32Array(units);
    for (let u = 0; u < units; u++) {
      const m = quantizeMultiplier((inQ.scale * scales[u]!) / outQ.scale);
      multipliers[u] = m.multiplier;
      shifts[u] = m.shift;
    }
    const [actMin, actMax] = quantizedActivationRange(opts.activation, outQ.scale, outQ.zeroPoint);
    return {
      kind: 'int8', geometry, hasBias: bias !== null,
      requant: {
        inputZeroPoint: inQ.zeroPoint, weightsZeroPoint, outputZeroPoint: outQ.zeroPoint, multipliers, shifts, actMin, actMax,
      },
    };
  },
  eval(state, inputs, outputs) {
    const input = inputs[0]!.data;
    const weights = inputs[1]!.data;
    const bias = state.hasBias ? inputs[2]!.data : null;
    const output = outputs[0]!.data;
    if (state.kind === 'float32') {
      fullyConnectedFloat(state.geometry, input as Float32Array, weights as Float32Array, bias as Float32Array | null,
        output as Float32Array, state.actMin, state.actMax);
    } else {
      fullyConnectedInt8(state.geometry, input as Int8Array, weights as Int8Array, bias as Int32Array | null,
        output as Int8Array, state.requant);
    }
  },
});
