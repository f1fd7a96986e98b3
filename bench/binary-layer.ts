// Inputs for the binary-layer benchmarks (bench/kernels.ts, bench/threads.ts): random bit words and a folded
// float output transform with a small multiplier, as a BatchNorm after a binary convolution would give.
import { foldOutputTransform, type BconvOutputTransform } from '../src/reference/bconv2d.js';

export function randomWords(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 4294967296) | 0;
  return a;
}

/** The float transform of a binary convolution with back-transform constant k and cout output channels. */
export function floatTransform(k: number, cout: number): BconvOutputTransform {
  const t: BconvOutputTransform = { clampMin: 0, clampMax: 0, multiplier: new Float32Array(cout), bias: new Float32Array(cout) };
  foldOutputTransform(k, 0, new Float32Array(cout).fill(0.01), new Float32Array(cout), cout, 1, 0, t);
  return t;
}
