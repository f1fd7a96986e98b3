import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { ceilKernel, floorKernel, roundKernel, roundToNearestEven } from './rounding.js';
import { runOp1 } from './test-util.js';

const run = (kernel: typeof roundKernel, data: number[]) => runOp1(kernel, {
  inputs: [{ dtype: 'float32', shape: [data.length], data }],
  outputs: [{ dtype: 'float32', shape: [] }],
});

const X = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.3, 2.7, -2.7, 8388607.5, 16777216, -0, 1e30];

test('ROUND: halves to even, +0 for negatives that round to zero (TFLite RoundToNearest)', () => {
  const r = run(roundKernel, X);
  // −0.5 and −0.3 give +0 (floor + 1); −0 stays −0 (floor(−0) = −0)
  assert.deepEqual(r.values, [0, 2, 2, 0, -2, -2, 0, 0, 3, -3, 8388608, 16777216, -0, Math.fround(1e30)]);
  assert.equal(roundToNearestEven(-3.5), -4);
  assert.ok(Object.is(roundToNearestEven(-0.5), 0), '-0.5 is floor(-1) + 1 = +0');
});

test('FLOOR and CEIL', () => {
  assert.deepEqual(run(floorKernel, [1.5, -1.5, 2, -0.1, 1e30]).values, [1, -2, 2, -1, Math.fround(1e30)]);
  assert.deepEqual(run(ceilKernel, [1.5, -1.5, 2, 0.1, -0.5]).values, [2, -1, 2, 1, -0]);
  assert.deepEqual(run(floorKernel, [NaN, Infinity]).values, [NaN, Infinity]);
});

test('rounding ops refuse non-float inputs and mismatched outputs', () => {
  assert.throws(() => runOp1(roundKernel, {
    inputs: [{ dtype: 'int32', shape: [2], data: [1, 2] }], outputs: [{ dtype: 'int32', shape: [] }],
  }), OpPrepareError);
  assert.throws(() => runOp1(floorKernel, {
    inputs: [{ dtype: 'float32', shape: [2], data: [1, 2] }], outputs: [{ dtype: 'int32', shape: [] }],
  }), OpPrepareError);
});
