/**
 * TFOpLambda layers from hand-written legacy configs (the form tf-keras writes): call arguments are read from the
 * inbound node, each known function becomes its TFLite op, unknown functions are refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenModel, type Json } from '../../src/converter/keras/config.js';
import { lowerModel } from '../../src/converter/keras/lower.js';
import type { WeightStore } from '../../src/converter/keras/weights.js';

const noWeights: WeightStore = {
  get() {
    throw new Error('no weights in this test');
  },
};

function model(layers: Json[], output: string): Json {
  return {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'a', config: { name: 'a', batch_input_shape: [null, 2, 2, 4], dtype: 'float32' }, inbound_nodes: [] },
        { class_name: 'InputLayer', name: 'b', config: { name: 'b', batch_input_shape: [null, 2, 2, 4], dtype: 'float32' }, inbound_nodes: [] },
        ...layers,
      ],
      input_layers: [['a', 0, 0], ['b', 0, 0]],
      output_layers: [[output, 0, 0]],
    },
  };
}

function op(name: string, fn: string, node: Json): Json {
  return { class_name: 'TFOpLambda', name, config: { name, function: fn }, inbound_nodes: [node] };
}

function lower(layers: Json[], output: string) {
  return lowerModel(flattenModel(model(layers, output), 't.h5'), noWeights, 't.h5').graph;
}

test('tensor kwargs, constant kwargs and list arguments are read from the call', () => {
  const g = lower([
    op('add', '__operators__.add', ['a', 0, 0, { y: ['b', 0, 0], name: null }]),
    op('half', 'math.multiply', ['add', 0, 0, { y: 0.5 }]),
    op('cat', 'concat', [['half', 0, 0, { axis: -1 }], ['b', 0, 0, { axis: -1 }]]),
    op('mean', 'math.reduce_mean', ['cat', 0, 0, { axis: [1, 2], keepdims: false }]),
    op('flat', 'reshape', ['mean', 0, 0, { shape: [-1, 2, 4] }]),
  ], 'flat');
  assert.deepEqual(g.ops.map((o) => o.type), ['ADD', 'MUL', 'CONCATENATION', 'MEAN', 'RESHAPE']);
  const [add, mul, cat, mean, reshape] = g.ops;
  assert.deepEqual(add!.inputs.map((t) => t!.name), ['a', 'b']);
  assert.deepEqual([...(mul!.inputs[1]!.data as Float32Array)], [0.5]);
  assert.equal(cat!.options.axis, 3);
  assert.deepEqual(cat!.outputs[0]!.shape, [1, 2, 2, 8]);
  assert.deepEqual([...(mean!.inputs[1]!.data as Int32Array)], [1, 2]);
  assert.deepEqual(mean!.outputs[0]!.shape, [1, 8]);
  assert.deepEqual(reshape!.outputs[0]!.shape, [1, 2, 4]);
});

test('a constant first argument (1.0 - x) keeps its place', () => {
  const g = lower([op('rsub', 'math.subtract', ['_CONSTANT_VALUE', -1, 1.0, { y: ['a', 0, 0] }])], 'rsub');
  const sub = g.ops[0]!;
  assert.equal(sub.type, 'SUB');
  assert.deepEqual([...(sub.inputs[0]!.data as Float32Array)], [1]);
  assert.equal(sub.inputs[1]!.name, 'a');
});

test('an unknown tf function is refused, naming the function and the layer', () => {
  assert.throws(() => lower([op('tf.math.cumsum', 'math.cumsum', ['a', 0, 0, { axis: 1 }])], 'tf.math.cumsum'), (e: Error) => {
    assert.equal((e as { code?: string }).code, 'CONVERTER');
    assert.match(e.message, /'tf\.math\.cumsum' \(TFOpLambda\): tf\.math\.cumsum is not supported/);
    return true;
  });
});

test('an argument the lowering does not know is refused rather than ignored', () => {
  assert.throws(() => lower([op('r', 'nn.softmax', ['a', 0, 0, { axis: 1 }])], 'r'), /softmax over an axis other than the last/);
  assert.throws(() => lower([op('p', 'pad', ['a', 0, 0, { paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: 'REFLECT' }])], 'p'), /pad mode REFLECT/);
  assert.throws(() => lower([op('m', 'math.reduce_mean', ['a', 0, 0, { axis: [1], keepdims: false, bogus: 1 }])], 'm'), /argument 'bogus'/);
});
