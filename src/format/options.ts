/**
 * Builtin options as plain objects. Every options table of the schema (both the BuiltinOptions and BuiltinOptions2
 * unions) is decoded and encoded generically from the generated schema metadata, so each field appears under the
 * camelCase name flatc gives its accessor, with the schema default when the file omits it.
 *
 * Value types: integer and float scalars → number, bool → boolean, 64-bit integers → bigint, strings → string (null
 * when absent), vectors → number[] (bool vectors as 0/1; 64-bit vectors as numbers, rejected beyond 2^53).
 */
import type { Builder } from 'flatbuffers';
import { ModelValidationError } from '../errors.js';
import type { BuiltinOptions } from '../graph/model.js';
import { ENUMS, SCALAR_SIZE, TABLES, UNIONS, type FieldMeta, type ScalarType } from './generated/schema-meta.js';

export type OptionsUnion = 'BuiltinOptions' | 'BuiltinOptions2';

/** The options table name for a union type value, or undefined for NONE / values this schema does not know. */
export function optionsTableName(union: OptionsUnion, type: number): string | undefined {
  return UNIONS[union]?.[type] ?? undefined;
}

/** Which union member (if any) an op carries, derived from its BuiltinOperator name. */
export interface OptionsSlot {
  union: OptionsUnion;
  type: number;
  table: string;
}

/** Ops whose options table does not follow the `<OpName>Options` naming rule. */
const OPTIONS_EXCEPTIONS: Readonly<Record<string, string>> = {
  AVERAGE_POOL_2D: 'Pool2DOptions',
  MAX_POOL_2D: 'Pool2DOptions',
  L2_POOL_2D: 'Pool2DOptions',
  L2_NORMALIZATION: 'L2NormOptions',
  MEAN: 'ReducerOptions',
  SUM: 'ReducerOptions',
  REDUCE_MAX: 'ReducerOptions',
  REDUCE_MIN: 'ReducerOptions',
  REDUCE_PROD: 'ReducerOptions',
  REDUCE_ANY: 'ReducerOptions',
  REDUCE_ALL: 'ReducerOptions',
  MAXIMUM: 'MaximumMinimumOptions',
  MINIMUM: 'MaximumMinimumOptions',
  RANDOM_STANDARD_NORMAL: 'RandomOptions',
  RANDOM_UNIFORM: 'RandomOptions',
  MULTINOMIAL: 'RandomOptions',
  CONV_3D_TRANSPOSE: 'Conv3DOptions',
  UNIDIRECTIONAL_SEQUENCE_RNN: 'SequenceRNNOptions',
};

let slotsByOp: Map<string, OptionsSlot> | undefined;

/** The options union member TFLite uses for a builtin op name (e.g. CONV_2D → Conv2DOptions), or null if none. */
export function optionsSlotForOp(opName: string): OptionsSlot | null {
  if (!slotsByOp) {
    slotsByOp = new Map();
    const byKey = new Map<string, OptionsSlot>();
    for (const union of ['BuiltinOptions', 'BuiltinOptions2'] as const) {
      UNIONS[union]!.forEach((table, type) => {
        if (table) byKey.set(table.toLowerCase(), { union, type, table });
      });
    }
    for (const name of Object.values(ENUMS['BuiltinOperator']!)) {
      const table = OPTIONS_EXCEPTIONS[name] ?? `${name.replace(/_/g, '')}options`;
      const slot = byKey.get(table.toLowerCase());
      if (slot) slotsByOp.set(name, slot);
    }
  }
  return slotsByOp.get(opName) ?? null;
}

function tableFields(table: string): readonly FieldMeta[] {
  const fields = TABLES[table];
  if (!fields) throw new RangeError(`unknown options table ${table}`);
  return fields;
}

/** The fields that appear in the plain object (flatc generates no accessors for deprecated fields). */
function liveFields(table: string): FieldMeta[] {
  return tableFields(table).filter((f) => !f.deprecated);
}

// ---- decoding --------------------------------------------------------------------------------------------------

