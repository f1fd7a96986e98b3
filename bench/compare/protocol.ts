/** Messages between the bench:compare coordinator (main.ts) and its engine workers (worker.ts, bench_lce.py). */

/** Every engine of the comparison; 'lce' is the real LCE interpreter (Python worker). */
export const ENGINES = ['lce-js', 'lce-js-conv', 'lce', 'ort-node', 'ort-web', 'tfjs-wasm'] as const;
export type EngineName = (typeof ENGINES)[number];
export type NodeEngineName = Exclude<EngineName, 'lce'>;

export const ENGINE_LABELS: Record<EngineName, string> = {
  'lce-js': 'lce-js (LCE .tflite)',
  'lce-js-conv': 'lce-js (own conversion of the .h5)',
  lce: 'LCE 0.16.0 interpreter (native, Python)',
  'ort-node': 'onnxruntime-node (native), float twin',
  'ort-web': 'onnxruntime-web (wasm SIMD), float twin',
  'tfjs-wasm': 'TF.js wasm backend, float twin',
};

/** Which model file an engine runs: the binary network or its float twin. */
export const ENGINE_MODEL: Record<EngineName, 'bnn' | 'twin'> = {
  'lce-js': 'bnn', 'lce-js-conv': 'bnn', lce: 'bnn', 'ort-node': 'twin', 'ort-web': 'twin', 'tfjs-wasm': 'twin',
};

/** Absolute paths of everything one benchmark model needs. */
export interface ModelFiles {
  name: string;
  tflite: string;
  h5: string;
  /** The case's input_0.npy (float32 NHWC, batch 1). */
  input: string;
  onnx?: string;
  /** Folder with the TF.js graph model's model.json and weight shards. */
  tfjsDir?: string;
}

export type WorkerRequest =
  | { type: 'load'; key: string; model: ModelFiles }
  /** At least n inferences back to back, and more until they took minMs in all (default 0). */
  | { type: 'run'; key: string; n: number; minMs?: number; wantOutput: boolean }
  /** lce-js only: one profiled run, milliseconds per op type. */
  | { type: 'profile'; key: string }
  | { type: 'close' };

/** Arithmetic of the binary network (lce-js sessions report it): the ceiling row divides it by the kernel peak. */
export interface ModelWork {
  binaryMacs: number;
  floatMacs: number;
  int8Macs: number;
}

export type WorkerResponse =
  | { ok: true; type: 'loaded'; ms: number; detail: string; work?: ModelWork }
  | { ok: true; type: 'profiled'; msByOpType: Record<string, number> }
  | { ok: true; type: 'ran'; times: number[]; output?: number[]; outputShape?: number[] }
  | { ok: true; type: 'closed' }
  | { ok: false; error: string };
