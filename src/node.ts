/** lce-js for Node: the browser-safe API plus model loading from the file system. */
import { readFile } from 'node:fs/promises';
import { LceError } from './errors.js';
import { setFileLoader } from './runtime/session.js';
import { setDefaultKernelLoader } from './runtime/backend.js';
import { nodeKernelLoader } from './backend/node-loader.js';

setFileLoader(async (path) => {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new LceError('IO', `cannot read model file ${path}: ${(cause as Error).message}`, { cause });
  }
});

setDefaultKernelLoader(nodeKernelLoader);

export * from './index.js';
