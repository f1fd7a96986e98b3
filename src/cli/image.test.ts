/** `lce run --image`: PNG/JPEG decoding, bilinear resize, channel conversion, preprocessing, quantization, the CLI path. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { LceError } from '../errors.js';
import '../node.js';
import { decodeImage, imageToInput, normalize, quantize, readImage, resizeBilinear, toChannels, topK, type RgbaImage } from './image.js';
import { runRun } from './run.js';

const MNIST = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures', 'mnist', 'bnn', 'lce.tflite');
const tmp = mkdtempSync(join(tmpdir(), 'lce-image-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function rgba(width: number, height: number, f: (x: number, y: number) => [number, number, number, number?]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const [r, g, b, a = 255] = f(x, y);
    data.set([r, g, b, a], (y * width + x) * 4);
  }
  return { width, height, data };
}
function pngBytes(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png);
}

/** Runs `lce run` in-process with captured output; LceErrors become exit 1, as main() does. */
async function capture(argv: string[], errTTY = false): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, errTTY };
  try {
    return { code: await runRun(argv, io), out, err };
  } catch (e) {
    if (!(e instanceof LceError)) throw e;
    return { code: 1, out, err: err + e.message };
  }
}

describe('image decoding', () => {
  it('round-trips a PNG exactly', () => {
    const img = rgba(5, 3, (x, y) => [x * 40, y * 90, 7, 200]);
    const back = decodeImage(pngBytes(img), 'a.png');
    assert.equal(back.width, 5);
    assert.equal(back.height, 3);
    assert.deepEqual(Array.from(back.data), Array.from(img.data));
  });

  it('decodes a JPEG (lossy: flat colour within a few levels)', () => {
    const img = rgba(16, 16, () => [200, 100, 50]);
    const bytes = jpeg.encode({ width: 16, height: 16, data: Buffer.from(img.data) }, 95).data;
    const back = decodeImage(bytes, 'a.jpg');
    assert.equal(back.width, 16);
    for (let i = 0; i < back.data.length; i += 4) {
      assert.ok(Math.abs(back.data[i]! - 200) <= 3 && Math.abs(back.data[i + 1]! - 100) <= 3 && Math.abs(back.data[i + 2]! - 50) <= 3);
    }
  });

  it('reports unsupported, corrupt and unreadable files with the file name', async () => {
    assert.throws(() => decodeImage(new TextEncoder().encode('GIF89a....'), 'x.gif'),
      (e: unknown) => e instanceof LceError && e.code === 'INPUT' && /x\.gif: unsupported image format/.test(e.message));
    const truncated = pngBytes(rgba(4, 4, () => [1, 2, 3])).subarray(0, 30);
    assert.throws(() => decodeImage(truncated, 'bad.png'), (e: unknown) => e instanceof LceError && e.code === 'INPUT' && /bad\.png/.test(e.message));
    const missing = join(tmp, 'missing.png');
    await assert.rejects(readImage(missing), (e: unknown) => e instanceof LceError && e.code === 'IO' && e.message.includes(missing));
  });
});

