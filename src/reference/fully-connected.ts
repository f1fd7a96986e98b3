/**
 * Reference FULLY_CONNECTED: input viewed as [batches, inDepth], weights [outDepth, inDepth], optional bias
 * [outDepth]; output [batches, outDepth]. float32 and int8 (per-tensor or per-output-channel weights); int8 is
 * requantised like TFLite's optimized GEMM/GEMV path (see multiplyByQuantizedMultiplierRoundUp).
 */
import { multiplyByQuantizedMultiplierRoundUpFast } from './quant.js';

export interface FullyConnectedGeometry {
  batches: number;
  inDepth: number;
  outDepth: number;
}

export interface FullyConnectedInt8Requant {
  inputZeroPoint: number;
  /** TFLite subtracts it from every weight; 0 for symmetric weights. */
  weightsZeroPoint: number;
  outputZeroPoint: number;
  /** One per output unit (a per-tensor multiplier is broadcast). */
  multipliers: Int32Array;
  shifts: Int32Array;
  actMin: number;
  actMax: number;
}

export function fullyConnectedFloat(
  g: FullyConnectedGeometry, input: Float32Array, weights: Float32Array, bias: Float32Array | null,
  output: Float32Array, actMin: number, actMax: number,
): void {
  const { batches, inDepth, outDepth } = g;
  let o = 0;
  for (let b = 0; b < batches; b++) {
    const iBase = b * inDepth;
    for (let u = 0; u < outDepth; u++) {
      const wBase = u * inDepth;
      let acc = 0;
      for (let d = 0; d < inDepth; d++) acc += input[iBase + d]! * weights[wBase + d]!;
      if (bias) acc += bias[u]!;
      output[o++] = acc < actMin ? actMin : acc > actMax ? actMax : acc;
    }
  }
}

export function fullyConnectedInt8(
  g: FullyConnectedGeometry, input: Int8Array, weights: Int8Array, bias: Int32Array | null, output: Int8Array,
  q: FullyConnectedInt8Requant,
): void {
  const { batches, inDepth, outDepth } = g;
  const inputOffset = -q.inputZeroPoint;
  const weightsOffset = -q.weightsZeroPoint;
  let o = 0;
  for (let b = 0; b < batches; b++) {
    const iBase = b * inDepth;
    for (let u = 0; u < outDepth; u++) {
      const wBase = u * inDepth;
      let acc = 0;
      for (let d = 0; d < inDepth; d++) acc += (weights[wBase + d]! + weightsOffset) * (input[iBase + d]! + inputOffset);
      if (bias) acc += bias[u]!;
      let v = multiplyByQuantizedMultiplierRoundUpFast(acc | 0, q.multipliers[u]!, q.shifts[u]!) + q.outputZeroPoint;
      v = v < q.actMin ? q.actMin : v > q.actMax ? q.actMax : v;
      output[o++] = v;
    }
  }
}
