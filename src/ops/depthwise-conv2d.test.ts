import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BuiltinOptions } from '../graph/model.js';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierRoundUp, quantizeMultiplier, roundHalfAway,
} from '../reference/quant.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { assertClose, runOp1 } from './test-util.js';
import type { TestTensor } from './test-util.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Case {
  n: number; h: number; w: number; c: number; m: number; fh: number; fw: number;
  sh: number; sw: number; dh: number; dw: number; same: boolean; act: number; bias: boolean;
}

function axis(inSize: number, f: number, s: number, d: number, same: boolean): { out: number; pad: number } {
  const eff = (f - 1) * d + 1;
  const out = same ? Math.ceil(inSize / s) : Math.ceil((inSize - eff + 1) / s);
  const total = Math.max(0, (out - 1) * s + eff - inSize);
  return { out, pad: same ? Math.floor(total / 2) : 0 };
}

/** Direct depthwise convolution: output channel ic·M + m reads input channel ic only. */
function naiveDepthwise(
  k: Case, input: ArrayLike<number>, filter: ArrayLike<number>, finish: (oc: number, acc: number) => number,
): { shape: number[]; out: number[] } {
  const H = axis(k.h, k.fh, k.sh, k.dh, k.same);
  const W = axis(k.w, k.fw, k.sw, k.dw, k.same);
  const oc = k.c * k.m;
  const out: number[] = [];
  for (let b = 0; b < k.n; b++) for (let oy = 0; oy < H.out; oy++) for (let ox = 0; ox < W.out; ox++) {
    for (let ic = 0; ic < k.c; ic++) for (let mi = 0; mi < k.m; mi++) {
      const o = ic * k.m + mi;
      let acc = 0;
      for (let fy = 0; fy < k.fh; fy++) for (let fx = 0; fx < k.fw; fx++) {
        const iy = oy * k.sh - H.pad + fy * k.dh;
        const ix = ox * k.sw - W.pad + fx * k.dw;
        if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
        acc += input[((b * k.h + iy) * k.w + ix) * k.c + ic]! * filter[(fy * k.fw + fx) * oc + o]!;
      }
      out.push(finish(o, acc));
    }
  }
  return { shape: [k.n, H.out, W.out, oc], out };
}

function options(k: Case, depthMultiplier = k.m): BuiltinOptions {
  return {
    padding: k.same ? 0 : 1, strideW: k.sw, strideH: k.sh, depthMultiplier, fusedActivationFunction: k.act,
    dilationWFactor: k.dw, dilationHFactor: k.dh,
  };
}

const CASES: Case[] = [
  { n: 1, h: 5, w: 5, c: 1, m: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, same: true, act: 0, bias: true },
  { n: 2, h: 7, w: 9, c: 3, m: 2, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, same: true, act: 3, bias: true },
  { n: 1, h: 11, w: 9, c: 31, m: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 2, same: true, act: 1, bias: false },
  { n: 1, h: 9, w: 8, c: 33, m: 1, fh: 5, fw: 3, sh: 2, sw: 1, dh: 1, dw: 2, same: false, act: 0, bias: true },
  { n: 2, h: 6, w: 7, c: 5, m: 3, fh: 2, fw: 2, sh: 1, sw: 2, dh: 2, dw: 1, same: false, act: 2, bias: true },
  { n: 1, h: 3, w: 3, c: 4, m: 2, fh: 5, fw: 5, sh: 2, sw: 2, dh: 1, dw: 1, same: true, act: 0, bias: false },
];

