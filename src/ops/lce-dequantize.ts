/**
 * LceDequantize (lce-ops.md §3.2): bitpacked int32 → float32 (±1), int8 (the codes of ±1) or bool.
 * The output shape is not inferred (C cannot be recovered from ceil(C/32)); prepare checks it instead.
 */
import { bitpackedSize, int8UnpackValues, unpackRows } from '../reference/bitpack.js';
import { fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { defineOp } from './kernel.js';
import type { LceNoOptions } from './lce-quantize.js';

export interface LceDequantizeState {
  rows: number;
  channels: number;
  /** Output value for bit 0 (+1) and bit 1 (−1). */
  zeroBit: number;
  oneBit: number;
}

export const lceDequantize = defineOp<LceNoOptions, LceDequantizeState>({
  type: 'LceDequantize',
  parse: () => ({}),
  prepare(ctx) {
    requireInputCount(ctx, 1);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const output = ctx.outputs[0]!;
    requireDType(ctx, input, ['int32'], 'input');
    requireDType(ctx, output, ['float32', 'int8', 'bool'], 'output');
    const rank = input.shape.length;
    if (rank < 1) fail(ctx, `input '${input.name}' must have rank ≥ 1 (the channel axis is packed)`);
    if (output.shape.length !== rank) {
      fail(ctx, `output '${output.name}' has rank ${output.shape.length}, input '${input.name}' has rank ${rank}`);
    }
    let rows = 1;
    for (let i = 0; i < rank - 1; i++) {
      if (output.shape[i] !== input.shape[i]) {
        fail(ctx, `output shape [${output.shape.join(', ')}] differs from input shape [${input.shape.join(', ')}] on axis ${i}`);
      }
      rows *= input.shape[i]!;
    }
    const channels = output.shape[rank - 1]!;
    if (input.shape[rank - 1] !== bitpackedSize(channels)) {
      fail(ctx, `input '${input.name}' has ${input.shape[rank - 1]} packed words per row; ${channels} output channels need ${bitpackedSize(channels)}`);
    }
    if (output.dtype === 'float32') return { rows, channels, zeroBit: 1, oneBit: -1 };
    if (output.dtype === 'bool') return { rows, channels, zeroBit: 1, oneBit: 0 };
    const { scale, zeroPoint } = perTensorQuant(ctx, output, 'output');
    if (!(scale > 0) || !Number.isFinite(scale)) fail(ctx, `output '${output.name}' has invalid scale ${scale}`);
    const v = int8UnpackValues(scale, zeroPoint);
    return { rows, channels, zeroBit: v.zeroBit, oneBit: v.oneBit };
  },
  eval(state, inputs, outputs) {
    unpackRows(inputs[0]!.data as Int32Array, state.rows, state.channels, state.zeroBit, state.oneBit,
      outputs[0]!.data as Float32Array | Int8Array | Uint8Array);
  },
});
