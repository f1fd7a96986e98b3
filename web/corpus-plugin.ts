/**
 * Vite plugin (Node side): exposes the oracle corpus's MNIST BNN and QuickNet models to the page under
 * models/ — served from test/fixtures/ by the dev and preview servers, emitted as assets by `vite build`.
 * The catalog is read from test/fixtures/manifest.json on every request, so models generated while the dev
 * server runs appear on reload; cases that are listed but whose files are missing are left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { parseNpy } from '../src/format/npy.js';
import type { Catalog, CatalogModel } from './catalog.js';

/** Digits of the test set the page offers as samples (the test set itself is 2 000 digits, 6 MB). */
export const DIGIT_SAMPLES = 200;

interface ManifestTensor { name: string; shape: number[]; dtype: string }
interface ManifestCase {
  group: string;
  case: string;
  description: string;
  dir: string;
  files: { tflite: string; inputs: string[][]; test_set?: Record<string, string> };
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  zoo?: { architecture: string; input_size: number; num_classes: number };
}
interface Manifest { provenance?: { date?: string; versions?: Record<string, string> }; cases: ManifestCase[] }

/** One file the page can fetch: its catalog-relative name and how to produce its bytes. */
interface Asset { name: string; bytes: () => Uint8Array }

function float32Bytes(a: Float32Array): Uint8Array {
  // Raw little-endian float32 (every engine the page runs on is little-endian; the test checks values).
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The models of the corpus the page can show, and the files behind them. */
export function readCorpus(fixturesDir: string): { catalog: Catalog; assets: Map<string, Asset> } {
  const assets = new Map<string, Asset>();
  const manifestPath = join(fixturesDir, 'manifest.json');
  if (!existsSync(manifestPath)) return { catalog: { source: `no corpus at ${fixturesDir}`, models: [] }, assets };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const lce = manifest.provenance?.versions?.['larq-compute-engine'];
  const models: CatalogModel[] = [];
  const file = (c: ManifestCase, name: string) => join(fixturesDir, c.dir, name);
  const addTflite = (id: string, c: ManifestCase): string | null => {
    const path = file(c, c.files.tflite);
    if (!existsSync(path)) return null;
    assets.set(`${id}.tflite`, { name: `${id}.tflite`, bytes: () => new Uint8Array(readFileSync(path)) });
    return path;
  };

  for (const c of manifest.cases) {
    if (c.group === 'mnist' && c.files.test_set) {
      const id = `mnist-${c.case}`;
      const tflite = addTflite(id, c);
      const imagesPath = file(c, c.files.test_set.images ?? '');
      const labelsPath = file(c, c.files.test_set.labels ?? '');
      if (!tflite || !existsSync(imagesPath) || !existsSync(labelsPath)) continue;
      const labels = parseNpy(new Uint8Array(readFileSync(labelsPath)));
      const count = Math.min(DIGIT_SAMPLES, labels.shape[0] ?? 0);
      const pixels = 28 * 28;
      assets.set(`${id}-digits.f32`, {
        name: `${id}-digits.f32`,
        bytes: () => {
          const images = parseNpy(new Uint8Array(readFileSync(imagesPath)));
          return float32Bytes((images.data as Float32Array).slice(0, count * pixels));
        },
      });
      models.push({
        id, label: 'MNIST BNN', kind: 'digits', description: c.description, url: `models/${id}.tflite`,
        bytes: readFileSync(tflite).byteLength, input: c.inputs[0]!, classes: c.outputs[0]!.shape.at(-1) ?? 10,
        preprocessing: 'MNIST-style: ink cropped, longer side scaled to 20 px, centre of mass at the centre of ' +
          '28×28; pixels x·2 − 1 (background −1, ink +1)',
        samples: {
          url: `models/${id}-digits.f32`, count, labels: Array.from(labels.data as Int32Array).slice(0, count),
          what: `the first ${count} digits of the corpus's 2 000-digit test set`,
        },
      });
    } else if (c.group === 'zoo' && /^quicknet/i.test(c.case) && c.inputs[0]?.dtype === 'float32') {
      const id = c.case.toLowerCase();
      const tflite = addTflite(id, c);
      if (!tflite) continue;
      const inputs = c.files.inputs.map((s) => file(c, s[0]!)).filter((p) => existsSync(p));
      const size = c.zoo?.input_size ?? c.inputs[0]!.shape[1]!;
      const entry: CatalogModel = {
        id, label: c.case, kind: 'image', description: c.description, url: `models/${id}.tflite`,
        bytes: readFileSync(tflite).byteLength, input: c.inputs[0]!, classes: c.outputs[0]!.shape.at(-1) ?? 0,
        preprocessing: `centre square crop resized to ${size}×${size}; RGB/255 minus ImageNet mean, divided by its ` +
          'std (Larq Zoo preprocessing); random weights, so the classes mean nothing',
      };
      if (inputs.length > 0) {
        assets.set(`${id}-inputs.f32`, {
          name: `${id}-inputs.f32`,
          bytes: () => {
            const arrays = inputs.map((p) => parseNpy(new Uint8Array(readFileSync(p))).data as Float32Array);
            const all = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
            let at = 0;
            for (const a of arrays) { all.set(a, at); at += a.length; }
            return float32Bytes(all);
          },
        });
        entry.samples = { url: `models/${id}-inputs.f32`, count: inputs.length, what: 'the corpus inputs (N(0, 1) noise)' };
      }
      models.push(entry);
    }
  }
  // Digits first, then QuickNet small → large.
  const rank = (m: CatalogModel) => (m.kind === 'digits' ? 0 : m.bytes);
  models.sort((a, b) => rank(a) - rank(b));
  const source = `oracle corpus (test/fixtures, made with larq-compute-engine ${lce ?? '?'}` +
    `${manifest.provenance?.date ? `, ${manifest.provenance.date}` : ''})`;
  return { catalog: { source, models }, assets };
}

/** COOP/COEP make the page cross-origin isolated: SharedArrayBuffer, so wasm threads can share memory. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function corpusPlugin(fixturesDir: string): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = (req.url ?? '').split('?')[0]!;
    const m = /\/models\/([^/]+)$/.exec(path);
    if (!m) return next();
    const { catalog, assets } = readCorpus(fixturesDir);
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    if (m[1] === 'catalog.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(catalog));
      return;
    }
    const asset = assets.get(m[1]!);
    if (!asset) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.end(asset.bytes());
  };
  return {
    name: 'lce-corpus',
    configureServer(server) { server.middlewares.use(middleware); },
    configurePreviewServer(server) { server.middlewares.use(middleware); },
    generateBundle() {
      const { catalog, assets } = readCorpus(fixturesDir);
      this.emitFile({ type: 'asset', fileName: 'models/catalog.json', source: JSON.stringify(catalog) });
      for (const a of assets.values()) this.emitFile({ type: 'asset', fileName: `models/${a.name}`, source: a.bytes() });
    },
  };
}

/**
 * The wasm kernel builds (build/kernels-*.wasm, made by `npm run build:wasm`) under build/ of the site: served by
 * the dev and preview servers, emitted by `vite build`. The page hands that folder to the runtime's fetch loader.
 */
export function kernelsPlugin(buildDir: string): Plugin {
  const builds = () => (existsSync(buildDir) ? readdirSync(buildDir).filter((f) => /^kernels-[\w-]+\.wasm$/.test(f)) : []);
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const m = /\/build\/(kernels-[\w-]+\.wasm)$/.exec((req.url ?? '').split('?')[0]!);
    if (!m || !builds().includes(m[1]!)) return next();
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    res.setHeader('Content-Type', 'application/wasm');
    res.end(readFileSync(join(buildDir, m[1]!)));
  };
  return {
    name: 'lce-kernels',
    configureServer(server) { server.middlewares.use(middleware); },
    configurePreviewServer(server) { server.middlewares.use(middleware); },
    generateBundle() {
      for (const f of builds()) this.emitFile({ type: 'asset', fileName: `build/${f}`, source: readFileSync(join(buildDir, f)) });
    },
  };
}
