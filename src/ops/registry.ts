/**
 * The explicit op registry: every op the runtime can execute is listed here (nothing registers itself on import).
 * Keys are builtin names (`CONV_2D`) or custom codes (`LceBconv2d`).
 */
import type { AnyOpKernel } from './kernel.js';

// --- LCE custom ops ---
import { lceBconv2d } from './lce-bconv2d.js';
import { lceBMaxPool2d } from './lce-bmaxpool2d.js';
import { lceDequantize } from './lce-dequantize.js';
import { lceQuantize } from './lce-quantize.js';

// --- TFLite builtins: elementwise, activations, shape and data movement, reductions, (de)quantize ---
import {
  hardSwishKernel, leakyReluKernel, logisticKernel, preluKernel, relu6Kernel, reluKernel, reluN1To1Kernel, tanhKernel,
} from './activations.js';
import {
  concatenationKernel, packKernel, splitKernel, splitVKernel, unpackKernel,
} from './concat-split.js';
import {
  addKernel, divKernel, maximumKernel, minimumKernel, mulKernel, squaredDifferenceKernel, subKernel,
} from './elementwise-binary.js';
import { absKernel, castKernel, expKernel, negKernel, rsqrtKernel, sqrtKernel } from './elementwise-unary.js';
import { argMaxKernel, gatherKernel } from './gather.js';
import { dequantizeKernel, quantizeKernel } from './quantize.js';
import { meanKernel, reduceMaxKernel, sumKernel } from './reduce.js';
import { ceilKernel, floorKernel, roundKernel } from './rounding.js';
import { expandDimsKernel, reshapeKernel, shapeKernel, squeezeKernel } from './reshape.js';
import { sliceKernel, stridedSliceKernel } from './slice.js';
import { logSoftmaxKernel, softmaxKernel } from './softmax.js';
import { padKernel, padV2Kernel, transposeKernel } from './transpose-pad.js';

// --- TFLite builtins: convolutions, fully connected, pools ---
import { averagePool2d } from './average-pool2d.js';
import { conv2d } from './conv2d.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { fullyConnected } from './fully-connected.js';
import { maxPool2d } from './max-pool2d.js';

const KERNELS: readonly AnyOpKernel[] = [
  // --- LCE custom ops ---
  lceQuantize,
  lceDequantize,
  lceBconv2d,
  lceBMaxPool2d,
  // --- TFLite builtins: elementwise, activations, shape and data movement, reductions, (de)quantize ---
  addKernel, subKernel, mulKernel, divKernel, maximumKernel, minimumKernel, squaredDifferenceKernel,
  rsqrtKernel, sqrtKernel, absKernel, negKernel, expKernel, castKernel,
  roundKernel, floorKernel, ceilKernel,
  reluKernel, relu6Kernel, reluN1To1Kernel, leakyReluKernel, preluKernel, logisticKernel, tanhKernel, hardSwishKernel,
  softmaxKernel, logSoftmaxKernel,
  meanKernel, sumKernel, reduceMaxKernel,
  reshapeKernel, squeezeKernel, expandDimsKernel, shapeKernel,
  transposeKernel, padKernel, padV2Kernel, sliceKernel, stridedSliceKernel,
  concatenationKernel, packKernel, splitKernel, splitVKernel, unpackKernel,
  gatherKernel, argMaxKernel,
  quantizeKernel, dequantizeKernel,
  // --- TFLite builtins: convolutions, fully connected, pools ---
  conv2d,
  depthwiseConv2d,
  fullyConnected,
  maxPool2d,
  averagePool2d,
];

export type OpRegistry = ReadonlyMap<string, AnyOpKernel>;

export function createReferenceRegistry(): OpRegistry {
  const map = new Map<string, AnyOpKernel>();
  for (const k of KERNELS) {
    if (map.has(k.type)) throw new Error(`op ${k.type} registered twice`);
    map.set(k.type, k);
  }
  return map;
}
