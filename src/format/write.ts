/**
 * In-memory Model → TFLite flatbuffer ("TFL3"), with the flatc-generated builders. Writes every field read.ts reads,
 * so read → write → read gives a deep-equal Model. Constant data is 16-byte aligned (as TFLite's exporter forces),
 * either inside the flatbuffer (default) or appended after it and referenced by Buffer.offset/size, the layout
 * TFLite uses for models over 2 GB.
 */
import { Builder } from 'flatbuffers';
import { LimitError } from '../errors.js';
import { tensorTypeOf } from '../graph/dtype.js';
import type { Model, OperatorDef, Quantization, SignatureTensorDef, TensorDef } from '../graph/model.js';
import { Buffer as FbBuffer } from './generated/tflite/buffer.js';
import { Metadata as FbMetadata } from './generated/tflite/metadata.js';
import { Model as FbModel } from './generated/tflite/model.js';
import { Operator as FbOperator } from './generated/tflite/operator.js';
import { OperatorCode as FbOperatorCode } from './generated/tflite/operator-code.js';
import { QuantizationParameters as FbQuantization } from './generated/tflite/quantization-parameters.js';
import { SignatureDef as FbSignatureDef } from './generated/tflite/signature-def.js';
import { SubGraph as FbSubGraph } from './generated/tflite/sub-graph.js';
import { Tensor as FbTensor } from './generated/tflite/tensor.js';
import { TensorMap as FbTensorMap } from './generated/tflite/tensor-map.js';
import { createScalarVector, encodeOptionsTable, optionsTableName, type OptionsUnion } from './options.js';
import { TFLITE_FILE_IDENTIFIER } from './verify.js';

export interface WriteOptions {
  /**
   * Store constant data after the flatbuffer, referenced by Buffer.offset/size (TFLite's layout for files over
   * 2 GB), instead of inside it. Default false.
   */
  externalBuffers?: boolean;
}

const ALIGN = 16;
/**
 * Inline data limit. Flatbuffers address themselves with 32-bit signed offsets, and the JS builder refuses to grow
 * its buffer past 1 GiB capacity, so larger models must use externalBuffers.
 */
const MAX_INLINE_BYTES = 0x3f000000;

