/**
 * The browser page (web/) in Debian's headless Chromium, driven by playwright-core (no browser download):
 * build the page with Vite, serve it on 127.0.0.1 with COOP/COEP, feed it exact test digits through its hook and
 * a digit drawn with mouse events, and check every prediction against the same model run here in Node on the same
 * input. Prints the browser latency and writes a screenshot to test-output/.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import type { CatalogModel } from '../../web/catalog.js';
import { ISOLATION_HEADERS, readCorpus } from '../../web/corpus-plugin.js';
import { ModelRunner, type Ranked } from '../../web/engine.js';
import type { PageResult } from '../../web/main.js';
import { FIXTURES_DIR } from '../fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OUTPUT = join(ROOT, 'test-output');
const SITE = join(OUTPUT, 'web-dist');
/** How many test digits go through the page's hook. */
const DIGITS = 12;

const noChromium = !existsSync(CHROMIUM) &&
  `no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium); the browser page test is skipped`;
if (noChromium) console.log(`# ${noChromium}`);

// The same corpus the page is built from (vite.config.ts reads LCE_FIXTURES too).
const corpus = readCorpus(process.env.LCE_FIXTURES ?? FIXTURES_DIR);
const mnist = corpus.catalog.models.find((m) => m.kind === 'digits');
const quicknet = corpus.catalog.models.find((m) => m.kind === 'image');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** A static server for the built page, with the headers that make it cross-origin isolated. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

