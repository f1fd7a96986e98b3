import {
  F_INPUT, F_IN_H, F_IN_W, F_IN_C, F_OUT_H, F_OUT_W, F_FH, F_FW, F_SH, F_SW, F_DH, F_DW, F_PAD_TOP, F_PAD_LEFT,
  F_K, F_BLOCK_ROWS, F_DIRECT, F_BATCH,
} from './f32_desc';

/** A register-blocked float GEMM over `rows` A rows (K floats each) at `a`; output rows from mBase. */
export type F32GemmRows = (d: usize, a: usize, rows: i32, mBase: i32) => void;

/** Copy n floats (two at a time; works in both builds). */
// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) store<i64>(dst + (<usize>i << 2), load<i64>(src + (<usize>i << 2)));
  if (i < n) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * im2col on NHWC float input for output rows [mBase, mBase+rows): each row gets the fh·fw taps' inC floats in
 * OHWI order (the filter's order), zeros for taps outside the image (CONV_2D pads with zeros).
 */
export function f32_im2col(d: usize, mBase: i32, rows: i32, dst: usize): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), inC = load<i32>(d + F_IN_C);
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const fh = load<i32>(d + F_FH), fw = load<i32>(d + F_FW);
  const sh = load<i32>(d + F_SH), sw = load<i32>(d + F_SW), dh = load<i32>(d + F_DH), dw = load<i32>(d + F_DW);
  const padTop = load<i32>(d + F_PAD_TOP), padLeft = load<i32>(d + F_PAD_LEFT);
  const input = load<usize>(d + F_INPUT);
  const tapBytes = <usize>inC << 2;
  // with dilation 1 a window row's in-image taps are adjacent pixels: one copy of (x1 - x0)·inC floats
  const contiguous = dw == 1;
  const plane = outH * outW;
  let n = mBase / plane;
  const rem = mBase - n * plane;
  let oy = rem / outW;
  let ox = rem - oy * outW;
  const runFloats = fw * inC;
  const runBytes = <usize>runFloats << 2;
  const rowStep = <usize>(dh * inW) * tapBytes;
  let p = dst;
  for (let r = 0; r < rows; r++) {
    const y0 = oy * sh - padTop, x0 = ox * sw - padLeft;
    if (contiguous && y0 >= 0 && x0 >= 0 && y0 + (fh - 1) * dh < inH && x0 + fw <= inW) {
      // window inside the image (the common case): fh runs of fw·inC floats, no per-tap checks
      let src = input + (<usize>((n * inH + y0) * inW + x0) * tapBytes);
      for (let ky = 0; ky < fh; ky++) {
        copyFloats(p, src, runFloats);
        p += runBytes;
        src += rowStep;
      }
      if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
      continue;
    }
    for (let ky = 0; ky < fh; ky++) {
      const iy = y0 + ky * dh;
      if (iy < 0 || iy >= inH) {
        memory.fill(p, 0, tapBytes * <usize>fw);
        p += tapBytes * <usize>fw;
        continue;
      }
      const rowBase = input + (<usize>((n * inH + iy) * inW) * tapBytes);
      if (contiguous) {
        const kx0 = x0 < 0 ? -x0 : 0;
        const kx1 = min(fw, inW - x0);
        if (kx0 > 0) memory.fill(p, 0, tapBytes * <usize>kx0);
        if (kx1 > kx0) copyFloats(p + tapBytes * <usize>kx0, rowBase + <usize>(x0 + kx0) * tapBytes, (kx1 - kx0) * inC);
        if (kx1 < fw) {
          const from = max(kx1, kx0);
          memory.fill(p + tapBytes * <usize>from, 0, tapBytes * <usize>(fw - from));
        }
        p += tapBytes * <usize>fw;
        continue;
      }
      for (let kx = 0; kx < fw; kx++) {
        const ix = x0 + kx * dw;
        if (ix >= 0 && ix < inW) copyFloats(p, rowBase + <usize>ix * tapBytes, inC);
        else memory.fill(p, 0, tapBytes);
        p += tapBytes;
      }
    }
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
  }
}

/**
 * Indirection rows for output rows [mBase, mBase+rows) (dilation-1 width, so a window row's in-image taps are one
 * run of fw·inC floats): per row fh pointers, one per window row, into the input when the window lies inside the
 * image, else into that row's im2col copy (zeros for the padding) in `spill` (K floats per row).
 */
