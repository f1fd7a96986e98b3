/** Small helpers shared by the passes. */
import { floatData, type IrGraph, type IrOp, type IrTensor } from '../ir.js';

/**
 * A float constant that broadcasts along the last axis of a tensor with `channels` channels (a scalar, or a vector
 * of length `channels` with any leading 1s), expanded to `channels` values; undefined otherwise.
 */
export function perChannel(t: IrTensor | null | undefined, channels: number): Float32Array | undefined {
  const d = floatData(t);
  if (!d || !t) return undefined;
  if (d.length === 1) return new Float32Array(channels).fill(d[0]);
  const last = t.shape[t.shape.length - 1];
  if (last !== channels || d.length !== channels) return undefined;
  return d;
}

/** The producer of `t` if it is of `type`. */
export function producedBy(g: IrGraph, t: IrTensor | null | undefined, type: string): IrOp | undefined {
  if (!t) return undefined;
  const p = g.producer(t);
  return p && p.type === type ? p : undefined;
}

/** Fused-activation enum values (schema ActivationFunctionType). */
export const Act = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 } as const;
export const Pad = { SAME: 0, VALID: 1 } as const;
export const ACTIVATION_OPS: Record<string, number> = { RELU: Act.RELU, RELU_N1_TO_1: Act.RELU_N1_TO_1, RELU6: Act.RELU6 };
