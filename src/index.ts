/** lce-js, browser-safe entry: the runtime API, the model format, errors. */
export { InferenceSession, setFileLoader } from './runtime/session.js';
export type { SessionOptions, TensorMetadata, OpProfile, RunOptions } from './runtime/session.js';
export { Tensor } from './runtime/tensor.js';
export { fetchKernelLoader } from './backend/wasm.js';
export type { KernelLoader, KernelBuild } from './backend/wasm.js';
export type { BackendName } from './runtime/backend.js';
export type { TensorType, TensorDataByType } from './runtime/tensor.js';
export { readModel, opTypeName } from './format/read.js';
export { writeModel } from './format/write.js';
export type { Model, SubgraphDef, TensorDef, OperatorDef, OperatorCodeDef, Quantization } from './graph/model.js';
export * from './errors.js';
