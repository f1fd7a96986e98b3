import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpPrepareError } from '../errors.js';
import { roundHalfAway } from '../reference/quant.js';
import { maxPool2d } from './max-pool2d.js';
import { runOp1 } from './test-util.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Case { n: number; h: number; w: number; c: number; fh: number; fw: number; sh: number; sw: number; same: boolean; act: number }

/** Direct pooling: every window tap bounds-checked; `reduce` sees the in-image values. */
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

const POOL_CASES: Case[] = [
  { n: 1, h: 4, w: 4, c: 1, fh: 2, fw: 2, sh: 2, sw: 2, same: false, act: 0 },
  { n: 2, h: 7, w: 5, c: 3, fh: 3, fw: 3, sh: 2, sw: 2, same: true, act: 1 },
  { n: 1, h: 9, w: 11, c: 31, fh: 3, fw: 2, sh: 1, sw: 2, same: true, act: 3 },
  { n: 1, h: 6, w: 7, c: 33, fh: 2, fw: 3, sh: 3, sw: 1, same: false, act: 2 },
  { n: 2, h: 5, w: 5, c: 2, fh: 5, fw: 5, sh: 1, sw: 1, same: true, act: 0 },
];

function opts(k: Case) {
  return { padding: k.same ? 0 : 1, strideW: k.sw, strideH: k.sh, filterWidth: k.fw, filterHeight: k.fh, fusedActivationFunction: k.act };
}

test('float MAX_POOL_2D matches a direct max over the in-image window', () => {
  const r = rng(41);
  for (const k of POOL_CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.fround(r() * 16 - 8));
    const lo = k.act === 1 || k.act === 3 ? 0 : k.act === 2 ? -1 : -Infinity;
    const hi = k.act === 3 ? 6 : k.act === 2 ? 1 : Infinity;
    const expected = naivePool(k, input, (v) => Math.min(hi, Math.max(lo, Math.max(...v))));
    const got = runOp1(maxPool2d, {
      inputs: [{ dtype: 'float32', shape: [k.n, k.h, k.w, k.c], data: input }],
      outputs: [{ dtype: 'float32', shape: [] }],
      options: opts(k),
    });
    assert.deepEqual(got.shape, expected.shape);
    assert.deepEqual(got.values, expected.out, JSON.stringify(k));
  }
});

test('int8 MAX_POOL_2D matches a direct max, clamped by the quantized activation range', () => {
  const r = rng(43);
  for (const k of POOL_CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.floor(r() * 256) - 128);
    const scale = 0.05;
    const zp = -7;
    const q = (v: number) => zp + roundHalfAway(v / scale);
    const lo = k.act === 1 || k.act === 3 ? q(0) : k.act === 2 ? q(-1) : -128;
    const hi = k.act === 3 ? q(6) : k.act === 2 ? q(1) : 127;
    const expected = naivePool(k, input, (v) => Math.min(hi, Math.max(lo, Math.max(...v))));
    const got = runOp1(maxPool2d, {
      inputs: [{ dtype: 'int8', shape: [k.n, k.h, k.w, k.c], data: input, quant: { scale, zeroPoint: zp } }],
      outputs: [{ dtype: 'int8', shape: [], quant: { scale, zeroPoint: zp } }],
      options: opts(k),
    });
    assert.deepEqual(got.shape, expected.shape);
    assert.deepEqual(got.values, expected.out, JSON.stringify(k));
  }
});

test('MAX_POOL_2D refuses requantising int8, zero strides/filters, and unsupported dtypes', () => {
  const base = { padding: 1, strideW: 1, strideH: 1, filterWidth: 2, filterHeight: 2 };
  assert.throws(() => runOp1(maxPool2d, {
    inputs: [{ dtype: 'int8', shape: [1, 2, 2, 1], quant: { scale: 0.5, zeroPoint: 0 } }],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 0.25, zeroPoint: 0 } }],
    options: base,
  }), /same quantization/);
  assert.throws(() => runOp1(maxPool2d, {
    inputs: [{ dtype: 'float32', shape: [1, 2, 2, 1] }], outputs: [{ dtype: 'float32', shape: [] }], options: null,
  }), OpPrepareError);
  assert.throws(() => runOp1(maxPool2d, {
    inputs: [{ dtype: 'int32', shape: [1, 2, 2, 1] }], outputs: [{ dtype: 'int32', shape: [] }], options: base,
  }), /dtype int32/);
  assert.throws(() => runOp1(maxPool2d, {
    inputs: [{ dtype: 'float32', shape: [1, 2, 2, 1] }], outputs: [{ dtype: 'float32', shape: [] }],
    options: { ...base, filterWidth: 3 },
  }), /does not fit/);
});
