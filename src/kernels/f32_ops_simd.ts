// Float direct kernels with SIMD128 over channels (NHWC: a pixel's channels are contiguous): DEPTHWISE_CONV_2D,
// MAX_POOL_2D / AVERAGE_POOL_2D, ADD / MUL, MEAN over H,W. Blocks of 16 channels (four independent f32x4
// accumulators hide the add latency), then 4, then a scalar tail shared with the scalar build.
import {
  F_INPUT, F_IN_H, F_IN_W, F_IN_C, F_OUT_H, F_OUT_W, F_FH, F_FW, F_SH, F_SW, F_DH, F_DW, F_PAD_TOP, F_PAD_LEFT,
  F_WEIGHTS, F_BIAS, F_OUT, F_CLAMP_LO, F_CLAMP_HI, F_DEPTH_MULT, OP_ADD, OP_MUL, clampf, tapStart, tapEnd,
  E_A, E_B, E_OUT, E_BITS, E_CHANNELS, E_BCAST, E_CLAMP_LO, E_CLAMP_HI,
} from './f32_desc';
import { addPackRowsScalar, dwconvPixelScalar, poolPixelScalar } from './f32_ops_scalar';

// pmax/pmin with the value first let NaN through, like the reference clamp
// @ts-ignore: decorator
@inline function clamp4(v: v128, lo: v128, hi: v128): v128 { return f32x4.pmin(f32x4.pmax(v, lo), hi); }

/** DEPTHWISE_CONV_2D output pixels [m0, m1); depth multiplier 1 vectorised, others per channel. */
export function f32_dwconv2d__wasmsimd(d: usize, m0: i32, m1: i32): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), C = load<i32>(d + F_IN_C);
  if (load<i32>(d + F_DEPTH_MULT) != 1) {
    for (let m = m0; m < m1; m++) dwconvPixelScalar(d, m, 0);
    return;
  }
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const fh = load<i32>(d + F_FH), fw = load<i32>(d + F_FW);
  const sh = load<i32>(d + F_SH), sw = load<i32>(d + F_SW), dh = load<i32>(d + F_DH), dw = load<i32>(d + F_DW);
  const padTop = load<i32>(d + F_PAD_TOP), padLeft = load<i32>(d + F_PAD_LEFT);
  const lo = f32x4.splat(load<f32>(d + F_CLAMP_LO)), hi = f32x4.splat(load<f32>(d + F_CLAMP_HI));
  const w = load<usize>(d + F_WEIGHTS), bias = load<usize>(d + F_BIAS);
  const input = load<usize>(d + F_INPUT), output = load<usize>(d + F_OUT);
  const cBytes = <usize>C << 2;
  const rowStep = <usize>(dh * inW) * cBytes, colStep = <usize>dw * cBytes;
  const wRowStep = <usize>fw * cBytes;
  const plane = outH * outW;
  const c16 = C & ~15, c4 = C & ~3;
  let n = m0 / plane;
  const rem = m0 - n * plane;
  let oy = rem / outW;
  let ox = rem - oy * outW;
  for (let m = m0; m < m1; m++) {
    const y0 = oy * sh - padTop, x0 = ox * sw - padLeft;
    const ky0 = tapStart(y0, dh), ky1 = tapEnd(y0, inH, fh, dh);
    const kx0 = tapStart(x0, dw), kx1 = tapEnd(x0, inW, fw, dw);
    // first in-image tap of the window and its weights
    const in0 = input + <usize>((n * inH + y0 + ky0 * dh) * inW + x0 + kx0 * dw) * cBytes;
    const w0 = w + <usize>(ky0 * fw + kx0) * cBytes;
    const out = output + <usize>m * cBytes;
    let c: usize = 0;
    for (; c < <usize>c16 << 2; c += 64) {
      let s0 = v128.load(bias + c), s1 = v128.load(bias + c, 16), s2 = v128.load(bias + c, 32), s3 = v128.load(bias + c, 48);
      let ir = in0 + c, wr = w0 + c;
      for (let ky = ky0; ky < ky1; ky++) {
        let ip = ir, wp = wr;
        for (let kx = kx0; kx < kx1; kx++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load(ip), v128.load(wp)));
          s1 = f32x4.add(s1, f32x4.mul(v128.load(ip, 16), v128.load(wp, 16)));
          s2 = f32x4.add(s2, f32x4.mul(v128.load(ip, 32), v128.load(wp, 32)));
          s3 = f32x4.add(s3, f32x4.mul(v128.load(ip, 48), v128.load(wp, 48)));
          ip += colStep; wp += cBytes;
        }
        ir += rowStep; wr += wRowStep;
      }
      v128.store(out + c, clamp4(s0, lo, hi));
      v128.store(out + c, clamp4(s1, lo, hi), 16);
      v128.store(out + c, clamp4(s2, lo, hi), 32);
      v128.store(out + c, clamp4(s3, lo, hi), 48);
    }
    for (; c < <usize>c4 << 2; c += 16) {
      let s0 = v128.load(bias + c);
      let ir = in0 + c, wr = w0 + c;
      for (let ky = ky0; ky < ky1; ky++) {
        let ip = ir, wp = wr;
        for (let kx = kx0; kx < kx1; kx++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load(ip), v128.load(wp)));
          ip += colStep; wp += cBytes;
        }
        ir += rowStep; wr += wRowStep;
      }
      v128.store(out + c, clamp4(s0, lo, hi));
    }
    if (c4 < C) dwconvPixelScalar(d, m, c4);
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
  }
}

