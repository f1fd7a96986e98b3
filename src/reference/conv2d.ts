/**
 * Reference CONV_2D (NHWC input, OHWI filter, cross-correlation), float32 and int8 per-channel, following the
 * semantics of TFLite's reference conv (grouped when the input has a multiple of the filter's input channels).
 * Plain loops over typed arrays with explicit geometry, so fast kernels can be tested against it. Int8 results are
 * requantised like TFLite's optimized GEMM path (round-half-up SQRDMULH + rounding shift), which is what the real
 * LCE interpreter runs on both x86 and ARM, not like the reference kernel's away-from-zero rounding.
 */
import { multiplyByQuantizedMultiplierRoundUpFast } from './quant.js';

export interface Conv2DGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  filterH: number;
  filterW: number;
  /** The filter's last dimension: input channels per group (inC / groups). */
  filterC: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /** Padding before the first row / column (the odd pixel of SAME padding goes after). */
  padTop: number;
  padLeft: number;
}

/** int8 requantisation parameters, one multiplier/shift per output channel (per-tensor ones broadcast). */
export interface Int8Requant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  multipliers: Int32Array;
  shifts: Int32Array;
  /** Clamp range after adding the output zero point (quantizedActivationRange). */
  actMin: number;
  actMax: number;
}

/** First filter tap k whose input row/column `origin + k*dilation` is >= 0. */
export function tapStart(origin: number, dilation: number): number {
  return origin >= 0 ? 0 : Math.ceil(-origin / dilation);
}

/** One past the last filter tap k whose input row/column `origin + k*dilation` is < size (never below tapStart). */
export function tapEnd(origin: number, size: number, taps: number, dilation: number): number {
  const end = Math.min(taps, Math.ceil((size - origin) / dilation));
  return Math.max(end, tapStart(origin, dilation));
}

export function conv2dFloat(
  g: Conv2DGeometry, input: Float32Array, filter: Float32Array, bias: Float32Array | null, output: Float32Array,
  actMin: number, actMax: number,
): void {
  const { inH, inW, inC, outH, outW, outC, filterH, filterW, filterC } = g;
  const groups = inC / filterC;
  const perGroup = outC / groups;
  const filterStride = filterH * filterW * filterC;
  // LCE's x86 TFLite sums a GEMM with bias-initialised fused multiply-adds (ruy), but a single output pixel is a
  // matrix × vector with four float32 lanes (see fully-connected.ts gemmDot / gemvDot).
  const gemv = g.batch * outH * outW === 1;
  const lanes = new Float64Array(4);
  const tail = new Float64Array(3);
  const body = filterStride - (filterStride % 4);
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * g.strideH - g.padTop;
      const fy0 = tapStart(iy0, g.dilationH);
      const fy1 = tapEnd(iy0, inH, filterH, g.dilationH);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * g.strideW - g.padLeft;
        const fx0 = tapStart(ix0, g.dilationW);
        const fx1 = tapEnd(ix0, inW, filterW, g.dilationW);
        for (let oc = 0; oc < outC; oc++) {
          const inChannel0 = ((oc / perGroup) | 0) * filterC;
          const fBase = oc * filterStride;
          let acc = bias ? bias[oc]! : 0;
          if (gemv) { lanes.fill(0); tail.fill(0); }
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = inBatch + (iy0 + fy * g.dilationH) * inW * inC + inChannel0;
            for (let fx = fx0; fx < fx1; fx++) {
              const iBase = rowBase + (ix0 + fx * g.dilationW) * inC;
              const fRow = fBase + (fy * filterW + fx) * filterC;
              if (gemv) {
                // lane = position in the im2col row (out-of-image taps are zeros there and add nothing)
                for (let c = 0; c < filterC; c++) {
                  const d = (fy * filterW + fx) * filterC + c;
                  const p = Math.fround(input[iBase + c]! * filter[fRow + c]!);
                  if (d < body) lanes[d & 3] = Math.fround(lanes[d & 3]! + p);
                  else tail[d - body] = p;
                }
              } else {
                for (let c = 0; c < filterC; c++) acc = Math.fround(acc + input[iBase + c]! * filter[fRow + c]!);
              }
            }
          }
          if (gemv) acc = gemvFinish(lanes, tail, filterStride - body, bias ? bias[oc]! : 0);
          output[o++] = acc < actMin ? actMin : acc > actMax ? actMax : acc;
        }
      }
    }
  }
}

export function conv2dInt8(
  g: Conv2DGeometry, input: Int8Array, filter: Int8Array, bias: Int32Array | null, output: Int8Array, q: Int8Requant,
): void {
  const { inH, inW, inC, outH, outW, outC, filterH, filterW, filterC } = g;
  const groups = inC / filterC;
  const perGroup = outC / groups;
  const filterStride = filterH * filterW * filterC;
  const inputOffset = -q.inputZeroPoint;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * g.strideH - g.padTop;
      const fy0 = tapStart(iy0, g.dilationH);
      const fy1 = tapEnd(iy0, inH, filterH, g.dilationH);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * g.strideW - g.padLeft;
        const fx0 = tapStart(ix0, g.dilationW);
        const fx1 = tapEnd(ix0, inW, filterW, g.dilationW);
        for (let oc = 0; oc < outC; oc++) {
          const inChannel0 = ((oc / perGroup) | 0) * filterC;
          const fBase = oc * filterStride;
          let acc = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = inBatch + (iy0 + fy * g.dilationH) * inW * inC + inChannel0;
            for (let fx = fx0; fx < fx1; fx++) {
              const iBase = rowBase + (ix0 + fx * g.dilationW) * inC;
              const fRow = fBase + (fy * filterW + fx) * filterC;
              for (let c = 0; c < filterC; c++) acc += filter[fRow + c]! * (input[iBase + c]! + inputOffset);
            }
          }
          if (bias) acc += bias[oc]!;
          // the sums are exact in doubles; `| 0` gives C++'s wrap-around int32 result
          let v = multiplyByQuantizedMultiplierRoundUpFast(acc | 0, q.multipliers[oc]!, q.shifts[oc]!)
            + q.outputZeroPoint;
          v = v < q.actMin ? q.actMin : v > q.actMax ? q.actMax : v;
          output[o++] = v;
        }
      }
    }
  }
}

/** The end of a matrix × vector output: lanes reduced as (l0 + l1) + (l2 + l3), the depth tail in order, the bias. */
function gemvFinish(lanes: Float64Array, tail: Float64Array, tailLength: number, bias: number): number {
  let acc = Math.fround(Math.fround(lanes[0]! + lanes[1]!) + Math.fround(lanes[2]! + lanes[3]!));
  for (let i = 0; i < tailLength; i++) acc = Math.fround(acc + tail[i]!);
  return Math.fround(acc + bias);
}
