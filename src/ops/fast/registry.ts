/**
 * The wasm backend's registry: the reference registry with the ops that have wasm kernels replaced by their
 * fast versions (same parse and validation, kernels on wasm memory). Listed explicitly, like the reference one.
 */
import type { AnyOpKernel } from '../kernel.js';
import { createReferenceRegistry, type OpRegistry } from '../registry.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { fastLceBconv2d } from './lce-bconv2d.js';
import { fastLceBMaxPool2d } from './lce-bmaxpool2d.js';
import { fastLceDequantize } from './lce-dequantize.js';
import { fastLceQuantize } from './lce-quantize.js';

export function createWasmRegistry(backend: WasmBackend): OpRegistry {
  const map = new Map<string, AnyOpKernel>(createReferenceRegistry());
  const fast: AnyOpKernel[] = [
    fastLceQuantize(backend),
    fastLceDequantize(backend),
    fastLceBconv2d(backend),
    fastLceBMaxPool2d(backend),
  ];
  for (const k of fast) {
    if (!map.has(k.type)) throw new Error(`fast op ${k.type} has no reference op`);
    map.set(k.type, k);
  }
  return map;
}
