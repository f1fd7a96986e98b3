/**
 * Keras model configs (legacy `model_config` and v3 `config.json`) flattened into one list of layer calls:
 * Sequential and functional models, nested models inlined, each call's input and output tensors named by key.
 */
import { ConverterError } from '../../errors.js';
import { snakeCase, type LayerPath } from './weights.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface FlatLayer {
  /** Unique display name: the layer's name path, with `#n` for a repeated call of a shared layer. */
  id: string;
  className: string;
  config: JsonObject;
  path: LayerPath;
  inputs: string[];
  outputs: string[];
  /**
   * How the layer was called, for layers whose meaning lives in the call (TFOpLambda): positional arguments and
   * keyword arguments, with tensors given as indices into `inputs`. Absent for Sequential calls (one input).
   */
  call?: CallArgs;
}

/** One call argument: a tensor (index into the layer's inputs), a list of arguments, or a JSON constant. */
export type CallValue = { kind: 'tensor'; index: number } | { kind: 'list'; items: CallValue[] } | { kind: 'const'; value: Json };

export interface CallArgs {
  args: CallValue[];
  kwargs: Record<string, CallValue>;
}

export interface FlatInput {
  key: string;
  name: string;
  /** Shape without the batch axis; null entries are unknown. */
  shape: (number | null)[];
  dtype: string;
}

export interface FlatModel {
  name: string;
  inputs: FlatInput[];
  outputs: string[];
  /** In an order where every layer comes after the layers that produce its inputs. */
  layers: FlatLayer[];
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

interface Scope {
  names: string[];
  genericNames: string[];
}

interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

function isRefList(v: Json | undefined): boolean {
  return Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

/**
 * Inbound tensor references of one call, from the legacy list form or the Keras 3 `{args, kwargs}` form, and the
 * call's arguments. Legacy form (tf-keras `Node.serialize`): the first argument's tensors are
 * `[layer, node, tensor, kwargs]` entries, the node itself being one entry when the first argument is a single
 * tensor (TFOpLambda) and a list of entries when it is a list; constants in it are `["_CONSTANT_VALUE", -1, v]`;
 * the other arguments are in `kwargs`, tensors there written `[layer, node, tensor]`.
 */
function parseNode(node: Json, where: string): { refs: TensorRef[]; call: CallArgs } {
  const refs: TensorRef[] = [];
  const tensor = (layer: string, nodeIndex: number, t: number): CallValue => {
    refs.push({ layer, node: nodeIndex, tensor: t });
    return { kind: 'tensor', index: refs.length - 1 };
  };
  const legacyValue = (v: Json): CallValue => {
    if (Array.isArray(v) && v.length === 3 && isRefList(v)) return tensor(v[0] as string, v[1] as number, v[2] as number);
    if (Array.isArray(v)) {
      const items = v.map(legacyValue);
      return items.every((i) => i.kind === 'const') ? { kind: 'const', value: v } : { kind: 'list', items };
    }
    return { kind: 'const', value: v };
  };
  const v3Value = (v: Json): CallValue => {
    if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
      const h = v.config.keras_history;
      return tensor(String(h[0]), Number(h[1]), Number(h[2]));
    }
    if (Array.isArray(v)) {
      const items = v.map(v3Value);
      return items.every((i) => i.kind === 'const') ? { kind: 'const', value: v } : { kind: 'list', items };
    }
    return { kind: 'const', value: v };
  };
  const kwargsOf = (v: Json | undefined, conv: (x: Json) => CallValue): Record<string, CallValue> => {
    const out: Record<string, CallValue> = {};
    if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = conv(x);
    return out;
  };
  if (isObject(node)) {
    const args = Array.isArray(node.args) ? node.args.map(v3Value) : [];
    return { refs, call: { args, kwargs: kwargsOf(node.kwargs, v3Value) } };
  }
  if (!Array.isArray(node)) throw new ConverterError(`${where}: unreadable inbound node ${JSON.stringify(node)}`);
  const entry = (e: Json): { value: CallValue; kwargs: Json | undefined } => {
    if (Array.isArray(e) && e[0] === '_CONSTANT_VALUE') return { value: { kind: 'const', value: e[2] ?? null }, kwargs: e[3] };
    if (Array.isArray(e) && isRefList(e)) return { value: tensor(e[0] as string, e[1] as number, e[2] as number), kwargs: e[3] };
    throw new ConverterError(`${where}: unreadable inbound tensor ${JSON.stringify(e)}`);
  };
  if (isRefList(node) || node[0] === '_CONSTANT_VALUE') {
    const { value, kwargs } = entry(node);
    return { refs, call: { args: [value], kwargs: kwargsOf(kwargs, legacyValue) } };
  }
  const entries = node.map(entry);
  const first: CallValue = { kind: 'list', items: entries.map((e) => e.value) };
  return { refs, call: { args: [first], kwargs: kwargsOf(entries[0]?.kwargs, legacyValue) } };
}

function layerName(layer: JsonObject): string {
  const cfg = isObject(layer.config) ? layer.config : {};
  const n = layer.name ?? cfg.name;
  return typeof n === 'string' ? n : '';
}

function inputShapeOf(cfg: JsonObject): { shape: (number | null)[]; dtype: string } | null {
  const s = cfg.batch_input_shape ?? cfg.batch_shape ?? (cfg.input_shape !== undefined ? [null, ...(cfg.input_shape as Json[])] : undefined);
  if (!Array.isArray(s)) return null;
  return { shape: s.slice(1).map((d) => (typeof d === 'number' ? d : null)), dtype: typeof cfg.dtype === 'string' ? cfg.dtype : 'float32' };
}

class Flattener {
  readonly layers: FlatLayer[] = [];
  readonly inputs: FlatInput[] = [];
  private readonly callCounts = new Map<string, number>();

