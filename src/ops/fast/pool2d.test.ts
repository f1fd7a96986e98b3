// The wasm float MAX_POOL_2D and AVERAGE_POOL_2D (both bit-exact) against the reference ops on
// random geometries; int8 takes the reference path.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { makeRng, perTensor, pick, randInt } from '../../reference/lce-testutil.js';
import { Activation, Padding } from '../common.js';
import { averagePool2d } from '../average-pool2d.js';
import { maxPool2d } from '../max-pool2d.js';
import { fastAveragePool2d, fastMaxPool2d } from './pool2d.js';
import { assertEqualsReference, randomFloats } from './float-test-util.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];

for (const isa of ISAS) {
  it(`MAX_POOL_2D and AVERAGE_POOL_2D on the ${isa} build, 25 random geometries each`, async () => {
    const rng = makeRng(51);
    for (let i = 0; i < 25; i++) {
      const fh = randInt(rng, 1, 3);
      const fw = randInt(rng, 1, 3);
      const h = randInt(rng, fh, fh + 9);
      const w = randInt(rng, fw, fw + 9);
      const c = pick(rng, [1, 3, 16, 31, 33, 65]);
      const n = randInt(rng, 1, 2);
      const input = { dtype: 'float32' as const, shape: [n, h, w, c], data: randomFloats(rng, n * h * w * c, 5) };
      const builtinOptions = {
        padding: pick(rng, [Padding.SAME, Padding.VALID]), strideH: randInt(rng, 1, 2), strideW: randInt(rng, 1, 2),
        filterHeight: fh, filterWidth: fw, fusedActivationFunction: pick(rng, [Activation.NONE, Activation.RELU, Activation.RELU6]),
      };
      const out = [{ dtype: 'float32' as const, shape: [0, 0, 0, 0] }];
      const mx = await compareFastWithReference(fastMaxPool2d, maxPool2d, undefined, [input], out, { isa, builtinOptions });
      assert.ok(mx.state.kernel && mx.guardsIntact, `max case ${i}`);
      assert.deepEqual(mx.fast[0], mx.reference[0], `max case ${i}`);
      const av = await compareFastWithReference(fastAveragePool2d, averagePool2d, undefined, [input], out, { isa, builtinOptions });
      assert.ok(av.state.kernel && av.guardsIntact, `average case ${i}`);
      assertEqualsReference(av.fast[0]!, av.reference[0]!, `average case ${i}`);
    }
  });
}

it('int8 pooling runs the reference kernel', async () => {
  const q = perTensor(0.1, 2);
  const r = await compareFastWithReference(fastMaxPool2d, maxPool2d, undefined,
    [{ dtype: 'int8', shape: [1, 4, 4, 2], data: Int8Array.from({ length: 32 }, (_, i) => i * 7 - 100), quantization: q }],
    [{ dtype: 'int8', shape: [0, 0, 0, 0], quantization: q }],
    { builtinOptions: { padding: Padding.VALID, strideH: 2, strideW: 2, filterHeight: 2, filterWidth: 2 } });
  assert.equal(r.state.kernel, null);
  assert.deepEqual(r.fast[0], r.reference[0]);
});
