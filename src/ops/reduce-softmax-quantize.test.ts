import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpPrepareError } from '../errors.js';
import { dequantizeKernel, quantizeKernel } from './quantize.js';
import { meanKernel, reduceMaxKernel, sumKernel } from './reduce.js';
import { logSoftmaxKernel, softmaxKernel } from './softmax.js';
import { assertClose, runOp1 } from './test-util.js';

const axes = (a: number[]) => ({ dtype: 'int32' as const, shape: [a.length], data: a, constant: true });
const q = (scale: number, zeroPoint = 0) => ({ scale: Math.fround(scale), zeroPoint }); // float32, as in a file

test('float MEAN/SUM/REDUCE_MAX with keepDims, negative and duplicate axes', () => {
  const x = Array.from({ length: 24 }, (_, i) => i);
  const input = { dtype: 'float32' as const, shape: [2, 3, 4], data: x };
  const m = runOp1(meanKernel, { inputs: [input, axes([-1, 2, 0])], outputs: [{ dtype: 'float32', shape: [] }], options: { keepDims: true } });
  assert.deepEqual(m.shape, [1, 3, 1]);
  // mean over dims 0 and 2 of row j: (4j + 1.5 + 12 + 4j + 1.5) / 2 = 4j + 7.5
  assert.deepEqual(m.values, [7.5, 11.5, 15.5]);
  const s = runOp1(sumKernel, { inputs: [input, axes([1])], outputs: [{ dtype: 'float32', shape: [] }], options: null });
  assert.deepEqual(s.shape, [2, 4]);
  assert.deepEqual(s.values, [12, 15, 18, 21, 48, 51, 54, 57]);
  const mx = runOp1(reduceMaxKernel, { inputs: [input, axes([0, 1])], outputs: [{ dtype: 'float32', shape: [] }] });
  assert.deepEqual(mx.values, [20, 21, 22, 23]);
  assert.throws(() => runOp1(meanKernel, {
    inputs: [input, { dtype: 'int32', shape: [1], data: [1] }], outputs: [{ dtype: 'float32', shape: [] }],
  }), (e: unknown) => e instanceof OpPrepareError && /not a constant/.test(e.message));
});

/**
 * Expected values from LCE 0.16.0's interpreter (one thread) on the same one-op models; scripts/int8-op-sweep.ts
 * checks 1 900 random ones the same way.
 */
