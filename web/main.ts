/**
 * The page: pick a model from the corpus catalog, draw a digit or choose an image, see the top-k prediction, the
 * latency and where the time goes per op. `window.lcePage` is the hook the Chromium test drives.
 */
import type { Catalog, CatalogModel } from './catalog.js';
import { barChart, colours, type Bar } from './chart.js';
import { backendInfo, groupByType, ModelRunner, type Prediction, type Ranked } from './engine.js';
import {
  centerSquare, hasLightBackground, imagenetInput, imagenetToRgba, inkFromRgba, mnistFrame, scaleDigit, unscaleDigit,
} from './preprocess.js';

const TOP_K = 5;

/** What the test hook reports for one prediction. */
export interface PageResult {
  model: string;
  top: Ranked[];
  scores: number[];
  ms: number;
  profile: { index: number; type: string; ms: number }[];
}

export interface PageHook {
  /** Resolves when the catalog and the first model are loaded; rejects with the page's error. */
  ready: Promise<void>;
  models(): string[];
  select(id: string): Promise<void>;
  /** Runs the current model on exact input values (the model's input layout, already scaled). */
  predict(input: number[]): Promise<PageResult>;
  /** The input of the last prediction (e.g. what a drawing on the pad became). */
  lastInput(): number[];
  last(): PageResult | null;
  /** Predictions shown so far (to wait for one started by a UI event). */
  runs(): number;
  /** Resolves after the prediction that is running (if any) has been shown. */
  idle(): Promise<void>;
}

