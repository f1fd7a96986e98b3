// The interpreter and session against a tiny hand-made model and test-only kernels, so these tests pin the
// runtime's own behaviour (op order, arena reuse, input checks, queueing) independently of the real op kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Model, OperatorDef, TensorDef } from '../graph/model.js';
import { defineOp, type AnyOpKernel } from '../ops/kernel.js';
import { InputError, LimitError, ModelValidationError, UnsupportedOpError } from '../errors.js';
import { InferenceSession } from './session.js';
import { Tensor } from './tensor.js';

const ADD_CODE = 0; // BuiltinOperator.ADD
const MUL_CODE = 18; // BuiltinOperator.MUL

/** out = a + b (same shape), test-only. */
const addKernel = defineOp({
  type: 'ADD',
  parse: () => ({}),
  prepare: (ctx) => { ctx.outputs[0]!.shape = [...ctx.inputs[0]!.shape]; return {}; },
  eval: (_s, inputs, outputs) => {
    const a = inputs[0]!.data as Float32Array, b = inputs[1]!.data as Float32Array, o = outputs[0]!.data as Float32Array;
    for (let i = 0; i < o.length; i++) o[i] = a[i]! + b[i]!;
  },
});
/** out = a * b, test-only. */
const mulKernel = defineOp({
  type: 'MUL',
  parse: () => ({}),
  prepare: (ctx) => { ctx.outputs[0]!.shape = [...ctx.inputs[0]!.shape]; return {}; },
  eval: (_s, inputs, outputs) => {
    const a = inputs[0]!.data as Float32Array, b = inputs[1]!.data as Float32Array, o = outputs[0]!.data as Float32Array;
    for (let i = 0; i < o.length; i++) o[i] = a[i]! * b[i]!;
  },
});
const registry = new Map<string, AnyOpKernel>([['ADD', addKernel], ['MUL', mulKernel]]);

function tensor(name: string, shape: number[], buffer = 0): TensorDef {
  return { name, dtype: 'float32', shape, buffer, isVariable: false };
}
function op(opcodeIndex: number, inputs: number[], outputs: number[]): OperatorDef {
  return { opcodeIndex, inputs, outputs, builtinOptionsType: 0, builtinOptions: null };
}

/** x → (x + c) → (· x) → (+ c) → … a chain of `depth` ops over [1, n] tensors. */
function chainModel(depth: number, n = 1000): Model {
  const c = new Float32Array(n).fill(1);
  const tensors = [tensor('x', [1, n]), tensor('c', [1, n], 1)];
  const ops: OperatorDef[] = [];
  let prev = 0;
  for (let i = 0; i < depth; i++) {
    tensors.push(tensor(`t${i}`, [1, n]));
    const out = tensors.length - 1;
    ops.push(i % 2 === 0 ? op(0, [prev, 1], [out]) : op(1, [prev, 0], [out]));
    prev = out;
  }
  return {
    version: 3, description: 'chain', metadata: [], signatureDefs: [],
    operatorCodes: [
      { builtinCode: ADD_CODE, deprecatedBuiltinCode: ADD_CODE, version: 1 },
      { builtinCode: MUL_CODE, deprecatedBuiltinCode: MUL_CODE, version: 1 },
    ],
    buffers: [{ data: new Uint8Array(0) }, { data: new Uint8Array(c.buffer) }],
    subgraphs: [{ name: 'main', tensors, inputs: [0], outputs: [prev], operators: ops }],
  };
}

test('runs a chain of ops in order and reuses the arena', async () => {
  const session = InferenceSession.fromModel(chainModel(6), { registry });
  assert.deepEqual(session.inputNames, ['x']);
  assert.deepEqual(session.outputNames, ['t5']);
  // x must stay alive for every MUL, plus two chain buffers: 3 × 4000 B, not 7.
  assert.equal(session.arenaBytes, 3 * 4032);
  const x = Float32Array.from({ length: 1000 }, (_, i) => i / 1000);
  const { t5 } = await session.run({ x: new Tensor('float32', x, [1, 1000]) });
  let expect = 0;
  for (let i = 0; i < 1000; i++) {
    let v = x[i]!;
    for (let k = 0; k < 6; k++) v = k % 2 === 0 ? Math.fround(v + 1) : Math.fround(v * x[i]!);
    if (i === 999) expect = v;
    assert.equal(t5!.data[i], v);
  }
  assert.equal(t5!.data[999], expect);
});

test('concurrent runs are queued and each gets its own answer', async () => {
  const session = InferenceSession.fromModel(chainModel(4, 16), { registry });
  const feeds = Array.from({ length: 8 }, (_, k) => new Tensor('float32', new Float32Array(16).fill(k), [1, 16]));
  const results = await Promise.all(feeds.map((f) => session.run({ x: f })));
  const sequential: Record<string, Tensor>[] = [];
  for (const f of feeds) sequential.push(await session.run({ x: f }));
  results.forEach((r, k) => assert.deepEqual(r.t3!.data, sequential[k]!.t3!.data));
  await session.release();
  await assert.rejects(session.run({ x: feeds[0]! }), /released/);
});

test('bad feeds are typed errors naming the tensor', async () => {
  const session = InferenceSession.fromModel(chainModel(2, 4), { registry });
  const good = new Tensor('float32', new Float32Array(4), [1, 4]);
  await assert.rejects(session.run({}), (e) => e instanceof InputError && /missing input 'x'/.test(e.message));
  await assert.rejects(session.run({ x: good, y: good }), (e) => e instanceof InputError && /unknown input 'y'/.test(e.message));
  await assert.rejects(session.run({ x: new Tensor('float32', new Float32Array(4), [4, 1]) }), (e) => e instanceof InputError && /dims \[1, 4\]/.test(e.message));
  await assert.rejects(session.run({ x: new Tensor('int32', new Int32Array(4), [1, 4]) }), (e) => e instanceof InputError && /must be float32/.test(e.message));
  assert.throws(() => new Tensor('float32', new Float32Array(3), [1, 4]), InputError);
});

test('an unsupported op fails at load time, naming op, index and model', () => {
  const model = chainModel(3);
  model.operatorCodes.push({ builtinCode: 32, deprecatedBuiltinCode: 32, customCode: 'MyFancyOp', version: 1 });
  model.subgraphs[0]!.operators[1]!.opcodeIndex = 2;
  assert.throws(() => InferenceSession.fromModel(model, { registry, modelName: 'fancy.tflite' }),
    (e) => e instanceof UnsupportedOpError && /MyFancyOp at operator index 1 in model fancy\.tflite/.test(e.message));
});

test('inconsistent graphs and oversized arenas are refused', () => {
  const outOfRange = chainModel(2);
  outOfRange.subgraphs[0]!.operators[0]!.inputs = [0, 99];
  assert.throws(() => InferenceSession.fromModel(outOfRange, { registry }), ModelValidationError);
  const unordered = chainModel(2);
  unordered.subgraphs[0]!.operators.reverse();
  assert.throws(() => InferenceSession.fromModel(unordered, { registry }), /before it is written/);
  const shortBuffer = chainModel(2);
  shortBuffer.buffers[1] = { data: new Uint8Array(8) };
  assert.throws(() => InferenceSession.fromModel(shortBuffer, { registry }), /needs 4000 bytes, its buffer has 8/);
  assert.throws(() => InferenceSession.fromModel(chainModel(2), { registry, maxArenaBytes: 1000 }), LimitError);
});
