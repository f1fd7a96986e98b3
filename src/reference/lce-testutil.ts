/**
 * Test helpers for the LCE reference kernels and ops: a seeded PRNG, an independent float convolution over the
 * ±1 values a binary convolution stands for, and the converter's threshold rule (lce-ops.md §4.7).
 * Used only by tests; deliberately written without the bitpacking/popcount machinery it checks.
 */
import { shapeSize, type DType, type TensorData } from '../graph/dtype.js';
import type { OperatorDef, Quantization } from '../graph/model.js';
import { Activation } from '../ops/common.js';
import { correctionCase, countsAsOutside, type Bconv2dGeometry } from './bconv2d.js';
import type { OpKernel, RuntimeTensor, TensorSpec } from '../ops/kernel.js';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/** Random ±1 values as float32. */
export function randomSigns(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng() < 0.5 ? -1 : 1;
  return out;
}

export type PadKind = 'valid' | 'same-one' | 'same-zero';

export interface FloatConvCase {
  batch: number;
  inHeight: number;
  inWidth: number;
  channelsIn: number;
  channelsOut: number;
  filterHeight: number;
  filterWidth: number;
  groups: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  pad: PadKind;
  activation: number;
}

export interface FloatConvResult {
  outHeight: number;
  outWidth: number;
  /** The clamped integer dot product per output, NHWC. */
  dot: Float64Array;
}

/** The dot-product clamp of the activation, intersected with [−K, K] (TANH, SIGN_BIT, unknown: none). */
export function dotClampRange(activation: number, k: number): [number, number] {
  switch (activation) {
    case Activation.RELU: return [0, k];
    case Activation.RELU6: return [0, Math.min(6, k)];
    case Activation.RELU_N1_TO_1: return [Math.max(-1, -k), Math.min(1, k)];
    default: return [-k, k];
  }
}

/**
 * Straightforward float convolution of ±1 input [N,H,W,Cin] with ±1 filter [Cout,fh,fw,Cin/G] (OHWI),
 * padding with +1 (same-one) or 0 (same-zero), then the activation clamp on the dot.
 * Output size and SAME split computed here from first principles: out = ceil(in/s) for SAME,
 * ceil((in − fe + 1)/s) for VALID; the odd padding pixel goes after.
 */
export function floatBinaryConv(
  c: FloatConvCase, input: Float32Array, filter: Float32Array, lceFloatPath = false,
): FloatConvResult {
  const cg = c.channelsIn / c.groups;
  const outPerGroup = c.channelsOut / c.groups;
  const feH = (c.filterHeight - 1) * c.dilationHeight + 1;
  const feW = (c.filterWidth - 1) * c.dilationWidth + 1;
  const same = c.pad !== 'valid';
  const outHeight = same ? Math.ceil(c.inHeight / c.strideHeight) : Math.max(0, Math.ceil((c.inHeight - feH + 1) / c.strideHeight));
  const outWidth = same ? Math.ceil(c.inWidth / c.strideWidth) : Math.max(0, Math.ceil((c.inWidth - feW + 1) / c.strideWidth));
  const padTop = same ? Math.floor(Math.max(0, (outHeight - 1) * c.strideHeight + feH - c.inHeight) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max(0, (outWidth - 1) * c.strideWidth + feW - c.inWidth) / 2) : 0;
  const padValue = c.pad === 'same-one' ? 1 : 0;
  const k = c.filterHeight * c.filterWidth * cg;
  const [lo, hi] = dotClampRange(c.activation, k);
  const dot = new Float64Array(c.batch * outHeight * outWidth * c.channelsOut);
  // LCE's default kernel for same-zero float output (no groups, no clamp) pads with +1 and then subtracts the filter
  // values of the taps its border classification counts as outside; pixels it cannot classify keep +1 padding.
  const quirk = lceFloatPath && c.pad === 'same-zero' && c.groups === 1 && lo <= -k && hi >= k;
  const lceCase = new Int32Array(3);
  const geometry = { inHeight: c.inHeight, inWidth: c.inWidth, outHeight, outWidth, filterHeight: c.filterHeight,
    filterWidth: c.filterWidth, strideHeight: c.strideHeight, strideWidth: c.strideWidth, dilationHeight: c.dilationHeight,
    dilationWidth: c.dilationWidth } as Bconv2dGeometry;
  let at = 0;
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const corrected = quirk && correctionCase(geometry, oy, ox, lceCase);
        for (let o = 0; o < c.channelsOut; o++) {
          const g = Math.floor(o / outPerGroup);
          let sum = 0;
          for (let ky = 0; ky < c.filterHeight; ky++) {
            for (let kx = 0; kx < c.filterWidth; kx++) {
              const iy = oy * c.strideHeight - padTop + ky * c.dilationHeight;
              const ix = ox * c.strideWidth - padLeft + kx * c.dilationWidth;
              const inImage = iy >= 0 && iy < c.inHeight && ix >= 0 && ix < c.inWidth;
              const counted = corrected && countsAsOutside(lceCase, ky * c.dilationHeight, kx * c.dilationWidth, feH, feW);
              for (let ci = 0; ci < cg; ci++) {
                const x = inImage ? input[((n * c.inHeight + iy) * c.inWidth + ix) * c.channelsIn + g * cg + ci]! : quirk ? 1 : padValue;
                const w = filter[((o * c.filterHeight + ky) * c.filterWidth + kx) * cg + ci]!;
                sum += x * w - (counted ? w : 0);
              }
            }
          }
          dot[at++] = Math.min(hi, Math.max(lo, sum));
        }
      }
    }
  }
  return { outHeight, outWidth, dot };
}

