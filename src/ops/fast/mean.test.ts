// The wasm MEAN over H,W against the reference op (float sums within tolerance), keepDims both ways and negative
// axes; other axes take the reference path.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { makeRng, pick, randInt } from '../../reference/lce-testutil.js';
import { meanKernel } from '../reduce.js';
import { fastMean } from './mean.js';
import { assertCloseToReference, randomFloats } from './float-test-util.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];

for (const isa of ISAS) {
  it(`MEAN over H,W on the ${isa} build`, async () => {
    const rng = makeRng(71);
    for (let i = 0; i < 16; i++) {
      const shape = [randInt(rng, 1, 2), randInt(rng, 1, 9), randInt(rng, 1, 9), pick(rng, [1, 3, 31, 64, 65])];
      const axes = pick(rng, [[1, 2], [2, 1], [-3, -2], [1, -2]]);
      const keepDims = rng() < 0.5;
      const r = await compareFastWithReference(fastMean, meanKernel, undefined, [
        { dtype: 'float32', shape, data: randomFloats(rng, shape.reduce((a, b) => a * b, 1), 4) },
        { dtype: 'int32', shape: [2], data: Int32Array.from(axes), constant: true },
      ], [{ dtype: 'float32', shape: [] }], { isa, builtinOptions: { keepDims } });
      assert.ok(r.state.args, `case ${i}: the wasm kernel ran`);
      assert.ok(r.guardsIntact, `case ${i}: wrote outside its output`);
      assertCloseToReference(r.fast[0]!, r.reference[0]!, `MEAN [${shape}] axes ${axes}`);
    }
  });
}

it('MEAN over other axes runs the reference kernel', async () => {
  const rng = makeRng(72);
  const r = await compareFastWithReference(fastMean, meanKernel, undefined, [
    { dtype: 'float32', shape: [2, 3, 4, 5], data: randomFloats(rng, 120) },
    { dtype: 'int32', shape: [1], data: Int32Array.from([3]), constant: true },
  ], [{ dtype: 'float32', shape: [] }], { builtinOptions: { keepDims: false } });
  assert.equal(r.state.args, null);
  assert.deepEqual(r.fast[0], r.reference[0]);
});