function readScalar(view: DataView, at: number, scalar: ScalarType): number | boolean | bigint {
  switch (scalar) {
    case 'bool': return view.getUint8(at) !== 0;
    case 'int8': return view.getInt8(at);
    case 'uint8': return view.getUint8(at);
    case 'int16': return view.getInt16(at, true);
    case 'uint16': return view.getUint16(at, true);
    case 'int32': return view.getInt32(at, true);
    case 'uint32': return view.getUint32(at, true);
    case 'int64': return view.getBigInt64(at, true);
    case 'uint64': return view.getBigUint64(at, true);
    case 'float32': return view.getFloat32(at, true);
    case 'float64': return view.getFloat64(at, true);
  }
}

function vectorElementAsNumber(v: number | boolean | bigint, what: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ModelValidationError(`${what}: 64-bit value ${v} does not fit a JS number exactly`);
    }
    return Number(v);
  }
  return v;
}

/**
 * Decodes the options table at `pos` (an already verified flatbuffer, see verify.ts) into a plain object with every
 * non-deprecated field present.
 */
export function decodeOptionsTable(view: DataView, pos: number, table: string, what: string): BuiltinOptions {
  const vt = pos - view.getInt32(pos, true);
  const vtSize = view.getUint16(vt, true);
  const out: BuiltinOptions = {};
  const decoder = new TextDecoder();
  for (const field of liveFields(table)) {
    const entry = 4 + field.slot * 2;
    const voff = entry + 2 <= vtSize ? view.getUint16(vt + entry, true) : 0;
    const at = pos + voff;
    const t = field.type;
    switch (t.kind) {
      case 'scalar':
        out[field.camel] = voff ? readScalar(view, at, t.scalar) : t.default;
        break;
      case 'string': {
        if (!voff) { out[field.camel] = null; break; }
        const start = at + view.getUint32(at, true);
        const n = view.getUint32(start, true);
        out[field.camel] = decoder.decode(new Uint8Array(view.buffer, view.byteOffset + start + 4, n));
        break;
      }
      case 'vector': {
        const values: number[] = [];
        if (voff) {
          const start = at + view.getUint32(at, true);
          const n = view.getUint32(start, true);
          const size = SCALAR_SIZE[t.elem];
          for (let i = 0; i < n; i++) {
            values.push(vectorElementAsNumber(readScalar(view, start + 4 + i * size, t.elem), `${what} ${field.name}`));
          }
        }
        out[field.camel] = values;
        break;
      }
      default:
        // The options tables of this schema hold only scalars, strings and scalar vectors (checked in options.test.ts).
        throw new ModelValidationError(`${what}: options table ${table} field ${field.name} has an unsupported kind`);
    }
  }
  return out;
}

// ---- normalising (builder input, writer input) ------------------------------------------------------------------

const INT_RANGES: Readonly<Partial<Record<ScalarType, readonly [number, number]>>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};

function normaliseScalar(scalar: ScalarType, value: unknown, what: string): number | boolean | bigint {
  if (scalar === 'bool') {
    if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${String(value)}`);
    return value;
  }
  if (scalar === 'int64' || scalar === 'uint64') {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    throw new TypeError(`${what} must be an integer (bigint), got ${String(value)}`);
  }
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${String(value)}`);
  if (scalar === 'float32') return Math.fround(value);
  if (scalar === 'float64') return value;
  const range = INT_RANGES[scalar]!;
  if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
    throw new RangeError(`${what} must be a ${scalar}, got ${value}`);
  }
  return value;
}

/**
 * Checks a (possibly partial) options object against the table and returns a complete one: missing fields get the
 * schema defaults, float32 fields are rounded to float32, 64-bit scalars become bigint. Unknown keys or wrong types
 * throw (this is programmer input, not file input).
 */
