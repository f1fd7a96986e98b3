/**
 * LceQuantize on the wasm bitpacking kernels (float32: bit = x < 0; int8: bit = q < zero point). Parse and
 * validation are the reference op's. Bool input (any non-zero byte is +1, which a signed byte compare would get
 * wrong for bytes ≥ 128) and tensors outside the arena run the reference kernel.
 */
import { lceQuantize, type LceNoOptions, type LceQuantizeState } from '../lce-quantize.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

export interface FastQuantizeState {
  readonly ref: LceQuantizeState;
  readonly mode: 'f32' | 'i8' | 'reference';
}

export function fastLceQuantize(backend: WasmBackend): OpKernel<LceNoOptions, FastQuantizeState> {
  const k = backend.kernels;
  return defineOp<LceNoOptions, FastQuantizeState>({
    type: lceQuantize.type,
    parse: (op, code) => lceQuantize.parse(op, code),
    prepare(ctx) {
      const ref = lceQuantize.prepare(ctx);
      const dtype = ctx.inputs[0]!.dtype;
      return { ref, mode: dtype === 'float32' ? 'f32' : dtype === 'int8' ? 'i8' : 'reference' };
    },
    eval(state, inputs, outputs) {
      const src = backend.offsetOf(inputs[0]!);
      const dst = backend.offsetOf(outputs[0]!);
      const r = state.ref;
      if (src < 0 || dst < 0 || state.mode === 'reference') lceQuantize.eval(r, inputs, outputs);
      else if (state.mode === 'f32') k.packF32(src, r.rows, r.channels, dst);
      else k.packI8(src, r.rows, r.channels, r.threshold, dst);
    },
  });
}
