// The wasm float ADD and MUL against the reference ops, bit for bit: same shapes, per-channel and scalar
// broadcasts on either side, every clamp; other broadcasts and int8 take the reference path.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { makeRng, perTensor, pick } from '../../reference/lce-testutil.js';
import { Activation } from '../common.js';
import { addKernel, mulKernel } from '../elementwise-binary.js';
import { fastAdd, fastMul } from './elementwise-binary.js';
import { randomFloats } from './float-test-util.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

for (const isa of ISAS) {
  it(`ADD and MUL on the ${isa} build: same shape, per-channel and scalar broadcast on either side`, async () => {
    const rng = makeRng(61);
    for (const c of [1, 3, 31, 64, 65]) {
      const full = [2, 3, 5, c];
      for (const [sa, sb] of [[full, full], [full, [c]], [[1, 1, 1, c], full], [full, [1]], [[], full], [[5, c], [1, 5, c]]]) {
        for (const act of [Activation.NONE, Activation.RELU, Activation.RELU_N1_TO_1]) {
          const inputs = [
            { dtype: 'float32' as const, shape: sa!, data: randomFloats(rng, size(sa!), 3) },
            { dtype: 'float32' as const, shape: sb!, data: randomFloats(rng, size(sb!), 3) },
          ];
          for (const [fast, ref, name] of [[fastAdd, addKernel, 'ADD'], [fastMul, mulKernel, 'MUL']] as const) {
            const r = await compareFastWithReference(fast, ref, undefined, inputs, [{ dtype: 'float32', shape: [] }],
              { isa, builtinOptions: { fusedActivationFunction: act } });
            const what = `${name} [${sa}] [${sb}] act ${act}`;
            assert.ok(r.state.args, `${what}: the wasm kernel ran`);
            assert.ok(r.guardsIntact, `${what}: wrote outside its output`);
            assert.deepEqual(r.fast[0], r.reference[0], what);
          }
        }
      }
    }
  });
}

it('general broadcasts and int8 run the reference kernel', async () => {
  const rng = makeRng(62);
  const general = await compareFastWithReference(fastAdd, addKernel, undefined, [
    { dtype: 'float32', shape: [2, 1, 4], data: randomFloats(rng, 8) },
    { dtype: 'float32', shape: [1, 3, 1], data: randomFloats(rng, 3) },
  ], [{ dtype: 'float32', shape: [] }], { builtinOptions: { fusedActivationFunction: pick(rng, [0, 1]) } });
  assert.equal(general.state.args, null);
  assert.deepEqual(general.fast[0], general.reference[0]);
  const q = perTensor(0.1, 1);
  const int8 = await compareFastWithReference(fastAdd, addKernel, undefined, [
    { dtype: 'int8', shape: [4], data: Int8Array.from([1, -5, 100, 127]), quantization: q },
    { dtype: 'int8', shape: [4], data: Int8Array.from([3, 9, 100, -128]), quantization: q },
  ], [{ dtype: 'int8', shape: [], quantization: perTensor(0.2, 0) }]);
  assert.equal(int8.state.args, null);
  assert.deepEqual(int8.fast[0], int8.reference[0]);
});
