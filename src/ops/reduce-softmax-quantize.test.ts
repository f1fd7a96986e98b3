import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpPrepareError } from '../errors.js';
import { dequantizeKernel, quantizeKernel } from './quantize.js';
import { meanKernel, reduceMaxKernel, sumKernel } from './reduce.js';
import { logSoftmaxKernel, softmaxKernel } from './softmax.js';
import { assertClose, runOp1 } from './test-util.js';

const axes = (a: number[]) => ({ dtype: 'int32' as const, shape: [a.length], data: a, constant: true });
const q = (scale: number, zeroPoint = 0) => ({ scale, zeroPoint });

test('float MEAN/SUM/REDUCE_MAX with keepDims, negative and duplicate axes', () => {
  const x = Array.from({ length: 24 }, (_, i) => i);
  const input = { dtype: 'float32' as const, shape: [2, 3, 4], data: x };
  const m = runOp1(meanKernel, { inputs: [input, axes([-1, 2, 0])], outputs: [{ dtype: 'float32', shape: [] }], options: { keepDims: true } });
  assert.deepEqual(m.shape, [1, 3, 1]);
  // mean over dims 0 and 2 of row j: (4j + 1.5 + 12 + 4j + 1.5) / 2 = 4j + 7.5
  assert.deepEqual(m.values, [7.5, 11.5, 15.5]);
  const s = runOp1(sumKernel, { inputs: [input, axes([1])], outputs: [{ dtype: 'float32', shape: [] }], options: null });
  assert.deepEqual(s.shape, [2, 4]);
  assert.deepEqual(s.values, [12, 15, 18, 21, 48, 51, 54, 57]);
  const mx = runOp1(reduceMaxKernel, { inputs: [input, axes([0, 1])], outputs: [{ dtype: 'float32', shape: [] }] });
  assert.deepEqual(mx.values, [20, 21, 22, 23]);
  assert.throws(() => runOp1(meanKernel, {
    inputs: [input, { dtype: 'int32', shape: [1], data: [1] }], outputs: [{ dtype: 'float32', shape: [] }],
  }), (e: unknown) => e instanceof OpPrepareError && /not a constant/.test(e.message));
});

test('int8 MEAN over H,W with keepDims: fixed-point rescale then rounded division', () => {
  const input = { dtype: 'int8' as const, shape: [1, 2, 2, 4], quant: q(1),
    data: [1, 1, 1, -1, /**/ 2, 1, 1, -1, /**/ 2, 1, 1, -1, /**/ 2, 3, 2, -3] };
  const r = runOp1(meanKernel, { inputs: [input, axes([1, 2])], outputs: [{ dtype: 'int8', shape: [], quant: q(1) }], options: { keepDims: true } });
  assert.deepEqual(r.shape, [1, 1, 1, 4]);
  // sums 7, 6, 5, -6 over 4: 1.75→2, 1.5→2, 1.25→1, -1.5→-2
  assert.deepEqual(r.values, [2, 2, 1, -2]);
});

test('int8 MEAN with equal quantization truncates; otherwise float rescale', () => {
  const input = { dtype: 'int8' as const, shape: [2, 3], quant: q(0.5, 1), data: [1, 2, 3, -1, -2, -2] };
  const same = runOp1(meanKernel, { inputs: [input, axes([1])], outputs: [{ dtype: 'int8', shape: [], quant: q(0.5, 1) }] });
  assert.deepEqual(same.values, [2, -1]); // 6/3 = 2, -5/3 → -1
  const re = runOp1(meanKernel, {
    inputs: [{ dtype: 'int8', shape: [2, 2], quant: q(1, 0), data: [1, 2, -1, -2] }, axes([1])],
    outputs: [{ dtype: 'int8', shape: [], quant: q(2, 0) }],
  });
  assert.deepEqual(re.values, [1, -1]); // 0.75 → 1, -0.75 → -1
});

