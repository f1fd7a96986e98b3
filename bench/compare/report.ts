/** bench:compare's outputs: the Markdown report and the SVG bar chart, from one run's results. */
import { ENGINE_LABELS, ENGINE_MODEL, type EngineName, type ModelWork } from './protocol.js';
import type { OutputCheck } from './check.js';

export interface CellResult {
  engine: EngineName;
  threads: number;
  model: string;
  /** Steady-state timed runs, ms: runs 2.. of every timed burst (empty when bursts are one run). */
  times: number[];
  /** The first run of every timed burst, ms: one inference after the pause. */
  firstTimes: number[];
  detail: string;
  loadMs?: number;
  error: string | null;
}

export interface Report {
  command: string;
  date: string;
  seconds: number;
  machine: { cpu: string; cores: number; memGiB: number; node: string; platform: string; loadStart: number[]; loadEnd: number[] };
  versions: Record<string, string>;
  runs: number;
  warmup: number;
  /** Pause before each burst of inferences so other engines' spinning threads are idle. */
  gapMs: number;
  /** Inferences per request, back to back, at least; the first is reported apart from the rest. */
  burst: number;
  /** ... and more until the burst took this long (ms). */
  burstMs: number;
  threads: number[];
  models: string[];
  engines: EngineName[];
  cells: CellResult[];
  checks: OutputCheck[];
  works: Record<string, ModelWork>;
  profiles: Record<string, Record<string, number>>;
  /** Best binary micro-kernel peak of the wasm build, one thread. */
  ceiling: { isa: string; variant: string; gmacsPerThread: number } | null;
}

/** Ratio an engine must reach (its median ÷ lce-js's) — the targets of issue 6. */
export const TARGETS: Partial<Record<EngineName, number>> = { lce: 5, 'ort-web': 8, 'tfjs-wasm': 8, 'ort-node': 2 };

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
export const median = (xs: readonly number[]) => quantile(xs, 0.5);

