// Float direct kernels without SIMD: DEPTHWISE_CONV_2D, MAX_POOL_2D / AVERAGE_POOL_2D, ADD / MUL, MEAN over H,W.
// Row-range entry points (a row is one output pixel; for elementwise ops one row of `channels` elements) so a
// worker can run any slice.
import {
  F_INPUT, F_IN_H, F_IN_W, F_IN_C, F_OUT_H, F_OUT_W, F_FH, F_FW, F_SH, F_SW, F_DH, F_DW, F_PAD_TOP, F_PAD_LEFT,
  F_WEIGHTS, F_BIAS, F_OUT, F_CLAMP_LO, F_CLAMP_HI, F_DEPTH_MULT, OP_ADD, OP_MUL, clampf, tapStart, tapEnd,
  E_A, E_B, E_OUT, E_BITS, E_CHANNELS, E_BCAST, E_CLAMP_LO, E_CLAMP_HI,
} from './f32_desc';

/**
 * Depthwise output pixel (any depth multiplier), channels [c0, outC): output channel oc = ic·M + m reads input
 * channel ic. Shared by both builds (the SIMD one uses it for multipliers ≠ 1 and channel tails).
 */
export function dwconvPixelScalar(d: usize, m: i32, c0: i32): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), inC = load<i32>(d + F_IN_C);
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const fh = load<i32>(d + F_FH), fw = load<i32>(d + F_FW);
  const sh = load<i32>(d + F_SH), sw = load<i32>(d + F_SW), dh = load<i32>(d + F_DH), dw = load<i32>(d + F_DW);
  const mult = load<i32>(d + F_DEPTH_MULT);
  const outC = inC * mult;
  const lo = load<f32>(d + F_CLAMP_LO), hi = load<f32>(d + F_CLAMP_HI);
  const w = load<usize>(d + F_WEIGHTS), bias = load<usize>(d + F_BIAS);
  const plane = outH * outW;
  const n = m / plane, rem = m - n * plane;
  const oy = rem / outW, ox = rem - (rem / outW) * outW;
  const y0 = oy * sh - load<i32>(d + F_PAD_TOP), x0 = ox * sw - load<i32>(d + F_PAD_LEFT);
  const ky0 = tapStart(y0, dh), ky1 = tapEnd(y0, inH, fh, dh);
  const kx0 = tapStart(x0, dw), kx1 = tapEnd(x0, inW, fw, dw);
  const input = load<usize>(d + F_INPUT) + (<usize>(n * inH * inW * inC) << 2);
  const out = load<usize>(d + F_OUT) + (<usize>(m * outC) << 2);
  for (let oc = c0; oc < outC; oc++) {
    const ic = oc / mult;
    let acc = load<f32>(bias + (<usize>oc << 2));
    for (let ky = ky0; ky < ky1; ky++) {
      const row = input + (<usize>(((y0 + ky * dh) * inW) * inC + ic) << 2);
      const wrow = w + (<usize>(ky * fw * outC + oc) << 2);
      for (let kx = kx0; kx < kx1; kx++) {
        acc += load<f32>(row + (<usize>((x0 + kx * dw) * inC) << 2)) * load<f32>(wrow + (<usize>(kx * outC) << 2));
      }
    }
    store<f32>(out + (<usize>oc << 2), clampf(acc, lo, hi));
  }
}

/** DEPTHWISE_CONV_2D output pixels [m0, m1). */
export function f32_dwconv2d__scalar(d: usize, m0: i32, m1: i32): void {
  for (let m = m0; m < m1; m++) dwconvPixelScalar(d, m, 0);
}

/** Pool output pixel m, channels [c0, C): max (isMax) or average over the in-image part of the window. */
export function poolPixelScalar(d: usize, m: i32, c0: i32, isMax: bool): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), C = load<i32>(d + F_IN_C);
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const lo = load<f32>(d + F_CLAMP_LO), hi = load<f32>(d + F_CLAMP_HI);
  const plane = outH * outW;
  const n = m / plane, rem = m - n * plane;
  const oy = rem / outW, ox = rem - (rem / outW) * outW;
  const yo = oy * load<i32>(d + F_SH) - load<i32>(d + F_PAD_TOP), xo = ox * load<i32>(d + F_SW) - load<i32>(d + F_PAD_LEFT);
  const y0 = max(yo, 0), y1 = min(inH, yo + load<i32>(d + F_FH));
  const x0 = max(xo, 0), x1 = min(inW, xo + load<i32>(d + F_FW));
  const count = <f32>((y1 - y0) * (x1 - x0));
  const input = load<usize>(d + F_INPUT) + (<usize>(n * inH * inW * C) << 2);
  const out = load<usize>(d + F_OUT) + (<usize>(m * C) << 2);
  for (let c = c0; c < C; c++) {
    let acc: f32 = isMax ? -3.4028234663852886e38 : 0;
    for (let y = y0; y < y1; y++) {
      const row = input + (<usize>((y * inW) * C + c) << 2);
      for (let x = x0; x < x1; x++) {
        const v = load<f32>(row + (<usize>(x * C) << 2));
        if (isMax) { if (v > acc) acc = v; } else acc += v;
      }
    }
    store<f32>(out + (<usize>c << 2), clampf(isMax ? acc : acc / count, lo, hi));
  }
}

/** MAX_POOL_2D output pixels [m0, m1). */
export function f32_maxpool2d__scalar(d: usize, m0: i32, m1: i32): void {
  for (let m = m0; m < m1; m++) poolPixelScalar(d, m, 0, true);
}

