/**
 * Lints a Keras `.h5` / `.keras` model: the converter's front end lowers it and its pass pipeline runs, so the
 * checks see exactly the ops lce-js would write (what fused, what did not), each tagged with its Keras layer name;
 * the layer config supplies class names (BatchNormalization, QuantDense) for the messages.
 */
import { openKerasModel } from '../converter/keras/load.js';
import { lowerModel } from '../converter/keras/lower.js';
import { DEFAULT_OPTIONS } from '../converter/passes/pass.js';
import { runPipeline } from '../converter/pipeline.js';
import { graphFromIr } from './graph.js';
import { lintGraph, type LintReport } from './lint.js';

export async function lintKerasFile(input: string | Uint8Array, sourceName?: string): Promise<LintReport> {
  const source = sourceName ?? (typeof input === 'string' ? input : 'model');
  const file = await openKerasModel(input, source);
  try {
    const { graph } = lowerModel(file.model, file.weights, source);
    runPipeline(graph, DEFAULT_OPTIONS);
    return lintGraph(graphFromIr(graph, file.model, source));
  } finally {
    file.close();
  }
}
