import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Builder, ByteBuffer } from 'flatbuffers';
import { ModelFormatError, ModelValidationError } from '../errors.js';
import { Model as FbModel } from './generated/tflite/model.js';
import { SubGraph as FbSubGraph } from './generated/tflite/sub-graph.js';
import { Tensor as FbTensor } from './generated/tflite/tensor.js';
import { readModel } from './read.js';
import { writeModel } from './write.js';

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'data');
const sample = (name: string) => new Uint8Array(readFileSync(join(dataDir, name)));

function isLceModelError(e: unknown): boolean {
  return e instanceof ModelFormatError || e instanceof ModelValidationError;
}

/** readModel either succeeds (and the result writes and reads back equal) or throws one of our model errors. */
function readOrModelError(bytes: Uint8Array, what: string): 'ok' | 'error' {
  let model;
  try {
    model = readModel(bytes);
  } catch (e) {
    if (!isLceModelError(e)) assert.fail(`${what}: escaped ${String(e)}\n${e instanceof Error ? e.stack : ''}`);
    return 'error';
  }
  assert.deepEqual(readModel(writeModel(model)), model, `${what}: decoded model does not round-trip`);
  return 'ok';
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('truncation at every length is rejected with a ModelFormatError', () => {
  const bytes = sample('lce_net.tflite');
  // The tail is the 16-aligned metadata/weight data; cutting anywhere before the end breaks some offset.
  for (let n = 0; n < bytes.byteLength; n++) {
    assert.throws(() => readModel(bytes.subarray(0, n)), (e: unknown) => e instanceof ModelFormatError, `length ${n}`);
  }
});

test('random bytes are rejected, with or without a TFL3 identifier', () => {
  const rand = rng(7);
  for (let i = 0; i < 300; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256));
    if (i % 2 === 0 && bytes.byteLength >= 8) bytes.set([0x54, 0x46, 0x4c, 0x33], 4);
    // Small root offsets make random data reach the table checks instead of failing on the first read.
    if (i % 3 === 0 && bytes.byteLength >= 8) new DataView(bytes.buffer).setUint32(0, 8 + Math.floor(rand() * 64), true);
    readOrModelError(bytes, `random buffer ${i}`);
  }
});

test('every 32-bit word set to 0x7fffffff, 0xffffffff or 0 gives a model error or a sound model', () => {
  for (const name of ['float_conv.tflite', 'signatures_metadata.tflite']) {
    const original = sample(name);
    // Offsets, lengths and vtables sit before the constant data, which float_conv keeps in its tail.
    const end = Math.min(original.byteLength, 1600);
    for (const value of [0x7fffffff, 0xffffffff, 0, 0x80000000]) {
      for (let at = 0; at + 4 <= end; at += 4) {
        const bytes = original.slice();
        new DataView(bytes.buffer).setUint32(at, value, true);
        readOrModelError(bytes, `${name} word ${at} = ${value.toString(16)}`);
      }
    }
  }
});

test('500 seeded mutations (flips, offsets, splices) only raise model errors', () => {
  const models = ['float_conv.tflite', 'lce_net.tflite', 'int8_per_channel.tflite', 'signatures_metadata.tflite'].map(sample);
  const rand = rng(12345);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 500; i++) {
    const original = models[i % models.length]!;
    let bytes = original.slice();
    const view = () => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pick = (n: number) => Math.floor(rand() * n);
    const kind = i % 5;
    if (kind === 0) {
      for (let k = 1 + pick(8); k > 0; k--) bytes[pick(bytes.byteLength)] ^= 1 << pick(8);
    } else if (kind === 1) {
      // Offsets and lengths live in the flatbuffer head; nudge one 32-bit word there by a small amount.
      const at = pick(Math.min(bytes.byteLength, 1024) >> 2) << 2;
      view().setInt32(at, view().getInt32(at, true) + (pick(64) - 32), true);
    } else if (kind === 2) {
      const at = pick(bytes.byteLength >> 2) << 2;
      view().setUint32(at, Math.floor(rand() * 4294967296), true);
    } else if (kind === 3) {
      // Copy a random span over another: plausible-looking but misplaced structure.
      const len = 1 + pick(64);
      const from = pick(Math.max(1, bytes.byteLength - len));
      const to = pick(Math.max(1, bytes.byteLength - len));
      bytes.copyWithin(to, from, from + len);
    } else {
      bytes = bytes.slice(0, pick(bytes.byteLength));
      for (let k = 0; k < 4 && bytes.byteLength > 0; k++) bytes[pick(bytes.byteLength)] = pick(256);
    }
    outcomes[readOrModelError(bytes, `mutation ${i} (kind ${kind})`)]++;
  }
  assert.ok(outcomes.error > 100, `most mutations should be caught, got ${JSON.stringify(outcomes)}`);
});

