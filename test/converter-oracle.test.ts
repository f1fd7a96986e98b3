// The converter against the oracle corpus: for every Keras file made by the real Larq/Keras, lce-js's conversion
// (1) has the real LCE conversion's op multiset, except for the differences listed here with their reason, and
// (3) runs in lce-js with LCE's answers (same tolerance rules as the differential tests) and Keras's argmax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertKeras } from '../src/converter/convert.js';
import { opTypeName, readModel } from '../src/format/read.js';
import type { Model } from '../src/graph/model.js';
import { InferenceSession } from '../src/runtime/session.js';
import { Tensor } from '../src/runtime/tensor.js';
import { compareOutput } from './compare.js';
import { hasFixtures, listCases, loadCase } from './fixtures.js';
// The lists of expected differences (CONVERTER_DIFFERENCES, KNOWN_MISMATCHES, CONVERTER_REFUSALS, …) live in
// converter-expectations.ts, shared with the real-LCE check (npm run fixtures:check-converter) and bench/compare.
import { CONVERTER_DIFFERENCES, CONVERTER_REFUSALS, KNOWN_MISMATCHES } from './converter-expectations.js';

function opCounts(m: Model): Record<string, number> {
  const c: Record<string, number> = {};
  for (const op of m.subgraphs[0]!.operators) {
    const t = opTypeName(m.operatorCodes[op.opcodeIndex]!);
    c[t] = (c[t] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(c).sort());
}

const cases = hasFixtures() ? listCases().filter((c) => c.files.h5) : [];

for (const entry of cases) {
  const id = `${entry.group}/${entry.case}`;
  test(`convert ${id}`, async () => {
    const known = KNOWN_MISMATCHES[id];
    if (known) {
      await assert.rejects(checkConversion(entry), undefined, `${id} now matches LCE: remove it from KNOWN_MISMATCHES (${known})`);
      return;
    }
    await checkConversion(entry);
  });
}

async function checkConversion(entry: (typeof cases)[number]): Promise<void> {
  const id = `${entry.group}/${entry.case}`;
  const fx = loadCase(entry.group, entry.case);
  const refusal = CONVERTER_REFUSALS[id];
  const options = {
    ...(entry.converter_options.inference_input_type ? { inferenceInputType: entry.converter_options.inference_input_type } : {}),
    ...(entry.converter_options.inference_output_type ? { inferenceOutputType: entry.converter_options.inference_output_type } : {}),
    ...(entry.converter_options.experimental_default_int8_range ? { int8Range: entry.converter_options.experimental_default_int8_range } : {}),
    ...(entry.converter_options.target ? { target: entry.converter_options.target } : {}),
  };
  if (refusal) {
    await assert.rejects(convertKeras(fx.h5Path!, options), (e: Error) => (e as { code?: string }).code === 'CONVERTER');
    return;
  }
  const { model, bytes } = await convertKeras(fx.h5Path!, options);
  const ours = opCounts(model);
  const theirs = opCounts(readModel(fx.tflite));
  const diff = CONVERTER_DIFFERENCES[id];
  if (diff) {
    for (const [op, d] of Object.entries(diff.delta)) theirs[op] = (theirs[op] ?? 0) + d;
    for (const op of Object.keys(theirs)) if (theirs[op] === 0) delete theirs[op];
  }
  assert.deepEqual(ours, Object.fromEntries(Object.entries(theirs).sort()), `${id}: op multiset differs from LCE's`);

  const session = await InferenceSession.create(bytes, { modelName: `${id} (converted by lce-js)` });
  try {
    for (const [i, sample] of fx.samples.entries()) {
      const feeds: Record<string, Tensor> = {};
      session.inputMetadata.forEach((m, k) => { feeds[m.name] = new Tensor(m.type as 'float32', sample.inputs[k]!.data as Float32Array, m.dims); });
      const out = await session.run(feeds);
      session.outputMetadata.forEach((m, k) => {
        const c = compareOutput(out[m.name]!, sample.lceOutputs[k]!, 1e-4);
        assert.ok(c.ok, `${id} sample ${i} output ${k}: lce-js conversion vs LCE conversion: ${c.message}`);
      });
    }
  } finally {
    await session.release();
  }
}
