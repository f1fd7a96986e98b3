// Bitpacking (lce-ops.md §1.2): channel c of a row → bit c%32 of word c/32, bit = (x < 0) for float32 and
// (q < zp) for int8, padding bits 0, each row on fresh words. Scalar kernels; the SIMD ones are in b1_pack_simd.ts.

/** float32 rows [rows][channels] → packed words [rows][ceil(channels/32)]. */
export function b1_pack_f32__scalar(src: usize, rows: i32, channels: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * channels) << 2);
    let p = dst + (<usize>(r * ((channels + 31) >> 5)) << 2);
    for (let c0 = 0; c0 < channels; c0 += 32) {
      const end = min(32, channels - c0);
      let word = 0;
      for (let b = 0; b < end; b++) {
        if (load<f32>(s + (<usize>(c0 + b) << 2)) < 0) word |= 1 << b;
      }
      store<i32>(p, word);
      p += 4;
    }
  }
}

/** int8 rows → packed words, bit = (q < zeroPoint). */
export function b1_pack_i8__scalar(src: usize, rows: i32, channels: i32, zeroPoint: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>(r * channels);
    let p = dst + (<usize>(r * ((channels + 31) >> 5)) << 2);
    for (let c0 = 0; c0 < channels; c0 += 32) {
      const end = min(32, channels - c0);
      let word = 0;
      for (let b = 0; b < end; b++) {
        if (<i32>load<i8>(s + <usize>(c0 + b)) < zeroPoint) word |= 1 << b;
      }
      store<i32>(p, word);
      p += 4;
    }
  }
}

/** LceDequantize to float32: bit 0 → +1.0, bit 1 → −1.0. */
export function b1_unpack_f32__scalar(src: usize, rows: i32, channels: i32, dst: usize): void {
  const words = (channels + 31) >> 5;
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * words) << 2);
    const o = dst + (<usize>(r * channels) << 2);
    for (let c = 0; c < channels; c++) {
      const bit = (load<i32>(s + (<usize>(c >> 5) << 2)) >>> (c & 31)) & 1;
      store<f32>(o + (<usize>c << 2), bit ? -1.0 : 1.0);
    }
  }
}

/** LceDequantize to int8 (or bool bytes): bit 0 → zeroBit, bit 1 → oneBit. */
export function b1_unpack_i8__scalar(src: usize, rows: i32, channels: i32, zeroBit: i32, oneBit: i32, dst: usize): void {
  const words = (channels + 31) >> 5;
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * words) << 2);
    const o = dst + <usize>(r * channels);
    for (let c = 0; c < channels; c++) {
      const bit = (load<i32>(s + (<usize>(c >> 5) << 2)) >>> (c & 31)) & 1;
      store<i8>(o + <usize>c, <i8>(bit ? oneBit : zeroBit));
    }
  }
}

/**
 * LceBMaxPool2d: AND of the packed words over the window clipped to the image (lce-ops.md §3.4).
 * Geometry as i32s: batch, inH, inW, words, outH, outW, fh, fw, sh, sw, padTop, padLeft.
 */
export function b1_bmaxpool2d__scalar(
  src: usize, batch: i32, inH: i32, inW: i32, words: i32, outH: i32, outW: i32,
  fh: i32, fw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, dst: usize,
): void {
  let o = dst;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      const ys = max(0, y0), ye = min(inH, y0 + fh);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * sw - padLeft;
        const xs = max(0, x0), xe = min(inW, x0 + fw);
        for (let w = 0; w < words; w++) {
          let acc = -1;
          for (let iy = ys; iy < ye; iy++) {
            const rowp = src + (<usize>(((n * inH + iy) * inW) * words + w) << 2);
            for (let ix = xs; ix < xe; ix++) acc &= load<i32>(rowp + (<usize>(ix * words) << 2));
          }
          store<i32>(o, acc);
          o += 4;
        }
      }
    }
  }
}
