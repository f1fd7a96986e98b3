import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlexMap, encodeFlexIntMap, flexInt } from './flexbuffer.js';
import { ModelFormatError } from '../errors.js';

// lce-ops.md §2.3: the exact bytes LCE writes for an LceBconv2d (channels_in=3, VALID, strides/dilations 1).
const LCE_BCONV_OPTIONS_HEX =
  '6368616E6E656C735F696E00' + '64696C6174696F6E5F6865696768745F666163746F7200' +
  '64696C6174696F6E5F77696474685F666163746F7200' + '66757365645F61637469766174696F6E5F66756E6374696F6E00' +
  '7061645F76616C75657300' + '70616464696E6700' + '7374726964655F68656967687400' + '7374726964655F776964746800' +
  '08' + '8277614C33292215' + '08' + '01' + '08' + '0301010000010101' + '0404040404040404' + '10' + '24' + '01';

const options = {
  channels_in: 3, dilation_height_factor: 1, dilation_width_factor: 1, fused_activation_function: 0,
  pad_values: 0, padding: 1, stride_height: 1, stride_width: 1,
};

test('encodes LceBconv2d options byte-exactly as LCE', () => {
  assert.equal(Buffer.from(encodeFlexIntMap(options)).toString('hex').toUpperCase(), LCE_BCONV_OPTIONS_HEX);
});

test('decodes LCE bytes back to the same map', () => {
  const bytes = Uint8Array.from(Buffer.from(LCE_BCONV_OPTIONS_HEX, 'hex'));
  assert.deepEqual(decodeFlexMap(bytes, 'op 0'), options);
});

test('a value of 256 widens the whole map to 2-byte values and still round-trips', () => {
  const wide = { ...options, channels_in: 256 };
  const bytes = encodeFlexIntMap(wide);
  assert.ok(bytes.length > 160);
  assert.deepEqual(decodeFlexMap(bytes, 'op 0'), wide);
});

test('2-byte maps store every value type as 16-bit INT (0x05), as LCE\'s C++ builder does', () => {
  // An LceBconv2d of the corpus's zoo/BinaryDenseNet37Dilated lce.tflite (channels_in = 160).
  const lce = '6368616e6e656c735f696e0064696c6174696f6e5f6865696768745f666163746f720064696c6174696f6e5f77696474685f666163746f72'
    + '0066757365645f61637469766174696f6e5f66756e6374696f6e007061645f76616c7565730070616464696e67007374726964655f686569676874'
    + '007374726964655f776964746800088277614c33292215080001000800a00001000100000000000000010001000505050505050505182501';
  const bytes = Uint8Array.from(Buffer.from(lce, 'hex'));
  const map = decodeFlexMap(bytes, 'op 0');
  assert.equal(map.channels_in, 160);
  assert.equal(Buffer.from(encodeFlexIntMap(map as Record<string, number>)).toString('hex'), lce);
});

test('flexInt reads like AsInt32', () => {
  assert.equal(flexInt({ a: 3.9 }, 'a'), 3);
  assert.equal(flexInt({ a: true }, 'a'), 1);
  assert.equal(flexInt({ a: '12' }, 'a'), 12);
  assert.equal(flexInt({}, 'a'), undefined);
});

test('garbage is a ModelFormatError, not a crash', () => {
  for (const bytes of [new Uint8Array(0), new Uint8Array([1, 2]), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x24, 0x01]), Uint8Array.from([1, 4, 1])]) {
    assert.throws(() => decodeFlexMap(bytes, 'op 7'), ModelFormatError);
  }
});