const REDUCE_CASES: {
  what: string; op: 'MEAN' | 'SUM'; dtype: 'int8' | 'uint8'; shape: number[]; axes: number[]; keepDims: boolean;
  qi: { scale: number; zeroPoint: number }; qo: { scale: number; zeroPoint: number }; x: number[]; want: number[];
}[] = [
  {
    what: 'GlobalAveragePooling2D (keepDims false, equal quantisation): integer QuantizedMeanOrSum, not sum/n truncated',
    op: 'MEAN', dtype: 'int8', shape: [1, 4, 4, 16], axes: [1, 2], keepDims: false,
    qi: q(0.0235294122248888, 0), qo: q(0.0235294122248888, 0),
    x: [-126, -113, 122, 50, 5, -25, -9, -67, 13, 58, -62, -89, 67, 4, -78, -34, -53, 8, -53, 122, -65, 96, -80, -92, -89, -54, 12, 67, -109, 105, 13, 31, 46, 119, 31, 107, 83, -118, -84, -37, -20, -123, -106, 68, -34, -19, -9, 114, 52, 48, -44, -37, -93, -94, 105, -46, -80, 33, -42, -117, 47, 107, 12, 83, 39, 107, -99, 7, 38, 100, 117, 86, 24, 118, 119, 12, 81, -127, 4, -45, 57, 12, 65, 122, 14, 82, -18, 36, 61, 13, -49, -68, -126, -122, 113, 85, 33, -125, 30, 24, 55, 126, -57, 124, 38, 78, 31, 84, -93, 126, 1, 17, -87, -27, -75, 80, 92, 60, 40, 125, 27, 60, 116, -3, -70, 21, 75, 90, -80, 14, -6, 6, -82, -64, -16, -6, -85, -128, -84, -122, -101, 96, 123, -113, -84, -25, -1, 59, -34, -36, 74, 53, 76, 7, 76, -23, 16, -54, 6, 70, -108, -64, 83, 83, 70, -18, -37, 107, -64, -36, -6, 84, -25, 121, 13, -17, -42, 9, -53, 98, 18, 124, 87, -2, -17, 50, 110, 12, 40, -87, 49, -28, 28, 91, -30, -53, -105, 46, 59, 118, -47, -62, -111, 56, 109, 72, 84, 118, -71, 122, -56, 9, -28, 54, 66, 31, 57, 31, 24, -59, 84, -5, -93, 56, -10, 15, 13, 99, 115, -89, -102, -55, 6, -28, 104, 91, 7, 104, -57, -2, 109, 45, 75, -43, 104, 120, 87, -128, -86, 64, -102, -107, 105, -59, 22, -61],
    want: [-19, 15, 0, 46, 12, 23, 15, 16, -12, 5, 2, -7, 0, 18, 17, 23],
  },
  {
    what: '4-D mean over H,W with keepDims: channels 0-15 take the vector path (ties up), 16-19 the scalar one (ties away)',
    op: 'MEAN', dtype: 'int8', shape: [1, 2, 2, 20], axes: [1, 2], keepDims: true,
    qi: q(0.5, 0), qo: q(0.5, 0),
    x: [-1, 1, 0, 0, -2, 2, 1, -1, 1, -1, 0, 0, 0, 0, 2, -2, -1, 1, 0, 0, -1, 1, 0, 0, -2, 2, 1, -1, 1, -1, 0, 0, 0, 0, 2, -2, -1, 1, 0, 0, -1, 1, 0, 0, -2, 2, 1, -1, 1, -1, 0, 0, 0, 0, 2, -2, -1, 1, 0, 0, -3, 3, -2, 2, -4, 4, 2, -2, 4, -4, 1, -1, 3, -3, 3, -3, -3, 3, -2, 2],
    want: [-1, 2, 0, 1, -2, 3, 2, -1, 2, -1, 1, 0, 1, 0, 3, -2, -2, 2, -1, 1],
  },
  {
    what: 'other axes, different quantisation',
    op: 'MEAN', dtype: 'int8', shape: [2, 3, 5], axes: [-1, 0], keepDims: false,
    qi: q(0.03, 12), qo: q(0.02, -20),
    x: [-110, 80, -47, 36, -40, 79, -72, -91, -9, 27, -102, 120, -112, 32, 3, -84, 77, 109, 44, -120, -81, 22, -71, -50, -17, -85, -102, -6, 48, 114],
    want: [-46, -78, -52],
  },
  {
    what: 'SUM with equal quantisation saturates',
    op: 'SUM', dtype: 'int8', shape: [2, 6], axes: [1], keepDims: false,
    qi: q(0.1, 3), qo: q(0.1, 3),
    x: [100, 100, 0, 0, 0, 0, -100, -100, -100, 0, 0, 0],
    want: [127, -128],
  },
  {
    what: 'SUM rescaled',
    op: 'SUM', dtype: 'int8', shape: [3, 4], axes: [0], keepDims: true,
    qi: q(0.1, 3), qo: q(0.25, -2),
    x: [39, 41, -8, -38, -106, -46, 18, 30, 101, -110, -63, -110],
    want: [8, -52, -27, -53],
  },
  {
    what: 'uint8 4-D mean over H,W with keepDims',
    op: 'MEAN', dtype: 'uint8', shape: [1, 2, 2, 18], axes: [1, 2], keepDims: true,
    qi: q(0.1, 128), qo: q(0.05, 100),
    x: [125, 181, 238, 21, 197, 244, 115, 225, 214, 118, 13, 62, 207, 37, 94, 202, 173, 105, 130, 199, 178, 170, 73, 47, 242, 211, 94, 126, 158, 213, 24, 14, 67, 227, 211, 247, 201, 116, 83, 95, 23, 121, 49, 29, 85, 136, 66, 162, 242, 255, 19, 237, 213, 181, 223, 115, 201, 234, 212, 87, 34, 104, 15, 5, 199, 21, 55, 110, 61, 239, 181, 90],
    want: [184, 150, 194, 104, 97, 94, 64, 129, 48, 37, 62, 73, 108, 52, 0, 255, 233, 156],
  },
  {
    what: 'uint8 mean, equal quantisation',
    op: 'MEAN', dtype: 'uint8', shape: [4, 6], axes: [1], keepDims: false,
    qi: q(0.1, 128), qo: q(0.1, 128),
    x: [251, 82, 64, 151, 128, 244, 208, 11, 222, 244, 204, 2, 118, 56, 130, 14, 40, 213, 34, 37, 142, 227, 113, 225],
    want: [154, 149, 95, 130],
  },
];

