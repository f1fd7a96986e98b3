/**
 * TFLite flatbuffer → in-memory Model (graph/model.ts). The bytes are verified first (verify.ts), then decoded with
 * the flatc-generated accessors; builtin options go through the schema-driven codec (options.ts). Finally the decoded
 * graph is checked for impossible references (validateModel), so consumers can index without re-checking.
 *
 * Conventions (write.ts produces files that read back to a deep-equal Model):
 * - optional keys (shapeSignature, quantization, intermediates, customOptions, min/max) are present only when the
 *   file has them; quantization is absent when the table holds no scale, zero point, min or max;
 * - hasRank, customOptionsFormat, builtinOptions2Type/builtinOptions2 are always set;
 * - buffer data are views into `bytes` (no copy).
 */
import { ByteBuffer } from 'flatbuffers';
import { ModelFormatError, ModelValidationError } from '../errors.js';
import { DTYPE_BY_TENSOR_TYPE, bytesPerElement, type DType } from '../graph/dtype.js';
import type {
  BufferDef, BuiltinOptions, MetadataDef, Model, OperatorCodeDef, OperatorDef, Quantization, SignatureDefDef,
  SignatureTensorDef, SubgraphDef, TensorDef,
} from '../graph/model.js';
import { ENUMS, TABLES } from './generated/schema-meta.js';
import { Model as FbModel } from './generated/tflite/model.js';
import type { Operator as FbOperator } from './generated/tflite/operator.js';
import type { Tensor as FbTensor } from './generated/tflite/tensor.js';
import { decodeOptionsTable, optionsTableName, type OptionsUnion } from './options.js';
import { verifyModel } from './verify.js';

const CUSTOM = 32;

