/**
 * The in-memory model: a faithful, format-independent mirror of a TFLite flatbuffer.
 * `format/read.ts` builds it, `format/write.ts` serialises it; read → write → read gives an equal Model.
 * Builtin options are kept as plain objects keyed by the schema's field names in camelCase
 * (e.g. Conv2DOptions → { padding, strideW, strideH, fusedActivationFunction, dilationWFactor, dilationHFactor, ... }),
 * custom options as the raw flexbuffer bytes (decode with format/flexbuffer.ts).
 */
import type { DType } from './dtype.js';

export interface Quantization {
  /** Per-tensor: length 1. Per-channel: one per slice of `quantizedDimension`. */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  min?: number[];
  max?: number[];
}

export interface TensorDef {
  name: string;
  dtype: DType;
  shape: number[];
  /** -1 marks a dynamic dimension; absent when the file has none. */
  shapeSignature?: number[];
  quantization?: Quantization;
  /** Index into Model.buffers; 0 is the empty sentinel buffer (no constant data). */
  buffer: number;
  isVariable: boolean;
  hasRank?: boolean;
}

export interface OperatorCodeDef {
  /** Schema BuiltinOperator value (32 = CUSTOM). */
  builtinCode: number;
  deprecatedBuiltinCode: number;
  customCode?: string;
  version: number;
}

/** A plain-object builtin options table, e.g. { strideW: 1, strideH: 1, padding: 0, ... }. */
export type BuiltinOptions = Record<string, number | boolean | string | number[] | bigint | null>;

export interface OperatorDef {
  opcodeIndex: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  intermediates?: number[];
  /** Schema BuiltinOptions union type (0 = NONE) and, where it applies, the union table as a plain object. */
  builtinOptionsType: number;
  builtinOptions: BuiltinOptions | null;
  /** BuiltinOptions2 union (newer ops), same conventions. */
  builtinOptions2Type?: number;
  builtinOptions2?: BuiltinOptions | null;
  customOptions?: Uint8Array;
  customOptionsFormat?: number;
}

export interface SubgraphDef {
  name: string;
  tensors: TensorDef[];
  inputs: number[];
  outputs: number[];
  operators: OperatorDef[];
}

export interface BufferDef {
  /** Constant bytes (may be empty). Views into the source file are fine; writers copy. */
  data: Uint8Array;
}

export interface SignatureTensorDef {
  name: string;
  tensorIndex: number;
}

export interface SignatureDefDef {
  signatureKey: string;
  subgraphIndex: number;
  inputs: SignatureTensorDef[];
  outputs: SignatureTensorDef[];
}

export interface MetadataDef {
  name: string;
  buffer: number;
}

export interface Model {
  version: number;
  description: string;
  operatorCodes: OperatorCodeDef[];
  subgraphs: SubgraphDef[];
  buffers: BufferDef[];
  metadata: MetadataDef[];
  signatureDefs: SignatureDefDef[];
}