for (const c of REDUCE_CASES) {
  test(`quantized ${c.op} as LCE's interpreter: ${c.what}`, () => {
    const kernel = c.op === 'MEAN' ? meanKernel : sumKernel;
    const r = runOp1(kernel, {
      inputs: [{ dtype: c.dtype, shape: c.shape, quant: c.qi, data: c.x }, axes(c.axes)],
      outputs: [{ dtype: c.dtype, shape: [], quant: c.qo }], options: { keepDims: c.keepDims },
    });
    assert.deepEqual(r.values, c.want);
  });
}

test('int8 REDUCE_MAX needs equal quantization', () => {
  const input = { dtype: 'int8' as const, shape: [2], quant: q(1), data: [100, 100] };
  assert.throws(() => runOp1(reduceMaxKernel, { inputs: [input, axes([0])], outputs: [{ dtype: 'int8', shape: [], quant: q(4) }] }), OpPrepareError);
});

test('float SOFTMAX with beta and LOG_SOFTMAX', () => {
  const x = [1, 2, 3, 0, 0, 0];
  const r = runOp1(softmaxKernel, { inputs: [{ dtype: 'float32', shape: [2, 3], data: x }], outputs: [{ dtype: 'float32', shape: [] }], options: { beta: 2 } });
  const e = [2, 4, 6].map(Math.exp);
  const z = e.reduce((a, b) => a + b);
  assertClose(r.values, [...e.map((v) => v / z), 1 / 3, 1 / 3, 1 / 3]);
  const l = runOp1(logSoftmaxKernel, { inputs: [{ dtype: 'float32', shape: [3], data: [1, 2, 3] }], outputs: [{ dtype: 'float32', shape: [] }] });
  const z1 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assertClose(l.values, [1 - z1, 2 - z1, 3 - z1]);
});

test('int8 SOFTMAX matches exp/sum on the 1/256 grid', () => {
  const x = [-128, -20, 0, 10, 20, 30, 30, 127];
  const r = runOp1(softmaxKernel, {
    inputs: [{ dtype: 'int8', shape: [1, 8], data: x, quant: q(0.1, 5) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(1 / 256, -128) }],
    options: { beta: 1 },
  });
  const e = x.map((v) => Math.exp(0.1 * (v - 127)));
  const z = e.reduce((a, b) => a + b);
  assert.deepEqual(r.values, e.map((v) => Math.min(127, Math.round((v / z) * 256) - 128)));
  assert.throws(() => runOp1(softmaxKernel, {
    inputs: [{ dtype: 'int8', shape: [2], data: [0, 0], quant: q(0.1) }], outputs: [{ dtype: 'int8', shape: [], quant: q(0.1) }],
  }), OpPrepareError);
});

test('QUANTIZE float→int8 rounds halves away from zero and saturates; int8→int8 requantizes', () => {
  const r = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [6], data: [0.5, -0.5, 1.5, -2.5, 1000, -1000] }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(1, 0) }],
  });
  assert.deepEqual(r.values, [1, -1, 2, -3, 127, -128]);
  const u = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'float32', shape: [3], data: [0, 0.25, -1] }],
    outputs: [{ dtype: 'uint8', shape: [], quant: q(0.5, 128) }],
  });
  assert.deepEqual(u.values, [128, 129, 126]);
  const rq = runOp1(quantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [4], data: [3, -3, 100, 1], quant: q(1, 1) }],
    outputs: [{ dtype: 'int8', shape: [], quant: q(2, -1) }],
  });
  // (3-1)/2=1, (-3-1)/2=-2, 99/2=49.5→50, 0 ; plus zero point -1
  assert.deepEqual(rq.values, [0, -3, 49, -1]);
});

test('DEQUANTIZE per-tensor, per-channel and float16', () => {
  const r = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [3], data: [-128, 0, 127], quant: q(0.5, -1) }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(r.values, [-63.5, 0.5, 64]);
  const pc = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'int8', shape: [2, 2], data: [1, 2, 3, 4], quantization: { scale: [1, 10], zeroPoint: [0, 0], quantizedDimension: 1 } }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assert.deepEqual(pc.values, [1, 20, 3, 40]);
  const h = runOp1(dequantizeKernel, {
    inputs: [{ dtype: 'float16', shape: [4], data: [0x3c00, 0xc000, 0x3555, 0x7c00 - 0x10000] }],
    outputs: [{ dtype: 'float32', shape: [] }],
  });
  assertClose(h.values, [1, -2, 0.333251953125, Infinity]);
});
