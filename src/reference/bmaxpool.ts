/**
 * The reference binary max pool (lce-ops.md §3.4): for each output pixel and packed word, the bitwise AND of the
 * input words over the window positions inside the image. Bit 1 means −1, and a max of ±1 values is −1 only when
 * all are −1, hence AND. Out-of-image positions are skipped (float max pool ignores padding too).
 */
import { padGeometry } from '../ops/common.js';

export interface BMaxPool2dGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  /** Packed words per pixel; passed through unchanged. */
  words: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The loop geometry for packed input [N, H, W, P] (output size and SAME split as TFLite's, dilation 1). */
export function bmaxpool2dGeometry(
  inputShape: readonly number[], filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number,
  padding: number,
): BMaxPool2dGeometry {
  const [batch, inHeight, inWidth, words] = inputShape as [number, number, number, number];
  const h = padGeometry(padding, inHeight, filterHeight, strideHeight, 1);
  const w = padGeometry(padding, inWidth, filterWidth, strideWidth, 1);
  return {
    batch, inHeight, inWidth, words, outHeight: h.out, outWidth: w.out, filterHeight, filterWidth,
    strideHeight, strideWidth, padTop: h.before, padLeft: w.before,
  };
}

export function bmaxpool2d(g: BMaxPool2dGeometry, input: Int32Array, output: Int32Array): void {
  const words = g.words;
  let at = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      const y0 = oy * g.strideHeight - g.padTop;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(g.inHeight, y0 + g.filterHeight);
      for (let ox = 0; ox < g.outWidth; ox++) {
        const x0 = ox * g.strideWidth - g.padLeft;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(g.inWidth, x0 + g.filterWidth);
        for (let w = 0; w < words; w++) {
          // All ones to start: an (impossible in SAME/VALID geometry) empty window gives 0xFFFFFFFF, as in LCE.
          let acc = -1;
          for (let iy = yStart; iy < yEnd; iy++) {
            for (let ix = xStart; ix < xEnd; ix++) {
              acc &= input[((n * g.inHeight + iy) * g.inWidth + ix) * words + w]!;
            }
          }
          output[at++] = acc;
        }
      }
    }
  }
}
