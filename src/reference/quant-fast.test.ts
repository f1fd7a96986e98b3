import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierFast, roundingDivideByPOT, roundingDivideByPOTFast,
  saturatingRoundingDoublingHighMul, saturatingRoundingDoublingHighMulFast,
} from './quant.js';

/** Deterministic xorshift so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

const SPECIAL = [0, 1, -1, 2, -2, 3, -3, 2147483647, -2147483648, 1073741824, -1073741824, 65535, 65536, -65536,
  32768, -32768, 1 << 20, -(1 << 20), 1518500250, 1932735283];

test('fast SaturatingRoundingDoublingHighMul equals the BigInt one (specials, exact ties, random)', () => {
  for (const a of SPECIAL) for (const b of SPECIAL) {
    assert.equal(saturatingRoundingDoublingHighMulFast(a, b), saturatingRoundingDoublingHighMul(a, b), `${a} * ${b}`);
  }
  // products that land exactly on and next to the rounding boundary (multiples of 2^30)
  for (let k = -40; k <= 40; k++) for (const e of [0, 1, 5, 15, 16, 17, 29, 30]) {
    const a = k * 2 ** (30 - Math.min(e, 30)) | 0;
    const b = 2 ** e | 0;
    for (const d of [-1, 0, 1]) {
      const bb = (b + d) | 0;
      assert.equal(saturatingRoundingDoublingHighMulFast(a, bb), saturatingRoundingDoublingHighMul(a, bb), `${a} * ${bb}`);
    }
  }
  const r = rng(7);
  for (let i = 0; i < 50000; i++) {
    const a = (r() | 0) >> (r() % 31);
    const b = r() | 0;
    assert.equal(saturatingRoundingDoublingHighMulFast(a, b), saturatingRoundingDoublingHighMul(a, b), `${a} * ${b}`);
  }
});

test('fast RoundingDivideByPOT equals the reference for every exponent', () => {
  const r = rng(11);
  for (let e = 0; e <= 31; e++) {
    for (const x of SPECIAL) assert.equal(roundingDivideByPOTFast(x, e), roundingDivideByPOT(x, e), `${x} >> ${e}`);
    for (let i = 0; i < 2000; i++) {
      const x = (r() | 0) >> (r() % 31);
      assert.equal(roundingDivideByPOTFast(x, e), roundingDivideByPOT(x, e), `${x} >> ${e}`);
    }
  }
  // halves round away from zero
  assert.equal(roundingDivideByPOTFast(6, 2), 2);
  assert.equal(roundingDivideByPOTFast(-6, 2), -2);
  assert.equal(roundingDivideByPOTFast(-5, 1), -3);
});

test('fast MultiplyByQuantizedMultiplier equals the reference over shifts -31..8', () => {
  const r = rng(3);
  for (let i = 0; i < 40000; i++) {
    const x = (r() | 0) >> (8 + (r() % 23));
    const m = 1073741824 + (r() % 1073741824);
    const shift = (r() % 40) - 31;
    assert.equal(multiplyByQuantizedMultiplierFast(x, m, shift), multiplyByQuantizedMultiplier(x, m, shift), `${x} ${m} ${shift}`);
  }
});
