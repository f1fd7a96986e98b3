/** Before/after graphs for each converter pass. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IrGraph, type IrTensor } from '../ir.js';
import { packFloat32 } from '../../reference/bitpack.js';
import { bconvPostOps } from './bconv-post-ops.js';
import { binaryConv } from './binary-conv.js';
import { bitpackWeights, packSigns } from './bitpack-weights.js';
import { bitpackedOutput, outputThreshold } from './bitpacked-output.js';
import { bmaxpool } from './bmaxpool.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { denseToBconv } from './dense-to-bconv.js';
import { floatFusions } from './float-fusions.js';
import { broadcastBinary, foldConstants, transpose } from './fold-constants.js';
import { fusePadding } from './fuse-padding.js';
import { DEFAULT_OPTIONS } from './pass.js';
import { quantizeBinary } from './quantize-binary.js';
import { sinkReshape } from './sink-reshape.js';

const opts = DEFAULT_OPTIONS;
const types = (g: IrGraph): string[] => g.ops.map((o) => o.type);
const f = (g: IrGraph, name: string, shape: number[]): IrTensor => g.tensor(name, 'float32', shape);
const CONV = { padding: 1, strideW: 1, strideH: 1, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: 0 };

/** x → LceQuantize → LceDequantize → CONV_2D(filter, bias); returns the pieces. */
function binaryConvGraph(filter: number[], cout: number, kh: number, kw: number, cin: number, h = 4, w = 4) {
  const g = new IrGraph();
  const x = f(g, 'x', [1, h, w, cin]);
  g.inputs = [x];
  const s = f(g, 's', x.shape);
  g.op('LARQ_SIGN', [x], [s]);
  const y = f(g, 'y', [1, h - kh + 1, w - kw + 1, cout]);
  g.op('CONV_2D', [s, g.constF32('w', filter, [cout, kh, kw, cin]), g.constF32('b', new Array(cout).fill(0), [cout])], [y], CONV);
  g.outputs = [y];
  quantizeBinary.run(g, opts);
  return { g, x, y };
}

test('fold-constants evaluates a kernel quantizer on stored weights', () => {
  const g = new IrGraph();
  const w = g.constF32('w', [0.3, -2, 0, -0.1], [2, 2]);
  const s = f(g, 's', [2, 2]);
  g.op('LARQ_SIGN', [w], [s]);
  const t = f(g, 't', [2, 2]);
  g.op('TRANSPOSE', [s, g.constI32('perm', [1, 0], [2])], [t]);
  g.outputs = [t];
  assert.equal(foldConstants.run(g, opts), 2);
  assert.deepEqual(types(g), []);
  assert.deepEqual([...(t.data as Float32Array)], [1, 1, -1, -1]);
});

test('quantize-binary turns a sign on an activation into LceQuantize → LceDequantize', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 2, 2, 35]);
  const s = f(g, 's', x.shape);
  g.op('LARQ_SIGN', [x], [s]);
  g.inputs = [x];
  g.outputs = [s];
  assert.equal(quantizeBinary.run(g, opts), 1);
  assert.deepEqual(types(g), ['LceQuantize', 'LceDequantize']);
  assert.deepEqual(g.ops[0].outputs[0].shape, [1, 2, 2, 2]);
  assert.equal(g.ops[0].outputs[0].dtype, 'int32');
  assert.equal(g.ops[1].outputs[0], s);
});

test('cse merges two quantizers of one tensor', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 4]);
  g.inputs = [x];
  const a = f(g, 'a', [1, 4]);
  const b = f(g, 'b', [1, 4]);
  g.op('LARQ_SIGN', [x], [a]);
  g.op('LARQ_SIGN', [x], [b]);
  const c = f(g, 'c', [1, 4]);
  g.op('ADD', [a, b], [c], { fusedActivationFunction: 0 });
  g.outputs = [c];
  assert.equal(cse.run(g, opts), 1);
  assert.deepEqual(g.ops[1].inputs, [a, a]);
});

