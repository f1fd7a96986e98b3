/**
 * Loader for the oracle corpus in test/fixtures/ (made by tools/reference/make_fixtures.py with
 * real Keras/Larq/LCE; schema in tools/reference/README.md). For differential and converter tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '../src/format/npy.js';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export type FixtureGroup = 'matrix' | 'zoo' | 'mnist';

export interface FixtureTensor {
  /** Signature-def name of the .tflite input/output (the Keras layer name), else the tensor name. */
  name: string;
  /** Shape in the .tflite, batch 1 included. */
  shape: number[];
  dtype: 'float32' | 'int8' | 'int32' | 'uint8' | 'bool';
  /** Quantisation of int8 tensors (per-tensor), null for float. */
  scale: number | number[] | null;
  zero_point: number | number[] | null;
}

export interface FixtureFiles {
  tflite: string;
  h5?: string;
  /** Keras 3 zip format written by tf-keras (`model.keras`), for a few cases only. */
  keras?: string;
  /** inputs[i][k]: sample i, model input k (in .tflite input order). */
  inputs: string[][];
  /** lce_outputs[i][k]: real LCE Interpreter output k for sample i (in .tflite output order). */
  lce_outputs: string[][];
  /** keras_outputs[i][k]: Keras float output, reordered to the .tflite output order; always float32. */
  keras_outputs: string[][];
  /** mnist only: the 2000-digit test set and both predictions on it. */
  test_set?: Record<'images' | 'labels' | 'keras_probs' | 'keras_argmax' | 'lce_probs' | 'lce_argmax', string>;
}

export interface FixtureCase {
  group: FixtureGroup;
  case: string;
  description: string;
  seed: number;
  /** Folder relative to test/fixtures/. */
  dir: string;
  files: FixtureFiles;
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  keras: { inputs: { name: string; shape: (number | null)[] }[]; params: number };
  /** Op type → count in lce.tflite (custom ops by custom_code, builtins by BuiltinOperator name). */
  lce_ops: Record<string, number>;
  /** Keyword arguments given to larq_compute_engine.convert_keras_model (types as strings). */
  converter_options: {
    inference_input_type?: 'float32' | 'int8';
    inference_output_type?: 'float32' | 'int8';
    experimental_default_int8_range?: [number, number];
    target?: 'arm' | 'xcore';
  };
  /** Keyword arguments of the LCE Interpreter that produced lce_outputs (e.g. use_reference_bconv). */
  interpreter_options: { use_reference_bconv?: boolean; use_indirect_bgemm?: boolean };
  /** Observed max |LCE − Keras| per output over the samples (int8 outputs dequantised first). */
  keras_vs_lce_max_abs_diff: number[];
  notes: string[];
  /** File name → bytes. */
  sizes: Record<string, number>;
  zoo?: { architecture: string; input_size: number; num_classes: number; weights: string; width_reduction?: string[] };
  mnist?: Record<string, string | number>;
}

export interface FixtureManifest {
  schema_version: 1;
  description: string;
  provenance: {
    command: string;
    generator: string;
    date: string;
    versions: Record<string, string>;
    platform: string;
    interpreter: string;
    seconds: Record<string, number>;
  };
  tolerances: Record<string, string>;
  cases: FixtureCase[];
}

export interface FixtureSample {
  inputs: NpyArray[];
  lceOutputs: NpyArray[];
  kerasOutputs: NpyArray[];
}

export interface LoadedFixture {
  entry: FixtureCase;
  /** Absolute folder of the case. */
  dir: string;
  tflite: Uint8Array;
  /** Absolute paths (the converter reads them itself), when the case has them. */
  h5Path?: string;
  kerasPath?: string;
  samples: FixtureSample[];
  /** Any other file of the case, e.g. the mnist test set. */
  npy(file: string): NpyArray;
  bytes(file: string): Uint8Array;
}

let cached: FixtureManifest | undefined;

export function hasFixtures(): boolean {
  return existsSync(join(FIXTURES_DIR, 'manifest.json'));
}

export function loadManifest(): FixtureManifest {
  if (cached) return cached;
  const path = join(FIXTURES_DIR, 'manifest.json');
  if (!existsSync(path)) throw new Error(`no fixture manifest at ${path}: run \`npm run fixtures\``);
  const m = JSON.parse(readFileSync(path, 'utf8')) as FixtureManifest;
  if (m.schema_version !== 1) throw new Error(`fixture manifest schema_version ${m.schema_version}, this loader reads 1`);
  cached = m;
  return m;
}

export function listCases(group?: FixtureGroup): FixtureCase[] {
  return loadManifest().cases.filter((c) => group === undefined || c.group === group);
}

export function findCase(group: FixtureGroup, name: string): FixtureCase {
  const entry = loadManifest().cases.find((c) => c.group === group && c.case === name);
  if (!entry) {
    const names = listCases(group).map((c) => c.case).join(', ');
    throw new Error(`no fixture ${group}/${name}; ${group} has: ${names}`);
  }
  return entry;
}

export function loadCase(group: FixtureGroup, name: string): LoadedFixture {
  const entry = findCase(group, name);
  const dir = join(FIXTURES_DIR, entry.dir);
  const bytes = (file: string) => new Uint8Array(readFileSync(join(dir, file)));
  const npy = (file: string) => parseNpy(bytes(file));
  const samples = entry.files.inputs.map((inputs, i) => ({
    inputs: inputs.map(npy),
    lceOutputs: entry.files.lce_outputs[i]!.map(npy),
    kerasOutputs: entry.files.keras_outputs[i]!.map(npy),
  }));
  const loaded: LoadedFixture = { entry, dir, tflite: bytes(entry.files.tflite), samples, npy, bytes };
  if (entry.files.h5) loaded.h5Path = join(dir, entry.files.h5);
  if (entry.files.keras) loaded.kerasPath = join(dir, entry.files.keras);
  return loaded;
}
