/**
 * `lce bench model.tflite [--threads N] [--runs R] [--warmup W] [--json] [--html report.html]`: latency (min / median / p90) over R timed
 * runs after W warm-up runs, and a per-op profile (averaged over the timed runs) with G ops/s.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { InferenceSession, type OpProfile, type OpSummary } from '../runtime/session.js';
import type { Tensor } from '../runtime/tensor.js';
import { randomTensor } from './run.js';
import { writeFileSync } from 'node:fs';
import { benchReportHtml } from './bench-html.js';

export interface BenchResult {
  model: string;
  threads: number;
  runs: number;
  warmup: number;
  min_ms: number;
  median_ms: number;
  p90_ms: number;
  mean_ms: number;
  arena_bytes: number;
  latencies_ms: number[];
  /**
   * Per op; a fused step's time is its first op's (its `gops` then counts only that op's work), and the step's other
   * ops have ms 0 and `fused_into` = that first op's index.
   */
  ops: { index: number; type: string; output_shape: number[]; ms: number; percent: number; gops: number; work_kind: string; fused_into?: number }[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export async function benchSession(
  session: InferenceSession, name: string, opts: { runs: number; warmup: number; threads: number; onProgress?: (done: number, total: number) => void },
): Promise<BenchResult> {
  const feeds: Record<string, Tensor> = {};
  session.inputMetadata.forEach((m, i) => { feeds[m.name] = randomTensor(m, 1 + i); });
  const total = opts.warmup + opts.runs;
  for (let i = 0; i < opts.warmup; i++) { await session.run(feeds); opts.onProgress?.(i + 1, total); }
  const latencies: number[] = [];
  const summaries: OpSummary[] = session.opSummaries();
  const opMs = new Float64Array(summaries.length);
  const fusedInto = new Map<number, number>();
  const profile: OpProfile[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    await session.run(feeds, { profile });
    latencies.push(performance.now() - t0);
    for (const p of profile) {
      opMs[p.index] += p.ms;
      if (p.fusedInto !== undefined) fusedInto.set(p.index, p.fusedInto);
    }
    opts.onProgress?.(opts.warmup + i + 1, total);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const opTotal = opMs.reduce((a, b) => a + b, 0) / opts.runs;
  return {
    // the threads the session runs on: fewer than asked when no op is worth splitting (WasmBackend.start)
    model: name, threads: session.threads, runs: opts.runs, warmup: opts.warmup,
    min_ms: sorted[0]!, median_ms: percentile(sorted, 50), p90_ms: percentile(sorted, 90),
    mean_ms: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    arena_bytes: session.arenaBytes,
    latencies_ms: latencies,
    ops: summaries.map((s) => {
      const ms = opMs[s.index]! / opts.runs;
      return {
        index: s.index, type: s.type, output_shape: [...s.outputShape], ms,
        percent: opTotal > 0 ? (100 * ms) / opTotal : 0,
        gops: ms > 0 ? s.work.ops / (ms * 1e6) : 0,
        work_kind: s.work.kind,
        ...(fusedInto.has(s.index) ? { fused_into: fusedInto.get(s.index)! } : {}),
      };
    }),
  };
}

export function formatBench(r: BenchResult): string {
  const lines = [
    `${r.model}: ${r.runs} runs after ${r.warmup} warm-up, ${r.threads} thread(s)`,
    `latency ms: min ${r.min_ms.toFixed(2)}  median ${r.median_ms.toFixed(2)}  p90 ${r.p90_ms.toFixed(2)}  mean ${r.mean_ms.toFixed(2)}`,
    `arena: ${(r.arena_bytes / 1048576).toFixed(2)} MiB`,
    '',
    '  op  type                  output shape          ms       %     G ops/s',
  ];
  const stepOps = new Map<number, number[]>();
  for (const o of r.ops) if (o.fused_into !== undefined) stepOps.set(o.fused_into, [...(stepOps.get(o.fused_into) ?? []), o.index]);
  for (const o of r.ops) {
    const head = `${String(o.index).padStart(4)}  ${o.type.padEnd(20)}  ${`[${o.output_shape.join(',')}]`.padEnd(18)}`;
    if (o.fused_into !== undefined) {
      lines.push(`${head}    (runs in op ${o.fused_into}'s fused step)`);
      continue;
    }
    const others = stepOps.get(o.index);
    lines.push(`${head} ${o.ms.toFixed(3).padStart(8)} ${o.percent.toFixed(1).padStart(6)} ${(o.work_kind === 'other' ? '' : o.gops.toFixed(2)).padStart(10)}` +
      (others ? `  (fused step: + op ${others.join(', ')})` : ''));
  }
  const byType = new Map<string, number>();
  for (const o of r.ops) byType.set(o.type, (byType.get(o.type) ?? 0) + o.percent);
  lines.push('', (stepOps.size ? 'by op type (a fused step counted under its first op): ' : 'by op type: ') + [...byType].sort((a, b) => b[1] - a[1]).map(([t, p]) => `${t} ${p.toFixed(1)}%`).join(', '));
  return lines.join('\n') + '\n';
}

export async function runBench(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      threads: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' },
    },
  });
  const path = positionals[0];
  if (!path) {
    process.stderr.write('usage: lce bench model.tflite [--threads N] [--runs R] [--warmup W] [--json] [--html report.html]\n');
    return 2;
  }
  const int = (v: string | undefined, d: number, what: string, min: number) => {
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < min) throw new InputError(`--${what} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const runs = int(values.runs, 20, 'runs', 1);
  const warmup = int(values.warmup, 3, 'warmup', 0);
  const threads = int(values.threads, 1, 'threads', 1);
  if (values.html === '') throw new InputError('--html needs a file path');
  const session = await InferenceSession.create(path, { numThreads: threads });
  const progress = !values.json && process.stderr.isTTY
    ? (done: number, total: number) => { process.stderr.write(`\r${bar(done / total)} ${done}/${total} runs`); if (done === total) process.stderr.write('\n'); }
    : undefined;
  const result = await benchSession(session, path, { runs, warmup, threads, ...(progress ? { onProgress: progress } : {}) });
  await session.release();
  if (values.html !== undefined) {
    writeFileSync(values.html, benchReportHtml(result));
    process.stderr.write(`wrote ${values.html}\n`);
  }
  if (values.json) {
    const { latencies_ms: _l, ...rest } = result;
    process.stdout.write(JSON.stringify({ ...rest, ops: result.ops.map((o) => ({ index: o.index, type: o.type, ms: o.ms, gops: o.gops, output_shape: o.output_shape, percent: o.percent })) }) + '\n');
  } else {
    process.stdout.write(formatBench(result));
  }
  return 0;
}

export function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
