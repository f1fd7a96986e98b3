/** Helpers shared by the TFLite builtin reference ops: option decoding with schema defaults, constant reading. */
import { ModelValidationError } from '../errors.js';
import type { DType } from '../graph/dtype.js';
import type { BuiltinOptions } from '../graph/model.js';
import { fail, requireInput } from './common.js';
import type { PrepareContext, TensorSpec } from './kernel.js';

type Ctx = PrepareContext<unknown>;

/** Reads one field of a builtin options table, falling back to the schema default when absent. */
export function optNumber(opts: BuiltinOptions | null, key: string, dflt: number, opType: string): number {
  const v = opts?.[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ModelValidationError(`${opType}: option ${key} must be a number, got ${typeof v}`);
}

export function optBool(opts: BuiltinOptions | null, key: string, dflt: boolean, opType: string): boolean {
  const v = opts?.[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new ModelValidationError(`${opType}: option ${key} must be a bool, got ${typeof v}`);
}

export function optInts(opts: BuiltinOptions | null, key: string, opType: string): number[] | null {
  const v = opts?.[key];
  if (v === undefined || v === null) return null;
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x))) return v.slice();
  throw new ModelValidationError(`${opType}: option ${key} must be an int array`);
}

/** The integer values of a constant int32/int64 tensor (axes, shapes, begin/end ...). */
export function constInts(ctx: Ctx, t: TensorSpec, role: string): number[] {
  if (t.dtype !== 'int32' && t.dtype !== 'int64') fail(ctx, `${role} '${t.name}' must be int32 or int64, got ${t.dtype}`);
  if (!t.constant) {
    fail(ctx, `${role} '${t.name}' is not a constant tensor; its value decides an output shape, and shapes are static`);
  }
  return Array.from(t.constant as ArrayLike<number | bigint>, (x) => Number(x));
}

export function inputConstInts(ctx: Ctx, i: number, role: string): number[] {
  return constInts(ctx, requireInput(ctx, i), role);
}

/** Normalises a possibly negative axis into [0, rank). */
export function normAxis(ctx: Ctx, axis: number, rank: number, role = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(ctx, `${role} ${axis} is out of range for rank ${rank}`);
  return a;
}

export function requireSameDType(ctx: Ctx, t: TensorSpec, dtype: DType, role: string): void {
  if (t.dtype !== dtype) fail(ctx, `${role} '${t.name}' has dtype ${t.dtype}; expected ${dtype} (same as the input)`);
}

export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Per-tensor (scale, zero point), defaulting to (1, 0) for tensors without quantization. */
export function quantOrUnit(t: TensorSpec): { scale: number; zeroPoint: number } {
  const q = t.quantization;
  if (!q || q.scale.length === 0) return { scale: 1, zeroPoint: 0 };
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 };
}

export function int8Range(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    default: return [-2147483648, 2147483647];
  }
}
