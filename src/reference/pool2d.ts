/**
 * Reference MAX_POOL_2D and AVERAGE_POOL_2D (NHWC). Windows are clipped to the image: padding never takes part,
 * so an average divides by the number of in-image elements, as TFLite's reference pooling does.
 */
export interface Pool2DGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** First in-image row/column of a window starting at `origin` (windows end at min(size, origin + filter)). */
function windowStart(origin: number): number {
  return origin < 0 ? 0 : origin;
}

export function averagePool2dFloat(
  g: Pool2DGeometry, input: Float32Array, output: Float32Array, actMin: number, actMax: number,
): void {
  const { inH, inW, channels: C, outH, outW } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iyOrigin = oy * g.strideH - g.padTop;
      const y0 = windowStart(iyOrigin);
      const y1 = Math.min(inH, iyOrigin + g.filterH);
      for (let ox = 0; ox < outW; ox++) {
        const ixOrigin = ox * g.strideW - g.padLeft;
        const x0 = windowStart(ixOrigin);
        const x1 = Math.min(inW, ixOrigin + g.filterW);
        const count = (y1 - y0) * (x1 - x0);
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let y = y0; y < y1; y++) {
            const row = inBatch + y * inW * C + c;
            for (let x = x0; x < x1; x++) sum = Math.fround(sum + input[row + x * C]!);
          }
          // summed in float32 in window order (row by row) and divided in float32, as TFLite's float kernels do
          const avg = Math.fround(sum / count);
          output[o++] = avg < actMin ? actMin : avg > actMax ? actMax : avg;
        }
      }
    }
  }
}

export function maxPool2dFloat(
  g: Pool2DGeometry, input: Float32Array, output: Float32Array, actMin: number, actMax: number,
): void {
  const { inH, inW, channels: C, outH, outW } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iyOrigin = oy * g.strideH - g.padTop;
      const y0 = windowStart(iyOrigin);
      const y1 = Math.min(inH, iyOrigin + g.filterH);
      for (let ox = 0; ox < outW; ox++) {
        const ixOrigin = ox * g.strideW - g.padLeft;
        const x0 = windowStart(ixOrigin);
        const x1 = Math.min(inW, ixOrigin + g.filterW);
        for (let c = 0; c < C; c++) {
          let max = -3.4028234663852886e38; // float lowest, TFLite's starting value
          for (let y = y0; y < y1; y++) {
            const row = inBatch + y * inW * C + c;
            for (let x = x0; x < x1; x++) {
              const v = input[row + x * C]!;
              if (v > max) max = v;
            }
          }
          output[o++] = max < actMin ? actMin : max > actMax ? actMax : max;
        }
      }
    }
  }
}

/**
 * int8 average: int32 sum, divided by the in-window count with rounding half away from zero
 * ((sum ± ⌊count/2⌋) / count, C++ truncating division), then clamped. Input and output share scale and zero point.
 */
export function averagePool2dInt8(
  g: Pool2DGeometry, input: Int8Array, output: Int8Array, actMin: number, actMax: number,
): void {
  const { inH, inW, channels: C, outH, outW } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iyOrigin = oy * g.strideH - g.padTop;
      const y0 = windowStart(iyOrigin);
      const y1 = Math.min(inH, iyOrigin + g.filterH);
      for (let ox = 0; ox < outW; ox++) {
        const ixOrigin = ox * g.strideW - g.padLeft;
        const x0 = windowStart(ixOrigin);
        const x1 = Math.min(inW, ixOrigin + g.filterW);
        const count = (y1 - y0) * (x1 - x0);
        const half = (count / 2) | 0;
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let y = y0; y < y1; y++) {
            const row = inBatch + y * inW * C + c;
            for (let x = x0; x < x1; x++) sum += input[row + x * C]!;
          }
          let v = Math.trunc(sum > 0 ? (sum + half) / count : (sum - half) / count);
          v = v < actMin ? actMin : v > actMax ? actMax : v;
          output[o++] = v;
        }
      }
    }
  }
}

export function maxPool2dInt8(
  g: Pool2DGeometry, input: Int8Array, output: Int8Array, actMin: number, actMax: number,
): void {
  const { inH, inW, channels: C, outH, outW } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const inBatch = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iyOrigin = oy * g.strideH - g.padTop;
      const y0 = windowStart(iyOrigin);
      const y1 = Math.min(inH, iyOrigin + g.filterH);
      for (let ox = 0; ox < outW; ox++) {
        const ixOrigin = ox * g.strideW - g.padLeft;
        const x0 = windowStart(ixOrigin);
        const x1 = Math.min(inW, ixOrigin + g.filterW);
        for (let c = 0; c < C; c++) {
          let max = -128;
          for (let y = y0; y < y1; y++) {
            const row = inBatch + y * inW * C + c;
            for (let x = x0; x < x1; x++) {
              const v = input[row + x * C]!;
              if (v > max) max = v;
            }
          }
          output[o++] = max < actMin ? actMin : max > actMax ? actMax : max;
        }
      }
    }
  }
}
