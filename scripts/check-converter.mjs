#!/usr/bin/env node
// `npm run fixtures:check-converter [-- --case group/case,… | --group zoo]`: converts every corpus Keras file
// with lce-js and runs the result in the real LCE interpreter against LCE's own outputs
// (tools/reference/check_lcejs_conversions.py); writes test/fixtures/converter-check.json.
// Uses the oracle's venv; `npm run fixtures` creates it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const REF = 'tools/reference';
const PY = join(REF, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
if (!existsSync(PY)) {
  console.error(`[check-converter] ${PY} is missing: run \`npm run fixtures -- --list\` once to create the oracle's venv`);
  process.exit(1);
}
const r = spawnSync(PY, [join(REF, 'check_lcejs_conversions.py'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TF_USE_LEGACY_KERAS: '1' },
});
if (r.error) {
  console.error(`[check-converter] cannot run ${PY}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
