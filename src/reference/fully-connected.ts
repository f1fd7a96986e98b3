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
      const acc = batches === 1
        ? gemvDot(input, iBase, weights, wBase, inDepth, bias ? bias[u]! : 0)
        : gemmDot(input, iBase, weights, wBase, inDepth, bias ? bias[u]! : 0);
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

/**
 * One output of TFLite's float GEMM as LCE's x86 build runs it (ruy's AVX2 kernel): the accumulator starts at the
 * bias and takes one fused multiply-add per depth step. A product of two float32 values is exact in a double, so
 * rounding the double sum to float32 at each step is the fused multiply-add.
 */
export function gemmDot(a: ArrayLike<number>, aBase: number, b: ArrayLike<number>, bBase: number, depth: number, bias: number): number {
  let acc = Math.fround(bias);
  for (let d = 0; d < depth; d++) acc = Math.fround(acc + a[aBase + d]! * b[bBase + d]!);
  return acc;
}

/**
 * One output of TFLite's float matrix × vector (a single output row: FULLY_CONNECTED with batch 1, a convolution
 * with one output pixel) as LCE's x86 build runs it: four float32 lanes over depth (lane d mod 4, multiply then
 * add), the lanes reduced as (l0 + l1) + (l2 + l3), the depth tail added in order, then the bias.
 * Pinned against the real LCE interpreter (test/oracle.test.ts, zoo models).
 */
export function gemvDot(a: ArrayLike<number>, aBase: number, b: ArrayLike<number>, bBase: number, depth: number, bias: number): number {
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0;
  const body = depth - (depth % 4);
  for (let d = 0; d < body; d += 4) {
    l0 = Math.fround(l0 + Math.fround(a[aBase + d]! * b[bBase + d]!));
    l1 = Math.fround(l1 + Math.fround(a[aBase + d + 1]! * b[bBase + d + 1]!));
    l2 = Math.fround(l2 + Math.fround(a[aBase + d + 2]! * b[bBase + d + 2]!));
    l3 = Math.fround(l3 + Math.fround(a[aBase + d + 3]! * b[bBase + d + 3]!));
  }
  let acc = Math.fround(Math.fround(l0 + l1) + Math.fround(l2 + l3));
  for (let d = body; d < depth; d++) acc = Math.fround(acc + Math.fround(a[aBase + d]! * b[bBase + d]!));
  return Math.fround(acc + bias);
}