test('float DEPTHWISE_CONV_2D matches a direct computation (multiplier 2 and 3, stride, dilation, batch 2)', () => {
  const r = rng(5);
  for (const k of CASES) {
    const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => r() * 2 - 1);
    const filter = Array.from({ length: k.fh * k.fw * k.c * k.m }, () => r() * 2 - 1);
    const bias = Array.from({ length: k.c * k.m }, () => r() - 0.5);
    const lo = k.act === 1 || k.act === 3 ? 0 : k.act === 2 ? -1 : -Infinity;
    const hi = k.act === 3 ? 6 : k.act === 2 ? 1 : Infinity;
    const f32 = (a: number[]) => Array.from(new Float32Array(a));
    const expected = naiveDepthwise(k, f32(input), f32(filter), (oc, acc) =>
      Math.min(hi, Math.max(lo, acc + (k.bias ? Math.fround(bias[oc]!) : 0))));
    const got = runOp1(depthwiseConv2d, {
      inputs: [
        { dtype: 'float32', shape: [k.n, k.h, k.w, k.c], data: input },
        { dtype: 'float32', shape: [1, k.fh, k.fw, k.c * k.m], data: filter, constant: true },
        k.bias ? { dtype: 'float32', shape: [k.c * k.m], data: bias, constant: true } : null,
      ],
      outputs: [{ dtype: 'float32', shape: [] }],
      options: options(k),
    });
    assert.deepEqual(got.shape, expected.shape, JSON.stringify(k));
    assertClose(got.values, expected.out, 1e-5);
  }
});

function int8ActRange(act: number, scale: number, zp: number): [number, number] {
  const q = (v: number) => zp + roundHalfAway(v / scale);
  if (act === 1) return [Math.max(-128, q(0)), 127];
  if (act === 3) return [Math.max(-128, q(0)), Math.min(127, q(6))];
  if (act === 2) return [Math.max(-128, q(-1)), Math.min(127, q(1))];
  return [-128, 127];
}

test('int8 DEPTHWISE_CONV_2D (per-channel along dim 3) is bit-exact with the integer pipeline, ≤ 1 LSB from float', () => {
  let seed = 200;
  for (const k of CASES) {
    for (const perChannel of [true, false]) {
      const r = rng(seed++);
      const oc = k.c * k.m;
      const inScale = 0.01 + r() * 0.05;
      const inZp = Math.floor(r() * 31) - 15;
      const input = Array.from({ length: k.n * k.h * k.w * k.c }, () => Math.floor(r() * 256) - 128);
      const fScales = Array.from({ length: perChannel ? oc : 1 }, () => 0.002 + r() * 0.03);
      const fScale = (c: number) => fScales[perChannel ? c : 0]!;
      const filter = Array.from({ length: k.fh * k.fw * oc }, () => Math.floor(r() * 255) - 127);
      const bias = Array.from({ length: oc }, () => Math.floor(r() * 2001) - 1000);
      const real = naiveDepthwise(k, input.map((x) => (x - inZp) * inScale), filter, (c, acc) =>
        acc * fScale(c) + (k.bias ? bias[c]! * inScale * fScale(c) : 0));
      const outScale = Math.max(1e-3, ...real.out.map(Math.abs)) / 100;
      const outZp = Math.floor(r() * 41) - 20;
      const [qlo, qhi] = int8ActRange(k.act, outScale, outZp);
      const viaFloat = real.out.map((v) => Math.min(qhi, Math.max(qlo, roundHalfAway(v / outScale) + outZp)));
      const exact = naiveDepthwise(k, input.map((x) => x - inZp), filter, (c, acc) => {
        const m = quantizeMultiplier((inScale * fScale(c)) / outScale);
        // channels in whole blocks of 8: the optimized kernel's vector lanes (ties up); the rest: ties away
        const requant = c < oc - (oc % 8) ? multiplyByQuantizedMultiplierRoundUp : multiplyByQuantizedMultiplier;
        return Math.min(qhi, Math.max(qlo, requant(acc + (k.bias ? bias[c]! : 0), m.multiplier, m.shift) + outZp));
      });
      const inputs: (TestTensor | null)[] = [
        { dtype: 'int8', shape: [k.n, k.h, k.w, k.c], data: input, quant: { scale: inScale, zeroPoint: inZp } },
        {
          dtype: 'int8', shape: [1, k.fh, k.fw, oc], data: filter, constant: true,
          quantization: { scale: fScales, zeroPoint: fScales.map(() => 0), quantizedDimension: 3 },
        },
        k.bias ? { dtype: 'int32', shape: [oc], data: bias, constant: true } : null,
      ];
      const got = runOp1(depthwiseConv2d, {
        inputs, outputs: [{ dtype: 'int8', shape: [], quant: { scale: outScale, zeroPoint: outZp } }], options: options(k),
      });
      const what = `${JSON.stringify(k)} perChannel=${perChannel}`;
      assert.deepEqual(got.shape, exact.shape, what);
      assert.deepEqual(got.values, exact.out, what);
      for (let i = 0; i < viaFloat.length; i++) {
        assert.ok(Math.abs(got.values[i]! - viaFloat[i]!) <= 1, `element ${i}: ${got.values[i]} vs ${viaFloat[i]} in ${what}`);
      }
    }
  }
});

