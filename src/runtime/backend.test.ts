// Backend selection and the threaded wasm backend end to end: a hand-built binary network (quantize, two binary
// convolutions big enough to split, binary max pool, dequantize) gives the reference backend's outputs bit for bit
// on one and two threads; bad options are typed errors; a process exits by itself after release (and even without).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LceError } from '../errors.js';
import { hasSharedMemory } from '../backend/features.js';
import { ModelBuilder } from '../graph/builder.js';
import type { Model } from '../graph/model.js';
import { writeModel } from '../format/write.js';
import { bitpackedSize } from '../reference/bitpack.js';
import { makeRng } from '../reference/lce-testutil.js';
import { InferenceSession } from './session.js';
import { Tensor } from './tensor.js';

const H = 36; // 36x26x64 3x3 binary convolutions: enough work to split even in a run whose workers sleep
const W = 26;
const C = 64;

function randomWords(rng: () => number, n: number): Int32Array {
  return Int32Array.from({ length: n }, () => (Math.floor(rng() * 65536) | (Math.floor(rng() * 65536) << 16)) | 0);
}

/**
 * x → LceQuantize → LceBconv2d 3x3 (float, ReLU) → LceQuantize → LceBconv2d 3x3 (bitpacked) → LceBMaxPool2d → LceDequantize,
 * on h rows (even).
 */
export function binaryNetwork(seed = 1, h = H): Model {
  const rng = makeRng(seed);
  const b = new ModelBuilder('threads test');
  const words = bitpackedSize(C);
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, h, W, C] });
  const q1 = b.addTensor({ name: 'q1', dtype: 'int32', shape: [1, h, W, words] });
  const f1 = b.addTensor({ name: 'f1', dtype: 'int32', shape: [C, 3, 3, words], data: randomWords(rng, C * 9 * words) });
  const m1 = b.addTensor({ name: 'm1', dtype: 'float32', shape: [C], data: Float32Array.from({ length: C }, () => rng() * 0.2 - 0.1) });
  const b1 = b.addTensor({ name: 'b1', dtype: 'float32', shape: [C], data: Float32Array.from({ length: C }, () => rng() * 8 - 4) });
  const y1 = b.addTensor({ name: 'y1', dtype: 'float32', shape: [1, h, W, C] });
  const q2 = b.addTensor({ name: 'q2', dtype: 'int32', shape: [1, h, W, words] });
  const f2 = b.addTensor({ name: 'f2', dtype: 'int32', shape: [C, 3, 3, words], data: randomWords(rng, C * 9 * words) });
  const t2 = b.addTensor({ name: 't2', dtype: 'int32', shape: [C], data: Int32Array.from({ length: C }, () => Math.floor(rng() * 576)) });
  const y2 = b.addTensor({ name: 'y2', dtype: 'int32', shape: [1, h, W, words] });
  const p = b.addTensor({ name: 'p', dtype: 'int32', shape: [1, h / 2, W / 2, words] });
  const out = b.addTensor({ name: 'out', dtype: 'float32', shape: [1, h / 2, W / 2, C] });
  const conv = {
    channels_in: C, dilation_height_factor: 1, dilation_width_factor: 1, pad_values: 1, padding: 0, stride_height: 1, stride_width: 1,
  };
  b.addOp('LceQuantize', [x], [q1]);
  b.addOp('LceBconv2d', [q1, f1, m1, b1, -1], [y1], { custom: { ...conv, fused_activation_function: 1 } });
  b.addOp('LceQuantize', [y1], [q2]);
  b.addOp('LceBconv2d', [q2, f2, -1, -1, t2], [y2], { custom: { ...conv, fused_activation_function: 0 } });
  b.addOp('LceBMaxPool2d', [y2], [p], { custom: { filter_height: 2, filter_width: 2, stride_height: 2, stride_width: 2, padding: 1 } });
  b.addOp('LceDequantize', [p], [out]);
  b.setInputs([x]);
  b.setOutputs([out, y1]);
  return b.finish();
}

