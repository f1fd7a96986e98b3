/**
 * Bitpacking as LCE defines it (lce-ops.md §1.2–1.3): values are packed along the last axis into int32 words,
 * channel c of a row in word floor(c/32) at bit c mod 32 (bit 0 = LSB); bit 0 means +1, bit 1 means −1;
 * every row starts on a fresh word and the unused high bits of a row's last word are always 0.
 */
import { roundHalfAway } from './quant.js';

export const BITPACK_BITS = 32;

/** Words needed for `channels` binary values: ceil(channels / 32). */
export function bitpackedSize(channels: number): number {
  return Math.ceil(channels / BITPACK_BITS);
}

/** Number of set bits of a 32-bit word (any JS number; only its low 32 bits count). */
export function popcount32(word: number): number {
  let x = word | 0;
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Pack `rows` rows of `channels` values: bit = (value < threshold). This single rule covers every input type:
 * float32 uses threshold 0 (so +0, −0 and NaN give +1, the portable C++ rule), int8 its zero point, and bool
 * (bytes) the threshold 1, so `false` (0) becomes −1 and any non-zero byte +1.
 */
export function packRows(
  src: ArrayLike<number>, rows: number, channels: number, threshold: number, dst: Int32Array,
): void {
  const words = bitpackedSize(channels);
  for (let r = 0; r < rows; r++) {
    const srcRow = r * channels;
    const dstRow = r * words;
    for (let w = 0; w < words; w++) {
      const first = w * BITPACK_BITS;
      const count = Math.min(BITPACK_BITS, channels - first);
      let word = 0;
      for (let b = 0; b < count; b++) {
        if (src[srcRow + first + b]! < threshold) word |= 1 << b;
      }
      dst[dstRow + w] = word;
    }
  }
}

/** Float32 → bits: bit = (x < 0). */
export function packFloat32(src: Float32Array, rows: number, channels: number, dst: Int32Array): void {
  packRows(src, rows, channels, 0, dst);
}

/**
 * Int8 → bits: bit = (q < zeroPoint), i.e. "real value < 0"; the scale plays no part. A zero point ≤ −128 gives
 * all +1, one > 127 all −1 (padding bits still 0); the plain comparison already does both.
 */
export function packInt8(src: Int8Array, rows: number, channels: number, zeroPoint: number, dst: Int32Array): void {
  packRows(src, rows, channels, zeroPoint, dst);
}

/** Bool (one byte each) → bits: false → 1 (−1), any non-zero byte → 0 (+1). */
export function packBool(src: Uint8Array, rows: number, channels: number, dst: Int32Array): void {
  packRows(src, rows, channels, 1, dst);
}

/** Unpack to two values: `zeroBit` where the bit is 0, `oneBit` where it is 1. Padding bits are never read. */
export function unpackRows(
  src: Int32Array, rows: number, channels: number, zeroBit: number, oneBit: number,
  dst: Float32Array | Int8Array | Uint8Array,
): void {
  const words = bitpackedSize(channels);
  for (let r = 0; r < rows; r++) {
    const srcRow = r * words;
    const dstRow = r * channels;
    for (let c = 0; c < channels; c++) {
      const word = src[srcRow + (c >>> 5)]!;
      dst[dstRow + c] = (word >>> (c & 31)) & 1 ? oneBit : zeroBit;
    }
  }
}

/** Bits → float32: 0 → +1.0, 1 → −1.0. */
export function unpackFloat32(src: Int32Array, rows: number, channels: number, dst: Float32Array): void {
  unpackRows(src, rows, channels, 1, -1, dst);
}

/** Bits → bool bytes: 0 → true (1), 1 → false (0). */
export function unpackBool(src: Int32Array, rows: number, channels: number, dst: Uint8Array): void {
  unpackRows(src, rows, channels, 1, 0, dst);
}

export interface Int8UnpackValues {
  /** Quantized +1: min(127, zp + r). */
  zeroBit: number;
  /** Quantized −1: max(−128, zp − r). */
  oneBit: number;
}

/** The int8 codes for ±1 with scale `scale`: r = round(1.0f / scale) in float32, halves away from zero. */
export function int8UnpackValues(scale: number, zeroPoint: number): Int8UnpackValues {
  const r = roundHalfAway(Math.fround(1 / Math.fround(scale)));
  const saturate = (q: number): number => (q < -128 ? -128 : q > 127 ? 127 : q);
  return { zeroBit: saturate(zeroPoint + r), oneBit: saturate(zeroPoint - r) };
}

/** Bits → int8 with the given codes for bit 0 and bit 1 (see int8UnpackValues). */
export function unpackInt8(
  src: Int32Array, rows: number, channels: number, values: Int8UnpackValues, dst: Int8Array,
): void {
  unpackRows(src, rows, channels, values.zeroBit, values.oneBit, dst);
}
