/**
 * LceBconv2d on the wasm kernels. Parse and validation are the reference op's (its prepare also builds the
 * geometry and folds the output transform); this prepare then packs the weights into wasm memory and writes the
 * kernel descriptor, and eval runs the GEMM on the tensors' byte offsets, split by output rows over the pool.
 * What the kernel cannot take (non-constant weights or transform, same-zero padding with int8/bitpacked output, a
 * clamping activation or a filter larger than the image, tensors outside the arena) runs the reference eval on the reference state, so every model still runs.
 */
import { lceBconv2d, type LceBconv2dOptions, type LceBconv2dState } from '../lce-bconv2d.js';
import {
  correctionCase, usesZeroPaddingCorrection, zeroPaddingCorrection, type Bconv2dGeometry, type BconvOutputTransform,
} from '../../reference/bconv2d.js';
import { Activation } from '../common.js';
import { defineOp, type OpKernel, type RuntimeTensor } from '../kernel.js';
import { worthSplitting } from './float-plan.js';
import type { Bconv2dPlan, OutKindName } from '../../backend/wasm.js';
import type { WasmBackend } from '../../runtime/backend.js';

export interface FastBconv2dState {
  readonly ref: LceBconv2dState;
  /** null: this op runs the reference kernel. */
  readonly plan: Bconv2dPlan | null;
  /** Enough work to split across the pool's threads. */
  readonly split: boolean;
  /** Enough to split even when that wakes a sleeping worker (backend.poolFor). */
  readonly wakeWorthy: boolean;
  /**
   * Same-zero layers whose filter overhangs the image: the kernel computes same-one and these corrections are
   * added afterwards, per output pixel of one image (null: none).
   */
  readonly borders: BorderCorrections | null;
  /** Offsets last written into the descriptor (set on the first eval, once the arena exists). */
  boundInput: number;
  boundOutput: number;
}

/**
 * LCE's zero-padding correction as one float32 add per border pixel and channel (the reference kernel's
 * arithmetic): pixel p of every image gets values[slot[k]·cout + o] added, for the k with pixels[k] = p.
 */
export interface BorderCorrections {
  readonly pixels: Int32Array;
  readonly slots: Int32Array;
  readonly values: Float32Array;
}

/** Corrections for every border pixel LCE corrects, one vector per distinct overflow class (few per layer). */
export function borderCorrections(g: Bconv2dGeometry, filter: Int32Array, t: BconvOutputTransform): BorderCorrections {
  const pixels: number[] = [];
  const slots: number[] = [];
  const classes = new Map<string, number>();
  const vectors: number[] = [];
  const c = new Int32Array(3);
  for (let oy = 0; oy < g.outHeight; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      if (!correctionCase(g, oy, ox, c)) continue;
      const key = c.join(',');
      let slot = classes.get(key);
      if (slot === undefined) {
        slot = classes.size;
        classes.set(key, slot);
        for (let o = 0; o < g.channelsOut; o++) vectors.push(Math.fround(t.multiplier[o]! * zeroPaddingCorrection(g, filter, c, o)));
      }
      pixels.push(oy * g.outWidth + ox);
      slots.push(slot);
    }
  }
  return { pixels: Int32Array.from(pixels), slots: Int32Array.from(slots), values: Float32Array.from(vectors) };
}

function addBorderCorrections(b: BorderCorrections, g: Bconv2dGeometry, out: Float32Array): void {
  const cout = g.channelsOut;
  const perImage = g.outHeight * g.outWidth * cout;
  for (let n = 0; n < g.batch; n++) {
    for (let k = 0; k < b.pixels.length; k++) {
      const at = n * perImage + b.pixels[k]! * cout;
      const from = b.slots[k]! * cout;
      for (let o = 0; o < cout; o++) out[at + o] = Math.fround(out[at + o]! + b.values[from + o]!);
    }
  }
}

/** Binary multiply-accumulates below which one thread is faster than handing rows to the others (≈ 20 µs of work). */
export const SPLIT_MIN_MACS = 1 << 22;
/** Binary multiply-accumulates from which an op splits even in a run whose workers sleep between ops (≈ 0.17 ms). */
export const SPLIT_WAKE_MIN_MACS = 1 << 25;

