/**
 * The reference binary convolution (lce-ops.md §3.3): NHWC bitpacked input, OHWI bitpacked filter, an xor-popcount
 * accumulator per output value, and the three output transforms (float, int8, bitpacked via thresholds).
 * Plain loops over packed words; nothing is allocated while computing.
 */
import { Activation, Padding, padGeometry } from '../ops/common.js';
import { bitpackedSize, popcount32 } from './bitpack.js';

/** How out-of-image filter taps count (only SAME padding has them). */
export type BconvPadMode = 'valid' | 'same-one' | 'same-zero';

export interface Bconv2dGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  /** Packed words per input pixel: G · wordsPerGroup. */
  inWords: number;
  outHeight: number;
  outWidth: number;
  channelsOut: number;
  filterHeight: number;
  filterWidth: number;
  groups: number;
  /** Packed words per filter tap (the filter's last axis). */
  wordsPerGroup: number;
  /** Unpacked input channels per group (Cg). */
  channelsPerGroup: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  padMode: BconvPadMode;
}

export interface Bconv2dParams {
  /** Packed input shape [N, H, W, ceil(channelsIn/32)]. */
  inputShape: readonly number[];
  /** Packed OHWI filter shape [Cout, fh, fw, Wg]. */
  filterShape: readonly number[];
  channelsIn: number;
  groups: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Schema Padding: 0 SAME, 1 VALID. */
  padding: number;
  /** 1 = pad with +1 (same-one), 0 = pad with 0 (same-zero); only matters for SAME. */
  padValues: number;
}

/** The loop geometry of already validated parameters (output size and SAME split as in TFLite's padding.h). */
export function bconv2dGeometry(p: Bconv2dParams): Bconv2dGeometry {
  const [batch, inHeight, inWidth, inWords] = p.inputShape as [number, number, number, number];
  const [channelsOut, filterHeight, filterWidth, wordsPerGroup] = p.filterShape as [number, number, number, number];
  const h = padGeometry(p.padding, inHeight, filterHeight, p.strideHeight, p.dilationHeight);
  const w = padGeometry(p.padding, inWidth, filterWidth, p.strideWidth, p.dilationWidth);
  const padMode: BconvPadMode = p.padding !== Padding.SAME ? 'valid' : p.padValues === 0 ? 'same-zero' : 'same-one';
  return {
    batch, inHeight, inWidth, inWords, outHeight: h.out, outWidth: w.out, channelsOut, filterHeight, filterWidth,
    groups: p.groups, wordsPerGroup, channelsPerGroup: Math.trunc(p.channelsIn / p.groups),
    strideHeight: p.strideHeight, strideWidth: p.strideWidth, dilationHeight: p.dilationHeight,
    dilationWidth: p.dilationWidth, padTop: h.before, padLeft: w.before, padMode,
  };
}

/** K = fh · fw · Cg: the number of ±1 products in one output value. */
export function backTransformConstant(g: Bconv2dGeometry): number {
  return g.filterHeight * g.filterWidth * g.channelsPerGroup;
}

/**
 * The disagreement count of output (n, oy, ox, o). Out-of-image taps: same-one reads input words as 0
 * (+1 everywhere) and so counts the filter's set bits; same-zero adds Cg/2 without reading the filter, which
 * makes the tap contribute exactly 0 to dot = K − 2·accum.
 * With an even Cg this is LCE's reference kernel (it adds floor(Cg/2) and refuses odd channels). With an odd Cg
 * the count is a half-integer; that case is only valid for float output without a clamp, where it equals what
 * LCE's default (optimized) kernels compute with their zero-padding correction. Callers must not ask for
 * int8 or bitpacked output, or a clamping activation, with same-zero padding and an odd Cg.
 */
export function bconv2dAccum(
  g: Bconv2dGeometry, input: Int32Array, filter: Int32Array, n: number, oy: number, ox: number, o: number,
): number {
  const wg = g.wordsPerGroup;
  const fh = g.filterHeight;
  const fw = g.filterWidth;
  const inH = g.inHeight;
  const inW = g.inWidth;
  const inWords = g.inWords;
  const sameZero = g.padMode === 'same-zero';
  const group = Math.floor(o / (g.channelsOut / g.groups));
  const inBase = group * wg;
  const zeroPoint = g.channelsPerGroup / 2;
  const y0 = oy * g.strideHeight - g.padTop;
  const x0 = ox * g.strideWidth - g.padLeft;
  let accum = 0;
  for (let ky = 0; ky < fh; ky++) {
    const iy = y0 + ky * g.dilationHeight;
    const rowInside = iy >= 0 && iy < inH;
    for (let kx = 0; kx < fw; kx++) {
      const ix = x0 + kx * g.dilationWidth;
      const filterAt = ((o * fh + ky) * fw + kx) * wg;
      if (rowInside && ix >= 0 && ix < inW) {
        const inputAt = ((n * inH + iy) * inW + ix) * inWords + inBase;
        for (let w = 0; w < wg; w++) accum += popcount32(input[inputAt + w]! ^ filter[filterAt + w]!);
      } else if (sameZero) {
        accum += zeroPoint;
      } else {
        for (let w = 0; w < wg; w++) accum += popcount32(filter[filterAt + w]!);
      }
    }
  }
  return accum;
}

