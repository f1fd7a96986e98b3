/**
 * `lce bench --html report.html`: a self-contained HTML report of a BenchResult (inline SVG and CSS, no external
 * assets, no scripts): summary numbers, a latency histogram of the timed runs, time per op and time per op type.
 * Every piece of text that comes from the result is escaped.
 */
import type { BenchResult } from './bench.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface HistogramBin { lo: number; hi: number; count: number }

/** Equal-width bins over [min, max] of the values; default bin count ceil(sqrt(n)) clamped to [1, 30]. */
export function histogram(values: readonly number[], bins?: number): HistogramBin[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [];
  const n = bins ?? Math.min(30, Math.max(1, Math.ceil(Math.sqrt(finite.length))));
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) { lo -= 0.5 * (Math.abs(lo) * 0.01 || 0.001); hi = 2 * hi - lo; }
  const width = (hi - lo) / n;
  const out: HistogramBin[] = Array.from({ length: n }, (_, i) => ({ lo: lo + i * width, hi: i === n - 1 ? hi : lo + (i + 1) * width, count: 0 }));
  for (const v of finite) out[Math.min(n - 1, Math.max(0, Math.floor((v - lo) / width)))]!.count++;
  return out;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function histogramSvg(latencies: readonly number[]): string {
  const bins = histogram(latencies);
  if (bins.length === 0) return '<p>No timed runs.</p>';
  const W = 640, H = 220, padL = 40, padB = 36, padT = 10, padR = 10;
  const plotW = W - padL - padR, plotH = H - padT - padB;
  const maxCount = Math.max(...bins.map((b) => b.count));
  const bw = plotW / bins.length;
  const parts: string[] = [];
  parts.push(`<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency histogram">`);
  parts.push(`<line x1="${padL}" y1="${padT + plotH}" x2="${W - padR}" y2="${padT + plotH}" stroke="#444"/>`);
  parts.push(`<line x1="${padL}" y1="${padT}" x2="${padL}" y2="${padT + plotH}" stroke="#444"/>`);
  parts.push(`<text x="${padL - 4}" y="${padT + 10}" text-anchor="end" font-size="10">${maxCount}</text>`);
  parts.push(`<text x="${padL - 4}" y="${padT + plotH}" text-anchor="end" font-size="10">0</text>`);
  bins.forEach((b, i) => {
    const h = maxCount > 0 ? (b.count / maxCount) * plotH : 0;
    const x = padL + i * bw;
    parts.push(`<rect class="hist-bar" data-count="${b.count}" x="${fmt(x + 1, 3)}" y="${fmt(padT + plotH - h, 3)}" width="${fmt(Math.max(1, bw - 2), 3)}" height="${fmt(h, 3)}" fill="#4a7bd0"><title>${fmt(b.lo, 3)}–${fmt(b.hi, 3)} ms: ${b.count} run(s)</title></rect>`);
  });
  parts.push(`<text x="${padL}" y="${H - 18}" font-size="10">${fmt(bins[0]!.lo, 3)}</text>`);
  parts.push(`<text x="${W - padR}" y="${H - 18}" text-anchor="end" font-size="10">${fmt(bins[bins.length - 1]!.hi, 3)}</text>`);
  parts.push(`<text x="${padL + plotW / 2}" y="${H - 4}" text-anchor="middle" font-size="11">latency (ms)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** Horizontal bar chart: one row per item, bar length proportional to ms. */
function barsSvg(cls: string, rows: { label: string; ms: number; percent: number; attr: string }[]): string {
  if (rows.length === 0) return '<p>No ops.</p>';
  const rowH = 18, labelW = 260, barW = 300, valW = 130, W = labelW + barW + valW;
  const H = rows.length * rowH + 4;
  const maxMs = Math.max(...rows.map((r) => r.ms), 0);
  const parts = [`<svg class="${cls}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`];
  rows.forEach((r, i) => {
    const y = 2 + i * rowH;
    const w = maxMs > 0 ? (r.ms / maxMs) * barW : 0;
    const label = escapeHtml(r.label);
    parts.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end" font-size="11">${label}</text>`);
    parts.push(`<rect class="${cls}-bar" ${r.attr} x="${labelW}" y="${y + 2}" width="${fmt(w, 3)}" height="${rowH - 5}" fill="#d08a4a"><title>${label}: ${fmt(r.ms, 3)} ms (${fmt(r.percent, 1)}%)</title></rect>`);
    parts.push(`<text x="${labelW + w + 4}" y="${y + 13}" font-size="11">${fmt(r.ms, 3)} ms · ${fmt(r.percent, 1)}%</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function benchReportHtml(result: BenchResult): string {
  const e = escapeHtml;
  const byType = new Map<string, { ms: number; percent: number; count: number }>();
  for (const o of result.ops) {
    const t = byType.get(o.type) ?? { ms: 0, percent: 0, count: 0 };
    t.ms += o.ms; t.percent += o.percent; t.count++;
    byType.set(o.type, t);
  }
  const typeRows = [...byType].sort((a, b) => b[1].ms - a[1].ms)
    .map(([type, t]) => ({ label: `${type} (×${t.count})`, ms: t.ms, percent: t.percent, attr: `data-type="${e(type)}"` }));
  const opRows = result.ops.map((o) => ({ label: `#${o.index} ${o.type} [${o.output_shape.join(',')}]`, ms: o.ms, percent: o.percent, attr: `data-op="${o.index}"` }));
  const summary: [string, string][] = [
    ['model', result.model],
    ['threads', String(result.threads)],
    ['runs', `${result.runs} timed after ${result.warmup} warm-up`],
    ['min', `${fmt(result.min_ms, 3)} ms`],
    ['median', `${fmt(result.median_ms, 3)} ms`],
    ['p90', `${fmt(result.p90_ms, 3)} ms`],
    ['mean', `${fmt(result.mean_ms, 3)} ms`],
    ['arena', `${fmt(result.arena_bytes / 1048576, 2)} MiB (${result.arena_bytes} bytes)`],
  ];
  const opTable = result.ops.map((o) => `<tr><td>${o.index}</td><td>${e(o.type)}</td><td>[${e(o.output_shape.join(','))}]</td><td>${fmt(o.ms, 3)}</td><td>${fmt(o.percent, 1)}</td><td>${o.work_kind === 'other' ? '' : fmt(o.gops, 2)}</td></tr>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lce bench: ${e(result.model)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #ddd; }
table.ops td:nth-child(n+4) { text-align: right; }
svg text { font-family: system-ui, sans-serif; fill: #222; }
</style>
</head>
<body>
<h1>lce bench: ${e(result.model)}</h1>
<h2>Summary</h2>
<table class="summary">
${summary.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('\n')}
</table>
<h2>Latency histogram (${result.latencies_ms.length} timed runs)</h2>
${histogramSvg(result.latencies_ms)}
<h2>Time per op type</h2>
${barsSvg('type', typeRows)}
<h2>Time per op (mean over timed runs)</h2>
${barsSvg('op', opRows)}
<table class="ops">
<tr><th>op</th><th>type</th><th>output shape</th><th>ms</th><th>%</th><th>G ops/s</th></tr>
${opTable}
</table>
</body>
</html>
`;
}
