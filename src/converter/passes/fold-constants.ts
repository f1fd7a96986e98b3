/**
 * Constant folding: an op whose inputs are all constants is evaluated now and replaced by its result. This is what
 * turns a Larq kernel quantizer applied to stored weights into plain ±1 (or ±scale) weights, as TensorFlow's
 * freezing does before LCE's patterns run.
 */
import { packFloat32 } from '../../reference/bitpack.js';
import { isConst, shapeSize, type IrGraph, type IrOp, type IrTensor } from '../ir.js';
import { broadcastShapes } from '../keras/lower.js';
import type { Pass } from './pass.js';

const f32 = Math.fround;

const UNARY: Record<string, (x: number) => number> = {
  LARQ_SIGN: (x) => (x < 0 ? -1 : 1),
  ABS: Math.abs,
  TANH: (x) => f32(Math.tanh(x)),
  ROUND: (x) => {
    // TFLite ROUND rounds half to even.
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  RELU: (x) => Math.max(0, x),
  RELU6: (x) => Math.min(6, Math.max(0, x)),
  NEG: (x) => -x,
};

const BINARY: Record<string, (a: number, b: number) => number> = {
  ADD: (a, b) => f32(a + b),
  SUB: (a, b) => f32(a - b),
  MUL: (a, b) => f32(a * b),
  DIV: (a, b) => f32(a / b),
  MINIMUM: Math.min,
  MAXIMUM: Math.max,
};

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Elementwise binary op with NumPy broadcasting. */
export function broadcastBinary(a: Float32Array, as: number[], b: Float32Array, bs: number[], fn: (x: number, y: number) => number): { data: Float32Array; shape: number[] } | undefined {
  const shape = broadcastShapes(as, bs);
  if (!shape) return undefined;
  const n = shape.length;
  const pa = [...new Array<number>(n - as.length).fill(1), ...as];
  const pb = [...new Array<number>(n - bs.length).fill(1), ...bs];
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const out = new Float32Array(shapeSize(shape));
  // Common case, kept free of index bookkeeping: one side is the full shape and the other a suffix of it
  // (a scalar, a per-channel vector, or the same shape).
  const suffixOf = (small: number[], big: number[]): boolean => {
    const first = small.findIndex((d) => d !== 1);
    return first < 0 || small.slice(first).every((d, i) => d === big[first + i]);
  };
  if (pa.every((d, i) => d === shape[i]) && suffixOf(pb, pa)) {
    const m = b.length;
    for (let k = 0; k < out.length; k++) out[k] = fn(a[k], b[k % m]);
    return { data: out, shape };
  }
  if (pb.every((d, i) => d === shape[i]) && suffixOf(pa, pb)) {
    const m = a.length;
    for (let k = 0; k < out.length; k++) out[k] = fn(a[k % m], b[k]);
    return { data: out, shape };
  }
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < out.length; k++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < n; d++) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; }
    out[k] = fn(a[ia], b[ib]);
    for (let d = n - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { data: out, shape };
}

/** Reduction over `axes` (mean or max), keeping or dropping them. */
export function reduce(x: Float32Array, shape: number[], axes: number[], kind: 'mean' | 'max', keepDims: boolean): { data: Float32Array; shape: number[] } {
  const ax = new Set(axes.map((a) => (a + shape.length) % shape.length));
  const outShapeKeep = shape.map((d, i) => (ax.has(i) ? 1 : d));
  const outStrides = strides(outShapeKeep);
  const out = new Float64Array(shapeSize(outShapeKeep)).fill(kind === 'max' ? -Infinity : 0);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < x.length; k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!ax.has(d)) o += idx[d] * outStrides[d];
    out[o] = kind === 'max' ? Math.max(out[o], x[k]) : out[o] + x[k];
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  const count = x.length / out.length;
  const data = Float32Array.from(out, (v) => (kind === 'mean' ? v / count : v));
  return { data, shape: keepDims ? outShapeKeep : shape.filter((_, i) => !ax.has(i)) };
}

export function transpose(x: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = strides(shape);
  const permStrides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(x.length);
  if (shape.length === 4) {
    // Kernels (HWIO → OHWI) are the bulk of a model's weights: plain nested loops, no index bookkeeping.
    const [n0, n1, n2, n3] = outShape;
    const [s0, s1, s2, s3] = permStrides;
    let k = 0;
    for (let a = 0; a < n0; a++) {
      for (let b = 0; b < n1; b++) {
        for (let c = 0; c < n2; c++) {
          const base = a * s0 + b * s1 + c * s2;
          for (let d = 0; d < n3; d++) out[k++] = x[base + d * s3];
        }
      }
    }
    return { data: out, shape: outShape };
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * permStrides[d];
    out[k] = x[src];
    for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
  }
  return { data: out, shape: outShape };
}

/** Larq's forward sign over a whole kernel (the UNARY entry, without a call per element). */
function larqSign(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? -1 : 1;
  return out;
}

function evaluate(op: IrOp): { data: Float32Array | Int32Array; shape: number[] } | undefined {
  const [a, b] = op.inputs;
  if (!a || !(a.data instanceof Float32Array)) {
    if (op.type === 'RESHAPE' && a && isConst(a) && b && isConst(b)) return { data: a.data as Int32Array, shape: op.outputs[0].shape };
    return undefined;
  }
  if (op.options.fusedActivationFunction !== undefined && op.options.fusedActivationFunction !== 0) return undefined;
  if (op.type === 'LARQ_SIGN' && op.inputs.length === 1) return { data: larqSign(a.data), shape: a.shape };
  const u = UNARY[op.type];
  if (u && op.inputs.length === 1) return { data: a.data.map(u), shape: a.shape };
  const bin = BINARY[op.type];
  if (bin && b && b.data instanceof Float32Array) return broadcastBinary(a.data, a.shape, b.data, b.shape, bin);
  if ((op.type === 'MEAN' || op.type === 'REDUCE_MAX') && b && b.data instanceof Int32Array) {
    return reduce(a.data, a.shape, [...b.data], op.type === 'MEAN' ? 'mean' : 'max', op.options.keepDims === true);
  }
  if (op.type === 'RESHAPE') return { data: a.data, shape: op.outputs[0].shape };
  if (op.type === 'TRANSPOSE' && b && b.data instanceof Int32Array) return transpose(a.data, a.shape, [...b.data]);
  if (op.type === 'LceQuantize') {
    const c = a.shape[a.shape.length - 1];
    const words = Math.ceil(c / 32);
    const out = new Int32Array((a.data.length / c) * words);
    packFloat32(a.data, a.data.length / c, c, out);
    return { data: out, shape: [...a.shape.slice(0, -1), words] };
  }
  return undefined;
}

function foldOne(g: IrGraph): boolean {
  for (const op of g.ops) {
    if (op.outputs.length !== 1 || op.inputs.length === 0 || !op.inputs.every((t) => t === null || isConst(t))) continue;
    const r = evaluate(op);
    if (!r) continue;
    const out: IrTensor = op.outputs[0];
    g.remove(op);
    out.data = r.data;
    out.dtype = r.data instanceof Int32Array ? 'int32' : 'float32';
    out.shape = r.shape;
    return true;
  }
  return false;
}

export const foldConstants: Pass = {
  name: 'fold-constants',
  run(g) {
    let n = 0;
    while (foldOne(g)) n++;
    return n;
  },
};
