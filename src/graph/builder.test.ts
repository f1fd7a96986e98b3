import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFlexMap } from '../format/flexbuffer.js';
import { opTypeName, readModel } from '../format/read.js';
import { writeModel } from '../format/write.js';
import { ModelBuilder } from './builder.js';

test('finish() gives exactly what the file reads back as', () => {
  const b = new ModelBuilder('d');
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 2, 2, 33], shapeSignature: [-1, 2, 2, 33] });
  const q = b.addTensor({ name: 'q', dtype: 'int32', shape: [1, 2, 2, 2] });
  const f = b.addTensor({ name: 'f', dtype: 'int32', shape: [4, 1, 1, 2], data: new Int32Array([1, -1, 2, -2, 3, -3, 4, -4]) });
  const m = b.addTensor({ name: 'm', dtype: 'float32', shape: [4], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) });
  const a = b.addTensor({ name: 'a', dtype: 'float32', shape: [4], data: new Float32Array(4) });
  const y = b.addTensor({ name: 'y', dtype: 'int8', shape: [1, 2, 2, 4], quantization: { scale: [0.1], zeroPoint: [2], quantizedDimension: 0 } });
  const z = b.addTensor({ name: 'z', dtype: 'float32', shape: [1, 2, 2, 4] });
  b.addOp('LceQuantize', [x], [q]);
  b.addOp('LceBconv2d', [q, f, m, a, -1], [y], { custom: { channels_in: 33, padding: 1, stride_height: 1, stride_width: 1 } });
  b.addOp('DEQUANTIZE', [y], [z]);
  b.setInputs([x]);
  b.setOutputs([z]);
  const model = b.finish();
  assert.deepEqual(readModel(writeModel(model)), model);
  assert.equal(model.description, 'd');
  assert.deepEqual(model.signatureDefs, [{
    signatureKey: 'serving_default', subgraphIndex: 0, inputs: [{ name: 'x', tensorIndex: 0 }], outputs: [{ name: 'z', tensorIndex: 6 }],
  }]);
  // Buffer 0 is the empty sentinel; constants get their own buffers with little-endian bytes.
  assert.equal(model.buffers[0]!.data.byteLength, 0);
  assert.equal(model.subgraphs[0]!.tensors[x]!.buffer, 0);
  const fData = model.buffers[model.subgraphs[0]!.tensors[f]!.buffer]!.data;
  assert.deepEqual([...fData.subarray(4, 8)], [0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...fData.subarray(8, 12)], [2, 0, 0, 0]);
});

test('LCE ops get the op codes and options the LCE converter writes (lce-ops.md §2)', () => {
  const b = new ModelBuilder();
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 1, 1, 32] });
  const q = b.addTensor({ name: 'q', dtype: 'int32', shape: [1, 1, 1, 1] });
  const p = b.addTensor({ name: 'p', dtype: 'int32', shape: [1, 1, 1, 1] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 1, 1, 32] });
  b.addOp('LceQuantize', [x], [q]);
  b.addOp('LceBMaxPool2d', [q], [p], { custom: { filter_height: 1, filter_width: 1, padding: 1, stride_height: 1, stride_width: 1 } });
  b.addOp('LceDequantize', [p], [y]);
  b.addOp('LceQuantize', [y], [q]);
  const model = b.finish();
  assert.deepEqual(model.operatorCodes, [
    { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: 'LceQuantize', version: 1 },
    { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: 'LceBMaxPool2d', version: 1 },
    { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: 'LceDequantize', version: 1 },
  ]);
  const ops = model.subgraphs[0]!.operators;
  assert.deepEqual(ops.map((o) => o.opcodeIndex), [0, 1, 2, 0]);
  assert.deepEqual(ops[0]!.customOptions, new Uint8Array(0));
  assert.deepEqual(ops[2]!.customOptions, new Uint8Array(0));
  assert.equal(ops[1]!.customOptionsFormat, 0);
  assert.equal(ops[1]!.builtinOptionsType, 0);
  assert.deepEqual(decodeFlexMap(ops[1]!.customOptions!, 'bmaxpool'), {
    filter_height: 1, filter_width: 1, padding: 1, stride_height: 1, stride_width: 1,
  });
});