/** Decodes and validates a .tflite file. Throws ModelFormatError / ModelValidationError naming the problem. */
export function readModel(bytes: Uint8Array, name = 'model'): Model {
  try {
    verifyModel(bytes);
  } catch (err) {
    if (err instanceof ModelFormatError) throw new ModelFormatError(`${name}: ${err.message}`, { cause: err });
    throw err;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fb = FbModel.getRootAsModel(new ByteBuffer(bytes));
  const reader = new Reader(bytes, view, name);

  const operatorCodes: OperatorCodeDef[] = [];
  for (let i = 0; i < fb.operatorCodesLength(); i++) {
    const c = fb.operatorCodes(i)!;
    const code: OperatorCodeDef = {
      builtinCode: c.builtinCode(),
      deprecatedBuiltinCode: c.deprecatedBuiltinCode(),
      version: c.version(),
    };
    const custom = c.customCode();
    if (custom !== null) code.customCode = custom;
    operatorCodes.push(code);
  }

  const buffers: BufferDef[] = [];
  for (let i = 0; i < fb.buffersLength(); i++) {
    const b = fb.buffers(i)!;
    const inline = b.dataArray();
    const offset = b.offset();
    // TFLite stores data outside the flatbuffer (files > 2 GB) as offset/size; offset 0 or 1 means "not used".
    if (offset > 1n && (inline === null || inline.byteLength === 0)) {
      buffers.push({ data: reader.slice(offset, b.size(), `buffer ${i}`) });
    } else {
      buffers.push({ data: inline ?? new Uint8Array(0) });
    }
  }

  const subgraphs: SubgraphDef[] = [];
  for (let s = 0; s < fb.subgraphsLength(); s++) {
    const sg = fb.subgraphs(s)!;
    const tensors: TensorDef[] = [];
    for (let t = 0; t < sg.tensorsLength(); t++) tensors.push(reader.tensor(sg.tensors(t)!, `${name}: subgraph ${s} tensor ${t}`));
    const operators: OperatorDef[] = [];
    for (let o = 0; o < sg.operatorsLength(); o++) operators.push(reader.operator(sg.operators(o)!, `${name}: subgraph ${s} operator ${o}`));
    subgraphs.push({
      name: sg.name() ?? '',
      tensors,
      inputs: intList(sg.inputsLength(), (i) => sg.inputs(i)!),
      outputs: intList(sg.outputsLength(), (i) => sg.outputs(i)!),
      operators,
    });
  }

  const metadata: MetadataDef[] = [];
  for (let i = 0; i < fb.metadataLength(); i++) {
    const m = fb.metadata(i)!;
    metadata.push({ name: m.name() ?? '', buffer: m.buffer() });
  }

  const signatureDefs: SignatureDefDef[] = [];
  for (let i = 0; i < fb.signatureDefsLength(); i++) {
    const sd = fb.signatureDefs(i)!;
    const inputs: SignatureTensorDef[] = [];
    for (let j = 0; j < sd.inputsLength(); j++) {
      const m = sd.inputs(j)!;
      inputs.push({ name: m.name() ?? '', tensorIndex: m.tensorIndex() });
    }
    const outputs: SignatureTensorDef[] = [];
    for (let j = 0; j < sd.outputsLength(); j++) {
      const m = sd.outputs(j)!;
      outputs.push({ name: m.name() ?? '', tensorIndex: m.tensorIndex() });
    }
    signatureDefs.push({ signatureKey: sd.signatureKey() ?? '', subgraphIndex: sd.subgraphIndex(), inputs, outputs });
  }

  const model: Model = {
    version: fb.version(),
    description: fb.description() ?? '',
    operatorCodes,
    subgraphs,
    buffers,
    metadata,
    signatureDefs,
  };
  validateModel(model, name);
  return model;
}

function intList(n: number, at: (i: number) => number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = at(i);
  return out;
}

/** Vtable slot of a union value field, from the generated metadata (so it tracks the schema). */
function unionSlot(union: OptionsUnion): number {
  const field = TABLES['Operator']!.find((f) => f.type.kind === 'union' && f.type.union === union);
  if (!field) throw new Error(`schema has no Operator field of union ${union}`);
  return field.slot;
}
const BUILTIN_OPTIONS_SLOT = unionSlot('BuiltinOptions');
const BUILTIN_OPTIONS_2_SLOT = unionSlot('BuiltinOptions2');

class Reader {
  constructor(private readonly bytes: Uint8Array, private readonly view: DataView, private readonly name: string) {}

  /** Bytes stored outside the flatbuffer at a file offset (Buffer.offset/size, large custom options). */
  slice(offset: bigint, size: bigint, what: string): Uint8Array {
    if (offset + size > BigInt(this.bytes.byteLength)) {
      throw new ModelFormatError(`${this.name}: ${what}: data at offset ${offset} (${size} bytes) lies outside the file`);
    }
    // A plain Uint8Array view even when `bytes` is a Node Buffer, like the views the generated accessors return.
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + Number(offset), Number(size));
  }

  tensor(t: FbTensor, what: string): TensorDef {
    const type = t.type();
    const dtype: DType | undefined = DTYPE_BY_TENSOR_TYPE[type];
    if (dtype === undefined) {
      throw new ModelValidationError(`${what}: unsupported tensor type ${ENUMS['TensorType']![type] ?? type}`);
    }
    if (t.sparsity() !== null) throw new ModelValidationError(`${what}: sparse tensors are not supported`);
    if (t.externalBuffer() !== 0) throw new ModelValidationError(`${what}: external buffers are not supported`);
    const tensor: TensorDef = {
      name: t.name() ?? '',
      dtype,
      shape: intList(t.shapeLength(), (i) => t.shape(i)!),
      buffer: t.buffer(),
      isVariable: t.isVariable(),
      hasRank: t.hasRank(),
    };
    // shape_signature is optional: keep "absent" distinct from "empty" (a scalar's signature).
    const sigOffset = t.bb!.__offset(t.bb_pos, 4 + 2 * fieldSlot('Tensor', 'shape_signature'));
    if (sigOffset !== 0) tensor.shapeSignature = intList(t.shapeSignatureLength(), (i) => t.shapeSignature(i)!);
    const q = t.quantization();
    if (q !== null) {
      if (q.detailsType() !== 0) {
        throw new ModelValidationError(`${what}: quantization details (${ENUMS['QuantizationDetails']?.[q.detailsType()] ?? q.detailsType()}) are not supported`);
      }
      const scale = intList(q.scaleLength(), (i) => q.scale(i)!);
      const zeroPoint: number[] = [];
      for (let i = 0; i < q.zeroPointLength(); i++) {
        const z = q.zeroPoint(i)!;
        if (z > 2147483647n || z < -2147483648n) throw new ModelValidationError(`${what}: zero point ${z} out of range`);
        zeroPoint.push(Number(z));
      }
      const min = intList(q.minLength(), (i) => q.min(i)!);
      const max = intList(q.maxLength(), (i) => q.max(i)!);
      if (scale.length + zeroPoint.length + min.length + max.length > 0) {
        const quant: Quantization = { scale, zeroPoint, quantizedDimension: q.quantizedDimension() };
        if (min.length > 0) quant.min = min;
        if (max.length > 0) quant.max = max;
        tensor.quantization = quant;
      }
    }
    return tensor;
  }

  operator(op: FbOperator, what: string): OperatorDef {
    const def: OperatorDef = {
      opcodeIndex: op.opcodeIndex(),
      inputs: intList(op.inputsLength(), (i) => op.inputs(i)!),
      outputs: intList(op.outputsLength(), (i) => op.outputs(i)!),
      builtinOptionsType: op.builtinOptionsType(),
      builtinOptions: this.options(op, 'BuiltinOptions', op.builtinOptionsType(), BUILTIN_OPTIONS_SLOT, what),
      builtinOptions2Type: op.builtinOptions2Type(),
      builtinOptions2: this.options(op, 'BuiltinOptions2', op.builtinOptions2Type(), BUILTIN_OPTIONS_2_SLOT, what),
      customOptionsFormat: op.customOptionsFormat(),
    };
    const custom = op.customOptionsArray();
    const largeOffset = op.largeCustomOptionsOffset();
    if (largeOffset > 1n) {
      def.customOptions = this.slice(largeOffset, op.largeCustomOptionsSize(), `${what}: large custom options`);
    } else if (custom !== null) {
      def.customOptions = custom;
    }
    const interOffset = op.bb!.__offset(op.bb_pos, 4 + 2 * fieldSlot('Operator', 'intermediates'));
    if (interOffset !== 0) def.intermediates = intList(op.intermediatesLength(), (i) => op.intermediates(i)!);
    return def;
  }

  private options(op: FbOperator, union: OptionsUnion, type: number, slot: number, what: string): BuiltinOptions | null {
    if (type === 0) return null;
    const table = optionsTableName(union, type);
    if (table === undefined) return null; // a union member newer than this schema: kept as its type number only
    const voff = op.bb!.__offset(op.bb_pos, 4 + 2 * slot);
    if (voff === 0) return null;
    const at = op.bb_pos + voff;
    return decodeOptionsTable(this.view, at + this.view.getUint32(at, true), table, what);
  }
}

