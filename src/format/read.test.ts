import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ModelFormatError, ModelValidationError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { ByteBuffer } from 'flatbuffers';
import { decodeFlexMap } from './flexbuffer.js';
import { Model as FbModel } from './generated/tflite/model.js';
import { builtinCodeOf, isBuiltinOpName, opTypeName, readModel } from './read.js';
import { writeModel } from './write.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, 'test', 'data');
const fixturesDir = join(root, 'test', 'fixtures');

function tflites(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tflites(p));
    else if (name.endsWith('.tflite')) out.push(p);
  }
  return out;
}

/** A copy whose ArrayBuffer starts at the file's first byte, so alignment inside the file is observable. */
function load(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

function opNames(model: Model, subgraph = 0): string[] {
  return model.subgraphs[subgraph]!.operators.map((op) => opTypeName(model.operatorCodes[op.opcodeIndex]!));
}

const HAND_BUILT = ['float_conv.tflite', 'lce_net.tflite', 'int8_per_channel.tflite', 'signatures_metadata.tflite'];

test('hand-built models are committed under test/data', () => {
  for (const name of HAND_BUILT) assert.ok(existsSync(join(dataDir, name)), `${name} missing: run npx tsx scripts/make-test-data.ts`);
});

for (const path of [...tflites(dataDir), ...tflites(fixturesDir)]) {
  test(`round trip read → write → read: ${relative(root, path)}`, () => {
    const bytes = load(path);
    const model = readModel(bytes, path);
    const written = writeModel(model);
    assert.equal(new TextDecoder().decode(written.subarray(4, 8)), 'TFL3');
    assert.deepEqual(readModel(written), model);
    // Written files put every non-empty constant buffer on a 16-byte boundary.
    for (const buffer of readModel(written).buffers) {
      if (buffer.data.byteLength > 0) assert.equal(buffer.data.byteOffset % 16, 0);
    }
    // Buffers stored after the flatbuffer (offset/size, the > 2 GB layout) read back identically.
    const external = writeModel(model, { externalBuffers: true });
    assert.deepEqual(readModel(external), model);
  });
}

test('float conv net decodes with every options field, defaults filled', () => {
  const m = readModel(load(join(dataDir, 'float_conv.tflite')));
  assert.deepEqual(opNames(m), ['CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']);
  const [conv, dw, pool, reshape, fc] = m.subgraphs[0]!.operators;
  assert.deepEqual(conv!.builtinOptions, {
    padding: 0, strideW: 1, strideH: 1, fusedActivationFunction: 1, dilationWFactor: 1, dilationHFactor: 1, quantizedBiasType: 0,
  });
  assert.equal(dw!.builtinOptions!['depthMultiplier'], 1);
  assert.equal(dw!.builtinOptions!['strideW'], 2);
  assert.equal(m.operatorCodes[dw!.opcodeIndex]!.version, 2);
  assert.deepEqual(pool!.builtinOptions, {
    padding: 1, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 0,
  });
  assert.deepEqual(reshape!.builtinOptions, { newShape: [1, 32] });
  assert.deepEqual(fc!.inputs, [9, 10, -1]);
  assert.equal(fc!.builtinOptions!['keepNumDims'], false);
  const input = m.subgraphs[0]!.tensors[0]!;
  assert.deepEqual(input.shapeSignature, [-1, 8, 8, 3]);
  assert.equal(input.buffer, 0);
  assert.equal(m.buffers[0]!.data.byteLength, 0);
  assert.equal(m.description, 'lce-js test: float conv net');
  assert.deepEqual(m.signatureDefs[0], {
    signatureKey: 'serving_default', subgraphIndex: 0,
    inputs: [{ name: 'input', tensorIndex: 0 }], outputs: [{ name: 'probs', tensorIndex: 12 }],
  });
  const filter = m.subgraphs[0]!.tensors[1]!;
  assert.equal(m.buffers[filter.buffer]!.data.byteLength, 8 * 27 * 4);
});

test('LCE net: custom op codes and flexbuffer options as LCE writes them', () => {
  const m = readModel(load(join(dataDir, 'lce_net.tflite')));
  assert.deepEqual(opNames(m), ['LceQuantize', 'LceBMaxPool2d', 'LceBconv2d', 'LceQuantize', 'LceBconv2d', 'LceDequantize']);
  for (const code of m.operatorCodes) {
    assert.deepEqual({ ...code, customCode: undefined }, { builtinCode: 32, deprecatedBuiltinCode: 32, version: 1, customCode: undefined });
  }
  assert.equal(m.operatorCodes.length, 4, 'operator codes are deduplicated');
  const ops = m.subgraphs[0]!.operators;
  assert.deepEqual(ops[0]!.customOptions, new Uint8Array(0));
  assert.equal(ops[0]!.builtinOptionsType, 0);
  assert.equal(ops[0]!.customOptionsFormat, 0);
  assert.deepEqual(decodeFlexMap(ops[2]!.customOptions!, 'bconv'), {
    channels_in: 64, dilation_height_factor: 1, dilation_width_factor: 1, fused_activation_function: 1,
    pad_values: 1, padding: 0, stride_height: 1, stride_width: 1,
  });
  assert.deepEqual(ops[4]!.inputs, [7, 8, -1, -1, 9]);
  assert.deepEqual(m.metadata, [{ name: 'min_runtime_version', buffer: m.buffers.length - 1 }]);
});

test('int8 model keeps per-channel quantization', () => {
  const m = readModel(load(join(dataDir, 'int8_per_channel.tflite')));
  const t = m.subgraphs[0]!.tensors;
  assert.deepEqual(t[1]!.quantization, {
    scale: [0.02].map(Math.fround), zeroPoint: [-3], quantizedDimension: 0, min: [Math.fround(-2.5)], max: [Math.fround(2.6)],
  });
  assert.deepEqual(t[2]!.quantization!.scale, [1, 2, 3, 4, 5, 6].map((i) => Math.fround(0.001 * i)));
  assert.deepEqual(t[2]!.quantization!.zeroPoint, [0, 0, 0, 0, 0, 0]);
  assert.equal(t[2]!.dtype, 'int8');
  assert.equal(t[0]!.quantization, undefined);
  assert.deepEqual(opNames(m), ['QUANTIZE', 'CONV_2D', 'DEQUANTIZE']);
});

test('signatures, metadata, subgraphs and rarely used fields survive', () => {
  const m = readModel(load(join(dataDir, 'signatures_metadata.tflite')));
  assert.equal(m.subgraphs.length, 2);
  assert.equal(m.subgraphs[1]!.name, 'body');
  assert.deepEqual(m.signatureDefs.map((s) => [s.signatureKey, s.subgraphIndex]), [['serving_default', 0], ['body_fn', 1]]);
  assert.deepEqual(m.metadata.map((x) => x.name), ['min_runtime_version', 'CONVERSION_METADATA']);
  assert.deepEqual([...m.buffers[m.metadata[1]!.buffer]!.data], [1, 2, 3, 4, 5]);
  const main = m.subgraphs[0]!;
  assert.equal(main.tensors[5]!.isVariable, true);
  assert.equal(main.tensors[0]!.hasRank, false);
  assert.deepEqual(main.tensors[0]!.shape, []);
  assert.deepEqual(main.operators[0]!.intermediates, [5]);
  assert.deepEqual(main.operators[0]!.builtinOptions, { condSubgraphIndex: 1, bodySubgraphIndex: 1 });
  assert.deepEqual(main.tensors[1]!.quantization, { scale: [], zeroPoint: [], quantizedDimension: 0, min: [-1], max: [1] });
  const pad = main.operators[1]!;
  assert.equal(opTypeName(m.operatorCodes[pad.opcodeIndex]!), 'STABLEHLO_PAD');
  assert.equal(pad.builtinOptionsType, 0);
  assert.ok(pad.builtinOptions2Type! > 0);
  assert.deepEqual(pad.builtinOptions2, { edgePaddingLow: [0, 1], edgePaddingHigh: [0, 1], interiorPadding: [0, 0] });
});

test('a real LCE converter output reads as expected', (t) => {
  const files = tflites(fixturesDir);
  if (files.length === 0) {
    t.skip('no fixtures under test/fixtures yet');
    return;
  }
  const m = readModel(load(files[0]!));
  assert.equal(m.version, 3);
  assert.ok(m.operatorCodes.some((c) => c.customCode === 'LceBconv2d' && c.builtinCode === 32 && c.version === 1));
  assert.ok(m.signatureDefs.length >= 1);
});

test('a Node Buffer (pooled, any byteOffset) reads like a Uint8Array copy', () => {
  const model = readModel(load(join(dataDir, 'float_conv.tflite')));
  for (const externalBuffers of [false, true]) {
    const bytes = writeModel(model, { externalBuffers });
    const pooled = Buffer.alloc(bytes.byteLength + 3);
    pooled.set(bytes, 3);
    assert.deepEqual(readModel(pooled.subarray(3)), model);
  }
});

test('the file identifier may be missing if the root table verifies', () => {
  const bytes = load(join(dataDir, 'float_conv.tflite'));
  const expected = readModel(bytes);
  bytes.fill(0, 4, 8);
  assert.deepEqual(readModel(bytes), expected);
});

test('a wrong identifier on a non-model is a ModelFormatError naming both problems', () => {
  const bytes = new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not a model');
  assert.throws(() => readModel(bytes, 'thing.zip'), (e: unknown) =>
    e instanceof ModelFormatError && /thing\.zip/.test(e.message) && /identifier/.test(e.message));
});

test('flatc (if installed) decodes what writeModel produces', (t) => {
  let version: string;
  try {
    version = execFileSync('flatc', ['--version'], { encoding: 'utf8' });
  } catch {
    t.skip('flatc not installed');
    return;
  }
  assert.match(version, /flatc/);
  const dir = mkdtempSync(join(tmpdir(), 'lce-flatc-'));
  try {
    const schema = readFileSync(join(root, 'src/format/schema.fbs'), 'utf8')
      .split('\n').map((l) => l.replace(/^(\s*[A-Za-z_]\w*(?:\s*=\s*-?\w+)?)\s*\([^)]*\)\s*,/, '$1,')).join('\n');
    writeFileSync(join(dir, 's.fbs'), schema);
    const model = readModel(load(join(dataDir, 'lce_net.tflite')));
    writeFileSync(join(dir, 'm.tflite'), writeModel(model));
    execFileSync('flatc', ['--json', '--strict-json', '--raw-binary', '-o', dir, join(dir, 's.fbs'), '--', join(dir, 'm.tflite')]);
    const json = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')) as {
      operator_codes: { custom_code?: string }[]; subgraphs: { tensors: unknown[] }[];
    };
    assert.deepEqual(json.operator_codes.map((c) => c.custom_code), ['LceQuantize', 'LceBMaxPool2d', 'LceBconv2d', 'LceDequantize']);
    assert.equal(json.subgraphs[0]!.tensors.length, model.subgraphs[0]!.tensors.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opTypeName uses max(builtin_code, deprecated_builtin_code) and custom codes', () => {
  assert.equal(opTypeName({ builtinCode: 3, deprecatedBuiltinCode: 3, version: 1 }), 'CONV_2D');
  assert.equal(opTypeName({ builtinCode: 0, deprecatedBuiltinCode: 3, version: 1 }), 'CONV_2D'); // pre-2.4 files
  assert.equal(opTypeName({ builtinCode: 150, deprecatedBuiltinCode: 127, version: 1 }), 'GELU');
  assert.equal(opTypeName({ builtinCode: 32, deprecatedBuiltinCode: 32, customCode: 'LceBconv2d', version: 1 }), 'LceBconv2d');
  assert.equal(opTypeName({ builtinCode: 9999, deprecatedBuiltinCode: 127, version: 1 }), 'BUILTIN_9999');
  assert.equal(builtinCodeOf('CONV_2D'), 3);
  assert.equal(builtinCodeOf('STABLEHLO_CASE'), 209);
  assert.equal(builtinCodeOf('LceQuantize'), 32);
  assert.equal(isBuiltinOpName('RESHAPE'), true);
  assert.equal(isBuiltinOpName('LceQuantize'), false);
});

function mutated(edit: (m: Model) => void): Uint8Array {
  const m = readModel(load(join(dataDir, 'float_conv.tflite')));
  edit(m);
  return writeModel(m);
}

test('semantic problems are ModelValidationErrors naming the place', () => {
  const cases: [string, (m: Model) => void, RegExp][] = [
    ['opcode index', (m) => { m.subgraphs[0]!.operators[2]!.opcodeIndex = 99; }, /subgraph 0 operator 2: opcode index 99 out of range/],
    ['op input', (m) => { m.subgraphs[0]!.operators[0]!.inputs[1] = 500; }, /operator 0 input 1: tensor index 500 out of range/],
    ['op output -1', (m) => { m.subgraphs[0]!.operators[0]!.outputs[0] = -1; }, /operator 0 output 0: tensor index -1/],
    ['subgraph input', (m) => { m.subgraphs[0]!.inputs = [-1]; }, /subgraph 0 input 0: tensor index -1/],
    ['buffer index', (m) => { m.subgraphs[0]!.tensors[3]!.buffer = 77; }, /tensor 3 \(conv\): buffer index 77 out of range/],
    ['buffer size', (m) => { m.subgraphs[0]!.tensors[1]!.shape = [8, 3, 3, 2]; }, /tensor 1 \(conv\/filter\): buffer \d+ holds 864 bytes but shape \[8, 3, 3, 2\] of float32 needs 576/],
    ['negative dim', (m) => { m.subgraphs[0]!.tensors[3]!.shape = [1, -8, 8, 8]; }, /negative dimension/],
    ['metadata buffer', (m) => { m.metadata.push({ name: 'x', buffer: 1000 }); }, /metadata 0 \(x\): buffer index 1000/],
    ['signature subgraph', (m) => { m.signatureDefs[0]!.subgraphIndex = 4; }, /signature 0 \(serving_default\): subgraph index 4/],
    ['signature tensor', (m) => { m.signatureDefs[0]!.outputs[0]!.tensorIndex = 400; }, /output 0 \(probs\): tensor index 400/],
  ];
  for (const [what, edit, pattern] of cases) {
    assert.throws(() => readModel(mutated(edit), 'm.tflite'), (e: unknown) => {
      assert.ok(e instanceof ModelValidationError, `${what}: ${String(e)}`);
      assert.match(e.message, pattern, what);
      assert.match(e.message, /^m\.tflite: /);
      return true;
    });
  }
});

test('unsupported tensor types are refused at read time', () => {
  const bytes = load(join(dataDir, 'float_conv.tflite'));
  const tensor = FbModel.getRootAsModel(new ByteBuffer(bytes)).subgraphs(0)!.tensors(8)!;
  assert.equal(tensor.name(), 'reshape/shape');
  const typeAt = tensor.bb_pos + tensor.bb!.__offset(tensor.bb_pos, 6);
  assert.equal(bytes[typeAt], 2); // INT32
  bytes[typeAt] = 19; // INT2: in the schema, not supported by lce-js
  assert.throws(() => readModel(bytes), (e: unknown) =>
    e instanceof ModelValidationError && /subgraph 0 tensor 8: unsupported tensor type INT2/.test(e.message));
});
