/**
 * Test helper: run one op kernel through parse → prepare → eval on hand-made tensors, without a model file.
 * Importable by any op test.
 */
import type { ComputeDType, DType, TensorData } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import type { BuiltinOptions, OperatorDef, Quantization } from '../graph/model.js';
import type { OpKernel, RuntimeTensor, TensorSpec } from './kernel.js';

export interface TestTensor {
  dtype: DType;
  shape: number[];
  /** Element values (numbers, or bigints for int64); omitted for outputs. */
  data?: ArrayLike<number> | ArrayLike<bigint> | TensorData;
  /** Per-tensor quantization shorthand. */
  quant?: { scale: number; zeroPoint: number };
  quantization?: Quantization;
  /** Mark as a constant tensor (prepare sees its data). */
  constant?: boolean;
  name?: string;
}

export interface RunOpArgs {
  /** null = omitted optional input (-1). */
  inputs: (TestTensor | null)[];
  outputs: TestTensor[];
  options?: BuiltinOptions | null;
  /** Builtin code for the OperatorCode (only the type string matters to kernels). */
  builtinCode?: number;
  version?: number;
}

export interface OpResult {
  shape: number[];
  data: TensorData;
  /** Plain numbers (bigints converted). */
  values: number[];
}

export function makeData(dtype: DType, n: number, values?: TestTensor['data']): TensorData {
  const arr = allocate(dtype, n);
  if (values) {
    if (values.length !== n) throw new Error(`test tensor needs ${n} values, got ${values.length}`);
    for (let i = 0; i < n; i++) {
      const v = (values as ArrayLike<number | bigint>)[i]!;
      if (arr instanceof BigInt64Array) arr[i] = BigInt(v);
      else (arr as Float32Array)[i] = Number(v);
    }
  }
  return arr;
}

function allocate(dtype: DType, n: number): TensorData {
  switch (dtype as ComputeDType | 'float16') {
    case 'float32': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': case 'float16': return new Int16Array(n);
    case 'int64': return new BigInt64Array(n);
    default: throw new Error(`test-util: no array type for ${dtype}`);
  }
}

function spec(t: TestTensor, index: number, data: TensorData | undefined): TensorSpec {
  const quantization = t.quantization
    ?? (t.quant ? { scale: [t.quant.scale], zeroPoint: [t.quant.zeroPoint], quantizedDimension: 0 } : undefined);
  return {
    index,
    name: t.name ?? `t${index}`,
    dtype: t.dtype,
    shape: t.shape.slice(),
    ...(quantization ? { quantization } : {}),
    ...(t.constant && data ? { constant: data } : {}),
  };
}

/** Runs parse/prepare/eval; returns the outputs with the shapes prepare gave them. Throws what the kernel throws. */
export function runOp<O, S>(kernel: OpKernel<O, S>, args: RunOpArgs): OpResult[] {
  const op: OperatorDef = {
    opcodeIndex: 0,
    inputs: args.inputs.map((t, i) => (t ? i : -1)),
    outputs: args.outputs.map((_, i) => args.inputs.length + i),
    builtinOptionsType: 0,
    builtinOptions: args.options ?? null,
  };
  const options = kernel.parse(op, { builtinCode: args.builtinCode ?? 0, deprecatedBuiltinCode: 0, version: args.version ?? 1 });
  const inputData = args.inputs.map((t) => (t ? makeData(t.dtype, shapeSize(t.shape), t.data) : null));
  const inSpecs = args.inputs.map((t, i) => (t ? spec(t, i, inputData[i]!) : null));
  const outSpecs = args.outputs.map((t, i) => spec(t, args.inputs.length + i, undefined));
  const state = kernel.prepare({ options, inputs: inSpecs, outputs: outSpecs, opType: kernel.type, opIndex: 0 });
  const inputs: (RuntimeTensor | null)[] = inSpecs.map((s, i) => (s ? { spec: s, data: inputData[i]! } : null));
  const outputs: RuntimeTensor[] = outSpecs.map((s) => ({ spec: s, data: allocate(s.dtype, shapeSize(s.shape)) }));
  kernel.eval(state, inputs, outputs);
  return outputs.map((o) => ({
    shape: o.spec.shape,
    data: o.data,
    values: Array.from(o.data as ArrayLike<number | bigint>, (x) => Number(x)),
  }));
}

/** Runs and returns the single output. */
export function runOp1<O, S>(kernel: OpKernel<O, S>, args: RunOpArgs): OpResult {
  return runOp(kernel, args)[0]!;
}

/** Asserts two float arrays agree to within `tol` (absolute + relative). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} != expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tol ${tol})\n  actual:   [${Array.from(actual).join(', ')}]\n  expected: [${Array.from(expected).join(', ')}]`);
    }
  }
}

/** Quantize a real value like TFLite's reference AffineQuantize, for building test inputs. */
export function q8(x: number, scale: number, zeroPoint: number, lo = -128, hi = 127): number {
  const r = Math.fround(x / scale);
  const v = (r < 0 ? -Math.round(-r) : Math.round(r)) + zeroPoint;
  return Math.min(hi, Math.max(lo, v));
}
