import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError, OpPrepareError } from '../errors.js';
import { concatenationKernel, packKernel, splitKernel, splitVKernel, unpackKernel } from './concat-split.js';
import { argMaxKernel, gatherKernel } from './gather.js';
import { expandDimsKernel, reshapeKernel, shapeKernel, squeezeKernel } from './reshape.js';
import { sliceKernel, stridedSliceKernel } from './slice.js';
import { padKernel, padV2Kernel, transposeKernel } from './transpose-pad.js';
import { runOp, runOp1 } from './test-util.js';

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const ints = (a: number[]) => ({ dtype: 'int32' as const, shape: [a.length], data: a, constant: true });
const f = (shape: number[], data = iota(shape.reduce((a, b) => a * b, 1))) => ({ dtype: 'float32' as const, shape, data });
const fo = { dtype: 'float32' as const, shape: [] };

test('RESHAPE infers -1, uses newShape when the shape input is absent, rejects bad shapes', () => {
  const r = runOp1(reshapeKernel, { inputs: [f([2, 3, 4]), ints([4, -1])], outputs: [fo] });
  assert.deepEqual(r.shape, [4, 6]);
  assert.deepEqual(r.values, iota(24));
  assert.deepEqual(runOp1(reshapeKernel, { inputs: [f([6])], outputs: [fo], options: { newShape: [3, 2] } }).shape, [3, 2]);
  assert.throws(() => runOp1(reshapeKernel, { inputs: [f([6]), ints([4, -1])], outputs: [fo] }), OpPrepareError);
  assert.throws(() => runOp1(reshapeKernel, { inputs: [f([6]), { dtype: 'int32', shape: [2], data: [3, 2] }], outputs: [fo] }),
    (e: unknown) => e instanceof OpPrepareError && /not a constant/.test(e.message));
});

test('SQUEEZE, EXPAND_DIMS, SHAPE', () => {
  assert.deepEqual(runOp1(squeezeKernel, { inputs: [f([1, 3, 1, 2])], outputs: [fo] }).shape, [3, 2]);
  assert.deepEqual(runOp1(squeezeKernel, { inputs: [f([1, 3, 1, 2])], outputs: [fo], options: { squeezeDims: [-2] } }).shape, [1, 3, 2]);
  assert.throws(() => runOp1(squeezeKernel, { inputs: [f([1, 3])], outputs: [fo], options: { squeezeDims: [1] } }), OpPrepareError);
  assert.deepEqual(runOp1(expandDimsKernel, { inputs: [f([3, 2]), ints([-1])], outputs: [fo] }).shape, [3, 2, 1]);
  assert.deepEqual(runOp1(expandDimsKernel, { inputs: [f([3, 2]), ints([0])], outputs: [fo] }).shape, [1, 3, 2]);
  const s = runOp1(shapeKernel, { inputs: [f([2, 5, 7])], outputs: [{ dtype: 'int32', shape: [] }] });
  assert.deepEqual([s.shape, s.values], [[3], [2, 5, 7]]);
});

test('TRANSPOSE 3-D permutation', () => {
  const r = runOp1(transposeKernel, { inputs: [f([2, 3, 4]), ints([2, 0, 1])], outputs: [fo] });
  assert.deepEqual(r.shape, [4, 2, 3]);
  const exp: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) exp.push(i * 12 + j * 4 + k);
  assert.deepEqual(r.values, exp);
  assert.throws(() => runOp1(transposeKernel, { inputs: [f([2, 3]), ints([0, 0])], outputs: [fo] }), OpPrepareError);
});

test('PAD pads int8 with the zero point; PADV2 with its value input', () => {
  const pads = { dtype: 'int32' as const, shape: [2, 2], data: [1, 0, 0, 2], constant: true };
  const r = runOp1(padKernel, {
    inputs: [{ dtype: 'int8', shape: [2, 2], data: [1, 2, 3, 4], quant: { scale: 1, zeroPoint: -5 } }, pads],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: -5 } }],
  });
  assert.deepEqual(r.shape, [3, 4]);
  assert.deepEqual(r.values, [-5, -5, -5, -5, 1, 2, -5, -5, 3, 4, -5, -5]);
  const v2 = runOp1(padV2Kernel, { inputs: [f([1, 2], [1, 2]), pads, { dtype: 'float32', shape: [], data: [9] }], outputs: [fo] });
  assert.deepEqual(v2.values, [9, 9, 9, 9, 1, 2, 9, 9]);
});

test('SLICE with size -1', () => {
  const r = runOp1(sliceKernel, { inputs: [f([3, 4]), ints([1, 1]), ints([-1, 2])], outputs: [fo] });
  assert.deepEqual([r.shape, r.values], [[2, 2], [5, 6, 9, 10]]);
  assert.throws(() => runOp1(sliceKernel, { inputs: [f([3, 4]), ints([2, 0]), ints([2, 1])], outputs: [fo] }), OpPrepareError);
});