// @ts-ignore: decorator
@inline function poolRows(d: usize, m0: i32, m1: i32, isMax: bool): void {
  const inH = load<i32>(d + F_IN_H), inW = load<i32>(d + F_IN_W), C = load<i32>(d + F_IN_C);
  const outH = load<i32>(d + F_OUT_H), outW = load<i32>(d + F_OUT_W);
  const fh = load<i32>(d + F_FH), fw = load<i32>(d + F_FW), sh = load<i32>(d + F_SH), sw = load<i32>(d + F_SW);
  const padTop = load<i32>(d + F_PAD_TOP), padLeft = load<i32>(d + F_PAD_LEFT);
  const lo = f32x4.splat(load<f32>(d + F_CLAMP_LO)), hi = f32x4.splat(load<f32>(d + F_CLAMP_HI));
  const input = load<usize>(d + F_INPUT), output = load<usize>(d + F_OUT);
  const cBytes = <usize>C << 2;
  const plane = outH * outW;
  const c16 = C & ~15, c4 = C & ~3;
  const init = f32x4.splat(isMax ? -3.4028234663852886e38 : 0);
  let n = m0 / plane;
  const rem = m0 - n * plane;
  let oy = rem / outW;
  let ox = rem - oy * outW;
  for (let m = m0; m < m1; m++) {
    const yo = oy * sh - padTop, xo = ox * sw - padLeft;
    const y0 = max(yo, 0), y1 = min(inH, yo + fh), x0 = max(xo, 0), x1 = min(inW, xo + fw);
    const count = f32x4.splat(<f32>((y1 - y0) * (x1 - x0)));
    const in0 = input + <usize>((n * inH + y0) * inW + x0) * cBytes;
    const rowStep = <usize>inW * cBytes;
    const out = output + <usize>m * cBytes;
    let c: usize = 0;
    for (; c < <usize>c16 << 2; c += 64) {
      let s0 = init, s1 = init, s2 = init, s3 = init;
      let ir = in0 + c;
      for (let y = y0; y < y1; y++) {
        let ip = ir;
        for (let x = x0; x < x1; x++) {
          if (isMax) {
            s0 = f32x4.pmax(s0, v128.load(ip)); s1 = f32x4.pmax(s1, v128.load(ip, 16));
            s2 = f32x4.pmax(s2, v128.load(ip, 32)); s3 = f32x4.pmax(s3, v128.load(ip, 48));
          } else {
            s0 = f32x4.add(s0, v128.load(ip)); s1 = f32x4.add(s1, v128.load(ip, 16));
            s2 = f32x4.add(s2, v128.load(ip, 32)); s3 = f32x4.add(s3, v128.load(ip, 48));
          }
          ip += cBytes;
        }
        ir += rowStep;
      }
      if (!isMax) { s0 = f32x4.div(s0, count); s1 = f32x4.div(s1, count); s2 = f32x4.div(s2, count); s3 = f32x4.div(s3, count); }
      v128.store(out + c, clamp4(s0, lo, hi));
      v128.store(out + c, clamp4(s1, lo, hi), 16);
      v128.store(out + c, clamp4(s2, lo, hi), 32);
      v128.store(out + c, clamp4(s3, lo, hi), 48);
    }
    for (; c < <usize>c4 << 2; c += 16) {
      let s0 = init;
      let ir = in0 + c;
      for (let y = y0; y < y1; y++) {
        let ip = ir;
        for (let x = x0; x < x1; x++) {
          s0 = isMax ? f32x4.pmax(s0, v128.load(ip)) : f32x4.add(s0, v128.load(ip));
          ip += cBytes;
        }
        ir += rowStep;
      }
      if (!isMax) s0 = f32x4.div(s0, count);
      v128.store(out + c, clamp4(s0, lo, hi));
    }
    if (c4 < C) poolPixelScalar(d, m, c4, isMax);
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; n++; } }
  }
}