/** Folded float/int8 output transform: y = float(clamp(2·accum, clampMin, clampMax)) · multiplier[o] + bias[o]. */
export interface BconvOutputTransform {
  clampMin: number;
  clampMax: number;
  multiplier: Float32Array;
  bias: Float32Array;
}

/**
 * Fold the back-transformation (dot = K − 2·accum), and for int8 the output scale and zero point, into one
 * multiply-add on 2·accum: m' = −multiplier/s, b' = (bias + K·multiplier)/s + zp, computed in double and stored
 * as float32; the activation clamp on dot ∩ [−K, K] becomes [K − amax, K − amin] on 2·accum.
 * Float output uses s = 1, zp = 0. TANH, SIGN_BIT and unknown activations clamp nothing (as NONE).
 * Writes into `out` (length ≥ channelsOut) without allocating.
 */
export function foldOutputTransform(
  k: number, activation: number, multiplier: Float32Array, bias: Float32Array, channelsOut: number,
  outputScale: number, outputZeroPoint: number, out: BconvOutputTransform,
): void {
  for (let o = 0; o < channelsOut; o++) {
    const m = multiplier[o]!;
    out.multiplier[o] = (-1 * m) / outputScale;
    out.bias[o] = (bias[o]! + k * m) / outputScale + outputZeroPoint;
  }
  // No tuple here: this may run inside eval when multiplier/bias are not constants.
  const lo = Math.max(activation === Activation.RELU || activation === Activation.RELU6 ? 0
    : activation === Activation.RELU_N1_TO_1 ? -1 : -2147483648, -k);
  const hi = Math.min(activation === Activation.RELU6 ? 6 : activation === Activation.RELU_N1_TO_1 ? 1 : 2147483647, k);
  out.clampMin = k - hi;
  out.clampMax = k - lo;
}

/**
 * Float32 output (NHWC, channelsOut per pixel): float32 arithmetic, no fused multiply-add.
 * Same-zero padding without groups is computed the way LCE's default (optimized) kernel does, so that floats
 * agree bit for bit: the same-one result goes through the transform, then the border pixels get a cached
 * float(−multiplier) · (Σ of the filter's ±1 values over the taps that stick out) added in float32
 * (see zeroPaddingCorrection for which taps LCE counts). Grouped same-zero convolutions only exist in LCE's
 * reference kernel, which pads with zeros directly; so do we.
 */
export function bconv2dFloat(
  g: Bconv2dGeometry, input: Int32Array, filter: Int32Array, t: BconvOutputTransform, output: Float32Array,
): void {
  // LCE's optimized kernels take same-zero only for float output without groups and without a clamping
  // activation (they refuse the rest); everything else is LCE's reference kernel: true zero padding.
  const correct = usesZeroPaddingCorrection(g, t);
  const accumGeometry: Bconv2dGeometry = correct ? { ...g, padMode: 'same-one' } : g;
  const overflow = new Int32Array(3);
  let at = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const border = correct && correctionCase(g, oy, ox, overflow);
        for (let o = 0; o < g.channelsOut; o++) {
          const a2 = 2 * bconv2dAccum(accumGeometry, input, filter, n, oy, ox, o);
          const x = a2 < t.clampMin ? t.clampMin : a2 > t.clampMax ? t.clampMax : a2;
          let y = Math.fround(Math.fround(x * t.multiplier[o]!) + t.bias[o]!);
          if (border) y = Math.fround(y + Math.fround(t.multiplier[o]! * zeroPaddingCorrection(g, filter, overflow, o)));
          output[at++] = y;
        }
      }
    }
  }
}

/** Whether LCE computes this same-zero float convolution as same-one plus the zero-padding correction. */
export function usesZeroPaddingCorrection(g: Bconv2dGeometry, t: BconvOutputTransform): boolean {
  const k2 = 2 * backTransformConstant(g);
  return g.padMode === 'same-zero' && g.groups === 1 && t.clampMin <= 0 && t.clampMax >= k2;
}

/**
 * LCE's optimized kernels classify each output pixel by how far its window overflows the image on each side
 * (core/bconv2d/zero_padding_correction.h) and correct only four classes: overflowing the top (not the bottom),
 * the right (not the left), the left (not the right), the bottom (not the top), with the other axis' overflow
 * clamped at 0. A pixel that fits none of them — e.g. a window larger than the image on both sides — gets no
 * correction at all, i.e. keeps its same-one value. Writes [case, X, Y] into `out`; false when uncorrected.
 */
