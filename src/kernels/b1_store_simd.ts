import {
  D_OUT_KIND, D_OUT, D_M_PRIME, D_B_PRIME, D_CLAMP_LO, D_CLAMP_HI, D_THRESHOLDS,
  OUT_F32, OUT_I8, OUT_BITS, outRowBytes,
} from './b1_desc';

/** OR the low `count` bits of `bits` into a bitpacked row at channel `ch` (may straddle a word boundary). */
// @ts-ignore: decorator
@inline function orBits(row: usize, ch: i32, bits: i32, count: i32): void {
  bits &= (1 << count) - 1;
  if (bits == 0) return;
  const p = row + (<usize>(ch >> 5) << 2);
  const s = ch & 31;
  store<i32>(p, load<i32>(p) | (bits << s));
  if (s + count > 32) store<i32>(p + 4, load<i32>(p + 4) | (bits >>> (32 - s)));
}

/**
 * Fused output transform of four accumulators (channels ch..ch+3 of output row m); `left` = real channels
 * remaining from ch (stores stop there, so padded channels and neighbouring groups are never written).
 * Parameter arrays (m', b', thresholds) are padded by the boundary so a 4-lane load past the end stays in bounds.
 */
// @ts-ignore: decorator
@inline export function storeQuad(d: usize, acc: v128, m: i32, ch: i32, left: i32): void {
  storeQuadWith(
    load<i32>(d + D_OUT_KIND), load<usize>(d + D_OUT) + <usize>(m * outRowBytes(d)), acc, ch, left,
    load<i32>(d + D_CLAMP_LO), load<i32>(d + D_CLAMP_HI), load<usize>(d + D_M_PRIME), load<usize>(d + D_B_PRIME),
    load<usize>(d + D_THRESHOLDS));
}

/** storeQuad with the descriptor fields already in locals (GEMM tiles hoist them out of their loops). */
// @ts-ignore: decorator
@inline export function storeQuadWith(
  kind: i32, row: usize, acc: v128, ch: i32, left: i32, lo: i32, hi: i32, mPrime: usize, bPrime: usize, thresholds: usize,
): void {
  if (left <= 0) return;
  if (kind == OUT_BITS) {
    const thr = v128.load(thresholds + (<usize>ch << 2));
    orBits(row, ch, i32x4.bitmask(i32x4.gt_s(acc, thr)), left < 4 ? left : 4);
    return;
  }
  if (kind != OUT_F32 && kind != OUT_I8) {
    const p = row + (<usize>ch << 2);
    if (left >= 4) { v128.store(p, acc); return; }
    store<i32>(p, i32x4.extract_lane(acc, 0));
    if (left > 1) store<i32>(p, i32x4.extract_lane(acc, 1), 4);
    if (left > 2) store<i32>(p, i32x4.extract_lane(acc, 2), 8);
    return;
  }
  let a2 = i32x4.shl(acc, 1);
  a2 = i32x4.max_s(a2, i32x4.splat(lo));
  a2 = i32x4.min_s(a2, i32x4.splat(hi));
  const y = f32x4.add(
    f32x4.mul(f32x4.convert_i32x4_s(a2), v128.load(mPrime + (<usize>ch << 2))),
    v128.load(bPrime + (<usize>ch << 2)));
  if (kind == OUT_F32) {
    const p = row + (<usize>ch << 2);
    if (left >= 4) { v128.store(p, y); return; }
    store<f32>(p, f32x4.extract_lane(y, 0));
    if (left > 1) store<f32>(p, f32x4.extract_lane(y, 1), 4);
    if (left > 2) store<f32>(p, f32x4.extract_lane(y, 2), 8);
    return;
  }
  // int8: round half away from zero = trunc, then step one away from zero where |y − trunc(y)| ≥ 0.5.
  const t = f32x4.trunc(y);
  const away = f32x4.ge(f32x4.abs(f32x4.sub(y, t)), f32x4.splat(0.5));
  const one = v128.or(v128.and(y, i32x4.splat(0x80000000)), f32x4.splat(1.0));
  const r = i32x4.trunc_sat_f32x4_s(f32x4.add(t, v128.and(away, one)));
  const q = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r, r), i16x8.narrow_i32x4_s(r, r));
  const p = row + <usize>ch;
  if (left >= 4) { v128.store32_lane(p, q, 0); return; }
  store<i8>(p, i8x16.extract_lane_s(q, 0));
  if (left > 1) store<i8>(p, i8x16.extract_lane_s(q, 1), 1);
  if (left > 2) store<i8>(p, i8x16.extract_lane_s(q, 2), 2);
}
