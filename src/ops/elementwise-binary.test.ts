import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpPrepareError } from '../errors.js';
import { addKernel, divKernel, maximumKernel, mulKernel, squaredDifferenceKernel, subKernel } from './elementwise-binary.js';
import { assertClose, runOp1 } from './test-util.js';

const range = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));

test('ADD float broadcasts [2,1,3] + [4,1] to [2,4,3]', () => {
  const a = range(6, (i) => i * 1.5);
  const b = range(4, (i) => 10 * i);
  const r = runOp1(addKernel, {
    inputs: [{ dtype: 'float32', shape: [2, 1, 3], data: a }, { dtype: 'float32', shape: [4, 1], data: b }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(r.shape, [2, 4, 3]);
  const exp: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) exp.push(a[i * 3 + k]! + b[j]!);
  assertClose(r.values, exp);
});

test('ADD float rank-6 broadcast and a scalar operand', () => {
  const shape = [2, 1, 2, 1, 2, 1];
  const a = range(8, (i) => i);
  const r = runOp1(addKernel, {
    inputs: [{ dtype: 'float32', shape, data: a }, { dtype: 'float32', shape: [1, 3], data: [100, 200, 300] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(r.shape, [2, 1, 2, 1, 2, 3]);
  assert.deepEqual(r.values.slice(0, 6), [100, 200, 300, 101, 201, 301]);
  const s = runOp1(subKernel, {
    inputs: [{ dtype: 'float32', shape: [], data: [1] }, { dtype: 'float32', shape: [3], data: [1, 2, 3] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(s.shape, [3]);
  assert.deepEqual(s.values, [0, -1, -2]);
});

test('fused activations clamp float results', () => {
  const r = runOp1(mulKernel, {
    inputs: [{ dtype: 'float32', shape: [4], data: [-2, 1, 3, 10] }, { dtype: 'float32', shape: [1], data: [1] }],
    outputs: [{ dtype: 'float32', shape: [] }],
    options: { fusedActivationFunction: 3 },
  });
  assert.deepEqual(r.values, [0, 1, 3, 6]);
  const d = runOp1(divKernel, {
    inputs: [{ dtype: 'float32', shape: [2], data: [1, -3] }, { dtype: 'float32', shape: [2], data: [4, 2] }],
    outputs: [{ dtype: 'float32', shape: [] }],
    options: { fusedActivationFunction: 2 },
  });
  assert.deepEqual(d.values, [0.25, -1]);
});

test('SQUARED_DIFFERENCE and MAXIMUM', () => {
  const r = runOp1(squaredDifferenceKernel, {
    inputs: [{ dtype: 'float32', shape: [3], data: [1, 2, 3] }, { dtype: 'float32', shape: [3], data: [3, 2, -1] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(r.values, [4, 0, 16]);
  const m = runOp1(maximumKernel, {
    inputs: [{ dtype: 'int8', shape: [3], data: [-5, 7, 0], quant: { scale: 1, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1], data: [1], quant: { scale: 1, zeroPoint: 0 } }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
  });
  assert.deepEqual(m.values, [1, 7, 1]);
});

const q = (scale: number, zeroPoint = 0) => ({ scale, zeroPoint });

test('int8 ADD: ties round away from zero, saturation, offsets', () => {
  const run = (a: number[], b: number[], sa: number, sb: number, so: number, zo = 0, act = 0) => runOp1(addKernel, {
    inputs: [{ dtype: 'int8', shape: [a.length], data: a, quant: q(sa) }, { dtype: 'int8', shape: [b.length], data: b, quant: q(sb) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(so, zo) }],
    options: { fusedActivationFunction: act },
  }).values;
  // real sums 1, -1, 3, 254 on output scale 2: 0.5→1, -0.5→-1 (ties away from zero), 1.5→2, 127
  assert.deepEqual(run([1, -1, 3, 127], [0, 0, 0, 127], 1, 1, 2), [1, -1, 2, 127]);
  assert.deepEqual(run([127, -128], [127, -128], 1, 1, 1), [127, -128]);
  // different input scales: 10*0.5 + 4*0.25 = 6 on scale 0.5 → 12, with zero point 5 → 17
  assert.deepEqual(run([10], [4], 0.5, 0.25, 0.5, 5), [17]);
  // fused RELU on a quantized output clamps at the zero point
  assert.deepEqual(run([-10, 10], [0, 0], 1, 1, 1, 3, 1), [3, 13]);
});

test('int8 SUB and MUL follow TFLite fixed-point rounding', () => {
  const sub = runOp1(subKernel, {
    inputs: [{ dtype: 'int8', shape: [2], data: [0, 3], quant: q(1) }, { dtype: 'int8', shape: [2], data: [1, 0], quant: q(1) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(2) }],
  });
  assert.deepEqual(sub.values, [-1, 2]);
  const mul = runOp1(mulKernel, {
    inputs: [{ dtype: 'int8', shape: [4], data: [1, -1, 3, 100], quant: q(1) }, { dtype: 'int8', shape: [1], data: [1], quant: q(1) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(2) }],
  });
  // 0.5 → 1 but -0.5 → 0: SaturatingRoundingDoublingHighMul's nudge rounds halves up; 1.5 → 2; 50
  assert.deepEqual(mul.values, [1, 0, 2, 50]);
  const sat = runOp1(mulKernel, {
    inputs: [{ dtype: 'int8', shape: [2], data: [100, -100], quant: q(0.5, 0) }, { dtype: 'int8', shape: [1], data: [100], quant: q(0.5) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(0.25) }],
  });
  assert.deepEqual(sat.values, [127, -128]);
});

test('int8 ADD beyond the int16 range: LCE\'s vector lanes wrap to int16 before the clamp, its scalar tail does not', () => {
  // Expected values from LCE 0.16.0's interpreter on the same one-op models (output steps 500 to 16 000 times finer
  // than the inputs', so results leave the int16 range).
  const q = (scale: number, zeroPoint: number) => ({ scale: Math.fround(scale), zeroPoint });
  const add = (shape: number[], x: number[], kShape: number[], k: number[], qo: { scale: number; zeroPoint: number }) =>
    runOp1(addKernel, {
      inputs: [{ dtype: 'int8', shape, data: x, quant: q(1, 0) }, { dtype: 'int8', shape: kShape, data: k, quant: q(1, 0) }],
      outputs: [{ dtype: 'int8', shape: [], quant: qo }], options: { fusedActivationFunction: 0 },
    }).values;
  // same shapes, 16 lanes: (x + 1)·16 350 + 100 narrowed, e.g. 65 500 → −36
  assert.deepEqual(add([1, 16], [1, 2, 3, 4, -2, -1, 0, -3, -4, 6, 1, 2, 1, 2, 1, 2], [1, 16], range(16, () => 1), q(2 / 32700, 100)),
    [-128, -128, -36, 127, -128, 100, 127, -128, 127, -128, -128, -128, -128, -128, -128, -128]);
  // 40 000 steps everywhere: a scalar operand runs in blocks of 8 (16 lanes, 2 tail), a row broadcast in blocks of
  // 16 per row (16 lanes + 1 tail per row)
  const wrapped = (n: number) => range(n, () => -128);
  assert.deepEqual(add([2, 9], range(18, () => 20), [1], [20], q(0.001, 0)), [...wrapped(16), 127, 127]);
  assert.deepEqual(add([2, 17], range(34, () => 20), [1, 17], range(17, () => 20), q(0.001, 0)),
    [...wrapped(16), 127, ...wrapped(16), 127]);
});

test('int8 MUL beyond the int16 range: LCE\'s lanes saturate to int16, then add the zero point wrapping', () => {
  // Expected values from LCE 0.16.0's interpreter. Multiplier 3, output zero point 50: 110·110·3 = 36 300 → 32 767,
  // + 50 wraps to −32 719 → −128 in the lanes; the scalar tail clamps 36 350 → 127.
  const mul = (shape: number[], x: number[], kShape: number[], k: number[]) => runOp1(mulKernel, {
    inputs: [{ dtype: 'int8', shape, data: x, quant: { scale: 1, zeroPoint: 0 } }, { dtype: 'int8', shape: kShape, data: k, quant: { scale: 1, zeroPoint: 0 } }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: Math.fround(1 / 3), zeroPoint: 50 } }], options: { fusedActivationFunction: 0 },
  }).values;
  const x = [100, 110, 127, -128, 60, 90, 120, -100, 100, 110, 127, -128, 60, 90, 120, -100, 110, 127, 110, 127];
  assert.deepEqual(mul([1, 20], x, [1, 20], x),
    [127, -128, -128, -128, 127, 127, -128, 127, 127, -128, -128, -128, 127, 127, -128, 127, 127, 127, 127, 127]);
  // a scalar operand: blocks of 16 (not 8 as in ADD)
  assert.deepEqual(mul([2, 12], range(24, () => 110), [1], [110]), [...range(16, () => -128), ...range(8, () => 127)]);
});

test('incompatible shapes and unsupported dtypes are OpPrepareErrors', () => {
  assert.throws(() => runOp1(addKernel, {
    inputs: [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [4] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  }), (e: unknown) => e instanceof OpPrepareError && /do not broadcast/.test(e.message));
  assert.throws(() => runOp1(divKernel, {
    inputs: [{ dtype: 'int8', shape: [1], quant: q(1) }, { dtype: 'int8', shape: [1], quant: q(1) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(1) }],
  }), OpPrepareError);
});
