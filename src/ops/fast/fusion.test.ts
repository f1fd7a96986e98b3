// The wasm backend's ADD + LceQuantize fusion on a QuickNet-like residual graph (binary convolutions with float
// output, residual ADDs whose sums feed both an LceQuantize and the next ADD, ReLU ADDs, a per-channel broadcast
// ADD, an ADD with no LceQuantize after it) with awkward channel counts and sizes: fused (LceBconv2d + ADD + LceQuantize
// and ADD + LceQuantize steps), ADD + LceQuantize only, unfused and reference runs give the same bits, on one and two
// threads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasSharedMemory } from '../../backend/features.js';
import { ModelBuilder } from '../../graph/builder.js';
import type { Model } from '../../graph/model.js';
import { bitpackedSize } from '../../reference/bitpack.js';
import { makeRng } from '../../reference/lce-testutil.js';
import { InferenceSession, type OpProfile, type SessionOptions } from '../../runtime/session.js';
import { Tensor } from '../../runtime/tensor.js';

/** Op indices of the LceQuantize ops that follow an ADD (the fused ones). */
const FUSED_QUANTIZE = [3, 6, 9];
/**
 * The ADDs that read the float output of the LceBconv2d just before them (run inside that convolution's step; 11 has
 * no LceQuantize after it).
 */
const FUSED_ADD = [2, 5, 8, 11];

function residualNetwork(c: number, seed: number, h = 9, w = 7, opts: { padValues?: 0 | 1; batch?: number } = {}): Model {
  const rng = makeRng(seed);
  const words = bitpackedSize(c);
  const b = new ModelBuilder('fusion test');
  const n = opts.batch ?? 1;
  const f32 = (name: string, shape = [n, h, w, c]) => b.addTensor({ name, dtype: 'float32', shape });
  const bits = (name: string) => b.addTensor({ name, dtype: 'int32', shape: [n, h, w, words] });
  const x = f32('x');
  const v = f32('v', [c]);
  const conv = {
    channels_in: c, dilation_height_factor: 1, dilation_width_factor: 1, pad_values: opts.padValues ?? 1, padding: 0, stride_height: 1,
    stride_width: 1, fused_activation_function: 0,
  };
  const bconv = (input: number, name: string): number => {
    const filter = b.addTensor({
      name: `${name}.w`, dtype: 'int32', shape: [c, 3, 3, words],
      data: Int32Array.from({ length: c * 9 * words }, () => (Math.floor(rng() * 65536) | (Math.floor(rng() * 65536) << 16)) | 0),
    });
    const m = b.addTensor({ name: `${name}.m`, dtype: 'float32', shape: [c], data: Float32Array.from({ length: c }, () => rng() * 0.2 - 0.1) });
    const a = b.addTensor({ name: `${name}.b`, dtype: 'float32', shape: [c], data: Float32Array.from({ length: c }, () => rng() * 2 - 1) });
    const y = f32(name);
    b.addOp('LceBconv2d', [input, filter, m, a, -1], [y], { custom: conv });
    return y;
  };
  const q0 = bits('q0');
  b.addOp('LceQuantize', [x], [q0]);                                                    // 0
  const y1 = bconv(q0, 'y1');                                                           // 1
  const s1 = f32('s1');
  b.addOp('ADD', [y1, x], [s1], { builtin: { fusedActivationFunction: 0 } });           // 2
  const q1 = bits('q1');
  b.addOp('LceQuantize', [s1], [q1]);                                                   // 3 (fused into 2)
  const y2 = bconv(q1, 'y2');                                                           // 4
  const s2 = f32('s2');
  b.addOp('ADD', [s1, y2], [s2], { builtin: { fusedActivationFunction: 1 } });          // 5: ReLU
  const q2 = bits('q2');
  b.addOp('LceQuantize', [s2], [q2]);                                                   // 6 (fused into 5)
  const y3 = bconv(q2, 'y3');                                                           // 7
  const s3 = f32('s3');
  b.addOp('ADD', [v, y3], [s3], { builtin: { fusedActivationFunction: 0 } });           // 8: broadcast, swapped
  const q3 = bits('q3');
  b.addOp('LceQuantize', [s3], [q3]);                                                   // 9 (fused into 8)
  const y4 = bconv(q3, 'y4');                                                           // 10
  const s4 = f32('s4');
  b.addOp('ADD', [y4, s3], [s4], { builtin: { fusedActivationFunction: 1 } });          // 11: ReLU, fused into 10 alone
  const out = f32('out');
  b.addOp('LceDequantize', [q3], [out]);                                                // 12
  b.setInputs([x, v]);
  b.setOutputs([out, s1, s2, s3, s4, q1]);
  return b.finish();
}