async function outputsOf(model: Model, options: Parameters<typeof InferenceSession.createFromModel>[1], seed: number, h = H) {
  const s = await InferenceSession.createFromModel(model, options);
  try {
    const rng = makeRng(seed);
    const x = new Tensor('float32', Float32Array.from({ length: h * W * C }, () => rng() - 0.5), [1, h, W, C]);
    const first = await s.run({ x });
    const second = await s.run({ x });
    assert.deepEqual(second, first, 'a second run gives the same outputs');
    return { outputs: first, backend: s.backend, threads: s.threads };
  } finally {
    await s.release();
  }
}

describe('wasm backend', () => {
  it('is the default and equals the reference backend bit for bit', async () => {
    const model = binaryNetwork();
    const ref = await outputsOf(model, { backend: 'reference' }, 3);
    assert.equal(ref.backend, 'reference');
    const wasm = await outputsOf(model, { numThreads: 1 }, 3);
    assert.equal(wasm.backend, 'wasm');
    assert.equal(wasm.threads, 1);
    assert.deepEqual(wasm.outputs, ref.outputs);
  });

  it('two split ops too small to pay a worker\'s wake-up run on the calling thread: no pool, same outputs', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, async () => {
    // 30x26x64 3x3: 28.7 M binary MACs per convolution, enough to split (2^22) but below the wake-up bar (2^25), and
    // two split ops are too few for run-long polling
    const model = binaryNetwork(5, 30);
    const one = await outputsOf(model, { numThreads: 1 }, 6, 30);
    const two = await outputsOf(model, { numThreads: 2 }, 6, 30);
    assert.equal(two.threads, 1, 'no pool was started');
    assert.deepEqual(two.outputs, one.outputs);
  });

  it('on two threads gives the one-thread outputs bit for bit', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, async () => {
    const model = binaryNetwork(2);
    const one = await outputsOf(model, { numThreads: 1 }, 4);
    const two = await outputsOf(model, { numThreads: 2 }, 4);
    assert.equal(two.threads, 2, 'the pool ran');
    assert.deepEqual(two.outputs, one.outputs);
  });

  it('refuses bad backend names and thread counts with typed errors', async () => {
    const model = binaryNetwork();
    await assert.rejects(InferenceSession.createFromModel(model, { backend: 'gpu' as 'wasm' }), (e: unknown) => e instanceof LceError && e.code === 'INPUT');
    for (const numThreads of [0, 1.5, -1]) {
      await assert.rejects(InferenceSession.createFromModel(model, { numThreads }), (e: unknown) => e instanceof LceError && e.code === 'INPUT');
    }
  });

  it('an explicit wasm backend whose kernels cannot load is an error; the default falls back to reference', async () => {
    const model = binaryNetwork();
    const kernelLoader = { load: async () => { throw new Error('no kernels here'); } };
    await assert.rejects(InferenceSession.createFromModel(model, { backend: 'wasm', kernelLoader }), /no kernels here/);
    const s = await InferenceSession.createFromModel(model, { kernelLoader });
    assert.equal(s.backend, 'reference');
    await s.release();
  });
});

describe('worker threads shut down', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, () => {
  const session = new URL('./session.ts', import.meta.url).href;
  for (const release of [true, false]) {
    it(`a Node process exits by itself after a two-thread run ${release ? 'and release()' : 'without release()'}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'lce-threads-'));
      try {
        writeFileSync(join(dir, 'model.tflite'), writeModel(binaryNetwork()));
        writeFileSync(join(dir, 'main.mts'), `
          import { InferenceSession, Tensor } from ${JSON.stringify(session)};
          const s = await InferenceSession.create(new Uint8Array((await import('node:fs')).readFileSync(${JSON.stringify(join(dir, 'model.tflite'))})), { numThreads: 2 });
          const out = await s.run({ x: new Tensor('float32', new Float32Array(${H * W * C}).fill(0.5), [1, ${H}, ${W}, ${C}]) });
          console.log('threads', s.threads, 'outputs', Object.keys(out).length);
          ${release ? 'await s.release();' : ''}
        `);
        const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'main.mts')], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 60_000,
        });
        assert.equal(r.error, undefined, `the process did not exit by itself: ${r.error?.message}`);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /threads 2 outputs 2/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