describe('resize, channels, preprocessing', () => {
  it('bilinear with half-pixel centres: 2×1 → 4×1 and identity', () => {
    const img = rgba(2, 1, (x) => [x === 0 ? 0 : 100, 0, 0]);
    const r = resizeBilinear(img, 4, 1, 'fit');
    assert.deepEqual(Array.from(r.data).filter((_, i) => i % 3 === 0), [0, 25, 75, 100]);
    const same = rgba(3, 2, (x, y) => [x * 10 + y, 5, 9]);
    assert.deepEqual(Array.from(resizeBilinear(same, 3, 2).data), [0, 5, 9, 10, 5, 9, 20, 5, 9, 1, 5, 9, 11, 5, 9, 21, 5, 9]);
  });

  it('crop takes the centred square, fit squeezes the whole image', () => {
    // 4×2: columns 0 and 3 are 255 (red), the middle two 0.
    const img = rgba(4, 2, (x) => [x === 0 || x === 3 ? 255 : 0, 0, 0]);
    assert.deepEqual(Array.from(resizeBilinear(img, 2, 2, 'crop').data).filter((_, i) => i % 3 === 0), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(resizeBilinear(img, 2, 2, 'fit').data).filter((_, i) => i % 3 === 0), [127.5, 127.5, 127.5, 127.5]);
  });

  it('grayscale is BT.601 luma; normalisation formulas; int8 quantization', () => {
    const f = resizeBilinear(rgba(1, 1, () => [255, 0, 0]), 1, 1);
    assert.ok(Math.abs(toChannels(f, 1).data[0]! - 0.299 * 255) < 1e-4);
    const px = { width: 2, height: 1, channels: 3, data: Float32Array.from([0, 51, 255, 255, 102, 0]) };
    assert.deepEqual(Array.from(normalize(px)), Array.from(Float32Array.from([0, 0.2, 1, 1, 0.4, 0])));
    assert.deepEqual(Array.from(normalize(px, { scale: 2, offset: -1 })), Array.from(Float32Array.from([-1, -0.6, 1, 1, -0.2, -1])));
    const m = normalize(px, { mean: [0.5, 0.2, 0], std: [0.5, 0.2, 1] });
    assert.deepEqual(Array.from(m), Array.from(Float32Array.from([-1, 0, 1, 1, 1, 0])));
    assert.throws(() => normalize(px, { mean: [0.5, 0.5], std: [1] }), LceError);
    assert.deepEqual(Array.from(quantize(Float32Array.from([-1, 0, 0.5, 2]), 'int8', { scale: 1 / 127, zeroPoint: 0 })), [-127, 0, 64, 127]);
    const meta = { name: 'x', type: 'int8' as const, dims: [1, 1, 2, 3], quantization: { scale: 1 / 255, zeroPoint: -128 } };
    const q = imageToInput(rgba(2, 1, (x) => (x === 0 ? [0, 0, 0] : [255, 255, 255])), meta);
    assert.deepEqual(Array.from(q), [-128, -128, -128, 127, 127, 127]);
    assert.deepEqual(topK([0.1, 0.5, 0.2, 0.5], 3), [{ index: 1, score: 0.5 }, { index: 3, score: 0.5 }, { index: 2, score: 0.2 }]);
  });
});

describe('lce run --image (mnist BNN)', () => {
  // A white "1" on black, drawn larger than 28×28 so the resize matters.
  const digit = rgba(56, 56, (x, y) => (x >= 26 && x <= 30 && y >= 8 && y <= 48 ? [255, 255, 255] : [0, 0, 0]));
  const file = join(tmp, 'one.png');
  writeFileSync(file, pngBytes(digit));

  it('prints the top 5 for a drawn digit', async () => {
    const labels = join(tmp, 'labels.txt');
    writeFileSync(labels, ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].join('\n') + '\n');
    const r = await capture([MNIST, '--image', file, '--scale', '2', '--offset=-1', '--labels', labels]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines[0], file);
    assert.equal(lines.length, 6);
    for (const [j, l] of lines.slice(1).entries()) assert.match(l, new RegExp(`^  ${j + 1}\\. (zero|one|two|three|four|five|six|seven|eight|nine)  -?[0-9.e+-]+$`));
    assert.match(lines[1]!, /1\. one /);
  });

  it('runs a folder (JSON), skipping non-images and reporting bad ones', async () => {
    const dir = join(tmp, 'folder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.png'), pngBytes(digit));
    writeFileSync(join(dir, 'b.jpg'), jpeg.encode({ width: 56, height: 56, data: Buffer.from(digit.data) }, 90).data);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const r = await capture([MNIST, '--image', dir, '--top', '3', '--json', '--scale', '2', '--offset=-1']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { results: { file: string; top: { index: number }[] }[] };
    assert.deepEqual(j.results.map((x) => x.top.length), [3, 3]);
    writeFileSync(join(dir, 'c.png'), 'not a png');
    const r2 = await capture([MNIST, '--image', dir], true);
    assert.equal(r2.code, 1);
    assert.match(r2.err, /c\.png: unsupported image format/);
    assert.match(r2.out, /2 image\(s\) classified, 1 failed/);
    assert.match(r2.err, /\] 3\/3/);
  });
});
