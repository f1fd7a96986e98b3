/**
 * Where a layer's weights live in the two Keras file layouts.
 *
 * Legacy `.h5`: `model_weights/<top-level layer>/` holds a `weight_names` attribute such as
 * `conv2d/kernel:0` (or, for a nested model, one entry per inner weight) and a dataset at that relative path.
 * Keras v3 `.keras`: `model.weights.h5` holds `layers/<generic name>/vars/<i>`, where the generic name is the
 * snake-cased class name, numbered `_1`, `_2`, … in layer order within each model, and nested models repeat the
 * pattern under their own `layers/` group. Variables are numbered in creation order.
 */
import { ConverterError } from '../../errors.js';
import type { Hdf5Array, Hdf5Reader } from './hdf5.js';

/** One layer's location: the chain of (layer name, class name) from the top-level model down. */
export interface LayerPath {
  names: string[];
  /** Keras v3 generic names along the same chain. */
  genericNames: string[];
}

export interface WeightStore {
  /** The named variables of a layer; `order` lists the variable names in creation order (Keras v3 numbering). */
  get(path: LayerPath, order: readonly string[], layerClass: string): Map<string, Hdf5Array>;
}

function missing(source: string, path: LayerPath, layerClass: string, what: string): never {
  throw new ConverterError(
    `${source}: layer '${path.names.join('/')}' (${layerClass}) is missing weight ${what}; `
    + 're-save the model with its weights (model.save) and convert that file',
  );
}

export class LegacyH5Weights implements WeightStore {
  constructor(private readonly h5: Hdf5Reader, private readonly root = 'model_weights') {}

  get(path: LayerPath, order: readonly string[], layerClass: string): Map<string, Hdf5Array> {
    const out = new Map<string, Hdf5Array>();
    if (order.length === 0) return out;
    const group = this.root ? `${this.root}/${path.names[0]}` : path.names[0];
    const listed = this.h5.attr(group, 'weight_names');
    const names = listed === undefined ? [] : typeof listed === 'string' ? [listed] : listed;
    const own = path.names[path.names.length - 1];
    for (const wn of names) {
      const parts = wn.split('/');
      const variable = parts[parts.length - 1].replace(/:\d+$/, '');
      const layer = parts.length >= 2 ? parts[parts.length - 2] : path.names[0];
      if (layer !== own || !order.includes(variable)) continue;
      out.set(variable, this.h5.array(`${group}/${wn}`));
    }
    for (const v of order) if (!out.has(v)) missing(this.h5.source, path, layerClass, `'${v}'`);
    return out;
  }
}

export class KerasV3Weights implements WeightStore {
  constructor(private readonly h5: Hdf5Reader) {}

  get(path: LayerPath, order: readonly string[], layerClass: string): Map<string, Hdf5Array> {
    const out = new Map<string, Hdf5Array>();
    if (order.length === 0) return out;
    const base = path.genericNames.map((g) => `layers/${g}`).join('/');
    const vars = this.h5.keys(`${base}/vars`);
    if (vars.length < order.length) {
      missing(this.h5.source, path, layerClass, `${order.slice(vars.length).join(', ')} (${base}/vars has ${vars.length})`);
    }
    order.forEach((name, i) => out.set(name, this.h5.array(`${base}/vars/${i}`)));
    return out;
  }
}

/** Keras's `to_snake_case`, which names layers in the v3 weights file. */
export function snakeCase(name: string): string {
  const a = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  const b = a.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return b.startsWith('_') ? `private${b}` : b;
}
