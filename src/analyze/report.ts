/** The lint report as text for people (`lce lint`, the demo) and as plain JSON for tools (`lce lint --json`). */
import type { LintFinding, LintReport } from './lint.js';

/** 1234567 → "1.23 M". */
export function fmtCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${Number((n / 1e9).toPrecision(3))} G`;
  if (a >= 1e6) return `${Number((n / 1e6).toPrecision(3))} M`;
  if (a >= 1e4) return `${Number((n / 1e3).toPrecision(3))} k`;
  return String(n);
}

export function fmtPct(x: number): string {
  const p = x * 100;
  if (p === 0) return '0 %';
  if (Math.abs(p) >= 10) return `${Number(p.toFixed(1))} %`;
  return `${Number(p.toPrecision(2))} %`;
}

function wastedText(f: LintFinding): string {
  const parts: string[] = [];
  if (f.wasted.binary > 0) parts.push(`${fmtCount(f.wasted.binary)} binary MACs`);
  if (f.wasted.float > 0) parts.push(`${fmtCount(f.wasted.float)} float ops`);
  if (parts.length === 0) return 'nothing wasted';
  return `wastes ${parts.join(' + ')} (${fmtPct(f.layerShare)} of the layer's work, ${fmtPct(f.usefulRatio)} of its useful work, ${fmtPct(f.modelShare)} of the model)`;
}

export function formatLintReport(r: LintReport): string {
  const lines: string[] = [];
  const s = r.summary;
  lines.push(`lce lint: ${r.model} (${r.source === 'keras' ? 'Keras model, as lce-js converts it' : '.tflite ops'})`);
  lines.push('');
  const byLayer = new Map<string, LintFinding[]>();
  for (const f of r.findings) byLayer.set(f.layer, [...(byLayer.get(f.layer) ?? []), f]);
  if (byLayer.size === 0) lines.push('no findings: the model follows the LCE design guide');
  for (const [layer, fs] of byLayer) {
    const l = r.layers.find((x) => x.layer === layer && x.opIndex === fs[0]?.opIndex);
    const work = l && l.useful.binary > 0 ? ` — ${fmtCount(l.useful.binary)} useful / ${fmtCount(l.executed.binary)} executed binary MACs` : '';
    lines.push(`${layer} (${fs[0]?.op ?? ''})${work}`);
    for (const f of fs) {
      lines.push(`  ${f.severity === 'warning' ? '!' : 'i'} [${f.check}] ${f.message}`);
      lines.push(`      ${wastedText(f)}`);
      lines.push(`      fix: ${f.fix}`);
    }
  }
  lines.push('');
  lines.push('summary');
  lines.push(`  binary work: ${fmtCount(s.binaryUseful)} useful, ${fmtCount(s.binaryExecuted)} executed (MACs; bit-ANDs for binary max-pool)`);
  lines.push(`  float work:  ${fmtCount(s.floatOps)} ops (MACs for conv/dense, one per element otherwise)`);
  lines.push(`  wasted:      ${fmtCount(s.wasted.binary)} binary + ${fmtCount(s.wasted.float)} float = ${fmtPct(s.wastedShare)} of ${fmtCount(s.total)}`);
  if (s.topFixes.length > 0) {
    lines.push(`  fixes that save the most:`);
    s.topFixes.forEach((f, i) => lines.push(`    ${i + 1}. ${f.layer}: ${f.fix} (saves ${fmtCount(f.saves)}, ${fmtPct(f.modelShare)} of the model) [${f.check}]`));
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** The report as JSON-ready data (numbers as numbers, nothing cyclic). */
export function lintReportJson(r: LintReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
