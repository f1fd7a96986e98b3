/**
 * The one list of kernel variants: tests run every entry against the reference kernels, the kernel benchmark
 * measures every entry, and selection takes the preferred one for the loaded build. A variant's name is its
 * wasm export (the bconv2d driver export is the same name with b1_bconv2d_ for b1_bgemm_).
 */
export type Isa = 'wasmsimd' | 'scalar';

export interface BgemmVariant {
  /** Export of the standalone GEMM tile loop, e.g. b1_bgemm_2x8__wasmsimd. */
  readonly name: string;
  /** Export of the LceBconv2d row-range driver built on this tile. */
  readonly conv: string;
  readonly isa: Isa;
  /** Output rows per tile. */
  readonly mr: number;
  /** Output channels per tile; packed weights are padded to a multiple of it. */
  readonly nr: number;
  /** 32-bit words consumed per inner step (v128 = 4, i64 = 2); weights interleave NR channels at this grain. */
  readonly stepWords: number;
}

function bgemm(isa: Isa, mr: number, nr: number, stepWords = isa === 'wasmsimd' ? 4 : 2, kind = ''): BgemmVariant {
  const shape = `${mr}x${nr}__${isa}${kind}`;
  return { name: `b1_bgemm_${shape}`, conv: `b1_bconv2d_${shape}`, isa, mr, nr, stepWords };
}

/**
 * Must match SIMD_TILES, SIMD_WORD_TILES, SIMD_HYBRID_TILES and SCALAR_TILES in src/kernels/gen-bgemm.mjs (a test
 * checks the exports exist).
 */
export const BGEMM_VARIANTS: readonly BgemmVariant[] = [
  bgemm('wasmsimd', 1, 8), bgemm('wasmsimd', 2, 4), bgemm('wasmsimd', 2, 8), bgemm('wasmsimd', 3, 8),
  bgemm('wasmsimd', 4, 4), bgemm('wasmsimd', 4, 8),
  // SIMD_WORD_TILES: word-grain weights (one K word splat per row, lanes = channels)
  bgemm('wasmsimd', 1, 16, 1), bgemm('wasmsimd', 2, 16, 1), bgemm('wasmsimd', 3, 16, 1),
  // SIMD_HYBRID_TILES: two-word grain, 6 channels in v128 + 2 in i64 popcount per row
  bgemm('wasmsimd', 2, 8, 2, '_hybrid'),
  bgemm('scalar', 1, 4), bgemm('scalar', 2, 4), bgemm('scalar', 4, 2), bgemm('scalar', 4, 4),
];

