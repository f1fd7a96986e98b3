// bench:compare's verdict on output checks (bench/compare/check.ts): lce-js's own conversion of a BN_FOLD_ROUNDING
// case is reported as justified, every other mismatch still fails the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareOutputs, judgeCheck } from '../bench/compare/check.js';
import { BN_FOLD_ROUNDING } from './converter-expectations.js';

const want = { data: new Float32Array([0.1, 0.7, 0.2]), shape: [1, 3] };
const off = { data: new Float32Array([0.1, 0.2, 0.7]), shape: [1, 3] }; // another argmax: a real mismatch
const same = { data: new Float32Array([0.1, 0.7, 0.2]), shape: [1, 3] };

test('own conversion of a BN-fold-rounding case: justified, with the #5 message', () => {
  assert.ok(BN_FOLD_ROUNDING['zoo/QuickNetSmall']);
  const k = judgeCheck(compareOutputs('lce-js-conv/t1 vs LCE oracle output (committed)', 'QuickNetSmall', off, want, 1e-5), 'lce-js-conv', 'zoo/QuickNetSmall');
  assert.equal(k.ok, true);
  assert.equal(k.justified, BN_FOLD_ROUNDING['zoo/QuickNetSmall']);
  assert.match(k.message, /^own conversion: differs from LCE's only by BatchNorm-fold rounding \(justified, #5\); max \|diff\|/);
});

test('unexplained mismatches still fail', () => {
  // the same case run from LCE's own .tflite by lce-js
  assert.equal(judgeCheck(compareOutputs('x', 'QuickNetSmall', off, want, 1e-5), 'lce-js', 'zoo/QuickNetSmall').ok, false);
  // own conversion of a case that is not listed
  assert.equal(judgeCheck(compareOutputs('x', 'QuickNet', off, want, 1e-5), 'lce-js-conv', 'zoo/QuickNet').ok, false);
  // a wrong shape is never rounding
  const k = judgeCheck(compareOutputs('x', 'QuickNetSmall', { data: new Float32Array(2), shape: [1, 2] }, want, 1e-5), 'lce-js-conv', 'zoo/QuickNetSmall');
  assert.equal(k.ok, false);
  assert.equal(k.justified, undefined);
});

test('a passing check is left as it is', () => {
  const k = judgeCheck(compareOutputs('x', 'QuickNetSmall', same, want, 1e-5), 'lce-js-conv', 'zoo/QuickNetSmall');
  assert.equal(k.ok, true);
  assert.equal(k.justified, undefined);
  assert.doesNotMatch(k.message, /justified/);
});
