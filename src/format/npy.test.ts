import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NpyFormatError, parseNpy, writeNpy, type NpyArray } from './npy.js';
import { LceError } from '../errors.js';

// Files written by numpy 1.26.4 `np.save` (base64), so the reader is checked against the real writer.
const NUMPY = {
  f32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAAAAAAFBAAAAAgG8Sgzo=',
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAAH8=',
  bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAB',
  f64scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAEQA==',
  i64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//////////wAAAAAAAQAA',
  u8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/w==',
  i32v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMSwgMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAQAAAAIAAAADAAAABAAAAAUAAAA=',
  bigf4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAQAAAAA==',
  fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  empty: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  f16: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA',
};
const bytes = (k: keyof typeof NUMPY) => new Uint8Array(Buffer.from(NUMPY[k], 'base64'));

test('reads numpy float32 2-D arrays, including -0', () => {
  const a = parseNpy(bytes('f32'));
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [2, 3]);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual(Array.from(a.data as Float32Array), [1.5, -2, 0, 3.25, -0, Math.fround(1e-3)]);
  assert.ok(Object.is((a.data as Float32Array)[4], -0));
});

test('reads int8, uint8, bool, int64, float64 scalars and version 2.0 headers', () => {
  assert.deepEqual(Array.from(parseNpy(bytes('i8')).data as Int8Array), [-128, 0, 127]);
  assert.deepEqual(Array.from(parseNpy(bytes('u8')).data as Uint8Array), [0, 255]);
  const b = parseNpy(bytes('bool'));
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(Array.from(b.data as Uint8Array), [1, 0, 0, 1]);
  const i64 = parseNpy(bytes('i64'));
  assert.deepEqual(Array.from(i64.data as BigInt64Array), [-1n, 2n ** 40n]);
  const s = parseNpy(bytes('f64scalar'));
  assert.deepEqual(s.shape, []);
  assert.deepEqual(Array.from(s.data as Float64Array), [2.5]);
  const v2 = parseNpy(bytes('i32v2'));
  assert.deepEqual(v2.shape, [1, 2, 3]);
  assert.deepEqual(Array.from(v2.data as Int32Array), [0, 1, 2, 3, 4, 5]);
  const e = parseNpy(bytes('empty'));
  assert.deepEqual(e.shape, [0, 3]);
  assert.equal(e.data.length, 0);
});

test('refuses big-endian, fortran order, unsupported dtypes and damaged files with a typed error', () => {
  const refuses = (b: Uint8Array, re: RegExp) =>
    assert.throws(() => parseNpy(b), (err: unknown) => err instanceof NpyFormatError && err instanceof LceError && re.test(err.message));
  refuses(bytes('bigf4'), /big-endian/);
  refuses(bytes('fortran'), /fortran_order/);
  refuses(bytes('f16'), /unsupported dtype '<f2'/);
  refuses(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /magic/);
  const f32 = bytes('f32');
  refuses(f32.subarray(0, f32.length - 1), /truncated/);
  refuses(f32.subarray(0, 40), /truncated header/);
});

test('writeNpy produces exactly the bytes numpy writes', () => {
  for (const k of ['f32', 'i8', 'bool', 'f64scalar', 'i64', 'u8', 'empty'] as const) {
    const a = parseNpy(bytes(k));
    assert.deepEqual(Buffer.from(writeNpy(a)).toString('base64'), NUMPY[k], k);
  }
});

test('round-trips random arrays of every dtype and awkward shapes', () => {
  const cases: NpyArray[] = [
    { dtype: 'float32', shape: [1, 7, 5, 33], data: Float32Array.from({ length: 1155 }, (_, i) => Math.sin(i) * 1e3) },
    { dtype: 'int32', shape: [3, 1], data: Int32Array.from([-2147483648, 0, 2147483647]) },
    { dtype: 'float64', shape: [2], data: Float64Array.from([Number.MIN_VALUE, -Infinity]) },
    { dtype: 'uint8', shape: [0], data: new Uint8Array(0) },
  ];
  for (const c of cases) {
    const back = parseNpy(writeNpy(c));
    assert.equal(back.dtype, c.dtype);
    assert.deepEqual(back.shape, c.shape);
    assert.deepEqual(Array.from(back.data as ArrayLike<number>), Array.from(c.data as ArrayLike<number>));
  }
  // A view into a larger buffer is written from its own offset.
  const big = Float32Array.from([9, 1, 2, 9]);
  const back = parseNpy(writeNpy({ dtype: 'float32', shape: [2], data: big.subarray(1, 3) }));
  assert.deepEqual(Array.from(back.data as Float32Array), [1, 2]);
});

test('writeNpy refuses inconsistent arrays', () => {
  assert.throws(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }), NpyFormatError);
  assert.throws(() => writeNpy({ dtype: 'int8', shape: [2], data: new Uint8Array(2) }), /expected Int8Array/);
  assert.throws(() => writeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(0) }), /bad dimension/);
});