  constructor(private readonly source: string) {}

  private fail(msg: string): never {
    throw new ConverterError(`${this.source}: ${msg}`);
  }

  private genericNamer(): (className: string) => string {
    const counts = new Map<string, number>();
    return (className) => {
      const base = snakeCase(className);
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      return n === 0 ? base : `${base}_${n}`;
    };
  }

  private emit(className: string, config: JsonObject, scope: Scope, name: string, generic: string, inputs: string[], outputs: string[], call?: CallArgs): void {
    const path: LayerPath = { names: [...scope.names, name], genericNames: [...scope.genericNames, generic] };
    const base = path.names.join('/');
    const calls = this.callCounts.get(base) ?? 0;
    this.callCounts.set(base, calls + 1);
    this.layers.push({ id: calls === 0 ? base : `${base}#${calls}`, className, config, path, inputs, outputs, ...(call ? { call } : {}) });
  }

  private addInput(name: string, cfg: JsonObject, key: string): void {
    const s = inputShapeOf(cfg);
    if (!s) this.fail(`input '${name}' has no shape; give the model a fixed input shape`);
    this.inputs.push({ key, name, shape: s.shape, dtype: s.dtype });
  }

  /** Expands a model config; `given` are the tensor keys fed to a nested model (null at the top level). */
  expand(model: JsonObject, scope: Scope, given: string[] | null, prefix: string): string[] {
    const className = String(model.class_name);
    const cfg = isObject(model.config) ? model.config : this.fail(`model ${className} has no config`);
    const layers = Array.isArray(cfg.layers) ? cfg.layers.filter(isObject) : this.fail(`model ${className} has no layers`);
    if (className === 'Sequential') return this.expandSequential(layers, scope, given, prefix, String(cfg.name ?? 'sequential'));
    return this.expandFunctional(cfg, layers, scope, given, prefix);
  }

  private expandSequential(layers: JsonObject[], scope: Scope, given: string[] | null, prefix: string, modelName: string): string[] {
    const generic = this.genericNamer();
    let current: string;
    let rest = layers;
    const first = layers[0];
    if (!first) this.fail(`Sequential model '${modelName}' is empty`);
    if (first.class_name === 'InputLayer') {
      rest = layers.slice(1);
      generic('InputLayer');
      current = given ? given[0] : `${prefix}${layerName(first)}:0:0`;
      if (!given) this.addInput(layerName(first), first.config as JsonObject, current);
    } else if (given) current = given[0];
    else {
      current = `${prefix}${modelName}_input:0:0`;
      this.addInput(`${modelName}_input`, first.config as JsonObject, current);
    }
    for (const layer of rest) {
      const out = this.call(layer, generic(String(layer.class_name)), scope, [current], prefix);
      current = out[0];
    }
    return [current];
  }