const OUT_KIND: Record<LceBconv2dState['outputKind'], OutKindName> = { float32: 'f32', int8: 'i8', int32: 'bits' };

/**
 * Point a prepared plan's descriptor at its input and output (arena offsets) where they moved since the last run;
 * false when either is outside the arena (the reference kernel must run).
 */
export function bindBconv2dIo(backend: WasmBackend, state: FastBconv2dState, input: RuntimeTensor, output: RuntimeTensor): boolean {
  const i = backend.offsetOf(input), o = backend.offsetOf(output);
  if (i < 0 || o < 0) return false;
  if (i !== state.boundInput || o !== state.boundOutput) {
    backend.kernels.setBconv2dIo(state.plan!, i, o);
    state.boundInput = i;
    state.boundOutput = o;
  }
  return true;
}

export function fastLceBconv2d(backend: WasmBackend): OpKernel<LceBconv2dOptions, FastBconv2dState> {
  const k = backend.kernels;
  return defineOp<LceBconv2dOptions, FastBconv2dState>({
    type: lceBconv2d.type,
    parse: (op, code) => lceBconv2d.parse(op, code),
    prepare(ctx) {
      const ref = lceBconv2d.prepare(ctx);
      const g = ref.geometry;
      const filter = ctx.inputs[1]!.constant;
      const thresholds = ctx.inputs[4]?.constant;
      // Same-zero padding is a correction added after the transform in the kernel: exact only without a clamp.
      const clamps = ref.activation === Activation.RELU || ref.activation === Activation.RELU6
        || ref.activation === Activation.RELU_N1_TO_1;
      // The kernel's in-loop same-zero correction assumes a window overflows at most one side per axis; where the
      // dilated filter is larger than the image (BiRealNet's 2x2 and 1x1 stages) LCE leaves such windows
      // uncorrected, so those layers run the kernel as same-one and add LCE's per-pixel corrections afterwards.
      const overhang = (g.filterHeight - 1) * g.dilationHeight + 1 > g.inHeight
        || (g.filterWidth - 1) * g.dilationWidth + 1 > g.inWidth;
      const borderPass = overhang && filter instanceof Int32Array && !ref.foldAtEval && ref.outputKind === 'float32'
        && usesZeroPaddingCorrection(g, ref.transform!);
      const usable = filter instanceof Int32Array && !ref.foldAtEval
        && (g.padMode !== 'same-zero' || borderPass || (ref.outputKind === 'float32' && !clamps && !overhang))
        && (ref.outputKind !== 'int32' || thresholds instanceof Int32Array);
      if (!usable) return { ref, plan: null, split: false, wakeWorthy: false, borders: null, boundInput: -1, boundOutput: -1 };
      const borders = borderPass ? borderCorrections(g, filter, ref.transform!) : null;
      const plan = k.prepareBconv2d({
        geometry: borderPass ? { ...g, padMode: 'same-one' } : g, filter, output: OUT_KIND[ref.outputKind], threads: backend.threads,
        ...(ref.outputKind === 'int32' ? { thresholds: thresholds as Int32Array } : { transform: ref.transform! }),
      });
      const macs = plan.rows * g.filterHeight * g.filterWidth * g.channelsPerGroup * g.channelsOut;
      const { split, wakeWorthy } = worthSplitting(backend, macs, plan.rows, plan.variant.mr, SPLIT_MIN_MACS, SPLIT_WAKE_MIN_MACS);
      if (split) backend.requestThreads(wakeWorthy);
      return { ref, plan, split, wakeWorthy, borders, boundInput: -1, boundOutput: -1 };
    },
    eval(state, inputs, outputs) {
      const plan = state.plan;
      if (plan && bindBconv2dIo(backend, state, inputs[0]!, outputs[0]!)) {
        const pool = backend.poolFor(state);
        if (pool) pool.runBconv2d(k, plan);
        else k.runBconv2dRows(plan);
        if (state.borders) addBorderCorrections(state.borders, state.ref.geometry, outputs[0]!.data as Float32Array);
        return;
      }
      lceBconv2d.eval(state.ref, inputs, outputs);
    },
  });
}
