/** The public tensor type, shaped like ONNX Runtime Web's: `new Tensor('float32', data, dims)`. */
import { InputError } from '../errors.js';

export interface TensorDataByType {
  float32: Float32Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  int16: Int16Array;
  int64: BigInt64Array;
}
export type TensorType = keyof TensorDataByType;

export class Tensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly data: TensorDataByType[T];
  readonly dims: readonly number[];

  constructor(type: T, data: TensorDataByType[T] | readonly number[], dims?: readonly number[]) {
    this.type = type;
    this.data = Array.isArray(data) ? fromNumbers(type, data as readonly number[]) : (data as TensorDataByType[T]);
    this.dims = dims ? [...dims] : [this.data.length];
    const size = this.dims.reduce((a, b) => a * b, 1);
    if (this.dims.some((d) => !Number.isInteger(d) || d < 0)) throw new InputError(`tensor dims [${this.dims.join(', ')}] must be non-negative integers`);
    if (size !== this.data.length) {
      throw new InputError(`tensor of dims [${this.dims.join(', ')}] needs ${size} elements, data has ${this.data.length}`);
    }
  }

  get size(): number {
    return this.data.length;
  }
}

function fromNumbers<T extends TensorType>(type: T, values: readonly number[]): TensorDataByType[T] {
  switch (type) {
    case 'float32': return Float32Array.from(values) as TensorDataByType[T];
    case 'int32': return Int32Array.from(values) as TensorDataByType[T];
    case 'int8': return Int8Array.from(values) as TensorDataByType[T];
    case 'uint8': case 'bool': return Uint8Array.from(values) as TensorDataByType[T];
    case 'int16': return Int16Array.from(values) as TensorDataByType[T];
    case 'int64': return BigInt64Array.from(values.map((v) => BigInt(v))) as TensorDataByType[T];
    default: throw new InputError(`unknown tensor type ${String(type)}`);
  }
}

const ARRAY_TYPE: Record<TensorType, string> = {
  float32: 'Float32Array', int32: 'Int32Array', int8: 'Int8Array', uint8: 'Uint8Array', bool: 'Uint8Array',
  int16: 'Int16Array', int64: 'BigInt64Array',
};

export function expectedArrayName(type: TensorType): string {
  return ARRAY_TYPE[type];
}