test('int8 DEPTHWISE_CONV_2D rounds like LCE\'s interpreter: channels 0-7 (vector lanes) ties up, 8-11 ties away', () => {
  // 1x1 filter of ones at scale 1/4: out = round(x / 4) with x/4 an exact half for x = ±2, ±6, ±10, ±14. Expected
  // values from LCE 0.16.0's interpreter on this model; the second pixel moves channels 8-11's values to lanes 0-3.
  const ws = Array.from({ length: 12 }, () => 0.25);
  const x = [-6, -6, -10, -10, 6, 6, 10, 10, -2, 2, -14, 14, /**/ -2, 2, -14, 14, -6, -6, -10, -10, 6, 6, 10, 10];
  const got = runOp1(depthwiseConv2d, {
    inputs: [
      { dtype: 'int8', shape: [1, 1, 2, 12], data: x, quant: { scale: 1, zeroPoint: 0 } },
      {
        dtype: 'int8', shape: [1, 1, 1, 12], data: ws.map(() => 1), constant: true,
        quantization: { scale: ws, zeroPoint: ws.map(() => 0), quantizedDimension: 3 },
      },
      { dtype: 'int32', shape: [12], data: ws.map(() => 0), constant: true },
    ],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
    options: { padding: 1, strideH: 1, strideW: 1, depthMultiplier: 1, dilationHFactor: 1, dilationWFactor: 1, fusedActivationFunction: 0 },
  });
  assert.deepEqual(got.values, [-1, -1, -2, -2, 2, 2, 3, 3, -1, 1, -4, 4, /**/ 0, 1, -3, 4, -1, -1, -2, -2, 2, 2, 3, 3]);
});

test('DEPTHWISE_CONV_2D takes the multiplier from the shapes and refuses bad filters', () => {
  const k = CASES[1]!;
  const r = rng(9);
  const inputData = Array.from({ length: k.n * k.h * k.w * k.c }, r);
  const filterData = Array.from({ length: 2 * 3 * 3 * 7 }, r);
  const args = (filterShape: number[], opts: BuiltinOptions) => ({
    inputs: [
      { dtype: 'float32' as const, shape: [k.n, k.h, k.w, k.c], data: inputData },
      {
        dtype: 'float32' as const, shape: filterShape, constant: true,
        data: filterData.slice(0, filterShape.reduce((a, b) => a * b, 1)),
      },
    ],
    outputs: [{ dtype: 'float32' as const, shape: [] }],
    options: opts,
  });
  // the redundant depthMultiplier option (0 or stale) does not change the result
  const a = runOp1(depthwiseConv2d, args([1, 3, 3, 6], options(k, 2)));
  const b = runOp1(depthwiseConv2d, args([1, 3, 3, 6], options(k, 0)));
  assert.deepEqual(a.values, b.values);
  assert.deepEqual(a.shape, [2, 4, 5, 6]);
  assert.throws(() => runOp1(depthwiseConv2d, args([1, 3, 3, 7], options(k))), /not a multiple/);
  assert.throws(() => runOp1(depthwiseConv2d, args([2, 3, 3, 6], options(k))), /\[1, H, W/);
  // int8 filter quantized along the wrong axis
  assert.throws(() => runOp1(depthwiseConv2d, {
    inputs: [
      { dtype: 'int8', shape: [1, 3, 3, 2], quant: { scale: 1, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1, 1, 1, 2], quantization: { scale: [1, 1], zeroPoint: [0, 0], quantizedDimension: 0 } },
    ],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
    options: { padding: 1, strideW: 1, strideH: 1 },
  }), /dimension 0; expected 3/);
});
