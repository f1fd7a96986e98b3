// Op fusion on the whole oracle corpus: every model gives the same bits with the wasm backend's fused steps as with
// every op run on its own (first sample of each case), and QuickNet's twelve ADD → LceQuantize pairs are fused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceSession, type OpProfile } from '../src/runtime/session.js';
import { Tensor } from '../src/runtime/tensor.js';
import { hasFixtures, listCases, loadCase } from './fixtures.js';

const cases = hasFixtures() ? listCases() : [];

for (const entry of cases) {
  test(`fused = unfused: ${entry.group}/${entry.case}`, async () => {
    const fx = loadCase(entry.group, entry.case);
    const sample = fx.samples[0]!;
    const results = [];
    for (const fuseOps of [false, true]) {
      const session = await InferenceSession.create(fx.tflite, { modelName: `${entry.dir}/lce.tflite`, numThreads: 1, fuseOps });
      try {
        const feeds: Record<string, Tensor> = {};
        session.inputMetadata.forEach((meta, k) => {
          feeds[meta.name] = new Tensor(meta.type, sample.inputs[k]!.data as Tensor['data'], meta.dims);
        });
        const profile: OpProfile[] = [];
        results.push({ outputs: await session.run(feeds, { profile }), profile });
      } finally {
        await session.release();
      }
    }
    const [unfused, fused] = results as [typeof results[0], typeof results[0]];
    assert.deepEqual(fused.outputs, unfused.outputs);
    if (entry.group === 'zoo' && entry.case === 'QuickNet') {
      const absorbed = fused.profile.filter((p, i) => p.type === 'LceQuantize' && p.ms === 0 && fused.profile[i - 1]?.type === 'ADD');
      assert.equal(absorbed.length, 12);
    }
  });
}
