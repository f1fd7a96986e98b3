/**
 * Feeds for a fuzz case, made from the loaded session's input metadata and a seed. "valid" modes must run (special
 * float values included: NaN, ±Inf, huge, denormal); every other mode is a caller mistake that run() must refuse
 * with an InputError.
 */
import type { TensorMetadata } from '../runtime/session.js';
import { Tensor, type TensorDataByType, type TensorType } from '../runtime/tensor.js';
import { Rng } from './rng.js';

export const FEED_MODES = [
  'random', 'special', 'extremes', // valid feeds
  'wrong-dtype', 'wrong-dims', 'wrong-length', 'wrong-array', 'missing', 'unknown-name', 'not-a-tensor',
] as const;
export type FeedMode = (typeof FEED_MODES)[number];

export function feedModeIsValid(mode: FeedMode): boolean {
  return mode === 'random' || mode === 'special' || mode === 'extremes';
}

const TYPES: readonly TensorType[] = ['float32', 'int32', 'int8', 'uint8', 'bool', 'int16', 'int64'];
const SPECIAL_F32 = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -0, 0, 1e30, -1e30] as const;

/** Feeds for `inputs` in `mode`; any object stands in for a Tensor in 'not-a-tensor' mode. */
export function makeFeeds(inputs: readonly TensorMetadata[], mode: FeedMode, seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const m of inputs) feeds[m.name] = makeTensor(rng, m.type, m.dims, mode === 'special' ? 'special' : mode === 'extremes' ? 'extremes' : 'random');
  if (inputs.length === 0) return feeds;
  const victim = rng.pick(inputs);
  switch (mode) {
    case 'random': case 'special': case 'extremes':
      break;
    case 'wrong-dtype': {
      const type = rng.pick(TYPES.filter((t) => t !== victim.type));
      feeds[victim.name] = makeTensor(rng, type, victim.dims, 'random');
      break;
    }
    case 'wrong-dims': {
      const dims = [...victim.dims];
      const how = rng.int(3);
      if (how === 0 || dims.length === 0) dims.push(1);
      else if (how === 1) dims.pop();
      else { const k = rng.int(dims.length); dims[k] = dims[k]! + 1; }
      feeds[victim.name] = makeTensor(rng, victim.type, dims, 'random');
      break;
    }
    case 'wrong-length': {
      // A forged Tensor (a caller bypassing the constructor): right dims, wrong data length.
      const size = victim.dims.reduce((a, b) => a * b, 1);
      const forged = makeTensor(rng, victim.type, [size + 1 + rng.int(4)], 'random');
      feeds[victim.name] = Object.assign(Object.create(Tensor.prototype) as Tensor, { type: victim.type, data: forged.data, dims: victim.dims });
      break;
    }
    case 'wrong-array': {
      // Right type name and dims, but the data is another typed array (e.g. a Float64Array).
      const size = victim.dims.reduce((a, b) => a * b, 1);
      const data = victim.type === 'float32' ? new Float64Array(size) : new Float32Array(size);
      feeds[victim.name] = Object.assign(Object.create(Tensor.prototype) as Tensor, { type: victim.type, data, dims: victim.dims });
      break;
    }
    case 'missing':
      delete feeds[victim.name];
      break;
    case 'unknown-name':
      feeds[`${victim.name}__not_an_input`] = feeds[victim.name]!;
      break;
    case 'not-a-tensor':
      feeds[victim.name] = { type: victim.type, data: [1, 2, 3], dims: victim.dims } as unknown as Tensor;
      break;
  }
  return feeds;
}

type Fill = 'random' | 'special' | 'extremes';

function makeTensor(rng: Rng, type: TensorType, dims: readonly number[], fill: Fill): Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return new Tensor(type, fillArray(rng, type, size, fill), dims);
}

function fillArray(rng: Rng, type: TensorType, size: number, fill: Fill): TensorDataByType[TensorType] {
  switch (type) {
    case 'float32': {
      const a = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        a[i] = fill === 'special' ? rng.pick(SPECIAL_F32) : fill === 'extremes' ? (rng.bool() ? 3.4e38 : -3.4e38) : rng.float() * 4 - 2;
      }
      return a;
    }
    case 'int64': {
      const a = new BigInt64Array(size);
      for (let i = 0; i < size; i++) a[i] = fill === 'random' ? BigInt(rng.range(-100, 100)) : rng.bool() ? 0x7fffffffffffffffn : -0x8000000000000000n;
      return a;
    }
    default: {
      const a = type === 'int32' ? new Int32Array(size) : type === 'int16' ? new Int16Array(size)
        : type === 'int8' ? new Int8Array(size) : new Uint8Array(size);
      const bits = a.BYTES_PER_ELEMENT * 8;
      for (let i = 0; i < size; i++) {
        const raw = fill === 'random' ? rng.u32() : rng.bool() ? 0xffffffff : 0x80000000;
        a[i] = type === 'bool' ? raw & 1 : bits === 32 ? raw | 0 : raw >>> (32 - bits);
      }
      return a;
    }
  }
}
