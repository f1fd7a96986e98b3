/**
 * Float MEAN over the spatial axes (1, 2) of an NHWC tensor on the wasm kernel (a global average pool, the
 * classifier head of most BNNs). Parse and validation are the reference op's; other axes, other dtypes and
 * tensors outside the arena run the reference kernel.
 */
import { runF32MeanHw, type F32MeanHwArgs } from '../../backend/wasm.js';
import { meanKernel, type ReduceState } from '../reduce.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

export interface FastMeanState {
  readonly ref: ReduceState;
  /** Kernel arguments (offsets filled at eval); null: the reference kernel runs. */
  readonly args: F32MeanHwArgs | null;
}

export function fastMean(backend: WasmBackend): OpKernel<{ keepDims: boolean }, FastMeanState> {
  const k = backend.kernels;
  return defineOp<{ keepDims: boolean }, FastMeanState>({
    type: meanKernel.type,
    parse: (op, code) => meanKernel.parse(op, code),
    prepare(ctx) {
      const ref = meanKernel.prepare(ctx);
      const input = ctx.inputs[0]!;
      const axes = ctx.inputs[1]!.constant;
      const rank = input.shape.length;
      const normalised = axes ? [...new Set(Array.from(axes as ArrayLike<number>, (a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b) : [];
      const spatial = rank === 4 && normalised.length === 2 && normalised[0] === 1 && normalised[1] === 2;
      if (ref.dtype !== 'float32' || !spatial || input.constant) return { ref, args: null };
      const [batch, h, w, channels] = input.shape as [number, number, number, number];
      if (batch * h * w * channels === 0) return { ref, args: null };
      return { ref, args: { input: 0, out: 0, batch, plane: h * w, channels } };
    },
    eval(state, inputs, outputs) {
      const args = state.args;
      if (args) {
        const input = backend.offsetOf(inputs[0]!);
        const out = backend.offsetOf(outputs[0]!);
        if (input >= 0 && out >= 0) {
          args.input = input;
          args.out = out;
          runF32MeanHw(k, args);
          return;
        }
      }
      meanKernel.eval(state.ref, inputs, outputs);
    },
  });
}
