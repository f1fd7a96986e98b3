/**
 * The public API, in the idiom of ONNX Runtime Web:
 *   const session = await InferenceSession.create(bytesOrPath, { numThreads });
 *   const out = await session.run({ [session.inputNames[0]]: new Tensor('float32', data, dims) });
 *   await session.release();
 * Core code stays browser-safe: a string source is fetched, unless the Node entry (node.ts) installed a file loader.
 */
import { InputError, LceError } from '../errors.js';
import type { ComputeDType } from '../graph/dtype.js';
import type { Model } from '../graph/model.js';
import { readModel } from '../format/read.js';
import { createReferenceRegistry, type OpRegistry } from '../ops/registry.js';
import { Interpreter, type PreparedOp } from './interpreter.js';
import { fuseWasmOps } from '../ops/fast/fusion.js';
import { selectBackend, type BackendName, type WasmBackend } from './backend.js';
import { createWasmRegistry } from '../ops/fast/registry.js';
import type { KernelLoader } from '../backend/wasm.js';
import { opWork, type OpWork } from '../analyze/work.js';
import { expectedArrayName, Tensor, type TensorType } from './tensor.js';

export interface SessionOptions {
  /** Worker threads for the fast kernels (default: available cores). The reference backend always uses 1. */
  numThreads?: number;
  /** Cap on the activation arena in bytes (default 1 GiB): larger models are refused with a LimitError. */
  maxArenaBytes?: number;
  /** Name used in error messages; defaults to the file name or 'model'. */
  modelName?: string;
  /** Op kernels to use; given, it replaces the backend's registry (and the session uses no wasm backend). */
  registry?: OpRegistry;
  /** 'wasm' (default when the kernels load) or 'reference' (plain TS). `fromModel` always uses reference. */
  backend?: BackendName;
  /** Where the wasm kernel builds come from (default: the package's build/ folder). */
  kernelLoader?: KernelLoader;
  /**
   * wasm backend: let one step run several ops (an ADD that also bitpacks its sum for the LceQuantize after it; a
   * binary convolution whose float output that ADD reads, block by block with it; same results). Default true;
   * 'add-quantize' keeps only the first kind, false runs every op on its own (A/B tests and benchmarks).
   */
  fuseOps?: boolean | 'add-quantize';
}

export interface TensorMetadata {
  name: string;
  type: TensorType;
  dims: readonly number[];
  /** Per-tensor quantization of int8/uint8 tensors. */
  quantization?: { scale: number; zeroPoint: number };
}

export interface OpProfile {
  index: number;
  type: string;
  outputShape: readonly number[];
  /** Time of the op, or of its whole fused step for the step's first op (0 for the step's other ops). */
  ms: number;
  /** Set when the op ran inside a fused step that starts at another op: that op's index. */
  fusedInto?: number;
}

export interface OpSummary {
  index: number;
  type: string;
  outputShape: readonly number[];
  work: OpWork;
}

export interface RunOptions {
  /** Collect per-op timings into this array (cleared first). */
  profile?: OpProfile[];
}

type FileLoader = (path: string) => Promise<Uint8Array>;

