// SIMD bitpacking: f32x4.lt / i8x16.lt_s give lane masks, bitmask gathers them into bits.

/** float32 rows → packed words, bit = (x < 0); 32 channels per word via eight 4-lane compares. */
export function b1_pack_f32__wasmsimd(src: usize, rows: i32, channels: i32, dst: usize): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * channels) << 2);
    let p = dst + (<usize>(r * ((channels + 31) >> 5)) << 2);
    let c0 = 0;
    for (; c0 + 32 <= channels; c0 += 32) {
      const q = s + (<usize>c0 << 2);
      let word = i32x4.bitmask(f32x4.lt(v128.load(q), zero));
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 16), zero)) << 4;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 32), zero)) << 8;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 48), zero)) << 12;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 64), zero)) << 16;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 80), zero)) << 20;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 96), zero)) << 24;
      word |= i32x4.bitmask(f32x4.lt(v128.load(q, 112), zero)) << 28;
      store<i32>(p, word);
      p += 4;
    }
    if (c0 < channels) {
      let word = 0;
      for (let b = 0; b < channels - c0; b++) {
        if (load<f32>(s + (<usize>(c0 + b) << 2)) < 0) word |= 1 << b;
      }
      store<i32>(p, word);
    }
  }
}

/** int8 rows → packed words, bit = (q < zeroPoint); 32 channels per word via two 16-lane compares. */
export function b1_pack_i8__wasmsimd(src: usize, rows: i32, channels: i32, zeroPoint: i32, dst: usize): void {
  // zp outside int8: every q is ≥ zp (all bits 0) or < zp (all real bits 1); clamp the splat accordingly.
  const zpv = i16x8.splat(<i16>zeroPoint);
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>(r * channels);
    let p = dst + (<usize>(r * ((channels + 31) >> 5)) << 2);
    let c0 = 0;
    for (; c0 + 32 <= channels; c0 += 32) {
      const q = s + <usize>c0;
      // widen to i16 so a zero point outside [−128, 127] still compares exactly
      const lo = i16x8.bitmask(i16x8.lt_s(i16x8.extend_low_i8x16_s(v128.load(q)), zpv));
      const hi = i16x8.bitmask(i16x8.lt_s(i16x8.extend_high_i8x16_s(v128.load(q)), zpv));
      const lo2 = i16x8.bitmask(i16x8.lt_s(i16x8.extend_low_i8x16_s(v128.load(q, 16)), zpv));
      const hi2 = i16x8.bitmask(i16x8.lt_s(i16x8.extend_high_i8x16_s(v128.load(q, 16)), zpv));
      store<i32>(p, lo | (hi << 8) | (lo2 << 16) | (hi2 << 24));
      p += 4;
    }
    if (c0 < channels) {
      let word = 0;
      for (let b = 0; b < channels - c0; b++) {
        if (<i32>load<i8>(s + <usize>(c0 + b)) < zeroPoint) word |= 1 << b;
      }
      store<i32>(p, word);
    }
  }
}
