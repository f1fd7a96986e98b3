import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelValidationError } from '../errors.js';
import { multiplyByQuantizedMultiplierRoundUp, quantizeMultiplier, roundHalfAway } from '../reference/quant.js';
import { fullyConnected } from './fully-connected.js';
import { assertClose, runOp1 } from './test-util.js';
import type { TestTensor } from './test-util.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** out[b][u] = finish(u, Σ_d in[b][d] · w[u][d]) with the input read as rows of `depth`. */
function naiveFc(input: number[], weights: number[], depth: number, units: number, finish: (u: number, acc: number) => number): number[] {
  const out: number[] = [];
  for (let b = 0; b < input.length / depth; b++) {
    for (let u = 0; u < units; u++) {
      let acc = 0;
      for (let d = 0; d < depth; d++) acc += input[b * depth + d]! * weights[u * depth + d]!;
      out.push(finish(u, acc));
    }
  }
  return out;
}

const SHAPES: { input: number[]; units: number; keep: boolean; act: number; bias: boolean }[] = [
  { input: [1, 1], units: 1, keep: false, act: 0, bias: true },
  { input: [2, 31], units: 33, keep: false, act: 1, bias: true },
  { input: [1, 3, 3, 4], units: 5, keep: false, act: 0, bias: false }, // 9 rows of depth 4
  { input: [2, 3, 33], units: 7, keep: true, act: 3, bias: true },
  { input: [4, 65], units: 3, keep: false, act: 2, bias: false },
];

test('float FULLY_CONNECTED matches a direct product; keepNumDims keeps leading dims, otherwise [-1, units]', () => {
  const r = rng(21);
  for (const s of SHAPES) {
    const depth = s.input[s.input.length - 1]!;
    const n = s.input.reduce((a, b) => a * b, 1);
    const input = Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
    const weights = Array.from({ length: s.units * depth }, () => Math.fround(r() * 2 - 1));
    const bias = Array.from({ length: s.units }, () => Math.fround(r() - 0.5));
    const lo = s.act === 1 || s.act === 3 ? 0 : s.act === 2 ? -1 : -Infinity;
    const hi = s.act === 3 ? 6 : s.act === 2 ? 1 : Infinity;
    const expected = naiveFc(input, weights, depth, s.units, (u, acc) => Math.min(hi, Math.max(lo, acc + (s.bias ? bias[u]! : 0))));
    const got = runOp1(fullyConnected, {
      inputs: [
        { dtype: 'float32', shape: s.input, data: input },
        { dtype: 'float32', shape: [s.units, depth], data: weights, constant: true },
        s.bias ? { dtype: 'float32', shape: [s.units], data: bias, constant: true } : null,
      ],
      outputs: [{ dtype: 'float32', shape: [] }],
      options: { fusedActivationFunction: s.act, keepNumDims: s.keep },
    });
    assert.deepEqual(got.shape, s.keep ? [...s.input.slice(0, -1), s.units] : [n / depth, s.units]);
    assertClose(got.values, expected, 1e-5);
  }
});

test('FULLY_CONNECTED flattens a 4-D input into rows of the weights depth', () => {
  // [1, 2, 2, 3] = 12 values with weights depth 6 → 2 rows
  const input = Array.from({ length: 12 }, (_, i) => i + 1);
  const weights = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // units 2: first and last element of each row
  const got = runOp1(fullyConnected, {
    inputs: [
      { dtype: 'float32', shape: [1, 2, 2, 3], data: input },
      { dtype: 'float32', shape: [2, 6], data: weights, constant: true },
    ],
    outputs: [{ dtype: 'float32', shape: [] }],
    options: null,
  });
  assert.deepEqual(got.shape, [2, 2]);
  assert.deepEqual(got.values, [1, 6, 7, 12]);
});

function int8ActRange(act: number, scale: number, zp: number): [number, number] {
  const q = (v: number) => zp + roundHalfAway(v / scale);
  if (act === 1) return [Math.max(-128, q(0)), 127];
  if (act === 3) return [Math.max(-128, q(0)), Math.min(127, q(6))];
  if (act === 2) return [Math.max(-128, q(-1)), Math.min(127, q(1))];
  return [-128, 127];
}

