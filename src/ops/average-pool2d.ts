/**
 * AVERAGE_POOL_2D (TFLite builtin 1), float32 and int8. Averages only the in-image elements of each window;
 * int8 divides the int32 sum with rounding half away from zero. Options and checks are shared with MAX_POOL_2D.
 */
import { averagePool2dFloat, averagePool2dInt8 } from '../reference/pool2d.js';
import { defineOp } from './kernel.js';
import type { Pool2DOptions, Pool2DState } from './max-pool2d.js';
import { parsePool2DOptions, preparePool2D } from './max-pool2d.js';

export const averagePool2d = defineOp<Pool2DOptions, Pool2DState>({
  type: 'AVERAGE_POOL_2D',
  parse: (op) => parsePool2DOptions(op.builtinOptions, 'AVERAGE_POOL_2D'),
  prepare: preparePool2D,
  eval(state, inputs, outputs) {
    if (state.kind === 'float32') {
      averagePool2dFloat(state.geometry, inputs[0]!.data as Float32Array, outputs[0]!.data as Float32Array, state.actMin, state.actMax);
    } else {
      averagePool2dInt8(state.geometry, inputs[0]!.data as Int8Array, outputs[0]!.data as Int8Array, state.actMin, state.actMax);
    }
  },
});
