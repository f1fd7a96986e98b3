/**
 * Where the fields of a (valid) TFLite flatbuffer live in its bytes, so the fuzzer can make field-aware edits
 * (a tensor's shape entry, a buffer index, an op's input index, custom options bytes, a vector length) instead of
 * only blind bit flips. Driven by the same generated schema metadata as the verifier.
 */
import { SCALAR_SIZE, TABLES, UNIONS, type ScalarType } from '../format/generated/schema-meta.js';

export interface ScalarField {
  readonly table: string;
  readonly field: string;
  /** Byte position of the value. */
  readonly pos: number;
  readonly scalar: ScalarType;
}

export interface VectorField {
  readonly table: string;
  readonly field: string;
  /** Byte position of the uint32 length word; elements follow it. */
  readonly lenPos: number;
  readonly length: number;
  /** Element size in bytes (4 for offsets to tables and strings). */
  readonly elemSize: number;
  /** Scalar element type, or null for vectors of offsets. */
  readonly elem: ScalarType | null;
}

export interface FieldMap {
  readonly scalars: readonly ScalarField[];
  readonly vectors: readonly VectorField[];
}

/** Walks every table reachable from the root. Stops quietly at anything out of bounds (the input may be mutated). */
export function locateFields(bytes: Uint8Array): FieldMap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  const scalars: ScalarField[] = [];
  const vectors: VectorField[] = [];
  const seen = new Set<number>();
  const inBounds = (p: number, n: number) => p >= 0 && p + n <= len;
  const deref = (at: number): number | null => {
    if (!inBounds(at, 4)) return null;
    const target = at + view.getUint32(at, true);
    return inBounds(target, 4) && target !== at ? target : null;
  };
  const vector = (table: string, field: string, at: number, elemSize: number, elem: ScalarType | null): VectorField | null => {
    const start = deref(at);
    if (start === null) return null;
    const length = view.getUint32(start, true);
    if (!inBounds(start + 4, length * elemSize)) return null;
    const v: VectorField = { table, field, lenPos: start, length, elemSize, elem };
    vectors.push(v);
    return v;
  };

  const walk = (pos: number, table: string, depth: number): void => {
    if (depth > 32 || seen.has(pos) || !inBounds(pos, 4)) return;
    seen.add(pos);
    const fields = TABLES[table];
    if (!fields) return;
    const vt = pos - view.getInt32(pos, true);
    if (!inBounds(vt, 4)) return;
    const vtSize = view.getUint16(vt, true);
    if (!inBounds(vt, vtSize)) return;
    let unionType = 0;
    for (const f of fields) {
      const entry = 4 + 2 * f.slot;
      if (entry + 2 > vtSize) continue;
      const voff = view.getUint16(vt + entry, true);
      if (voff === 0) continue;
      const at = pos + voff;
      const t = f.type;
      switch (t.kind) {
        case 'scalar':
          if (inBounds(at, SCALAR_SIZE[t.scalar])) scalars.push({ table, field: f.name, pos: at, scalar: t.scalar });
          break;
        case 'unionType':
          if (inBounds(at, 1)) {
            unionType = view.getUint8(at);
            scalars.push({ table, field: f.name, pos: at, scalar: 'uint8' });
          }
          break;
        case 'union': {
          const member = UNIONS[t.union]?.[unionType];
          const target = deref(at);
          if (member && target !== null) walk(target, member, depth + 1);
          break;
        }
        case 'string':
          vector(table, f.name, at, 1, 'uint8');
          break;
        case 'table': {
          const target = deref(at);
          if (target !== null) walk(target, t.table, depth + 1);
          break;
        }
        case 'vector':
          vector(table, f.name, at, SCALAR_SIZE[t.elem], t.elem);
          break;
        case 'vectorOfStrings':
          vector(table, f.name, at, 4, null);
          break;
        case 'vectorOfTables': {
          const v = vector(table, f.name, at, 4, null);
          if (v) for (let i = 0; i < v.length; i++) {
            const target = deref(v.lenPos + 4 + 4 * i);
            if (target !== null) walk(target, t.table, depth + 1);
          }
          break;
        }
      }
    }
  };
  if (len >= 8) {
    const root = view.getUint32(0, true);
    if (inBounds(root, 4)) walk(root, 'Model', 0);
  }
  return { scalars, vectors };
}
