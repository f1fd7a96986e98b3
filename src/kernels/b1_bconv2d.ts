import {
  D_INPUT, D_IN_H, D_IN_W, D_IN_WORDS, D_OUT_H, D_OUT_W, D_FH, D_FW, D_SH, D_SW, D_DH, D_DW, D_PAD_TOP,
  D_PAD_LEFT, D_GROUPS, D_WORDS_PER_GROUP, D_K_WORDS, D_CH_OUT, D_OUT_KIND, D_OUT, D_CORRECTION, D_BLOCK_ROWS,
  D_DIRECT, D_STACKED, OUT_BITS, outRowBytes,
} from './b1_desc';

/**
 * A register-blocked binary GEMM over `rows` rows of K words starting at `a`, D_A_STRIDE bytes apart (im2col rows,
 * or overlapping windows in stacked mode), group g, output rows from mBase.
 */
export type BgemmRows = (d: usize, a: usize, rows: i32, mBase: i32, g: i32) => void;

/** Copy n 32-bit words: v128 steps where the build has SIMD, then i64 steps, then one i32. */
// @ts-ignore: decorator
@inline function copyWords(dst: usize, src: usize, n: i32): void {
  let w = 0;
  if (ASC_FEATURE_SIMD) {
    for (; w + 4 <= n; w += 4) v128.store(dst + (<usize>w << 2), v128.load(src + (<usize>w << 2)));
  }
  for (; w + 2 <= n; w += 2) store<i64>(dst + (<usize>w << 2), load<i64>(src + (<usize>w << 2)));
  if (w < n) store<i32>(dst + (<usize>w << 2), load<i32>(src + (<usize>w << 2)));
}

/** Zero n 32-bit words (im2col's pad taps: too short for memory.fill, which V8 runs as a call). */
// @ts-ignore: decorator
@inline function zeroWords(dst: usize, n: i32): void {
  let w = 0;
  for (; w + 2 <= n; w += 2) store<i64>(dst + (<usize>w << 2), 0);
  if (w < n) store<i32>(dst + (<usize>w << 2), 0);
}

/**
 * im2col on bitpacked NHWC input for output rows [mBase, mBase+rows) of group g: each row gets the fh·fw taps'
 * Wg words, out-of-image taps as word 0 (= +1, "same-one"), then zero words up to kWords (zero in both operands
 * adds nothing to xor-popcount).
 */
export function b1_im2col(d: usize, mBase: i32, rows: i32, g: i32, dst: usize): void {
  const inH = load<i32>(d + D_IN_H), inW = load<i32>(d + D_IN_W), inWords = load<i32>(d + D_IN_WORDS);
  const outH = load<i32>(d + D_OUT_H), outW = load<i32>(d + D_OUT_W);
  const fh = load<i32>(d + D_FH), fw = load<i32>(d + D_FW);
  const sh = load<i32>(d + D_SH), sw = load<i32>(d + D_SW), dh = load<i32>(d + D_DH), dw = load<i32>(d + D_DW);
  const padTop = load<i32>(d + D_PAD_TOP), padLeft = load<i32>(d + D_PAD_LEFT);
  const wg = load<i32>(d + D_WORDS_PER_GROUP), kWords = load<i32>(d + D_K_WORDS);
  const input = load<usize>(d + D_INPUT) + (<usize>(g * wg) << 2);
  const tail = kWords - fh * fw * wg;
  const seg = fw * wg;
  // one group and dilation 1: a filter row's taps are adjacent pixels with nothing between their words
  const contiguous = wg == inWords && dw == 1;
  const rowStep = <usize>(dh * inW * inWords) << 2;
  const plane = outH * outW;
  let n = mBase / plane;
  let rem = mBase - n * plane;
  let oy = rem / outW;
  let ox = rem - oy * outW;
  let p = dst;
  for (let r = 0; r < rows; r++) {
    const y0 = oy * sh - padTop, x0 = ox * sw - padLeft;
    if (contiguous && y0 >= 0 && y0 + (fh - 1) * dh < inH && x0 >= 0 && x0 + fw <= inW) {
      // The whole window is inside: fh runs of fw·wg words, rowStep apart.
      let src = input + (<usize>(((n * inH + y0) * inW + x0) * inWords) << 2);
      for (let ky = 0; ky < fh; ky++) {
        copyWords(p, src, seg);
        p += <usize>seg << 2;
        src += rowStep;
      }
    } else {
      for (let ky = 0; ky < fh; ky++) {
        const iy = y0 + ky * dh;
        const rowInside = iy >= 0 && iy < inH;
        const rowBase = input + (<usize>((n * inH + iy) * inW) * <usize>inWords << 2);
        if (contiguous && rowInside && x0 >= 0 && x0 + fw <= inW) {
          // The whole filter row is one contiguous run of fw·wg words in NHWC: one copy instead of fw taps.
          copyWords(p, rowBase + (<usize>(x0 * inWords) << 2), seg);
          p += <usize>seg << 2;
          continue;
        }
        for (let kx = 0; kx < fw; kx++) {
          const ix = x0 + kx * dw;
          if (rowInside && ix >= 0 && ix < inW) {
            copyWords(p, rowBase + (<usize>(ix * inWords) << 2), wg);
          } else {
            for (let w = 0; w < wg; w++) store<i32>(p + (<usize>w << 2), 0);
          }
          p += <usize>wg << 2;
        }
      }
    }
    for (let w = 0; w < tail; w++) store<i32>(p + (<usize>w << 2), 0);
    p += <usize>tail << 2;
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
  }
}