export function writeModel(model: Model, options: WriteOptions = {}): Uint8Array {
  if (!options.externalBuffers) {
    const inlineBytes = model.buffers.reduce((n, b) => n + b.data.byteLength + ALIGN, 0);
    if (inlineBytes >= MAX_INLINE_BYTES) {
      throw new LimitError(`model has ${inlineBytes} bytes of constant data; write it with { externalBuffers: true }`);
    }
    return build(model, null);
  }
  // Two passes: offsets are absolute file positions, known only once the flatbuffer's size is. The first pass uses a
  // non-zero placeholder so every offset/size field is present; the second has the same layout with real values.
  const placeholder = model.buffers.map((b) => (b.data.byteLength > 0 ? 1n << 40n : 0n));
  const first = build(model, placeholder);
  let cursor = alignUp(first.byteLength);
  const offsets = model.buffers.map((b) => {
    if (b.data.byteLength === 0) return 0n;
    const at = cursor;
    cursor = alignUp(cursor + b.data.byteLength);
    return BigInt(at);
  });
  const flat = build(model, offsets);
  if (flat.byteLength !== first.byteLength) throw new Error('internal: external-buffer layout changed between passes');
  const out = new Uint8Array(cursor);
  out.set(flat, 0);
  model.buffers.forEach((b, i) => {
    if (b.data.byteLength > 0) out.set(b.data, Number(offsets[i]!));
  });
  return out;
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Builds the flatbuffer; with `externalOffsets`, buffers carry offset/size instead of inline data. */
function build(model: Model, externalOffsets: bigint[] | null): Uint8Array {
  const dataBytes = externalOffsets ? 0 : model.buffers.reduce((n, b) => n + b.data.byteLength + ALIGN, 0);
  const estimate = 4096 + dataBytes + 64 * model.subgraphs.reduce((n, s) => n + s.tensors.length + s.operators.length, 0);
  // A capacity that is a multiple of 16 (growth doubles it) keeps the returned view's data 16-aligned in memory too.
  const b = new Builder(Math.min(alignUp(estimate), MAX_INLINE_BYTES + 0x1000000));

  // Buffers first: the builder fills back to front, so the bulk data ends up at the end of the file.
  const bufferOffsets = model.buffers.map((buf, i) => {
    const n = buf.data.byteLength;
    let dataOffset = 0;
    if (n > 0 && !externalOffsets) {
      b.prep(ALIGN, n); // the vector's payload (not its length word) starts 16-aligned
      dataOffset = b.createByteVector(buf.data);
    }
    FbBuffer.startBuffer(b);
    if (dataOffset) FbBuffer.addData(b, dataOffset);
    if (externalOffsets && n > 0) {
      FbBuffer.addOffset(b, externalOffsets[i]!);
      FbBuffer.addSize(b, BigInt(n));
    }
    return FbBuffer.endBuffer(b);
  });

  const codeOffsets = model.operatorCodes.map((c) => {
    const custom = c.customCode !== undefined ? b.createString(c.customCode) : 0;
    return FbOperatorCode.createOperatorCode(b, c.deprecatedBuiltinCode, custom, c.version, c.builtinCode);
  });

  const subgraphOffsets = model.subgraphs.map((sg) => {
    const tensors = sg.tensors.map((t) => writeTensor(b, t));
    const operators = sg.operators.map((op) => writeOperator(b, op));
    const name = b.createString(sg.name);
    return FbSubGraph.createSubGraph(
      b,
      FbSubGraph.createTensorsVector(b, tensors),
      FbSubGraph.createInputsVector(b, sg.inputs),
      FbSubGraph.createOutputsVector(b, sg.outputs),
      FbSubGraph.createOperatorsVector(b, operators),
      name,
      -1,
    );
  });

  const metadataOffsets = model.metadata.map((m) => FbMetadata.createMetadata(b, b.createString(m.name), m.buffer));

  const tensorMaps = (list: SignatureTensorDef[]): number[] =>
    list.map((m) => FbTensorMap.createTensorMap(b, b.createString(m.name), m.tensorIndex));
  const signatureOffsets = model.signatureDefs.map((sd) => {
    const inputs = FbSignatureDef.createInputsVector(b, tensorMaps(sd.inputs));
    const outputs = FbSignatureDef.createOutputsVector(b, tensorMaps(sd.outputs));
    return FbSignatureDef.createSignatureDef(b, inputs, outputs, b.createString(sd.signatureKey), sd.subgraphIndex);
  });

  const root = FbModel.createModel(
    b,
    model.version,
    FbModel.createOperatorCodesVector(b, codeOffsets),
    FbModel.createSubgraphsVector(b, subgraphOffsets),
    b.createString(model.description),
    FbModel.createBuffersVector(b, bufferOffsets),
    0,
    FbModel.createMetadataVector(b, metadataOffsets),
    FbModel.createSignatureDefsVector(b, signatureOffsets),
    0,
    0,
  );
  b.finish(root, TFLITE_FILE_IDENTIFIER);
  const out = b.asUint8Array();
  // A view into the builder's buffer; copy only if the unused head would waste much memory.
  return out.byteOffset > out.byteLength / 4 ? out.slice() : out;
}

function writeQuantization(b: Builder, q: Quantization): number {
  const min = q.min !== undefined && q.min.length > 0 ? FbQuantization.createMinVector(b, q.min) : 0;
  const max = q.max !== undefined && q.max.length > 0 ? FbQuantization.createMaxVector(b, q.max) : 0;
  const scale = FbQuantization.createScaleVector(b, q.scale);
  const zeroPoint = createScalarVector(b, 'int64', q.zeroPoint);
  return FbQuantization.createQuantizationParameters(b, min, max, scale, zeroPoint, 0, 0, q.quantizedDimension);
}

function writeTensor(b: Builder, t: TensorDef): number {
  const type = tensorTypeOf(t.dtype);
  if (type < 0) throw new RangeError(`tensor ${t.name}: unknown dtype ${String(t.dtype)}`);
  const shape = FbTensor.createShapeVector(b, t.shape);
  const name = b.createString(t.name);
  const quant = t.quantization ? writeQuantization(b, t.quantization) : 0;
  const signature = t.shapeSignature ? FbTensor.createShapeSignatureVector(b, t.shapeSignature) : 0;
  FbTensor.startTensor(b);
  FbTensor.addShape(b, shape);
  FbTensor.addType(b, type);
  FbTensor.addBuffer(b, t.buffer);
  FbTensor.addName(b, name);
  if (quant) FbTensor.addQuantization(b, quant);
  FbTensor.addIsVariable(b, t.isVariable);
  if (signature) FbTensor.addShapeSignature(b, signature);
  FbTensor.addHasRank(b, t.hasRank ?? false);
  return FbTensor.endTensor(b);
}

function writeOptions(b: Builder, union: OptionsUnion, type: number, options: OperatorDef['builtinOptions'] | undefined): number {
  if (type === 0 || options === null || options === undefined) return 0;
  const table = optionsTableName(union, type);
  if (table === undefined) throw new RangeError(`${union} type ${type} is not in the schema, but options were given`);
  return encodeOptionsTable(b, table, options);
}

function writeOperator(b: Builder, op: OperatorDef): number {
  const inputs = FbOperator.createInputsVector(b, op.inputs);
  const outputs = FbOperator.createOutputsVector(b, op.outputs);
  const options = writeOptions(b, 'BuiltinOptions', op.builtinOptionsType, op.builtinOptions);
  const type2 = op.builtinOptions2Type ?? 0;
  const options2 = writeOptions(b, 'BuiltinOptions2', type2, op.builtinOptions2);
  const custom = op.customOptions !== undefined ? b.createByteVector(op.customOptions) : 0;
  const intermediates = op.intermediates !== undefined ? FbOperator.createIntermediatesVector(b, op.intermediates) : 0;
  return FbOperator.createOperator(
    b, op.opcodeIndex, inputs, outputs, op.builtinOptionsType, options, custom, op.customOptionsFormat ?? 0,
    0, intermediates, 0n, 0n, type2, options2, -1,
  );
}