/** MAX_POOL_2D output pixels [m0, m1). */
export function f32_maxpool2d__wasmsimd(d: usize, m0: i32, m1: i32): void { poolRows(d, m0, m1, true); }

/** AVERAGE_POOL_2D output pixels [m0, m1) (divides by the in-image element count). */
export function f32_avgpool2d__wasmsimd(d: usize, m0: i32, m1: i32): void { poolRows(d, m0, m1, false); }

// @ts-ignore: decorator
@inline function op4(op: i32, x: v128, y: v128): v128 { return op == OP_ADD ? f32x4.add(x, y) : f32x4.mul(x, y); }
// @ts-ignore: decorator
@inline function op1(op: i32, x: f32, y: f32): f32 { return op == OP_ADD ? x + y : x * y; }

// @ts-ignore: decorator
@inline function binaryRows(op: i32, a: usize, b: usize, out: usize, channels: i32, bcast: i32, r0: i32, r1: i32,
  lo: f32, hi: f32): void {
  const lov = f32x4.splat(lo), hiv = f32x4.splat(hi);
  if (bcast == 0 || channels == 1) {
    // same shape, or a scalar b: one flat run
    const i0 = <usize>(r0 * channels) << 2, i1 = <usize>(r1 * channels) << 2;
    const one = bcast != 0;
    const ys = v128.load32_splat(b);
    let i = i0;
    for (; i + 16 <= i1; i += 16) {
      v128.store(out + i, clamp4(op4(op, v128.load(a + i), one ? ys : v128.load(b + i)), lov, hiv));
    }
    for (; i < i1; i += 4) {
      store<f32>(out + i, clampf(op1(op, load<f32>(a + i), load<f32>(one ? b : b + i)), lo, hi));
    }
    return;
  }
  const rowBytes = <usize>channels << 2;
  const c4 = <usize>(channels & ~3) << 2;
  for (let r = r0; r < r1; r++) {
    const ar = a + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    let c: usize = 0;
    for (; c < c4; c += 16) v128.store(orow + c, clamp4(op4(op, v128.load(ar + c), v128.load(b + c)), lov, hiv));
    for (; c < rowBytes; c += 4) store<f32>(orow + c, clampf(op1(op, load<f32>(ar + c), load<f32>(b + c)), lo, hi));
  }
}

/** ADD over rows [r0, r1) of a rows x channels view; b same shape (bcast 0) or one row repeated (bcast 1). */
export function f32_add__wasmsimd(a: usize, b: usize, out: usize, channels: i32, bcast: i32, r0: i32, r1: i32,
  lo: f32, hi: f32): void {
  binaryRows(OP_ADD, a, b, out, channels, bcast, r0, r1, lo, hi);
}

/** f32_add on a descriptor, rows [r0, r1): see f32_add_rows__scalar. */
export function f32_add_rows__wasmsimd(d: usize, r0: i32, r1: i32, _scratch: usize): void {
  binaryRows(OP_ADD, load<usize>(d + E_A), load<usize>(d + E_B), load<usize>(d + E_OUT), load<i32>(d + E_CHANNELS),
    load<i32>(d + E_BCAST), r0, r1, load<f32>(d + E_CLAMP_LO), load<f32>(d + E_CLAMP_HI));
}

/** MUL with the same contract as f32_add. */
export function f32_mul__wasmsimd(a: usize, b: usize, out: usize, channels: i32, bcast: i32, r0: i32, r1: i32,
  lo: f32, hi: f32): void {
  binaryRows(OP_MUL, a, b, out, channels, bcast, r0, r1, lo, hi);
}

/** Four sums a + b at byte offset `o`, clamped, stored at out + o; returns their sign bits (x < 0) as a 4-bit mask. */
// @ts-ignore: decorator
@inline function addStoreSigns(a: usize, b: usize, out: usize, o: usize, lo: v128, hi: v128): i32 {
  const v = clamp4(f32x4.add(v128.load(a + o), v128.load(b + o)), lo, hi);
  v128.store(out + o, v);
  return i32x4.bitmask(f32x4.lt(v, f32x4.splat(0)));
}

