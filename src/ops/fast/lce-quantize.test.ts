// The wasm LceQuantize and LceDequantize against the reference ops, bit-exact, on awkward channel counts and ranks;
// bool input takes the reference path (bytes ≥ 128 are +1 there), and nothing is written outside the outputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasWasmSimd } from '../../backend/features.js';
import type { Isa } from '../../backend/variants.js';
import { bitpackedSize } from '../../reference/bitpack.js';
import { makeRng, perTensor, type HandTensor } from '../../reference/lce-testutil.js';
import { lceDequantize } from '../lce-dequantize.js';
import { lceQuantize } from '../lce-quantize.js';
import { fastLceDequantize } from './lce-dequantize.js';
import { fastLceQuantize } from './lce-quantize.js';
import { compareFastWithReference } from './test-util.js';

const ISAS: Isa[] = hasWasmSimd() ? ['wasmsimd', 'scalar'] : ['scalar'];
const SHAPES = [[1], [31], [2, 33], [3, 5, 65], [1, 7, 3, 32], [2, 3, 3, 1], [1, 4, 5, 96], [2, 129]];

describe('fast LceQuantize equals the reference op', () => {
  for (const isa of ISAS) {
    it(`float32 and int8 input on the ${isa} build`, async () => {
      const rng = makeRng(21);
      for (const shape of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const special = [0, -0, NaN, -Infinity, Infinity, -1e-38, 1e-38];
        const f = Float32Array.from({ length: n }, () => (rng() < 0.2 ? special[Math.floor(rng() * special.length)]! : rng() - 0.5));
        const i8 = Int8Array.from({ length: n }, () => Math.floor(rng() * 256) - 128);
        const out: HandTensor = { dtype: 'int32', shape: shape.map(() => 0) };
        const rf = await compareFastWithReference(fastLceQuantize, lceQuantize, undefined, [{ dtype: 'float32', shape, data: f }], [out], { isa });
        assert.equal(rf.state.mode, 'f32');
        assert.ok(rf.guardsIntact, `float32 ${shape}: wrote outside its output`);
        assert.deepEqual(rf.fast[0], rf.reference[0], `float32 ${shape}`);
        for (const zp of [0, -7, 100, -128, 127]) {
          const ri = await compareFastWithReference(fastLceQuantize, lceQuantize, undefined,
            [{ dtype: 'int8', shape, data: i8, quantization: perTensor(0.1, zp) }], [out], { isa });
          assert.equal(ri.state.mode, 'i8');
          assert.ok(ri.guardsIntact, `int8 ${shape}: wrote outside its output`);
          assert.deepEqual(ri.fast[0], ri.reference[0], `int8 ${shape} zp ${zp}`);
        }
      }
    });
  }

  it('bool input (bytes 0, 1 and ≥ 128) goes through the reference kernel', async () => {
    const data = Uint8Array.from([0, 1, 255, 128, 2, 0, 0, 1, 200]);
    const r = await compareFastWithReference(fastLceQuantize, lceQuantize, undefined,
      [{ dtype: 'bool', shape: [1, 9], data }], [{ dtype: 'int32', shape: [0, 0] }]);
    assert.equal(r.state.mode, 'reference');
    assert.deepEqual(r.fast[0], Int32Array.from([0b110_0001]));
    assert.deepEqual(r.fast[0], r.reference[0]);
  });
});

describe('fast LceDequantize equals the reference op', () => {
  for (const isa of ISAS) {
    it(`float32, int8 and bool output on the ${isa} build`, async () => {
      const rng = makeRng(22);
      for (const shape of SHAPES) {
        const c = shape[shape.length - 1]!;
        const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const words = bitpackedSize(c);
        const packed = Int32Array.from({ length: rows * words }, (_, i) => {
          const bits = Math.min(32, c - 32 * (i % words));
          const x = (Math.floor(rng() * 65536) | (Math.floor(rng() * 65536) << 16)) >>> 0;
          return (bits < 32 ? x & ((1 << bits) - 1) : x) | 0;
        });
        const input: HandTensor = { dtype: 'int32', shape: [...shape.slice(0, -1), words], data: packed };
        for (const out of [
          { dtype: 'float32', shape }, { dtype: 'bool', shape }, { dtype: 'int8', shape, quantization: perTensor(0.37, -3) },
          { dtype: 'int8', shape, quantization: perTensor(0.001, 120) },
        ] as HandTensor[]) {
          const r = await compareFastWithReference(fastLceDequantize, lceDequantize, undefined, [input], [out], { isa });
          assert.ok(r.guardsIntact, `${out.dtype} ${shape}: wrote outside its output`);
          assert.deepEqual(r.fast[0], r.reference[0], `${out.dtype} ${shape}`);
        }
      }
    });
  }
});
