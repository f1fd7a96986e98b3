/**
 * Int8 activation arithmetic as TFLite does it: 256-entry lookup tables built in float32 (LOGISTIC, TANH),
 * the int16 fixed-point HARD_SWISH, and the int16 gemmlowp primitives it needs.
 */
import { quantizeMultiplier, roundingDivideByPOT } from './quant.js';

const f32 = Math.fround;

function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * A table indexed by the input byte (value & 0xff) giving the output int8 value, built like TFLite's
 * PopulateLookupTable / LUTPopulate: dequantize in float32, transform, round(half away) on the output scale.
 */
export function int8LookupTable(
  inScale: number, inZeroPoint: number, outScale: number, outZeroPoint: number, transform: (x: number) => number,
): Int8Array {
  const table = new Int8Array(256);
  const inverseScale = f32(1 / outScale);
  for (let v = -128; v <= 127; v++) {
    const dequantized = f32(inScale * (v - inZeroPoint));
    const transformed = f32(transform(dequantized));
    const rescaled = roundAway(f32(transformed * inverseScale));
    const q = Math.trunc(f32(rescaled + outZeroPoint));
    table[v & 0xff] = Math.max(-128, Math.min(127, q));
  }
  return table;
}

/** 1 / (1 + e^-x) in float32 steps. */
export function logisticF32(x: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-x))));
}

export function tanhF32(x: number): number {
  return f32(Math.tanh(x));
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int16. */
export function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return Math.trunc((ab + nudge) / 32768);
}

/** The non-rounding variant TFLite's hard-swish uses to cancel the bias of the rounding one (truncates). */
export function sdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return Math.trunc((a * b) / 32768);
}

/** gemmlowp ShiftLeft on int16: saturating. */
export function shiftLeft16(a: number, offset: number): number {
  const w = a * 2 ** offset;
  return w < -32768 ? -32768 : w > 32767 ? 32767 : w;
}

function downscaleToInt16(m: number): number {
  if (m >= 2147483647 - 32768) return 32767;
  return (m + 32768) >> 16;
}

export interface HardSwishParams {
  inZeroPoint: number;
  outZeroPoint: number;
  outMultiplier16: number;
  outExponent: number;
  reluishMultiplier16: number;
  reluishExponent: number;
}

/** TFLite's HardSwishPrepare for 8-bit tensors. Returns null when the output multiplier needs a left shift. */
export function hardSwishParams(inScale: number, inZp: number, outScale: number, outZp: number): HardSwishParams | null {
  const hiresInputScale = f32(f32(1 / 128) * inScale);
  const reluishScale = f32(3 / 32768);
  const out = quantizeMultiplier(f32(hiresInputScale / outScale));
  const reluish = quantizeMultiplier(f32(hiresInputScale / reluishScale));
  if (out.shift > 0) return null;
  return {
    inZeroPoint: inZp,
    outZeroPoint: outZp,
    outMultiplier16: downscaleToInt16(out.multiplier),
    outExponent: out.shift,
    reluishMultiplier16: downscaleToInt16(reluish.multiplier),
    reluishExponent: reluish.shift,
  };
}

/** One int8/uint8 element of TFLite's reference HardSwish, clamped to [qmin, qmax]. */
export function hardSwishQuantized(p: HardSwishParams, q: number, qmin: number, qmax: number): number {
  const inputValue = q - p.inZeroPoint;
  const hires = inputValue * 128;
  const preshiftOut = srdhm16(hires, p.outMultiplier16);
  let reluish = hires;
  if (p.reluishExponent > 0) reluish = shiftLeft16(reluish, p.reluishExponent - 1);
  reluish = srdhm16(reluish, p.reluishMultiplier16);
  if (p.reluishExponent > 0) reluish = shiftLeft16(reluish, 1);
  if (p.reluishExponent < 0) reluish = roundingDivideByPOT(reluish, -p.reluishExponent);
  // [-1, 1] on the 2^15 scale → [0, 1]
  reluish = (reluish + 32768) >> 1;
  const preshift = sdhm16(reluish, preshiftOut);
  let v = roundingDivideByPOT(preshift, -p.outExponent) + p.outZeroPoint;
  v = Math.max(-32768, Math.min(32767, v));
  return v < qmin ? qmin : v > qmax ? qmax : v;
}
