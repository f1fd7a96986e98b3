/** Same input, same answer: the output comparison of bench:compare (the rule of test/compare.ts, on plain arrays). */
import { BN_FOLD_ROUNDING } from '../../test/converter-expectations.js';

export interface OutputCheck {
  model: string;
  what: string;
  ok: boolean;
  /** max |got − want| / max |want|. */
  relativeError: number;
  argmaxAgrees: boolean;
  message: string;
  /** Set when a failed comparison is a listed, justified difference (then `ok` is true). */
  justified?: string;
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

/**
 * lce-js's own conversion of a case listed in BN_FOLD_ROUNDING (test/converter-expectations.ts, the list the
 * converter tests prove: LCE's graph but for BatchNorm-folded constants a few ulps off, LCE's outputs with LCE's
 * constants) may miss LCE's outputs: that check is reported as justified, not failed. Any other failure stands —
 * other engines, other cases, and a wrong output shape.
 */
export function judgeCheck(check: OutputCheck, engine: string, caseId: string): OutputCheck {
  if (check.ok || engine !== 'lce-js-conv' || !Number.isFinite(check.relativeError)) return check;
  const why = BN_FOLD_ROUNDING[caseId];
  if (!why) return check;
  return {
    ...check, ok: true, justified: why,
    message: `own conversion: differs from LCE's only by BatchNorm-fold rounding (justified, #5); ${check.message}`,
  };
}
