/**
 * How much arithmetic an op does, from its tensor shapes: multiply-accumulates for the convolution-like ops
 * (binary MACs for LceBconv2d, i.e. ±1 products), element counts for the rest. Used by `lce bench` (G ops/s)
 * and by the design-guide analyzer.
 */
import { shapeSize } from '../graph/dtype.js';

export type WorkKind = 'binary' | 'float' | 'int8' | 'other';

export interface OpWork {
  kind: WorkKind;
  /** Multiply-accumulates (binary ones for LceBconv2d); 0 for ops that are not products. */
  macs: number;
  /** Operations counted as 2 per MAC, or 1 per output element for element-wise ops. */
  ops: number;
}

export interface ShapeOnly {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/** `channelsIn` is LceBconv2d's unpacked input channel count (its input and filter are bitpacked). */
export function opWork(type: string, inputs: readonly (ShapeOnly | null)[], outputs: readonly ShapeOnly[], channelsIn?: number): OpWork {
  const out = outputs[0];
  const outElements = out ? shapeSize(out.shape) : 0;
  const filter = inputs[1];
  const kindOf = (t: ShapeOnly | null | undefined): WorkKind => (t?.dtype === 'int8' ? 'int8' : 'float');
  switch (type) {
    case 'CONV_2D': {
      if (!filter || !out) break;
      const [, kh = 1, kw = 1, cin = 1] = filter.shape;
      const macs = outElements * kh * kw * cin;
      return { kind: kindOf(inputs[0]), macs, ops: 2 * macs };
    }
    case 'DEPTHWISE_CONV_2D': {
      if (!filter || !out) break;
      const [, kh = 1, kw = 1] = filter.shape;
      const macs = outElements * kh * kw;
      return { kind: kindOf(inputs[0]), macs, ops: 2 * macs };
    }
    case 'FULLY_CONNECTED': {
      if (!filter || !out) break;
      const inFeatures = filter.shape[filter.shape.length - 1] ?? 1;
      const macs = outElements * inFeatures;
      return { kind: kindOf(inputs[0]), macs, ops: 2 * macs };
    }
    case 'LceBconv2d': {
      if (!filter || !out) break;
      const [cout = 1, kh = 1, kw = 1, words = 1] = filter.shape;
      const inputWords = inputs[0]?.shape[3] ?? words;
      const groups = words > 0 && inputWords > words ? inputWords / words : 1;
      const cinPerGroup = channelsIn !== undefined ? channelsIn / groups : words * 32;
      const pixels = shapeSize(out.shape.slice(0, 3));
      const macs = pixels * cout * kh * kw * cinPerGroup;
      return { kind: 'binary', macs, ops: 2 * macs };
    }
    default:
      break;
  }
  return { kind: 'other', macs: 0, ops: outElements };
}
