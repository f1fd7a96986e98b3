import {
  D_OUT_KIND, D_OUT, D_M_PRIME, D_B_PRIME, D_CLAMP_LO, D_CLAMP_HI, D_THRESHOLDS,
  OUT_F32, OUT_I8, OUT_BITS, outRowBytes,
} from './b1_desc';

/** Round half away from zero (std::round), then saturate to int8. */
// @ts-ignore: decorator
@inline export function roundSaturateI8(y: f32): i32 {
  const t = Mathf.trunc(y);
  let r = t;
  if (Mathf.abs(y - t) >= 0.5) r = t + copysign<f32>(1.0, y);
  if (!(r > -128.0)) return r != r ? 0 : -128; // NaN becomes 0, as a typed-array store of NaN does
  if (r > 127.0) return 127;
  return <i32>r;
}

/**
 * Fused output transform of one accumulator (disagreement count) of output row m, channel ch:
 * float/int8 via the folded multiply-add on clamp(2·accum), bitpacked via accum > threshold, or raw.
 * Bitpacked rows must be zeroed beforehand (bits are OR-ed in).
 */
export function storeOne(d: usize, accum: i32, m: i32, ch: i32): void {
  const kind = load<i32>(d + D_OUT_KIND);
  const row = load<usize>(d + D_OUT) + <usize>(m * outRowBytes(d));
  if (kind == OUT_BITS) {
    if (accum > load<i32>(load<usize>(d + D_THRESHOLDS) + (<usize>ch << 2))) {
      const p = row + (<usize>(ch >> 5) << 2);
      store<i32>(p, load<i32>(p) | (1 << (ch & 31)));
    }
    return;
  }
  if (kind != OUT_F32 && kind != OUT_I8) {
    store<i32>(row + (<usize>ch << 2), accum);
    return;
  }
  let a2 = accum << 1;
  const lo = load<i32>(d + D_CLAMP_LO);
  const hi = load<i32>(d + D_CLAMP_HI);
  if (a2 < lo) a2 = lo;
  if (a2 > hi) a2 = hi;
  const y: f32 = <f32>a2 * load<f32>(load<usize>(d + D_M_PRIME) + (<usize>ch << 2))
    + load<f32>(load<usize>(d + D_B_PRIME) + (<usize>ch << 2));
  if (kind == OUT_F32) store<f32>(row + (<usize>ch << 2), y);
  else store<i8>(row + <usize>ch, <i8>roundSaturateI8(y));
}
