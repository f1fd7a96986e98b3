/** `lce bench --html`: the self-contained report (histogram bars, op bars, escaping) and a real run on lce_net. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '../runtime/session.js';
import { benchSession, type BenchResult } from './bench.js';
import { benchReportHtml, escapeHtml, histogram } from './bench-html.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'lce-bench-html-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function handMade(): BenchResult {
  // 9 runs -> ceil(sqrt(9)) = 3 bins over [1, 4]: [1,2) x4, [2,3) x2, [3,4] x3.
  const latencies_ms = [1, 1.2, 1.5, 1.9, 2.1, 2.5, 3.5, 3.9, 4];
  return {
    model: '<x>&', threads: 2, runs: latencies_ms.length, warmup: 1,
    min_ms: 1, median_ms: 2.1, p90_ms: 4, mean_ms: latencies_ms.reduce((a, b) => a + b, 0) / latencies_ms.length,
    arena_bytes: 3 * 1048576, latencies_ms,
    ops: [
      { index: 0, type: 'LceBconv2d', output_shape: [1, 8, 8, 16], ms: 1.5, percent: 60, gops: 3.2, work_kind: 'binary' },
      { index: 1, type: 'MaxPool2D', output_shape: [1, 4, 4, 16], ms: 0.5, percent: 20, gops: 0, work_kind: 'other' },
      { index: 2, type: 'LceBconv2d', output_shape: [1, 4, 4, 32], ms: 0.5, percent: 20, gops: 1.1, work_kind: 'binary' },
    ],
  };
}

const attrs = (html: string, cls: string) =>
  [...html.matchAll(new RegExp(`<rect class="${cls}"([^>]*)>`, 'g'))].map((m) => m[1]!);
const num = (a: string, name: string) => Number(new RegExp(`\\b${name}="([^"]*)"`).exec(a)![1]);

describe('benchReportHtml', () => {
  it('bins latencies evenly', () => {
    assert.deepEqual(histogram(handMade().latencies_ms).map((b) => b.count), [4, 2, 3]);
    const same = histogram([5, 5, 5]);
    assert.equal(same.reduce((a, b) => a + b.count, 0), 3);
    assert.ok(same.every((b) => b.lo < b.hi));
    assert.deepEqual(histogram([]), []);
  });

  it('draws one histogram bar per bin with heights proportional to counts', () => {
    const html = benchReportHtml(handMade());
    const bars = attrs(html, 'hist-bar');
    assert.equal(bars.length, 3);
    assert.deepEqual(bars.map((b) => num(b, 'data-count')), [4, 2, 3]);
    const h = bars.map((b) => num(b, 'height'));
    assert.ok(h[0]! > 0);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(h[i]! / h[0]! - [1, 0.5, 0.75][i]!) < 1e-3, `bar ${i}: ${h[i]}`);
  });

  it('draws one bar per op and one per op type, lengths proportional to ms', () => {
    const html = benchReportHtml(handMade());
    const ops = attrs(html, 'op-bar');
    assert.deepEqual(ops.map((b) => num(b, 'data-op')), [0, 1, 2]);
    const w = ops.map((b) => num(b, 'width'));
    assert.ok(Math.abs(w[1]! / w[0]! - 1 / 3) < 1e-3);
    const types = attrs(html, 'type-bar');
    assert.equal(types.length, 2);
    assert.match(types[0]!, /data-type="LceBconv2d"/);
    const tw = types.map((b) => num(b, 'width'));
    assert.ok(Math.abs(tw[1]! / tw[0]! - 0.25) < 1e-3);
  });

  it('has the summary numbers, escapes text and uses no external assets', () => {
    const html = benchReportHtml(handMade());
    assert.ok(!html.includes('<x>&'), 'raw model name leaked');
    assert.ok(html.includes('&lt;x&gt;&amp;'));
    assert.equal(escapeHtml(`"'<>&`), '&quot;&#39;&lt;&gt;&amp;');
    for (const s of ['1.000 ms', '2.100 ms', '4.000 ms', '3.00 MiB', '<th>threads</th><td>2</td>']) assert.ok(html.includes(s), s);
    assert.doesNotMatch(html, /<script|<link|\bsrc=|url\(|href=/i);
    assert.match(html, /^<!DOCTYPE html>/);
  });
});

describe('benchSession -> HTML report', () => {
  it('writes a report for a real run on lce_net.tflite', async () => {
    const bytes = readFileSync(join(ROOT, 'test', 'data', 'lce_net.tflite'));
    const session = await InferenceSession.create(bytes, { backend: 'reference' });
    const result = await benchSession(session, 'lce_net.tflite', { runs: 4, warmup: 1, threads: 1 });
    await session.release();
    const out = join(tmp, 'report.html');
    writeFileSync(out, benchReportHtml(result));
    assert.ok(existsSync(out));
    const html = readFileSync(out, 'utf8');
    assert.ok(html.includes('lce_net.tflite'));
    assert.equal(attrs(html, 'op-bar').length, result.ops.length);
    assert.ok(result.ops.length > 0);
    const counts = attrs(html, 'hist-bar').map((b) => num(b, 'data-count'));
    assert.equal(counts.reduce((a, b) => a + b, 0), 4);
  });
});
