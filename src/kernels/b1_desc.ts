// Field offsets (bytes) of the binary-convolution descriptor, an i32 array the TS boundary writes into wasm
// memory (src/backend/wasm.ts mirrors this list). One descriptor per conv lets a worker run any row range of it
// with nothing but a pointer.
export const D_INPUT: usize = 0;
export const D_BATCH: usize = 4;
export const D_IN_H: usize = 8;
export const D_IN_W: usize = 12;
export const D_IN_WORDS: usize = 16;
export const D_OUT_H: usize = 20;
export const D_OUT_W: usize = 24;
export const D_FH: usize = 28;
export const D_FW: usize = 32;
export const D_SH: usize = 36;
export const D_SW: usize = 40;
export const D_DH: usize = 44;
export const D_DW: usize = 48;
export const D_PAD_TOP: usize = 52;
export const D_PAD_LEFT: usize = 56;
export const D_GROUPS: usize = 60;
export const D_WORDS_PER_GROUP: usize = 64;
export const D_K_WORDS: usize = 68;
export const D_CH_OUT: usize = 72;
export const D_CH_OUT_PER_GROUP: usize = 76;
export const D_N_PADDED: usize = 80;
export const D_WEIGHTS: usize = 84;
export const D_OUT_KIND: usize = 88;
export const D_OUT: usize = 92;
export const D_M_PRIME: usize = 96;
export const D_B_PRIME: usize = 100;
export const D_CLAMP_LO: usize = 104;
export const D_CLAMP_HI: usize = 108;
export const D_THRESHOLDS: usize = 112;
export const D_CORRECTION: usize = 116;
export const D_BLOCK_ROWS: usize = 120;
export const D_DIRECT: usize = 124;
/** Bytes from one row of the GEMM's A operand to the next: kWords·4, or sw pixels' stacked taps in stacked mode. */
export const D_A_STRIDE: usize = 128;
/** Nonzero: stacked mode (stackedRows in b1_bconv2d.ts) instead of im2col. */
export const D_STACKED: usize = 132;

export const OUT_F32: i32 = 0;
export const OUT_I8: i32 = 1;
export const OUT_BITS: i32 = 2;
export const OUT_ACCUM: i32 = 3;

/** Output row stride in bytes for the descriptor's output kind. */
// @ts-ignore: decorator
@inline export function outRowBytes(d: usize): i32 {
  const kind = load<i32>(d + D_OUT_KIND);
  const c = load<i32>(d + D_CH_OUT);
  if (kind == OUT_I8) return c;
  if (kind == OUT_BITS) return ((c + 31) >> 5) << 2;
  return c << 2;
}