async function run(model: Model, options: SessionOptions) {
  const s = await InferenceSession.createFromModel(model, options);
  try {
    const dims = s.inputMetadata[0]!.dims, c = dims[3]!;
    const rng = makeRng(7);
    const x = Float32Array.from({ length: dims[0]! * dims[1]! * dims[2]! * c }, () => rng() * 2 - 1);
    x[0] = -0;
    const v = Float32Array.from({ length: c }, () => rng() - 0.5);
    const profile: OpProfile[] = [];
    const outputs = await s.run({ x: new Tensor('float32', x, dims), v: new Tensor('float32', v, [c]) }, { profile });
    return { outputs, profile, threads: s.threads };
  } finally {
    await s.release();
  }
}

describe('ADD + LceQuantize fusion', () => {
  // 19x23 and 41x43 pixels: several row blocks on one thread (the last one short, odd block starts for 65 channels)
  for (const [c, h, w] of [[1, 9, 7], [31, 9, 7], [33, 9, 7], [64, 9, 7], [65, 9, 7], [64, 19, 23], [3, 31, 33], [65, 41, 43]] as const) {
    it(`${c} channels, ${h}x${w}: fused equals unfused and reference bit for bit; the LceQuantize ops run inside the ADDs, the ADDs inside the convolutions`, async () => {
      const model = residualNetwork(c, c + h, h, w);
      const reference = await run(model, { backend: 'reference' });
      const unfused = await run(model, { numThreads: 1, fuseOps: false });
      const pairs = await run(model, { numThreads: 1, fuseOps: 'add-quantize' });
      const fused = await run(model, { numThreads: 1 });
      assert.deepEqual(unfused.outputs, reference.outputs);
      assert.deepEqual(pairs.outputs, reference.outputs);
      assert.deepEqual(fused.outputs, reference.outputs);
      for (const i of FUSED_QUANTIZE) {
        assert.equal(fused.profile[i]!.ms, 0, `op ${i} ran inside the step before it`);
        assert.equal(pairs.profile[i]!.ms, 0, `op ${i} ran inside the ADD before it`);
      }
      for (const i of FUSED_ADD) {
        assert.equal(fused.profile[i]!.ms, 0, `op ${i} ran inside the convolution before it`);
        assert.equal(fused.profile[i]!.fusedInto, i - 1);
      }
      for (const i of FUSED_QUANTIZE) assert.equal(fused.profile[i]!.fusedInto, i - 2);
      assert.equal(pairs.profile[3]!.fusedInto, 2);
    });
  }

  for (const [c, h, w, padValues, batch] of [[64, 33, 35, 1, 1], [65, 33, 35, 0, 1], [33, 41, 43, 1, 1], [64, 17, 19, 0, 2]] as const) {
    it(`on two threads gives the one-thread bits: ${c} channels, ${batch}x${h}x${w}, same-${padValues ? 'one' : 'zero'}`, { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, async () => {
    // enough work to split the binary convolutions; chunks end mid-row and mid-image
    const model = residualNetwork(c, 3, h, w, { padValues, batch });
    const one = await run(model, { numThreads: 1 });
    const two = await run(model, { numThreads: 2 });
    const twoPairs = await run(model, { numThreads: 2, fuseOps: 'add-quantize' });
    assert.equal(two.threads, 2);
    assert.deepEqual(two.outputs, one.outputs, 'two vs one');
    assert.deepEqual(twoPairs.outputs, one.outputs, 'two pairs vs one');
    for (const i of FUSED_ADD) assert.equal(two.profile[i]!.fusedInto, i - 1, `op ${i} ran inside the split convolution before it`);
    // fused on one thread = unfused; same-one also = reference (the wasm same-zero correction may differ from the
    // reference kernel's in the last bit, its order of float additions being LCE's optimized kernel's)
    const unfused = await run(model, { numThreads: 1, fuseOps: false });
    assert.deepEqual(one.outputs, unfused.outputs, 'one vs unfused');
    if (padValues === 1) assert.deepEqual(one.outputs, (await run(model, { backend: 'reference' })).outputs, 'one vs reference');
    });
  }
});