test('binary-conv: binary filter → LceBconv2d with |scale| as multiplier; non-binary filter stays float', () => {
  const { g } = binaryConvGraph([0.5, -0.5, 0.5, -0.5, -2, 2, 2.001, 2], 2, 1, 1, 4);
  assert.equal(binaryConv.run(g, opts), 1);
  dce.run(g, opts);
  assert.deepEqual(types(g), ['LceQuantize', 'LceBconv2d']);
  const bconv = g.ops[1];
  assert.deepEqual([...(bconv.inputs[1]!.data as Float32Array)], [1, -1, 1, -1, -1, 1, 1, 1]);
  assert.deepEqual([...(bconv.inputs[2]!.data as Float32Array)], [0.5, 2]);
  assert.equal(bconv.inputs[4], null);
  assert.equal(bconv.options.channels_in, 4);
  assert.equal(bconv.options.padding, 1);

  const nb = binaryConvGraph([0.5, -0.5, 0.5, -0.4], 1, 1, 1, 4);
  assert.equal(binaryConv.run(nb.g, opts), 0);
});

test('binary-conv: PADV2 with 1.0 in front of a VALID conv is same-one padding', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 4, 4, 32]);
  g.inputs = [x];
  const s = f(g, 's', x.shape);
  g.op('LARQ_SIGN', [x], [s]);
  const p = f(g, 'p', [1, 6, 6, 32]);
  g.op('PADV2', [s, g.constI32('pads', [0, 0, 1, 1, 1, 1, 0, 0], [4, 2]), g.constF32('one', [1], [])], [p]);
  const y = f(g, 'y', [1, 4, 4, 8]);
  g.op('CONV_2D', [p, g.constF32('w', new Array(8 * 9 * 32).fill(1), [8, 3, 3, 32]), g.constF32('b', new Array(8).fill(0), [8])], [y], CONV);
  g.outputs = [y];
  quantizeBinary.run(g, opts);
  assert.equal(binaryConv.run(g, opts), 1);
  const bconv = g.ops.find((o) => o.type === 'LceBconv2d')!;
  assert.equal(bconv.options.padding, 0);
  assert.equal(bconv.options.pad_values, 1);
});

test('bconv-post-ops: ReLU then BN fuse into one bconv; BN then ReLU leaves the ReLU', () => {
  const build = (order: 'relu-bn' | 'bn-relu') => {
    const { g, y } = binaryConvGraph([1, -1, 1, -1, 1, 1, 1, 1], 2, 1, 1, 4);
    binaryConv.run(g, opts);
    let t = y;
    const step = (type: string, c?: number[]) => {
      const o = f(g, `${type}_out`, y.shape);
      g.op(type, c ? [t, g.constF32(`${type}_c`, c, [2])] : [t], [o], c ? { fusedActivationFunction: 0 } : {});
      t = o;
    };
    if (order === 'relu-bn') { step('RELU'); step('MUL', [2, -3]); step('ADD', [0.5, 1]); }
    else { step('MUL', [2, -3]); step('ADD', [0.5, 1]); step('RELU'); }
    g.outputs = [t];
    bconvPostOps.run(g, opts);
    dce.run(g, opts);
    return g;
  };
  const a = build('relu-bn');
  assert.deepEqual(types(a), ['LceQuantize', 'LceBconv2d']);
  const bconv = a.ops[1];
  assert.equal(bconv.options.fused_activation_function, 1);
  assert.deepEqual([...(bconv.inputs[2]!.data as Float32Array)], [2, -3]);
  assert.deepEqual([...(bconv.inputs[3]!.data as Float32Array)], [0.5, 1]);
  assert.deepEqual(types(build('bn-relu')), ['LceQuantize', 'LceBconv2d', 'RELU']);
});

test('bitpacked-output: thresholds follow §4.7, including the optimize.mlir example', () => {
  const gammas = [-4, -3, -2, -1, 0, 1, 2, 3];
  const betas = [-10, 8, 0.4, 1, -0.01, 0.5, -1, 2.71];
  assert.deepEqual(gammas.map((gm, i) => outputThreshold(Math.fround(gm), Math.fround(betas[i]), 4, 0)), [0, 3, 2, 2, -2147483648, 2, 1, 2]);

  const { g, y } = binaryConvGraph([1, 1, 1, 1, 1, 1, 1, 1], 2, 1, 1, 4);
  binaryConv.run(g, opts);
  const bconv = g.ops.find((o) => o.type === 'LceBconv2d')!;
  bconv.inputs[2] = g.constF32('m', [1, -1], [2]);
  const q = g.tensor('q', 'int32', [1, 4, 4, 1]);
  g.op('LceQuantize', [y], [q]);
  g.outputs = [q];
  dce.run(g, opts);
  assert.equal(bitpackedOutput.run(g, opts), 1);
  assert.deepEqual(types(g), ['LceQuantize', 'LceBconv2d']);
  assert.equal(bconv.outputs[0], q);
  assert.equal(bconv.inputs[2], null);
  assert.deepEqual([...(bconv.inputs[1]!.data as Float32Array)], [1, 1, 1, 1, -1, -1, -1, -1]);
  assert.deepEqual([...(bconv.inputs[4]!.data as Int32Array)], [2, 2]);
});

