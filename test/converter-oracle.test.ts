// The converter against the oracle corpus: for every Keras file made by the real Larq/Keras, lce-js's conversion
// (1) has the real LCE conversion's op multiset, except for the differences listed with their reason, and
// (3) runs in lce-js with LCE's answers (same tolerance rules as the differential tests) and Keras's argmax;
// BatchNorm-fold-rounding cases instead are LCE's graph but for the BN-folded constants, and give LCE's answers with
// LCE's constants. (2), the real LCE interpreter running our files, is test/fixtures/converter-check.json (made by
// `npm run fixtures:check-converter`); the last test checks it covers the corpus with expected statuses only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertKeras } from '../src/converter/convert.js';
import { opTypeName, readModel } from '../src/format/read.js';
import { writeModel } from '../src/format/write.js';
import type { Model } from '../src/graph/model.js';
import { InferenceSession } from '../src/runtime/session.js';
import { Tensor } from '../src/runtime/tensor.js';
import { compareOutput } from './compare.js';
import { bnFoldProblems, diffModels, withConstantsOf } from './converter-diff.js';
import { FIXTURES_DIR, hasFixtures, listCases, loadCase } from './fixtures.js';
// The lists of expected differences (CONVERTER_DIFFERENCES, KNOWN_MISMATCHES, CONVERTER_REFUSALS, …) live in
// converter-expectations.ts, shared with the real-LCE check (npm run fixtures:check-converter) and bench/compare.
import {
  BN_FOLD_ROUNDING, CONVERTER_DIFFERENCES, CONVERTER_REFUSALS, KNOWN_MISMATCHES, convertOptionsFor,
} from './converter-expectations.js';