function fieldSlot(table: string, field: string): number {
  const f = TABLES[table]!.find((x) => x.name === field);
  if (!f) throw new Error(`schema has no field ${table}.${field}`);
  return f.slot;
}

/**
 * Semantic checks on a decoded (or built) Model: every index refers to something that exists, shapes are
 * non-negative, constant buffers have exactly the bytes their tensor's shape and type need.
 */
export function validateModel(model: Model, name = 'model'): void {
  const fail = (msg: string): never => {
    throw new ModelValidationError(`${name}: ${msg}`);
  };
  const nBuffers = model.buffers.length;
  const nCodes = model.operatorCodes.length;
  model.subgraphs.forEach((sg, s) => {
    const nTensors = sg.tensors.length;
    const checkIndex = (i: number, what: string, allowOmitted: boolean): void => {
      if (allowOmitted && i === -1) return;
      if (!Number.isInteger(i) || i < 0 || i >= nTensors) fail(`subgraph ${s} ${what}: tensor index ${i} out of range (${nTensors} tensors)`);
    };
    sg.tensors.forEach((t, ti) => {
      const where = `subgraph ${s} tensor ${ti} (${t.name})`;
      if (t.shape.some((d) => d < 0)) fail(`${where}: negative dimension in shape [${t.shape.join(', ')}]`);
      if (t.buffer >= nBuffers) fail(`${where}: buffer index ${t.buffer} out of range (${nBuffers} buffers)`);
      const data = model.buffers[t.buffer]?.data;
      if (t.buffer !== 0 && data !== undefined && data.byteLength > 0) {
        let elements = 1;
        for (const d of t.shape) elements *= d;
        const bpe = bytesPerElement(t.dtype);
        const expected = t.dtype === 'int4' ? Math.ceil(elements / 2) : elements * bpe;
        if ((bpe > 0 || t.dtype === 'int4') && expected !== data.byteLength) {
          fail(`${where}: buffer ${t.buffer} holds ${data.byteLength} bytes but shape [${t.shape.join(', ')}] of ${t.dtype} needs ${expected}`);
        }
      }
    });
    sg.inputs.forEach((i, k) => checkIndex(i, `input ${k}`, false));
    sg.outputs.forEach((i, k) => checkIndex(i, `output ${k}`, false));
    sg.operators.forEach((op, o) => {
      if (!Number.isInteger(op.opcodeIndex) || op.opcodeIndex < 0 || op.opcodeIndex >= nCodes) {
        fail(`subgraph ${s} operator ${o}: opcode index ${op.opcodeIndex} out of range (${nCodes} operator codes)`);
      }
      op.inputs.forEach((i, k) => checkIndex(i, `operator ${o} input ${k}`, true));
      op.outputs.forEach((i, k) => checkIndex(i, `operator ${o} output ${k}`, false));
      op.intermediates?.forEach((i, k) => checkIndex(i, `operator ${o} intermediate ${k}`, false));
    });
  });
  model.metadata.forEach((m, i) => {
    if (m.buffer >= nBuffers) fail(`metadata ${i} (${m.name}): buffer index ${m.buffer} out of range (${nBuffers} buffers)`);
  });
  model.signatureDefs.forEach((sd, i) => {
    const sg = model.subgraphs[sd.subgraphIndex];
    if (sg === undefined) fail(`signature ${i} (${sd.signatureKey}): subgraph index ${sd.subgraphIndex} out of range`);
    for (const [kind, list] of [['input', sd.inputs], ['output', sd.outputs]] as const) {
      list.forEach((m, k) => {
        if (m.tensorIndex >= sg!.tensors.length) {
          fail(`signature ${i} (${sd.signatureKey}) ${kind} ${k} (${m.name}): tensor index ${m.tensorIndex} out of range`);
        }
      });
    }
  });
}

/** The builtin op name ('CONV_2D') or, for custom ops, the custom code ('LceBconv2d'). */
export function opTypeName(code: OperatorCodeDef): string {
  // Codes above 127 live only in builtin_code; older files only fill deprecated_builtin_code.
  const effective = Math.max(code.builtinCode, code.deprecatedBuiltinCode);
  if (effective === CUSTOM) return code.customCode ?? 'CUSTOM';
  return ENUMS['BuiltinOperator']![effective] ?? `BUILTIN_${effective}`;
}

let codesByName: Map<string, number> | undefined;

/** The BuiltinOperator value for an op type name; names that are not builtin ops (custom codes) give CUSTOM (32). */
export function builtinCodeOf(name: string): number {
  if (!codesByName) {
    codesByName = new Map();
    for (const [value, opName] of Object.entries(ENUMS['BuiltinOperator']!)) codesByName.set(opName, Number(value));
  }
  return codesByName.get(name) ?? CUSTOM;
}

/** True if `name` is a BuiltinOperator name of the schema (as opposed to a custom code). */
export function isBuiltinOpName(name: string): boolean {
  builtinCodeOf(name);
  return codesByName!.has(name);
}
