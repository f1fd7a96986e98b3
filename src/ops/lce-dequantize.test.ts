import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { perTensor, prepareCustomOp } from '../reference/lce-testutil.js';
import { lceDequantize } from './lce-dequantize.js';

// Two rows of 35 channels: row 0 has channels 1 and 33 negative (§1.2 example), row 1 has junk padding bits.
const packed = Int32Array.from([0x00000002, 0x00000002, -1, ~0x7 | 0x5]);

test('int32 → float32 ±1, padding bits ignored, output not resized', () => {
  const p = prepareCustomOp(lceDequantize, undefined, [{ dtype: 'int32', shape: [2, 2], data: packed }], [{ dtype: 'float32', shape: [2, 35] }]);
  assert.deepEqual(p.outputs[0]!.shape, [2, 35]);
  const out = [...(p.run()[0] as Float32Array)];
  const row0 = new Array(35).fill(1);
  row0[1] = -1; row0[33] = -1;
  const row1 = new Array(35).fill(-1);
  row1[33] = 1;
  assert.deepEqual(out, [...row0, ...row1]);
});

test('int32 → int8 with r = round(1/scale), saturated; int32 → bool', () => {
  const p = prepareCustomOp(lceDequantize, undefined, [{ dtype: 'int32', shape: [1, 1], data: Int32Array.from([0b01]) }],
    [{ dtype: 'int8', shape: [1, 2], quantization: perTensor(1 / 100, 40) }]);
  assert.deepEqual([...(p.run()[0] as Int8Array)], [-60, 127]);
  const b = prepareCustomOp(lceDequantize, undefined, [{ dtype: 'int32', shape: [1], data: Int32Array.from([0b101]) }], [{ dtype: 'bool', shape: [3] }]);
  assert.deepEqual([...(b.run()[0] as Uint8Array)], [0, 1, 0]);
});

test('refusals: packed size vs channels, leading axes, ranks, dtypes, int8 without scale', () => {
  const input = { dtype: 'int32' as const, shape: [2, 2], data: packed };
  const cases: [string, Parameters<typeof prepareCustomOp>[2], Parameters<typeof prepareCustomOp>[3], RegExp][] = [
    ['too few words', [input], [{ dtype: 'float32', shape: [2, 65] }], /65 output channels need 3/],
    ['too many words', [input], [{ dtype: 'float32', shape: [2, 32] }], /32 output channels need 1/],
    ['leading axis', [input], [{ dtype: 'float32', shape: [3, 35] }], /on axis 0/],
    ['rank', [input], [{ dtype: 'float32', shape: [70] }], /rank 1.*rank 2/],
    ['input dtype', [{ dtype: 'float32', shape: [2, 2] }], [{ dtype: 'float32', shape: [2, 35] }], /input 't0' has dtype float32/],
    ['output dtype', [input], [{ dtype: 'int32', shape: [2, 35] }], /output 't1' has dtype int32/],
    ['int8 no quantization', [input], [{ dtype: 'int8', shape: [2, 35] }], /needs quantization parameters/],
    ['int8 zero scale', [input], [{ dtype: 'int8', shape: [2, 35], quantization: perTensor(0, 0) }], /invalid scale 0/],
  ];
  for (const [what, inputs, outputs, message] of cases) {
    assert.throws(() => prepareCustomOp(lceDequantize, undefined, inputs, outputs, 4), (e: unknown) => {
      assert.ok(e instanceof OpPrepareError, what);
      assert.match(e.message, /^LceDequantize \(op 4\): /, what);
      assert.match(e.message, message, what);
      return true;
    });
  }
});
