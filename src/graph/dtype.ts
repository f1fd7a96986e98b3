/** Element types, named as in ONNX Runtime Web / TF.js. Indexed by the schema's TensorType enum. */
export type DType =
  | 'float32'
  | 'float16'
  | 'int32'
  | 'uint8'
  | 'int64'
  | 'string'
  | 'bool'
  | 'int16'
  | 'complex64'
  | 'int8'
  | 'float64'
  | 'complex128'
  | 'uint64'
  | 'resource'
  | 'variant'
  | 'uint32'
  | 'uint16'
  | 'int4'
  | 'bfloat16';

/** Schema `TensorType` value → DType (the schema enum order). */
export const DTYPE_BY_TENSOR_TYPE: readonly DType[] = [
  'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8',
  'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4', 'bfloat16',
];

export function tensorTypeOf(dtype: DType): number {
  return DTYPE_BY_TENSOR_TYPE.indexOf(dtype);
}

/** Bytes per element; 0 where the size is not fixed (string, resource, variant) or sub-byte (int4). */
export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'int16': case 'uint16': case 'bfloat16': return 2;
    case 'uint8': case 'int8': case 'bool': return 1;
    case 'int64': case 'uint64': case 'float64': case 'complex64': return 8;
    case 'complex128': return 16;
    default: return 0;
  }
}

/** The typed arrays the runtime uses for the dtypes it computes with. */
export interface TypedArrayByDType {
  float32: Float32Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  int16: Int16Array;
  int64: BigInt64Array;
}
export type ComputeDType = keyof TypedArrayByDType;
export type TensorData = TypedArrayByDType[ComputeDType];

export function isComputeDType(dtype: DType): dtype is ComputeDType {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'int8' || dtype === 'uint8' || dtype === 'bool'
    || dtype === 'int16' || dtype === 'int64';
}

/** A typed view of `byteLength` bytes at `byteOffset` of `buffer`, in the array type of `dtype`. */
export function typedView<D extends ComputeDType>(
  dtype: D, buffer: ArrayBufferLike, byteOffset: number, length: number,
): TypedArrayByDType[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    case 'int32': return new Int32Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    case 'int8': return new Int8Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    case 'uint8': case 'bool': return new Uint8Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    case 'int16': return new Int16Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    case 'int64': return new BigInt64Array(buffer, byteOffset, length) as TypedArrayByDType[D];
    default: throw new Error(`no typed view for ${String(dtype)}`);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
