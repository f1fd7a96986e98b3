/**
 * LCE custom-op options are flexbuffer maps of integers (lce-ops.md §2.3). The `flatbuffers` package's
 * builder sorts keys on end() and picks the narrowest common value width, which reproduces LCE's bytes exactly
 * (checked in flexbuffer.test.ts against the 160-byte reference from LCE's own tests).
 */
import { builder, toObject } from 'flatbuffers/mjs/flexbuffers.js';
import { ModelFormatError } from '../errors.js';

export type FlexScalar = number | boolean | string | null;
export type FlexMap = Record<string, FlexScalar>;

/** Decode a flexbuffer whose root is a map of scalars. Anything else is a ModelFormatError naming `what`. */
export function decodeFlexMap(bytes: Uint8Array, what: string): FlexMap {
  if (bytes.byteLength < 3) throw new ModelFormatError(`${what}: custom options of ${bytes.byteLength} bytes are not a flexbuffer map`);
  let root: unknown;
  try {
    const copy = bytes.slice().buffer;
    root = toObject(copy);
  } catch (cause) {
    throw new ModelFormatError(`${what}: custom options are not a decodable flexbuffer (${String(cause)})`, { cause });
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new ModelFormatError(`${what}: custom options root is not a flexbuffer map`);
  }
  const out: FlexMap = {};
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
      out[key] = value;
    } else if (typeof value === 'bigint') {
      out[key] = Number(value);
    } else {
      throw new ModelFormatError(`${what}: custom option '${key}' is not a scalar`);
    }
  }
  return out;
}

/** Encode a map of integers the way the LCE converter does (signed INT values, keys sorted by the builder). */
export function encodeFlexIntMap(entries: Record<string, number>): Uint8Array {
  const b = builder();
  b.startMap();
  for (const [key, value] of Object.entries(entries)) {
    if (!Number.isInteger(value)) throw new RangeError(`flexbuffer option '${key}' must be an integer, got ${value}`);
    b.addKey(key);
    b.addInt(value);
  }
  b.end();
  return widenInlineTypes(b.finish());
}

/**
 * The `flatbuffers` package's builder stores each inline scalar's packed type with the scalar's own width; the C++
 * builder (LCE's) stores it with the vector's element width (`StoredPackedType(bit_width)`), e.g. 0x05 (INT, 16-bit)
 * instead of 0x04 for every value of a map that holds channels_in = 256. Readers ignore the width of inline
 * values, so both decode alike; this makes the bytes LCE's. Root map of inline values only.
 */
function widenInlineTypes(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  const uint = (at: number, width: number) => { let v = 0; for (let i = width - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!; return v; };
  const rootWidth = bytes[n - 1]!;
  const rootType = bytes[n - 2]!;
  const rootAt = n - 2 - rootWidth;
  const map = rootAt - uint(rootAt, rootWidth);
  const log2Width = rootType & 3;
  const width = 1 << log2Width;
  const length = uint(map - width, width);
  for (let i = 0; i < length; i++) {
    const at = map + length * width + i;
    const type = bytes[at]! >> 2;
    const inline = type === 1 || type === 2 || type === 3 || type === 26; // INT, UINT, FLOAT, BOOL
    if (inline && (bytes[at]! & 3) < log2Width) bytes[at] = (type << 2) | log2Width;
  }
  return bytes;
}

/**
 * Read an integer option like LCE's `AsInt32()`: INT/UINT/BOOL/FLOAT(truncated)/numeric strings convert,
 * a missing key is undefined (LCE treats that as an error for required keys).
 */
export function flexInt(map: FlexMap, key: string): number | undefined {
  const v = map[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.trunc(v) | 0;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}
