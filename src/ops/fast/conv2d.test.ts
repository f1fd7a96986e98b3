// The wasm float CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED against the reference ops on random shapes
// (channels 1, 3, 31, 33, 65; odd sizes; stride 2; dilation; SAME/VALID; every clamp; with and without bias),
// bit-exact (the kernels sum in the reference order), single-pixel outputs included; one and two threads
// bit-identical; int8 and grouped take the reference.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasSharedMemory, hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { makeRng, perTensor, pick, randInt, type HandTensor } from '../../reference/lce-testutil.js';
import { Activation, Padding } from '../common.js';
import { conv2d } from '../conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import { fullyConnected } from '../fully-connected.js';
import { fastConv2d } from './conv2d.js';
import { fastDepthwiseConv2d } from './depthwise-conv2d.js';
import { fastFullyConnected } from './fully-connected.js';
import { assertEqualsReference, randomFloats } from './float-test-util.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
const ACTS = [Activation.NONE, Activation.RELU, Activation.RELU6, Activation.RELU_N1_TO_1];

function convCase(rng: () => number, depthwise: boolean) {
  const fh = randInt(rng, 1, 3);
  const fw = randInt(rng, 1, 3);
  const dh = rng() < 0.25 ? 2 : 1;
  const dw = rng() < 0.25 ? 2 : 1;
  // one case in five is a window-sized VALID input: one output pixel per image (a matrix × vector when n = 1)
  const single = rng() < 0.2;
  const padding = single ? Padding.VALID : pick(rng, [Padding.SAME, Padding.VALID]);
  const h = single ? (fh - 1) * dh + 1 : randInt(rng, (fh - 1) * dh + 1, (fh - 1) * dh + 9);
  const w = single ? (fw - 1) * dw + 1 : randInt(rng, (fw - 1) * dw + 1, (fw - 1) * dw + 9);
  const cin = pick(rng, [1, 3, 8, 31, 33, 65]);
  const mult = depthwise ? pick(rng, [1, 1, 2]) : 1;
  const cout = depthwise ? cin * mult : pick(rng, [1, 2, 16, 31, 33, 65]);
  const n = randInt(rng, 1, 2);
  const bias = rng() < 0.8;
  const filterShape = depthwise ? [1, fh, fw, cout] : [cout, fh, fw, cin];
  const inputs: (HandTensor | null)[] = [
    { dtype: 'float32', shape: [n, h, w, cin], data: randomFloats(rng, n * h * w * cin) },
    { dtype: 'float32', shape: filterShape, data: randomFloats(rng, fh * fw * cout * (depthwise ? 1 : cin)), constant: true },
    bias ? { dtype: 'float32', shape: [cout], data: randomFloats(rng, cout, 2), constant: true } : null,
  ];
  const builtinOptions = {
    padding, strideH: randInt(rng, 1, 2), strideW: randInt(rng, 1, 2), dilationHFactor: dh, dilationWFactor: dw,
    fusedActivationFunction: pick(rng, ACTS), ...(depthwise ? { depthMultiplier: mult } : {}),
  };
  return { inputs, builtinOptions };
}