declare global {
  interface Window { lcePage: PageHook }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const pad = $<HTMLCanvasElement>('pad');
const preview = $<HTMLCanvasElement>('preview');
const modelSelect = $<HTMLSelectElement>('model');
const statusEl = $('status');
const padCtx = pad.getContext('2d', { willReadFrequently: true })!;

let catalog: Catalog = { source: '', models: [] };
let current: { model: CatalogModel; runner: ModelRunner } | null = null;
const samples = new Map<string, Float32Array>();
let sampleIndex = -1;
let latencies: number[] = [];
let lastInput: Float32Array = new Float32Array(0);
let lastResult: PageResult | null = null;
let runCount = 0;
/** Predictions run one after another; this is the tail of that chain. */
let busy: Promise<unknown> = Promise.resolve();

function setStatus(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
}

function showBackend(): void {
  const b = backendInfo(current?.runner.session ?? null);
  const yes = (v: boolean) => (v ? 'yes' : 'no');
  $('backend').innerHTML =
    `Backend: <b id="backend-kernels">${b.kernels}</b>, <span id="threads">${b.threads}</span> ` +
    `thread${b.threads === 1 ? '' : 's'} · wasm SIMD: ${yes(b.wasmSimd)} · ` +
    `cross-origin isolated: <b id="isolated">${yes(b.crossOriginIsolated)}</b> · SharedArrayBuffer: ${yes(b.sharedMemory)}`;
}

function clearPad(): void {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
}

function inputHW(model: CatalogModel): [number, number] {
  return [model.input.shape[1]!, model.input.shape[2]!];
}

/** Shows a model input as a picture on the small preview canvas (and, scaled up, on the pad if asked). */
function showInput(input: Float32Array, onPad: boolean): void {
  if (!current) return;
  const [h, w] = inputHW(current.model);
  preview.width = w;
  preview.height = h;
  const ctx = preview.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  if (current.model.kind === 'digits') {
    const ink = unscaleDigit(input);
    for (let i = 0; i < w * h; i++) {
      const v = Math.round(ink[i]! * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
  } else {
    img.data.set(imagenetToRgba(input, w, h));
  }
  ctx.putImageData(img, 0, 0);
  if (onPad) {
    clearPad();
    padCtx.imageSmoothingEnabled = current.model.kind === 'image';
    padCtx.drawImage(preview, 0, 0, pad.width, pad.height);
  }
}

function isDistribution(scores: number[]): boolean {
  const sum = scores.reduce((a, b) => a + b, 0);
  return scores.every((s) => s >= 0 && s <= 1) && Math.abs(sum - 1) < 1e-3;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function showPrediction(model: CatalogModel, p: Prediction, truth: number | null): void {
  const probs = isDistribution(p.scores);
  const name = (i: number) => (model.kind === 'digits' ? `digit ${i}` : `class ${i}`);
  const max = Math.max(1e-12, ...p.top.map((r) => Math.abs(r.score)));
  $('top').innerHTML = p.top.map((r) =>
    `<li data-index="${r.index}"><span>${name(r.index)}</span>` +
    `<span class="bar" style="width:${((100 * Math.abs(r.score)) / max).toFixed(1)}%"></span>` +
    `<span>${probs ? `${(100 * r.score).toFixed(1)} %` : r.score.toFixed(3)}</span></li>`).join('');
  $('truth').textContent = truth === null ? '' : `Label of this test sample: ${truth}`;
  latencies.push(p.ms);
  const opsMs = p.profile.reduce((a, o) => a + o.ms, 0);
  $('latency').innerHTML =
    `Latency: <b id="latency-ms">${p.ms.toFixed(2)} ms</b> this run · median ${median(latencies).toFixed(2)} ms ` +
    `over ${latencies.length} run${latencies.length === 1 ? '' : 's'} · ${opsMs.toFixed(2)} ms inside ${p.profile.length} ops`;
  const types = groupByType(p.profile);
  const typeBars: Bar[] = types.map((t) => ({
    label: `${t.type} ×${t.count}`, value: t.ms, group: t.type,
    note: `${t.ms.toFixed(2)} ms · ${opsMs > 0 ? ((100 * t.ms) / opsMs).toFixed(1) : '0'} %`,
  }));
  const palette = colours(types.map((t) => t.type));
  $('chart-types').innerHTML = barChart(typeBars, { title: 'Time by op type (this run)', palette });
  const opBars: Bar[] = p.profile.map((o) => ({ label: `#${o.index} ${o.type}`, value: o.ms, group: o.type }));
  $('chart-ops').innerHTML = barChart(opBars, {
    title: `Time per op, in execution order (${p.profile.length} ops)`, rowHeight: 16, palette,
  });
}

async function run(input: Float32Array, truth: number | null, onPad: boolean): Promise<PageResult> {
  const job = busy.then(async () => {
    if (!current) throw new Error('no model is loaded');
    const { model, runner } = current;
    lastInput = input;
    showInput(input, onPad);
    setStatus(`running ${model.label}…`);
    // Let the status paint before a long synchronous run.
    await new Promise((r) => setTimeout(r, 0));
    const p = await runner.predict(input, TOP_K);
    showPrediction(model, p, truth);
    setStatus(`${model.label}: done`);
    lastResult = {
      model: model.id, top: p.top, scores: p.scores, ms: p.ms,
      profile: p.profile.map((o) => ({ index: o.index, type: o.type, ms: o.ms })),
    };
    runCount++;
    return lastResult;
  });
  busy = job.catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));
  return job;
}

async function loadSamples(model: CatalogModel): Promise<Float32Array | null> {
  if (!model.samples) return null;
  const cached = samples.get(model.id);
  if (cached) return cached;
  const res = await fetch(model.samples.url);
  if (!res.ok) throw new Error(`cannot fetch ${model.samples.url}: HTTP ${res.status}`);
  const data = new Float32Array(await res.arrayBuffer());
  samples.set(model.id, data);
  return data;
}

async function select(id: string): Promise<void> {
  const model = catalog.models.find((m) => m.id === id);
  if (!model) throw new Error(`no model '${id}' in the catalog (have: ${catalog.models.map((m) => m.id).join(', ')})`);
  const job = busy.then(async () => {
    setStatus(`loading ${model.label} (${(model.bytes / 1024).toFixed(0)} KiB)…`);
    const t0 = performance.now();
    const runner = await ModelRunner.load(model.url, model.label, new URL('build/', document.baseURI));
    if (current) await current.runner.release();
    current = { model, runner };
    showBackend();
    latencies = [];
    sampleIndex = -1;
    lastResult = null;
    modelSelect.value = id;
    pad.classList.toggle('image', model.kind === 'image');
    $('hint').textContent = model.kind === 'digits'
      ? 'Draw a digit with the mouse or a finger; it is read when you lift the pen.'
      : 'Choose an image file, or run the next test sample.';
    $('model-info').textContent = `${model.label}: ${model.description}. Input [${runner.input.dims.join(', ')}], ` +
      `${model.classes} classes, ${(model.bytes / 1024).toFixed(0)} KiB. Preprocessing: ${model.preprocessing}.`;
    $('sample').toggleAttribute('disabled', !model.samples);
    $('top').innerHTML = '';
    $('latency').textContent = '';
    $('truth').textContent = '';
    $('chart-types').innerHTML = '';
    $('chart-ops').innerHTML = '';
    clearPad();
    setStatus(`${model.label} loaded in ${(performance.now() - t0).toFixed(0)} ms`);
  });
  busy = job.catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));
  return job;
}

