/**
 * The wasm backend's registry: the reference registry with the ops that have wasm kernels replaced by their
 * fast versions (same parse and validation, kernels on wasm memory). Listed explicitly, like the reference one.
 */
import type { AnyOpKernel } from '../kernel.js';
import { createReferenceRegistry, type OpRegistry } from '../registry.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { fastConv2d } from './conv2d.js';
import { fastDepthwiseConv2d } from './depthwise-conv2d.js';
import { fastAdd, fastMul } from './elementwise-binary.js';
import { fastFullyConnected } from './fully-connected.js';
import { fastLceBconv2d } from './lce-bconv2d.js';
import { fastLceBMaxPool2d } from './lce-bmaxpool2d.js';
import { fastLceDequantize } from './lce-dequantize.js';
import { fastLceQuantize } from './lce-quantize.js';
import { fastMean } from './mean.js';
import { fastAveragePool2d, fastMaxPool2d } from './pool2d.js';

export function createWasmRegistry(backend: WasmBackend): OpRegistry {
  const map = new Map<string, AnyOpKernel>(createReferenceRegistry());
  const fast: AnyOpKernel[] = [
    fastLceQuantize(backend),
    fastLceDequantize(backend),
    fastLceBconv2d(backend),
    fastLceBMaxPool2d(backend),
    fastConv2d(backend),
    fastDepthwiseConv2d(backend),
    fastFullyConnected(backend),
    fastMaxPool2d(backend),
    fastAveragePool2d(backend),
    fastAdd(backend),
    fastMul(backend),
    fastMean(backend),
  ];
  for (const k of fast) {
    if (!map.has(k.type)) throw new Error(`fast op ${k.type} has no reference op`);
    map.set(k.type, k);
  }
  return map;
}
