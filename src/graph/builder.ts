/**
 * Programmatic construction of single-subgraph models, for the converter and for tests. The Model that finish()
 * returns is exactly what readModel(writeModel(model)) gives back: options are complete (schema defaults filled),
 * float32 values are rounded to float32, and optional keys are present only where the file would have them.
 */
import { encodeFlexIntMap } from '../format/flexbuffer.js';
import { normaliseOptions, optionsSlotForOp } from '../format/options.js';
import { builtinCodeOf, isBuiltinOpName, validateModel } from '../format/read.js';
import { bytesPerElement, shapeSize, type DType } from './dtype.js';
import type {
  BufferDef, BuiltinOptions, MetadataDef, Model, OperatorCodeDef, OperatorDef, Quantization, TensorDef,
} from './model.js';

export interface TensorSpecInput {
  name: string;
  dtype: DType;
  shape: number[];
  /** Constant contents; the bytes are copied (little-endian, as typed arrays are on every supported platform). */
  data?: ArrayBufferView;
  quantization?: Quantization;
  shapeSignature?: number[];
}

export interface OpOptionsInput {
  /** camelCase fields of the op's options table; missing fields get the schema defaults; null: no table at all. */
  builtin?: BuiltinOptions | null;
  /** Raw custom-options bytes, or a map of integers encoded as LCE does (encodeFlexIntMap). */
  custom?: Uint8Array | Record<string, number>;
  version?: number;
}