let fileLoader: FileLoader = async (path) => {
  const res = await fetch(path);
  if (!res.ok) throw new LceError('IO', `cannot fetch model ${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};

/** The Node entry replaces fetch with the file system. */
export function setFileLoader(loader: FileLoader): void {
  fileLoader = loader;
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  readonly model: Model;
  private interpreter: Interpreter | null;
  /** run() calls share one arena, so they are queued. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly aliases: Map<string, number>;
  private wasm: WasmBackend | null;

  private constructor(model: Model, interpreter: Interpreter, wasm: WasmBackend | null = null) {
    this.model = model;
    this.interpreter = interpreter;
    this.wasm = wasm;
    const meta = (i: number): TensorMetadata => {
      const s = interpreter.specs[i]!;
      const q = s.quantization;
      return {
        name: s.name,
        type: s.dtype as TensorType,
        dims: [...s.shape],
        ...(q && q.scale.length > 0 && (s.dtype === 'int8' || s.dtype === 'uint8')
          ? { quantization: { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 } } : {}),
      };
    };
    this.inputMetadata = interpreter.inputIndices.map(meta);
    this.outputMetadata = interpreter.outputIndices.map(meta);
    this.inputNames = this.inputMetadata.map((m) => m.name);
    this.outputNames = this.outputMetadata.map((m) => m.name);
    // Signature names (e.g. 'input_1') are accepted as aliases of the tensor names.
    this.aliases = new Map();
    const sig = model.signatureDefs.find((s) => s.subgraphIndex === 0);
    for (const t of sig?.inputs ?? []) this.aliases.set(t.name, t.tensorIndex);
  }

  static async create(source: Uint8Array | ArrayBuffer | string, options: SessionOptions = {}): Promise<InferenceSession> {
    let bytes: Uint8Array;
    let name = options.modelName;
    if (typeof source === 'string') {
      bytes = await fileLoader(source);
      name ??= source.split(/[\\/]/).pop() ?? source;
    } else {
      bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    }
    name ??= 'model';
    return InferenceSession.createFromModel(readModel(bytes, name), { ...options, modelName: name });
  }

  /** A session over an in-memory Model (e.g. straight from the converter) with backend selection as in `create`. */
  static async createFromModel(model: Model, options: SessionOptions = {}): Promise<InferenceSession> {
    const name = options.modelName ?? 'model';
    if (options.registry) return InferenceSession.fromModel(model, { ...options, modelName: name });
    const wasm = await selectBackend({
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.numThreads !== undefined ? { numThreads: options.numThreads } : {}),
      ...(options.kernelLoader ? { kernelLoader: options.kernelLoader } : {}),
    });
    if (!wasm) return InferenceSession.fromModel(model, { ...options, modelName: name });
    try {
      const interpreter = new Interpreter(model, {
        registry: createWasmRegistry(wasm),
        modelName: name,
        allocateArena: wasm.allocateArena,
        ...(options.fuseOps === false ? {} : { fuse: fuseWasmOps(wasm, { convolutions: options.fuseOps !== 'add-quantize' }) }),
        ...(options.maxArenaBytes !== undefined ? { maxArenaBytes: options.maxArenaBytes } : {}),
      });
      await wasm.start();
      return new InferenceSession(model, interpreter, wasm);
    } catch (e) {
      await wasm.release();
      throw e;
    }
  }

  /** 'wasm' or 'reference': which kernels this session runs. */
  get backend(): BackendName {
    return this.wasm ? 'wasm' : 'reference';
  }

  /** Threads the session's kernels use (1 on the reference backend, or when no op splits: see WasmBackend.start). */
  get threads(): number {
    return this.wasm?.pool?.threads ?? 1;
  }

  /** A session over an in-memory Model on the reference kernels (synchronous; `createFromModel` picks a backend). */
  static fromModel(model: Model, options: SessionOptions = {}): InferenceSession {
    const interpreter = new Interpreter(model, {
      registry: options.registry ?? createReferenceRegistry(),
      modelName: options.modelName ?? 'model',
      ...(options.maxArenaBytes !== undefined ? { maxArenaBytes: options.maxArenaBytes } : {}),
    });
    return new InferenceSession(model, interpreter);
  }

  /** Bytes of the activation arena (the memory plan's size). */
  get arenaBytes(): number {
    return this.live().arenaBytes;
  }

  /** Every op in execution order with its output shape and arithmetic work (for profiles and reports). */
  opSummaries(): OpSummary[] {
    return this.live().ops.map((op) => {
      const channelsIn = (op.options as { channelsIn?: number } | null)?.channelsIn;
      return {
        index: op.index,
        type: op.type,
        outputShape: [...(op.outputs[0]?.spec.shape ?? [])],
        work: opWork(op.type, op.inputs.map((t) => t?.spec ?? null), op.outputs.map((t) => t.spec), channelsIn),
      };
    });
  }

  run(feeds: Record<string, Tensor>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const result = this.queue.then(() => this.runNow(feeds, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async release(): Promise<void> {
    await this.queue;
    this.interpreter = null;
    const wasm = this.wasm;
    this.wasm = null;
    if (wasm) await wasm.release();
  }

  private live(): Interpreter {
    if (!this.interpreter) throw new LceError('INPUT', 'this session was released');
    return this.interpreter;
  }

  private runNow(feeds: Record<string, Tensor>, options: RunOptions): Record<string, Tensor> {
    const interp = this.live();
    // Run-long polling pays where a run has several split ops, each of which would otherwise wake a worker. On a
    // tiny model the early wake-up costs more than it saves (the woken worker may first spin on this thread's core).
    const pool = this.wasm?.runPolling ? this.wasm.pool : null;
    pool?.beginRun();
    try {
      return this.runOn(interp, feeds, options);
    } finally {
      pool?.endRun();
    }
  }

  private runOn(interp: Interpreter, feeds: Record<string, Tensor>, options: RunOptions): Record<string, Tensor> {
    const byIndex = new Map<number, Tensor>();
    for (const [key, tensor] of Object.entries(feeds)) {
      let pos = this.inputNames.indexOf(key);
      if (pos < 0 && this.aliases.has(key)) pos = interp.inputIndices.indexOf(this.aliases.get(key)!);
      if (pos < 0) throw new InputError(`unknown input '${key}'; the model's inputs are ${this.inputNames.map((n) => `'${n}'`).join(', ')}`);
      if (!(tensor instanceof Tensor)) throw new InputError(`input '${key}' must be a Tensor`);
      byIndex.set(interp.inputIndices[pos]!, tensor);
    }
    interp.inputIndices.forEach((index, pos) => {
      const meta = this.inputMetadata[pos]!;
      const t = byIndex.get(index);
      if (!t) throw new InputError(`missing input '${meta.name}' (${meta.type} [${meta.dims.join(', ')}])`);
      if (t.type !== meta.type) throw new InputError(`input '${meta.name}' must be ${meta.type}, got ${t.type}`);
      const sameDims = t.dims.length === meta.dims.length && t.dims.every((d, k) => d === meta.dims[k]);
      if (!sameDims) throw new InputError(`input '${meta.name}' must have dims [${meta.dims.join(', ')}], got [${t.dims.join(', ')}]`);
      const dst = interp.tensor(index).data;
      if (t.data.length !== dst.length || t.data.constructor.name !== expectedArrayName(meta.type)) {
        throw new InputError(`input '${meta.name}' data must be a ${expectedArrayName(meta.type)} of ${dst.length} elements`);
      }
      (dst as Float32Array).set(t.data as Float32Array);
    });
    if (options.profile) {
      const profile = options.profile;
      profile.length = 0;
      interp.invoke((op: PreparedOp, ms: number, stepFirst: number) => {
        profile.push({
          index: op.index, type: op.type, outputShape: op.outputs[0]?.spec.shape ?? [], ms,
          ...(stepFirst !== op.index ? { fusedInto: stepFirst } : {}),
        });
      });
    } else {
      interp.invoke();
    }
    const out: Record<string, Tensor> = {};
    interp.outputIndices.forEach((index, pos) => {
      const meta = this.outputMetadata[pos]!;
      const src = interp.tensor(index).data;
      out[meta.name] = new Tensor(meta.type, src.slice() as Tensor['data'], meta.dims);
    });
    return out;
  }
}

export { Tensor };
export type { TensorType, ComputeDType };
