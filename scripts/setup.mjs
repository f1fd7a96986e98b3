// Shared by `npm test` and `npm start`: a fresh clone needs no other command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureSetup() {
  if (!existsSync('node_modules/.package-lock.json')) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
