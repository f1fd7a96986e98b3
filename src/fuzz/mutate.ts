/**
 * Model mutators: blind byte-level edits (bit flips, byte sets, truncation, chunk moves, splices of two models) and
 * field-aware edits found through locateFields (shape entries, buffer indices, op tensor indices, custom options
 * bytes, vector lengths, any scalar field, weights). Each returns a description used in reports and saved cases.
 */
import type { ScalarType } from '../format/generated/schema-meta.js';
import { mutateGraph } from './mutate-graph.js';
import { locateFields, type FieldMap, type ScalarField, type VectorField } from './locate.js';
import type { Rng } from './rng.js';

export interface Mutated {
  bytes: Uint8Array;
  /** What was done, e.g. ["flip bit 3 of byte 120", "Tensor.shape[1] 8 → -1"]. */
  edits: string[];
}

const INTERESTING_I32 = [0, 1, -1, 2, 3, 7, 8, 31, 32, 33, 64, 127, 128, 255, 256, 1024, 4096, 65535, 65536,
  1 << 20, 1 << 24, 0x3fffffff, 0x7fffffff, -0x80000000, -2, -128] as const;
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20, 0x10] as const;
const INTERESTING_F32 = [0, -0, 1, -1, 0.5, 1e-45, 1e-30, 1e30, 3.4e38, Infinity, -Infinity, NaN, 65504, 1e-8] as const;

type Kind =
  | 'bitflip' | 'byteset' | 'truncate' | 'chunk' | 'splice'
  | 'shape' | 'bufferIndex' | 'tensorIndex' | 'customOptions' | 'vectorLength' | 'scalar' | 'quantization' | 'weights'
  | 'graph';

const WEIGHTS: Readonly<Record<Kind, number>> = {
  bitflip: 12, byteset: 8, truncate: 5, chunk: 4, splice: 5,
  shape: 14, bufferIndex: 6, tensorIndex: 10, customOptions: 10, vectorLength: 8, scalar: 10, quantization: 5, weights: 3,
  graph: 45,
};

/** Applies 1-3 mutations (mostly one) to `base`; `other` is a second corpus model for splices. */
export function mutateModel(rng: Rng, base: Uint8Array, other: Uint8Array): Mutated {
  let bytes: Uint8Array = base.slice();
  const edits: string[] = [];
  const rounds = rng.bool(0.7) ? 1 : rng.range(2, 3);
  for (let r = 0; r < rounds; r++) {
    const kind = rng.weighted(WEIGHTS);
    const fields = locateFields(bytes);
    const next = applyMutation(rng, kind, bytes, other, fields);
    bytes = next.bytes;
    edits.push(...next.edits);
  }
  return { bytes, edits };
}

