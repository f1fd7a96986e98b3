/**
 * Plain-TS helpers for row-major tensors: strides, axis normalisation, and index maps that let data-movement
 * kernels (broadcast, transpose, slice, pad) run as one gather `out[i] = in[map[i]]` precomputed in prepare.
 */
import type { TensorData } from '../graph/dtype.js';

/**
 * Element access shared by every typed array the runtime uses. Data-movement kernels only move elements between
 * arrays of the same dtype, so treating bigint elements as this type at run time is sound.
 */
export interface Elements {
  [index: number]: number;
  readonly length: number;
}

export function elements(data: TensorData): Elements {
  return data as unknown as Elements;
}

/** Row-major strides (in elements) of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Numpy broadcast of two shapes (right-aligned); null when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return null;
  }
  return out;
}

/**
 * For every element of `outShape` (row-major), the flat index of the element of `inShape` it reads under numpy
 * broadcasting (inShape right-aligned; its size-1 dims repeat).
 */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // stride 0 on broadcast dims, the input's own stride elsewhere
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    const j = inShape.length - rank + i;
    if (j >= 0 && inShape[j] !== 1) eff[i] = inStrides[j]!;
  }
  return gatherMap(outShape, eff, 0);
}

/**
 * Flat source indices for walking `shape` row-major where moving one step along dim i moves `srcStrides[i]` in the
 * source, starting at `base`.
 */
export function gatherMap(shape: readonly number[], srcStrides: readonly number[], base: number): Int32Array {
  let n = 1;
  for (const d of shape) n *= d;
  const map = new Int32Array(n);
  if (n === 0) return map;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = base;
  for (let i = 0; i < n; i++) {
    map[i] = src;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += srcStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= srcStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

/** Copy through an index map; a negative index writes `fill` instead (padding). */
export function gatherInto(out: Elements, src: Elements, map: Int32Array, fill?: number): void {
  for (let i = 0; i < map.length; i++) {
    const j = map[i]!;
    out[i] = j >= 0 ? src[j]! : fill!;
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