  private expandFunctional(cfg: JsonObject, layers: JsonObject[], scope: Scope, given: string[] | null, prefix: string): string[] {
    const refList = (v: Json | undefined): TensorRef[] => {
      if (!Array.isArray(v)) return [];
      // A single output is sometimes written as one ref rather than a list of refs.
      if (v.length >= 3 && typeof v[0] === 'string') return [{ layer: v[0], node: Number(v[1]), tensor: Number(v[2]) }];
      return v.filter(Array.isArray).map((r) => ({ layer: String(r[0]), node: Number(r[1]), tensor: Number(r[2]) }));
    };
    const key = (r: TensorRef): string => `${prefix}${r.layer}:${r.node}:${r.tensor}`;
    const inputRefs = refList(cfg.input_layers);
    const known = new Set<string>();
    const alias = new Map<string, string>();
    const resolve = (k: string): string => alias.get(k) ?? k;
    const generic = this.genericNamer();
    const pending: { layer: JsonObject; generic: string; node: number; refs: TensorRef[]; call: CallArgs }[] = [];
    for (const layer of layers) {
      const g = generic(String(layer.class_name));
      const name = layerName(layer);
      if (layer.class_name === 'InputLayer') {
        const k = `${prefix}${name}:0:0`;
        const idx = inputRefs.findIndex((r) => r.layer === name);
        if (given) {
          if (idx < 0 || idx >= given.length) this.fail(`nested model input '${name}' is not fed`);
          alias.set(k, given[idx]);
        } else this.addInput(name, layer.config as JsonObject, k);
        known.add(k);
        continue;
      }
      const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
      // A nested model already owns node 0 (its own input call), so its calls here are numbered from 1, as Keras
      // numbers them when it rebuilds the model.
      const offset = MODEL_CLASSES.has(String(layer.class_name)) ? 1 : 0;
      nodes.forEach((node, i) => pending.push({ layer, generic: g, node: i + offset, ...parseNode(node, `layer '${name}'`) }));
    }
    while (pending.length > 0) {
      const ready = pending.findIndex((p) => p.refs.every((r) => known.has(key(r))));
      if (ready < 0) this.fail(`layer '${layerName(pending[0].layer)}' has inputs that no layer produces`);
      const p = pending.splice(ready, 1)[0];
      const name = layerName(p.layer);
      const outs = this.call(p.layer, p.generic, scope, p.refs.map((r) => resolve(key(r))), prefix, `${prefix}${name}:${p.node}`, p.call);
      outs.forEach((o, t) => {
        const k = `${prefix}${name}:${p.node}:${t}`;
        known.add(k);
        if (o !== k) alias.set(k, o);
      });
    }
    return refList(cfg.output_layers).map((r) => {
      const k = key(r);
      if (!known.has(k)) this.fail(`model output ${r.layer} is not produced by any layer`);
      return resolve(k);
    });
  }

  /** One call of a layer; nested models are expanded in place. Returns its output keys. */
  private call(layer: JsonObject, generic: string, scope: Scope, inputs: string[], prefix: string, outBase?: string, args?: CallArgs): string[] {
    const className = String(layer.class_name);
    const name = layerName(layer);
    const cfg = isObject(layer.config) ? layer.config : {};
    if (MODEL_CLASSES.has(className)) {
      const inner: Scope = { names: [...scope.names, name], genericNames: [...scope.genericNames, generic] };
      const calls = this.callCounts.get(`model:${prefix}${name}`) ?? 0;
      this.callCounts.set(`model:${prefix}${name}`, calls + 1);
      return this.expand(layer, inner, inputs, `${prefix}${name}${calls ? `#${calls}` : ''}/`);
    }
    const out = `${outBase ?? `${prefix}${name}:${this.callCounts.get([...scope.names, name].join('/')) ?? 0}`}:0`;
    this.emit(className, cfg, scope, name, generic, inputs, [out], args);
    return [out];
  }
}

/** Flattens a parsed model config (`{class_name, config}`) into layer calls. */
export function flattenModel(root: Json, source: string): FlatModel {
  if (!isObject(root) || typeof root.class_name !== 'string') {
    throw new ConverterError(`${source}: the model config is not a Keras model description`);
  }
  if (!MODEL_CLASSES.has(root.class_name)) {
    throw new ConverterError(`${source}: the top-level object is a ${root.class_name}, not a Sequential or functional Model`);
  }
  const f = new Flattener(source);
  const outputs = f.expand(root, { names: [], genericNames: [] }, null, '');
  const cfg = root.config as JsonObject;
  return { name: String(cfg.name ?? 'model'), inputs: f.inputs, outputs, layers: f.layers };
}