/**
 * Stacked mode, output rows [m0, m1): for each output image row (n, oy) the fh input rows its windows read are
 * stacked pixel by pixel into `scratch`: entry c = the fh taps' words at padded column c (fh·inWords words; outside
 * the image 0, im2col's same-one pad). Pixel ox's window is then entries ox·sw .. ox·sw + fw − 1, all K words
 * contiguous in (kx, ky, word) order (prepare packs the weights so), and the tile reads the rows in place, sw
 * entries apart: fh copies of each input word instead of im2col's fh·fw.
 */
function stackedRows(d: usize, m0: i32, m1: i32, scratch: usize, gemm: BgemmRows, correct: bool): void {
  const inH = load<i32>(d + D_IN_H), inW = load<i32>(d + D_IN_W), inWords = load<i32>(d + D_IN_WORDS);
  const outH = load<i32>(d + D_OUT_H), outW = load<i32>(d + D_OUT_W);
  const fh = load<i32>(d + D_FH), fw = load<i32>(d + D_FW);
  const sh = load<i32>(d + D_SH), sw = load<i32>(d + D_SW), dh = load<i32>(d + D_DH);
  const padTop = load<i32>(d + D_PAD_TOP), padLeft = load<i32>(d + D_PAD_LEFT);
  const input = load<usize>(d + D_INPUT);
  const entryBytes = <usize>(fh * inWords) << 2, tapBytes = <usize>inWords << 2;
  const plane = outH * outW;
  let m = m0;
  while (m < m1) {
    const n = m / plane;
    const rem = m - n * plane;
    const oy = rem / outW, ox0 = rem - oy * outW;
    const count = min(outW - ox0, m1 - m);
    // padded columns [c0, c1) of this run's windows; the image's columns are [padLeft, padLeft + inW)
    const c0 = ox0 * sw, c1 = (ox0 + count - 1) * sw + fw;
    const in0 = max(c0, min(padLeft, c1)), in1 = max(in0, min(c1, padLeft + inW));
    for (let ky = 0; ky < fh; ky++) {
      const iy = oy * sh - padTop + ky * dh;
      const tap = scratch + <usize>ky * tapBytes;
      let c = c0;
      if (iy >= 0 && iy < inH) {
        for (; c < in0; c++) zeroWords(tap + <usize>c * entryBytes, inWords);
        let src = input + (<usize>(((n * inH + iy) * inW + c - padLeft) * inWords) << 2);
        for (; c < in1; c++) { copyWords(tap + <usize>c * entryBytes, src, inWords); src += tapBytes; }
      }
      for (; c < c1; c++) zeroWords(tap + <usize>c * entryBytes, inWords);
    }
    gemm(d, scratch + <usize>c0 * entryBytes, count, m, 0);
    if (correct) sameZeroCorrection(d, m, count);
    m += count;
  }
}

