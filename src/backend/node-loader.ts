/** Node: read the kernel builds from the package's build/ folder (two levels above src/backend or dist/backend). */
import { readFile } from 'node:fs/promises';
import type { KernelBuild, KernelLoader } from './wasm.js';

export const nodeKernelLoader: KernelLoader = {
  async load(build: KernelBuild): Promise<Uint8Array> {
    const file = new URL(`../../build/kernels-${build}.wasm`, import.meta.url);
    return readFile(file);
  },
};