const ACTIVATIONS = [
  Activation.NONE, Activation.RELU, Activation.RELU_N1_TO_1, Activation.RELU6, Activation.TANH, Activation.SIGN_BIT, 17,
];

/** A random case; the channel counts and groups include the awkward ones the house rules ask for. */
export function randomBconvCase(rng: () => number, forcePad?: PadKind): FloatConvCase {
  const grouped = rng() < 0.3;
  let groups = 1;
  let channelsIn: number;
  let channelsOut: number;
  if (grouped) {
    groups = pick(rng, [2, 4]);
    channelsIn = groups * pick(rng, [32, 64]);
    channelsOut = groups * pick(rng, [1, 3, 8, 9]);
  } else {
    channelsIn = pick(rng, [1, 2, 31, 32, 33, 64, 65]);
    channelsOut = pick(rng, [1, 31, 32, 33, 65]);
  }
  let pad: PadKind = forcePad ?? pick(rng, ['valid', 'same-one', 'same-zero'] as const);
  if (pad === 'same-zero' && channelsIn % 2 === 1) pad = 'same-one';
  const filterHeight = randInt(rng, 1, 3);
  const filterWidth = randInt(rng, 1, 3);
  const dilationHeight = rng() < 0.3 ? 2 : 1;
  const dilationWidth = rng() < 0.3 ? 2 : 1;
  const strideHeight = rng() < 0.35 ? 2 : 1;
  const strideWidth = rng() < 0.35 ? 2 : 1;
  // VALID needs the (dilated) filter to fit.
  const minH = pad === 'valid' ? (filterHeight - 1) * dilationHeight + 1 : 1;
  const minW = pad === 'valid' ? (filterWidth - 1) * dilationWidth + 1 : 1;
  return {
    batch: randInt(rng, 1, 2), inHeight: randInt(rng, minH, minH + 6), inWidth: randInt(rng, minW, minW + 6),
    channelsIn, channelsOut, filterHeight, filterWidth, groups, strideHeight, strideWidth,
    dilationHeight, dilationWidth, pad, activation: pick(rng, ACTIVATIONS),
  };
}

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * The converter's bitpacked-output rule (lce-ops.md §4.7): per channel, flip the weights when γ < 0 and
 * return thresholds such that accum > threshold ⇔ clamp(dot)·γ + β < 0.
 */
