/**
 * Error-class coverage (issue 7): every LceError subclass, and every error code, is triggered here through the
 * public entry points, and each message names what it is about (the file, the tensor, the op or the layer).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as errors from '../src/errors.js';
import {
  ConverterError, InputError, LceError, LimitError, ModelFormatError, ModelValidationError, OpPrepareError, UnsupportedOpError,
  type LceErrorCode,
} from '../src/errors.js';
import { convertKeras } from '../src/converter/convert.js';
import { readModel } from '../src/format/read.js';
import { writeModel } from '../src/format/write.js';
import type { Model } from '../src/graph/model.js';
import { InferenceSession, Tensor } from '../src/node.js';

const DATA = join(import.meta.dirname, 'data');
const floatConv = new Uint8Array(readFileSync(join(DATA, 'float_conv.tflite')));
const tmp = mkdtempSync(join(tmpdir(), 'lce-hardening-'));

/** float_conv.tflite decoded, edited and written to a temp file, so errors must name that file. */
function edited(file: string, edit: (m: Model) => void): string {
  const model = readModel(floatConv, 'float_conv.tflite');
  edit(model);
  const path = join(tmp, file);
  writeFileSync(path, writeModel(model));
  return path;
}

function writeBytes(file: string, bytes: Uint8Array): string {
  const path = join(tmp, file);
  writeFileSync(path, bytes);
  return path;
}

async function rejectsWith<E extends LceError>(
  p: Promise<unknown>, cls: abstract new (...args: never[]) => E, code: LceErrorCode, mentions: readonly string[],
): Promise<E> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.equal((caught as E).code, code);
  assert.equal((caught as E).name, cls.name);
  for (const m of mentions) assert.ok((caught as E).message.includes(m), `message should mention ${JSON.stringify(m)}: ${(caught as E).message}`);
  return caught as E;
}

const covered = new Set<string>();
const codes = new Set<LceErrorCode>();
function note(e: LceError): void {
  covered.add(e.constructor.name);
  codes.add(e.code);
}

