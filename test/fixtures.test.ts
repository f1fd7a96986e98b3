// The corpus itself must be consistent with its manifest: every listed file exists, every .npy
// has the dtype/shape the manifest promises, and the .tflite files are TFLite flatbuffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, hasFixtures, listCases, loadCase, loadManifest } from './fixtures.js';

const LCE_OPS = ['LceQuantize', 'LceDequantize', 'LceBconv2d', 'LceBMaxPool2d'];

test('manifest lists every case folder and nothing else', { skip: !hasFixtures() && 'no fixtures' }, () => {
  const m = loadManifest();
  const listed = new Set(m.cases.map((c) => c.dir));
  assert.equal(listed.size, m.cases.length, 'duplicate case dirs');
  for (const group of readdirSync(FIXTURES_DIR)) {
    const gdir = join(FIXTURES_DIR, group);
    if (!statSync(gdir).isDirectory()) continue;
    for (const c of readdirSync(gdir)) assert.ok(listed.has(`${group}/${c}`), `unlisted fixture folder ${group}/${c}`);
  }
});

test('every case loads and matches its manifest entry', { skip: !hasFixtures() && 'no fixtures' }, () => {
  for (const entry of listCases()) {
    const fx = loadCase(entry.group, entry.case);
    const where = `${entry.group}/${entry.case}`;
    assert.equal(new TextDecoder().decode(fx.tflite.subarray(4, 8)), 'TFL3', `${where}: lce.tflite identifier`);
    for (const name of Object.keys(entry.sizes)) assert.ok(existsSync(join(fx.dir, name)), `${where}: ${name} missing`);
    if (fx.h5Path) assert.ok(existsSync(fx.h5Path), `${where}: model.h5 missing`);
    assert.ok(fx.samples.length > 0, `${where}: no samples`);
    for (const s of fx.samples) {
      assert.equal(s.inputs.length, entry.inputs.length, `${where}: input count`);
      s.inputs.forEach((a, k) => {
        assert.equal(a.dtype, entry.inputs[k]!.dtype, `${where}: input ${k} dtype`);
        assert.deepEqual(a.shape, entry.inputs[k]!.shape, `${where}: input ${k} shape`);
      });
      assert.equal(s.lceOutputs.length, entry.outputs.length, `${where}: output count`);
      s.lceOutputs.forEach((a, k) => {
        assert.equal(a.dtype, entry.outputs[k]!.dtype, `${where}: output ${k} dtype`);
        assert.deepEqual(a.shape, entry.outputs[k]!.shape, `${where}: output ${k} shape`);
        assert.equal(s.kerasOutputs[k]!.dtype, 'float32');
        assert.equal(s.kerasOutputs[k]!.data.length, a.data.length, `${where}: keras output ${k} size`);
      });
    }
  }
});

test('the matrix covers every LCE op and the required paths', { skip: !hasFixtures() && 'no fixtures' }, () => {
  const matrix = listCases('matrix');
  const total: Record<string, number> = {};
  for (const c of matrix) for (const [op, n] of Object.entries(c.lce_ops)) total[op] = (total[op] ?? 0) + n;
  for (const op of LCE_OPS) assert.ok((total[op] ?? 0) > 0, `no matrix case uses ${op}`);
  assert.ok(matrix.some((c) => c.inputs[0]!.dtype === 'int8'), 'no int8-io case');
  assert.ok(matrix.some((c) => c.interpreter_options.use_reference_bconv), 'no grouped (reference-kernel) case');
  assert.ok(matrix.some((c) => c.outputs.length > 1), 'no multi-output case');
});