test('int8 SUM: equal quantization wraps like the int8 accumulator; rescaled sums round', () => {
  const input = { dtype: 'int8' as const, shape: [2], quant: q(1), data: [100, 100] };
  assert.deepEqual(runOp1(sumKernel, { inputs: [input, axes([0])], outputs: [{ dtype: 'int8', shape: [], quant: q(1) }] }).values, [-56]);
  assert.deepEqual(runOp1(sumKernel, { inputs: [input, axes([0])], outputs: [{ dtype: 'int8', shape: [], quant: q(4) }] }).values, [50]);
  assert.throws(() => runOp1(reduceMaxKernel, { inputs: [input, axes([0])], outputs: [{ dtype: 'int8', shape: [], quant: q(4) }] }), OpPrepareError);
});

test('float SOFTMAX with beta and LOG_SOFTMAX', () => {
  const x = [1, 2, 3, 0, 0, 0];
  const r = runOp1(softmaxKernel, { inputs: [{ dtype: 'float32', shape: [2, 3], data: x }], outputs: [{ dtype: 'float32', shape: [] }], options: { beta: 2 } });
  const e = [2, 4, 6].map(Math.exp);
  const z = e.reduce((a, b) => a + b);
  assertClose(r.values, [...e.map((v) => v / z), 1 / 3, 1 / 3, 1 / 3]);
  const l = runOp1(logSoftmaxKernel, { inputs: [{ dtype: 'float32', shape: [3], data: [1, 2, 3] }], outputs: [{ dtype: 'float32', shape: [] }] });
  const z1 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assertClose(l.values, [1 - z1, 2 - z1, 3 - z1]);
});

test('int8 SOFTMAX matches exp/sum on the 1/256 grid', () => {
  const x = [-128, -20, 0, 10, 20, 30, 30, 127];
  const r = runOp1(softmaxKernel, {
    inputs: [{ dtype: 'int8', shape: [1, 8], data: x, quant: q(0.1, 5) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(1 / 256, -128) }],
    options: { beta: 1 },
  });
  const e = x.map((v) => Math.exp(0.1 * (v - 127)));
  const z = e.reduce((a, b) => a + b);
  assert.deepEqual(r.values, e.map((v) => Math.min(127, Math.round((v / z) * 256) - 128)));
  assert.throws(() => runOp1(softmaxKernel, {
    inputs: [{ dtype: 'int8', shape: [2], data: [0, 0], quant: q(0.1) }], outputs: [{ dtype: 'int8', shape: [], quant: q(0.1) }],
  }), OpPrepareError);
});

test('QUANTIZE float→int8 rounds halves away from zero and saturates; int8→int8 requantizes', () => {
  const r = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [6], data: [0.5, -0.5, 1.5, -2.5, 1000, -1000] }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(1, 0) }],
  });
  assert.deepEqual(r.values, [1, -1, 2, -3, 127, -128]);
  const u = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [3], data: [0, 0.25, -1] }],
    outputs: [{ dtype: 'uint8', shape: [], quant: q(0.5, 128) }],
  });
  assert.deepEqual(u.values, [128, 129, 126]);
  const rq = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [4], data: [3, -3, 100, 1], quant: q(1, 1) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(2, -1) }],
  });
  // (3-1)/2=1, (-3-1)/2=-2, 99/2=49.5→50, 0 ; plus zero point -1
  assert.deepEqual(rq.values, [0, -3, 49, -1]);
});

test('DEQUANTIZE per-tensor, per-channel and float16', () => {
  const r = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [3], data: [-128, 0, 127], quant: q(0.5, -1) }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(r.values, [-63.5, 0.5, 64]);
  const pc = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [2, 2], data: [1, 2, 3, 4], quantization: { scale: [1, 10], zeroPoint: [0, 0], quantizedDimension: 1 } }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(pc.values, [1, 20, 3, 40]);
  const h = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'float16', shape: [4], data: [0x3c00, 0xc000, 0x3555, 0x7c00 - 0x10000] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assertClose(h.values, [1, -2, 0.333251953125, Infinity]);
});
