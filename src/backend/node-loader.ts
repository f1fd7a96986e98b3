/** Node: read the kernel builds from the package's build/ folder (two levels above src/backend or dist/backend). */
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { hasRelaxedSimd } from './features.js';
import type { KernelBuild, KernelLoader } from './wasm.js';

// Node 20 (V8 11.3) validates relaxed SIMD only behind this flag (on by default from Node 22). V8 flags are per
// process, so worker threads get it too. Set before any kernel module compiles: the relaxed-SIMD build is chosen only
// where hasFusedRelaxedMadd() (features.ts) then says relaxed_madd is fused.
if (!hasRelaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');

export const nodeKernelLoader: KernelLoader = {
  async load(build: KernelBuild): Promise<Uint8Array> {
    const file = new URL(`../../build/kernels-${build}.wasm`, import.meta.url);
    return readFile(file);
  },
};
