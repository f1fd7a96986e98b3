/** Unary math ops (float32; ABS and NEG also int32) and CAST between the runtime's numeric dtypes. */
import type { DType } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import { DTYPE_BY_TENSOR_TYPE } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import { elements } from '../reference/layout.js';
import { ModelValidationError } from '../errors.js';
import { fail } from './common.js';
import { optNumber } from './builtin-util.js';
import { evalUnary, mapFloat, prepareSameShape, type UnaryState } from './activations.js';
import type { OpKernel, RuntimeTensor } from './kernel.js';

function unaryMath(type: string, dtypes: readonly DType[], f: (x: number) => number, fInt?: (x: number) => number): OpKernel<null, UnaryState> {
  return {
    type,
    parse: () => null,
    prepare(ctx) {
      const { input } = prepareSameShape(ctx, dtypes);
      return { size: shapeSize(input.shape), run: mapFloat(input.dtype === 'int32' && fInt ? fInt : f) };
    },
    eval: evalUnary,
  };
}

export const rsqrtKernel = unaryMath('RSQRT', ['float32'], (x) => 1 / Math.sqrt(x));
export const sqrtKernel = unaryMath('SQRT', ['float32'], Math.sqrt);
export const expKernel = unaryMath('EXP', ['float32'], Math.exp);
export const absKernel = unaryMath('ABS', ['float32', 'int32'], Math.abs, (x) => Math.abs(x) | 0);
export const negKernel = unaryMath('NEG', ['float32', 'int32'], (x) => -x, (x) => -x | 0);

// --- CAST --------------------------------------------------------------------------------------------------

const CASTABLE: readonly DType[] = ['float32', 'int32', 'int8', 'uint8', 'int16', 'bool', 'int64'];

export interface CastState { size: number; from: DType; to: DType }

/** Converts one value the way a C++ static_cast does (float → int truncates; narrowing ints wrap; bool is != 0). */
function castValue(x: number, to: DType): number {
  switch (to) {
    case 'float32': return x;
    case 'bool': return x !== 0 ? 1 : 0;
    case 'int32': return Math.trunc(x) | 0;
    case 'int16': return (Math.trunc(x) << 16) >> 16;
    case 'int8': return (Math.trunc(x) << 24) >> 24;
    case 'uint8': return Math.trunc(x) & 0xff;
    default: return Math.trunc(x);
  }
}

export const castKernel: OpKernel<null, CastState> = {
  type: 'CAST',
  parse: (op: OperatorDef) => {
    // The options only restate the tensor dtypes; still reject out-of-range enum values early.
    const outType = optNumber(op.builtinOptions, 'outDataType', 0, 'CAST');
    if (outType < 0 || outType >= DTYPE_BY_TENSOR_TYPE.length) throw new ModelValidationError(`CAST: outDataType ${outType} is not a TensorType`);
    return null;
  },
  prepare(ctx) {
    if (ctx.inputs.length !== 1 || ctx.outputs.length !== 1) fail(ctx, 'expects 1 input and 1 output');
    const input = ctx.inputs[0];
    if (!input) fail(ctx, 'input 0 is required but missing');
    const output = ctx.outputs[0]!;
    if (!CASTABLE.includes(input.dtype)) fail(ctx, `cannot cast from ${input.dtype}`);
    if (!CASTABLE.includes(output.dtype)) fail(ctx, `cannot cast to ${output.dtype}`);
    output.shape = input.shape.slice();
    return { size: shapeSize(input.shape), from: input.dtype, to: output.dtype };
  },
  eval(s, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]) {
    const inp = inputs[0]!.data;
    const out = outputs[0]!.data;
    if (inp instanceof BigInt64Array) {
      if (out instanceof BigInt64Array) { out.set(inp); return; }
      const o = elements(out);
      for (let i = 0; i < s.size; i++) {
        const v = inp[i]!;
        o[i] = s.to === 'bool' ? (v !== 0n ? 1 : 0) : s.to === 'float32' ? Number(v) : castValue(Number(BigInt.asIntN(32, v)), s.to);
      }
      return;
    }
    const x = elements(inp);
    if (out instanceof BigInt64Array) {
      for (let i = 0; i < s.size; i++) out[i] = BigInt(Math.trunc(x[i]!));
      return;
    }
    const o = elements(out);
    for (let i = 0; i < s.size; i++) o[i] = castValue(x[i]!, s.to);
  },
};
