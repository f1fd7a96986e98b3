// QUANTIZE / DEQUANTIZE as TFLite's optimized kernels compute them (the real LCE interpreter, TF 2.16 x86): whole
// blocks of 8 elements take the vector path, the rest the scalar one. Values below were read from that interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantizeKernel, quantizeKernel } from './quantize.js';
import { runOp1 } from './test-util.js';

const LCE_SCALE = 0.0235294122248888; // int8_internal_bnn's input quantization, zero point −1

test('QUANTIZE float→int8: blocks of 8 multiply by float32(1/scale) and round half to even; the tail divides', () => {
  const ties = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 4.5];
  const r = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [11], data: [...ties, 2.5, -2.5, 0.5] }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
  });
  assert.deepEqual(r.values, [0, 2, 2, 0, -2, -2, 4, 4, 3, -3, 1]);
  // 1.847058892250061 / scale = 78.5000014 (→ 79 scalar), but x·float32(1/scale) rounds to 78.5 in float32 (→ 78)
  const x = 1.847058892250061;
  const v = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [9], data: [x, x, x, x, x, x, x, x, x] }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: LCE_SCALE, zeroPoint: -1 } }],
  });
  assert.deepEqual(v.values, [77, 77, 77, 77, 77, 77, 77, 77, 78]);
});

test('DEQUANTIZE int8 per tensor: blocks of 8 add float32(−zp·scale) to float32(x·scale); the tail rounds once', () => {
  const x = [-3, -3, -3, -3, -3, -3, -3, -3, -3, -3];
  const r = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [10], data: x, quant: { scale: LCE_SCALE, zeroPoint: -1 } }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  const f = Math.fround;
  const vector = f(f(-3 * f(LCE_SCALE)) + f(LCE_SCALE));
  const scalar = f(LCE_SCALE * -2);
  assert.notEqual(vector, scalar); // the case LCE's output 1 of int8_internal_bnn sample 0 shows
  assert.deepEqual(r.values, [...Array<number>(8).fill(vector), scalar, scalar]);
});
