#!/usr/bin/env node
// `npm start`: the demo (see src/cli/demo.ts). Installs and builds what is missing first.
import { spawnSync } from 'node:child_process';
import { ensureSetup } from './setup.mjs';

ensureSetup();
const r = spawnSync(process.execPath, ['bin/lce.js', 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