function applyMutation(rng: Rng, kind: Kind, bytes: Uint8Array, other: Uint8Array, fields: FieldMap): Mutated {
  const n = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (kind) {
    case 'graph': {
      const m = mutateGraph(rng, bytes);
      return m ?? applyMutation(rng, 'bitflip', bytes, other, fields);
    }
    case 'bitflip': {
      const count = rng.pick([1, 1, 1, 2, 4, 8]);
      const edits: string[] = [];
      for (let i = 0; i < count && n > 0; i++) {
        const at = rng.int(n);
        const bit = rng.int(8);
        bytes[at]! ^= 1 << bit;
        edits.push(`flip bit ${bit} of byte ${at}`);
      }
      return { bytes, edits };
    }
    case 'byteset': {
      if (n === 0) return { bytes, edits: [] };
      const at = rng.int(n);
      const width = rng.pick([1, 1, 2, 4]);
      const value = rng.pick(INTERESTING_BYTES);
      for (let i = 0; i < width && at + i < n; i++) bytes[at + i] = value;
      return { bytes, edits: [`set ${width} byte(s) at ${at} to 0x${value.toString(16)}`] };
    }
    case 'truncate': {
      const len = rng.bool(0.2) ? rng.int(16) : rng.int(n);
      return { bytes: bytes.slice(0, len), edits: [`truncate ${n} → ${len} bytes`] };
    }
    case 'chunk': {
      // Deleting or duplicating a chunk shifts everything after it, so offsets point into the wrong objects.
      const at = rng.int(n);
      const len = Math.min(n - at, rng.range(1, 64));
      if (rng.bool()) {
        const out = new Uint8Array(n - len);
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(at + len), at);
        return { bytes: out, edits: [`delete ${len} bytes at ${at}`] };
      }
      const out = new Uint8Array(n + len);
      out.set(bytes.subarray(0, at + len));
      out.set(bytes.subarray(at), at + len);
      return { bytes: out, edits: [`duplicate ${len} bytes at ${at}`] };
    }
    case 'splice': {
      if (rng.bool()) {
        // Head of one model, tail of the other.
        const cut = rng.int(n);
        const from = rng.int(other.byteLength);
        const out = new Uint8Array(cut + other.byteLength - from);
        out.set(bytes.subarray(0, cut));
        out.set(other.subarray(from), cut);
        return { bytes: out, edits: [`splice: first ${cut} bytes + other model from ${from}`] };
      }
      // Overwrite a region with the same region of the other model (aligned structures, different values).
      const at = rng.int(Math.min(n, other.byteLength));
      const len = Math.min(rng.range(4, 256), n - at, other.byteLength - at);
      bytes.set(other.subarray(at, at + len), at);
      return { bytes, edits: [`splice: ${len} bytes at ${at} from the other model`] };
    }
    case 'shape': {
      const v = pickVector(rng, fields, (f) => f.table === 'Tensor' && (f.field === 'shape' || f.field === 'shape_signature') && f.length > 0);
      if (!v) return applyMutation(rng, 'bitflip', bytes, other, fields);
      const i = rng.int(v.length);
      const at = v.lenPos + 4 + 4 * i;
      const old = view.getInt32(at, true);
      const value = rng.pick([...INTERESTING_I32, old + 1, old - 1, old * 2, old * 3, Math.floor(old / 2)]) | 0;
      view.setInt32(at, value, true);
      return { bytes, edits: [`Tensor.${v.field}[${i}] ${old} → ${value}`] };
    }
    case 'bufferIndex': {
      const s = pickScalar(rng, fields, (f) => f.field === 'buffer');
      if (!s) return applyMutation(rng, 'bitflip', bytes, other, fields);
      const buffers = fields.vectors.find((v) => v.table === 'Model' && v.field === 'buffers')?.length ?? 1;
      const value = rng.pick([0, 1, buffers - 1, buffers, buffers + 1, rng.int(buffers), 0x7fffffff, 0xffffffff]);
      return setScalar(view, s, value, bytes);
    }
    case 'tensorIndex': {
      const v = pickVector(rng, fields, (f) => (f.table === 'Operator' || f.table === 'SubGraph') &&
        (f.field === 'inputs' || f.field === 'outputs' || f.field === 'intermediates') && f.length > 0);
      if (!v) return applyMutation(rng, 'bitflip', bytes, other, fields);
      const tensors = fields.vectors.find((x) => x.table === 'SubGraph' && x.field === 'tensors')?.length ?? 1;
      const i = rng.int(v.length);
      const at = v.lenPos + 4 + 4 * i;
      const old = view.getInt32(at, true);
      const value = rng.pick([-1, -2, 0, tensors - 1, tensors, tensors + 1, rng.int(tensors), rng.int(tensors), old + 1, 0x7fffffff]);
      view.setInt32(at, value, true);
      return { bytes, edits: [`${v.table}.${v.field}[${i}] ${old} → ${value}`] };
    }
    case 'customOptions': {
      const v = pickVector(rng, fields, (f) => f.table === 'Operator' && f.field === 'custom_options' && f.length > 0);
      if (!v) return applyMutation(rng, 'scalar', bytes, other, fields);
      const edits: string[] = [];
      const count = rng.pick([1, 1, 2, 3]);
      for (let k = 0; k < count; k++) {
        const i = rng.int(v.length);
        const at = v.lenPos + 4 + i;
        const old = bytes[at]!;
        // The last bytes (root type, width) and integer values (small bytes) are the interesting targets.
        const value = rng.bool(0.5) ? rng.pick(INTERESTING_BYTES) : rng.bool() ? old ^ (1 << rng.int(8)) : rng.int(256);
        bytes[at] = value;
        edits.push(`Operator.custom_options[${i}] 0x${old.toString(16)} → 0x${value.toString(16)}`);
      }
      return { bytes, edits };
    }
    case 'vectorLength': {
      const v = pickVector(rng, fields, () => true);
      if (!v) return applyMutation(rng, 'bitflip', bytes, other, fields);
      const value = rng.pick([0, 1, v.length - 1, v.length + 1, v.length * 2, 0x7fffffff, 0xffffffff, 1 << 20]) >>> 0;
      view.setUint32(v.lenPos, value, true);
      return { bytes, edits: [`${v.table}.${v.field} length ${v.length} → ${value}`] };
    }
    case 'scalar': {
      const s = pickScalar(rng, fields, () => true);
      if (!s) return applyMutation(rng, 'bitflip', bytes, other, fields);
      const value = s.scalar === 'float32' || s.scalar === 'float64' ? rng.pick(INTERESTING_F32) : rng.pick(INTERESTING_I32);
      return setScalar(view, s, value, bytes);
    }
    case 'quantization': {
      const v = pickVector(rng, fields, (f) => f.table === 'QuantizationParameters' && f.length > 0);
      if (!v || v.elem === null) return applyMutation(rng, 'scalar', bytes, other, fields);
      const i = rng.int(v.length);
      const at = v.lenPos + 4 + v.elemSize * i;
      if (v.elem === 'float32') {
        const value = rng.pick(INTERESTING_F32);
        view.setFloat32(at, value, true);
        return { bytes, edits: [`QuantizationParameters.${v.field}[${i}] → ${value}`] };
      }
      const value = rng.pick(INTERESTING_I32);
      view.setBigInt64(at, BigInt(value), true);
      return { bytes, edits: [`QuantizationParameters.${v.field}[${i}] → ${value}`] };
    }
    case 'weights': {
      // Random weights must still give a result (or a typed error), never a crash.
      const v = pickVector(rng, fields, (f) => f.table === 'Buffer' && f.field === 'data' && f.length > 0);
      if (!v) return applyMutation(rng, 'byteset', bytes, other, fields);
      const start = v.lenPos + 4;
      const fill = rng.pick(['random', 'ff', 'nan'] as const);
      for (let i = 0; i < v.length; i++) {
        bytes[start + i] = fill === 'random' ? rng.int(256) : fill === 'ff' ? 0xff : (i % 4 === 3 ? 0x7f : i % 4 === 2 ? 0xc0 : 0);
      }
      return { bytes, edits: [`Buffer.data (${v.length} bytes at ${start}) filled with ${fill}`] };
    }
  }
}

