// Differential tests: every model of the oracle corpus (made by the real LCE, test/fixtures/) runs in lce-js and
// must give LCE's answers: bitpacked and integer outputs bit-exact, float outputs within 1e-5 × max|reference| per
// tensor (a case may loosen this only through `float_tolerance` in its manifest entry, with a reason, never past
// 1e-3), and the same argmax on every input. A Markdown table of the results goes to test-output/oracle.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { InferenceSession } from '../src/runtime/session.js';
import { Tensor } from '../src/runtime/tensor.js';
import { hasFixtures, listCases, loadCase, type FixtureCase } from './fixtures.js';
import type { NpyArray } from '../src/format/npy.js';
import { compareOutput, type Comparison } from './compare.js';

const DEFAULT_FLOAT_TOLERANCE = 1e-5;
const MAX_FLOAT_TOLERANCE = 1e-3;

interface Row { id: string; lceOps: string; maxError: string; status: string }
const rows: Row[] = [];

function toleranceOf(entry: FixtureCase): number {
  const t = (entry as FixtureCase & { float_tolerance?: { value: number; reason: string } }).float_tolerance;
  if (!t) return DEFAULT_FLOAT_TOLERANCE;
  assert.ok(t.reason.length > 0, `${entry.dir}: float_tolerance without a reason`);
  return Math.min(t.value, MAX_FLOAT_TOLERANCE);
}

function tensorOf(npy: NpyArray, dims: readonly number[], type: string): Tensor {
  return new Tensor(type as 'float32', npy.data as Float32Array, dims);
}

const cases = hasFixtures() ? listCases() : [];

for (const entry of cases) {
  test(`oracle ${entry.group}/${entry.case}`, async () => {
    const fx = loadCase(entry.group, entry.case);
    const row: Row = {
      id: `${entry.group}/${entry.case}`,
      lceOps: Object.entries(entry.lce_ops).filter(([k]) => k.startsWith('Lce')).map(([k, v]) => `${k}×${v}`).join(' '),
      maxError: '', status: 'fail',
    };
    rows.push(row);
    const session = await InferenceSession.create(fx.tflite, { modelName: `${entry.dir}/lce.tflite`, ...(process.env.LCE_BACKEND ? { backend: process.env.LCE_BACKEND as 'reference' | 'wasm' } : {}) });
    const tolerance = toleranceOf(entry);
    let worst = 0;
    try {
      for (const [i, sample] of fx.samples.entries()) {
        const feeds: Record<string, Tensor> = {};
        session.inputMetadata.forEach((meta, k) => { feeds[meta.name] = tensorOf(sample.inputs[k]!, meta.dims, meta.type); });
        const out = await session.run(feeds);
        session.outputMetadata.forEach((meta, k) => {
          const got = out[meta.name]!;
          const want = sample.lceOutputs[k]!;
          const c: Comparison = compareOutput(got, want, tolerance);
          worst = Math.max(worst, c.relativeError);
          assert.ok(c.ok, `${row.id} sample ${i} output ${k} '${meta.name}': ${c.message}`);
        });
      }
      row.status = 'match';
    } finally {
      row.maxError = worst === 0 ? '0' : worst.toExponential(1);
      await session.release();
    }
  });
}

test('oracle summary table', { skip: cases.length === 0 && 'no fixtures' }, () => {
  mkdirSync('test-output', { recursive: true });
  const lines = ['| model | LCE ops | max error vs LCE (relative to max\\|ref\\|) | status |', '| --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.id} | ${r.lceOps || '—'} | ${r.maxError} | ${r.status} |`);
  writeFileSync('test-output/oracle.md', lines.join('\n') + '\n');
});
