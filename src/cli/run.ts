/** `lce run model.tflite [--input x.npy ... | --random] [--seed S] [--json]`: one inference, outputs summarised. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InputError, LceError } from '../errors.js';
import { parseNpy } from '../format/npy.js';
import { InferenceSession, type TensorMetadata } from '../runtime/session.js';
import { Tensor, type TensorType } from '../runtime/tensor.js';

/** Deterministic inputs: uniform floats in [-1, 1), or the full range of integer types. */
export function randomTensor(meta: TensorMetadata, seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const n = meta.dims.reduce((a, b) => a * b, 1);
  const make = (type: TensorType): Tensor => {
    switch (type) {
      case 'float32': return new Tensor('float32', Float32Array.from({ length: n }, () => next() * 2 - 1), meta.dims);
      case 'int8': return new Tensor('int8', Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128), meta.dims);
      case 'uint8': return new Tensor('uint8', Uint8Array.from({ length: n }, () => Math.floor(next() * 256)), meta.dims);
      case 'bool': return new Tensor('bool', Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0)), meta.dims);
      case 'int32': return new Tensor('int32', Int32Array.from({ length: n }, () => Math.floor(next() * 2 ** 32) | 0), meta.dims);
      default: throw new InputError(`--random cannot make ${type} input '${meta.name}'`);
    }
  };
  return make(meta.type);
}

export async function tensorFromNpy(path: string, meta: TensorMetadata): Promise<Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new LceError('IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  const npy = parseNpy(bytes);
  let dims = npy.shape;
  // A sample without the batch axis is accepted for batch-1 models.
  if (dims.length + 1 === meta.dims.length && meta.dims[0] === 1) dims = [1, ...dims];
  if (npy.dtype !== meta.type) throw new InputError(`${path}: input '${meta.name}' needs ${meta.type}, the file holds ${npy.dtype}`);
  return new Tensor(meta.type, npy.data as Float32Array, dims);
}

function argmax(data: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (Number(data[i]) > Number(data[best])) best = i;
  return best;
}

export async function runRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { input: { type: 'string', multiple: true }, random: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'boolean' }, count: { type: 'string' } },
  });
  const path = positionals[0];
  if (!path) {
    process.stderr.write('usage: lce run model.tflite [--input x.npy ... | --random] [--seed S] [--json]\n');
    return 2;
  }
  const session = await InferenceSession.create(path);
  const feeds: Record<string, Tensor> = {};
  const files = values.input ?? [];
  if (files.length > 0 && files.length !== session.inputNames.length) {
    throw new InputError(`the model has ${session.inputNames.length} input(s), ${files.length} --input file(s) were given`);
  }
  const seed = Number(values.seed ?? 1);
  for (const [i, meta] of session.inputMetadata.entries()) {
    feeds[meta.name] = files[i] ? await tensorFromNpy(files[i]!, meta) : randomTensor(meta, seed + i);
  }
  const t0 = performance.now();
  const outputs = await session.run(feeds);
  const ms = performance.now() - t0;
  const count = Number(values.count ?? 10);
  const summary = session.outputMetadata.map((meta) => {
    const t = outputs[meta.name]!;
    const data = Array.from(t.data as ArrayLike<number>, Number);
    return { name: meta.name, dtype: t.type, shape: [...t.dims], first: data.slice(0, count), argmax: argmax(data) };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ model: path, ms, outputs: summary }) + '\n');
  } else {
    for (const o of summary) {
      process.stdout.write(`${o.name}: ${o.dtype} [${o.shape.join(', ')}]\n  first ${o.first.length}: ${o.first.map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(6))).join(' ')}\n  argmax: ${o.argmax}\n`);
    }
    process.stdout.write(`time: ${ms.toFixed(2)} ms (one run, no warm-up)\n`);
  }
  await session.release();
  return 0;
}
