/**
 * The page's use of the runtime: one InferenceSession per model, runs with a per-op profile, scores and top-k.
 * Browser-safe (no DOM): the Chromium test runs the same model through this module in Node.
 */
import { InferenceSession, Tensor, type OpProfile, type TensorMetadata } from '../src/index.js';
import { hasSharedMemory, hasWasmSimd } from '../src/backend/features.js';
import { fetchKernelLoader } from '../src/backend/wasm.js';

export interface Ranked { index: number; score: number }

export interface OpTypeTotal { type: string; count: number; ms: number }

export interface Prediction {
  /** Output scores as floats (int8 outputs dequantised). */
  scores: number[];
  top: Ranked[];
  /** Wall time of session.run, milliseconds. */
  ms: number;
  profile: OpProfile[];
}

/** Which kernels run, and what the browser allows them. */
export interface BackendInfo {
  kernels: string;
  wasmSimd: boolean;
  sharedMemory: boolean;
  crossOriginIsolated: boolean;
  threads: number;
}

export function backendInfo(session: InferenceSession | null): BackendInfo {
  const g = globalThis as { crossOriginIsolated?: boolean };
  const simd = hasWasmSimd();
  const kernels = session === null ? 'none loaded'
    : session.backend === 'wasm' ? `wasm (${simd ? 'SIMD128' : 'scalar'} build)` : 'reference (plain TypeScript)';
  return {
    kernels,
    wasmSimd: simd,
    sharedMemory: hasSharedMemory(),
    crossOriginIsolated: g.crossOriginIsolated === true,
    threads: session?.threads ?? 1,
  };
}

/** The k highest scores, ties by lower index. */
export function topK(scores: ArrayLike<number>, k: number): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < scores.length; i++) all.push({ index: i, score: scores[i]! });
  all.sort((a, b) => b.score - a.score || a.index - b.index);
  return all.slice(0, Math.max(0, k));
}

/** Per-op timings summed by op type, slowest first. */
export function groupByType(profile: readonly OpProfile[]): OpTypeTotal[] {
  const by = new Map<string, OpTypeTotal>();
  for (const p of profile) {
    const t = by.get(p.type) ?? { type: p.type, count: 0, ms: 0 };
    t.count++;
    t.ms += p.ms;
    by.set(p.type, t);
  }
  return [...by.values()].sort((a, b) => b.ms - a.ms || a.type.localeCompare(b.type));
}

/** Output values as floats: int8/uint8 outputs are dequantised with their scale and zero point. */
export function outputScores(tensor: Tensor, meta: TensorMetadata): number[] {
  const q = meta.quantization;
  const out: number[] = [];
  for (let i = 0; i < tensor.data.length; i++) {
    const v = Number(tensor.data[i]);
    out.push(q && (tensor.type === 'int8' || tensor.type === 'uint8') ? (v - q.zeroPoint) * q.scale : v);
  }
  return out;
}

export class ModelRunner {
  readonly session: InferenceSession;
  readonly input: TensorMetadata;
  readonly output: TensorMetadata;

  private constructor(session: InferenceSession) {
    this.session = session;
    this.input = session.inputMetadata[0]!;
    this.output = session.outputMetadata[0]!;
  }

  /**
   * `kernels`: where the wasm kernel builds are served (the page passes its own build/ folder); without it the
   * runtime's default loader is used (the package's build/ folder in Node).
   */
  static async load(source: Uint8Array | string, name: string, kernels?: URL): Promise<ModelRunner> {
    const session = await InferenceSession.create(source, {
      modelName: name, ...(kernels ? { kernelLoader: fetchKernelLoader(kernels) } : {}),
    });
    if (session.inputMetadata.length !== 1 || session.inputMetadata[0]!.type !== 'float32') {
      await session.release();
      throw new Error(`${name}: the page runs models with one float32 input`);
    }
    return new ModelRunner(session);
  }

  get inputSize(): number {
    return this.input.dims.reduce((a, b) => a * b, 1);
  }

  async predict(pixels: Float32Array, k: number): Promise<Prediction> {
    if (pixels.length !== this.inputSize) {
      throw new Error(`input has ${pixels.length} values, the model wants ${this.inputSize} ([${this.input.dims.join(', ')}])`);
    }
    const profile: OpProfile[] = [];
    const t0 = performance.now();
    const out = await this.session.run({ [this.input.name]: new Tensor('float32', pixels, this.input.dims) }, { profile });
    const ms = performance.now() - t0;
    const scores = outputScores(out[this.output.name]!, this.output);
    return { scores, top: topK(scores, k), ms, profile };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
