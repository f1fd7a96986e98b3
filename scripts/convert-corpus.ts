// `node --import tsx scripts/convert-corpus.ts --out DIR [--case group/case|case,…] [--group zoo,…]`: converts every
// corpus Keras file (test/fixtures/manifest.json) with lce-js in this one process, with each case's converter
// options, into DIR/<group>__<case>.tflite, and writes DIR/plan.json for tools/reference/check_lcejs_conversions.py
// (run by `npm run fixtures:check-converter`). Per case: what the oracle expects (test/converter-expectations.ts)
// and, for a conversion, its graph diff against LCE's .tflite; where that diff is only BatchNorm-fold rounding,
// also DIR/<group>__<case>.lce-constants.tflite, our file with LCE's values in the differing constants.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertKeras } from '../src/converter/convert.js';
import { readModel } from '../src/format/read.js';
import { writeModel } from '../src/format/write.js';
import { bnFoldProblems, bnFoldSummary, diffModels, withConstantsOf } from '../test/converter-diff.js';
import { convertOptionsFor, expectationOf } from '../test/converter-expectations.js';
import { FIXTURES_DIR, listCases } from '../test/fixtures.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, case: { type: 'string' }, group: { type: 'string' } } });
if (!values.out) {
  console.error('usage: convert-corpus.ts --out DIR [--case group/case,…] [--group g,…]');
  process.exit(2);
}
const out = values.out;
mkdirSync(out, { recursive: true });
const groups = values.group?.split(',');
const ids = values.case?.split(',');
const cases = listCases().filter((c) => c.files.h5)
  .filter((c) => !groups || groups.includes(c.group))
  .filter((c) => !ids || ids.includes(`${c.group}/${c.case}`) || ids.includes(c.case));

const rows = [];
const t0 = Date.now();
for (const c of cases) {
  const id = `${c.group}/${c.case}`;
  const expected = expectationOf(id);
  const row: Record<string, unknown> = { case: id, dir: c.dir, expected };
  const t = Date.now();
  try {
    const { bytes } = await convertKeras(join(FIXTURES_DIR, c.dir, c.files.h5!), convertOptionsFor(c.converter_options));
    row.convert_seconds = (Date.now() - t) / 1e3;
    const file = `${id.replace('/', '__')}.tflite`;
    writeFileSync(join(out, file), bytes);
    row.file = file;
    row.tflite_bytes = bytes.byteLength;
    const ours = readModel(bytes, id);
    const theirs = readModel(new Uint8Array(readFileSync(join(FIXTURES_DIR, c.dir, c.files.tflite))), `${id} (LCE)`);
    const diff = diffModels(ours, theirs);
    const problems = bnFoldProblems(diff);
    row.graph = problems.length === 0
      ? { same_as_lce_but_bn_fold_rounding: true, ...bnFoldSummary(diff) }
      : { same_as_lce_but_bn_fold_rounding: false, differences: problems.slice(0, 5) };
    if (problems.length === 0 && diff.constants.length + diff.scales.length > 0) {
      const patched = `${id.replace('/', '__')}.lce-constants.tflite`;
      writeFileSync(join(out, patched), writeModel(withConstantsOf(ours, theirs, diff.constants, diff.scales)));
      row.lce_constants_file = patched;
    }
    row.status = 'converted';
  } catch (e) {
    row.convert_seconds = (Date.now() - t) / 1e3;
    const err = e as Error & { code?: string };
    row.status = err.code === 'CONVERTER' ? 'refused' : 'convert_failed';
    row.detail = `${err.name}: ${err.message}`.replaceAll(`${process.cwd()}/`, '').slice(0, 300);
  }
  rows.push(row);
  console.log(`  ${id.padEnd(45)} ${String(row.status).padEnd(10)} ${(row.convert_seconds as number).toFixed(2)} s`);
}
writeFileSync(join(out, 'plan.json'), JSON.stringify({ seconds: (Date.now() - t0) / 1e3, cases: rows }, null, 1) + '\n');
console.log(`[convert-corpus] ${rows.length} cases in ${((Date.now() - t0) / 1e3).toFixed(1)} s -> ${join(out, 'plan.json')}`);
