import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfAway } from '../reference/quant.js';
import { averagePool2d } from './average-pool2d.js';
import { assertClose, runOp1 } from './test-util.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Case { n: number; h: number; w: number; c: number; fh: number; fw: number; sh: number; sw: number; same: boolean; act: number }

/** Direct pooling: every window tap bounds-checked; `reduce` sees the in-image values only. */
function naivePool(k: Case, input: ArrayLike<number>, reduce: (vals: number[]) => number): { shape: number[]; out: number[] } {
  const ax = (size: number, f: number, s: number) => {
    const out = k.same ? Math.ceil(size / s) : Math.ceil((size - f + 1) / s);
    return { out, pad: k.same ? Math.floor(Math.max(0, (out - 1) * s + f - size) / 2) : 0 };
  };
  const H = ax(k.h, k.fh, k.sh);
  const W = ax(k.w, k.fw, k.sw);
  const out: number[] = [];
  for (let b = 0; b < k.n; b++) for (let oy = 0; oy < H.out; oy++) for (let ox = 0; ox < W.out; ox++) {
    for (let c = 0; c < k.c; c++) {
      const vals: number[] = [];
      for (let fy = 0; fy < k.fh; fy++) for (let fx = 0; fx < k.fw; fx++) {
        const iy = oy * k.sh - H.pad + fy;
        const ix = ox * k.sw - W.pad + fx;
        if (iy >= 0 && iy < k.h && ix >= 0 && ix < k.w) vals.push(input[((b * k.h + iy) * k.w + ix) * k.c + c]!);
      }
      out.push(reduce(vals));
    }
  }
  return { shape: [k.n, H.out, W.out, k.c], out };
}

const CASES: Case[] = [
  { n: 1, h: 4, w: 4, c: 1, fh: 2, fw: 2, sh: 2, sw: 2, same: false, act: 0 },
  { n: 2, h: 7, w: 5, c: 3, fh: 3, fw: 3, sh: 2, sw: 2, same: true, act: 1 },
  { n: 1, h: 9, w: 11, c: 31, fh: 3, fw: 2, sh: 1, sw: 2, same: true, act: 3 },
  { n: 1, h: 6, w: 7, c: 33, fh: 2, fw: 3, sh: 3, sw: 1, same: false, act: 2 },
  { n: 2, h: 5, w: 5, c: 2, fh: 5, fw: 5, sh: 1, sw: 1, same: true, act: 0 },
  { n: 1, h: 7, w: 7, c: 4, fh: 7, fw: 7, sh: 1, sw: 1, same: false, act: 0 }, // global average
];

function opts(k: Case) {
  return { padding: k.same ? 0 : 1, strideW: k.sw, strideH: k.sh, filterWidth: k.fw, filterHeight: k.fh, fusedActivationFunction: k.act };
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

test('float AVERAGE_POOL_2D averages only the in-image elements of each window', () => {
  const r = rng(51);
  for (const k of CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.fround(r() * 16 - 8));
    const lo = k.act === 1 || k.act === 3 ? 0 : k.act === 2 ? -1 : -Infinity;
    const hi = k.act === 3 ? 6 : k.act === 2 ? 1 : Infinity;
    const expected = naivePool(k, input, (v) => Math.min(hi, Math.max(lo, sum(v) / v.length)));
    const got = runOp1(averagePool2d, {
      inputs: [{ dtype: 'float32', shape: [k.n, k.h, k.w, k.c], data: input }],
      outputs: [{ dtype: 'float32', shape: [] }],
      options: opts(k),
    });
    assert.deepEqual(got.shape, expected.shape);
    assertClose(got.values, expected.out, 1e-6);
  }
});

test('int8 AVERAGE_POOL_2D rounds the mean half away from zero and clamps the activation', () => {
  const r = rng(53);
  for (const k of CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.floor(r() * 256) - 128);
    const scale = 0.05;
    const zp = 9;
    const q = (v: number) => zp + roundHalfAway(v / scale);
    const lo = k.act === 1 || k.act === 3 ? q(0) : k.act === 2 ? q(-1) : -128;
    const hi = k.act === 3 ? q(6) : k.act === 2 ? q(1) : 127;
    const expected = naivePool(k, input, (v) => Math.min(hi, Math.max(lo, roundHalfAway(sum(v) / v.length) + 0))) // + 0: no -0;
    const got = runOp1(averagePool2d, {
      inputs: [{ dtype: 'int8', shape: [k.n, k.h, k.w, k.c], data: input, quant: { scale, zeroPoint: zp } }],
      outputs: [{ dtype: 'int8', shape: [], quant: { scale, zeroPoint: zp } }],
      options: opts(k),
    });
    assert.deepEqual(got.shape, expected.shape);
    assert.deepEqual(got.values, expected.out, JSON.stringify(k));
  }
});

test('int8 AVERAGE_POOL_2D hand-computed ties and edge windows', () => {
  const run = (shape: number[], data: number[], options: Record<string, number>) => runOp1(averagePool2d, {
    inputs: [{ dtype: 'int8', shape, data, quant: { scale: 1, zeroPoint: 0 } }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
    options,
  });
  // 2×2 windows, VALID, stride 2 on a 2×8 row pair: sums 2, -2, 6, -6 over 4 → 0.5, -0.5, 1.5, -1.5
  const pairs = [1, 1, -1, -1, 3, 3, -3, -3];
  const zeros = [0, 0, 0, 0, 0, 0, 0, 0];
  const a = run([1, 2, 8, 1], [...pairs, ...zeros], { padding: 1, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 });
  assert.deepEqual(a.values, [1, -1, 2, -2]);
  // 3×3 SAME on a 3×3 image: the corner windows hold 4 values, edges 6, the centre 9 (padding never counts)
  const img = [10, 20, 30, 40, 50, 60, 70, 80, 91];
  const b = run([1, 3, 3, 1], img, { padding: 0, strideW: 1, strideH: 1, filterWidth: 3, filterHeight: 3 });
  // corner (0,0): (10+20+40+50)/4 = 30; edge (0,1): (10+20+30+40+50+60)/6 = 35; centre: 451/9 = 50.1 → 50;
  // corner (2,2): (50+60+80+91)/4 = 70.25 → 70; edge (1,2): (20+30+50+60+80+91)/6 = 55.17 → 55
  assert.deepEqual(b.values, [30, 35, 40, 45, 50, 55, 60, 65, 70]);
  // saturation is impossible for a mean, but RELU6 at scale 1 clamps to [0, 6]
  const c = run([1, 1, 2, 1], [-100, 100], { padding: 1, strideW: 1, strideH: 1, filterWidth: 1, filterHeight: 1, fusedActivationFunction: 3 });
  assert.deepEqual(c.values, [0, 6]);
});