test('bmaxpool: MaxPool read only by a quantizer becomes LceQuantize → LceBMaxPool2d (not on xcore)', () => {
  const build = () => {
    const g = new IrGraph();
    const x = f(g, 'x', [1, 4, 4, 40]);
    g.inputs = [x];
    const p = f(g, 'p', [1, 2, 2, 40]);
    g.op('MAX_POOL_2D', [x], [p], { padding: 1, strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 0 });
    const q = g.tensor('q', 'int32', [1, 2, 2, 2]);
    g.op('LceQuantize', [p], [q]);
    g.outputs = [q];
    return g;
  };
  const g = build();
  assert.equal(bmaxpool.run(g, opts), 1);
  g.toposort();
  assert.deepEqual(types(g), ['LceQuantize', 'LceBMaxPool2d']);
  assert.deepEqual(g.ops[0].outputs[0].shape, [1, 4, 4, 2]);
  assert.deepEqual(Object.keys(g.ops[1].options), ['padding', 'stride_width', 'stride_height', 'filter_width', 'filter_height']);
  assert.equal(bmaxpool.run(build(), { ...opts, target: 'xcore' }), 0);
});

test('bitpack-weights packs the ±1 OHWI filter along I', () => {
  const { g } = binaryConvGraph([...new Array(32).fill(-1), 1, -1, 1], 1, 1, 1, 35);
  binaryConv.run(g, opts);
  assert.equal(bitpackWeights.run(g, opts), 1);
  const w = g.ops.find((o) => o.type === 'LceBconv2d')!.inputs[1]!;
  assert.deepEqual(w.shape, [1, 1, 1, 2]);
  assert.deepEqual([...(w.data as Int32Array)], [-1, 2]);
});

test('float-fusions: conv + BN(mul, add) + ReLU fold into one conv; MAXIMUM(x, 0) is RELU', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 3, 3, 1]);
  g.inputs = [x];
  const c = f(g, 'c', [1, 3, 3, 2]);
  g.op('CONV_2D', [x, g.constF32('w', [1, 2], [2, 1, 1, 1]), g.constF32('b', [1, 1], [2])], [c], CONV);
  const m = f(g, 'm', c.shape);
  g.op('MUL', [c, g.constF32('k', [3, -1], [2])], [m], { fusedActivationFunction: 0 });
  const a = f(g, 'a', c.shape);
  g.op('ADD', [m, g.constF32('d', [0.5, 0.5], [2])], [a], { fusedActivationFunction: 0 });
  const r = f(g, 'r', c.shape);
  g.op('MAXIMUM', [a, g.constF32('zero', [0], [])], [r]);
  g.outputs = [r];
  floatFusions.run(g, opts);
  assert.deepEqual(types(g), ['CONV_2D']);
  const conv = g.ops[0];
  assert.equal(conv.options.fusedActivationFunction, 1);
  assert.deepEqual([...(conv.inputs[1]!.data as Float32Array)], [3, -2]);
  assert.deepEqual([...(conv.inputs[2]!.data as Float32Array)], [3.5, -0.5]);
  assert.equal(conv.outputs[0], r);
});

