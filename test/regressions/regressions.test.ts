/**
 * Fuzz regressions: every case `npm run fuzz` saved under test/regressions/cases/ is replayed and must now give a
 * result or an lce-js typed error within the limits; plus hand-made tests for the bugs those cases found, and a
 * short in-process fuzz run so this file fails if a fuzz-visible bug comes back even without a saved case.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LimitError } from '../../src/errors.js';
import { DEFAULT_LIMITS, makeCase, runCase, type Outcome } from '../../src/fuzz/case.js';
import { loadCorpus } from '../../src/fuzz/corpus.js';
import { loadSavedCases } from '../../src/fuzz/saved.js';
import { readModel } from '../../src/format/read.js';
import { writeModel } from '../../src/format/write.js';
import { InferenceSession } from '../../src/runtime/session.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CASES = join(import.meta.dirname, 'cases');
// Replays are checked for outcome, with a generous time limit: the test runner runs files in parallel.
const REPLAY_LIMITS = { ...DEFAULT_LIMITS, timeoutMs: 5000 };

function describe(o: Outcome): string {
  return o.status === 'failure' ? `${o.kind}: ${o.message}${o.stack ? `\n${o.stack}` : ''}` : o.status;
}

const saved = loadSavedCases(CASES);
test('there are saved fuzz cases to replay', () => {
  assert.ok(saved.length > 0, `no saved cases under ${CASES}`);
});

for (const { meta, bytes } of saved) {
  test(`replay ${meta.name} (${meta.base}: ${meta.edits.join('; ') || 'no model edit'}; feeds ${meta.feedMode})`, async () => {
    const outcome = await runCase({ bytes, feedMode: meta.feedMode, feedSeed: meta.feedSeed }, REPLAY_LIMITS);
    assert.notEqual(outcome.status, 'failure', describe(outcome));
  });
}

test('a huge graph input is refused before any kernel sizes a table from it (was: 7 s and 0.9 GB in ADD prepare)', async () => {
  const t0 = performance.now();
  const bytes = new Uint8Array(readFileSync(join(CASES, 'hang-s2-c4136.tflite')));
  await assert.rejects(InferenceSession.create(bytes, { modelName: 'big-input.tflite', maxArenaBytes: 4 << 20 }),
    (e: unknown) => e instanceof LimitError && e.message.includes('big-input.tflite') && e.message.includes('serving_default_input:0'));
  assert.ok(performance.now() - t0 < 2000, 'refused quickly');
});

test('a broadcast whose output exceeds the cap is refused before the index maps are allocated', async () => {
  // float_conv's input [1, 8, 8, 3] plus a [N, 1, 1, 1] constant broadcasts to N·192 elements.
  const model = readModel(new Uint8Array(readFileSync(join(ROOT, 'test', 'data', 'float_conv.tflite'))), 'float_conv.tflite');
  const sg = model.subgraphs[0]!;
  const n = 1 << 14;
  model.buffers.push({ data: new Uint8Array(4 * n) });
  sg.tensors.push({ name: 'wide', dtype: 'float32', shape: [n, 1, 1, 1], buffer: model.buffers.length - 1, isVariable: false, hasRank: true });
  sg.tensors.push({ name: 'sum', dtype: 'float32', shape: [n, 8, 8, 3], buffer: 0, isVariable: false, hasRank: true });
  model.operatorCodes.push({ builtinCode: 0, deprecatedBuiltinCode: 0, version: 1 }); // ADD
  sg.operators = [{
    opcodeIndex: model.operatorCodes.length - 1, inputs: [0, sg.tensors.length - 2], outputs: [sg.tensors.length - 1],
    builtinOptionsType: 11, builtinOptions: { fusedActivationFunction: 0, potScaleInt16: true },
  }];
  sg.outputs = [sg.tensors.length - 1];
  const bytes = writeModel(model);
  const external0 = process.memoryUsage().arrayBuffers;
  await assert.rejects(InferenceSession.create(bytes, { modelName: 'wide-add.tflite', maxArenaBytes: 1 << 20 }),
    (e: unknown) => e instanceof LimitError && e.message.includes('ADD (op 0)') && e.message.includes("'sum'"));
  assert.ok(process.memoryUsage().arrayBuffers - external0 < 8 << 20, 'no table of the broadcast size was allocated');
  // Under a cap that fits, the same graph runs.
  const ok = await InferenceSession.create(bytes, { modelName: 'wide-add.tflite', maxArenaBytes: 64 << 20 });
  assert.deepEqual(ok.outputMetadata[0]!.dims, [n, 8, 8, 3]);
  await ok.release();
});

test('a short fuzz run in-process finds nothing (seed 7, 150 cases)', async () => {
  const corpus = loadCorpus(ROOT);
  const failures: string[] = [];
  for (let i = 0; i < 150; i++) {
    const c = makeCase(corpus, 7, i);
    const o = await runCase(c, REPLAY_LIMITS);
    if (o.status === 'failure') failures.push(`case ${i} (${c.base}: ${c.edits.join('; ')}): ${describe(o)}`);
  }
  assert.deepEqual(failures, []);
});