const input = (dims: number[] = [1, 8, 8, 3]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

test('ModelFormatError: truncated, wrong identifier, bad offsets — the message names the file', async () => {
  note(await rejectsWith(InferenceSession.create(writeBytes('short.tflite', floatConv.slice(0, 5))), ModelFormatError, 'MODEL_FORMAT', ['short.tflite', 'too short']));
  const cut = writeBytes('cut.tflite', floatConv.slice(0, Math.floor(floatConv.length / 2)));
  note(await rejectsWith(InferenceSession.create(cut), ModelFormatError, 'MODEL_FORMAT', ['cut.tflite', 'out of bounds']));
  const junk = new Uint8Array(64).fill(0x41);
  note(await rejectsWith(InferenceSession.create(writeBytes('junk.bin', junk)), ModelFormatError, 'MODEL_FORMAT', ['junk.bin', 'not a TFLite model']));
  // Bytes given directly are named by modelName.
  note(await rejectsWith(InferenceSession.create(floatConv.slice(0, 100), { modelName: 'upload.tflite' }), ModelFormatError, 'MODEL_FORMAT', ['upload.tflite']));
});

test('ModelValidationError: indices, buffer sizes, dtypes — the message names the file and the tensor', async () => {
  const badBuffer = edited('bad-buffer.tflite', (m) => { m.subgraphs[0]!.tensors[1]!.buffer = 99; });
  note(await rejectsWith(InferenceSession.create(badBuffer), ModelValidationError, 'MODEL_INVALID', ['bad-buffer.tflite', 'conv/filter', 'buffer index 99']));
  const badSize = edited('bad-size.tflite', (m) => { m.subgraphs[0]!.tensors[2]!.shape = [9]; });
  note(await rejectsWith(InferenceSession.create(badSize), ModelValidationError, 'MODEL_INVALID', ['bad-size.tflite', 'conv/bias', 'holds 32 bytes']));
  const badInput = edited('bad-op-input.tflite', (m) => { m.subgraphs[0]!.operators[1]!.inputs[0] = 40; });
  note(await rejectsWith(InferenceSession.create(badInput), ModelValidationError, 'MODEL_INVALID', ['bad-op-input.tflite', 'operator 1 input 0', 'tensor index 40']));
  const order = edited('order.tflite', (m) => { m.subgraphs[0]!.operators.reverse(); });
  note(await rejectsWith(InferenceSession.create(order), ModelValidationError, 'MODEL_INVALID', ['order.tflite', 'before it is written']));
  const dynamic = edited('dynamic.tflite', (m) => { m.subgraphs[0]!.tensors[0]!.shape = [1, 8, 8, -1]; });
  note(await rejectsWith(InferenceSession.create(dynamic), ModelValidationError, 'MODEL_INVALID', ['dynamic.tflite', 'input']));
});

test('UnsupportedOpError: names the op, its index and the file', async () => {
  // ATAN2 (156) has no kernel in lce-js; codes above 127 keep 127 in the deprecated field, as TFLite writes them.
  const path = edited('atan2.tflite', (m) => {
    const code = m.operatorCodes[m.subgraphs[0]!.operators[5]!.opcodeIndex]!;
    code.builtinCode = 156;
    code.deprecatedBuiltinCode = 127;
  });
  const e = await rejectsWith(InferenceSession.create(path), UnsupportedOpError, 'UNSUPPORTED_OP', ['ATAN2', 'operator index 5', 'atan2.tflite']);
  assert.equal(e.opType, 'ATAN2');
  assert.equal(e.opIndex, 5);
  note(e);
});

test('OpPrepareError: names the op, the tensor and the file', async () => {
  const path = edited('bad-bias.tflite', (m) => { m.subgraphs[0]!.tensors[2]!.dtype = 'int32'; });
  note(await rejectsWith(InferenceSession.create(path), OpPrepareError, 'OP_PREPARE', ['CONV_2D (op 0)', "bias 'conv/bias'", 'bad-bias.tflite']));
  const stride = edited('bad-stride.tflite', (m) => {
    const op = m.subgraphs[0]!.operators[0]!;
    op.builtinOptions = { ...op.builtinOptions!, strideW: 0 };
  });
  note(await rejectsWith(InferenceSession.create(stride), OpPrepareError, 'OP_PREPARE', ['CONV_2D (op 0)', 'strideW', 'bad-stride.tflite']));
});

test('LimitError: the arena cap is configurable and the message names the file and both sizes', async () => {
  const path = writeBytes('capped.tflite', floatConv);
  const ok = await InferenceSession.create(path);
  const need = ok.arenaBytes;
  await ok.release();
  note(await rejectsWith(InferenceSession.create(path, { maxArenaBytes: need - 1 }), LimitError, 'LIMIT', ['capped.tflite', `${need} bytes`, `cap ${need - 1}`]));
  // A shape that would need gigabytes is refused before anything is allocated.
  const huge = edited('huge.tflite', (m) => { m.subgraphs[0]!.tensors[0]!.shape = [1, 8192, 8192, 3]; });
  note(await rejectsWith(InferenceSession.create(huge), LimitError, 'LIMIT', ['huge.tflite']));
});

test('InputError: unknown, missing, wrong dtype, dims, data length or array type — names the tensor and what was expected', async () => {
  const s = await InferenceSession.create(floatConv, { modelName: 'float_conv.tflite' });
  note(await rejectsWith(s.run({ image: input() }), InputError, 'INPUT', ["unknown input 'image'", "'input'"]));
  note(await rejectsWith(s.run({}), InputError, 'INPUT', ["missing input 'input'", 'float32 [1, 8, 8, 3]']));
  note(await rejectsWith(s.run({ input: new Tensor('int32', new Int32Array(192), [1, 8, 8, 3]) }), InputError, 'INPUT', ["input 'input' must be float32, got int32"]));
  note(await rejectsWith(s.run({ input: input([1, 8, 8, 4]) }), InputError, 'INPUT', ["input 'input' must have dims [1, 8, 8, 3], got [1, 8, 8, 4]"]));
  note(await rejectsWith(s.run({ input: input([192]) }), InputError, 'INPUT', ["input 'input' must have dims"]));
  const forged = Object.assign(Object.create(Tensor.prototype) as Tensor, { type: 'float32', data: new Float32Array(10), dims: [1, 8, 8, 3] });
  note(await rejectsWith(s.run({ input: forged }), InputError, 'INPUT', ["input 'input' data must be a Float32Array of 192 elements"]));
  const wrongArray = Object.assign(Object.create(Tensor.prototype) as Tensor, { type: 'float32', data: new Float64Array(192), dims: [1, 8, 8, 3] });
  note(await rejectsWith(s.run({ input: wrongArray }), InputError, 'INPUT', ["input 'input' data must be a Float32Array"]));
  note(await rejectsWith(s.run({ input: { type: 'float32', data: [1], dims: [1] } as unknown as Tensor }), InputError, 'INPUT', ["input 'input' must be a Tensor"]));
  // The constructor itself refuses inconsistent tensors.
  assert.throws(() => new Tensor('float32', new Float32Array(5), [2, 2]), (e: unknown) => e instanceof InputError && e.message.includes('[2, 2]'));
  // A failed run does not poison the queue: the next good run works.
  const out = await s.run({ input: input() });
  assert.equal(out['probs']!.data.length, 10);
  await s.release();
  note(await rejectsWith(s.run({ input: input() }), LceError, 'INPUT', ['released']));
});

test('IO errors name the path', async () => {
  const missing = join(tmp, 'no-such-model.tflite');
  note(await rejectsWith(InferenceSession.create(missing), LceError, 'IO', ['no-such-model.tflite']));
});

test('ConverterError: unreadable files name the file; unsupported layers name the layer', async () => {
  note(await rejectsWith(convertKeras(new Uint8Array(300).fill(7), { sourceName: 'garbage.h5' }), ConverterError, 'CONVERTER', ['garbage.h5']));
  note(await rejectsWith(convertKeras(floatConv, { sourceName: 'not-keras.keras' }), ConverterError, 'CONVERTER', ['not-keras.keras']));
  const lambda = join(DATA, 'keras', 'lambda_layer.h5');
  const e = await rejectsWith(convertKeras(lambda), ConverterError, 'CONVERTER', ['Lambda']);
  assert.match(e.message, /lambda/i);
  note(e);
});

test('every LceError subclass and every error code was triggered above', () => {
  const classes = Object.values(errors).filter((v): v is typeof LceError => typeof v === 'function' && v.prototype instanceof LceError);
  assert.ok(classes.length >= 7);
  for (const cls of classes) assert.ok(covered.has(cls.name), `no test triggers ${cls.name}`);
  const allCodes: LceErrorCode[] = ['MODEL_FORMAT', 'MODEL_INVALID', 'UNSUPPORTED_OP', 'OP_PREPARE', 'INPUT', 'LIMIT', 'CONVERTER', 'IO'];
  for (const c of allCodes) assert.ok(codes.has(c), `no test triggers code ${c}`);
});
