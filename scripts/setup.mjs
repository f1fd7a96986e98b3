// Shared by `npm test` and `npm start`: a fresh clone needs no other command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { needsWasmBuild } from './build-wasm.mjs';

export function ensureSetup() {
  if (!existsSync('node_modules/.package-lock.json')) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  // The wasm kernels: build when build/*.wasm is missing or older than src/kernels.
  if (needsWasmBuild()) {
    const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
