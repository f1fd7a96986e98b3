/** Before/after graphs for int8-quantize (experimental_default_int8_range) and int8-io. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConverterError } from '../../errors.js';
import { IrGraph, type IrTensor } from '../ir.js';
import { dce } from './dce.js';
import { int8Io } from './int8-io.js';
import { int8Quantization, int8Quantize } from './int8-quantize.js';
import { DEFAULT_OPTIONS } from './pass.js';

const opts = { ...DEFAULT_OPTIONS, int8Range: [-3, 3] as [number, number] };
const types = (g: IrGraph): string[] => g.ops.map((o) => o.type);
const f = (g: IrGraph, name: string, shape: number[]): IrTensor => g.tensor(name, 'float32', shape);
const CONV = { padding: 1, strideW: 1, strideH: 1, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: 0 };
const S = 6 / 255;

function run(g: IrGraph, options = opts): void {
  int8Quantize.run(g, options);
  int8Io.run(g, options);
  dce.run(g, options);
  g.toposort();
}

/** x → CONV_2D → LceQuantize → LceDequantize → MEAN → FULLY_CONNECTED → y, the shape of the corpus's small BNN. */
function smallBnn() {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 2, 2, 2]);
  g.inputs = [x];
  const c = f(g, 'c', [1, 2, 2, 2]);
  g.op('CONV_2D', [x, g.constF32('w', [1, -0.5, 0.25, 0.125], [2, 1, 1, 2]), g.constF32('b', [0.25, -1], [2])], [c], CONV, 'conv');
  const p = g.tensor('p', 'int32', [1, 2, 2, 1]);
  g.op('LceQuantize', [c], [p], {}, 'qconv');
  const d = f(g, 'd', [1, 2, 2, 2]);
  g.op('LceDequantize', [p], [d], {}, 'qconv');
  const m = f(g, 'm', [1, 2]);
  g.op('MEAN', [d, g.constI32('axes', [1, 2], [2])], [m], { keepDims: false }, 'gap');
  const y = f(g, 'y', [1, 3]);
  g.op('FULLY_CONNECTED', [m, g.constF32('fc', [0.5, -2, 1, 1, 0, 0], [3, 2]), g.constF32('fb', [1, 0, -1], [3])], [y], {}, 'dense');
  g.outputs = [y];
  return { g, x, c, m, y };
}

test('int8Quantization: TF\'s scale (max − min)/255 and std::round-nudged zero point', () => {
  assert.deepEqual(int8Quantization([-3, 3]), { scale: [S], zeroPoint: [-1], quantizedDimension: 0 });
  assert.deepEqual(int8Quantization([-2, 5]).zeroPoint, [-55]);
});

test('int8-quantize: default-range pairs, int8 conv/FC with symmetric weights and int32 biases, LCE ops stay float', () => {
  const { g } = smallBnn();
  run(g);
  assert.deepEqual(types(g), ['QUANTIZE', 'CONV_2D', 'LceQuantize', 'LceDequantize', 'MEAN', 'QUANTIZE', 'FULLY_CONNECTED', 'DEQUANTIZE']);
  const [quantize, conv, lceQuantize, , mean, , fc] = g.ops;
  assert.equal(g.inputs[0]!.dtype, 'float32');
  assert.equal(g.outputs[0]!.dtype, 'float32');
  // The conv reads and writes int8; LceQuantize reads the conv's int8 output directly.
  assert.equal(conv!.inputs[0], quantize!.outputs[0]);
  assert.equal(lceQuantize!.inputs[0], conv!.outputs[0]);
  assert.deepEqual(conv!.outputs[0]!.quantization, { scale: [S], zeroPoint: [-1], quantizedDimension: 0 });
  // Filter per output channel: max|w| / 127; −0.5 / (1/127) = −63.5 rounds away from zero.
  const w = conv!.inputs[1]!;
  assert.equal(w.dtype, 'int8');
  assert.deepEqual([...w.data!], [127, -64, 127, 64]);
  assert.deepEqual(w.quantization, { scale: [1 / 127, 0.25 / 127], zeroPoint: [0, 0], quantizedDimension: 0 });
  const b = conv!.inputs[2]!;
  assert.equal(b.dtype, 'int32');
  assert.deepEqual(b.quantization!.scale, [S / 127, (S * 0.25) / 127]);
  assert.deepEqual([...b.data!], [Math.round(0.25 / (S / 127)), -Math.round(1 / ((S * 0.25) / 127))]);
  // MEAN reads LceDequantize's float output so stays float; FC is int8 with per-tensor weights.
  assert.equal(mean!.outputs[0]!.dtype, 'float32');
  assert.equal(fc!.inputs[0]!.dtype, 'int8');
  assert.deepEqual(fc!.inputs[1]!.quantization!.scale, [2 / 127]);
  assert.deepEqual([...fc!.inputs[1]!.data!], [32, -127, 64, 64, 0, 0]);
  assert.deepEqual(fc!.inputs[2]!.quantization!.scale, [(S * 2) / 127]);
});