function cell(r: Report, engine: EngineName, model: string, threads: number): CellResult | undefined {
  return r.cells.find((c) => c.engine === engine && c.model === model && c.threads === threads);
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** Lower bound from the ceiling: binary MACs at the micro-kernel peak on every thread (float/int8 work ignored). */
export function ceilingMs(r: Report, model: string, threads: number): number {
  const w = r.works[model];
  if (!r.ceiling || !w) return NaN;
  return w.binaryMacs / (r.ceiling.gmacsPerThread * 1e9 * threads) * 1e3;
}

function ratio(ms: number, base: number): string {
  return Number.isFinite(base) && base > 0 ? ` (${(ms / base).toFixed(2)}×)` : '';
}

/** Which runs a table is about: steady state (runs 2.. of each burst) or the first run after the pause. */
export type Phase = 'steady' | 'first';

export function samples(c: CellResult, phase: Phase): number[] {
  return phase === 'steady' ? c.times : c.firstTimes;
}

/** The phase the headline tables, the chart and the targets use: steady state, unless every burst was one run. */
export function headlinePhase(r: Report): Phase {
  return hasSteady(r) ? 'steady' : 'first';
}

/** Some burst had more than one run (bursts of one run leave only first-after-pause samples). */
function hasSteady(r: Report): boolean {
  return r.cells.some((c) => c.times.length > 0);
}

function lceJsMedian(r: Report, model: string, threads: number, phase: Phase): number {
  const c = cell(r, 'lce-js', model, threads);
  return c && !c.error ? median(samples(c, phase)) : NaN;
}

const PHASE_TITLE: Record<Phase, string> = {
  steady: 'steady state (runs 2.. of each burst)',
  first: 'first inference after the pause',
};

export function renderMarkdown(r: Report): string {
  const L: string[] = [];
  const m = r.machine;
  L.push('# lce-js against the field', '');
  L.push(`Produced by \`${r.command}\` on ${r.date} (${r.seconds.toFixed(0)} s).`, '');
  L.push(`- Machine: ${m.cpu}, ${m.cores} cores visible, ${m.memGiB.toFixed(0)} GiB, ${m.platform}; Node ${m.node}`);
  L.push(`- Load average (1/5/15 min): ${m.loadStart.map((x) => x.toFixed(2)).join(' / ')} at the start, ${m.loadEnd.map((x) => x.toFixed(2)).join(' / ')} at the end`);
  L.push(`- Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push(`- Method: batch 1, the corpus input \`input_0.npy\`; every engine × thread count is a worker process holding its sessions; ` +
    `${r.warmup} warm-up round(s), then ${r.runs} timed rounds; each round runs every model in every worker as a burst of back-to-back inferences (at least ${r.burst}, and at least ${r.burstMs} ms) ` +
    `after a ${r.gapMs} ms pause (so no engine's spinning threads are still running), the engine order rotating each round, so load on the shared machine hits all engines alike. ` +
    (hasSteady(r)
      ? 'Medians of the timed runs, reported twice: **steady state** (runs 2.. of each burst: an application running inference after inference) ' +
        'and the **first inference after the pause** (the machine idle before it: worker threads asleep, on this VM idle vCPUs descheduled by the host). '
      : 'Medians of the timed runs, each the first inference after the pause. ') +
    'Time is the inference call only (input tensor already built, output read back).');
  L.push('- Binary engines run the LCE `.tflite` of the corpus (lce-js also its own conversion of the `.h5`); the float ' +
    'engines run the **float twin** (same architecture, shapes and weights, Larq quantizers removed: ' +
    '`tools/reference/float_twins.py`, ONNX via tf2onnx, TF.js graph model via tensorflowjs).');
  L.push('');
  const engines = r.engines;
  const phases: Phase[] = hasSteady(r) ? ['steady', 'first'] : ['first'];
  for (const phase of phases) {
    for (const t of r.threads) {
      L.push(`## ${t} thread${t > 1 ? 's' : ''}, ${PHASE_TITLE[phase]}: median ms (× lce-js: how many times slower than lce-js on the LCE .tflite)`, '');
      const head = ['model', ...engines.map((e) => e), ...(r.ceiling ? ['ceiling'] : [])];
      L.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
      for (const model of r.models) {
        const base = lceJsMedian(r, model, t, phase);
        const row = [model];
        for (const e of engines) {
          const c = cell(r, e, model, t);
          const xs = c ? samples(c, phase) : [];
          if (!c || c.error || xs.length === 0) { row.push(c?.error ? (c.error.startsWith('n/a') ? 'n/a¹' : 'failed¹') : '–'); continue; }
          const med = median(xs);
          row.push(e === 'lce-js' ? `**${fmtMs(med)}**` : `${fmtMs(med)}${ratio(med, base)}`);
        }
        if (r.ceiling) {
          const cm = ceilingMs(r, model, t);
          row.push(Number.isFinite(cm) ? `${fmtMs(cm)}${ratio(cm, base)}` : '–');
        }
        L.push(`| ${row.join(' | ')} |`);
      }
      L.push('');
    }
  }
  L.push('Engines: ' + engines.map((e) => `\`${e}\` = ${ENGINE_LABELS[e]}`).join('; ') + '.');
  if (r.ceiling) {
    L.push(`\`ceiling\` = the model's binary MACs (LceBconv2d) at the wasm binary micro-kernel peak ` +
      `(${r.ceiling.gmacsPerThread.toFixed(1)} G binary-MAC/s per thread, ${r.ceiling.variant}, ${r.ceiling.isa}, ` +
      '`bench/kernels.ts` in the same run) times the thread count: a lower bound for the binary layers alone, no float layers, no memory traffic.');
  }
  const failed = r.cells.filter((c) => c.error);
  if (failed.length) {
    L.push('', '¹ Cells without a time:');
    for (const c of failed) L.push(`- ${c.engine} / ${c.threads} thread(s) / ${c.model}: ${c.error}`);
  }
  L.push('');

  const head = headlinePhase(r);
  L.push('## Targets (issue 6)', '');
  L.push(`Judged on the ${PHASE_TITLE[head]}${hasSteady(r) ? '; the first inference after the pause is shown beside it' : ''}.`, '');
  L.push(`| model | threads | engine | needs lce-js ≥ | measured | |${hasSteady(r) ? ' first after pause |' : ''}`,
    `|---|---:|---|---:|---:|---|${hasSteady(r) ? '---:|' : ''}`);
  for (const model of r.models) {
    for (const t of r.threads) {
      const base = lceJsMedian(r, model, t, head);
      const firstBase = lceJsMedian(r, model, t, 'first');
      for (const [e, need] of Object.entries(TARGETS) as [EngineName, number][]) {
        const c = cell(r, e, model, t);
        if (!c || c.error || !Number.isFinite(base)) continue;
        if (samples(c, head).length === 0) {
          L.push(`| ${model} | ${t} | ${e} | ${need}× | n/a | no samples for the ${PHASE_TITLE[head]} (every burst one run) |${hasSteady(r) ? ' |' : ''}`);
          continue;
        }
        const ratio = median(samples(c, head)) / base;
        const first = hasSteady(r) ? ` ${(median(c.firstTimes) / firstBase).toFixed(2)}× |` : '';
        L.push(`| ${model} | ${t} | ${e} | ${need}× | ${ratio.toFixed(2)}× | ${ratio >= need ? 'met' : 'missed'} |${first}`);
      }
    }
  }
  L.push('');

  L.push('## Same input, same output', '');
  L.push('Binary engines against the LCE oracle output committed in the corpus and against the LCE interpreter in this run ' +
    '(oracle tolerance: max |diff| ≤ 1e-5 × max |reference| unless the case sets `float_tolerance`, and the same argmax); ' +
    'float engines against the Keras output of the float twin (max |diff| ≤ 1e-3 × max |reference|, same argmax).', '');
  L.push('| model | comparison | result | detail |', '|---|---|---|---|');
  for (const k of r.checks) L.push(`| ${k.model} | ${k.what} | ${k.justified ? 'justified (#5)' : k.ok ? 'ok' : '**MISMATCH**'} | ${k.message} |`);
  L.push('');

  L.push('## Where lce-js spends its time (one profiled run, 1 thread, ops unfused so each op type shows its own time)', '');
  for (const model of r.models) {
    const p = r.profiles[model];
    const w = r.works[model];
    if (!p) continue;
    const total = Object.values(p).reduce((a, b) => a + b, 0);
    const top = Object.entries(p).sort((a, b) => b[1] - a[1]).slice(0, 6);
    const bconv = p['LceBconv2d'] ?? 0;
    let line = `- **${model}** (${fmtMs(total)} ms profiled): ` + top.map(([k, v]) => `${k} ${(100 * v / total).toFixed(0)}%`).join(', ');
    if (w) {
      line += `. Work: ${(w.binaryMacs / 1e9).toFixed(2)} G binary MACs, ${(w.floatMacs / 1e9).toFixed(3)} G float MACs`;
      if (bconv > 0) line += `; LceBconv2d runs at ${(w.binaryMacs / (bconv / 1e3) / 1e9).toFixed(1)} G binary-MAC/s`;
      if (r.ceiling && bconv > 0) line += ` (${(100 * (w.binaryMacs / (bconv / 1e3) / 1e9) / r.ceiling.gmacsPerThread).toFixed(0)}% of the micro-kernel peak)`;
    }
    L.push(line + '.');
  }
  L.push('');

  L.push('## Sessions', '');
  L.push(`Median, min and p90 over the ${PHASE_TITLE[head]}; the last time column is the median first inference after the pause.`, '');
  L.push('| engine | threads | model | load s | samples | median ms | min ms | p90 ms | first ms | detail |', '|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
  for (const c of r.cells) {
    const xs = samples(c, head);
    const s = c.error || xs.length === 0 ? ['–', '–', '–', '–']
      : [fmtMs(median(xs)), fmtMs(Math.min(...xs)), fmtMs(quantile(xs, 0.9)), fmtMs(median(c.firstTimes))];
    L.push(`| ${c.engine} | ${c.threads} | ${c.model} | ${c.loadMs !== undefined ? (c.loadMs / 1e3).toFixed(1) : '–'} | ${xs.length} | ${s.join(' | ')} | ${c.error ? `failed: ${c.error}` : c.detail} |`);
  }
  L.push('');
  return L.join('\n');
}

const COLORS: Record<EngineName | 'ceiling', string> = {
  'lce-js': '#1f6feb', 'lce-js-conv': '#6ea8fe', lce: '#d9480f', 'ort-node': '#2f9e44', 'ort-web': '#94d82d',
  'tfjs-wasm': '#f59f00', ceiling: '#868e96',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped horizontal bars, one group per model × thread count, log-scale milliseconds. */
export function renderSvg(r: Report): string {
  type Bar = { key: EngineName | 'ceiling'; ms: number };
  const groups: { label: string; bars: Bar[] }[] = [];
  for (const model of r.models) {
    for (const t of r.threads) {
      const bars: Bar[] = [];
      for (const e of r.engines) {
        const c = cell(r, e, model, t);
        const xs = c ? samples(c, headlinePhase(r)) : [];
        bars.push({ key: e, ms: c && !c.error && xs.length ? median(xs) : NaN });
      }
      if (r.ceiling) bars.push({ key: 'ceiling', ms: ceilingMs(r, model, t) });
      groups.push({ label: `${model}, ${t} thread${t > 1 ? 's' : ''}`, bars });
    }
  }
  const all = groups.flatMap((g) => g.bars.map((b) => b.ms)).filter((x) => Number.isFinite(x) && x > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const left = 190, plotW = 560, barH = 11, gap = 14, top = 58;
  const nBars = groups[0]?.bars.length ?? 0;
  const groupH = nBars * barH + gap;
  const height = top + groups.length * groupH + 30;
  const width = left + plotW + 120;
  const x = (ms: number) => left + (Math.log10(ms / lo) / Math.log10(hi / lo)) * plotW;
  const S: string[] = [];
  S.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`);
  S.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  S.push(`<text x="${left}" y="18" font-size="14" font-weight="600">Median latency, batch 1, ${hasSteady(r) ? 'steady state, ' : ''}ms (log scale; shorter is faster)</text>`);
  S.push(`<text x="${left}" y="34" fill="#555">${esc(`${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, load ${r.machine.loadStart[0]!.toFixed(1)}→${r.machine.loadEnd[0]!.toFixed(1)}, ${r.runs} runs, ${r.date.slice(0, 10)}`)}</text>`);
  // Legend
  let lx = left;
  for (const k of [...r.engines, ...(r.ceiling ? ['ceiling' as const] : [])]) {
    S.push(`<rect x="${lx}" y="42" width="10" height="10" fill="${COLORS[k]}"/><text x="${lx + 13}" y="51">${esc(k)}${k !== 'ceiling' && ENGINE_MODEL[k] === 'twin' ? ' (float)' : ''}</text>`);
    lx += 13 + 7 * (k.length + (k !== 'ceiling' && ENGINE_MODEL[k] === 'twin' ? 8 : 0)) + 12;
  }
  for (let d = lo; d <= hi; d *= 10) {
    const gx = x(d);
    S.push(`<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${height - 24}" stroke="#ddd"/>`);
    S.push(`<text x="${gx.toFixed(1)}" y="${height - 10}" text-anchor="middle" fill="#555">${d >= 1 ? d.toFixed(0) : d}</text>`);
  }
  groups.forEach((g, gi) => {
    const gy = top + gi * groupH;
    S.push(`<text x="${left - 8}" y="${gy + (nBars * barH) / 2 + 4}" text-anchor="end" font-weight="600">${esc(g.label)}</text>`);
    g.bars.forEach((b, bi) => {
      const y = gy + bi * barH;
      if (!Number.isFinite(b.ms) || b.ms <= 0) {
        S.push(`<text x="${left + 4}" y="${y + barH - 2}" fill="#999">${esc(b.key)}: n/a</text>`);
        return;
      }
      const w = Math.max(1, x(b.ms) - left);
      S.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[b.key]}"><title>${esc(`${b.key}: ${fmtMs(b.ms)} ms`)}</title></rect>`);
      S.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 2}" fill="#333">${fmtMs(b.ms)}</text>`);
    });
  });
  S.push('</svg>');
  return S.join('\n') + '\n';
}
