/**
 * The analyzer's view of a model: TFLite-shaped ops over shaped tensors, each op tagged with the layer it came
 * from. Built from a `.tflite` Model (layer = the op's output tensor name) or from the converter's IR after its
 * passes (layer = the Keras layer name), so one set of checks serves both.
 */
import { decodeFlexMap } from '../format/flexbuffer.js';
import { opTypeName } from '../format/read.js';
import type { Model } from '../graph/model.js';
import type { IrGraph, IrTensor } from '../converter/ir.js';
import type { FlatModel } from '../converter/keras/config.js';
import { LceError } from '../errors.js';

export interface LintTensor {
  readonly id: number;
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly isConst: boolean;
}

export type LintOptionValue = number | boolean | string | null | readonly number[];

export interface LintOp {
  /** Position in execution order. */
  readonly index: number;
  readonly type: string;
  /** Keras layer name (Keras input) or the op's output tensor name (.tflite input). */
  readonly layer: string;
  readonly inputs: readonly (LintTensor | null)[];
  readonly outputs: readonly LintTensor[];
  /** Builtin options (camelCase) or the decoded LCE flexbuffer map (snake_case keys). */
  readonly options: Readonly<Record<string, LintOptionValue>>;
}

/** What the Keras config says about a layer: its class and the layers feeding it. */
export interface KerasLayerInfo {
  readonly className: string;
  readonly inputLayers: readonly string[];
}

export interface LintGraph {
  readonly name: string;
  readonly source: 'tflite' | 'keras';
  readonly ops: readonly LintOp[];
  readonly outputs: readonly LintTensor[];
  /** Present for Keras models, keyed by layer name. */
  readonly kerasLayers?: ReadonlyMap<string, KerasLayerInfo>;
}

function toOptions(o: Record<string, unknown> | null | undefined): Record<string, LintOptionValue> {
  const out: Record<string, LintOptionValue> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) {
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
    else if (typeof v === 'bigint') out[k] = Number(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v as number[];
  }
  return out;
}

/** The analyzer's graph of subgraph 0 of a TFLite model. */
export function graphFromModel(model: Model, name: string): LintGraph {
  const sg = model.subgraphs[0];
  if (!sg) throw new LceError('MODEL_INVALID', `${name}: the model has no subgraph`);
  const tensors: LintTensor[] = sg.tensors.map((t, id) => {
    const data = model.buffers[t.buffer]?.data;
    return { id, name: t.name, dtype: t.dtype, shape: [...t.shape], isConst: !!data && data.byteLength > 0 };
  });
  const at = (i: number): LintTensor | null => (i < 0 ? null : tensors[i] ?? null);
  const ops: LintOp[] = sg.operators.map((op, index) => {
    const code = model.operatorCodes[op.opcodeIndex];
    if (!code) throw new LceError('MODEL_INVALID', `${name}: op ${index} has no operator code ${op.opcodeIndex}`);
    const type = opTypeName(code);
    let options: Record<string, LintOptionValue>;
    if (op.customOptions && op.customOptions.byteLength > 0) options = toOptions(decodeFlexMap(op.customOptions, `${name}: ${type} (op ${index})`));
    else options = toOptions(op.builtinOptions ?? op.builtinOptions2);
    const outputs = op.outputs.map(at).filter((t): t is LintTensor => t !== null);
    return { index, type, layer: outputs[0]?.name ?? `op ${index}`, inputs: op.inputs.map(at), outputs, options };
  });
  return { name, source: 'tflite', ops, outputs: sg.outputs.map(at).filter((t): t is LintTensor => t !== null) };
}

/** The analyzer's graph of a converter IR (after the pass pipeline), with the Keras layer table beside it. */
export function graphFromIr(g: IrGraph, flat: FlatModel, name: string): LintGraph {
  const ids = new Map<IrTensor, LintTensor>();
  const wrap = (t: IrTensor): LintTensor => {
    let w = ids.get(t);
    if (!w) {
      w = { id: t.id, name: t.name, dtype: t.dtype, shape: [...t.shape], isConst: t.data !== undefined };
      ids.set(t, w);
    }
    return w;
  };
  const ops: LintOp[] = g.ops.map((op, index) => ({
    index,
    type: op.type,
    layer: op.origin || op.outputs[0]?.name || `op ${index}`,
    inputs: op.inputs.map((t) => (t ? wrap(t) : null)),
    outputs: op.outputs.map(wrap),
    options: toOptions(op.options),
  }));
  const producerOf = new Map<string, string>();
  for (const l of flat.layers) for (const o of l.outputs) producerOf.set(o, l.id);
  const kerasLayers = new Map<string, KerasLayerInfo>();
  for (const l of flat.layers) {
    const inputLayers = l.inputs.map((k) => producerOf.get(k)).filter((x): x is string => x !== undefined);
    kerasLayers.set(l.id, { className: l.className.replace(/^(larq|keras)>/, ''), inputLayers });
  }
  return { name, source: 'keras', ops, outputs: g.outputs.map(wrap), kerasLayers };
}