test('fuse-padding: ZeroPadding-style PAD before a VALID conv becomes SAME only when it is exactly SAME', () => {
  const build = (pads: number[]) => {
    const g = new IrGraph();
    const x = f(g, 'x', [1, 5, 5, 2]);
    g.inputs = [x];
    const p = f(g, 'p', [1, 5 + pads[2] + pads[3], 5 + pads[4] + pads[5], 2]);
    g.op('PAD', [x, g.constI32('pads', pads, [4, 2])], [p]);
    const y = f(g, 'y', [1, p.shape[1] - 2, p.shape[2] - 2, 1]);
    g.op('CONV_2D', [p, g.constF32('w', new Array(18).fill(1), [1, 3, 3, 2]), g.constF32('b', [0], [1])], [y], CONV);
    g.outputs = [y];
    return g;
  };
  const g = build([0, 0, 1, 1, 1, 1, 0, 0]);
  assert.equal(fusePadding.run(g, opts), 1);
  assert.deepEqual(types(g), ['CONV_2D']);
  assert.equal(g.ops[0].options.padding, 0);
  assert.equal(fusePadding.run(build([0, 0, 2, 0, 1, 1, 0, 0]), opts), 0);
});

test('dense-to-bconv + sink-reshape: QuantDense → BN becomes reshape → bconv with BN folded → reshape', () => {
  const g = new IrGraph();
  const x = f(g, 'x', [1, 40]);
  g.inputs = [x];
  const s = f(g, 's', x.shape);
  g.op('LARQ_SIGN', [x], [s]);
  const y = f(g, 'y', [1, 3]);
  g.op('FULLY_CONNECTED', [s, g.constF32('w', Array.from({ length: 120 }, (_, i) => (i % 3 ? 1 : -1)), [3, 40]), g.constF32('b', [0, 0, 0], [3])], [y],
    { fusedActivationFunction: 0, weightsFormat: 0, keepNumDims: false, asymmetricQuantizeInputs: false });
  const m = f(g, 'm', y.shape);
  g.op('MUL', [y, g.constF32('k', [2, 2, 2], [3])], [m], { fusedActivationFunction: 0 });
  g.outputs = [m];
  assert.equal(denseToBconv.run(g, opts), 1);
  g.toposort();
  dce.run(g, opts);
  assert.equal(sinkReshape.run(g, opts), 1);
  quantizeBinary.run(g, opts);
  binaryConv.run(g, opts);
  bconvPostOps.run(g, opts);
  dce.run(g, opts);
  assert.deepEqual(types(g), ['RESHAPE', 'LceQuantize', 'LceBconv2d', 'RESHAPE']);
  assert.deepEqual([...(g.ops[2].inputs[2]!.data as Float32Array)], [2, 2, 2]);
  assert.deepEqual(g.outputs[0].shape, [1, 3]);
  assert.equal(denseToBconv.run(new IrGraph(), { ...opts, denseToBconv: false }), 0);
});

test('bitpack-weights: the float32 packer equals the reference packer (channels 1, 31, 32, 33, 65; zeros and -0)', () => {
  for (const c of [1, 31, 32, 33, 65]) {
    const rows = 3;
    const src = Float32Array.from({ length: rows * c }, (_, i) => [1, -1, 0, -0, 0.5, -2][(i * 7 + c) % 6]!);
    const words = Math.ceil(c / 32);
    const want = new Int32Array(rows * words);
    const got = new Int32Array(rows * words);
    packFloat32(src, rows, c, want);
    packSigns(src, rows, c, got);
    assert.deepEqual([...got], [...want], `channels ${c}`);
  }
});

test('fold-constants: broadcast fast paths agree with the general index walk', () => {
  const a = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i - 7.5);
  const v = Float32Array.from([2, -1, 0.5, 3]);
  const mul = (x: number, y: number): number => Math.fround(x * y);
  const fast = broadcastBinary(a, [2, 3, 4], v, [1, 4], mul)!;
  const swapped = broadcastBinary(v, [4], a, [2, 3, 4], mul)!;
  // [2,3,1] against [4] needs the general walk (neither side is the full shape).
  const col = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const general = broadcastBinary(col, [2, 3, 1], v, [4], mul)!;
  assert.deepEqual(fast.shape, [2, 3, 4]);
  for (let k = 0; k < 24; k++) {
    assert.equal(fast.data[k], mul(a[k]!, v[k % 4]!));
    assert.equal(swapped.data[k], mul(v[k % 4]!, a[k]!));
    assert.equal(general.data[k], mul(col[Math.floor(k / 4)]!, v[k % 4]!));
  }
  const t = transpose(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 1, 4], [3, 0, 1, 2]);
  assert.deepEqual(t.shape, [4, 2, 3, 1]);
  assert.deepEqual([...t.data.slice(0, 7)], [0, 4, 8, 12, 16, 20, 1]);
});
