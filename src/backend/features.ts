/** Feature detection for choosing the kernel build. */

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): validates only with SIMD128 support.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function hasWasmSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// (module (func (export "m") (param f32 f32 f32) (result f32)
//   local.get 0 f32x4.splat local.get 1 f32x4.splat local.get 2 f32x4.splat f32x4.relaxed_madd f32x4.extract_lane 0))
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 125, 125, 125, 1, 125, 3, 2, 1, 0, 7, 5, 1, 1, 109, 0, 0, 10, 22, 1,
  20, 0, 32, 0, 253, 19, 32, 1, 253, 19, 32, 2, 253, 19, 253, 133, 2, 253, 31, 0, 11,
]);

/** Relaxed SIMD validates (Chrome ≥ 114, Node ≥ 22; Node 20 with --experimental-wasm-relaxed-simd). */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_MADD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Relaxed SIMD validates AND f32x4.relaxed_madd rounds once (a true fused multiply-add: x64 with FMA3, arm64), so the
 * relaxed-SIMD float GEMM equals the reference bit for bit. (1 + 2^-12)² = 1 + 2^-11 + 2^-24 needs 25 bits: fused,
 * minus (1 + 2^-11) leaves 2^-24; rounded first, it leaves 0.
 */
export function hasFusedRelaxedMadd(): boolean {
  if (!hasRelaxedSimd()) return false;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_MADD_PROBE));
    const madd = instance.exports['m'] as (a: number, b: number, c: number) => number;
    const a = 1 + 2 ** -12;
    return madd(a, a, -(1 + 2 ** -11)) === 2 ** -24;
  } catch {
    return false;
  }
}

// (module (func (export "s") (param i32) (result i32)
//   v128.const i8x16 10 11 … 25  local.get 0 i8x16.splat  i8x16.relaxed_swizzle  i8x16.extract_lane_u 0))
const RELAXED_SWIZZLE_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 115, 0, 0, 10, 32, 1, 30, 0, 253,
  12, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 32, 0, 253, 15, 253, 128, 2, 253, 22, 0, 11,
]);
let x86Swizzle: boolean | undefined;

/**
 * The engine runs on x86 (relaxed_swizzle is pshufb: index 0x11 picks table[1], where arm64's tbl gives 0). There
 * i8x16.popcnt is emulated in 10 instructions and i64.popcnt is the integer ALUs' POPCNT, which the hybrid binary
 * GEMM tile exploits; on arm64 i8x16.popcnt is one instruction and i64.popcnt is not native. False where relaxed SIMD
 * does not validate (nothing to tell by).
 */
export function hasX86Swizzle(): boolean {
  if (x86Swizzle === undefined) {
    try {
      const s = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_SWIZZLE_PROBE)).exports['s'] as (i: number) => number;
      x86Swizzle = s(0x11) === 11;
    } catch {
      x86Swizzle = false;
    }
  }
  return x86Swizzle;
}

/** Shared memory for worker threads needs SharedArrayBuffer (browsers: cross-origin isolation). */
export function hasSharedMemory(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
