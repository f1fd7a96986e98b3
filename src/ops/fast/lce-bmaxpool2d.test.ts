// The wasm LceBMaxPool2d against the reference op, bit-exact, on random geometries (SAME/VALID, strides, odd
// sizes, awkward channel counts), with nothing written outside the output.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFlexIntMap } from '../../format/flexbuffer.js';
import { hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { bitpackedSize } from '../../reference/bitpack.js';
import { makeRng, pick, randInt } from '../../reference/lce-testutil.js';
import { Padding } from '../common.js';
import { lceBMaxPool2d } from '../lce-bmaxpool2d.js';
import { fastLceBMaxPool2d } from './lce-bmaxpool2d.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];

for (const isa of ISAS) {
  it(`fast LceBMaxPool2d equals the reference op on the ${isa} build (30 random geometries)`, async () => {
    const rng = makeRng(31);
    for (let i = 0; i < 30; i++) {
      const padding = pick(rng, [Padding.SAME, Padding.VALID]);
      const fh = randInt(rng, 1, 3);
      const fw = randInt(rng, 1, 3);
      const h = randInt(rng, fh, fh + 8);
      const w = randInt(rng, fw, fw + 8);
      const words = bitpackedSize(pick(rng, [1, 31, 32, 33, 65, 256]));
      const n = randInt(rng, 1, 2);
      const data = Int32Array.from({ length: n * h * w * words }, () => (Math.floor(rng() * 65536) | (Math.floor(rng() * 65536) << 16)) | 0);
      const options = encodeFlexIntMap({
        filter_height: fh, filter_width: fw, stride_height: randInt(rng, 1, 2), stride_width: randInt(rng, 1, 2), padding,
      });
      const r = await compareFastWithReference(fastLceBMaxPool2d, lceBMaxPool2d, options,
        [{ dtype: 'int32', shape: [n, h, w, words], data }], [{ dtype: 'int32', shape: [0, 0, 0, 0] }], { isa });
      assert.ok(r.guardsIntact, `case ${i}: wrote outside its output`);
      assert.deepEqual(r.fast[0], r.reference[0], `case ${i}`);
    }
  });
}
