import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierRoundUp, multiplyByQuantizedMultiplierRoundUpFast,
} from './quant.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

test('round-up requantisation: values the real LCE interpreter (TF 2.16, x86) gives and the reference does not', () => {
  // (accumulator, multiplier, shift) → result before the output zero point, taken from matrix/int8_internal_bnn:
  // CONV_2D per-channel outputs and the FULLY_CONNECTED output 0 of sample 0 (exact value −25.4999992).
  const cases: [number, number, number, number, number][] = [
    // acc, multiplier, shift, LCE, TFLite reference kernel
    [-4064, 1724750592, -7, -25, -26],
    [-4266, 1079266688, -6, -33, -34],
    [-8359, 1216742016, -8, -18, -19],
    [995, 1243081728, -7, 5, 5],
    [-1259, 1529004544, -8, -3, -4],
  ];
  for (const [acc, m, sh, lce, ref] of cases) {
    assert.equal(multiplyByQuantizedMultiplierRoundUp(acc, m, sh), lce, `${acc}·${m}·2^${sh}`);
    assert.equal(multiplyByQuantizedMultiplierRoundUpFast(acc, m, sh), lce, `${acc}·${m}·2^${sh} (fast)`);
    assert.equal(multiplyByQuantizedMultiplier(acc, m, sh), ref, `${acc}·${m}·2^${sh} (reference)`);
  }
});

test('round-up requantisation: exact ties go towards +∞ in both steps; saturation; left shifts', () => {
  const half = 1 << 30; // multiplier 0.5
  assert.equal(multiplyByQuantizedMultiplierRoundUp(3, half, 0), 2); // 1.5 → 2
  assert.equal(multiplyByQuantizedMultiplierRoundUp(-3, half, 0), -1); // −1.5 → −1 (the high multiply rounds up too)
  assert.equal(multiplyByQuantizedMultiplierRoundUp(-5, half, -1), -1); // −1.25 → −1
  // −6·0.5 = −3 exactly, then −3/2: the shift's tie goes up here and away from zero in the reference
  assert.equal(multiplyByQuantizedMultiplierRoundUp(-6, half, -1), -1);
  assert.equal(multiplyByQuantizedMultiplier(-6, half, -1), -2);
  assert.equal(multiplyByQuantizedMultiplierRoundUp(6, half, -1), 2);
  assert.equal(multiplyByQuantizedMultiplierRoundUp(-2147483648, -2147483648, 0), 2147483647);
  assert.equal(multiplyByQuantizedMultiplierRoundUp(7, half, 2), 14);
});

test('fast round-up requantisation equals the BigInt definition', () => {
  const r = rng(11);
  for (let i = 0; i < 50000; i++) {
    const x = (r() | 0) >> (r() % 31);
    const m = (r() >>> 1) | 0x40000000;
    const shift = -(r() % 32) + (i % 5 === 0 ? (r() % 4) : 0);
    const a = shift > 0 ? x >> 4 : x;
    assert.equal(
      multiplyByQuantizedMultiplierRoundUpFast(a, m, shift), multiplyByQuantizedMultiplierRoundUp(a, m, shift),
      `${a}·${m}·2^${shift}`,
    );
  }
  // products exactly on and next to the bit-31 rounding boundary
  for (let k = -64; k <= 64; k++) for (const d of [-1, 0, 1]) for (const shift of [0, -1, -3]) {
    const x = k * 2 + d;
    assert.equal(multiplyByQuantizedMultiplierRoundUpFast(x, 1 << 30, shift), multiplyByQuantizedMultiplierRoundUp(x, 1 << 30, shift));
  }
});
