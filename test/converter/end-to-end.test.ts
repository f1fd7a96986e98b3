/**
 * End to end on real Keras files (test/data/keras, written by tools/reference/converter_cases.py): the converted
 * model's op multiset equals the real LCE conversion's (except where we knowingly fuse more), and running it in
 * lce-js reproduces Keras's output for the stored input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { convertKeras } from '../../src/converter/convert.js';
import { opTypeName, readModel } from '../../src/format/read.js';
import type { Model } from '../../src/graph/model.js';
import { createReferenceRegistry } from '../../src/ops/registry.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { Tensor } from '../../src/runtime/tensor.js';

const DIR = join(import.meta.dirname, '..', 'data', 'keras');

function opCounts(m: Model): Map<string, number> {
  const c = new Map<string, number>();
  for (const op of m.subgraphs[0].operators) {
    const t = opTypeName(m.operatorCodes[op.opcodeIndex]);
    c.set(t, (c.get(t) ?? 0) + 1);
  }
  return c;
}

/**
 * Expected differences from LCE's op multiset, per case. QuantDense becomes a 1×1 LceBconv2d instead of
 * LceQuantize → LceDequantize → float FULLY_CONNECTED (§4.10), which also lets BatchNormalization fold into it and
 * back-to-back binary dense layers pass bitpacked activations.
 */
const DIFFERENCES: Record<string, Record<string, number>> = {
  // 2 QuantDense: −2 FC, −2 LceDequantize, −1 LceQuantize (bitpacked between them), +2 LceBconv2d, +1 RESHAPE (back to [1,10])
  bnn_mnist: { FULLY_CONNECTED: -2, LceDequantize: -2, LceQuantize: -1, LceBconv2d: 2, RESHAPE: 1 },
  // 1 QuantDense after Flatten: −FC, −LceDequantize, +LceBconv2d, +1 RESHAPE (the Flatten reshape goes straight
  // to [1,1,1,I]; one more brings the result back to [1,O])
  quant_variants: { FULLY_CONNECTED: -1, LceDequantize: -1, LceBconv2d: 1, RESHAPE: 1 },
};

const CASES = ['bnn_mnist', 'quicknet_block', 'float_layers', 'quant_variants', 'nested', 'tf_ops', 'max_min_permute'];

for (const name of CASES) {
  for (const ext of ['h5', 'keras']) {
    test(`${name}.${ext}: op multiset matches LCE`, async () => {
      const { model } = await convertKeras(join(DIR, `${name}.${ext}`));
      const lce = opCounts(readModel(readFileSync(join(DIR, `${name}.lce.tflite`))));
      for (const [op, d] of Object.entries(DIFFERENCES[name] ?? {})) lce.set(op, (lce.get(op) ?? 0) + d);
      for (const [op, n] of [...lce]) if (n === 0) lce.delete(op);
      assert.deepEqual(Object.fromEntries([...opCounts(model)].sort()), Object.fromEntries([...lce].sort()));
    });
  }

  test(`${name}: lce-js runs the converted model like Keras`, async () => {
    const io = JSON.parse(readFileSync(join(DIR, `${name}.io.json`), 'utf8')) as { inputShape: number[]; input: number[]; outputShape: number[]; output: number[] };
    const { bytes, model } = await convertKeras(join(DIR, `${name}.h5`));
    const registry = createReferenceRegistry();
    assert.deepEqual([...opCounts(model).keys()].filter((op) => !registry.has(op)), [], 'ops without a runtime kernel');
    const session = await InferenceSession.create(bytes);
    const out = await session.run({ [session.inputNames[0]]: new Tensor('float32', Float32Array.from(io.input), io.inputShape) });
    const y = out[session.outputNames[0]].data as Float32Array;
    assert.deepEqual([...out[session.outputNames[0]].dims], io.outputShape);
    const scale = Math.max(1, ...io.output.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - io.output[i]));
    assert.ok(worst <= 1e-4 * scale, `max |lce-js − keras| = ${worst} (scale ${scale})`);
  });
}

test('Maximum / Minimum / Permute, float and int8: LCE\'s ops and options tables; int8 output equal to LCE\'s', async () => {
  // Maximum/Minimum used to be lowered with a fused activation that MaximumMinimumOptions does not have, which
  // failed when the file was written ("MaximumMinimumOptions has no field 'fusedActivationFunction'").
  const optionsOf = (m: Model) => m.subgraphs[0].operators.map((op) =>
    `${opTypeName(m.operatorCodes[op.opcodeIndex])}:${op.builtinOptions === null ? 'none' : 'table'}`).sort();
  const int8 = { inferenceInputType: 'int8', inferenceOutputType: 'int8', int8Range: [-3, 3] } as const;
  for (const [options, lceFile] of [[{}, 'max_min_permute.lce.tflite'], [int8, 'max_min_permute.int8.lce.tflite']] as const) {
    const { model } = await convertKeras(join(DIR, 'max_min_permute.h5'), options);
    const lce = readModel(readFileSync(join(DIR, lceFile)));
    assert.deepEqual(optionsOf(model), optionsOf(lce), lceFile);
    const transpose = (m: Model) => m.subgraphs[0].operators.find((op) => opTypeName(m.operatorCodes[op.opcodeIndex]) === 'TRANSPOSE')!;
    const perm = (m: Model) => [...new Int32Array(m.buffers[m.subgraphs[0].tensors[transpose(m).inputs[1]].buffer].data.slice().buffer)];
    assert.deepEqual(perm(model), perm(lce));
  }
  const io = JSON.parse(readFileSync(join(DIR, 'max_min_permute.int8.io.json'), 'utf8')) as { inputShape: number[]; input: number[]; outputShape: number[]; output: number[] };
  const { bytes } = await convertKeras(join(DIR, 'max_min_permute.h5'), int8);
  const session = await InferenceSession.create(bytes);
  const out = await session.run({ [session.inputNames[0]]: new Tensor('int8', Int8Array.from(io.input), io.inputShape) });
  assert.deepEqual([...out[session.outputNames[0]].dims], io.outputShape);
  assert.deepEqual([...(out[session.outputNames[0]].data as Int8Array)], io.output);
  await session.release();
});

test('a Lambda layer is refused, naming the layer and what to do instead', async () => {
  await assert.rejects(convertKeras(join(DIR, 'lambda_layer.h5')), (e: Error) => {
    assert.equal((e as { code?: string }).code, 'CONVERTER');
    assert.match(e.message, /'double_it' \(Lambda\)/);
    assert.match(e.message, /rewrite the Lambda/);
    return true;
  });
});

test('a file that is not a Keras model is refused', async () => {
  await assert.rejects(convertKeras(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), { sourceName: 'junk.bin' }), /junk.bin: not a Keras model file/);
});