/**
 * Same-zero padding: the GEMM computed the same-one result; add, for every out-of-image tap of a row's window,
 * the precomputed per-tap correction corr[tap][o] = −multiplier[o]·Σc w[o,tap,c] (float output, no clamp).
 */
function sameZeroCorrection(d: usize, mBase: i32, rows: i32): void {
  const corr = load<usize>(d + D_CORRECTION);
  const inH = load<i32>(d + D_IN_H), inW = load<i32>(d + D_IN_W);
  const outH = load<i32>(d + D_OUT_H), outW = load<i32>(d + D_OUT_W);
  const fh = load<i32>(d + D_FH), fw = load<i32>(d + D_FW);
  const sh = load<i32>(d + D_SH), sw = load<i32>(d + D_SW), dh = load<i32>(d + D_DH), dw = load<i32>(d + D_DW);
  const padTop = load<i32>(d + D_PAD_TOP), padLeft = load<i32>(d + D_PAD_LEFT);
  const cOut = load<i32>(d + D_CH_OUT);
  const out = load<usize>(d + D_OUT);
  const plane = outH * outW;
  for (let r = 0; r < rows; r++) {
    const m = mBase + r;
    const rem = m % plane;
    const oy = rem / outW, ox = rem % outW;
    const y0 = oy * sh - padTop, x0 = ox * sw - padLeft;
    if (y0 >= 0 && x0 >= 0 && y0 + (fh - 1) * dh < inH && x0 + (fw - 1) * dw < inW) continue;
    const row = out + (<usize>(m * cOut) << 2);
    for (let ky = 0; ky < fh; ky++) {
      const iy = y0 + ky * dh;
      for (let kx = 0; kx < fw; kx++) {
        const ix = x0 + kx * dw;
        if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) continue;
        const c = corr + (<usize>((ky * fw + kx) * cOut) << 2);
        let o = 0;
        // one float add per element either way, so four lanes at a time give the same bits
        if (ASC_FEATURE_SIMD) {
          for (; o + 4 <= cOut; o += 4) {
            const p = row + (<usize>o << 2);
            v128.store(p, f32x4.add(v128.load(p), v128.load(c + (<usize>o << 2))));
          }
        }
        for (; o < cOut; o++) {
          const p = row + (<usize>o << 2);
          store<f32>(p, load<f32>(p) + load<f32>(c + (<usize>o << 2)));
        }
      }
    }
  }
}

/**
 * LceBconv2d over output rows [m0, m1) (row = (n, oy, ox)): blocks of blockRows rows are im2col-ed into
 * `scratch` (blockRows·kWords words, per thread) and multiplied by every group's packed filter with the output
 * transform fused into the store. Direct mode (1x1, stride 1, no padding, one group, inWords == kWords) reads
 * the input rows in place; stacked mode (D_STACKED) replaces im2col where a filter row's taps are adjacent.
 */
export function bconv2dRows(d: usize, m0: i32, m1: i32, scratch: usize, gemm: BgemmRows): void {
  if (m1 <= m0) return;
  if (load<i32>(d + D_OUT_KIND) == OUT_BITS) {
    const rb = outRowBytes(d);
    memory.fill(load<usize>(d + D_OUT) + <usize>(m0 * rb), 0, <usize>((m1 - m0) * rb));
  }
  const groups = load<i32>(d + D_GROUPS);
  const blockRows = load<i32>(d + D_BLOCK_ROWS);
  const direct = load<i32>(d + D_DIRECT) != 0;
  const kBytes = <usize>load<i32>(d + D_K_WORDS) << 2;
  const correct = load<usize>(d + D_CORRECTION) != 0;
  if (load<i32>(d + D_STACKED) != 0) {
    stackedRows(d, m0, m1, scratch, gemm, correct);
    return;
  }
  for (let mb = m0; mb < m1; mb += blockRows) {
    const rows = min(blockRows, m1 - mb);
    for (let g = 0; g < groups; g++) {
      let a = scratch;
      if (direct) a = load<usize>(d + D_INPUT) + <usize>mb * kBytes;
      else b1_im2col(d, mb, rows, g, scratch);
      gemm(d, a, rows, mb, g);
    }
    if (correct) sameZeroCorrection(d, mb, rows);
  }
}
