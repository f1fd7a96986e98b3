import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpPrepareError } from '../errors.js';
import {
  hardSwishKernel, leakyReluKernel, logisticKernel, preluKernel, relu6Kernel, reluKernel, reluN1To1Kernel, tanhKernel,
} from './activations.js';
import { absKernel, castKernel, negKernel, rsqrtKernel } from './elementwise-unary.js';
import { assertClose, runOp1 } from './test-util.js';

const f = (data: number[], shape = [data.length]) => ({ dtype: 'float32' as const, shape, data });
const out = { dtype: 'float32' as const, shape: [] };
const xs = [-7, -1.5, -0.5, 0, 0.25, 1, 2.5, 6.5];

test('float ReLU family, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH', () => {
  assert.deepEqual(runOp1(reluKernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map((x) => Math.max(0, x)));
  assert.deepEqual(runOp1(relu6Kernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map((x) => Math.min(6, Math.max(0, x))));
  assert.deepEqual(runOp1(reluN1To1Kernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map((x) => Math.min(1, Math.max(-1, x))));
  assertClose(runOp1(leakyReluKernel, { inputs: [f(xs)], outputs: [out], options: { alpha: 0.2 } }).values, xs.map((x) => (x > 0 ? x : 0.2 * x)));
  assertClose(runOp1(hardSwishKernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map((x) => (x * Math.min(6, Math.max(0, x + 3))) / 6));
  assertClose(runOp1(logisticKernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map((x) => 1 / (1 + Math.exp(-x))));
  assertClose(runOp1(tanhKernel, { inputs: [f(xs)], outputs: [out] }).values, xs.map(Math.tanh));
});

test('PRELU broadcasts alpha over the channel axis', () => {
  const x = [-1, -2, 3, 4, -5, -6];
  const r = runOp1(preluKernel, { inputs: [f(x, [1, 2, 3]), f([0.5, 1, 2], [3])], outputs: [out] });
  assert.deepEqual(r.shape, [1, 2, 3]);
  assert.deepEqual(r.values, [-0.5, -2, 3, 4, -5, -12]);
});

const i8 = (data: number[], scale: number, zeroPoint: number) => ({ dtype: 'int8' as const, shape: [data.length], data, quant: { scale, zeroPoint } });
const o8 = (scale: number, zeroPoint: number) => ({ dtype: 'int8' as const, shape: [], quant: { scale, zeroPoint } });
const all8 = Array.from({ length: 256 }, (_, i) => i - 128);
const roundAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

test('int8 LOGISTIC and TANH use the float-built lookup table', () => {
  const lg = runOp1(logisticKernel, { inputs: [i8(all8, 0.1, 3)], outputs: [o8(1 / 256, -128)] });
  const expLg = all8.map((v) => Math.max(-128, Math.min(127, roundAway(256 / (1 + Math.exp(-0.1 * (v - 3)))) - 128)));
  assert.deepEqual(lg.values, expLg);
  const th = runOp1(tanhKernel, { inputs: [i8(all8, 0.05, -2)], outputs: [o8(1 / 128, 0)] });
  assert.deepEqual(th.values, all8.map((v) => Math.max(-128, Math.min(127, roundAway(128 * Math.tanh(0.05 * (v + 2)))))));
  assert.throws(() => runOp1(logisticKernel, { inputs: [i8([0], 0.1, 0)], outputs: [o8(0.01, 0)] }), OpPrepareError);
});

test('int8 RELU / RELU6 requantize and clamp at the quantized bounds', () => {
  const r = runOp1(reluKernel, { inputs: [i8([-128, 9, 10, 11, 127], 0.5, 10)], outputs: [o8(0.5, 10)] });
  assert.deepEqual(r.values, [10, 10, 10, 11, 127]);
  // scale 0.25 → 6.0 is 24 steps above the zero point
  const r6 = runOp1(relu6Kernel, { inputs: [i8([-5, 0, 12, 24, 30], 0.25, 0)], outputs: [o8(0.25, 0)] });
  assert.deepEqual(r6.values, [0, 0, 12, 24, 24]);
  // rescale to a coarser output: 3 * 0.5 / 1 = 1.5 → 2, 1 * 0.5 = 0.5 → 1 (SRDHM rounds half up)
  const rs = runOp1(reluKernel, { inputs: [i8([3, 1], 0.5, 0)], outputs: [o8(1, 0)] });
  assert.deepEqual(rs.values, [2, 1]);
});

test('int8 LEAKY_RELU uses separate identity and alpha multipliers', () => {
  const r = runOp1(leakyReluKernel, { inputs: [i8([-3, -4, 3, 127, -128], 1, 0)], outputs: [o8(1, 0)], options: { alpha: 0.5 } });
  // -1.5 → -1 (SaturatingRoundingDoublingHighMul nudges halves toward +inf), -2, identity 3, 127, -64
  assert.deepEqual(r.values, [-1, -2, 3, 127, -64]);
});

test('int8 HARD_SWISH stays within one step of the float function', () => {
  const si = 0.05, zi = -10, so = 0.04, zo = -50;
  const r = runOp1(hardSwishKernel, { inputs: [i8(all8, si, zi)], outputs: [o8(so, zo)] });
  all8.forEach((v, i) => {
    const x = si * (v - zi);
    const want = Math.max(-128, Math.min(127, roundAway((x * Math.min(6, Math.max(0, x + 3))) / 6 / so) + zo));
    assert.ok(Math.abs(r.values[i]! - want) <= 1, `q=${v}: got ${r.values[i]}, float says ${want}`);
  });
  // exact at the origin and deep in the linear region
  assert.equal(r.values[128 + zi], zo);
});

test('unary math and CAST', () => {
  assertClose(runOp1(rsqrtKernel, { inputs: [f([4, 0.25])], outputs: [out] }).values, [0.5, 2]);
  assert.deepEqual(runOp1(absKernel, { inputs: [{ dtype: 'int32', shape: [2], data: [-3, 4] }], outputs: [{ dtype: 'int32', shape: [] }] }).values, [3, 4]);
  assert.deepEqual(runOp1(negKernel, { inputs: [f([1, -2])], outputs: [out] }).values, [-1, 2]);
  const c = runOp1(castKernel, { inputs: [f([-1.7, 2.9, 300, 0])], outputs: [{ dtype: 'int32', shape: [] }] });
  assert.deepEqual(c.values, [-1, 2, 300, 0]);
  const b = runOp1(castKernel, { inputs: [f([-1.7, 0])], outputs: [{ dtype: 'bool', shape: [] }] });
  assert.deepEqual(b.values, [1, 0]);
  const u = runOp1(castKernel, { inputs: [{ dtype: 'int32', shape: [2], data: [300, -1] }], outputs: [{ dtype: 'uint8', shape: [] }] });
  assert.deepEqual(u.values, [44, 255]);
  const l = runOp1(castKernel, { inputs: [{ dtype: 'int64', shape: [1], data: [5n] }], outputs: [{ dtype: 'float32', shape: [] }] });
  assert.deepEqual(l.values, [5]);
});
