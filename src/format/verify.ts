/**
 * A bounds verifier for untrusted TFLite flatbuffers. The JS `flatbuffers` runtime reads whatever offsets the bytes
 * contain, so every table, vtable, field, vector and string reachable from the root is checked against the buffer
 * before anything is decoded. It is driven by the schema metadata generated from schema.fbs, so it covers every table
 * (builtin options included). Work is bounded: nesting depth is capped, and a budget proportional to the file size
 * caps how many tables/vectors/strings are visited, so shared (DAG) offsets cannot blow up time or the decoded size.
 */
import { ModelFormatError } from '../errors.js';
import { SCALAR_SIZE, TABLES, UNIONS, type FieldMeta } from './generated/schema-meta.js';

export const TFLITE_FILE_IDENTIFIER = 'TFL3';

const MAX_DEPTH = 32;

/** How messages name elements of well-known vectors ("subgraph 0 tensor 12"). */
const ELEMENT_NAMES: Readonly<Record<string, string>> = {
  operator_codes: 'operator code',
  subgraphs: 'subgraph',
  buffers: 'buffer',
  metadata: 'metadata',
  signature_defs: 'signature',
  tensors: 'tensor',
  operators: 'operator',
  inputs: 'input',
  outputs: 'output',
  external_buffer_groups: 'external buffer group',
  external_buffers: 'external buffer',
};

/** Throws ModelFormatError unless `bytes` is a structurally sound TFLite Model flatbuffer. */
export function verifyModel(bytes: Uint8Array): void {
  if (bytes.byteLength < 8) {
    throw new ModelFormatError(`file of ${bytes.byteLength} bytes is too short to be a TFLite flatbuffer`);
  }
  const ident = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  const verifier = new Verifier(bytes);
  if (ident === TFLITE_FILE_IDENTIFIER) {
    verifier.verifyRoot();
    return;
  }
  // Some writers omit the identifier; accept such a file only if its root table verifies as a Model.
  try {
    verifier.verifyRoot();
  } catch (cause) {
    const shown = JSON.stringify(ident.replace(/[^\x20-\x7e]/g, '?'));
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ModelFormatError(
      `not a TFLite model: file identifier is ${shown} (expected "${TFLITE_FILE_IDENTIFIER}") and the root table does not verify (${reason})`,
      { cause },
    );
  }
}

class Verifier {
  private readonly view: DataView;
  private readonly len: number;
  private budget: number;
  private readonly path: string[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
    // A file without shared objects holds at most len/4 tables, vectors and strings (each needs 4 bytes).
    this.budget = Math.floor(this.len / 2) + 1024;
  }

  verifyRoot(): void {
    const rootOffset = this.view.getUint32(0, true);
    if (rootOffset === 0 || rootOffset >= 0x80000000 || rootOffset + 4 > this.len) {
      this.fail(`root table offset ${rootOffset} out of bounds`);
    }
    this.verifyTable(rootOffset, 'Model', 0);
  }

  private fail(what: string): never {
    const where = this.path.length > 0 ? `${this.path.join(' ')}: ` : 'model: ';
    throw new ModelFormatError(where + what);
  }

  private spend(n: number): void {
    this.budget -= n;
    if (this.budget < 0) this.fail('too many objects for the file size (shared or cyclic offsets)');
  }

  /** Follows the uoffset stored at `at`; the target must be a later position inside the buffer. */
  private deref(at: number, what: string): number {
    const off = this.view.getUint32(at, true);
    if (off === 0 || off >= 0x80000000) this.fail(`${what} has an invalid offset ${off}`);
    const target = at + off;
    if (target + 4 > this.len) this.fail(`${what} offset out of bounds`);
    return target;
  }