/**
 * The binary GEMM tile a build uses unless told otherwise: on an x86 engine (features.ts hasX86Swizzle) the
 * SIMD build takes PREFERRED_BGEMM_X86, elsewhere PREFERRED_BGEMM. Chosen by interleaved A/B runs on the development
 * machine (2-core AMD EPYC Zen 3 VM, Node 20, shared and noisy; min over 60 rounds).
 *
 * x86: the 2x8 hybrid tile (6 channels per row in v128, 2 in i64 popcount). The 1x16 tile was at the vector ALU bound
 * (8 ops per 128 binary MACs, 4 pipes); V8's i8x16.popcnt also reloads two constants each time, which fills the
 * 6-wide dispatch, while the relaxed-SIMD nibble lookup (same 8 ALU ops) keeps its table in registers, and the slots
 * it frees carry the i64 channels to the otherwise idle integer ALUs. Relaxed-SIMD build, hybrid vs the word-grain
 * 1x16 tile: micro-kernel peak 196 vs 142 G binary-MAC/s, QuickNet's 3x3 layers 56x56x64 0.84 vs 0.97 ms, 28x28x128
 * 0.66 vs 0.87, 14x14x256 0.59 vs 0.81, 7x7x512 0.57 vs 0.79; SIMD128 build (i8x16.popcnt): 0.97 vs 0.97, 0.79 vs
 * 0.87, 0.73 vs 0.81, 0.71 vs 0.80. Hybrid 1x16 (12 + 4 channels) came second; the hybrid without the nibble lookup
 * or the lookup without the i64 channels gained ≤ 5 %. More i64 channels lost (session 3, interleaved min of 30 rounds,
 * peak / 56x56x64 ms): 2x8 with 4 v128 + 4 i64 channels 169 G / 0.91, 2x6 (4 + 2) 174 G / 0.94, 1x10 (4 + 6) 141 G / 1.08,
 * 2x8 (2 + 6) 140 G / 1.06, against 196 G / 0.83 for 6 + 2: the integer side is not free in V8's code.
 * Issue #4 (session 4, interleaved min of 60 rounds, old tile vs new, peak G / ms per layer 56, 28, 14, 7): a
 * one-pass path for K ≤ 62 words (no chunk loop, no 32-bit accumulators live across the K loop) and the i64 channels
 * summed as an i64x2 "v128" with the pair shuffles: 196 vs 197 G, 0.837 vs 0.732, 0.660 vs 0.596, 0.590 vs 0.587,
 * 0.570 vs 0.583 (the last two take the unchanged chunked path; a repeat had 0.590 vs 0.571); the GEMM alone at K = 18
 * (3136 rows, float output) 0.829 vs 0.681 ms. The epilogue change alone: 0.764 ms on that GEMM, 0.820 on 56x56x64.
 * The im2col block size made no difference at K = 18 (32 to 454 rows: 0.711-0.720 ms on 56x56x64). Tried and dropped
 * (same-build A/B, min of 100-150 rounds): the weight pointer carried from one channel tile to the next instead of
 * recomputed (56x56x64 0.690 → 0.705 ms, 28x28x128 0.589 → 0.604), the chunked path's accumulators packed into 3 v128
 * (both rows' odd channel pairs in one; ±0.3 % on all layers and the peak), the old lane-by-lane epilogue on the
 * chunked path (7x7x512 0.569 vs 0.571 ms, 14x14x256 0.586 vs 0.591). Left alone: V8 compiles the two K paths better
 * or worse depending on what shares their function. The chunked path as a function of its own: peak 196 → 200 G,
 * 14x14x256 0.590 → 0.574, 7x7x512 0.569 → 0.555 ms; but the one-pass path alone then loses (56x56x64 0.690 → 0.716,
 * 28x28x128 0.588 → 0.597), and swapping the two paths' order inside one function changed nothing; one function
 * serves the small-K layers this tile was tuned for.
 *
 * Elsewhere (arm64: i8x16.popcnt is one instruction, i64.popcnt is not native): the word-grain 1x16 tile, which beat
 * 1x8 (the best 4-word tile) on all four layers on x86: 56x56x64 0.98 vs 1.30 ms (1x8 pays a 4x4 horizontal sum per 4
 * outputs and pads K to 20 words), 28x28x128 0.87 vs 1.01, 14x14x256 0.81 vs 0.89, 7x7x512 0.79 vs 0.84. 1x4 led the
 * scalar tiles.
 */
export const PREFERRED_BGEMM: Readonly<Record<Isa, string>> = {
  wasmsimd: 'b1_bgemm_1x16__wasmsimd',
  scalar: 'b1_bgemm_1x4__scalar',
};
export const PREFERRED_BGEMM_X86: Readonly<Record<Isa, string>> = {
  wasmsimd: 'b1_bgemm_2x8__wasmsimd_hybrid',
  scalar: 'b1_bgemm_1x4__scalar',
};

export function preferredBgemm(isa: Isa, x86: boolean): string {
  return (x86 ? PREFERRED_BGEMM_X86 : PREFERRED_BGEMM)[isa];
}

export interface SimpleVariant {
  readonly name: string;
  readonly isa: Isa;
}

/** float32 → bits packers. */
export const PACK_F32_VARIANTS: readonly SimpleVariant[] = [
  { name: 'b1_pack_f32__wasmsimd', isa: 'wasmsimd' }, { name: 'b1_pack_f32__scalar', isa: 'scalar' },
];
/** int8 (zero point) → bits packers. */
export const PACK_I8_VARIANTS: readonly SimpleVariant[] = [
  { name: 'b1_pack_i8__wasmsimd', isa: 'wasmsimd' }, { name: 'b1_pack_i8__scalar', isa: 'scalar' },
];

/** The variants a build can run: the SIMD build has every kernel, the scalar build only the scalar ones. */
export function availableIn<T extends { isa: Isa }>(variants: readonly T[], build: Isa): T[] {
  return variants.filter((v) => build === 'wasmsimd' || v.isa === 'scalar');
}

/** The preferred variant of a list for a build: its own ISA first, else scalar. */
export function preferred<T extends { isa: Isa }>(variants: readonly T[], build: Isa): T {
  const v = variants.find((x) => x.isa === build) ?? variants.find((x) => x.isa === 'scalar');
  if (!v) throw new Error('no kernel variant for this build');
  return v;
}

