#!/usr/bin/env node
// Builds the AssemblyScript kernels from the same sources: build/kernels-simd.wasm (SIMD128) and
// build/kernels-scalar.wasm (no SIMD), build/kernels-simd-fma.wasm (SIMD128 + relaxed SIMD: the float GEMM tiles use
// f32x4.relaxed_madd, loaded only where it is fused), plus -shared twins of all three for worker threads. All import their memory (env.memory) so the TS boundary owns it and can
// pass a shared WebAssembly.Memory for worker threads. `needsWasmBuild()` says whether build/ is missing or older
// than src/kernels.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src', 'kernels');
const outDir = join(root, 'build');
export const WASM_OUTPUTS = ['simd', 'scalar', 'simd-fma', 'simd-shared', 'scalar-shared', 'simd-fma-shared'].map((b) => join(outDir, `kernels-${b}.wasm`));

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) { if (name !== 'generated') newest = Math.max(newest, newestSource(p)); }
    else if (/\.(ts|mjs|json)$/.test(name)) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

export function needsWasmBuild() {
  const src = Math.max(newestSource(srcDir), statSync(fileURLToPath(import.meta.url)).mtimeMs);
  return WASM_OUTPUTS.some((f) => !existsSync(f) || statSync(f).mtimeMs < src);
}

export async function buildWasm() {
  const { generate } = await import('../src/kernels/gen-bgemm.mjs');
  generate();
  mkdirSync(outDir, { recursive: true });
  const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  const common = [
    '--runtime', 'stub', '--importMemory', '--initialMemory', '1', '--noAssert', '--use', 'abort=',
    '-O3', '--converge', '--noExportMemory',
  ];
  const builds = [
    { entry: 'entry_simd.ts', out: WASM_OUTPUTS[0], flags: ['--enable', 'simd'] },
    { entry: 'entry_scalar.ts', out: WASM_OUTPUTS[1], flags: ['--disable', 'simd'] },
    { entry: 'entry_simd_fma.ts', out: WASM_OUTPUTS[2], flags: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  ];
  // Shared-memory twins: a shared WebAssembly.Memory can only be imported by a module that declares it shared.
  const shared = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '32768'];
  for (const b of builds.slice()) builds.push({ ...b, out: b.out.replace(/\.wasm$/, '-shared.wasm'), flags: [...b.flags, ...shared] });
  for (const b of builds) {
    const r = spawnSync(process.execPath, [asc, join(srcDir, b.entry), '-o', b.out, ...common, ...b.flags], {
      stdio: 'inherit', cwd: root,
    });
    if (r.status !== 0) throw new Error(`asc failed for ${b.entry}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWasm();
  console.log(`built ${WASM_OUTPUTS.map((f) => f.slice(root.length + 1)).join(', ')}`);
}
