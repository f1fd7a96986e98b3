import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Padding } from '../ops/common.js';
import { bitpackedSize, packFloat32 } from './bitpack.js';
import { bmaxpool2d, bmaxpool2dGeometry } from './bmaxpool.js';
import { makeRng, pick, randInt } from './lce-testutil.js';

/** Float max pool (padding positions ignored), computed independently: out = ceil(in/s) SAME, ceil((in−f+1)/s) VALID. */
function floatMaxPool(
  x: Float32Array, n: number, h: number, w: number, c: number, fh: number, fw: number, sh: number, sw: number, same: boolean,
): { oh: number; ow: number; y: Float32Array } {
  const oh = same ? Math.ceil(h / sh) : Math.ceil((h - fh + 1) / sh);
  const ow = same ? Math.ceil(w / sw) : Math.ceil((w - fw + 1) / sw);
  const padTop = same ? Math.floor(Math.max(0, (oh - 1) * sh + fh - h) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max(0, (ow - 1) * sw + fw - w) / 2) : 0;
  const y = new Float32Array(n * oh * ow * c);
  let at = 0;
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
    let m = -Infinity;
    for (let ky = 0; ky < fh; ky++) for (let kx = 0; kx < fw; kx++) {
      const iy = oy * sh - padTop + ky;
      const ix = ox * sw - padLeft + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      m = Math.max(m, x[((b * h + iy) * w + ix) * c + ch]!);
    }
    y[at++] = m;
  }
  return { oh, ow, y };
}

test('binary max pool equals float max pool followed by sign, SAME and VALID, awkward channels', () => {
  const rng = makeRng(21);
  for (let iter = 0; iter < 200; iter++) {
    const same = iter % 2 === 0;
    const c = pick(rng, [1, 31, 32, 33, 65, 100]);
    const fh = randInt(rng, 1, 3);
    const fw = randInt(rng, 1, 3);
    const sh = randInt(rng, 1, 3);
    const sw = randInt(rng, 1, 3);
    const n = randInt(rng, 1, 2);
    const h = randInt(rng, same ? 1 : fh, 9);
    const w = randInt(rng, same ? 1 : fw, 9);
    // Mostly negative values so that all-negative windows (the interesting AND case) are common.
    const x = Float32Array.from({ length: n * h * w * c }, () => rng() - 0.85);
    const words = bitpackedSize(c);
    const packed = new Int32Array(n * h * w * words);
    packFloat32(x, n * h * w, c, packed);
    const g = bmaxpool2dGeometry([n, h, w, words], fh, fw, sh, sw, same ? Padding.SAME : Padding.VALID);
    const ref = floatMaxPool(x, n, h, w, c, fh, fw, sh, sw, same);
    const what = JSON.stringify({ same, c, fh, fw, sh, sw, n, h, w });
    assert.equal(g.outHeight, ref.oh, what);
    assert.equal(g.outWidth, ref.ow, what);
    const out = new Int32Array(n * g.outHeight * g.outWidth * words).fill(0x13572468);
    bmaxpool2d(g, packed, out);
    const expected = new Int32Array(out.length);
    packFloat32(ref.y, n * ref.oh * ref.ow, c, expected);
    assert.deepEqual([...out], [...expected], what);
  }
});

test('padding bits stay 0 and an all-negative window stays −1', () => {
  const packed = Int32Array.from([0x7, 0x5, 0x3, 0x7]); // 2×2 image, 3 channels, padding bits 0
  const g = bmaxpool2dGeometry([1, 2, 2, 1], 2, 2, 2, 2, Padding.VALID);
  const out = new Int32Array(1);
  bmaxpool2d(g, packed, out);
  assert.deepEqual([...out], [0x1]);
  const full = Int32Array.from([-1, -1, -1, -1]);
  bmaxpool2d(g, full, out);
  assert.deepEqual([...out], [-1]);
});
