import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitpackedSize, int8UnpackValues, packBool, packFloat32, packInt8, popcount32, unpackBool, unpackFloat32,
  unpackInt8,
} from './bitpack.js';
import { makeRng, randInt } from './lce-testutil.js';

function naivePopcount(x: number): number {
  let n = 0;
  for (let i = 0; i < 32; i++) if ((x >>> i) & 1) n++;
  return n;
}

test('popcount32 matches bit-by-bit counting, including bit 31 and negative words', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(-1), 32);
  assert.equal(popcount32(0x80000000), 1);
  assert.equal(popcount32(-2147483648), 1);
  const rng = makeRng(7);
  for (let i = 0; i < 2000; i++) {
    const x = (rng() * 4294967296) | 0;
    assert.equal(popcount32(x), naivePopcount(x));
  }
});

test('bitpackedSize is ceil(C/32)', () => {
  assert.deepEqual([0, 1, 31, 32, 33, 64, 65].map(bitpackedSize), [0, 1, 1, 1, 2, 2, 3]);
});

test('§1.2 example: 35 channels pack to [0x00000002, 0x00000002]', () => {
  const x = new Float32Array(35).fill(1);
  x[0] = 0.3; x[1] = -2; x[2] = 0; x[33] = -1; x[34] = 1;
  const out = new Int32Array(2);
  packFloat32(x, 1, 35, out);
  assert.deepEqual([...out], [0x00000002, 0x00000002]);
});

test('§1.2 examples: 32 × −0.5 pack to −1, 32 × +0.5 pack to 0', () => {
  const out = new Int32Array(1);
  packFloat32(new Float32Array(32).fill(-0.5), 1, 32, out);
  assert.equal(out[0], -1);
  packFloat32(new Float32Array(32).fill(0.5), 1, 32, out);
  assert.equal(out[0], 0);
});

test('float rule: +0, −0 and NaN pack as +1 (portable x < 0), tiny negatives as −1', () => {
  const x = Float32Array.from([0, -0, NaN, -1e-38, 1e-38, -Infinity, Infinity]);
  const out = new Int32Array(1);
  packFloat32(x, 1, x.length, out);
  assert.equal(out[0], 0b0101000);
});

test('bit order: channel c sets bit c mod 32 of word c/32, and the byte stream is little-endian', () => {
  for (const c of [0, 7, 8, 31, 32, 63, 64, 70]) {
    const channels = 71;
    const x = new Float32Array(channels).fill(1);
    x[c] = -1;
    const out = new Int32Array(bitpackedSize(channels));
    packFloat32(x, 1, channels, out);
    const bytes = new Uint8Array(out.buffer);
    const byteIndex = Math.floor(c / 8);
    for (let i = 0; i < bytes.length; i++) assert.equal(bytes[i], i === byteIndex ? 1 << (c % 8) : 0, `channel ${c} byte ${i}`);
  }
});

test('rows start on fresh words and padding bits are always 0; unpack inverts pack', () => {
  const rng = makeRng(11);
  for (const channels of [1, 5, 31, 32, 33, 63, 64, 65, 100]) {
    const rows = randInt(rng, 1, 5);
    const words = bitpackedSize(channels);
    const x = new Float32Array(rows * channels);
    for (let i = 0; i < x.length; i++) x[i] = rng() * 2 - 1;
    const packed = new Int32Array(rows * words).fill(0x5a5a5a5a);
    packFloat32(x, rows, channels, packed);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < words * 32; c++) {
        const bit = (packed[r * words + (c >>> 5)]! >>> (c & 31)) & 1;
        const expected = c < channels && x[r * channels + c]! < 0 ? 1 : 0;
        assert.equal(bit, expected, `C=${channels} row ${r} channel ${c}`);
      }
    }
    const back = new Float32Array(rows * channels);
    unpackFloat32(packed, rows, channels, back);
    for (let i = 0; i < x.length; i++) assert.equal(back[i], x[i]! < 0 ? -1 : 1);
  }
});

test('int8 rule: bit = (q < zp); q == zp is +1; extreme zero points; padding bits stay 0', () => {
  const q = Int8Array.from([-128, -1, 0, 1, 5, 6, 127]);
  const out = new Int32Array(1);
  packInt8(q, 1, q.length, 5, out);
  assert.equal(out[0], 0b0001111); // −128, −1, 0, 1 are below 5; 5 itself is +1
  packInt8(q, 1, q.length, -128, out);
  assert.equal(out[0], 0, 'zp = −128: nothing is below it');
  packInt8(q, 1, q.length, -300, out);
  assert.equal(out[0], 0, 'zp < −128: all +1');
  packInt8(q, 1, q.length, 128, out);
  assert.equal(out[0], 0b1111111, 'zp > 127: every real bit is 1, padding bits 0');
  packInt8(q, 1, q.length, 127, out);
  assert.equal(out[0], 0b0111111);
  const wide = new Int8Array(40).fill(-100);
  const two = new Int32Array(2);
  packInt8(wide, 1, 40, 1000, two);
  assert.deepEqual([...two], [-1, 0xff]);
});

test('bool rule: false → −1 (bit 1), any non-zero byte → +1', () => {
  const b = Uint8Array.from([0, 1, 0, 2, 255, 0]);
  const out = new Int32Array(1);
  packBool(b, 1, b.length, out);
  assert.equal(out[0], 0b100101);
  const back = new Uint8Array(b.length);
  unpackBool(out, 1, b.length, back);
  assert.deepEqual([...back], [0, 1, 0, 1, 1, 0]);
});

test('int8 unpack: r = round(1/s) in float32 with halves away, saturated at the int8 range', () => {
  assert.deepEqual(int8UnpackValues(1 / 127, 0), { zeroBit: 127, oneBit: -127 });
  assert.deepEqual(int8UnpackValues(0.5, 3), { zeroBit: 5, oneBit: 1 });
  assert.deepEqual(int8UnpackValues(0.4, 0), { zeroBit: 3, oneBit: -3 }); // 1/0.4 = 2.5 → 3
  assert.deepEqual(int8UnpackValues(1 / 100, 50), { zeroBit: 127, oneBit: -50 });
  assert.deepEqual(int8UnpackValues(1 / 100, -50), { zeroBit: 50, oneBit: -128 });
  assert.deepEqual(int8UnpackValues(4, 0), { zeroBit: 0, oneBit: 0 }); // round(0.25) = 0
  const packed = Int32Array.from([0b1010]);
  const dst = new Int8Array(4);
  unpackInt8(packed, 1, 4, int8UnpackValues(0.5, 3), dst);
  assert.deepEqual([...dst], [5, 1, 5, 1]);
});

test('unpack never reads padding bits', () => {
  const packed = Int32Array.from([~0b1 | 0]); // junk in the padding bits
  const dst = new Float32Array(1);
  unpackFloat32(packed, 1, 1, dst);
  assert.deepEqual([...dst], [1]);
});
