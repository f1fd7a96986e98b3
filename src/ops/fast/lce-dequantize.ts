/**
 * LceDequantize on the wasm unpacking kernels: float32 (±1), int8 (the codes of ±1) and bool (1/0 bytes).
 * Parse and validation are the reference op's; tensors outside the arena run the reference kernel.
 */
import { lceDequantize, type LceDequantizeState } from '../lce-dequantize.js';
import type { LceNoOptions } from '../lce-quantize.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

export interface FastDequantizeState {
  readonly ref: LceDequantizeState;
  readonly float: boolean;
}

export function fastLceDequantize(backend: WasmBackend): OpKernel<LceNoOptions, FastDequantizeState> {
  const k = backend.kernels;
  return defineOp<LceNoOptions, FastDequantizeState>({
    type: lceDequantize.type,
    parse: (op, code) => lceDequantize.parse(op, code),
    prepare(ctx) {
      return { ref: lceDequantize.prepare(ctx), float: ctx.outputs[0]!.dtype === 'float32' };
    },
    eval(state, inputs, outputs) {
      const src = backend.offsetOf(inputs[0]!);
      const dst = backend.offsetOf(outputs[0]!);
      const r = state.ref;
      if (src < 0 || dst < 0) lceDequantize.eval(r, inputs, outputs);
      else if (state.float) k.unpackF32(src, r.rows, r.channels, dst);
      else k.unpackI8(src, r.rows, r.channels, r.zeroBit, r.oneBit, dst);
    },
  });
}
