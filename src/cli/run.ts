/**
 * `lce run model.tflite [--input x.npy ... | --random] [--seed S] [--json]`: one inference, outputs summarised.
 * `lce run model.tflite --image photo.jpg|photo.png|folder [--labels labels.txt] [--top 5] [--mean R,G,B --std R,G,B |
 *  --scale A --offset B] [--resize fit|crop] [--json]`: image classification, top-k printed (see image.ts).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InputError, LceError } from '../errors.js';
import { imageToInput, listImages, readImage, topK, type Normalization, type ResizeMode } from './image.js';
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

/** Where the --image path writes; tests capture it. */
export interface RunIO { out: (text: string) => void; err: (text: string) => void; errTTY: boolean }
const stdio: RunIO = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  get errTTY() { return Boolean(process.stderr.isTTY); },
};

/** Options of `lce run` whose value may be a negative number. */
const NUMERIC_OPTIONS = new Set(['--seed', '--mean', '--std', '--scale', '--offset']);

/**
 * `--offset -1` as `--offset=-1`: node's parseArgs takes a value that starts with '-' for an option of its own and
 * refuses it, so a numeric option followed by a negative number (or list) is joined to it first.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, next = argv[i + 1];
    if (NUMERIC_OPTIONS.has(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

export async function runRun(argv: string[], io: RunIO = stdio): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv), allowPositionals: true,
    options: { input: { type: 'string', multiple: true }, random: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'boolean' }, count: { type: 'string' },
      image: { type: 'string' }, labels: { type: 'string' }, top: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' },
      scale: { type: 'string' }, offset: { type: 'string' }, resize: { type: 'string' } },
  });
  const path = positionals[0];
  if (!path) {
    process.stderr.write('usage: lce run model.tflite [--input x.npy ... | --random] [--seed S] [--json]\n'
      + '       lce run model.tflite --image img.jpg|img.png|folder [--labels labels.txt] [--top 5]\n'
      + '           [--mean R,G,B --std R,G,B | --scale A --offset B] [--resize crop|fit] [--json]\n');
    return 2;
  }
  if (values.image !== undefined) return runImages(path, values.image, values, io);
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

interface ImageOptions { labels?: string; top?: string; mean?: string; std?: string; scale?: string; offset?: string; resize?: string; json?: boolean }

function numbers(text: string, flag: string): number[] {
  const v = text.split(',').map((t) => Number(t.trim()));
  if (v.length === 0 || v.some((x) => !Number.isFinite(x))) throw new InputError(`--${flag} needs numbers separated by commas, got '${text}'`);
  return v;
}

/** `--image`: classify one image or every image of a folder; top-k of the first output. */
async function runImages(modelPath: string, imagePath: string, o: ImageOptions, io: RunIO): Promise<number> {
  if ((o.mean !== undefined) !== (o.std !== undefined)) throw new InputError('--mean and --std go together');
  if (o.mean !== undefined && (o.scale !== undefined || o.offset !== undefined)) throw new InputError('use --mean/--std or --scale/--offset, not both');
  const norm: Normalization = o.mean !== undefined
    ? { mean: numbers(o.mean, 'mean'), std: numbers(o.std!, 'std') }
    : { scale: numbers(o.scale ?? '1', 'scale')[0]!, offset: numbers(o.offset ?? '0', 'offset')[0]! };
  const resize = (o.resize ?? 'crop') as ResizeMode;
  if (resize !== 'crop' && resize !== 'fit') throw new InputError(`--resize is crop or fit, got '${o.resize}'`);
  const k = Number(o.top ?? 5);
  if (!Number.isInteger(k) || k < 1) throw new InputError(`--top needs a positive integer, got '${o.top}'`);
  let labels: string[] | undefined;
  if (o.labels !== undefined) {
    try {
      labels = (await readFile(o.labels, 'utf8')).split(/\r?\n/);
    } catch (e) {
      throw new LceError('IO', `cannot read ${o.labels}: ${(e as Error).message}`);
    }
  }
  const { files, folder } = await listImages(imagePath);
  const session = await InferenceSession.create(modelPath);
  const meta = session.inputMetadata[0]!;
  if (session.inputMetadata.length !== 1) throw new InputError(`--image needs a model with one input, this one has ${session.inputMetadata.length}`);
  const outMeta = session.outputMetadata[0]!;
  const tty = folder && !o.json && io.errTTY;
  const results: { file: string; ms?: number; top?: { index: number; label: string; score: number }[]; error?: string }[] = [];
  let totalMs = 0;
  try {
    for (const [i, file] of files.entries()) {
      try {
        const data = imageToInput(await readImage(file), meta, { resize, norm });
        const t0 = performance.now();
        const out = await session.run({ [meta.name]: new Tensor(meta.type, data, meta.dims) });
        const ms = performance.now() - t0;
        totalMs += ms;
        const t = out[outMeta.name]!;
        const q = outMeta.quantization;
        const scores = Array.from(t.data as ArrayLike<number>, (v) => (q && t.type !== 'float32' ? (Number(v) - q.zeroPoint) * q.scale : Number(v)));
        const top = topK(scores, k).map(({ index, score }) => ({ index, label: labels?.[index]?.trim() || String(index), score }));
        results.push({ file, ms, top });
        if (!o.json) {
          if (tty) io.err('\r\x1b[K');
          io.out(`${file}\n${top.map((r, j) => `  ${j + 1}. ${r.label}  ${r.score.toPrecision(4)}`).join('\n')}\n`);
        }
      } catch (e) {
        if (!folder || !(e instanceof LceError)) throw e;
        results.push({ file, error: e.message });
        if (!o.json) io.err(`${tty ? '\r\x1b[K' : ''}error: ${e.message}\n`);
      }
      if (tty) {
        const w = 30, done = Math.round(((i + 1) / files.length) * w);
        io.err(`\r[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${i + 1}/${files.length}`);
      }
    }
  } finally {
    await session.release();
  }
  if (tty) io.err('\n');
  const ok = results.filter((r) => r.top).length;
  const failed = results.length - ok;
  if (o.json) {
    io.out(JSON.stringify({ model: modelPath, results }) + '\n');
  } else if (folder) {
    io.out(`${ok} image(s) classified${failed ? `, ${failed} failed` : ''}, ${ok ? (totalMs / ok).toFixed(2) : '0'} ms mean inference\n`);
  }
  return failed ? 1 : 0;
}
