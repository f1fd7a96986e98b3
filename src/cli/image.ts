/**
 * Image inputs for `lce run --image`: decode JPEG/PNG (jpeg-js, pngjs), resize to the model's H×W, convert to its
 * channel count, preprocess and quantize. Everything but readImage/listImages is a pure function.
 *
 * Conventions (documented defaults):
 * - Decoded images are RGBA bytes; alpha is dropped (no compositing).
 * - Resize is bilinear with half-pixel centres (TF `half_pixel_centers`, PIL-like). `crop` (default) first takes the
 *   largest centred region with the target aspect ratio; `fit` squeezes the whole image into H×W (aspect not kept).
 * - 3 channels = RGB; 1 channel = luma 0.299R + 0.587G + 0.114B (ITU-R BT.601, as PIL's 'L').
 * - Values: x = pixel / 255 · scale + offset (scale 1, offset 0 by default), or with mean/std
 *   x = (pixel / 255 − mean[c]) / std[c], mean and std in units of pixel / 255 (ImageNet: 0.485,0.456,0.406 and
 *   0.229,0.224,0.225). A single mean/std value applies to every channel.
 * - Negative values work both as --offset -1 and --offset=-1 (run.ts joins the first form for node's parseArgs).
 * - int8/uint8 inputs: q = clamp(round(x / scale) + zeroPoint) with the input tensor's quantization.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { LceError } from '../errors.js';
import type { TensorMetadata } from '../runtime/session.js';

/** width × height × 4 bytes (RGBA), row-major. */
export interface RgbaImage { width: number; height: number; data: Uint8Array }
/** width × height × channels floats in 0..255, row-major, channels interleaved (HWC). */
export interface FloatImage { width: number; height: number; channels: number; data: Float32Array }

export type ResizeMode = 'crop' | 'fit';
export type Normalization = { scale: number; offset: number } | { mean: number[]; std: number[] };

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

export function sniffFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decodes PNG or JPEG by content (not by extension); `name` is used in error messages. */
export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  const format = sniffFormat(bytes);
  if (!format) throw new LceError('INPUT', `${name}: unsupported image format (only PNG and JPEG are read)`);
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new LceError('INPUT', `${name}: cannot decode ${format.toUpperCase()}: ${(e as Error).message ?? e}`, { cause: e });
  }
}

export async function readImage(path: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new LceError('IO', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeImage(bytes, path);
}

/** A file gives itself; a folder gives its .jpg/.jpeg/.png files (not recursive), sorted by name. */
export async function listImages(path: string): Promise<{ files: string[]; folder: boolean }> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new LceError('IO', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!isDir) return { files: [path], folder: false };
  const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
  if (names.length === 0) throw new LceError('INPUT', `${path}: no .jpg, .jpeg or .png files in the folder`);
  return { files: names.map((n) => join(path, n)), folder: true };
}

/** Bilinear resize of the RGB channels (alpha dropped) to width × height; result in 0..255 floats, 3 channels. */
export function resizeBilinear(img: RgbaImage, width: number, height: number, mode: ResizeMode = 'crop'): FloatImage {
  if (img.width < 1 || img.height < 1) throw new LceError('INPUT', 'empty image');
  let x0 = 0, y0 = 0, cw = img.width, ch = img.height;
  if (mode === 'crop') {
    // Largest centred region with the target aspect ratio.
    if (img.width * height > img.height * width) {
      cw = (img.height * width) / height;
      x0 = (img.width - cw) / 2;
    } else {
      ch = (img.width * height) / width;
      y0 = (img.height - ch) / 2;
    }
  }
  const out = new Float32Array(width * height * 3);
  const sx = cw / width, sy = ch / height;
  const src = img.data, W = img.width, H = img.height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max(y0 + (y + 0.5) * sy - 0.5, 0), H - 1);
    const ya = Math.floor(fy), yb = Math.min(ya + 1, H - 1), wy = fy - ya;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(x0 + (x + 0.5) * sx - 0.5, 0), W - 1);
      const xa = Math.floor(fx), xb = Math.min(xa + 1, W - 1), wx = fx - xa;
      const a = (ya * W + xa) * 4, b = (ya * W + xb) * 4, c = (yb * W + xa) * 4, d = (yb * W + xb) * 4;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * wx;
        const bottom = src[c + k]! + (src[d + k]! - src[c + k]!) * wx;
        out[o + k] = top + (bottom - top) * wy;
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

