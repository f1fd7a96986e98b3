// Field offsets (bytes) of the float-kernel descriptor, an i32/f32 array the TS boundary writes into wasm memory
// (src/backend/wasm.ts, "float kernels" section, mirrors this list). One descriptor per prepared CONV_2D /
// FULLY_CONNECTED / DEPTHWISE_CONV_2D / pool lets a worker run any output-row range of it with only a pointer.
// A row is one output pixel (n, oy, ox); FULLY_CONNECTED is a 1x1 convolution over a batches x 1 "image".
export const F_INPUT: usize = 0;
export const F_BATCH: usize = 4;
export const F_IN_H: usize = 8;
export const F_IN_W: usize = 12;
export const F_IN_C: usize = 16;
export const F_OUT_H: usize = 20;
export const F_OUT_W: usize = 24;
export const F_FH: usize = 28;
export const F_FW: usize = 32;
export const F_SH: usize = 36;
export const F_SW: usize = 40;
export const F_DH: usize = 44;
export const F_DW: usize = 48;
export const F_PAD_TOP: usize = 52;
export const F_PAD_LEFT: usize = 56;
/** GEMM depth: fh·fw·inC (im2col row length in floats). */
export const F_K: usize = 60;
export const F_CH_OUT: usize = 64;
/** Output channels padded to the tile's NR (packed weight panels, bias). */
export const F_N_PADDED: usize = 68;
/** GEMM: panels of NR channels, each [K][NR]; depthwise: [fh·fw][outC]. */
export const F_WEIGHTS: usize = 72;
/** Bias, F_N_PADDED floats (zeros when the op has none). */
export const F_BIAS: usize = 76;
export const F_OUT: usize = 80;
/** f32 clamp of the fused activation (±Infinity for none). */
export const F_CLAMP_LO: usize = 84;
export const F_CLAMP_HI: usize = 88;
/** im2col rows per block (per-thread scratch holds one block). */
export const F_BLOCK_ROWS: usize = 92;
/** 1: the input rows are the GEMM's A rows (1x1, stride 1, no padding); no im2col. */
export const F_DIRECT: usize = 96;
/** Depthwise: output channels per input channel. */
export const F_DEPTH_MULT: usize = 100;

/** Scalar fused-activation clamp. */
// @ts-ignore: decorator
@inline export function clampf(v: f32, lo: f32, hi: f32): f32 {
  // NaN passes through like the reference's `acc < lo ? lo : acc > hi ? hi : acc`
  return v < lo ? lo : v > hi ? hi : v;
}

/** First filter tap whose input coordinate origin + k·dilation is >= 0. */
// @ts-ignore: decorator
@inline export function tapStart(origin: i32, dilation: i32): i32 {
  // no division for dilation 1 (per output pixel, an i32 division costs as much as a 16-channel tap)
  return origin >= 0 ? 0 : dilation == 1 ? -origin : (dilation - 1 - origin) / dilation;
}

/** One past the last filter tap whose input coordinate is < size (never below tapStart). */
// @ts-ignore: decorator
@inline export function tapEnd(origin: i32, size: i32, taps: i32, dilation: i32): i32 {
  const room = size - origin;
  const end = room <= 0 ? 0 : min(taps, dilation == 1 ? room : (room + dilation - 1) / dilation);
  return max(end, tapStart(origin, dilation));
}

export const OP_ADD: i32 = 0;
export const OP_MUL: i32 = 1;

// Descriptor of ADD + LceQuantize fused (f32_add_pack): a rows x channels ADD whose result rows are also bitpacked.
export const E_A: usize = 0;
/** Same shape as a, or (E_BCAST 1) one row of `channels` values repeated. */
export const E_B: usize = 4;
export const E_OUT: usize = 8;
/** Packed words, ceil(channels / 32) per row (bit = result < 0, as LceQuantize). */
export const E_BITS: usize = 12;
export const E_CHANNELS: usize = 16;
export const E_BCAST: usize = 20;
export const E_CLAMP_LO: usize = 24;
export const E_CLAMP_HI: usize = 28;
