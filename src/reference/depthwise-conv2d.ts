/**
 * Reference DEPTHWISE_CONV_2D (NHWC input, filter [1, H, W, C·M]): output channel ic·M + m sees only input
 * channel ic, as in TFLite's reference depthwise conv. float32 and int8 per-channel.
 *
 * Int8 requantises like the optimized per-channel kernel of LCE's x86 TFLite build (DepthwiseConvGeneral, then
 * optimized_ops::Quantize over the row's accumulators): output channels in whole blocks of 8 go through the NEON
 * lanes (NEON_2_SSE on x86), the remaining `outC mod 8` channels through the scalar MultiplyByQuantizedMultiplier.
 * A lane shifts left by max(shift, 0), takes SQRDMULH (ties up), then a rounding right shift by −min(shift, 0)
 * (ties up) — the optimized GEMM's requantisation (multiplyByQuantizedMultiplierRoundUp); the scalar tail rounds
 * ties away from zero. Measured on random models against
 * LCE 0.16.0's interpreter (scripts/int8-op-sweep.ts --op depthwise).
 */
import type { Int8Requant } from './conv2d.js';
import { tapEnd, tapStart } from './conv2d.js';
import { multiplyByQuantizedMultiplierFast, multiplyByQuantizedMultiplierRoundUpFast } from './quant.js';

export interface DepthwiseConv2DGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  /** Output channels per input channel; outC = inC · depthMultiplier. */
  depthMultiplier: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

export function depthwiseConv2dFloat(
  g: DepthwiseConv2DGeometry, input: Float32Array, filter: Float32Array, bias: Float32Array | null,
  output: Float32Array, actMin: number, actMax: number,
): void {
  const { inH, inW, inC, outH, outW, depthMultiplier, filterW } = g;
  const outC = inC * depthMultiplier;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * g.strideH - g.padTop;
      const fy0 = tapStart(iy0, g.dilationH);
      const fy1 = tapEnd(iy0, inH, g.filterH, g.dilationH);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * g.strideW - g.padLeft;
        const fx0 = tapStart(ix0, g.dilationW);
        const fx1 = tapEnd(ix0, inW, filterW, g.dilationW);
        for (let oc = 0; oc < outC; oc++) {
          const ic = (oc / depthMultiplier) | 0;
          let acc = bias ? bias[oc]! : 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = inBatch + (iy0 + fy * g.dilationH) * inW * inC + ic;
            const fRow = fy * filterW * outC + oc;
            for (let fx = fx0; fx < fx1; fx++) {
              acc = Math.fround(acc + Math.fround(input[rowBase + (ix0 + fx * g.dilationW) * inC]! * filter[fRow + fx * outC]!));
            }
          }
          output[o++] = acc < actMin ? actMin : acc > actMax ? actMax : acc;
        }
      }
    }
  }
}

export function depthwiseConv2dInt8(
  g: DepthwiseConv2DGeometry, input: Int8Array, filter: Int8Array, bias: Int32Array | null, output: Int8Array,
  q: Int8Requant,
): void {
  const { inH, inW, inC, outH, outW, depthMultiplier, filterW } = g;
  const outC = inC * depthMultiplier;
  const inputOffset = -q.inputZeroPoint;
  const vectorChannels = outC - (outC % 8);
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * g.strideH - g.padTop;
      const fy0 = tapStart(iy0, g.dilationH);
      const fy1 = tapEnd(iy0, inH, g.filterH, g.dilationH);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * g.strideW - g.padLeft;
        const fx0 = tapStart(ix0, g.dilationW);
        const fx1 = tapEnd(ix0, inW, filterW, g.dilationW);
        for (let oc = 0; oc < outC; oc++) {
          const ic = (oc / depthMultiplier) | 0;
          let acc = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = inBatch + (iy0 + fy * g.dilationH) * inW * inC + ic;
            const fRow = fy * filterW * outC + oc;
            for (let fx = fx0; fx < fx1; fx++) {
              acc += filter[fRow + fx * outC]! * (input[rowBase + (ix0 + fx * g.dilationW) * inC]! + inputOffset);
            }
          }
          if (bias) acc += bias[oc]!;
          let v = (oc < vectorChannels
            ? multiplyByQuantizedMultiplierRoundUpFast(acc | 0, q.multipliers[oc]!, q.shifts[oc]!)
            : multiplyByQuantizedMultiplierFast(acc | 0, q.multipliers[oc]!, q.shifts[oc]!)) + q.outputZeroPoint;
          v = v < q.actMin ? q.actMin : v > q.actMax ? q.actMax : v;
          output[o++] = v;
        }
      }
    }
  }
}
