/**
 * NumPy `.npy` reader/writer (format versions 1.0–3.0), for the oracle fixtures and for
 * `lce run` feeds. Only little-endian, C-order arrays of the dtypes below are accepted; anything
 * else is an NpyFormatError naming the problem, never a silently reinterpreted buffer.
 */
import { LceError } from '../errors.js';

export type NpyDType = 'float32' | 'float64' | 'int32' | 'int64' | 'int8' | 'uint8' | 'bool';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  /** Element values in C order. `bool` is a Uint8Array of 0/1; `int64` is a BigInt64Array. */
  data: NpyData;
}

/** The bytes are not an .npy file this reader supports. */
export class NpyFormatError extends LceError {
  constructor(message: string) {
    super('IO', `npy: ${message}`);
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

interface DTypeInfo {
  descr: string;
  size: number;
  make: (buf: ArrayBuffer, length: number) => NpyData;
}

const DTYPES: Record<NpyDType, DTypeInfo> = {
  float32: { descr: '<f4', size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  float64: { descr: '<f8', size: 8, make: (b, n) => new Float64Array(b, 0, n) },
  int32: { descr: '<i4', size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  int64: { descr: '<i8', size: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  int8: { descr: '|i1', size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  uint8: { descr: '|u1', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  bool: { descr: '|b1', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

/** numpy writes single-byte types with '|', but '<' and '=' are equally valid for them. */
function dtypeFromDescr(descr: string): NpyDType {
  const order = descr[0];
  const code = descr.slice(1);
  const entry = (Object.keys(DTYPES) as NpyDType[]).find((k) => DTYPES[k].descr.slice(1) === code);
  if (order === '>' && entry !== undefined && DTYPES[entry].size > 1) {
    throw new NpyFormatError(`big-endian dtype '${descr}' is not supported; save it little-endian (astype('<${code}'))`);
  }
  if (entry === undefined || !['<', '|', '='].includes(order ?? '') || (order === '|' && DTYPES[entry].size > 1)) {
    throw new NpyFormatError(`unsupported dtype '${descr}' (supported: ${Object.values(DTYPES).map((d) => d.descr).join(', ')})`);
  }
  return entry;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwapInPlace(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`malformed header ${JSON.stringify(text.trim())} (need 'descr', 'fortran_order', 'shape')`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw new NpyFormatError(`bad shape entry '${s}' in header`);
      return Number.parseInt(s, 10);
    });
  return { descr, fortran: fortran === 'True', shape };
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new NpyFormatError('not an .npy file (missing \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(`unsupported format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new NpyFormatError('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortran, shape } = parseHeader(header);
  const dtype = dtypeFromDescr(descr);
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new NpyFormatError('fortran_order arrays are not supported; save with np.ascontiguousarray');
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const { size, make } = DTYPES[dtype];
  const byteLength = count * size;
  if (bytes.length - dataStart < byteLength) {
    throw new NpyFormatError(`data truncated: shape [${shape}] ${dtype} needs ${byteLength} bytes, file has ${bytes.length - dataStart}`);
  }
  // Copy: the data offset need not be aligned for a typed-array view, and callers own the result.
  const copy = bytes.slice(dataStart, dataStart + byteLength);
  if (!HOST_LITTLE_ENDIAN && size > 1) byteSwapInPlace(copy, size);
  return { dtype, shape, data: make(copy.buffer, count) };
}

const ARRAY_TYPES: Record<NpyDType, new (n: number) => NpyData> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array,
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

/** Serialise as format 1.0 (2.0 if the header needs it), little-endian, C order, header padded to 64 bytes. */
export function writeNpy(array: NpyArray): Uint8Array {
  const { dtype, shape, data } = array;
  const info = DTYPES[dtype];
  if (info === undefined) throw new NpyFormatError(`unsupported dtype '${String(dtype)}'`);
  if (!(data instanceof ARRAY_TYPES[dtype])) {
    throw new NpyFormatError(`data is a ${data.constructor.name}, expected ${ARRAY_TYPES[dtype].name} for ${dtype}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new NpyFormatError(`bad dimension ${d} in shape [${shape}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new NpyFormatError(`shape [${shape}] has ${count} elements, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const version = dict.length + 11 > 0xffff ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + count * info.size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, count * info.size);
  out.set(body, total);
  if (!HOST_LITTLE_ENDIAN && info.size > 1) byteSwapInPlace(out.subarray(total), info.size);
  if (dtype === 'bool') {
    for (let i = total; i < out.length; i++) out[i] = out[i] !== 0 ? 1 : 0;
  }
  return out;
}
