/** Shared pieces of op contracts: activation ranges, padding geometry, checks with good messages. */
import { LimitError, OpPrepareError } from '../errors.js';
import type { DType } from '../graph/dtype.js';
import type { PrepareContext, TensorSpec } from './kernel.js';

/** Schema ActivationFunctionType. */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
/** Schema Padding. */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Float clamp range of a fused activation. TANH/SIGN_BIT are not clamps: callers apply them separately. */
export function activationRange(act: number): [number, number] {
  switch (act) {
    case Activation.RELU: return [0, Infinity];
    case Activation.RELU_N1_TO_1: return [-1, 1];
    case Activation.RELU6: return [0, 6];
    default: return [-Infinity, Infinity];
  }
}

export interface PadGeometry {
  out: number;
  /** padding before (top/left); the odd pixel goes after. */
  before: number;
  after: number;
}

/** TFLite's kernels/padding.h for one spatial axis. */
export function padGeometry(padding: number, inSize: number, filter: number, stride: number, dilation: number): PadGeometry {
  const effective = (filter - 1) * dilation + 1;
  const out = padding === Padding.SAME
    ? Math.floor((inSize + stride - 1) / stride)
    : Math.floor((inSize + stride - effective) / stride);
  const total = Math.max(0, (out - 1) * stride + effective - inSize);
  const before = padding === Padding.SAME ? Math.floor(total / 2) : 0;
  const after = padding === Padding.SAME ? total - before : 0;
  return { out: Math.max(0, out), before, after };
}

function where(ctx: PrepareContext<unknown>): string {
  return `${ctx.opType} (op ${ctx.opIndex})`;
}

export function fail(ctx: PrepareContext<unknown>, message: string): never {
  throw new OpPrepareError(`${where(ctx)}: ${message}`);
}

/** LimitError unless a shape prepare computed stays within the interpreter's element cap (checked before allocating). */
export function requireWithinCap(ctx: PrepareContext<unknown>, shape: readonly number[], what: string): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (ctx.maxElements !== undefined && n > ctx.maxElements) {
    throw new LimitError(`${where(ctx)}: ${what} [${shape.join(', ')}] would have ${n} elements (cap ${ctx.maxElements})`);
  }
}

export function requireInput(ctx: PrepareContext<unknown>, i: number): TensorSpec {
  const t = ctx.inputs[i];
  if (!t) fail(ctx, `input ${i} is required but missing`);
  return t;
}

export function requireInputCount(ctx: PrepareContext<unknown>, min: number, max = min): void {
  const n = ctx.inputs.length;
  if (n < min || n > max) fail(ctx, `expects ${min === max ? min : `${min}..${max}`} inputs, got ${n}`);
}

export function requireOutputCount(ctx: PrepareContext<unknown>, n: number): void {
  if (ctx.outputs.length !== n) fail(ctx, `expects ${n} outputs, got ${ctx.outputs.length}`);
}

export function requireDType(ctx: PrepareContext<unknown>, t: TensorSpec, allowed: readonly DType[], role: string): void {
  if (!allowed.includes(t.dtype)) {
    fail(ctx, `${role} '${t.name}' has dtype ${t.dtype}; expected ${allowed.join(' or ')}`);
  }
}

export function requireRank(ctx: PrepareContext<unknown>, t: TensorSpec, rank: number, role: string): void {
  if (t.shape.length !== rank) fail(ctx, `${role} '${t.name}' must be ${rank}-D, got shape [${t.shape.join(', ')}]`);
}

export function requireConstant(ctx: PrepareContext<unknown>, t: TensorSpec, role: string): NonNullable<TensorSpec['constant']> {
  if (!t.constant) fail(ctx, `${role} '${t.name}' must be a constant tensor`);
  return t.constant;
}

/** Per-tensor scale and zero point of a quantized tensor (throws when absent). */
export function perTensorQuant(ctx: PrepareContext<unknown>, t: TensorSpec, role: string): { scale: number; zeroPoint: number } {
  const q = t.quantization;
  if (!q || q.scale.length === 0) fail(ctx, `${role} '${t.name}' (${t.dtype}) needs quantization parameters`);
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 };
}
