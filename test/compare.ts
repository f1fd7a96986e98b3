/** Output comparison rules shared by the differential tests (oracle corpus, converter round trips). */
import type { NpyArray } from '../src/format/npy.js';
import type { Tensor } from '../src/runtime/tensor.js';

export interface Comparison {
  ok: boolean;
  /** max |got − want| / max |want| for floats; 0/1 (any mismatch) for integers. */
  relativeError: number;
  message: string;
}

function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}

export function compareOutput(got: Tensor, want: NpyArray, floatTolerance: number): Comparison {
  const wantDims = want.shape.length + 1 === got.dims.length ? [1, ...want.shape] : want.shape;
  if (wantDims.join(',') !== got.dims.join(',')) {
    return { ok: false, relativeError: Infinity, message: `shape [${got.dims.join(', ')}], expected [${want.shape.join(', ')}]` };
  }
  if (got.type !== want.dtype) return { ok: false, relativeError: Infinity, message: `dtype ${got.type}, expected ${want.dtype}` };
  const g = got.data as ArrayLike<number>;
  const w = want.data as ArrayLike<number>;
  if (got.type !== 'float32') {
    let mismatches = 0;
    let first = -1;
    for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) { mismatches++; if (first < 0) first = i; }
    return mismatches === 0
      ? { ok: true, relativeError: 0, message: 'exact' }
      : { ok: false, relativeError: 1, message: `${mismatches}/${w.length} elements differ (first at ${first}: ${g[first]} vs ${w[first]})` };
  }
  let maxRef = 0;
  let maxDiff = 0;
  let at = 0;
  for (let i = 0; i < w.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(w[i]!));
    const d = Math.abs(g[i]! - w[i]!);
    if (d > maxDiff || Number.isNaN(d)) { maxDiff = Number.isNaN(d) ? Infinity : d; at = i; }
  }
  const rel = maxRef === 0 ? maxDiff : maxDiff / maxRef;
  const within = rel <= floatTolerance;
  // Classification outputs ([1, classes] or per-pixel): the top class must agree on every row.
  const rowLength = got.dims[got.dims.length - 1] ?? 1;
  let argmaxOk = true;
  if (rowLength > 1) {
    for (let r = 0; r * rowLength < w.length; r++) {
      const gs = Array.prototype.slice.call(g, r * rowLength, (r + 1) * rowLength) as number[];
      const ws = Array.prototype.slice.call(w, r * rowLength, (r + 1) * rowLength) as number[];
      if (argmax(gs) !== argmax(ws)) { argmaxOk = false; break; }
    }
  }
  return {
    ok: within && argmaxOk,
    relativeError: rel,
    message: `max |diff| ${maxDiff.toExponential(2)} at ${at} (${g[at]} vs ${w[at]}), max |ref| ${maxRef.toExponential(2)}, relative ${rel.toExponential(2)} (tolerance ${floatTolerance})${argmaxOk ? '' : ', argmax differs'}`,
  };
}