describe('fast float convolutions equal the reference ops', () => {
  for (const isa of ISAS) {
    for (const depthwise of [false, true]) {
      const name = depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
      it(`${name} on the ${isa} build, 30 random cases`, async () => {
        const rng = makeRng(depthwise ? 41 : 42);
        for (let i = 0; i < 30; i++) {
          const c = convCase(rng, depthwise);
          const r = depthwise
            ? await compareFastWithReference(fastDepthwiseConv2d, depthwiseConv2d, undefined, c.inputs, [{ dtype: 'float32', shape: [0, 0, 0, 0] }], { isa, builtinOptions: c.builtinOptions })
            : await compareFastWithReference(fastConv2d, conv2d, undefined, c.inputs, [{ dtype: 'float32', shape: [0, 0, 0, 0] }], { isa, builtinOptions: c.builtinOptions });
          const what = `${name} case ${i} ${JSON.stringify(c.builtinOptions)} ${c.inputs.map((t) => t && `[${t.shape}]`).join(' ')}`;
          assert.ok(r.state.kernel, `${what}: the wasm kernel ran`);
          assert.ok(r.guardsIntact, `${what}: wrote outside its output`);
          assertEqualsReference(r.fast[0]!, r.reference[0]!, what);
        }
      });
    }

    it(`FULLY_CONNECTED on the ${isa} build (batches, awkward depths, keepNumDims)`, async () => {
      const rng = makeRng(43);
      for (let i = 0; i < 20; i++) {
        const depth = pick(rng, [1, 3, 31, 64, 65, 256]);
        const units = pick(rng, [1, 2, 10, 33, 100]);
        const batches = randInt(rng, 1, 5);
        const bias = rng() < 0.7;
        const inputs: (HandTensor | null)[] = [
          { dtype: 'float32', shape: [batches, depth], data: randomFloats(rng, batches * depth) },
          { dtype: 'float32', shape: [units, depth], data: randomFloats(rng, units * depth), constant: true },
          bias ? { dtype: 'float32', shape: [units], data: randomFloats(rng, units), constant: true } : null,
        ];
        const builtinOptions = { fusedActivationFunction: pick(rng, ACTS), keepNumDims: rng() < 0.3 };
        const r = await compareFastWithReference(fastFullyConnected, fullyConnected, undefined, inputs, [{ dtype: 'float32', shape: [0, 0] }], { isa, builtinOptions });
        assert.ok(r.state.kernel, `case ${i}: the wasm kernel ran`);
        assert.ok(r.guardsIntact, `case ${i}: wrote outside its output`);
        assertEqualsReference(r.fast[0]!, r.reference[0]!, `FULLY_CONNECTED case ${i}`);
      }
    });
  }

  it('grouped CONV_2D and int8 CONV_2D run the reference kernel', async () => {
    const rng = makeRng(44);
    const grouped: (HandTensor | null)[] = [
      { dtype: 'float32', shape: [1, 5, 5, 8], data: randomFloats(rng, 200) },
      { dtype: 'float32', shape: [6, 3, 3, 4], data: randomFloats(rng, 216), constant: true }, null,
    ];
    const opts = { builtinOptions: { padding: Padding.SAME, strideH: 1, strideW: 1 } };
    const g = await compareFastWithReference(fastConv2d, conv2d, undefined, grouped, [{ dtype: 'float32', shape: [0, 0, 0, 0] }], opts);
    assert.equal(g.state.kernel, null);
    assert.deepEqual(g.fast[0], g.reference[0]);
    const q = perTensor(0.05, 3);
    const int8: (HandTensor | null)[] = [
      { dtype: 'int8', shape: [1, 4, 4, 3], data: Int8Array.from({ length: 48 }, () => randInt(rng, -128, 127)), quantization: q },
      { dtype: 'int8', shape: [2, 3, 3, 3], data: Int8Array.from({ length: 54 }, () => randInt(rng, -127, 127)), constant: true, quantization: perTensor(0.02, 0) },
      null,
    ];
    const r = await compareFastWithReference(fastConv2d, conv2d, undefined, int8, [{ dtype: 'int8', shape: [0, 0, 0, 0], quantization: perTensor(0.1, -2) }], opts);
    assert.equal(r.state.kernel, null);
    assert.deepEqual(r.fast[0], r.reference[0]);
  });
});

describe('fast float convolutions on two threads', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, () => {
  it('split big layers and give the one-thread answer bit for bit', async () => {
    const rng = makeRng(45);
    const conv: (HandTensor | null)[] = [
      { dtype: 'float32', shape: [1, 57, 55, 32], data: randomFloats(rng, 57 * 55 * 32) },
      { dtype: 'float32', shape: [33, 3, 3, 32], data: randomFloats(rng, 33 * 9 * 32), constant: true },
      { dtype: 'float32', shape: [33], data: randomFloats(rng, 33), constant: true },
    ];
    const dw: (HandTensor | null)[] = [
      { dtype: 'float32', shape: [1, 113, 111, 64], data: randomFloats(rng, 113 * 111 * 64) },
      { dtype: 'float32', shape: [1, 3, 3, 64], data: randomFloats(rng, 9 * 64), constant: true }, null,
    ];
    const builtinOptions = { padding: Padding.SAME, strideH: 2, strideW: 1, fusedActivationFunction: Activation.RELU, depthMultiplier: 1 };
    const out = [{ dtype: 'float32', shape: [0, 0, 0, 0] }] as HandTensor[];
    const c1 = await compareFastWithReference(fastConv2d, conv2d, undefined, conv, out, { builtinOptions });
    const c2 = await compareFastWithReference(fastConv2d, conv2d, undefined, conv, out, { builtinOptions, threads: 2 });
    assert.ok(c2.state.kernel?.split && c2.threads === 2, 'CONV_2D split over two threads');
    assert.deepEqual(c2.fast[0], c1.fast[0]);
    const d1 = await compareFastWithReference(fastDepthwiseConv2d, depthwiseConv2d, undefined, dw, out, { builtinOptions });
    const d2 = await compareFastWithReference(fastDepthwiseConv2d, depthwiseConv2d, undefined, dw, out, { builtinOptions, threads: 2 });
    assert.ok(d2.state.kernel?.split && d2.threads === 2, 'DEPTHWISE_CONV_2D split over two threads');
    assert.deepEqual(d2.fast[0], d1.fast[0]);
  });
});
