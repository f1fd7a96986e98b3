/**
 * SOFTMAX (beta) and LOG_SOFTMAX over the last axis. Float32; int8 → int8 SOFTMAX as TFLite's optimized kernel
 * computes it: a float32 table of exp(-scale·beta·d) for the 256 possible distances d from the row maximum,
 * a float32 sum, and round(half away) on the output scale (which TFLite fixes at 1/256, zero point -128).
 */
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { roundHalfAway } from '../reference/quant.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { optNumber } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor } from './kernel.js';

export interface SoftmaxState {
  rows: number;
  depth: number;
  beta: number;
  log: boolean;
  /** int8: table[255 - d] = exp(-inScale·beta·d) in float32. */
  table: Float32Array | null;
  outScale: number;
  outZp: number;
}

/** TFLite's PopulateSoftmaxLookupTable. */
export function softmaxTable(inScale: number, beta: number): Float32Array {
  const table = new Float32Array(256);
  const scale = Math.fround(-inScale * beta);
  for (let v = 0; v <= 255; v++) table[255 - v] = Math.exp(Math.fround(scale * v));
  return table;
}

function prepareSoftmax(ctx: PrepareContext<{ beta: number }>, log: boolean): SoftmaxState {
  requireInputCount(ctx, 1);
  requireOutputCount(ctx, 1);
  const input = requireInput(ctx, 0);
  const out = ctx.outputs[0]!;
  requireDType(ctx, input, log ? ['float32'] : ['float32', 'int8'], 'input');
  if (out.dtype !== input.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${input.dtype}`);
  if (input.shape.length < 1) fail(ctx, 'input must have rank >= 1');
  out.shape = input.shape.slice();
  const depth = input.shape[input.shape.length - 1]!;
  const rows = depth === 0 ? 0 : shapeSize(input.shape) / depth;
  if (input.dtype === 'int8') {
    const qi = perTensorQuant(ctx, input, 'input');
    const qo = perTensorQuant(ctx, out, 'output');
    if (qo.zeroPoint !== -128 || Math.abs(qo.scale - 1 / 256) > 1e-6) {
      fail(ctx, `int8 output must have scale 1/256 and zero point -128, got ${qo.scale} and ${qo.zeroPoint}`);
    }
    return { rows, depth, beta: ctx.options.beta, log, table: softmaxTable(qi.scale, ctx.options.beta), outScale: qo.scale, outZp: qo.zeroPoint };
  }
  return { rows, depth, beta: ctx.options.beta, log, table: null, outScale: 1, outZp: 0 };
}

function evalSoftmax(s: SoftmaxState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const { rows, depth } = s;
  if (s.table) {
    const x = inputs[0]!.data as Int8Array;
    const o = outputs[0]!.data as Int8Array;
    const t = s.table;
    for (let r = 0; r < rows; r++) {
      const base = r * depth;
      let max = -128;
      for (let j = 0; j < depth; j++) if (x[base + j]! > max) max = x[base + j]!;
      const off = 255 - max;
      let sum = 0;
      for (let j = 0; j < depth; j++) sum = Math.fround(sum + t[off + x[base + j]!]!);
      const inv = Math.fround(1 / Math.fround(sum * s.outScale));
      for (let j = 0; j < depth; j++) {
        const q = roundHalfAway(Math.fround(t[off + x[base + j]!]! * inv)) + s.outZp;
        o[base + j] = q < -128 ? -128 : q > 127 ? 127 : q;
      }
    }
    return;
  }
  const x = inputs[0]!.data as Float32Array;
  const o = outputs[0]!.data as Float32Array;
  for (let r = 0; r < rows; r++) {
    const base = r * depth;
    let max = -Infinity;
    for (let j = 0; j < depth; j++) if (x[base + j]! > max) max = x[base + j]!;
    let sum = 0;
    if (s.log) {
      for (let j = 0; j < depth; j++) sum += Math.exp(x[base + j]! - max);
      const logSum = Math.log(sum);
      for (let j = 0; j < depth; j++) o[base + j] = x[base + j]! - max - logSum;
    } else {
      for (let j = 0; j < depth; j++) { const e = Math.exp((x[base + j]! - max) * s.beta); o[base + j] = e; sum += e; }
      for (let j = 0; j < depth; j++) o[base + j] = o[base + j]! / sum;
    }
  }
}

export const softmaxKernel: OpKernel<{ beta: number }, SoftmaxState> = {
  type: 'SOFTMAX',
  parse: (op: OperatorDef) => ({ beta: Math.fround(optNumber(op.builtinOptions, 'beta', 0, 'SOFTMAX')) }),
  prepare: (ctx) => prepareSoftmax(ctx, false),
  eval: evalSoftmax,
};

export const logSoftmaxKernel: OpKernel<{ beta: number }, SoftmaxState> = {
  type: 'LOG_SOFTMAX',
  parse: () => ({ beta: 1 }),
  prepare: (ctx) => prepareSoftmax(ctx, true),
  eval: evalSoftmax,
};