test('int8 FULLY_CONNECTED (per-tensor with zero point, and per-unit) is bit-exact and ≤ 1 LSB from float', () => {
  let seed = 300;
  for (const s of SHAPES) {
    for (const mode of ['tensor', 'tensor-zp', 'channel'] as const) {
      const r = rng(seed++);
      const depth = s.input[s.input.length - 1]!;
      const n = s.input.reduce((a, b) => a * b, 1);
      const inScale = 0.01 + r() * 0.05;
      const inZp = Math.floor(r() * 41) - 20;
      const wZp = mode === 'tensor-zp' ? Math.floor(r() * 11) - 5 : 0;
      const wScales = Array.from({ length: mode === 'channel' ? s.units : 1 }, () => 0.002 + r() * 0.03);
      const wScale = (u: number) => wScales[mode === 'channel' ? u : 0]!;
      const input = Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
      const weights = Array.from({ length: s.units * depth }, () => Math.floor(r() * 240) - 120);
      const bias = Array.from({ length: s.units }, () => Math.floor(r() * 2001) - 1000);
      const real = naiveFc(input.map((x) => (x - inZp) * inScale), weights.map((w) => w - wZp), depth, s.units,
        (u, acc) => acc * wScale(u) + (s.bias ? bias[u]! * inScale * wScale(u) : 0));
      const outScale = Math.max(1e-3, ...real.map(Math.abs)) / 100;
      const outZp = Math.floor(r() * 41) - 20;
      const [qlo, qhi] = int8ActRange(s.act, outScale, outZp);
      const viaFloat = real.map((v) => Math.min(qhi, Math.max(qlo, roundHalfAway(v / outScale) + outZp)));
      const exact = naiveFc(input.map((x) => x - inZp), weights.map((w) => w - wZp), depth, s.units, (u, acc) => {
        const m = quantizeMultiplier((inScale * wScale(u)) / outScale);
        return Math.min(qhi, Math.max(qlo, multiplyByQuantizedMultiplierRoundUp(acc + (s.bias ? bias[u]! : 0), m.multiplier, m.shift) + outZp));
      });
      const inputs: (TestTensor | null)[] = [
        { dtype: 'int8', shape: s.input, data: input, quant: { scale: inScale, zeroPoint: inZp } },
        {
          dtype: 'int8', shape: [s.units, depth], data: weights, constant: true,
          quantization: { scale: wScales, zeroPoint: wScales.map(() => wZp), quantizedDimension: 0 },
        },
        s.bias ? {
          dtype: 'int32', shape: [s.units], data: bias, constant: true,
          quantization: { scale: wScales.map((w) => w * inScale), zeroPoint: wScales.map(() => 0), quantizedDimension: 0 },
        } : null,
      ];
      const got = runOp1(fullyConnected, {
        inputs, outputs: [{ dtype: 'int8', shape: [], quant: { scale: outScale, zeroPoint: outZp } }],
        options: { fusedActivationFunction: s.act, keepNumDims: s.keep },
      });
      const what = `${JSON.stringify(s)} ${mode}`;
      assert.deepEqual(got.values, exact, what);
      for (let i = 0; i < viaFloat.length; i++) {
        assert.ok(Math.abs(got.values[i]! - viaFloat[i]!) <= 1, `element ${i}: ${got.values[i]} vs ${viaFloat[i]} in ${what}`);
      }
    }
  }
});

test('int8 FULLY_CONNECTED hand-computed: tie rounding, zero points, saturation', () => {
  // one unit, depth 2, weights [1, 1] (scale 1), input scale 0.25 zp 0, output scale 1 zp 0: out = (x0 + x1) / 4
  const run = (x: number[], outZp = 0, bias?: number) => runOp1(fullyConnected, {
    inputs: [
      { dtype: 'int8', shape: [x.length / 2, 2], data: x, quant: { scale: 0.25, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1, 2], data: [1, 1], constant: true, quant: { scale: 1, zeroPoint: 0 } },
      bias === undefined ? null : { dtype: 'int32', shape: [1], data: [bias], constant: true },
    ],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: outZp } }],
    options: { fusedActivationFunction: 0 },
  }).values;
  // 1.5, -1.5, 0.5, -0.5, 2.5: ties go towards +∞ like TFLite's optimized GEMV/ruy (the real LCE interpreter)
  assert.deepEqual(run([3, 3, -3, -3, 1, 1, -1, -1, 5, 5]), [2, -1, 1, 0, 3]);
  assert.deepEqual(run([127, 127, -128, -128], 100), [127, 36]); // 63.5 → 64 + 100 saturates; -64 + 100
  assert.deepEqual(run([0, 0], 0, 10), [3]); // bias 10 · 0.25 = 2.5 → 3
});

test('FULLY_CONNECTED refuses bad shapes, hybrid weights, shuffled format and mismatched bias scale', () => {
  const f = (shape: number[]): TestTensor => ({ dtype: 'float32', shape });
  const run = (inputs: (TestTensor | null)[], options = {}) => runOp1(fullyConnected, { inputs, outputs: [f([])], options });
  assert.throws(() => run([f([2, 5]), f([3, 4])]), /not a multiple/);
  assert.throws(() => run([f([2, 8]), f([3, 4])], { keepNumDims: true }), /keepNumDims/);
  assert.throws(() => run([f([2, 4]), f([3, 4]), f([4])]), /bias/);
  assert.throws(() => run([f([2, 4]), f([3, 2, 2])]), /2-D/);
  assert.throws(() => run([f([2, 4]), { dtype: 'int8', shape: [3, 4], quant: { scale: 1, zeroPoint: 0 } }]), /hybrid/);
  assert.throws(() => run([f([2, 4]), f([3, 4])], { weightsFormat: 1 }), ModelValidationError);
  assert.throws(() => runOp1(fullyConnected, {
    inputs: [
      { dtype: 'int8', shape: [1, 2], quant: { scale: 0.5, zeroPoint: 0 } },
      { dtype: 'int8', shape: [1, 2], quant: { scale: 0.5, zeroPoint: 0 } },
      { dtype: 'int32', shape: [1], quant: { scale: 0.5, zeroPoint: 0 } },
    ],
    outputs: [{ dtype: 'int8', shape: [], quant: { scale: 1, zeroPoint: 0 } }],
  }), /bias .* scale/);
});