test('builtin ops get their options table with schema defaults and the right op code', () => {
  const b = new ModelBuilder();
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 4, 4, 1] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 2, 2, 1] });
  const z = b.addTensor({ name: 'z', dtype: 'float32', shape: [1, 2, 2, 1] });
  b.addOp('MAX_POOL_2D', [x], [y], { builtin: { strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 } });
  b.addOp('RELU', [y], [z]);
  b.addOp('GELU', [y], [z], { version: 2 });
  b.addOp('STABLEHLO_IOTA', [], [z], { builtin: { iotaDimension: 1 } });
  const model = b.finish();
  const ops = model.subgraphs[0]!.operators;
  assert.deepEqual(ops.map((o) => opTypeName(model.operatorCodes[o.opcodeIndex]!)), ['MAX_POOL_2D', 'RELU', 'GELU', 'STABLEHLO_IOTA']);
  assert.deepEqual(ops[0]!.builtinOptions, { padding: 0, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 0 });
  assert.equal(ops[0]!.builtinOptionsType, 5); // Pool2DOptions
  assert.equal(ops[1]!.builtinOptionsType, 0);
  assert.equal(ops[1]!.builtinOptions, null);
  assert.equal(ops[1]!.customOptions, undefined);
  assert.deepEqual(model.operatorCodes[ops[2]!.opcodeIndex], { builtinCode: 150, deprecatedBuiltinCode: 127, version: 2 });
  assert.deepEqual(ops[3]!.builtinOptions2, { iotaDimension: 1n });
  assert.deepEqual(readModel(writeModel(model)), model);
});

test('programming mistakes are refused when they are made', () => {
  const b = new ModelBuilder();
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [2] });
  assert.throws(() => b.addTensor({ name: 'w', dtype: 'float32', shape: [3], data: new Float32Array(2) }), /data has 8 bytes but shape \[3\] of float32 needs 12/);
  assert.throws(() => b.addTensor({ name: 'n', dtype: 'float32', shape: [-1] }), /non-negative/);
  assert.throws(() => b.addTensor({ name: 's', dtype: 'float32', shape: [2], shapeSignature: [-1, 2] }), /rank/);
  assert.throws(() => b.addOp('RELU', [x, 7], [x]), /RELU input 1: tensor index 7 out of range/);
  assert.throws(() => b.addOp('RELU', [x], [-1]), /RELU output 0: tensor index -1/);
  assert.throws(() => b.addOp('RELU', [x], [x], { builtin: { alpha: 1 } }), /no builtin options table/);
  assert.throws(() => b.addOp('CONV_2D', [x], [x], { builtin: { stride: 1 } }), /Conv2DOptions has no field 'stride'/);
  assert.throws(() => b.addOp('CONV_2D', [x], [x], { custom: new Uint8Array(1) }), /takes no custom options/);
  assert.throws(() => b.addOp('LceBconv2d', [x], [x], { builtin: {} }), /takes no builtin options/);
  assert.throws(() => b.addOp('CUSTOM', [x], [x]), /custom code/);
  assert.throws(() => b.setOutputs([3]), /model output 0/);
  b.setInputs([x]);
  b.finish();
  assert.throws(() => b.finish(), /already called/);
  assert.throws(() => b.addTensor({ name: 'late', dtype: 'float32', shape: [1] }), /already called/);
});

test('quantization is kept in the form the reader gives back', () => {
  const b = new ModelBuilder();
  const t = b.addTensor({
    name: 't', dtype: 'int8', shape: [2, 1],
    quantization: { scale: [0.1, 0.3], zeroPoint: [0, 1], quantizedDimension: 0, min: [], max: undefined },
  });
  const u = b.addTensor({ name: 'u', dtype: 'float32', shape: [1], quantization: { scale: [], zeroPoint: [], quantizedDimension: 0 } });
  b.setInputs([t]);
  b.setOutputs([u]);
  const model = b.finish();
  assert.deepEqual(model.subgraphs[0]!.tensors[t]!.quantization, {
    scale: [Math.fround(0.1), Math.fround(0.3)], zeroPoint: [0, 1], quantizedDimension: 0,
  });
  assert.equal('quantization' in model.subgraphs[0]!.tensors[u]!, false);
  assert.deepEqual(readModel(writeModel(model)), model);
});
