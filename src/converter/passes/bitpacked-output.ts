/**
 * §4.7: when an LceBconv2d's only reader is an LceQuantize, the bconv writes bitpacked int32 directly. Channels with
 * a negative multiplier get their weights flipped, multiplier and bias are dropped, and each channel gets an integer
 * threshold on the xor-popcount so that bit = 1 exactly when the float output would be < 0. Float32 and double are
 * used in the same order as LCE so the thresholds are identical.
 */
import { floatData, type IrGraph } from '../ir.js';
import { Act, Pad } from './common.js';
import type { Pass } from './pass.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const f32 = Math.fround;

/** The integer clamp range of a fused activation, for back-transform constant K. */
export function activationClamp(act: number, k: number): [number, number] {
  switch (act) {
    case Act.RELU: return [0, k];
    case Act.RELU6: return [0, 6];
    case Act.RELU_N1_TO_1: return [-1, 1];
    default: return [-k, k];
  }
}

/** The output threshold of one channel (multiplier γ, bias β). */
export function outputThreshold(gamma: number, beta: number, k: number, act: number): number {
  if (gamma === 0) return beta < 0 ? INT32_MIN : INT32_MAX;
  const [c, C] = activationClamp(act, k);
  const [lo, hi] = gamma > 0 ? [c, C] : [-C, -c];
  const absG = f32(Math.abs(gamma));
  const yLo = f32(f32(lo * absG) + beta);
  const yHi = f32(f32(hi * absG) + beta);
  if (yLo < 0 && yHi < 0) return INT32_MIN;
  if (yLo >= 0 && yHi >= 0) return INT32_MAX;
  return Math.floor(0.5 * f32(f32(beta / absG) + k));
}

export const bitpackedOutput: Pass = {
  name: 'bitpacked-output',
  run(g: IrGraph) {
    let n = 0;
    for (const q of [...g.ops]) {
      if (q.type !== 'LceQuantize') continue;
      const y = q.inputs[0];
      const bconv = y ? g.producer(y) : undefined;
      if (!y || !bconv || bconv.type !== 'LceBconv2d' || g.soleConsumer(y) !== q) continue;
      const [input, filter, multT, biasT, thr] = bconv.inputs;
      const w = floatData(filter);
      const mult = floatData(multT);
      const bias = floatData(biasT);
      if (!filter || !w || !mult || !bias || thr) continue;
      const padOk = (bconv.options.padding === Pad.VALID && bconv.options.pad_values === 0)
        || (bconv.options.padding === Pad.SAME && bconv.options.pad_values === 1);
      if (!padOk) continue;
      const [cout, fh, fw, cin] = filter.shape;
      const k = fh * fw * cin;
      const per = w.length / cout;
      const flipped = new Float32Array(w.length);
      const thresholds = new Int32Array(cout);
      const act = Number(bconv.options.fused_activation_function);
      for (let o = 0; o < cout; o++) {
        const s = mult[o] >= 0 ? 1 : -1;
        for (let j = 0; j < per; j++) flipped[o * per + j] = w[o * per + j] * s;
        thresholds[o] = outputThreshold(mult[o], bias[o], k, act);
      }
      bconv.inputs = [input, g.constF32(`${filter.name}/flipped`, flipped, filter.shape), null, null,
        g.constI32(`${bconv.origin}/output_threshold`, thresholds, [cout])];
      bconv.outputs = [q.outputs[0]];
      g.remove(q);
      n++;
    }
    return n;
  },
};
