/**
 * The op contract: parse → prepare → eval (as in tflite-micro's init/prepare/eval).
 * - parse: decode the op's options from the model (throw ModelValidationError on malformed options).
 * - prepare: validate input/output dtypes and shapes, set output shapes (resize), precompute
 *   everything eval needs (packed weights, lookup tables, scratch). May allocate. Throws OpPrepareError.
 * - eval: compute outputs from inputs. Must not allocate (no new typed arrays, no closures).
 */
import type { ComputeDType, DType, TensorData } from '../graph/dtype.js';
import type { OperatorCodeDef, OperatorDef, Quantization } from '../graph/model.js';

/** What prepare knows about a tensor. `shape` of outputs may be rewritten by prepare (resize). */
export interface TensorSpec {
  readonly index: number;
  readonly name: string;
  readonly dtype: DType;
  shape: number[];
  readonly quantization?: Quantization;
  /** Constant data (a typed view of the buffer), when the tensor is a constant. */
  readonly constant?: TensorData;
}

/** A tensor at eval time: its spec and a typed view of its storage (arena or constant). */
export interface RuntimeTensor<D extends TensorData = TensorData> {
  readonly spec: TensorSpec;
  readonly data: D;
}

export interface PrepareContext<Options> {
  readonly options: Options;
  /** null where the op's input index is -1 (omitted optional input). */
  readonly inputs: readonly (TensorSpec | null)[];
  readonly outputs: readonly TensorSpec[];
  /** `CONV_2D`, `LceBconv2d`, … and the operator index, for error messages. */
  readonly opType: string;
  readonly opIndex: number;
  /**
   * The most elements any tensor of this graph may have (the interpreter's caps). A kernel whose prepare computes a
   * shape larger than its inputs (broadcasting) checks it against this before allocating per-element tables.
   */
  readonly maxElements?: number;
}

export interface OpKernel<Options = unknown, State = unknown> {
  /** Builtin name (`CONV_2D`) or custom code (`LceBconv2d`). */
  readonly type: string;
  parse(op: OperatorDef, code: OperatorCodeDef): Options;
  prepare(ctx: PrepareContext<Options>): State;
  eval(state: State, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void;
}

/** Helper for registries: erase the option/state types of a kernel. */
export type AnyOpKernel = OpKernel<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function defineOp<O, S>(kernel: OpKernel<O, S>): OpKernel<O, S> {
  return kernel;
}

export type { ComputeDType };
