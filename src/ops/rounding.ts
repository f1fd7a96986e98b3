/**
 * ROUND, FLOOR and CEIL on float32 (the only type TFLite's kernels accept). ROUND is TFLite's RoundToNearest:
 * halves go to the even neighbour, and a negative input that rounds to zero gives +0 (it is computed as
 * floor + 1), unlike Math.round. The converter emits ROUND for DoReFa quantizers.
 */
import { shapeSize } from '../graph/dtype.js';
import { evalUnary, mapFloat, prepareSameShape, type UnaryState } from './activations.js';
import type { OpKernel } from './kernel.js';

/** TFLite's RoundToNearest: round half to even on float32 values. */
export function roundToNearestEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor; // exact for float32 x
  // beyond 2^53 every double is even; below it, `floor % 2` is exact
  if (diff < 0.5 || (diff === 0.5 && floor % 2 === 0)) return floor;
  return floor + 1;
}

function roundingKernel(type: string, f: (x: number) => number): OpKernel<null, UnaryState> {
  return {
    type,
    parse: () => null,
    prepare(ctx) {
      const { input } = prepareSameShape(ctx, ['float32']);
      return { size: shapeSize(input.shape), run: mapFloat(f) };
    },
    eval: evalUnary,
  };
}

export const roundKernel = roundingKernel('ROUND', roundToNearestEven);
export const floorKernel = roundingKernel('FLOOR', Math.floor);
export const ceilKernel = roundingKernel('CEIL', Math.ceil);