export function bgemmVariant(name: string): BgemmVariant {
  const v = BGEMM_VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`unknown binary GEMM variant ${name}`);
  return v;
}

// ---- float kernels ------------------------------------------------------------------------------------------

export interface F32GemmVariant {
  /** Export of the standalone float GEMM tile loop, e.g. f32_gemm_4x8__wasmsimd. */
  readonly name: string;
  /** Export of the CONV_2D / FULLY_CONNECTED row-range driver built on this tile. */
  readonly conv: string;
  readonly isa: Isa;
  /** Output rows per tile. */
  readonly mr: number;
  /** Output channels per tile; packed weights and bias are padded to a multiple of it. */
  readonly nr: number;
}

function f32gemm(isa: Isa, mr: number, nr: number): F32GemmVariant {
  const shape = `${mr}x${nr}__${isa}`;
  return { name: `f32_gemm_${shape}`, conv: `f32_conv2d_${shape}`, isa, mr, nr };
}

/** Must match F32_SIMD_TILES / F32_SCALAR_TILES in src/kernels/f32_gemm_gen.mjs (a test checks the exports). */
export const F32_GEMM_VARIANTS: readonly F32GemmVariant[] = [
  f32gemm('wasmsimd', 1, 8), f32gemm('wasmsimd', 2, 8), f32gemm('wasmsimd', 4, 8), f32gemm('wasmsimd', 5, 8),
  f32gemm('wasmsimd', 6, 8), f32gemm('wasmsimd', 1, 16), f32gemm('wasmsimd', 2, 16), f32gemm('wasmsimd', 3, 16),
  f32gemm('scalar', 1, 2), f32gemm('scalar', 1, 4), f32gemm('scalar', 2, 4), f32gemm('scalar', 4, 2),
  f32gemm('scalar', 4, 4),
];

/**
 * Chosen by the float rows of `npm run bench:kernels` on the development machine (2-core AMD EPYC, Node 20, shared
 * and noisy; minima over repeated, interleaved runs): 2x16 had the lowest total over QuickNet's float convolutions
 * and dense layer and beat 4x8 on every layer head to head (~31 G FLOP/s on the 1x1 transitions; 8 accumulators +
 * 4 weight quads + the splat fit x64's 16 vector registers, 3x16 spills; unrolling K by 2 or 4 was 10-40 % slower);
 * 2x4 led the scalar tiles. The im2col block size (8-128 KB) made no measurable difference. Since the tiles emulate
 * a fused multiply-add per depth step in f64x2 (bit-exact with LCE's x86 TFLite) every SIMD tile runs at ~4-6 G FLOP/s
 * (f64 add + convert bound); 2x8, 2x16 and 3x16 tie.
 */
export const PREFERRED_F32_GEMM: Readonly<Record<Isa, string>> = {
  wasmsimd: 'f32_gemm_2x16__wasmsimd',
  scalar: 'f32_gemm_2x4__scalar',
};

export function f32GemmVariant(name: string): F32GemmVariant {
  const v = F32_GEMM_VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`unknown float GEMM variant ${name}`);
  return v;
}

function simdAndScalar(base: string): readonly SimpleVariant[] {
  return [{ name: `${base}__wasmsimd`, isa: 'wasmsimd' }, { name: `${base}__scalar`, isa: 'scalar' }];
}
/** DEPTHWISE_CONV_2D (descriptor, pixel range). */
export const F32_DWCONV_VARIANTS = simdAndScalar('f32_dwconv2d');
/** MAX_POOL_2D / AVERAGE_POOL_2D (descriptor, pixel range). */
export const F32_MAXPOOL_VARIANTS = simdAndScalar('f32_maxpool2d');
export const F32_AVGPOOL_VARIANTS = simdAndScalar('f32_avgpool2d');
/** ADD / MUL (same shape or one row broadcast; row range). */
export const F32_ADD_VARIANTS = simdAndScalar('f32_add');
export const F32_MUL_VARIANTS = simdAndScalar('f32_mul');
/** ADD whose result is also bitpacked for the LceQuantize after it (descriptor, row range): the ADD + LceQuantize fusion. */
export const F32_ADD_PACK_VARIANTS = simdAndScalar('f32_add_pack');
/** MEAN over H,W (batch range). */
export const F32_MEAN_HW_VARIANTS = simdAndScalar('f32_mean_hw');