  private verifyTable(pos: number, table: string, depth: number): void {
    if (depth > MAX_DEPTH) this.fail('tables nested too deeply');
    this.spend(1);
    const fields = TABLES[table];
    if (fields === undefined) this.fail(`unknown table type ${table}`);
    if (pos + 4 > this.len) this.fail(`${table} table out of bounds`);
    const vt = pos - this.view.getInt32(pos, true);
    if (vt < 0 || vt + 4 > this.len) this.fail(`${table} vtable out of bounds`);
    const vtSize = this.view.getUint16(vt, true);
    const tableSize = this.view.getUint16(vt + 2, true);
    if (vtSize < 4 || (vtSize & 1) !== 0 || vt + vtSize > this.len) this.fail(`${table} vtable is malformed`);
    if (tableSize < 4 || pos + tableSize > this.len) this.fail(`${table} table extends past the end of the file`);
    let unionType = 0;
    for (const field of fields) {
      const entry = 4 + field.slot * 2;
      if (entry + 2 > vtSize) continue;
      const voff = this.view.getUint16(vt + entry, true);
      if (voff === 0) continue;
      const size = fieldSize(field);
      if (voff < 4 || voff + size > tableSize) this.fail(`${field.name} field out of bounds`);
      const at = pos + voff;
      const t = field.type;
      switch (t.kind) {
        case 'scalar':
          break;
        case 'unionType':
          unionType = this.view.getUint8(at);
          break;
        case 'union': {
          const member = UNIONS[t.union]?.[unionType];
          // Unknown members (a newer schema) are skipped, as TFLite's verifier does; readers leave them undecoded.
          if (unionType !== 0 && member) {
            const target = this.deref(at, field.name);
            this.path.push(field.name);
            this.verifyTable(target, member, depth + 1);
            this.path.pop();
          }
          break;
        }
        case 'string':
          this.verifyString(this.deref(at, field.name), field.name);
          break;
        case 'table': {
          const target = this.deref(at, field.name);
          this.path.push(field.name);
          this.verifyTable(target, t.table, depth + 1);
          this.path.pop();
          break;
        }
        case 'vector':
          this.verifyVector(this.deref(at, `${field.name} vector`), SCALAR_SIZE[t.elem], field.name);
          break;
        case 'vectorOfStrings': {
          const label = field.name;
          const start = this.deref(at, `${label} vector`);
          const n = this.verifyVector(start, 4, label);
          this.spend(n);
          for (let i = 0; i < n; i++) {
            this.verifyString(this.deref(start + 4 + 4 * i, `${label}[${i}]`), `${label}[${i}]`);
          }
          break;
        }
        case 'vectorOfTables': {
          const label = field.name;
          const start = this.deref(at, `${label} vector`);
          const n = this.verifyVector(start, 4, label);
          const element = ELEMENT_NAMES[field.name] ?? `${field.name}[]`;
          for (let i = 0; i < n; i++) {
            const target = this.deref(start + 4 + 4 * i, `${element} ${i}`);
            this.path.push(`${element} ${i}`);
            this.verifyTable(target, t.table, depth + 1);
            this.path.pop();
          }
          break;
        }
      }
    }
  }

  /** Checks a vector's length word and element bytes lie in the buffer; returns the element count. */
  private verifyVector(start: number, elemSize: number, label: string): number {
    this.spend(1);
    const n = this.view.getUint32(start, true);
    if (start + 4 + n * elemSize > this.len) this.fail(`${label} vector out of bounds (${n} elements)`);
    return n;
  }

  private verifyString(start: number, label: string): void {
    this.spend(1);
    const n = this.view.getUint32(start, true);
    const end = start + 4 + n;
    if (end + 1 > this.len) this.fail(`${label} string out of bounds (${n} bytes)`);
    if (this.bytes[end] !== 0) this.fail(`${label} string is not zero-terminated`);
  }
}

function fieldSize(field: FieldMeta): number {
  const t = field.type;
  if (t.kind === 'scalar') return SCALAR_SIZE[t.scalar];
  if (t.kind === 'unionType') return 1;
  return 4;
}