async function nextSample(): Promise<void> {
  if (!current) return;
  const model = current.model;
  const data = await loadSamples(model);
  if (!data || !model.samples) return;
  sampleIndex = (sampleIndex + 1) % model.samples.count;
  const size = data.length / model.samples.count;
  const input = data.slice(sampleIndex * size, (sampleIndex + 1) * size);
  await run(input, model.samples.labels?.[sampleIndex] ?? null, true);
}

function padDigitInput(): Float32Array {
  const img = padCtx.getImageData(0, 0, pad.width, pad.height);
  return scaleDigit(mnistFrame(inkFromRgba(img, false), img.width, img.height));
}

async function fromFile(file: File): Promise<void> {
  if (!current) return;
  const bitmap = await createImageBitmap(file);
  const model = current.model;
  const [h, w] = inputHW(model);
  if (model.kind === 'digits') {
    // Fit the image into a 280×280 canvas, read its ink (dark-on-light photos are inverted), normalise like MNIST.
    const c = new OffscreenCanvas(pad.width, pad.height);
    const ctx = c.getContext('2d', { willReadFrequently: true })!;
    const s = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
    const dw = bitmap.width * s, dh = bitmap.height * s;
    ctx.fillStyle = '#fff';
    ctx.drawImage(bitmap, (pad.width - dw) / 2, (pad.height - dh) / 2, dw, dh);
    const img = ctx.getImageData(0, 0, pad.width, pad.height);
    const ink = inkFromRgba(img, hasLightBackground(img));
    await run(scaleDigit(mnistFrame(ink, img.width, img.height)), null, true);
  } else {
    const { sx, sy, size } = centerSquare(bitmap.width, bitmap.height);
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, sx, sy, size, size, 0, 0, w, h);
    await run(imagenetInput(ctx.getImageData(0, 0, w, h)), null, true);
  }
  bitmap.close();
}

function wirePad(): void {
  let drawing = false;
  const point = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    if (current?.model.kind !== 'digits') return;
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    const [x, y] = point(e);
    padCtx.strokeStyle = '#fff';
    padCtx.fillStyle = '#fff';
    padCtx.lineWidth = 22;
    padCtx.lineCap = 'round';
    padCtx.lineJoin = 'round';
    padCtx.beginPath();
    padCtx.arc(x, y, padCtx.lineWidth / 2, 0, Math.PI * 2);
    padCtx.fill();
    padCtx.beginPath();
    padCtx.moveTo(x, y);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = point(e);
    padCtx.lineTo(x, y);
    padCtx.stroke();
    padCtx.beginPath();
    padCtx.moveTo(x, y);
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    void run(padDigitInput(), null, false);
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
}

async function start(): Promise<void> {
  showBackend();
  clearPad();
  wirePad();
  const res = await fetch('models/catalog.json');
  if (!res.ok) throw new Error(`cannot fetch the model catalog: HTTP ${res.status}`);
  catalog = (await res.json()) as Catalog;
  $('source').textContent = `Models from the ${catalog.source}.`;
  if (catalog.models.length === 0) throw new Error('the corpus has no MNIST or QuickNet model yet (npm run fixtures)');
  modelSelect.innerHTML = catalog.models
    .map((m) => `<option value="${m.id}">${m.label} (${(m.bytes / 1024).toFixed(0)} KiB)</option>`).join('');
  modelSelect.addEventListener('change', () => { void select(modelSelect.value); });
  $('clear').addEventListener('click', () => {
    clearPad();
    $('top').innerHTML = '';
    $('truth').textContent = '';
  });
  $('sample').addEventListener('click', () => { void nextSample(); });
  const fileInput = $<HTMLInputElement>('file');
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void fromFile(f).catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));
  });
  await select(catalog.models[0]!.id);
  if (!current) throw new Error(statusEl.textContent ?? 'the first model did not load');
}

const ready = start();
ready.catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));

window.lcePage = {
  ready,
  models: () => catalog.models.map((m) => m.id),
  select,
  predict: (input) => run(Float32Array.from(input), null, true),
  lastInput: () => Array.from(lastInput),
  last: () => lastResult,
  runs: () => runCount,
  idle: () => busy.then(() => undefined),
};
