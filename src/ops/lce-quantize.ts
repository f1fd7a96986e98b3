/**
 * LceQuantize (lce-ops.md §3.1): float32, int8 or bool → bitpacked int32 along the last axis.
 * float: bit = x < 0; int8: bit = q < zero point (scale unused); bool: bit = !b. Prepare resizes the output.
 */
import { bitpackedSize, packRows } from '../reference/bitpack.js';
import { fail, requireDType, requireInput, requireInputCount, requireOutputCount } from './common.js';
import { defineOp } from './kernel.js';

/** LceQuantize and LceDequantize have no options (their custom options are empty and ignored). */
export type LceNoOptions = Record<string, never>;

export interface LceQuantizeState {
  rows: number;
  channels: number;
  /** bit = (value < threshold): 0 for float32, the zero point for int8, 1 for bool bytes. */
  threshold: number;
}

export const lceQuantize = defineOp<LceNoOptions, LceQuantizeState>({
  type: 'LceQuantize',
  parse: () => ({}),
  prepare(ctx) {
    requireInputCount(ctx, 1);
    requireOutputCount(ctx, 1);
    const input = requireInput(ctx, 0);
    const output = ctx.outputs[0]!;
    requireDType(ctx, input, ['float32', 'int8', 'bool'], 'input');
    requireDType(ctx, output, ['int32'], 'output');
    const rank = input.shape.length;
    if (rank < 1) fail(ctx, `input '${input.name}' must have rank ≥ 1 (the channel axis is packed)`);
    if (output.shape.length !== rank) {
      fail(ctx, `output '${output.name}' has rank ${output.shape.length}, input '${input.name}' has rank ${rank}`);
    }
    const channels = input.shape[rank - 1]!;
    let rows = 1;
    for (let i = 0; i < rank - 1; i++) rows *= input.shape[i]!;
    output.shape = [...input.shape.slice(0, rank - 1), bitpackedSize(channels)];
    const threshold = input.dtype === 'float32' ? 0 : input.dtype === 'bool' ? 1 : (input.quantization?.zeroPoint[0] ?? 0);
    return { rows, channels, threshold };
  },
  eval(state, inputs, outputs) {
    packRows(inputs[0]!.data as Float32Array | Int8Array | Uint8Array, state.rows, state.channels, state.threshold,
      outputs[0]!.data as Int32Array);
  },
});
