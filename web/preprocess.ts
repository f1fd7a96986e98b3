/**
 * Turning pixels into model inputs. Pure functions over plain arrays, so Node tests can check them.
 *
 * Digits follow MNIST's own normalisation (the corpus test set is MNIST-style: white ink on black, the digit's
 * bounding box scaled to fit 20×20 with its aspect ratio kept, then placed in the 28×28 frame so that its centre of
 * mass is at the centre), then the model's input scaling from tools/reference/mnist.py: x·2 − 1, so pixels lie in
 * [−1, 1] with background −1.
 */

export const DIGIT_SIZE = 28;
/** MNIST fits each digit's bounding box into this square inside the 28×28 frame. */
export const DIGIT_BOX = 20;

/** RGBA pixels as a canvas returns them (ImageData-shaped, so tests can build one without a DOM). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** Ink per pixel in [0, 1] from RGBA luminance; `invert` for dark ink on a light background (photos of paper). */
export function inkFromRgba(img: Rgba, invert: boolean): Float32Array {
  const n = img.width * img.height;
  const ink = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const lum = (0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!) / 255;
    const alpha = img.data[o + 3]! / 255;
    // Transparent pixels are background whichever way the image is inverted.
    ink[i] = alpha * (invert ? 1 - lum : lum);
  }
  return ink;
}

/**
 * True when the image's border is mostly bright: the ink is then the dark part. Transparent pixels (the margins
 * around an image fitted into the pad) do not count.
 */
export function hasLightBackground(img: Rgba): boolean {
  let sum = 0, count = 0;
  const add = (x: number, y: number) => {
    const o = (y * img.width + x) * 4;
    if (img.data[o + 3]! < 128) return;
    sum += (0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!) / 255;
    count++;
  };
  for (let x = 0; x < img.width; x++) { add(x, 0); add(x, img.height - 1); }
  for (let y = 1; y < img.height - 1; y++) { add(0, y); add(img.width - 1, y); }
  return count > 0 && sum / count > 0.5;
}

/**
 * Area-average resampling of the window [x0, x0+w) × [y0, y0+h) of `src` (row-major, `srcWidth` wide) to
 * tw × th: every target pixel is the mean of the source area it covers, fractional edges weighted.
 */
export function resampleArea(
  src: Float32Array, srcWidth: number, x0: number, y0: number, w: number, h: number, tw: number, th: number,
): Float32Array {
  const out = new Float32Array(tw * th);
  const sx = w / tw, sy = h / th;
  for (let ty = 0; ty < th; ty++) {
    const ya = y0 + ty * sy, yb = ya + sy;
    for (let tx = 0; tx < tw; tx++) {
      const xa = x0 + tx * sx, xb = xa + sx;
      let acc = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          if (wx <= 0) continue;
          acc += wx * wy * src[y * srcWidth + x]!;
        }
      }
      out[ty * tw + tx] = acc / (sx * sy);
    }
  }
  return out;
}

/** Bounding box of the pixels with ink above `threshold`, or null for a blank image. */
export function inkBounds(ink: Float32Array, width: number, height: number, threshold = 0.05):
  { x: number; y: number; w: number; h: number } | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * MNIST normalisation of an ink image of any size: crop to the ink, scale the longer side to 20 px (aspect kept,
 * area-averaged), place in 28×28 with the centre of mass at the centre. Returns ink in [0, 1], row-major 28×28.
 * A blank image gives a blank frame.
 */
export function mnistFrame(ink: Float32Array, width: number, height: number): Float32Array {
  const frame = new Float32Array(DIGIT_SIZE * DIGIT_SIZE);
  const box = inkBounds(ink, width, height);
  if (!box) return frame;
  const scale = DIGIT_BOX / Math.max(box.w, box.h);
  const tw = Math.max(1, Math.round(box.w * scale)), th = Math.max(1, Math.round(box.h * scale));
  const patch = resampleArea(ink, width, box.x, box.y, box.w, box.h, tw, th);
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = patch[y * tw + x]!;
      mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  // Put the centre of mass at the frame's centre, keeping the patch inside the frame.
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const left = clamp(Math.round(DIGIT_SIZE / 2 - (mass > 0 ? mx / mass : tw / 2)), DIGIT_SIZE - tw);
  const top = clamp(Math.round(DIGIT_SIZE / 2 - (mass > 0 ? my / mass : th / 2)), DIGIT_SIZE - th);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) frame[(top + y) * DIGIT_SIZE + left + x] = Math.min(1, patch[y * tw + x]!);
  }
  return frame;
}

/** The MNIST BNN's input scaling (tools/reference/mnist.py): [0, 1] → [−1, 1]. */
export function scaleDigit(frame: Float32Array): Float32Array {
  const out = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i++) out[i] = frame[i]! * 2 - 1;
  return out;
}

/** Inverse of scaleDigit, for showing a model input as a picture. */
export function unscaleDigit(input: ArrayLike<number>): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = Math.min(1, Math.max(0, (input[i]! + 1) / 2));
  return out;
}

/**
 * Larq Zoo's ImageNet preprocessing (`larq_zoo.preprocess_input`: Keras "torch" mode): RGB in [0, 1], minus the
 * ImageNet mean, divided by its standard deviation, HWC order. The caller has already resized/cropped to the
 * model's input size.
 */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export function imagenetInput(img: Rgba): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = (img.data[i * 4 + c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

/** Inverse of imagenetInput (clamped to bytes), for showing a model input as a picture. */
export function imagenetToRgba(input: ArrayLike<number>, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((input[i * 3 + c]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Centre crop of a w×h image to the largest square, as source rectangle for drawImage. */
export function centerSquare(w: number, h: number): { sx: number; sy: number; size: number } {
  const size = Math.min(w, h);
  return { sx: Math.floor((w - size) / 2), sy: Math.floor((h - size) / 2), size };
}