/** Eight quads from byte offset `o`: add, clamp, store, and the 32 sign bits as one packed word. */
// @ts-ignore: decorator
@inline function addPackWord(a: usize, b: usize, out: usize, o: usize, lo: v128, hi: v128): i32 {
  let word = addStoreSigns(a, b, out, o, lo, hi);
  word |= addStoreSigns(a, b, out, o + 16, lo, hi) << 4;
  word |= addStoreSigns(a, b, out, o + 32, lo, hi) << 8;
  word |= addStoreSigns(a, b, out, o + 48, lo, hi) << 12;
  word |= addStoreSigns(a, b, out, o + 64, lo, hi) << 16;
  word |= addStoreSigns(a, b, out, o + 80, lo, hi) << 20;
  word |= addStoreSigns(a, b, out, o + 96, lo, hi) << 24;
  return word | (addStoreSigns(a, b, out, o + 112, lo, hi) << 28);
}

/**
 * ADD + LceQuantize in one pass, rows [r0, r1) (descriptor fields E_*): whole 32-channel words as eight quads whose
 * compare masks make the word (one flat run when rows are whole words and b is not broadcast), the rest of each row
 * by the scalar kernel. Same results as f32_add then b1_pack_f32.
 */
export function f32_add_pack__wasmsimd(d: usize, r0: i32, r1: i32, _scratch: usize): void {
  const a = load<usize>(d + E_A), b = load<usize>(d + E_B), out = load<usize>(d + E_OUT), bits = load<usize>(d + E_BITS);
  const channels = load<i32>(d + E_CHANNELS), bcast = load<i32>(d + E_BCAST) != 0;
  const lo = f32x4.splat(load<f32>(d + E_CLAMP_LO)), hi = f32x4.splat(load<f32>(d + E_CLAMP_HI));
  const words = (channels + 31) >> 5, whole = channels >> 5;
  if (!bcast && whole == words) {
    for (let w = r0 * words; w < r1 * words; w++) store<i32>(bits + (<usize>w << 2), addPackWord(a, b, out, <usize>w << 7, lo, hi));
    return;
  }
  const rowBytes = <usize>channels << 2;
  for (let r = r0; r < r1; r++) {
    const ar = a + <usize>r * rowBytes, br = bcast ? b : b + <usize>r * rowBytes, orow = out + <usize>r * rowBytes;
    const p = bits + (<usize>(r * words) << 2);
    for (let w = 0; w < whole; w++) store<i32>(p + (<usize>w << 2), addPackWord(ar, br, orow, <usize>w << 7, lo, hi));
  }
  if (whole < words) addPackRowsScalar(d, r0, r1, whole << 5);
}

/** MEAN over H,W for batches [n0, n1): per-lane float32 sums in pixel order (the reference's order: exact). */
export function f32_mean_hw__wasmsimd(input: usize, plane: i32, channels: i32, out: usize, n0: i32, n1: i32): void {
  const count = <f32>plane;
  const countv = f32x4.splat(count);
  const cBytes = <usize>channels << 2;
  const c16 = <usize>(channels & ~15) << 2, c4 = <usize>(channels & ~3) << 2;
  for (let n = n0; n < n1; n++) {
    const base = input + <usize>(n * plane) * cBytes;
    const o = out + <usize>n * cBytes;
    let c: usize = 0;
    for (; c < c16; c += 64) {
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      let p = base + c;
      for (let i = 0; i < plane; i++) {
        s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
        s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
        p += cBytes;
      }
      v128.store(o + c, f32x4.div(s0, countv)); v128.store(o + c, f32x4.div(s1, countv), 16);
      v128.store(o + c, f32x4.div(s2, countv), 32); v128.store(o + c, f32x4.div(s3, countv), 48);
    }
    for (; c < c4; c += 16) {
      let s0 = f32x4.splat(0);
      let p = base + c;
      for (let i = 0; i < plane; i++) { s0 = f32x4.add(s0, v128.load(p)); p += cBytes; }
      v128.store(o + c, f32x4.div(s0, countv));
    }
    for (; c < cBytes; c += 4) {
      let s: f32 = 0;
      let p = base + c;
      for (let i = 0; i < plane; i++) { s += load<f32>(p); p += cBytes; }
      store<f32>(o + c, s / count);
    }
  }
}