export function converterThresholds(
  k: number, activation: number, multiplier: ArrayLike<number>, bias: ArrayLike<number>,
): { thresholds: Int32Array; flip: boolean[] } {
  let c: number;
  let cc: number;
  switch (activation) {
    case Activation.RELU: c = 0; cc = k; break;
    case Activation.RELU6: c = 0; cc = 6; break;
    case Activation.RELU_N1_TO_1: c = -1; cc = 1; break;
    default: c = -k; cc = k;
  }
  const n = multiplier.length;
  const thresholds = new Int32Array(n);
  const flip: boolean[] = [];
  for (let o = 0; o < n; o++) {
    const gamma = Math.fround(multiplier[o]!);
    const beta = Math.fround(bias[o]!);
    flip.push(!(gamma >= 0));
    if (gamma === 0) {
      thresholds[o] = beta < 0 ? INT32_MIN : INT32_MAX;
      continue;
    }
    const abs = Math.abs(gamma);
    const [c1, c2] = gamma > 0 ? [c, cc] : [-cc, -c];
    const lo = Math.fround(Math.fround(c1 * abs) + beta);
    const hi = Math.fround(Math.fround(c2 * abs) + beta);
    if (lo < 0 && hi < 0) thresholds[o] = INT32_MIN;
    else if (lo >= 0 && hi >= 0) thresholds[o] = INT32_MAX;
    else thresholds[o] = Math.floor(0.5 * Math.fround(Math.fround(beta / abs) + k));
  }
  return { thresholds, flip };
}

/** A hand-made tensor for op tests: its spec fields and, for inputs, its data. */
export interface HandTensor {
  dtype: DType;
  shape: number[];
  data?: TensorData;
  quantization?: Quantization;
  /** Give prepare a `constant` view of the data (as the runtime does for constant buffers). */
  constant?: boolean;
}

export interface PreparedOp<S> {
  state: S;
  outputs: TensorSpec[];
  /** Allocates the outputs at their prepared shapes (filled with junk to catch unwritten elements) and runs eval. */
  run(): TensorData[];
}

/** parse → prepare for a custom op built from hand-made specs; throws what the kernel throws. */
export function prepareCustomOp<O, S>(
  kernel: OpKernel<O, S>, customOptions: Uint8Array | undefined, inputs: (HandTensor | null)[], outputs: HandTensor[],
  opIndex = 3,
): PreparedOp<S> {
  const op: OperatorDef = {
    opcodeIndex: 0,
    inputs: inputs.map((t, i) => (t ? i : -1)),
    outputs: outputs.map((_, i) => inputs.length + i),
    builtinOptionsType: 0,
    builtinOptions: null,
    ...(customOptions ? { customOptions, customOptionsFormat: 0 } : {}),
  };
  const options = kernel.parse(op, { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: kernel.type, version: 1 });
  const specOf = (t: HandTensor, index: number): TensorSpec => ({
    index, name: `t${index}`, dtype: t.dtype, shape: t.shape.slice(),
    ...(t.quantization ? { quantization: t.quantization } : {}),
    ...(t.constant && t.data ? { constant: t.data } : {}),
  });
  const inSpecs = inputs.map((t, i) => (t ? specOf(t, i) : null));
  const outSpecs = outputs.map((t, i) => specOf(t, inputs.length + i));
  const state = kernel.prepare({ options, inputs: inSpecs, outputs: outSpecs, opType: kernel.type, opIndex });
  return {
    state,
    outputs: outSpecs,
    run() {
      const inRt: (RuntimeTensor | null)[] = inSpecs.map((s, i) => (s ? { spec: s, data: inputs[i]!.data! } : null));
      const outRt: RuntimeTensor[] = outSpecs.map((s) => {
        const n = shapeSize(s.shape);
        const data = s.dtype === 'float32' ? new Float32Array(n).fill(NaN)
          : s.dtype === 'int32' ? new Int32Array(n).fill(0x5eadbeef)
            : s.dtype === 'int8' ? new Int8Array(n).fill(-77)
              : new Uint8Array(n).fill(77);
        return { spec: s, data };
      });
      kernel.eval(state, inRt, outRt);
      return outRt.map((t) => t.data);
    },
  };
}

/** Per-tensor affine quantization. */
export function perTensor(scale: number, zeroPoint: number): Quantization {
  return { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 };
}
