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
  return b.finish();
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
