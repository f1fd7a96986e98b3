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
