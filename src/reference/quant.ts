/**
 * TFLite's fixed-point requantisation, bit-exact with tensorflow/lite/kernels/internal/common.h and
 * quantization_util.cc (the gemmlowp-style paths TFLite uses for int8 on every platform).
 * Integer arithmetic beyond 2^53 is done with BigInt where JS numbers would lose bits.
 */

export interface QuantizedMultiplier {
  /** Q31 fixed-point multiplier in [2^30, 2^31) (or 0). */
  multiplier: number;
  /** Power-of-two exponent: positive = left shift, negative = right shift. */
  shift: number;
}

/** QuantizeMultiplier: real → (Q31 multiplier, shift), as in quantization_util.cc (double frexp + round). */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q * 2^shift with q in [0.5, 1)
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  let q = real / 2 ** shift;
  // guard against log2 rounding at exact powers of two
  if (Math.abs(q) >= 1) { q /= 2; shift += 1; }
  if (Math.abs(q) < 0.5) { q *= 2; shift -= 1; }
  let qFixed = Math.round(q * 2 ** 31); // std::round: halves away from zero; q >= 0 here in practice
  if (q < 0) qFixed = -Math.round(-q * 2 ** 31);
  if (qFixed === 2 ** 31) { qFixed /= 2; shift += 1; }
  if (shift < -31) { shift = 0; qFixed = 0; }
  return { multiplier: qFixed, shift };
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int32. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === b && a === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // C++ integer division truncates toward zero; BigInt division does too.
  return Number((ab + nudge) / (1n << 31n));
}

/** gemmlowp RoundingDivideByPOT: rounding arithmetic right shift, halves away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = 2 ** exponent - 1;
  // x & mask for negative x in two's complement: use ((x % 2^e) + 2^e) % 2^e
  const remainder = ((x % (mask + 1)) + (mask + 1)) % (mask + 1);
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** exponent) + (remainder > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier (the TFLite reference, non-"double rounding" single-rounding off). */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  // x * 2^leftShift must stay in int32 in TFLite too (callers guarantee it); wrap like C++ would.
  const shifted = leftShift ? (x * 2 ** leftShift) | 0 : x;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), rightShift);
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
export function multiplyByQuantizedMultiplierSmallerThanOne(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/** MultiplyByQuantizedMultiplierGreaterThanOne (shift >= 0). */
export function multiplyByQuantizedMultiplierGreaterThanOne(x: number, multiplier: number, shift: number): number {
  return saturatingRoundingDoublingHighMul((x * 2 ** shift) | 0, multiplier);
}

export function clampInt(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** TfLiteRound / std::round: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Integer range of a fused activation on a quantized output (CalculateActivationRangeQuantized). */
export function quantizedActivationRange(
  act: number, scale: number, zeroPoint: number, qmin = -128, qmax = 127,
): [number, number] {
  // TFLite divides in float32 before rounding.
  const quantize = (v: number) => zeroPoint + roundHalfAway(Math.fround(v / Math.fround(scale)));
  switch (act) {
    case 1: return [Math.max(qmin, quantize(0)), qmax];
    case 3: return [Math.max(qmin, quantize(0)), Math.min(qmax, quantize(6))];
    case 2: return [Math.max(qmin, quantize(-1)), Math.min(qmax, quantize(1))];
    default: return [qmin, qmax];
  }
}

/**
 * SaturatingRoundingDoublingHighMul without BigInt, for inner loops: the 62-bit product is split
 * at bit 16 so every partial result stays an exact double. Same result as the BigInt version.
 */
export function saturatingRoundingDoublingHighMulFast(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const bLow = b & 0xffff;
  const bHigh = (b - bLow) / 65536;
  const nudge = a * b >= 0 ? 1073741824 : -1073741823;
  const low = a * bLow + nudge;
  const lowQuot = Math.floor(low / 65536);
  const lowRem = low - lowQuot * 65536;
  // (a*b + nudge) = s * 2^16 + lowRem with 0 <= lowRem < 2^16, s exact below 2^48
  const s = a * bHigh + lowQuot;
  const floorQ = Math.floor(s / 32768);
  if (s >= 0) return floorQ;
  // negative: C++ division truncates toward zero, i.e. rounds the floor up unless exact
  return lowRem === 0 && s - floorQ * 32768 === 0 ? floorQ : floorQ + 1;
}

/** roundingDivideByPOT for int32 x with 32-bit bit operations where the exponent allows. */
export function roundingDivideByPOTFast(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent > 30) return roundingDivideByPOT(x, exponent);
  const mask = (1 << exponent) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + ((x & mask) > threshold ? 1 : 0);
}

/** multiplyByQuantizedMultiplier without BigInt (bit-identical), for kernels' inner loops. */
export function multiplyByQuantizedMultiplierFast(x: number, multiplier: number, shift: number): number {
  if (shift > 0) return roundingDivideByPOTFast(saturatingRoundingDoublingHighMulFast((x * 2 ** shift) | 0, multiplier), 0);
  return roundingDivideByPOTFast(saturatingRoundingDoublingHighMulFast(x, multiplier), -shift);
}

/**
 * The requantisation TFLite's *optimized* int8 GEMM paths compute (CONV_2D and FULLY_CONNECTED through ruy or the
 * custom GEMV): SQRDMULH — the doubling high multiply, rounding half up at bit 31, saturating only for
 * (−2^31)·(−2^31) — then a rounding right shift with ties towards +∞ (NEON's SRSHL). ARM builds do this natively;
 * the x86 TF 2.16 build does the same (ruy's AVX kernels, NEON_2_SSE). It differs from the reference
 * `multiplyByQuantizedMultiplier` (ties away from zero in both steps) on some values just next to a .5 tie, which
 * the real LCE interpreter shows. BigInt version: the definition.
 */
export function multiplyByQuantizedMultiplierRoundUp(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  const a = leftShift ? (x * 2 ** leftShift) | 0 : x;
  const high = a === -2147483648 && multiplier === -2147483648
    ? 2147483647
    : Number((BigInt(a) * BigInt(multiplier) + (1n << 30n)) >> 31n); // BigInt >> floors
  return rightShift === 0 ? high : Math.floor((high + 2 ** (rightShift - 1)) / 2 ** rightShift);
}

/** multiplyByQuantizedMultiplierRoundUp without BigInt (bit-identical), for kernels' inner loops. */
export function multiplyByQuantizedMultiplierRoundUpFast(x: number, multiplier: number, shift: number): number {
  const a = shift > 0 ? (x * 2 ** shift) | 0 : x;
  const rightShift = shift > 0 ? 0 : -shift;
  let high: number;
  if (a === -2147483648 && multiplier === -2147483648) high = 2147483647;
  else {
    // floor((a·m + 2^30) / 2^31) with the 62-bit product split at bit 16 so every partial stays an exact double
    const mLow = multiplier & 0xffff;
    const mHigh = (multiplier - mLow) / 65536;
    const low = a * mLow + 1073741824;
    const s = a * mHigh + Math.floor(low / 65536);
    high = Math.floor(s / 32768);
  }
  return rightShift === 0 ? high : Math.floor((high + 2 ** (rightShift - 1)) / 2 ** rightShift);
}
