/** Keras `.h5` / `.keras` → LCE `.tflite`: read, lower to the IR, run the pass pipeline, write the flatbuffer. */
import { writeModel } from '../format/write.js';
import type { Model } from '../graph/model.js';
import { exportModel } from './export.js';
import { openKerasModel } from './keras/load.js';
import { lowerModel } from './keras/lower.js';
import type { IrGraph } from './ir.js';
import { DEFAULT_OPTIONS, type ConvertOptions } from './passes/pass.js';
import { runPipeline, type PassResult } from './pipeline.js';

export type { ConvertOptions };

export interface ConvertProgress {
  stage: 'read' | 'lower' | 'pass' | 'write';
  detail: string;
  /** 0..1 over the whole conversion. */
  fraction: number;
}

export interface ConversionReport {
  format: 'h5' | 'keras';
  modelName: string;
  layersIn: number;
  opsOut: number;
  opCounts: Record<string, number>;
  passes: PassResult[];
  bytes: number;
}

export interface ConversionResult {
  model: Model;
  bytes: Uint8Array;
  report: ConversionReport;
}

export interface ConvertCallOptions extends Partial<ConvertOptions> {
  onProgress?: (p: ConvertProgress) => void;
  /** Name used in error messages when `input` is bytes. */
  sourceName?: string;
}

/** Lowers a Keras file to the IR without running passes (for tests and tools). */
export async function lowerKerasFile(input: string | Uint8Array, sourceName?: string): Promise<{ graph: IrGraph; layersIn: number; format: 'h5' | 'keras'; modelName: string }> {
  const file = await openKerasModel(input, sourceName);
  try {
    const { graph, layersIn } = lowerModel(file.model, file.weights, sourceName ?? (typeof input === 'string' ? input : 'model'));
    return { graph, layersIn, format: file.format, modelName: file.model.name };
  } finally {
    file.close();
  }
}

export async function convertKeras(input: string | Uint8Array, opts: ConvertCallOptions = {}): Promise<ConversionResult> {
  const { onProgress, sourceName, ...rest } = opts;
  const options: ConvertOptions = { ...DEFAULT_OPTIONS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  onProgress?.({ stage: 'read', detail: 'reading the Keras file', fraction: 0 });
  const { graph, layersIn, format, modelName } = await lowerKerasFile(input, sourceName);
  onProgress?.({ stage: 'lower', detail: `${layersIn} layers lowered to ${graph.ops.length} ops`, fraction: 0.3 });
  const passes = runPipeline(graph, options, undefined, (name, i, total) => {
    onProgress?.({ stage: 'pass', detail: name, fraction: 0.3 + (0.6 * i) / total });
  });
  onProgress?.({ stage: 'write', detail: 'writing the flatbuffer', fraction: 0.9 });
  const model = exportModel(graph, `lce-js converter: ${modelName}`);
  const bytes = writeModel(model);
  const opCounts: Record<string, number> = {};
  for (const op of graph.ops) opCounts[op.type] = (opCounts[op.type] ?? 0) + 1;
  onProgress?.({ stage: 'write', detail: 'done', fraction: 1 });
  return {
    model,
    bytes,
    report: { format, modelName, layersIn, opsOut: graph.ops.length, opCounts, passes, bytes: bytes.length },
  };
}