/** AVERAGE_POOL_2D output pixels [m0, m1) (divides by the in-image element count). */
export function f32_avgpool2d__scalar(d: usize, m0: i32, m1: i32): void {
  for (let m = m0; m < m1; m++) poolPixelScalar(d, m, 0, false);
}

/** a ⊕ b on elements [i0, i1); b is indexed by i % channels when bcast (channels > 0). */
// @ts-ignore: decorator
@inline function binaryScalar(op: i32, a: usize, b: usize, out: usize, i0: i32, i1: i32, channels: i32, bcast: bool,
  lo: f32, hi: f32): void {
  let c = bcast ? i0 % channels : 0;
  for (let i = i0; i < i1; i++) {
    const x = load<f32>(a + (<usize>i << 2));
    const y = load<f32>(b + (<usize>(bcast ? c : i) << 2));
    store<f32>(out + (<usize>i << 2), clampf(op == OP_ADD ? x + y : x * y, lo, hi));
    if (bcast && ++c == channels) c = 0;
  }
}

/**
 * ADD over rows [r0, r1) of a rows x channels view: b has the same shape (bcast 0) or is one row of `channels`
 * values repeated (bcast 1: per-channel, or a scalar with channels = 1). Fused activation clamp [lo, hi].
 */
export function f32_add__scalar(a: usize, b: usize, out: usize, channels: i32, bcast: i32, r0: i32, r1: i32,
  lo: f32, hi: f32): void {
  binaryScalar(OP_ADD, a, b, out, r0 * channels, r1 * channels, channels, bcast != 0, lo, hi);
}

/**
 * f32_add on a descriptor (fields E_A, E_B, E_OUT, E_CHANNELS, E_BCAST, E_CLAMP_*; E_BITS unused), rows [r0, r1):
 * the row-range signature the thread pool runs after a convolution's rows (LceBconv2d + ADD fused steps).
 */
export function f32_add_rows__scalar(d: usize, r0: i32, r1: i32, _scratch: usize): void {
  const channels = load<i32>(d + E_CHANNELS);
  binaryScalar(OP_ADD, load<usize>(d + E_A), load<usize>(d + E_B), load<usize>(d + E_OUT), r0 * channels, r1 * channels, channels,
    load<i32>(d + E_BCAST) != 0, load<f32>(d + E_CLAMP_LO), load<f32>(d + E_CLAMP_HI));
}

/** MUL with the same contract as f32_add. */
export function f32_mul__scalar(a: usize, b: usize, out: usize, channels: i32, bcast: i32, r0: i32, r1: i32,
  lo: f32, hi: f32): void {
  binaryScalar(OP_MUL, a, b, out, r0 * channels, r1 * channels, channels, bcast != 0, lo, hi);
}

/**
 * ADD + LceQuantize in one pass, rows [r0, r1) of a rows x channels view (descriptor fields E_*): each result is
 * clamped and stored, and its row bitpacked into E_BITS (bit = result < 0, 32 channels per word, the last word
 * zero-padded), exactly what LceQuantize would read back and write. Channels from `c0` (a multiple of 32: the SIMD
 * build runs each row's whole words itself and passes the rest here).
 */
export function addPackRowsScalar(d: usize, r0: i32, r1: i32, c0: i32): void {
  const a = load<usize>(d + E_A), b = load<usize>(d + E_B), out = load<usize>(d + E_OUT), bits = load<usize>(d + E_BITS);
  const channels = load<i32>(d + E_CHANNELS), bcast = load<i32>(d + E_BCAST) != 0;
  const lo = load<f32>(d + E_CLAMP_LO), hi = load<f32>(d + E_CLAMP_HI);
  const rowBytes = <usize>channels << 2, words = (channels + 31) >> 5;
  for (let r = r0; r < r1; r++) {
    const ar = a + <usize>r * rowBytes, br = bcast ? b : b + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    let p = bits + (<usize>(r * words + (c0 >> 5)) << 2);
    for (let w0 = c0; w0 < channels; w0 += 32) {
      const end = min(32, channels - w0);
      let word = 0;
      for (let j = 0; j < end; j++) {
        const off = <usize>(w0 + j) << 2;
        const v = clampf(load<f32>(ar + off) + load<f32>(br + off), lo, hi);
        store<f32>(orow + off, v);
        if (v < 0) word |= 1 << j;
      }
      store<i32>(p, word);
      p += 4;
    }
  }
}

/** ADD + LceQuantize rows [r0, r1) (see addPackRowsScalar); `_scratch` only completes the pool's row-range signature. */
export function f32_add_pack__scalar(d: usize, r0: i32, r1: i32, _scratch: usize): void {
  addPackRowsScalar(d, r0, r1, 0);
}

/**
 * MEAN over H,W of NHWC input for batches [n0, n1): per channel a float32 sum in pixel order divided by the
 * pixel count (the reference's order, so results are exact). out is [batch][channels].
 */
export function f32_mean_hw__scalar(input: usize, plane: i32, channels: i32, out: usize, n0: i32, n1: i32): void {
  const count = <f32>plane;
  for (let n = n0; n < n1; n++) {
    const base = input + (<usize>(n * plane * channels) << 2);
    for (let c = 0; c < channels; c++) {
      let acc: f32 = 0;
      for (let p = 0; p < plane; p++) acc += load<f32>(base + (<usize>(p * channels + c) << 2));
      store<f32>(out + (<usize>(n * channels + c) << 2), acc / count);
    }
  }
}