const CUSTOM = 32;
/** deprecated_builtin_code is a byte; TFLite's exporter writes min(code, 127) (127 = PLACEHOLDER_FOR_GREATER_OP_CODES). */
const DEPRECATED_CODE_MAX = 127;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ModelBuilder {
  private readonly description: string;
  private readonly tensors: TensorDef[] = [];
  /** Buffer 0 is the empty sentinel that non-constant tensors point at. */
  private readonly buffers: BufferDef[] = [{ data: new Uint8Array(0) }];
  private readonly operatorCodes: OperatorCodeDef[] = [];
  private readonly codeIndex = new Map<string, number>();
  private readonly operators: OperatorDef[] = [];
  private readonly metadata: MetadataDef[] = [];
  private inputs: number[] = [];
  private outputs: number[] = [];
  private finished = false;

  constructor(description = 'lce-js') {
    this.description = description;
  }

  /** Adds a tensor and returns its index; `data` makes it a constant with its own buffer. */
  addTensor(spec: TensorSpecInput): number {
    this.checkOpen();
    const { name, dtype, shape } = spec;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RangeError(`tensor ${name}: shape [${shape.join(', ')}] must hold non-negative integers`);
    }
    const tensor: TensorDef = { name, dtype, shape: [...shape], buffer: 0, isVariable: false, hasRank: true };
    if (spec.shapeSignature !== undefined) {
      if (spec.shapeSignature.length !== shape.length) {
        throw new RangeError(`tensor ${name}: shape signature rank ${spec.shapeSignature.length} differs from shape rank ${shape.length}`);
      }
      tensor.shapeSignature = [...spec.shapeSignature];
    }
    const quant = spec.quantization ? normaliseQuantization(spec.quantization, name) : undefined;
    if (quant) tensor.quantization = quant;
    if (spec.data !== undefined) {
      if (!LITTLE_ENDIAN) throw new Error('ModelBuilder needs a little-endian platform to copy tensor data');
      const bytes = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength).slice();
      const bpe = bytesPerElement(dtype);
      const elements = shapeSize(shape);
      const expected = dtype === 'int4' ? Math.ceil(elements / 2) : elements * bpe;
      if ((bpe > 0 || dtype === 'int4') && bytes.byteLength !== expected) {
        throw new RangeError(`tensor ${name}: data has ${bytes.byteLength} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
      }
      tensor.buffer = this.buffers.length;
      this.buffers.push({ data: bytes });
    }
    this.tensors.push(tensor);
    return this.tensors.length - 1;
  }

  /** Adds an operator ('CONV_2D' or a custom code such as 'LceBconv2d') and returns its index. */
  addOp(type: string, inputs: number[], outputs: number[], options: OpOptionsInput = {}): number {
    this.checkOpen();
    inputs.forEach((i, k) => this.checkTensor(i, `${type} input ${k}`, true));
    outputs.forEach((i, k) => this.checkTensor(i, `${type} output ${k}`, false));
    const version = options.version ?? 1;
    if (!Number.isInteger(version) || version < 1) throw new RangeError(`${type}: version must be a positive integer`);
    const op: OperatorDef = {
      opcodeIndex: 0,
      inputs: [...inputs],
      outputs: [...outputs],
      builtinOptionsType: 0,
      builtinOptions: null,
      builtinOptions2Type: 0,
      builtinOptions2: null,
      customOptionsFormat: 0,
    };
    if (type !== 'CUSTOM' && isBuiltinOpName(type)) {
      const code = builtinCodeOf(type);
      if (options.custom !== undefined) throw new RangeError(`${type} is a builtin op and takes no custom options`);
      const slot = optionsSlotForOp(type);
      if (slot === null) {
        if (options.builtin && Object.keys(options.builtin).length > 0) {
          throw new RangeError(`${type} has no builtin options table, but options were given`);
        }
      } else if (options.builtin !== null) {
        const full = normaliseOptions(slot.table, options.builtin);
        if (slot.union === 'BuiltinOptions') {
          op.builtinOptionsType = slot.type;
          op.builtinOptions = full;
        } else {
          op.builtinOptions2Type = slot.type;
          op.builtinOptions2 = full;
        }
      }
      op.opcodeIndex = this.opcode({ builtinCode: code, deprecatedBuiltinCode: Math.min(code, DEPRECATED_CODE_MAX), version });
    } else {
      if (type === 'CUSTOM' || type.length === 0) throw new RangeError(`custom ops need their custom code as the type, got '${type}'`);
      if (options.builtin !== undefined) throw new RangeError(`${type} is a custom op and takes no builtin options`);
      const custom = options.custom;
      op.customOptions = custom === undefined
        ? new Uint8Array(0)
        : custom instanceof Uint8Array ? custom.slice() : encodeFlexIntMap(custom);
      op.opcodeIndex = this.opcode({ builtinCode: CUSTOM, deprecatedBuiltinCode: CUSTOM, customCode: type, version });
    }
    this.operators.push(op);
    return this.operators.length - 1;
  }

  setInputs(indices: number[]): void {
    this.checkOpen();
    indices.forEach((i, k) => this.checkTensor(i, `model input ${k}`, false));
    this.inputs = [...indices];
  }

  setOutputs(indices: number[]): void {
    this.checkOpen();
    indices.forEach((i, k) => this.checkTensor(i, `model output ${k}`, false));
    this.outputs = [...indices];
  }

  /** Attaches a named metadata buffer (e.g. 'min_runtime_version'); returns its buffer index. */
  addMetadata(name: string, bytes: Uint8Array): number {
    this.checkOpen();
    this.buffers.push({ data: bytes.slice() });
    this.metadata.push({ name, buffer: this.buffers.length - 1 });
    return this.buffers.length - 1;
  }

  /** Returns the model (one subgraph 'main' with a 'serving_default' signature); the builder is closed after. */
  finish(): Model {
    this.checkOpen();
    this.finished = true;
    const signatureTensor = (i: number) => ({ name: this.tensors[i]!.name, tensorIndex: i });
    const model: Model = {
      version: 3,
      description: this.description,
      operatorCodes: this.operatorCodes,
      subgraphs: [{ name: 'main', tensors: this.tensors, inputs: this.inputs, outputs: this.outputs, operators: this.operators }],
      buffers: this.buffers,
      metadata: this.metadata,
      signatureDefs: [{
        signatureKey: 'serving_default',
        subgraphIndex: 0,
        inputs: this.inputs.map(signatureTensor),
        outputs: this.outputs.map(signatureTensor),
      }],
    };
    validateModel(model, 'ModelBuilder');
    return model;
  }

  private opcode(code: OperatorCodeDef): number {
    const key = `${code.builtinCode}\u0000${code.customCode ?? ''}\u0000${code.version}`;
    let index = this.codeIndex.get(key);
    if (index === undefined) {
      index = this.operatorCodes.length;
      const def: OperatorCodeDef = { builtinCode: code.builtinCode, deprecatedBuiltinCode: code.deprecatedBuiltinCode, version: code.version };
      if (code.customCode !== undefined) def.customCode = code.customCode;
      this.operatorCodes.push(def);
      this.codeIndex.set(key, index);
    }
    return index;
  }

  private checkTensor(i: number, what: string, allowOmitted: boolean): void {
    if (allowOmitted && i === -1) return;
    if (!Number.isInteger(i) || i < 0 || i >= this.tensors.length) {
      throw new RangeError(`${what}: tensor index ${i} out of range (${this.tensors.length} tensors)`);
    }
  }

  private checkOpen(): void {
    if (this.finished) throw new Error('ModelBuilder.finish() was already called');
  }
}

/** The form readModel gives back: float32-rounded values, min/max only when non-empty, nothing when all empty. */
function normaliseQuantization(q: Quantization, tensor: string): Quantization | undefined {
  const f32 = (xs: readonly number[] | undefined) => (xs ?? []).map((x) => Math.fround(x));
  const scale = f32(q.scale);
  const zeroPoint = [...q.zeroPoint];
  if (!zeroPoint.every((z) => Number.isInteger(z))) throw new RangeError(`tensor ${tensor}: zero points must be integers`);
  const min = f32(q.min);
  const max = f32(q.max);
  if (scale.length + zeroPoint.length + min.length + max.length === 0) return undefined;
  const out: Quantization = { scale, zeroPoint, quantizedDimension: q.quantizedDimension };
  if (min.length > 0) out.min = min;
  if (max.length > 0) out.max = max;
  return out;
}