test('int8-io: int8 input and output strip the boundary QUANTIZE and DEQUANTIZE; no range is an error', () => {
  const { g } = smallBnn();
  assert.throws(() => int8Io.run(g, { ...DEFAULT_OPTIONS, inferenceInputType: 'int8' }), /int8Range/);
  run(g, { ...opts, inferenceInputType: 'int8', inferenceOutputType: 'int8' });
  assert.deepEqual(types(g), ['CONV_2D', 'LceQuantize', 'LceDequantize', 'MEAN', 'QUANTIZE', 'FULLY_CONNECTED']);
  assert.equal(g.inputs[0]!.name, 'x');
  assert.equal(g.inputs[0]!.dtype, 'int8');
  assert.equal(g.ops[0]!.inputs[0], g.inputs[0]);
  assert.equal(g.outputs[0]!.name, 'y');
  assert.equal(g.outputs[0], g.ops[5]!.outputs[0]);
});

test('int8-io: LceQuantize reads the int8 input; LceDequantize keeps a float output; a float op\'s output is quantized', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 4]);
  g.inputs = [x];
  const q = g.tensor('q', 'int32', [1, 1]);
  g.op('LceQuantize', [x], [q]);
  const y = f(g, 'y', [1, 4]);
  g.op('LceDequantize', [q], [y]);
  const r = f(g, 'r', [1, 4]);
  g.op('RELU', [y], [r]);
  g.outputs = [y, r];
  run(g, { ...opts, inferenceInputType: 'int8', inferenceOutputType: 'int8' });
  assert.deepEqual(types(g), ['LceQuantize', 'LceDequantize', 'RELU', 'QUANTIZE']);
  assert.equal(g.ops[0]!.inputs[0], g.inputs[0]);
  assert.deepEqual(g.outputs.map((o) => o.dtype), ['float32', 'int8']);
  assert.deepEqual(g.inputs[0]!.quantization?.zeroPoint, [-1]);
});

test('int8-quantize: fixed output ranges, a DEQUANTIZE shared by a float reader and an output, LceQuantize beside it', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 4]);
  g.inputs = [x];
  const a = f(g, 'a', [1, 4]);
  g.op('ADD', [x, x], [a], { fusedActivationFunction: 0 }, 'add');
  const s = f(g, 's', [1, 4]);
  g.op('SOFTMAX', [a], [s], { beta: 1 }, 'softmax');
  const p = g.tensor('p', 'int32', [1, 1]);
  g.op('LceQuantize', [a], [p], {}, 'sign');
  g.outputs = [s, a, p];
  run(g);
  assert.deepEqual(types(g), ['QUANTIZE', 'ADD', 'SOFTMAX', 'DEQUANTIZE', 'DEQUANTIZE', 'LceQuantize']);
  const softmax = g.ops[1 + 1]!;
  assert.deepEqual(softmax.outputs[0]!.quantization, { scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0 });
  // `a` is an output and read by LceQuantize: both share one DEQUANTIZE, as in TF (the pair has two uses).
  assert.equal(g.ops[5]!.inputs[0], g.outputs[1]);
  assert.equal(g.outputs[1]!.name, 'a');
});