test('STRIDED_SLICE: negative strides, masks, shrink, new axis, ellipsis, offset', () => {
  const x = f([3, 4]);
  const ss = (b: number[], e: number[], s: number[], options = {}) =>
    runOp1(stridedSliceKernel, { inputs: [x, ints(b), ints(e), ints(s)], outputs: [fo], options });
  // x[::-1, 1:4:2]
  let r = ss([0, 1], [0, 4], [-1, 2], { beginMask: 1, endMask: 1 });
  assert.deepEqual([r.shape, r.values], [[3, 2], [9, 11, 5, 7, 1, 3]]);
  // x[1, -2:] (shrink dim 0)
  r = ss([1, -2], [2, 4], [1, 1], { shrinkAxisMask: 1 });
  assert.deepEqual([r.shape, r.values], [[2], [6, 7]]);
  // x[:, None, 3] → new axis between, shrink last
  r = ss([0, 0, 3], [0, 0, 4], [1, 1, 1], { beginMask: 1, endMask: 1, newAxisMask: 2, shrinkAxisMask: 4 });
  assert.deepEqual([r.shape, r.values], [[3, 1], [3, 7, 11]]);
  // x[..., 1:3]
  r = ss([0, 1], [0, 3], [1, 1], { ellipsisMask: 1 });
  assert.deepEqual([r.shape, r.values], [[3, 2], [1, 2, 5, 6, 9, 10]]);
  // out-of-range ends clamp; x[-100:100:2, 3:0:-1]
  r = ss([-100, 3], [100, 0], [2, -1]);
  assert.deepEqual([r.shape, r.values], [[2, 3], [3, 2, 1, 11, 10, 9]]);
  // offset: end = begin + end → x[1:3, 0:1]
  r = ss([1, 0], [2, 1], [1, 1], { offset: true });
  assert.deepEqual([r.shape, r.values], [[2, 1], [4, 8]]);
  assert.throws(() => ss([5, 0], [6, 1], [1, 1], { shrinkAxisMask: 1 }), OpPrepareError);
});

test('CONCATENATION: negative axis, fused RELU, int8 requantization', () => {
  const r = runOp1(concatenationKernel, {
    inputs: [f([2, 1], [-1, 2]), f([2, 2], [3, -4, 5, 6])], outputs: [fo], options: { axis: -1, fusedActivationFunction: 1 },
  });
  assert.deepEqual([r.shape, r.values], [[2, 3], [0, 3, 0, 2, 5, 6]]);
  const q = runOp1(concatenationKernel, {
    inputs: [{ dtype: 'int8', shape: [3], data: [1, 3, -3], quant: { scale: 0.5, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1], data: [7], quant: { scale: 1, zeroPoint: 1 } }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 1 } }],
    options: { axis: 0 },
  });
  // 0.5 → 1 (+1), 1.5 → 2 (+1), -1.5 → -2 (+1); the equal-scale input is copied
  assert.deepEqual(q.values, [2, 3, -1, 7]);
  assert.throws(() => runOp1(concatenationKernel, { inputs: [f([2, 1]), f([3, 1])], outputs: [fo], options: { axis: 1 } }), OpPrepareError);
});

test('PACK / UNPACK / SPLIT / SPLIT_V', () => {
  const p = runOp1(packKernel, { inputs: [f([2], [1, 2]), f([2], [3, 4])], outputs: [fo], options: { valuesCount: 2, axis: 1 } });
  assert.deepEqual([p.shape, p.values], [[2, 2], [1, 3, 2, 4]]);
  const u = runOp(unpackKernel, { inputs: [f([2, 3])], outputs: [fo, fo, fo], options: { num: 3, axis: -1 } });
  assert.deepEqual(u.map((o) => [o.shape, o.values]), [[[2], [0, 3]], [[2], [1, 4]], [[2], [2, 5]]]);
  const s = runOp(splitKernel, { inputs: [ints([1]), f([2, 4])], outputs: [fo, fo], options: { numSplits: 2 } });
  assert.deepEqual(s.map((o) => o.values), [[0, 1, 4, 5], [2, 3, 6, 7]]);
  const v = runOp(splitVKernel, { inputs: [f([2, 4]), ints([1, -1]), ints([-1])], outputs: [fo, fo], options: { numSplits: 2 } });
  assert.deepEqual(v.map((o) => [o.shape, o.values]), [[[2, 1], [0, 4]], [[2, 3], [1, 2, 3, 5, 6, 7]]]);
  assert.throws(() => runOp(splitKernel, { inputs: [ints([1]), f([2, 3])], outputs: [fo, fo], options: { numSplits: 2 } }), OpPrepareError);
});

test('GATHER with axis, batchDims, and a bad index; ARG_MAX first maximum wins', () => {
  const g = runOp1(gatherKernel, { inputs: [f([2, 3]), { dtype: 'int32', shape: [2], data: [2, 0] }], outputs: [fo], options: { axis: -1 } });
  assert.deepEqual([g.shape, g.values], [[2, 2], [2, 0, 5, 3]]);
  const b = runOp1(gatherKernel, {
    inputs: [f([2, 3]), { dtype: 'int64', shape: [2, 1], data: [1n, 2n] }], outputs: [fo], options: { axis: 1, batchDims: 1 },
  });
  assert.deepEqual([b.shape, b.values], [[2, 1], [1, 5]]);
  assert.throws(() => runOp1(gatherKernel, { inputs: [f([3]), { dtype: 'int32', shape: [1], data: [3] }], outputs: [fo] }), InputError);
  const a = runOp1(argMaxKernel, { inputs: [f([2, 3], [1, 5, 5, 7, 0, 7]), ints([1])], outputs: [{ dtype: 'int64', shape: [] }] });
  assert.deepEqual([a.shape, a.values], [[2], [1, 0]]);
});