function sampleInputs(model: CatalogModel): Float32Array[] {
  const bytes = corpus.assets.get(model.samples!.url.replace(/^models\//, ''))!.bytes();
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const size = all.length / model.samples!.count;
  return Array.from({ length: model.samples!.count }, (_, i) => all.slice(i * size, (i + 1) * size));
}

async function nodeRunner(model: CatalogModel): Promise<ModelRunner> {
  const bytes = corpus.assets.get(model.url.replace(/^models\//, ''))!.bytes();
  return ModelRunner.load(bytes, model.label);
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

const indices = (r: readonly Ranked[]) => r.map((x) => x.index);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('browser page in headless Chromium', { skip: noChromium }, () => {
  let server: Server;
  let browser: BrowserContext;
  let page: Page;
  let userDir: string;
  const pageErrors: string[] = [];

  before(async () => {
    const t0 = performance.now();
    await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: SITE, emptyOutDir: true } });
    const built = performance.now();
    server = await serve(SITE);
    userDir = mkdtempSync(join(tmpdir(), 'lce-chromium-'));
    // A fresh profile each run (playwright passes it to Chromium as --user-data-dir).
    browser = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 900 },
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`); });
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(() => window.lcePage.ready);
    console.log(`# page built in ${((built - t0) / 1000).toFixed(1)} s, Chromium up and page ready in ` +
      `${((performance.now() - built) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (page) {
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'web-page.png'), fullPage: true }).catch(() => undefined);
    }
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  test('the page is cross-origin isolated, names its backend and lists the corpus models', async () => {
    const shown = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      kernels: document.getElementById('backend-kernels')?.textContent ?? '',
      isolatedText: document.getElementById('isolated')?.textContent ?? '',
      threads: document.getElementById('threads')?.textContent ?? '',
      models: window.lcePage.models(),
      options: [...document.querySelectorAll('#model option')].map((o) => (o as HTMLOptionElement).value),
    }));
    assert.equal(shown.isolated, true, 'COOP/COEP should make the page cross-origin isolated');
    assert.equal(shown.isolatedText, 'yes');
    assert.match(shown.kernels, /reference|wasm/);
    console.log(`# page backend: ${shown.kernels}, ${shown.threads} thread(s)`);
    assert.deepEqual(shown.models, corpus.catalog.models.map((m) => m.id));
    assert.deepEqual(shown.options, shown.models);
    assert.deepEqual(pageErrors, []);
  });

  test('MNIST: test digits fed through the page give the same predictions as Node', { skip: !mnist && 'the corpus has no mnist case yet (npm run fixtures -- --only mnist)' }, async () => {
    const model = mnist!;
    const digits = sampleInputs(model).slice(0, DIGITS);
    const node = await nodeRunner(model);
    await page.evaluate((id) => window.lcePage.select(id), model.id);
    const browserMs: number[] = [], nodeMs: number[] = [];
    let worst = 0, correct = 0;
    for (const [i, digit] of digits.entries()) {
      const got: PageResult = await page.evaluate((x) => window.lcePage.predict(x), Array.from(digit));
      const want = await node.predict(digit, 5);
      assert.equal(got.model, model.id);
      assert.deepEqual(indices(got.top), indices(want.top), `digit ${i}: top-5 classes`);
      worst = Math.max(worst, maxAbsDiff(got.scores, want.scores));
      assert.deepEqual(got.profile.map((p) => p.type), want.profile.map((p) => p.type), 'the same ops ran');
      if (got.top[0]!.index === model.samples!.labels![i]) correct++;
      browserMs.push(got.ms);
      nodeMs.push(want.ms);
    }
    const nodeBackend = node.session.backend;
    await node.release();
    assert.ok(worst <= 1e-6, `page and Node probabilities differ by ${worst}`);
    // The shown top-1 is the page's own result, not just the hook's.
    const shownTop = await page.evaluate(() => document.querySelector('#top li')?.getAttribute('data-index'));
    assert.equal(Number(shownTop), (await page.evaluate(() => window.lcePage.last()))!.top[0]!.index);
    assert.ok(correct >= DIGITS - 2, `only ${correct}/${DIGITS} test digits classified right`);
    console.log(`# MNIST in Chromium: ${digits.length} digits, ${correct} right, identical to Node (max |Δp| ${worst.toExponential(1)}); ` +
      `latency median ${median(browserMs).toFixed(2)} ms in the browser vs ${median(nodeMs).toFixed(2)} ms in Node ` +
      `(${nodeBackend} backend)`);
    assert.deepEqual(pageErrors, []);
  });

  test('MNIST: a digit drawn with the mouse is read the way Node reads the same input', { skip: !mnist && 'the corpus has no mnist case yet' }, async () => {
    const model = mnist!;
    await page.evaluate((id) => window.lcePage.select(id), model.id);
    const box = (await page.locator('#pad').boundingBox())!;
    // A "7": a bar across the top, then the stroke down to the lower left.
    const path: [number, number][] = [[80, 70], [200, 70], [170, 130], [130, 220]];
    const at = ([x, y]: [number, number]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
    await page.mouse.move(...at(path[0]!));
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(...at(p), { steps: 12 });
    await page.mouse.up();
    await page.evaluate(() => window.lcePage.idle());
    const got = await page.evaluate(() => window.lcePage.last());
    const input = Float32Array.from(await page.evaluate(() => window.lcePage.lastInput()));
    assert.ok(got, 'drawing produced a prediction');
    assert.equal(input.length, 28 * 28);
    const inked = input.filter((v) => v > 0).length;
    assert.ok(inked > 30 && inked < 300, `the drawing became ${inked} inked pixels of 784`);
    // MNIST framing: the ink's bounding box has its longer side 20 px, its centre of mass is at the centre.
    let x0 = 28, x1 = -1, y0 = 28, y1 = -1, mass = 0, mx = 0, my = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const ink = (input[y * 28 + x]! + 1) / 2;
        if (ink <= 0) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        mass += ink; mx += ink * (x + 0.5); my += ink * (y + 0.5);
      }
    }
    assert.equal(Math.max(x1 - x0 + 1, y1 - y0 + 1), 20, `ink box ${x0}..${x1} × ${y0}..${y1}`);
    assert.ok(Math.abs(mx / mass - 14) <= 1 && Math.abs(my / mass - 14) <= 1, `centre of mass (${mx / mass}, ${my / mass})`);
    const node = await nodeRunner(model);
    const want = await node.predict(input, 5);
    await node.release();
    assert.deepEqual(indices(got.top), indices(want.top));
    assert.ok(maxAbsDiff(got.scores, want.scores) <= 1e-6);
    // The MNIST framing is what makes a pad drawing look like the training digits: the model must read the 7.
    assert.equal(got.top[0]!.index, 7, `the drawn 7 was read as ${got.top[0]!.index}`);
    console.log(`# drawn digit: page and Node both say ${got.top[0]!.index} (p ${got.top[0]!.score.toFixed(3)}), ` +
      `${got.ms.toFixed(2)} ms in the browser`);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'web-page-drawn.png'), fullPage: true });
    const bars = await page.locator('#chart-ops .bar').count();
    assert.equal(bars, got.profile.length, 'one bar per op in the chart');
    assert.ok(await page.locator('#chart-types .bar').count() >= 3);
  });

  test('MNIST: a photo-like image file (dark ink on white) is inverted, framed and read like Node reads it', { skip: !mnist && 'the corpus has no mnist case yet' }, async () => {
    const model = mnist!;
    await page.evaluate((id) => window.lcePage.select(id), model.id);
    // A 300×400 "7" in dark grey on off-white, made by the browser as a PNG, given to the file chooser.
    const png = await page.evaluate(async () => {
      const c = new OffscreenCanvas(300, 400);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#f4f1ea';
      ctx.fillRect(0, 0, 300, 400);
      ctx.strokeStyle = '#222';
      ctx.lineWidth = 30;
      ctx.lineCap = 'round';
      ctx.beginPath();
      ctx.moveTo(60, 80); ctx.lineTo(240, 80); ctx.lineTo(110, 330);
      ctx.stroke();
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return Array.from(bytes);
    });
    const before = await page.evaluate(() => window.lcePage.runs());
    await page.locator('#file').setInputFiles({ name: 'seven.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await page.waitForFunction((n) => window.lcePage.runs() > n, before, { timeout: 10_000 });
    const got = (await page.evaluate(() => window.lcePage.last()))!;
    const input = Float32Array.from(await page.evaluate(() => window.lcePage.lastInput()));
    const background = input.filter((v) => v === -1).length;
    assert.ok(background > 784 / 2, `the paper became background (${background} of 784 pixels at −1)`);
    const node = await nodeRunner(model);
    const want = await node.predict(input, 5);
    await node.release();
    assert.deepEqual(indices(got.top), indices(want.top));
    assert.equal(got.top[0]!.index, 7, `the image of a 7 was read as ${got.top[0]!.index}`);
    assert.deepEqual(pageErrors, []);
  });

  test('QuickNet: a corpus input gives the same top-5 as Node', { skip: !quicknet && 'the corpus has no QuickNet case with lce.tflite yet' }, async () => {
    const model = quicknet!;
    assert.ok(model.samples, `${model.id} has corpus inputs`);
    const input = sampleInputs(model)[0]!;
    const node = await nodeRunner(model);
    const want = await node.predict(input, 5);
    await node.release();
    await page.evaluate((id) => window.lcePage.select(id), model.id);
    const got: PageResult = await page.evaluate((x) => window.lcePage.predict(x), Array.from(input));
    assert.deepEqual(indices(got.top), indices(want.top));
    const worst = maxAbsDiff(got.scores, want.scores);
    assert.ok(worst <= 1e-5, `page and Node scores differ by ${worst}`);
    const backend = await page.evaluate(() => document.getElementById('backend')?.textContent ?? '');
    console.log(`# ${model.label} in Chromium: ${got.ms.toFixed(0)} ms (Node ${want.ms.toFixed(0)} ms), ` +
      `${got.profile.length} ops, same top-5 as Node; ${backend}`);
  });
});
