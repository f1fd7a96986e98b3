#!/usr/bin/env node
// `npm test`: install what is missing, build the wasm kernels when they are missing or stale,
// typecheck, then run every *.test.ts under src/ and test/ with node's test runner (via tsx).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSetup } from './setup.mjs';

ensureSetup();

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
// The benchmarks are not under src/ but must not rot: typecheck them too.
run('npx', ['tsc', '-p', 'bench/tsconfig.json']);
run('npx', ['tsc', '-p', 'bench/compare/tsconfig.json']);

function findTests(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : [...findTests('src', []), ...findTests('test', [])].sort();
run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