function f32_indirection(d: usize, mBase: i32, rows: i32, ptrs: usize, spill: usize): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), inC = load<i32>(d + F_IN_C);
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const fh = load<i32>(d + F_FH), fw = load<i32>(d + F_FW);
  const sh = load<i32>(d + F_SH), sw = load<i32>(d + F_SW), dh = load<i32>(d + F_DH);
  const padTop = load<i32>(d + F_PAD_TOP), padLeft = load<i32>(d + F_PAD_LEFT);
  const input = load<usize>(d + F_INPUT);
  const pixelBytes = <usize>inC << 2;
  const runBytes = <usize>fw * pixelBytes, kBytes = <usize>fh * runBytes;
  const rowStep = <usize>(dh * inW) * pixelBytes;
  const plane = outH * outW;
  let n = mBase / plane;
  const rem = mBase - n * plane;
  let oy = rem / outW;
  let ox = rem - oy * outW;
  let p = ptrs;
  for (let r = 0; r < rows; r++) {
    const y0 = oy * sh - padTop, x0 = ox * sw - padLeft;
    if (y0 >= 0 && x0 >= 0 && y0 + (fh - 1) * dh < inH && x0 + fw <= inW) {
      let src = input + (<usize>((n * inH + y0) * inW + x0) * pixelBytes);
      for (let ky = 0; ky < fh; ky++) {
        store<usize>(p, src);
        p += 4;
        src += rowStep;
      }
    } else {
      const copy = spill + <usize>r * kBytes;
      f32_im2col(d, mBase + r, 1, copy);
      for (let ky = 0; ky < fh; ky++) {
        store<usize>(p, copy + <usize>ky * runBytes);
        p += 4;
      }
    }
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
  }
}

/**
 * CONV_2D / FULLY_CONNECTED over output rows [m0, m1) in blocks of blockRows rows, bias and clamp fused into the
 * store. Direct mode (1x1, stride 1, no padding; FULLY_CONNECTED) multiplies the input rows in place; dilation-1
 * widths run the indirect tiles on the block's window-row pointers (no copy but for windows that leave the
 * image); otherwise blocks are im2col-ed into `scratch` (per thread). MR-row tiles, then the same NR's 1-row tile
 * for a block's last rows % MR. An op with a single output row is a matrix × vector and runs `gemv`, which sums in
 * a different order (as LCE's x86 TFLite does; see reference gemvDot). Scratch: blockRows·(K + fh) floats.
 */
export function f32ConvRows(d: usize, m0: i32, m1: i32, scratch: usize, mr: i32, gemm: F32GemmRows, tail: F32GemmRows,
  igemm: F32GemmRows, itail: F32GemmRows, gemv: F32GemmRows): void {
  if (load<i32>(d + F_BATCH) * load<i32>(d + F_OUT_H) * load<i32>(d + F_OUT_W) == 1) {
    if (m0 >= m1) return;
    let a = scratch;
    if (load<i32>(d + F_DIRECT) != 0) a = load<usize>(d + F_INPUT);
    else f32_im2col(d, 0, 1, scratch);
    gemv(d, a, 1, 0);
    return;
  }
  const blockRows = load<i32>(d + F_BLOCK_ROWS);
  const direct = load<i32>(d + F_DIRECT) != 0;
  const indirect = !direct && load<i32>(d + F_DW) == 1;
  const kBytes = <usize>load<i32>(d + F_K) << 2;
  // indirect: the row pointers first, then the im2col copies of rows whose window leaves the image
  const pBytes = indirect ? <usize>load<i32>(d + F_FH) << 2 : kBytes;
  const spill = scratch + ((<usize>blockRows * pBytes + 15) & ~<usize>15);
  for (let mb = m0; mb < m1; mb += blockRows) {
    const rows = min(blockRows, m1 - mb);
    let a = scratch;
    if (direct) a = load<usize>(d + F_INPUT) + <usize>mb * kBytes;
    else if (indirect) f32_indirection(d, mb, rows, scratch, spill);
    else f32_im2col(d, mb, rows, scratch);
    // rows % mr leftovers go to the 1-row tile instead of recomputing duplicated rows (matters for FC batch 1)
    const full = rows - rows % mr;
    if (full > 0) (indirect ? igemm : gemm)(d, a, full, mb);
    if (full < rows) (indirect ? itail : tail)(d, a + <usize>full * pBytes, rows - full, mb + full);
  }
}
