import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { encodeFlexIntMap } from '../format/flexbuffer.js';
import { bitpackedSize, packFloat32 } from '../reference/bitpack.js';
import { makeRng, prepareCustomOp } from '../reference/lce-testutil.js';
import { lceBMaxPool2d } from './lce-bmaxpool2d.js';

test('LceBMaxPool2d through parse/prepare/eval: output resized, AND of window words', () => {
  // 3×3 image, 40 channels (2 words), 2×2 filter, stride 2, SAME → 2×2 output; windows clipped at the border.
  const rng = makeRng(61);
  const x = Float32Array.from({ length: 9 * 40 }, () => rng() - 0.8);
  const packed = new Int32Array(9 * 2);
  packFloat32(x, 9, 40, packed);
  const options = encodeFlexIntMap({ filter_height: 2, filter_width: 2, padding: 0, stride_height: 2, stride_width: 2 });
  const p = prepareCustomOp(lceBMaxPool2d, options, [{ dtype: 'int32', shape: [1, 3, 3, 2], data: packed }], [{ dtype: 'int32', shape: [0, 0, 0, 0] }]);
  assert.deepEqual(p.outputs[0]!.shape, [1, 2, 2, 2]);
  const out = p.run()[0] as Int32Array;
  // SAME with in 3, f 2, s 2: out 2, total padding 1, all of it after → windows rows {0,1} and {2}.
  const windows = [[0, 1], [2]];
  for (let oy = 0; oy < 2; oy++) for (let ox = 0; ox < 2; ox++) for (let c = 0; c < 64; c++) {
    let max = -Infinity;
    for (const iy of windows[oy]!) for (const ix of windows[ox]!) if (c < 40) max = Math.max(max, x[(iy * 3 + ix) * 40 + c]!);
    const bit = (out[(oy * 2 + ox) * 2 + (c >> 5)]! >>> (c & 31)) & 1;
    assert.equal(bit, c < 40 && max < 0 ? 1 : 0, `pixel ${oy},${ox} channel ${c}`);
  }
});

test('a missing padding key means SAME; VALID shrinks the output', () => {
  const rng = makeRng(62);
  for (const [padding, expected] of [[undefined, [2, 5, 4, 3]], [1, [2, 4, 3, 3]]] as const) {
    const h = 5; const w = 4; const words = bitpackedSize(70);
    const data = Int32Array.from({ length: 2 * h * w * words }, () => (rng() * 2 ** 32) | 0);
    const opts: Record<string, number> = { filter_height: 2, filter_width: 2, stride_height: 1, stride_width: 1 };
    if (padding !== undefined) opts['padding'] = padding;
    const p = prepareCustomOp(lceBMaxPool2d, encodeFlexIntMap(opts), [{ dtype: 'int32', shape: [2, h, w, words], data }], [{ dtype: 'int32', shape: [1, 1, 1, 1] }]);
    assert.deepEqual(p.outputs[0]!.shape, expected);
    const out = p.run()[0] as Int32Array;
    const [n, oh, ow] = expected;
    for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let k = 0; k < words; k++) {
      let acc = -1;
      for (let iy = oy; iy < Math.min(h, oy + 2); iy++) for (let ix = ox; ix < Math.min(w, ox + 2); ix++) acc &= data[((b * h + iy) * w + ix) * words + k]!;
      assert.equal(out[((b * oh + oy) * ow + ox) * words + k], acc);
    }
  }
});

test('refusals: zero or missing filter/stride, bad padding, rank, dtypes', () => {
  const good = { filter_height: 2, filter_width: 2, padding: 1, stride_height: 1, stride_width: 1 };
  const input = { dtype: 'int32' as const, shape: [1, 4, 4, 1], data: new Int32Array(16) };
  const out = [{ dtype: 'int32' as const, shape: [1, 1, 1, 1] }];
  const cases: [string, Uint8Array | undefined, Parameters<typeof prepareCustomOp>[2], Parameters<typeof prepareCustomOp>[3], RegExp][] = [
    ['filter 0', encodeFlexIntMap({ ...good, filter_width: 0 }), [input], out, /filter size must be ≥ 1, got 2×0/],
    ['no options', undefined, [input], out, /strides must be ≥ 1, got 0×0/],
    ['stride 0', encodeFlexIntMap({ ...good, stride_height: 0 }), [input], out, /strides must be ≥ 1/],
    ['padding 5', encodeFlexIntMap({ ...good, padding: 5 }), [input], out, /padding must be 0 \(SAME\) or 1 \(VALID\), got 5/],
    ['3-D input', encodeFlexIntMap(good), [{ ...input, shape: [4, 4, 1] }], out, /input 't0' must be 4-D/],
    ['float input', encodeFlexIntMap(good), [{ ...input, dtype: 'float32' }], out, /input 't0' has dtype float32/],
    ['float output', encodeFlexIntMap(good), [input], [{ dtype: 'float32', shape: [1] }], /output 't1' has dtype float32/],
  ];
  for (const [what, options, inputs, outputs, message] of cases) {
    assert.throws(() => prepareCustomOp(lceBMaxPool2d, options, inputs, outputs, 2), (e: unknown) => {
      assert.ok(e instanceof OpPrepareError, what);
      assert.match(e.message, /^LceBMaxPool2d \(op 2\): /, what);
      assert.match(e.message, message, what);
      return true;
    }, what);
  }
});
