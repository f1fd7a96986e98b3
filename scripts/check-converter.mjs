#!/usr/bin/env node
// `npm run fixtures:check-converter [-- --case group/case,… | --group zoo]`: converts every corpus Keras file with
// lce-js in one Node process (scripts/convert-corpus.ts, into a temporary folder), then runs all the results in the
// real LCE interpreter against LCE's own outputs in one Python process (tools/reference/check_lcejs_conversions.py);
// writes test/fixtures/converter-check.json. Exits 1 on any unexpected status. `npm run fixtures` ends with it.
// Uses the oracle's venv; `npm run fixtures` creates it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const REF = 'tools/reference';
const PY = join(REF, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
if (!existsSync(PY)) {
  console.error(`[check-converter] ${PY} is missing: run \`npm run fixtures -- --list\` once to create the oracle's venv`);
  process.exit(1);
}
const { values } = parseArgs({ options: { case: { type: 'string' }, group: { type: 'string' } } });
const selection = [...(values.case ? ['--case', values.case] : []), ...(values.group ? ['--group', values.group] : [])];

function run(what, cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.error) {
    console.error(`[check-converter] cannot run ${what}: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

const dir = mkdtempSync(join(tmpdir(), 'lcejs-check-'));
let status;
try {
  status = run('the lce-js conversions', process.execPath, ['--import', 'tsx', 'scripts/convert-corpus.ts', '--out', dir, ...selection]);
  if (status === 0) {
    status = run(PY, PY, [join(REF, 'check_lcejs_conversions.py'), '--plan', join(dir, 'plan.json'), ...(selection.length ? ['--partial'] : [])],
      { ...process.env, TF_USE_LEGACY_KERAS: '1', TF_CPP_MIN_LOG_LEVEL: '3' });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