function pickVector(rng: Rng, fields: FieldMap, ok: (v: VectorField) => boolean): VectorField | undefined {
  const list = fields.vectors.filter(ok);
  return list.length > 0 ? rng.pick(list) : undefined;
}

function pickScalar(rng: Rng, fields: FieldMap, ok: (s: ScalarField) => boolean): ScalarField | undefined {
  const list = fields.scalars.filter(ok);
  return list.length > 0 ? rng.pick(list) : undefined;
}

function setScalar(view: DataView, s: ScalarField, value: number, bytes: Uint8Array): Mutated {
  const old = readScalar(view, s.pos, s.scalar);
  writeScalar(view, s.pos, s.scalar, value);
  return { bytes, edits: [`${s.table}.${s.field} ${String(old)} → ${String(readScalar(view, s.pos, s.scalar))}`] };
}

function readScalar(view: DataView, at: number, t: ScalarType): number | bigint {
  switch (t) {
    case 'bool': case 'uint8': return view.getUint8(at);
    case 'int8': return view.getInt8(at);
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

function writeScalar(view: DataView, at: number, t: ScalarType, value: number): void {
  const int = Number.isFinite(value) ? Math.trunc(value) : 0;
  switch (t) {
    case 'bool': case 'uint8': case 'int8': view.setUint8(at, int & 0xff); break;
    case 'int16': case 'uint16': view.setUint16(at, int & 0xffff, true); break;
    case 'int32': case 'uint32': view.setUint32(at, int >>> 0, true); break;
    case 'int64': case 'uint64': view.setBigInt64(at, BigInt(int), true); break;
    case 'float32': view.setFloat32(at, value, true); break;
    case 'float64': view.setFloat64(at, value, true); break;
  }
}