export function correctionCase(g: Bconv2dGeometry, oy: number, ox: number, out: Int32Array): boolean {
  const effH = (g.filterHeight - 1) * g.dilationHeight + 1;
  const effW = (g.filterWidth - 1) * g.dilationWidth + 1;
  const leftOffset = Math.trunc(((g.outWidth - 1) * g.strideWidth + effW - g.inWidth) / 2);
  const topOffset = Math.trunc(((g.outHeight - 1) * g.strideHeight + effH - g.inHeight) / 2);
  const top = topOffset - oy * g.strideHeight;
  const bottom = -top - g.inHeight + effH;
  const left = leftOffset - ox * g.strideWidth;
  const right = -left - g.inWidth + effW;
  if (left <= 0 && right <= 0 && top <= 0 && bottom <= 0) return false;
  if (right <= 0 && top > 0 && bottom < 0) out.set([0, Math.max(left, 0), top]);
  else if (left < 0 && right > 0 && bottom <= 0) out.set([1, right, Math.max(top, 0)]);
  else if (left > 0 && right < 0 && top <= 0) out.set([2, left, Math.max(bottom, 0)]);
  else if (left <= 0 && top < 0 && bottom > 0) out.set([3, Math.max(right, 0), bottom]);
  else return false;
  return true;
}

/** LCE's (T)/(B)/(L)/(R) test: does the tap at dilated offset (ey, ex) count as outside for [case, X, Y]? */
export function countsAsOutside(c: Int32Array, ey: number, ex: number, effH: number, effW: number): boolean {
  const kind = c[0]!, X = c[1]!, Y = c[2]!;
  const vertical = kind <= 1 ? ey < Y : effH - ey <= Y;
  const horizontal = kind === 0 || kind === 2 ? ex < X : effW - ex <= X;
  return vertical || horizontal;
}

/** Σ of the filter's ±1 values (Cin − 2·popcount per tap) over the taps LCE counts as outside for [case, X, Y]. */
export function zeroPaddingCorrection(g: Bconv2dGeometry, filter: Int32Array, c: Int32Array, o: number): number {
  const effH = (g.filterHeight - 1) * g.dilationHeight + 1;
  const effW = (g.filterWidth - 1) * g.dilationWidth + 1;
  let sum = 0;
  for (let ky = 0; ky < g.filterHeight; ky++) {
    for (let kx = 0; kx < g.filterWidth; kx++) {
      if (!countsAsOutside(c, ky * g.dilationHeight, kx * g.dilationWidth, effH, effW)) continue;
      const at = ((o * g.filterHeight + ky) * g.filterWidth + kx) * g.wordsPerGroup;
      let ones = 0;
      for (let w = 0; w < g.wordsPerGroup; w++) ones += popcount32(filter[at + w]!);
      sum += g.channelsPerGroup - 2 * ones;
    }
  }
  return sum;
}

/** Int8 output: the float transform (scale/zero point folded in), then round half away from zero and saturate. */
export function bconv2dInt8(
  g: Bconv2dGeometry, input: Int32Array, filter: Int32Array, t: BconvOutputTransform, output: Int8Array,
): void {
  let at = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let o = 0; o < g.channelsOut; o++) {
          const a2 = 2 * bconv2dAccum(g, input, filter, n, oy, ox, o);
          const x = a2 < t.clampMin ? t.clampMin : a2 > t.clampMax ? t.clampMax : a2;
          const y = Math.fround(Math.fround(x * t.multiplier[o]!) + t.bias[o]!);
          const q = y < 0 ? -Math.round(-y) : Math.round(y);
          output[at++] = q < -128 ? -128 : q > 127 ? 127 : q;
        }
      }
    }
  }
}

/**
 * Bitpacked output: bit o = (accum > thresholds[o]) as a signed compare, packed along channels; each pixel
 * starts on a fresh word and padding bits stay 0.
 */
export function bconv2dBitpacked(
  g: Bconv2dGeometry, input: Int32Array, filter: Int32Array, thresholds: Int32Array, output: Int32Array,
): void {
  const words = bitpackedSize(g.channelsOut);
  let at = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let w = 0; w < words; w++) {
          const first = w * 32;
          const count = Math.min(32, g.channelsOut - first);
          let word = 0;
          for (let b = 0; b < count; b++) {
            const o = first + b;
            if (bconv2dAccum(g, input, filter, n, oy, ox, o) > thresholds[o]!) word |= 1 << b;
          }
          output[at++] = word;
        }
      }
    }
  }
}
