/** Same input, same answer: the output comparison of bench:compare (the rule of test/compare.ts, on plain arrays). */

export interface OutputCheck {
  model: string;
  what: string;
  ok: boolean;
  /** max |got − want| / max |want|. */
  relativeError: number;
  argmaxAgrees: boolean;
  message: string;
}

interface Out { data: ArrayLike<number>; shape: readonly number[] }

function argmax(a: ArrayLike<number>, from: number, to: number): number {
  let b = from;
  for (let i = from + 1; i < to; i++) if (a[i]! > a[b]!) b = i;
  return b - from;
}

/** Within `tolerance` × max|want| everywhere, and the same top class on every row of the last axis. */
export function compareOutputs(what: string, model: string, got: Out, want: Out, tolerance: number): OutputCheck {
  const squeeze = (s: readonly number[]) => s.filter((d, i) => !(d === 1 && i === 0)).join('x');
  if (squeeze(got.shape) !== squeeze(want.shape) || got.data.length !== want.data.length) {
    return { model, what, ok: false, relativeError: Infinity, argmaxAgrees: false, message: `shape [${got.shape.join(', ')}] vs [${want.shape.join(', ')}]` };
  }
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < want.data.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(want.data[i]!));
    const d = Math.abs(got.data[i]! - want.data[i]!);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
  }
  const rel = maxRef === 0 ? maxDiff : maxDiff / maxRef;
  const row = want.shape[want.shape.length - 1] ?? 1;
  let argmaxAgrees = true;
  if (row > 1) {
    for (let r = 0; r < want.data.length; r += row) if (argmax(got.data, r, r + row) !== argmax(want.data, r, r + row)) argmaxAgrees = false;
  }
  return {
    model, what, ok: rel <= tolerance && argmaxAgrees, relativeError: rel, argmaxAgrees,
    message: `max |diff| ${maxDiff.toExponential(2)}, max |ref| ${maxRef.toExponential(2)}, relative ${rel.toExponential(2)} (tolerance ${tolerance})${argmaxAgrees ? ', same argmax' : ', ARGMAX DIFFERS'}`,
  };
}
