/** `lce inspect model.tflite [--json]`: what is in a model file, op by op. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LceError } from '../errors.js';
import { bytesPerElement, shapeSize } from '../graph/dtype.js';
import type { Model } from '../graph/model.js';
import { opTypeName, readModel } from '../format/read.js';
import { decodeFlexMap } from '../format/flexbuffer.js';
import { createReferenceRegistry } from '../ops/registry.js';
import { Interpreter } from '../runtime/interpreter.js';

export interface InspectReport {
  model: string;
  description: string;
  ops: { index: number; type: string; inputs: number[]; outputs: number[]; options: Record<string, unknown> }[];
  tensors: { index: number; name: string; dtype: string; shape: number[]; bytes: number; constant: boolean; quantization?: { scale: number[]; zero_point: number[]; quantized_dimension: number } }[];
  inputs: number[];
  outputs: number[];
  op_counts: Record<string, number>;
  arena_bytes: number | null;
  /** Why arena_bytes is null (the model does not prepare in this build). */
  arena_error?: string;
}

export function inspectModel(model: Model, name: string): InspectReport {
  const sg = model.subgraphs[0];
  if (!sg) throw new LceError('MODEL_INVALID', `${name}: the model has no subgraph`);
  const ops = sg.operators.map((op, index) => {
    const code = model.operatorCodes[op.opcodeIndex]!;
    const type = opTypeName(code);
    let options: Record<string, unknown> = {};
    if (op.builtinOptions) options = { ...op.builtinOptions };
    else if (op.customOptions && op.customOptions.byteLength > 0) {
      try {
        options = decodeFlexMap(op.customOptions, `${type} (op ${index})`);
      } catch (e) {
        options = { undecodable_custom_options: (e as Error).message };
      }
    }
    return { index, type, inputs: [...op.inputs], outputs: [...op.outputs], options };
  });
  const tensors = sg.tensors.map((t, index) => {
    const data = model.buffers[t.buffer]?.data;
    const q = t.quantization;
    return {
      index, name: t.name, dtype: t.dtype, shape: [...t.shape],
      bytes: shapeSize(t.shape) * bytesPerElement(t.dtype),
      constant: !!data && data.byteLength > 0,
      ...(q && q.scale.length > 0 ? { quantization: { scale: q.scale, zero_point: q.zeroPoint, quantized_dimension: q.quantizedDimension } } : {}),
    };
  });
  const opCounts: Record<string, number> = {};
  for (const op of ops) opCounts[op.type] = (opCounts[op.type] ?? 0) + 1;
  let arenaBytes: number | null = null;
  let arenaError: string | undefined;
  try {
    arenaBytes = new Interpreter(model, { registry: createReferenceRegistry(), modelName: name }).arenaBytes;
  } catch (e) {
    if (!(e instanceof LceError)) throw e;
    arenaError = e.message;
  }
  return {
    model: name, description: model.description, ops, tensors, inputs: [...sg.inputs], outputs: [...sg.outputs],
    op_counts: opCounts, arena_bytes: arenaBytes, ...(arenaError ? { arena_error: arenaError } : {}),
  };
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function fmtOptions(o: Record<string, unknown>): string {
  return Object.entries(o)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? fmtShape(v as number[]) : String(v)}`)
    .join(' ');
}

export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model: ${r.model}${r.description ? ` (${r.description})` : ''}`);
  const t = (i: number) => (i < 0 ? '-' : `${i}:${r.tensors[i]?.dtype}${fmtShape(r.tensors[i]?.shape ?? [])}`);
  lines.push(`inputs:  ${r.inputs.map((i) => `${r.tensors[i]?.name} ${t(i)}`).join(', ')}`);
  lines.push(`outputs: ${r.outputs.map((i) => `${r.tensors[i]?.name} ${t(i)}`).join(', ')}`);
  lines.push('', `ops (${r.ops.length}):`);
  for (const op of r.ops) {
    lines.push(`  ${String(op.index).padStart(3)} ${op.type.padEnd(20)} in ${op.inputs.map(t).join(' ')} -> out ${op.outputs.map(t).join(' ')}`);
    const opts = fmtOptions(op.options);
    if (opts) lines.push(`      ${opts}`);
  }
  lines.push('', `tensors (${r.tensors.length}):`);
  for (const x of r.tensors) {
    const q = x.quantization ? ` q(scale=${x.quantization.scale.length > 1 ? `${x.quantization.scale.length} per-channel` : x.quantization.scale[0]}, zp=${x.quantization.zero_point[0]})` : '';
    lines.push(`  ${String(x.index).padStart(3)} ${x.name.slice(0, 60).padEnd(60)} ${x.dtype.padEnd(7)} ${fmtShape(x.shape).padEnd(18)} ${String(x.bytes).padStart(9)} B${x.constant ? ' const' : ''}${q}`);
  }
  lines.push('', 'op counts:');
  for (const [k, v] of Object.entries(r.op_counts).sort((a, b) => b[1] - a[1])) lines.push(`  ${k.padEnd(22)} ${v}`);
  lines.push('', r.arena_bytes !== null ? `arena: ${r.arena_bytes} bytes (${(r.arena_bytes / 1048576).toFixed(2)} MiB)` : `arena: not available (${r.arena_error})`);
  return lines.join('\n') + '\n';
}

export async function runInspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const path = positionals[0];
  if (!path) {
    process.stderr.write('usage: lce inspect model.tflite [--json]\n');
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new LceError('IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  const name = path.split(/[\\/]/).pop() ?? path;
  const report = inspectModel(readModel(bytes, name), name);
  if (values.json) {
    process.stdout.write(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
  } else {
    process.stdout.write(formatInspect(report));
  }
  return 0;
}