/** Byte position of the length word of subgraph 0 tensor `t`'s shape vector. */
function shapeLengthPosition(bytes: Uint8Array, t: number): number {
  const tensor = FbModel.getRootAsModel(new ByteBuffer(bytes)).subgraphs(0)!.tensors(t)!;
  const field = tensor.bb_pos + tensor.bb!.__offset(tensor.bb_pos, 4);
  return tensor.bb!.__vector(field) - 4;
}

test('a vector length of 0x7fffffff is caught by the bounds check, naming the vector', () => {
  const bytes = sample('float_conv.tflite');
  new DataView(bytes.buffer).setUint32(shapeLengthPosition(bytes, 12), 0x7fffffff, true);
  assert.throws(() => readModel(bytes, 'm'), (e: unknown) =>
    e instanceof ModelFormatError && e.message === 'm: subgraph 0 tensor 12: shape vector out of bounds (2147483647 elements)');
});

test('self-referencing offsets and vtables are rejected', () => {
  const original = sample('float_conv.tflite');
  const rootTable = new DataView(original.buffer).getUint32(0, true);
  // A vtable offset of 0 makes the table its own vtable.
  let bytes = original.slice();
  new DataView(bytes.buffer).setInt32(rootTable, 0, true);
  assert.throws(() => readModel(bytes), (e: unknown) => e instanceof ModelFormatError && /vtable/.test(e.message));
  // A uoffset of 0 points at itself.
  bytes = original.slice();
  const model = FbModel.getRootAsModel(new ByteBuffer(bytes));
  const subgraphsField = model.bb_pos + model.bb!.__offset(model.bb_pos, 8);
  new DataView(bytes.buffer).setUint32(subgraphsField, 0, true);
  assert.throws(() => readModel(bytes), (e: unknown) => e instanceof ModelFormatError && /subgraphs vector has an invalid offset 0/.test(e.message));
  // A root offset pointing past the end.
  bytes = original.slice();
  new DataView(bytes.buffer).setUint32(0, bytes.byteLength, true);
  assert.throws(() => readModel(bytes), (e: unknown) => e instanceof ModelFormatError && /root table offset/.test(e.message));
});

test('shared offsets that would multiply the decoded size are refused (work bounded by file size)', () => {
  // 4000 subgraph entries all pointing at one subgraph whose 4000 tensor entries all point at one tensor:
  // 16 million tensors from a ~32 KB file if offsets were followed blindly.
  const b = new Builder(1024);
  const name = b.createString('t');
  const shape = FbTensor.createShapeVector(b, [1]);
  FbTensor.startTensor(b);
  FbTensor.addShape(b, shape);
  FbTensor.addName(b, name);
  const tensor = FbTensor.endTensor(b);
  const tensors = FbSubGraph.createTensorsVector(b, new Array<number>(4000).fill(tensor));
  const subgraph = FbSubGraph.createSubGraph(b, tensors, 0, 0, 0, 0, -1);
  const subgraphs = FbModel.createSubgraphsVector(b, new Array<number>(4000).fill(subgraph));
  FbModel.startModel(b);
  FbModel.addVersion(b, 3);
  FbModel.addSubgraphs(b, subgraphs);
  b.finish(FbModel.endModel(b), 'TFL3');
  const bytes = b.asUint8Array();
  assert.ok(bytes.byteLength < 40000);
  assert.throws(() => readModel(bytes), (e: unknown) => e instanceof ModelFormatError && /too many objects/.test(e.message));
});

test('external buffer data outside the file is a ModelFormatError', () => {
  const model = readModel(sample('float_conv.tflite'));
  const external = writeModel(model, { externalBuffers: true });
  assert.deepEqual(readModel(external), model);
  assert.throws(() => readModel(external.subarray(0, external.byteLength - 16)), (e: unknown) =>
    e instanceof ModelFormatError && /buffer \d+: data at offset \d+ \(\d+ bytes\) lies outside the file/.test(e.message));
});
