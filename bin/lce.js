#!/usr/bin/env node
// The `lce` command. Uses the compiled package when present (installed from npm), else the TypeScript sources
// through tsx (a development checkout).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
let main;
if (existsSync(compiled) && !existsSync(join(root, 'src', 'cli', 'main.ts'))) {
  ({ main } = await import(pathToFileURL(compiled).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href));
}
process.exitCode = await main(process.argv.slice(2));
