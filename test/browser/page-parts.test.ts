/** The page's DOM-free parts: MNIST framing, image preprocessing, top-k, op grouping, the SVG chart, the catalog. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { barChart, escapeXml } from '../../web/chart.js';
import { readCorpus } from '../../web/corpus-plugin.js';
import { groupByType, outputScores, topK } from '../../web/engine.js';
import {
  centerSquare, hasLightBackground, imagenetInput, imagenetToRgba, inkFromRgba, mnistFrame, resampleArea, scaleDigit,
} from '../../web/preprocess.js';
import { Tensor } from '../../src/index.js';
import { FIXTURES_DIR } from '../fixtures.js';

function rect(width: number, height: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) ink[y * width + x] = 1;
  return ink;
}

test('resampleArea averages the covered source area, fractional edges weighted', () => {
  const src = Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0, 1]); // 3×3
  // 3×3 → 2×2: each target covers 1.5×1.5 source pixels.
  const out = resampleArea(src, 3, 0, 0, 3, 3, 2, 2);
  const expect = (a: number) => a / 2.25;
  assert.ok(Math.abs(out[0]! - expect(1 + 0.5 * 0 + 0.5 * 1 + 0.25 * 1)) < 1e-6);
  assert.ok(Math.abs(out[3]! - expect(0.25 * 1 + 0.5 * 0 + 0.5 * 1 + 1 * 1)) < 1e-6);
  // Total ink is conserved (scaled by the area ratio).
  const total = out.reduce((a, b) => a + b, 0) * 2.25;
  assert.ok(Math.abs(total - src.reduce((a, b) => a + b, 0)) < 1e-5);
});

test('mnistFrame: longer side to 20 px, aspect kept, centre of mass at the centre', () => {
  // A 100×200 bar off to the corner of a 280×280 pad becomes 10×20 in the middle of 28×28.
  const frame = mnistFrame(rect(280, 280, 10, 30, 100, 200), 280, 280);
  let x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    if (frame[y * 28 + x]! > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  assert.deepEqual([x0, x1, y0, y1], [9, 18, 4, 23]);
  assert.equal(frame[14 * 28 + 14], 1);
  // A blank pad stays blank; scaling maps it to the background value −1.
  assert.ok(mnistFrame(new Float32Array(100), 10, 10).every((v) => v === 0));
  assert.deepEqual([...scaleDigit(Float32Array.from([0, 0.5, 1]))], [-1, 0, 1]);
});

test('mnistFrame of a corpus-style digit keeps it where MNIST put it', () => {
  // A 20×20-framed digit whose centre of mass is already central is left in place.
  const ink = rect(28, 28, 9, 4, 10, 20);
  assert.deepEqual([...mnistFrame(ink, 28, 28)], [...ink]);
});

test('ink from RGBA: white-on-black as is, dark-on-light inverted, transparent is background', () => {
  const img = { width: 2, height: 1, data: Uint8ClampedArray.from([255, 255, 255, 255, 0, 0, 0, 0]) };
  assert.deepEqual([...inkFromRgba(img, false)], [1, 0]);
  assert.deepEqual([...inkFromRgba(img, true)], [0, 0]);
  const paper = { width: 3, height: 3, data: new Uint8ClampedArray(36).fill(250) };
  assert.equal(hasLightBackground(paper), true);
  assert.equal(hasLightBackground({ width: 3, height: 3, data: new Uint8ClampedArray(36) }), false);
  // Transparent margins (an image fitted into the pad) are ignored: paper inside them is still paper.
  const fitted = new Uint8ClampedArray(36).fill(250);
  for (const x of [0, 2]) for (let y = 0; y < 3; y++) fitted.fill(0, (y * 3 + x) * 4, (y * 3 + x) * 4 + 4);
  assert.equal(hasLightBackground({ width: 3, height: 3, data: fitted }), true);
});

test('ImageNet preprocessing round-trips and centre crops are square', () => {
  const img = { width: 2, height: 1, data: Uint8ClampedArray.from([124, 116, 104, 255, 255, 0, 10, 255]) };
  const x = imagenetInput(img);
  assert.ok(Math.abs(x[0]! - (124 / 255 - 0.485) / 0.229) < 1e-6);
  assert.deepEqual([...imagenetToRgba(x, 2, 1)], [...img.data]);
  assert.deepEqual(centerSquare(640, 480), { sx: 80, sy: 0, size: 480 });
  assert.deepEqual(centerSquare(3, 5), { sx: 0, sy: 1, size: 3 });
});

test('topK ranks by score with ties to the lower index; groupByType sums per op type', () => {
  assert.deepEqual(topK([0.1, 0.5, 0.5, 0.2], 3).map((r) => r.index), [1, 2, 3]);
  assert.equal(topK([1, 2], 5).length, 2);
  const groups = groupByType([
    { index: 0, type: 'CONV_2D', outputShape: [], ms: 2 },
    { index: 1, type: 'LceBconv2d', outputShape: [], ms: 1.5 },
    { index: 2, type: 'LceBconv2d', outputShape: [], ms: 1.5 },
  ]);
  assert.deepEqual(groups, [{ type: 'LceBconv2d', count: 2, ms: 3 }, { type: 'CONV_2D', count: 1, ms: 2 }]);
});

test('outputScores dequantises int8 outputs', () => {
  const t = new Tensor('int8', Int8Array.from([-128, 0, 127]), [3]);
  const meta = { name: 'p', type: 'int8' as const, dims: [3], quantization: { scale: 1 / 256, zeroPoint: -128 } };
  assert.deepEqual(outputScores(t, meta), [0, 0.5, 255 / 256]);
});

test('barChart draws one bar per value, widths proportional, labels escaped', () => {
  const svg = barChart([{ label: 'A<b>', value: 2 }, { label: 'B', value: 1 }], { width: 400, labelWidth: 100 });
  assert.equal(svg.match(/<g class="bar"/g)?.length, 2);
  const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(widths[0], 2 * widths[1]!);
  assert.ok(svg.includes(escapeXml('A<b>')) && !svg.includes('A<b>'));
});

test('the corpus catalog lists the MNIST BNN with its samples and leaves out what is missing', () => {
  const missing = readCorpus('/nonexistent');
  assert.deepEqual(missing.catalog.models, []);
  const { catalog, assets } = readCorpus(FIXTURES_DIR);
  for (const m of catalog.models) {
    assert.ok(assets.has(m.url.replace('models/', '')), `${m.id}: its .tflite is served`);
    if (m.samples) {
      const bytes = assets.get(m.samples.url.replace('models/', ''))!.bytes();
      const per = m.input.shape.reduce((a, b) => a * b, 1);
      assert.equal(bytes.byteLength, m.samples.count * per * 4, `${m.id}: ${m.samples.count} samples of ${per} floats`);
    }
  }
  const mnist = catalog.models.find((m) => m.kind === 'digits');
  if (mnist) {
    assert.deepEqual(mnist.input.shape, [1, 28, 28, 1]);
    assert.equal(mnist.samples!.labels!.length, mnist.samples!.count);
  }
});
