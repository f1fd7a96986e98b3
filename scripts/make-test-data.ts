/**
 * Writes the hand-built models under test/data/ that the format tests round-trip:
 *   float_conv.tflite       float CNN: CONV_2D (fused RELU), DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX
 *   lce_net.tflite          LceQuantize → LceBMaxPool2d → LceBconv2d (float out) → LceDequantize-free tail, plus a
 *                           bitpacked-output LceBconv2d → LceDequantize
 *   int8_per_channel.tflite QUANTIZE → int8 CONV_2D with per-channel filter scales → DEQUANTIZE
 *   signatures_metadata.tflite  two subgraphs (WHILE), two signatures, metadata buffers, shape signatures, a
 *                           variable tensor, min/max, intermediates, a BuiltinOptions2 op
 * Run: npx tsx scripts/make-test-data.ts   (deterministic: same bytes every run)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModel } from '../src/format/write.js';
import { ModelBuilder } from '../src/graph/builder.js';
import type { Model } from '../src/graph/model.js';
import { makeRng as rng } from '../src/reference/lce-testutil.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'data');

function floats(n: number, rand: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

export function floatConvNet(): Model {
  const rand = rng(1);
  const b = new ModelBuilder('lce-js test: float conv net');
  const x = b.addTensor({ name: 'input', dtype: 'float32', shape: [1, 8, 8, 3], shapeSignature: [-1, 8, 8, 3] });
  const w1 = b.addTensor({ name: 'conv/filter', dtype: 'float32', shape: [8, 3, 3, 3], data: floats(8 * 27, rand) });
  const b1 = b.addTensor({ name: 'conv/bias', dtype: 'float32', shape: [8], data: floats(8, rand, 0.1) });
  const y1 = b.addTensor({ name: 'conv', dtype: 'float32', shape: [1, 8, 8, 8] });
  b.addOp('CONV_2D', [x, w1, b1], [y1], { builtin: { padding: 0, strideW: 1, strideH: 1, fusedActivationFunction: 1 } });
  const w2 = b.addTensor({ name: 'dw/filter', dtype: 'float32', shape: [1, 3, 3, 8], data: floats(72, rand) });
  const b2 = b.addTensor({ name: 'dw/bias', dtype: 'float32', shape: [8], data: floats(8, rand, 0.1) });
  const y2 = b.addTensor({ name: 'dw', dtype: 'float32', shape: [1, 4, 4, 8] });
  b.addOp('DEPTHWISE_CONV_2D', [y1, w2, b2], [y2], {
    builtin: { padding: 0, strideW: 2, strideH: 2, depthMultiplier: 1, fusedActivationFunction: 3 },
    version: 2,
  });
  const y3 = b.addTensor({ name: 'pool', dtype: 'float32', shape: [1, 2, 2, 8] });
  b.addOp('AVERAGE_POOL_2D', [y2], [y3], { builtin: { padding: 1, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 } });
  const shape = b.addTensor({ name: 'reshape/shape', dtype: 'int32', shape: [2], data: new Int32Array([1, 32]) });
  const y4 = b.addTensor({ name: 'flat', dtype: 'float32', shape: [1, 32] });
  b.addOp('RESHAPE', [y3, shape], [y4], { builtin: { newShape: [1, 32] } });
  const w5 = b.addTensor({ name: 'fc/weights', dtype: 'float32', shape: [10, 32], data: floats(320, rand) });
  const y5 = b.addTensor({ name: 'logits', dtype: 'float32', shape: [1, 10] });
  b.addOp('FULLY_CONNECTED', [y4, w5, -1], [y5], { builtin: { keepNumDims: false } });
  const y6 = b.addTensor({ name: 'probs', dtype: 'float32', shape: [1, 10] });
  b.addOp('SOFTMAX', [y5], [y6], { builtin: { beta: 1 } });
  b.setInputs([x]);
  b.setOutputs([y6]);
  return b.finish();
}

function packedWords(n: number, rand: () => number): Int32Array {
  return Int32Array.from({ length: n }, () => (rand() * 4294967296) | 0);
}

export function lceNet(): Model {
  const rand = rng(2);
  const b = new ModelBuilder('lce-js test: LCE net');
  const x = b.addTensor({ name: 'input', dtype: 'float32', shape: [1, 8, 8, 64] });
  const q = b.addTensor({ name: 'quantize', dtype: 'int32', shape: [1, 8, 8, 2] });
  b.addOp('LceQuantize', [x], [q]);
  const p = b.addTensor({ name: 'bmaxpool', dtype: 'int32', shape: [1, 4, 4, 2] });
  b.addOp('LceBMaxPool2d', [q], [p], {
    custom: { padding: 1, stride_width: 2, stride_height: 2, filter_width: 2, filter_height: 2 },
  });
  // Float-output binary conv: multiplier and bias present, threshold omitted (-1).
  const f1 = b.addTensor({ name: 'bconv1/filter', dtype: 'int32', shape: [40, 3, 3, 2], data: packedWords(40 * 9 * 2, rand) });
  const m1 = b.addTensor({ name: 'bconv1/multiplier', dtype: 'float32', shape: [40], data: floats(40, rand) });
  const a1 = b.addTensor({ name: 'bconv1/bias', dtype: 'float32', shape: [40], data: floats(40, rand) });
  const y1 = b.addTensor({ name: 'bconv1', dtype: 'float32', shape: [1, 4, 4, 40] });
  b.addOp('LceBconv2d', [p, f1, m1, a1, -1], [y1], {
    custom: {
      channels_in: 64, dilation_height_factor: 1, dilation_width_factor: 1, fused_activation_function: 1,
      pad_values: 1, padding: 0, stride_height: 1, stride_width: 1,
    },
  });
  const q2 = b.addTensor({ name: 'quantize2', dtype: 'int32', shape: [1, 4, 4, 2] });
  b.addOp('LceQuantize', [y1], [q2]);
  // Bitpacked-output binary conv: thresholds present, multiplier/bias omitted.
  const f2 = b.addTensor({ name: 'bconv2/filter', dtype: 'int32', shape: [33, 1, 1, 2], data: packedWords(66, rand) });
  const t2 = b.addTensor({ name: 'bconv2/threshold', dtype: 'int32', shape: [33], data: Int32Array.from({ length: 33 }, (_, i) => i - 16) });
  const y2 = b.addTensor({ name: 'bconv2', dtype: 'int32', shape: [1, 4, 4, 2] });
  b.addOp('LceBconv2d', [q2, f2, -1, -1, t2], [y2], {
    custom: {
      channels_in: 40, dilation_height_factor: 1, dilation_width_factor: 1, fused_activation_function: 0,
      pad_values: 0, padding: 1, stride_height: 1, stride_width: 1,
    },
  });
  const out = b.addTensor({ name: 'dequantize', dtype: 'float32', shape: [1, 4, 4, 33] });
  b.addOp('LceDequantize', [y2], [out]);
  b.setInputs([x]);
  b.setOutputs([out]);
  b.addMetadata('min_runtime_version', new TextEncoder().encode('1.14.0\0\0\0\0\0\0\0\0\0\0'));
  return b.finish();
}

export function int8PerChannel(): Model {
  const rand = rng(3);
  const b = new ModelBuilder('lce-js test: int8 per-channel');
  const x = b.addTensor({ name: 'input', dtype: 'float32', shape: [1, 5, 5, 4] });
  const xq = b.addTensor({
    name: 'input_int8', dtype: 'int8', shape: [1, 5, 5, 4],
    quantization: { scale: [0.02], zeroPoint: [-3], quantizedDimension: 0, min: [-2.5], max: [2.6] },
  });
  b.addOp('QUANTIZE', [x], [xq]);
  const outC = 6;
  const wScales = Array.from({ length: outC }, (_, i) => 0.001 * (i + 1));
  const w = b.addTensor({
    name: 'conv/filter', dtype: 'int8', shape: [outC, 3, 3, 4],
    data: Int8Array.from({ length: outC * 36 }, () => Math.round(rand() * 254) - 127),
    quantization: { scale: wScales, zeroPoint: new Array<number>(outC).fill(0), quantizedDimension: 0 },
  });
  const bias = b.addTensor({
    name: 'conv/bias', dtype: 'int32', shape: [outC],
    data: Int32Array.from({ length: outC }, (_, i) => (i - 3) * 100),
    quantization: { scale: wScales.map((s) => s * 0.02), zeroPoint: new Array<number>(outC).fill(0), quantizedDimension: 0 },
  });
  const y = b.addTensor({
    name: 'conv', dtype: 'int8', shape: [1, 3, 3, outC],
    quantization: { scale: [0.05], zeroPoint: [-128], quantizedDimension: 0 },
  });
  b.addOp('CONV_2D', [xq, w, bias], [y], { builtin: { padding: 1, strideW: 1, strideH: 1, fusedActivationFunction: 1 }, version: 3 });
  const out = b.addTensor({ name: 'output', dtype: 'float32', shape: [1, 3, 3, outC] });
  b.addOp('DEQUANTIZE', [y], [out], { version: 2 });
  b.setInputs([x]);
  b.setOutputs([out]);
  return b.finish();
}

export function signaturesAndMetadata(): Model {
  const b = new ModelBuilder('lce-js test: signatures, metadata, two subgraphs');
  const counter = b.addTensor({ name: 'counter', dtype: 'int32', shape: [] });
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 4], shapeSignature: [-1, 4] });
  const c2 = b.addTensor({ name: 'counter_out', dtype: 'int32', shape: [] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 4], shapeSignature: [-1, 4] });
  b.addOp('WHILE', [counter, x], [c2, y], { builtin: { condSubgraphIndex: 1, bodySubgraphIndex: 1 } });
  const padded = b.addTensor({ name: 'padded', dtype: 'float32', shape: [1, 6] });
  b.addOp('STABLEHLO_PAD', [y], [padded], { builtin: { edgePaddingLow: [0, 1], edgePaddingHigh: [0, 1], interiorPadding: [0, 0] } });
  const state = b.addTensor({ name: 'state', dtype: 'float32', shape: [1, 6] });
  b.setInputs([counter, x]);
  b.setOutputs([padded]);
  b.addMetadata('min_runtime_version', new TextEncoder().encode('2.3.0'));
  b.addMetadata('CONVERSION_METADATA', Uint8Array.from([1, 2, 3, 4, 5]));
  const model = b.finish();

  // Fields the builder does not produce, added directly to the plain Model.
  const main = model.subgraphs[0]!;
  main.tensors[state]!.isVariable = true;
  main.tensors[counter]!.hasRank = false;
  main.operators[0]!.intermediates = [state];
  main.tensors[x]!.quantization = { scale: [], zeroPoint: [], quantizedDimension: 0, min: [-1], max: [1] };
  model.subgraphs.push({
    name: 'body',
    tensors: [
      { name: 'i', dtype: 'int32', shape: [], buffer: 0, isVariable: false, hasRank: true },
      { name: 'v', dtype: 'float32', shape: [1, 4], shapeSignature: [-1, 4], buffer: 0, isVariable: false, hasRank: true },
    ],
    inputs: [0, 1],
    outputs: [0, 1],
    operators: [],
  });
  model.signatureDefs.push({
    signatureKey: 'body_fn',
    subgraphIndex: 1,
    inputs: [{ name: 'i', tensorIndex: 0 }, { name: 'v', tensorIndex: 1 }],
    outputs: [{ name: 'v', tensorIndex: 1 }],
  });
  return model;
}

export const TEST_MODELS: Readonly<Record<string, () => Model>> = {
  'float_conv.tflite': floatConvNet,
  'lce_net.tflite': lceNet,
  'int8_per_channel.tflite': int8PerChannel,
  'signatures_metadata.tflite': signaturesAndMetadata,
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(outDir, { recursive: true });
  for (const [file, make] of Object.entries(TEST_MODELS)) {
    const bytes = writeModel(make());
    writeFileSync(join(outDir, file), bytes);
    console.log(`wrote test/data/${file} (${bytes.byteLength} bytes)`);
  }
}
