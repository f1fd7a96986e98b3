// The graph diff behind the converter oracle's "LCE's graph but for BatchNorm-fold rounding" (test/converter-diff.ts),
// on a corpus file against edited copies of itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModel } from '../src/format/read.js';
import type { Model } from '../src/graph/model.js';
import { bnFoldProblems, diffModels, ulpDistance, withConstantsOf } from './converter-diff.js';
import { hasFixtures, loadCase } from './fixtures.js';

const skip = !hasFixtures();
const load = (): Model => readModel(loadCase('matrix', 'bconv_k1').tflite);

/** A copy of `m` with tensor `t`'s float32 constant edited by `edit` (a fresh buffer). */
function withEdited(m: Model, t: number, edit: (v: Float32Array) => void): Model {
  const copy = structuredClone(m);
  const tensor = copy.subgraphs[0]!.tensors[t]!;
  const v = new Float32Array(copy.buffers[tensor.buffer]!.data.slice().buffer);
  edit(v);
  tensor.buffer = copy.buffers.length;
  copy.buffers.push({ data: new Uint8Array(v.buffer) });
  return copy;
}

/** Index of input `k` of the first LceBconv2d. */
function bconvInput(m: Model, k: number): number {
  const op = m.subgraphs[0]!.operators.find((o) => m.operatorCodes[o.opcodeIndex]!.customCode === 'LceBconv2d')!;
  return op.inputs[k]!;
}

test('ulpDistance counts float32 steps across zero', () => {
  assert.equal(ulpDistance(1, 1), 0);
  assert.equal(ulpDistance(1, 1 + 2 ** -23), 1);
  assert.equal(ulpDistance(-0, 0), 0);
  assert.equal(ulpDistance(2 ** -149, -(2 ** -149)), 2);
});

test('a model against itself: no difference', { skip }, () => {
  const m = load();
  const d = diffModels(m, m);
  assert.deepEqual([d.structural, d.constants, d.scales], [[], [], []]);
  assert.equal(d.ops, m.subgraphs[0]!.operators.length);
});

test('a multiplier 1–2 ulps off is BN-fold rounding, 9 ulps or a filter change is not', { skip }, () => {
  const m = load();
  const t = bconvInput(m, 2);
  const near = withEdited(m, t, (v) => { v[0] = v[0]! * (1 + 2 ** -22); v[3] = v[3]! * (1 - 2 ** -23); });
  const d = diffModels(near, m);
  assert.equal(d.constants.length, 1);
  assert.deepEqual(d.constants[0]!.uses, ['LceBconv2d input 2']);
  assert.equal(d.constants[0]!.differing, 2);
  assert.deepEqual(bnFoldProblems(d), []);
  // LCE's values substituted: the same model again
  const back = diffModels(withConstantsOf(near, m, d.constants, d.scales), m);
  assert.deepEqual([back.structural, back.constants], [[], []]);

  const far = diffModels(withEdited(m, t, (v) => { v[0] = v[0]! * (1 + 9 * 2 ** -23); }), m);
  assert.match(bnFoldProblems(far).join(), /ulps > 8/);
  const filter = bconvInput(m, 1); // bitpacked int32 weights: never rounding
  const copy = structuredClone(m);
  const w = copy.subgraphs[0]!.tensors[filter]!;
  const bytes = copy.buffers[w.buffer]!.data.slice();
  bytes[0] ^= 1;
  w.buffer = copy.buffers.length;
  copy.buffers.push({ data: bytes });
  assert.match(diffModels(copy, m).structural.join(), /constant data differs/);
});

test('options, shapes and op types are structural', { skip }, () => {
  const m = load();
  const opts = structuredClone(m);
  const op = opts.subgraphs[0]!.operators.find((o) => opts.operatorCodes[o.opcodeIndex]!.customCode === 'LceBconv2d')!;
  op.customOptions = Uint8Array.from(op.customOptions!, (b, i) => (i === 0 ? b ^ 1 : b));
  assert.match(diffModels(opts, m).structural.join(), /custom options differ/);
  const shape = structuredClone(m);
  const out = shape.subgraphs[0]!.outputs[0]!;
  shape.subgraphs[0]!.tensors[out]!.shape = [...shape.subgraphs[0]!.tensors[out]!.shape, 1];
  assert.match(diffModels(shape, m).structural.join(), /shape/);
});
