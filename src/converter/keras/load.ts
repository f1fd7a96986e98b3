/** Opens a Keras model file (legacy `.h5` or v3 `.keras`) and exposes its flattened graph and weights. */
import { readFile } from 'node:fs/promises';
import { ConverterError } from '../../errors.js';
import { flattenModel, type FlatModel, type Json } from './config.js';
import { Hdf5Reader, isHdf5 } from './hdf5.js';
import { KerasV3Weights, LegacyH5Weights, type WeightStore } from './weights.js';
import { isZip, ZipArchive } from './zip.js';

export interface KerasModelFile {
  format: 'h5' | 'keras';
  model: FlatModel;
  weights: WeightStore;
  close(): void;
}

function parseJson(text: string, source: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (cause) {
    throw new ConverterError(`${source}: ${what} is not valid JSON`, { cause });
  }
}

export async function openKerasModel(input: string | Uint8Array, sourceName?: string): Promise<KerasModelFile> {
  const source = sourceName ?? (typeof input === 'string' ? input : 'model');
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    try {
      bytes = new Uint8Array(await readFile(input));
    } catch (cause) {
      throw new ConverterError(`${source}: cannot read the file`, { cause });
    }
  } else bytes = input;

  if (isZip(bytes)) {
    const zip = new ZipArchive(bytes, source);
    if (!zip.has('config.json')) throw new ConverterError(`${source}: .keras archive has no config.json`);
    if (!zip.has('model.weights.h5')) throw new ConverterError(`${source}: .keras archive has no model.weights.h5`);
    const config = parseJson(new TextDecoder().decode(zip.read('config.json')), source, 'config.json');
    const model = flattenModel(config, source);
    const h5 = await Hdf5Reader.open(zip.read('model.weights.h5'), `${source}:model.weights.h5`);
    return { format: 'keras', model, weights: new KerasV3Weights(h5), close: () => h5.close() };
  }
  if (isHdf5(bytes)) {
    const h5 = await Hdf5Reader.open(typeof input === 'string' ? input : bytes, source);
    try {
      const cfg = h5.attr('/', 'model_config');
      if (typeof cfg !== 'string') {
        throw new ConverterError(`${source}: HDF5 file has no model_config attribute (a weights-only file?); save the whole model with model.save('model.h5')`);
      }
      const model = flattenModel(parseJson(cfg, source, 'model_config'), source);
      const root = h5.has('model_weights') ? 'model_weights' : '/';
      return { format: 'h5', model, weights: new LegacyH5Weights(h5, root === '/' ? '' : root), close: () => h5.close() };
    } catch (e) {
      h5.close();
      throw e;
    }
  }
  throw new ConverterError(`${source}: not a Keras model file (expected an HDF5 .h5 or a zip .keras file)`);
}
