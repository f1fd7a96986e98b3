/**
 * Moves a RESHAPE that keeps the channel axis below the per-channel op that reads it (an activation, or
 * an add/sub/mul/div/min/max with a per-channel constant), and merges or drops reshapes that then meet. This puts
 * the BatchNormalization of a QuantDense turned into a 1×1 bconv right after the bconv so it can fold in, and lets
 * back-to-back binary dense layers exchange bitpacked activations.
 */
import { isConst, type IrGraph, type IrOp, type IrTensor } from '../ir.js';
import type { Pass } from './pass.js';

// Not LARQ_SIGN: a sign must stay right in front of the convolution it binarises.
const UNARY = new Set(['RELU', 'RELU6', 'RELU_N1_TO_1', 'LOGISTIC', 'TANH']);
const BINARY = new Set(['ADD', 'SUB', 'MUL', 'DIV', 'MINIMUM', 'MAXIMUM']);

function isPerChannelConst(t: IrTensor | null, channels: number, rank: number): boolean {
  if (!isConst(t)) return false;
  const n = t.data.length;
  return t.shape.length <= rank && (n === 1 || (n === channels && t.shape[t.shape.length - 1] === channels));
}

function sinkable(g: IrGraph, r: IrOp): IrOp | undefined {
  const x = r.inputs[0];
  const y = r.outputs[0];
  if (!x || isConst(x)) return undefined;
  const c = x.shape[x.shape.length - 1];
  if (y.shape[y.shape.length - 1] !== c) return undefined;
  const next = g.soleConsumer(y);
  if (!next || next.outputs.length !== 1) return undefined;
  if (UNARY.has(next.type) && next.inputs.length === 1) return next;
  if (BINARY.has(next.type) && next.inputs.length === 2) {
    const other = next.inputs[0] === y ? next.inputs[1] : next.inputs[0];
    if (isPerChannelConst(other, c, Math.min(x.shape.length, y.shape.length))) return next;
  }
  return undefined;
}

function step(g: IrGraph): boolean {
  for (const r of g.ops) {
    if (r.type !== 'RESHAPE') continue;
    const x = r.inputs[0] as IrTensor;
    const y = r.outputs[0];
    // Reshape to the same shape: an identity.
    if (x && !isConst(x) && x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]) && !g.isOutput(y)) {
      g.bypass(r, x);
      return true;
    }
    // Reshape of a reshape with no other reader: one reshape.
    const inner = x ? g.producer(x) : undefined;
    if (inner && inner.type === 'RESHAPE' && g.soleConsumer(x) === r) {
      r.inputs = [inner.inputs[0], r.inputs[1]];
      g.remove(inner);
      return true;
    }
    const next = sinkable(g, r);
    if (!next) continue;
    const z = next.outputs[0];
    const z2 = g.tensor(`${z.name}/unreshaped`, z.dtype, x.shape);
    next.inputs = next.inputs.map((t) => (t === y ? x : t));
    next.outputs = [z2];
    r.inputs = [z2, r.inputs[1]];
    r.outputs = [z];
    g.toposort();
    return true;
  }
  return false;
}

export const sinkReshape: Pass = {
  name: 'sink-reshape',
  run(g) {
    let n = 0;
    while (step(g)) n++;
    return n;
  },
};
