// One corpus model (QuickNet when the zoo group is present, else the largest binary model of the corpus) on one
// and two threads: identical outputs, bit for bit, on every sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasSharedMemory } from '../src/backend/features.js';
import { InferenceSession } from '../src/runtime/session.js';
import { Tensor } from '../src/runtime/tensor.js';
import { hasFixtures, listCases, loadCase, type FixtureCase } from './fixtures.js';

function pickCase(): FixtureCase | undefined {
  const cases = hasFixtures() ? listCases() : [];
  const binary = cases.filter((c) => (c.lce_ops['LceBconv2d'] ?? 0) > 0);
  return binary.find((c) => c.group === 'zoo' && c.case === 'QuickNet')
    ?? binary.find((c) => c.group === 'zoo')
    ?? binary.find((c) => c.group === 'mnist')
    ?? binary[0];
}

const entry = pickCase();

test(`corpus model ${entry ? `${entry.group}/${entry.case}` : ''} on 1 and 2 threads gives identical outputs`,
  { skip: (!entry && 'no binary model in the corpus') || (!hasSharedMemory() && 'no SharedArrayBuffer') }, async () => {
    const fx = loadCase(entry!.group, entry!.case);
    const one = await InferenceSession.create(fx.tflite, { numThreads: 1 });
    const two = await InferenceSession.create(fx.tflite, { numThreads: 2 });
    try {
      assert.equal(one.backend, 'wasm');
      assert.equal(two.backend, 'wasm');
      for (const sample of fx.samples) {
        const feeds: Record<string, Tensor> = {};
        one.inputMetadata.forEach((m, k) => { feeds[m.name] = new Tensor(m.type as 'float32', sample.inputs[k]!.data as Float32Array, m.dims); });
        assert.deepEqual(await two.run(feeds), await one.run(feeds));
      }
      console.log(`${entry!.group}/${entry!.case}: the two-thread session ran on ${two.threads} thread(s)`);
    } finally {
      await one.release();
      await two.release();
    }
  });
