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

/** One output pixel's window, clipped to the image: rows [y0, y1), columns [x0, x1) of batch item `inBatch`. */
export interface PoolWindow {
  /** Offset of the batch item in the input. */
  inBatch: number;
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  /** In-image elements per channel. */
  count: number;
}

/** Calls `visit` for every output pixel in NHWC order with its clipped window and its first output offset. */
export function forEachPoolWindow(g: Pool2DGeometry, visit: (w: PoolWindow, outOffset: number) => void): void {
  const { inH, inW, channels: C, outH, outW } = g;
  const w: PoolWindow = { inBatch: 0, y0: 0, y1: 0, x0: 0, x1: 0, count: 0 };
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    w.inBatch = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iyOrigin = oy * g.strideH - g.padTop;
      w.y0 = Math.max(0, iyOrigin);
      w.y1 = Math.min(inH, iyOrigin + g.filterH);
      for (let ox = 0; ox < outW; ox++) {
        const ixOrigin = ox * g.strideW - g.padLeft;
        w.x0 = Math.max(0, ixOrigin);
        w.x1 = Math.min(inW, ixOrigin + g.filterW);
        w.count = (w.y1 - w.y0) * (w.x1 - w.x0);
        visit(w, o);
        o += C;
      }
    }
  }
}

/** Channel `c`'s sum over a window, row by row (rounded to float32 after each add when `f32`). */
function windowSum(g: Pool2DGeometry, input: ArrayLike<number>, w: PoolWindow, c: number, f32: boolean): number {
  const { inW, channels: C } = g;
  let sum = 0;
  for (let y = w.y0; y < w.y1; y++) {
    const row = w.inBatch + y * inW * C + c;
    for (let x = w.x0; x < w.x1; x++) sum = f32 ? Math.fround(sum + input[row + x * C]!) : sum + input[row + x * C]!;
  }
  return sum;
}

/** Channel `c`'s maximum over a window, starting from `lowest`. */
function windowMax(g: Pool2DGeometry, input: ArrayLike<number>, w: PoolWindow, c: number, lowest: number): number {
  const { inW, channels: C } = g;
  let max = lowest;
  for (let y = w.y0; y < w.y1; y++) {
    const row = w.inBatch + y * inW * C + c;
    for (let x = w.x0; x < w.x1; x++) {
      const v = input[row + x * C]!;
      if (v > max) max = v;
    }
  }
  return max;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function averagePool2dFloat(
  g: Pool2DGeometry, input: Float32Array, output: Float32Array, actMin: number, actMax: number,
): void {
  forEachPoolWindow(g, (w, o) => {
    for (let c = 0; c < g.channels; c++) {
      // summed in float32 in window order (row by row) and divided in float32, as TFLite's float kernels do
      output[o + c] = clamp(Math.fround(windowSum(g, input, w, c, true) / w.count), actMin, actMax);
    }
  });
}

export function maxPool2dFloat(
  g: Pool2DGeometry, input: Float32Array, output: Float32Array, actMin: number, actMax: number,
): void {
  forEachPoolWindow(g, (w, o) => {
    // float lowest is TFLite's starting value
    for (let c = 0; c < g.channels; c++) output[o + c] = clamp(windowMax(g, input, w, c, -3.4028234663852886e38), actMin, actMax);
  });
}

/**
 * int8 average: int32 sum, divided by the in-window count with rounding half away from zero
 * ((sum ± ⌊count/2⌋) / count, C++ truncating division), then clamped. Input and output share scale and zero point.
 */
export function averagePool2dInt8(
  g: Pool2DGeometry, input: Int8Array, output: Int8Array, actMin: number, actMax: number,
): void {
  forEachPoolWindow(g, (w, o) => {
    const half = (w.count / 2) | 0;
    for (let c = 0; c < g.channels; c++) {
      const sum = windowSum(g, input, w, c, false);
      output[o + c] = clamp(Math.trunc(sum > 0 ? (sum + half) / w.count : (sum - half) / w.count), actMin, actMax);
    }
  });
}

export function maxPool2dInt8(
  g: Pool2DGeometry, input: Int8Array, output: Int8Array, actMin: number, actMax: number,
): void {
  forEachPoolWindow(g, (w, o) => {
    for (let c = 0; c < g.channels; c++) output[o + c] = clamp(windowMax(g, input, w, c, -128), actMin, actMax);
  });
}