test('int8-quantize: a float op feeding a float op keeps the QUANTIZE → DEQUANTIZE pair; int8 readers do not stop LceQuantize reading int8', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 2, 2, 4]);
  g.inputs = [x];
  const p = g.tensor('p', 'int32', [1, 2, 2, 1]);
  g.op('LceQuantize', [x], [p], {}, 'sign');
  const pool = f(g, 'pool', [1, 1, 1, 4]);
  g.op('MAX_POOL_2D', [x], [pool], { padding: 1, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 0 }, 'pool');
  const d = f(g, 'd', [1, 2, 2, 4]);
  g.op('LceDequantize', [p], [d], {}, 'sign');
  const a = f(g, 'a', [1, 2, 2, 4]);
  g.op('ADD', [d, d], [a], { fusedActivationFunction: 0 }, 'add1');
  const b = f(g, 'b', [1, 2, 2, 4]);
  g.op('ADD', [a, d], [b], { fusedActivationFunction: 0 }, 'add2');
  g.outputs = [b, pool];
  run(g);
  assert.deepEqual(types(g).sort(), ['ADD', 'ADD', 'DEQUANTIZE', 'DEQUANTIZE', 'DEQUANTIZE', 'LceDequantize', 'LceQuantize', 'MAX_POOL_2D', 'QUANTIZE', 'QUANTIZE', 'QUANTIZE']);
  const [quantize, lceQuantize, pool8] = g.ops;
  assert.equal(lceQuantize!.inputs[0], quantize!.outputs[0]);
  assert.equal(pool8!.inputs[0], quantize!.outputs[0]);
  // add1 (float: its input comes from LceDequantize) → QUANTIZE → DEQUANTIZE → add2
  const [add1, add2] = g.ops.filter((o) => o.type === 'ADD');
  const pair = g.consumers(add1!.outputs[0]!)[0]!;
  assert.equal(pair.type, 'QUANTIZE');
  assert.equal(g.producer(add2!.inputs[0]!)!.type, 'DEQUANTIZE');
  assert.equal(g.producer(add2!.inputs[0]!)!.inputs[0], pair.outputs[0]);
  assert.deepEqual(g.outputs.map((o) => [o.name, o.dtype]), [['b', 'float32'], ['pool', 'float32']]);
});

test('int8-quantize: unsupported situations are ConverterErrors naming the layer; no range changes nothing', () => {
  const unsupported = (build: (g: IrGraph, x: IrTensor) => void, message: RegExp): void => {
    const g = new IrGraph();
    const x = f(g, 'x', [1, 4]);
    g.inputs = [x];
    build(g, x);
    g.outputs = [g.ops[g.ops.length - 1]!.outputs[0]!];
    assert.throws(() => int8Quantize.run(g, opts), (e: Error) => e instanceof ConverterError && message.test(e.message));
  };
  unsupported((g, x) => { g.op('LEAKY_RELU', [x], [f(g, 'l', [1, 4])], { alpha: 0.1 }, 'leaky'); }, /LEAKY_RELU from layer 'leaky' is not supported/);
  unsupported((g, x) => { g.op('MUL', [x, g.constF32('k', [2], [1])], [f(g, 'm', [1, 4])], {}, 'scale'); }, /layer 'scale' has a float constant operand/);
  unsupported((g, x) => {
    const s = f(g, 's', [1, 4]);
    g.op('SOFTMAX', [x], [s], { beta: 1 }, 'softmax');
    g.op('RESHAPE', [s, g.constI32('shape', [4], [1])], [f(g, 'r', [4])], {}, 'flat');
  }, /layer 'flat' reads the fixed-range output/);
  unsupported((g, x) => {
    const p = g.tensor('p', 'int32', [1, 1]);
    g.op('LceQuantize', [x], [p]);
    const d = f(g, 'd', [1, 4]);
    g.op('LceDequantize', [p], [d]);
    g.op('LOGISTIC', [d], [f(g, 'l', [1, 4])], {}, 'sigmoid');
  }, /layer 'sigmoid' stays float/);
  unsupported((g, x) => {
    g.op('FULLY_CONNECTED', [x, g.constF32('w', new Array(8).fill(0), [2, 4]), null], [f(g, 'y', [1, 2])], {}, 'dense');
  }, /layer 'dense' has an all-zero filter slice/);
  const { g } = smallBnn();
  assert.equal(int8Quantize.run(g, DEFAULT_OPTIONS), 0);
  assert.deepEqual(types(g), ['CONV_2D', 'LceQuantize', 'LceDequantize', 'MEAN', 'FULLY_CONNECTED']);
});
