// The wasm float ADD and MUL against the reference ops, bit for bit: same shapes, per-channel and scalar
// broadcasts on either side, every clamp; other broadcasts and int8 take the reference path. The descriptor-driven
// row kernel of fused convolution + ADD steps against f32_add.
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
import { WasmKernels, prepareF32AddPack, runF32Binary, setF32AddPackIo } from '../../backend/wasm.js';
import { nodeKernelLoader } from '../../backend/node-loader.js';

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

for (const isa of ISAS) {
  it(`f32_add_rows (the ADD of fused LceBconv2d + ADD steps) on the ${isa} build equals f32_add on every row range`, async () => {
    const w = await WasmKernels.load({ loader: nodeKernelLoader, isa });
    const rng = makeRng(63);
    for (const channels of [1, 3, 31, 64, 65]) {
      for (const broadcast of [false, true]) {
        for (const [actMin, actMax] of [[-Infinity, Infinity], [0, Infinity], [-1, 1]] as const) {
          const rows = 37;
          const a = w.put(randomFloats(rng, rows * channels, 3));
          const b = w.put(randomFloats(rng, (broadcast ? 1 : rows) * channels, 3));
          const expected = w.alloc(rows * channels * 4), got = w.alloc(rows * channels * 4);
          runF32Binary(w, { op: 'add', a, b, out: expected, rows, channels, broadcast, actMin, actMax });
          const plan = prepareF32AddPack(w, { rows, channels, broadcast, actMin, actMax });
          setF32AddPackIo(w, plan, a, b, got, 0);
          for (const [r0, r1] of [[0, 5], [5, 6], [6, 30], [30, 37]]) w.invoke(`f32_add_rows__${isa}`, plan.desc, r0!, r1!, 0);
          assert.deepEqual(w.f32(got, rows * channels), w.f32(expected, rows * channels), `${channels} channels, broadcast ${broadcast}, clamp [${actMin}, ${actMax}]`);
        }
      }
    }
  });
}