export function normaliseOptions(table: string, partial: BuiltinOptions | null | undefined): BuiltinOptions {
  const fields = liveFields(table);
  const given = partial ?? {};
  for (const key of Object.keys(given)) {
    if (!fields.some((f) => f.camel === key)) {
      throw new RangeError(`${table} has no field '${key}' (fields: ${fields.map((f) => f.camel).join(', ') || 'none'})`);
    }
  }
  const out: BuiltinOptions = {};
  for (const field of fields) {
    const what = `${table}.${field.camel}`;
    const value = given[field.camel];
    const t = field.type;
    switch (t.kind) {
      case 'scalar':
        out[field.camel] = value === undefined ? t.default : normaliseScalar(t.scalar, value, what);
        break;
      case 'string':
        if (value !== undefined && value !== null && typeof value !== 'string') throw new TypeError(`${what} must be a string`);
        out[field.camel] = value ?? null;
        break;
      case 'vector': {
        if (value === undefined || value === null) { out[field.camel] = []; break; }
        if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of numbers`);
        out[field.camel] = value.map((v, i) => {
          if (t.elem === 'bool') return v ? 1 : 0;
          const n = normaliseScalar(t.elem === 'int64' || t.elem === 'uint64' ? 'float64' : t.elem, v, `${what}[${i}]`);
          if ((t.elem === 'int64' || t.elem === 'uint64') && !Number.isSafeInteger(n)) {
            throw new RangeError(`${what}[${i}] must be a safe integer`);
          }
          return n as number;
        });
        break;
      }
      default:
        throw new RangeError(`${what}: unsupported field kind ${t.kind}`);
    }
  }
  return out;
}

// ---- encoding ---------------------------------------------------------------------------------------------------

function addScalarField(b: Builder, slot: number, scalar: ScalarType, value: number | boolean | bigint, def: number | boolean | bigint): void {
  // The builder skips values equal (==) to the default, which would turn -0.0 into the default +0.0.
  if (Object.is(value, -0) && (scalar === 'float32' || scalar === 'float64')) {
    if (scalar === 'float32') b.addFloat32(-0);
    else b.addFloat64(-0);
    b.slot(slot);
    return;
  }
  switch (scalar) {
    case 'bool': b.addFieldInt8(slot, value ? 1 : 0, def ? 1 : 0); break;
    case 'int8': case 'uint8': b.addFieldInt8(slot, Number(value), Number(def)); break;
    case 'int16': case 'uint16': b.addFieldInt16(slot, Number(value), Number(def)); break;
    case 'int32': case 'uint32': b.addFieldInt32(slot, Number(value), Number(def)); break;
    case 'int64': case 'uint64': b.addFieldInt64(slot, BigInt(value), BigInt(def)); break;
    case 'float32': b.addFieldFloat32(slot, Number(value), Number(def)); break;
    case 'float64': b.addFieldFloat64(slot, Number(value), Number(def)); break;
  }
}

function addScalar(b: Builder, scalar: ScalarType, value: number): void {
  switch (scalar) {
    case 'bool': case 'int8': case 'uint8': b.addInt8(value); break;
    case 'int16': case 'uint16': b.addInt16(value); break;
    case 'int32': case 'uint32': b.addInt32(value); break;
    case 'int64': case 'uint64': b.addInt64(BigInt(value)); break;
    case 'float32': b.addFloat32(value); break;
    case 'float64': b.addFloat64(value); break;
  }
}

/** Writes a scalar vector (elements in order) and returns its offset. */
export function createScalarVector(b: Builder, elem: ScalarType, values: ArrayLike<number>): number {
  const size = SCALAR_SIZE[elem];
  b.startVector(size, values.length, size);
  for (let i = values.length - 1; i >= 0; i--) addScalar(b, elem, values[i]!);
  return b.endVector();
}

/** Serialises an options object (normalised first, so partial objects work) and returns the table offset. */
export function encodeOptionsTable(b: Builder, table: string, options: BuiltinOptions | null): number {
  const full = normaliseOptions(table, options);
  const fields = tableFields(table);
  const offsets = new Map<string, number>();
  for (const field of fields) {
    if (field.deprecated) continue;
    const t = field.type;
    const value = full[field.camel];
    if (t.kind === 'string' && typeof value === 'string') offsets.set(field.camel, b.createString(value));
    if (t.kind === 'vector' && Array.isArray(value)) offsets.set(field.camel, createScalarVector(b, t.elem, value as number[]));
  }
  const slots = fields.reduce((m, f) => Math.max(m, f.slot + 1), 0);
  b.startObject(slots);
  for (const field of fields) {
    if (field.deprecated) continue;
    const t = field.type;
    if (t.kind === 'scalar') {
      addScalarField(b, field.slot, t.scalar, full[field.camel] as number | boolean | bigint, t.default);
    } else {
      const off = offsets.get(field.camel);
      if (off !== undefined) b.addFieldOffset(field.slot, off, 0);
    }
  }
  return b.endObject();
}
