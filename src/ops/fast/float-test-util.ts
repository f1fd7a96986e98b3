/** Shared pieces of the fast float op tests: random data and the float comparison. */
import assert from 'node:assert/strict';
import type { TensorData } from '../../graph/dtype.js';

export function randomFloats(rng: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
}

/** Bit-exact float equality (a zero of either sign counts as equal: both sides pad with zeros in different places). */
export function assertEqualsReference(got: TensorData, want: TensorData, what: string): void {
  const g = got as Float32Array;
  const w = want as Float32Array;
  assert.equal(g.length, w.length, `${what}: length`);
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(g[i], w[i]) && !(g[i] === 0 && w[i] === 0)) assert.fail(`${what} at ${i}: ${g[i]} vs ${w[i]}`);
  }
}

/** Float sums in a different order: within 1e-5 of the tensor's largest magnitude. */
export function assertCloseToReference(got: TensorData, want: TensorData, what: string): void {
  const g = got as Float32Array;
  const w = want as Float32Array;
  assert.equal(g.length, w.length, `${what}: length`);
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]!));
  for (let i = 0; i < w.length; i++) {
    assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-5 * max + 1e-6, `${what} at ${i}: ${g[i]} vs ${w[i]} (max |ref| ${max})`);
  }
}
