import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { makeRng, perTensor, prepareCustomOp } from '../reference/lce-testutil.js';
import { lceQuantize } from './lce-quantize.js';

test('float32 [2, 3, 35] → int32 [2, 3, 2]: output resized, §1.2 example row, padding bits 0', () => {
  const rng = makeRng(31);
  const x = Float32Array.from({ length: 2 * 3 * 35 }, () => rng() * 2 - 1);
  const example = [0.3, -2, 0, ...new Array(30).fill(1), -1, 1];
  x.set(example, 35 * 4);
  const p = prepareCustomOp(lceQuantize, new Uint8Array(0), [{ dtype: 'float32', shape: [2, 3, 35], data: x }], [{ dtype: 'int32', shape: [0, 0, 0] }]);
  assert.deepEqual(p.outputs[0]!.shape, [2, 3, 2]);
  const out = p.run()[0] as Int32Array;
  assert.deepEqual([out[8], out[9]], [0x00000002, 0x00000002]);
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 64; c++) {
      const bit = (out[r * 2 + (c >> 5)]! >>> (c & 31)) & 1;
      assert.equal(bit, c < 35 && x[r * 35 + c]! < 0 ? 1 : 0);
    }
  }
});

test('int8 input uses only the zero point: bit = q < zp', () => {
  const q = Int8Array.from([-128, 9, 10, 11, 127, -5]);
  const p = prepareCustomOp(lceQuantize, undefined, [{ dtype: 'int8', shape: [1, 6], data: q, quantization: perTensor(0.7, 10) }], [{ dtype: 'int32', shape: [1, 1] }]);
  assert.deepEqual([...(p.run()[0] as Int32Array)], [0b100011]);
  const noQuant = prepareCustomOp(lceQuantize, undefined, [{ dtype: 'int8', shape: [6], data: q }], [{ dtype: 'int32', shape: [1] }]);
  assert.deepEqual([...(noQuant.run()[0] as Int32Array)], [0b100001]);
});

test('bool input: false → bit 1, true → bit 0', () => {
  const b = Uint8Array.from([1, 0, 0, 1, 3]);
  const p = prepareCustomOp(lceQuantize, undefined, [{ dtype: 'bool', shape: [5], data: b }], [{ dtype: 'int32', shape: [1] }]);
  assert.deepEqual([...(p.run()[0] as Int32Array)], [0b00110]);
});

test('refusals: wrong dtypes, rank mismatch, rank 0 — OpPrepareError naming op and index', () => {
  const cases: [string, Parameters<typeof prepareCustomOp>[2], Parameters<typeof prepareCustomOp>[3], RegExp][] = [
    ['int32 input', [{ dtype: 'int32', shape: [4] }], [{ dtype: 'int32', shape: [1] }], /input 't0' has dtype int32/],
    ['float output', [{ dtype: 'float32', shape: [4] }], [{ dtype: 'float32', shape: [1] }], /output 't1' has dtype float32/],
    ['rank mismatch', [{ dtype: 'float32', shape: [2, 4] }], [{ dtype: 'int32', shape: [1] }], /rank 1.*rank 2/],
    ['rank 0', [{ dtype: 'float32', shape: [] }], [{ dtype: 'int32', shape: [] }], /rank ≥ 1/],
    ['two inputs', [{ dtype: 'float32', shape: [4] }, { dtype: 'float32', shape: [4] }], [{ dtype: 'int32', shape: [1] }], /expects 1 inputs/],
  ];
  for (const [what, inputs, outputs, message] of cases) {
    assert.throws(() => prepareCustomOp(lceQuantize, undefined, inputs, outputs, 7), (e: unknown) => {
      assert.ok(e instanceof OpPrepareError, what);
      assert.match(e.message, /^LceQuantize \(op 7\): /, what);
      assert.match(e.message, message, what);
      return true;
    });
  }
});