function opCounts(m: Model): Record<string, number> {
  const c: Record<string, number> = {};
  for (const op of m.subgraphs[0]!.operators) {
    const t = opTypeName(m.operatorCodes[op.opcodeIndex]!);
    c[t] = (c[t] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(c).sort());
}

const cases = hasFixtures() ? listCases().filter((c) => c.files.h5) : [];

for (const entry of cases) {
  const id = `${entry.group}/${entry.case}`;
  test(`convert ${id}`, async () => {
    const known = KNOWN_MISMATCHES[id];
    if (known) {
      await assert.rejects(checkConversion(entry), Error, `${id} now matches LCE: remove it from KNOWN_MISMATCHES (${known})`);
      return;
    }
    if (BN_FOLD_ROUNDING[id]) {
      await checkBnFoldRounding(entry);
      return;
    }
    await checkConversion(entry);
  });
}

async function checkConversion(entry: (typeof cases)[number]): Promise<void> {
  const id = `${entry.group}/${entry.case}`;
  const fx = loadCase(entry.group, entry.case);
  const refusal = CONVERTER_REFUSALS[id];
  const options = convertOptionsFor(entry.converter_options);
  if (refusal) {
    await assert.rejects(convertKeras(fx.h5Path!, options), (e: Error) => (e as { code?: string }).code === 'CONVERTER');
    return;
  }
  const { model, bytes } = await convertKeras(fx.h5Path!, options);
  const ours = opCounts(model);
  const theirs = opCounts(readModel(fx.tflite));
  const diff = CONVERTER_DIFFERENCES[id];
  if (diff) {
    for (const [op, d] of Object.entries(diff.delta)) theirs[op] = (theirs[op] ?? 0) + d;
    for (const op of Object.keys(theirs)) if (theirs[op] === 0) delete theirs[op];
  }
  assert.deepEqual(ours, Object.fromEntries(Object.entries(theirs).sort()), `${id}: op multiset differs from LCE's`);
  if (!diff) {
    // Beyond the multiset: LCE's graph (ops, options, tensors, shapes, constants byte for byte) but for the
    // BatchNorm-folded constants, which are never bit-identical (BN_FOLD_ROUNDING_REASON).
    assert.deepEqual(bnFoldProblems(diffModels(readModel(bytes, id), readModel(fx.tflite, `${id} (LCE)`))), [],
      `${id}: lce-js's graph differs from LCE's by more than BatchNorm-fold rounding`);
  }

  const session = await InferenceSession.create(bytes, { modelName: `${id} (converted by lce-js)` });
  try {
    for (const [i, sample] of fx.samples.entries()) {
      const feeds: Record<string, Tensor> = {};
      session.inputMetadata.forEach((m, k) => { feeds[m.name] = new Tensor(m.type as 'float32', sample.inputs[k]!.data as Float32Array, m.dims); });
      const out = await session.run(feeds);
      session.outputMetadata.forEach((m, k) => {
        const c = compareOutput(out[m.name]!, sample.lceOutputs[k]!, 1e-4);
        assert.ok(c.ok, `${id} sample ${i} output ${k}: lce-js conversion vs LCE conversion: ${c.message}`);
      });
    }
  } finally {
    await session.release();
  }
}

async function runAll(bytes: Uint8Array, name: string, samples: ReturnType<typeof loadCase>['samples']): Promise<Tensor[][]> {
  const session = await InferenceSession.create(bytes, { modelName: name });
  try {
    const all: Tensor[][] = [];
    for (const sample of samples) {
      const feeds: Record<string, Tensor> = {};
      session.inputMetadata.forEach((m, k) => { feeds[m.name] = new Tensor(m.type as 'float32', sample.inputs[k]!.data as Float32Array, m.dims); });
      const out = await session.run(feeds);
      all.push(session.outputMetadata.map((m) => out[m.name]!));
    }
    return all;
  } finally {
    await session.release();
  }
}

/**
 * A BN_FOLD_ROUNDING case: our graph is LCE's (ops, options, tensors, shapes, every other constant byte for byte)
 * but for BatchNorm-folded constants within BN_FOLD_MAX_ULPS, and with LCE's values put in those constants, lce-js
 * gives exactly what it gives on LCE's own file (and so LCE's outputs, within the converter tolerance).
 */
async function checkBnFoldRounding(entry: (typeof cases)[number]): Promise<void> {
  const id = `${entry.group}/${entry.case}`;
  const fx = loadCase(entry.group, entry.case);
  const { bytes } = await convertKeras(fx.h5Path!, convertOptionsFor(entry.converter_options));
  const ours = readModel(bytes, id);
  const theirs = readModel(fx.tflite, `${id} (LCE)`);
  const diff = diffModels(ours, theirs);
  assert.deepEqual(bnFoldProblems(diff), [], `${id}: differs from LCE's conversion by more than BatchNorm-fold rounding`);
  assert.ok(diff.constants.length > 0, `${id}: no constant differs from LCE's any more: remove it from BN_FOLD_ROUNDING`);
  const patched = writeModel(withConstantsOf(ours, theirs, diff.constants, diff.scales));
  const got = await runAll(patched, `${id} (lce-js conversion with LCE's BN-folded constants)`, fx.samples);
  const want = await runAll(fx.tflite, `${id} (LCE's conversion)`, fx.samples);
  got.forEach((outs, i) => outs.forEach((t, k) => {
    assert.deepEqual(t.data, want[i]![k]!.data, `${id} sample ${i} output ${k}: with LCE's constants, not bit-identical to LCE's file`);
    const c = compareOutput(t, fx.samples[i]!.lceOutputs[k]!, 1e-4);
    assert.ok(c.ok, `${id} sample ${i} output ${k}: with LCE's constants vs LCE's outputs: ${c.message}`);
  }));
}

// Issue 5 (2): lce-js's files run in the real LCE interpreter. npm test never runs Python, so it checks the record.
test('converter-check.json: every corpus Keras file checked in the real LCE interpreter, statuses all expected', () => {
  const path = join(FIXTURES_DIR, 'converter-check.json');
  if (!hasFixtures()) return;
  assert.ok(existsSync(path), 'test/fixtures/converter-check.json is missing: npm run fixtures:check-converter');
  const rows = new Map((JSON.parse(readFileSync(path, 'utf8')) as { results: { case: string; status: string }[] }).results.map((r) => [r.case, r]));
  const problems: string[] = [];
  for (const entry of cases) {
    const id = `${entry.group}/${entry.case}`;
    const s = rows.get(id)?.status;
    const ok = s === undefined ? false
      : CONVERTER_REFUSALS[id] ? s === 'refused'
        : s === 'match' || (s === 'justified' && BN_FOLD_ROUNDING[id] !== undefined) || (s === 'mismatch' && KNOWN_MISMATCHES[id] !== undefined);
    if (!ok) problems.push(`${id}: ${s ?? 'missing'}`);
  }
  assert.deepEqual(problems, [], 'converter-check.json is missing cases or has unexplained statuses; '
    + 'rerun `npm run fixtures:check-converter -- --case <group/case,…>` (or fix the converter / the lists in converter-expectations.ts)');
});