/** 3 channels: unchanged RGB; 1 channel: BT.601 luma. */
export function toChannels(img: FloatImage, channels: number): FloatImage {
  if (img.channels === channels) return img;
  if (img.channels === 3 && channels === 1) {
    const n = img.width * img.height;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = 0.299 * img.data[i * 3]! + 0.587 * img.data[i * 3 + 1]! + 0.114 * img.data[i * 3 + 2]!;
    return { width: img.width, height: img.height, channels: 1, data: out };
  }
  throw new LceError('INPUT', `cannot convert a ${img.channels}-channel image to ${channels} channels (models need 1 or 3)`);
}

/** Pixel values (0..255) to model values; see the file comment for the formulas. */
export function normalize(img: FloatImage, norm: Normalization = { scale: 1, offset: 0 }): Float32Array {
  const c = img.channels;
  const out = new Float32Array(img.data.length);
  if ('mean' in norm) {
    const pick = (v: number[], what: string) => {
      if (v.length === 1) return Array<number>(c).fill(v[0]!);
      if (v.length !== c) throw new LceError('INPUT', `--${what} has ${v.length} values, the model input has ${c} channel(s)`);
      return v;
    };
    const mean = pick(norm.mean, 'mean'), std = pick(norm.std, 'std');
    for (let i = 0; i < out.length; i++) out[i] = (img.data[i]! / 255 - mean[i % c]!) / std[i % c]!;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = (img.data[i]! / 255) * norm.scale + norm.offset;
  }
  return out;
}

export function quantize(x: Float32Array, type: 'int8' | 'uint8', q: { scale: number; zeroPoint: number }): Int8Array | Uint8Array {
  const [lo, hi] = type === 'int8' ? [-128, 127] : [0, 255];
  const out = type === 'int8' ? new Int8Array(x.length) : new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(hi, Math.max(lo, Math.round(x[i]! / q.scale) + q.zeroPoint));
  return out;
}

/** Height, width and channels of an image input: [1,H,W,C], [H,W,C] or [1,H,W] (one channel). */
export function imageInputShape(meta: TensorMetadata): { height: number; width: number; channels: number } {
  const d = meta.dims;
  if (d.length === 4 && d[0] === 1) return { height: d[1]!, width: d[2]!, channels: d[3]! };
  if (d.length === 3 && d[0] === 1 && d[2]! > 4) return { height: d[1]!, width: d[2]!, channels: 1 };
  if (d.length === 3) return { height: d[0]!, width: d[1]!, channels: d[2]! };
  throw new LceError('INPUT', `input '${meta.name}' [${d.join(', ')}] is not an image (expected [1, H, W, C])`);
}

/** Decoded image → data for the model's input tensor (float32, int8 or uint8). */
export function imageToInput(img: RgbaImage, meta: TensorMetadata, opts: { resize?: ResizeMode; norm?: Normalization } = {}): Float32Array | Int8Array | Uint8Array {
  const { height, width, channels } = imageInputShape(meta);
  const values = normalize(toChannels(resizeBilinear(img, width, height, opts.resize ?? 'crop'), channels), opts.norm);
  if (meta.type === 'float32') return values;
  if (meta.type === 'int8' || meta.type === 'uint8') {
    if (!meta.quantization) throw new LceError('INPUT', `input '${meta.name}' is ${meta.type} without quantization parameters`);
    return quantize(values, meta.type, meta.quantization);
  }
  throw new LceError('INPUT', `input '${meta.name}' is ${meta.type}; images can feed float32, int8 or uint8 inputs`);
}

/** The k largest scores, best first (ties: lower index first). */
export function topK(scores: ArrayLike<number>, k: number): { index: number; score: number }[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, k)).map((index) => ({ index, score: scores[index]! }));
}
