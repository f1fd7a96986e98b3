// Two-thread scaling of one binary layer (issue 4: QuickNet's 56x56x64 3x3 same-one layer on two threads >= 1.8x
// one thread). The same plan runs on the main thread alone and split by output rows over a 2-thread pool on
// shared memory, each as in a model run: the one-thread call with the worker asleep (a one-thread session has no
// worker at all), the two-thread call with the pool in run mode (ThreadPool.beginRun, as InferenceSession.run does
// for models with several split ops: the worker is awake and polling when the op starts). Blocks of ten one-thread
// and ten two-thread calls alternate (30 each), so the VM's speed phases (seconds long) hit both alike; the minimum
// and the median of each are reported, and the speedup of each statistic (the target is judged on the medians).
import { performance } from 'node:perf_hooks';
import { WasmKernels } from '../src/backend/wasm.js';
import { nodeKernelLoader } from '../src/backend/node-loader.js';
import { ThreadPool } from '../src/backend/pool.js';
import { hasSharedMemory } from '../src/backend/features.js';
import type { Isa } from '../src/backend/variants.js';
import { backTransformConstant, bconv2dGeometry } from '../src/reference/bconv2d.js';
import { floatTransform, randomWords } from './binary-layer.js';
import { Padding } from '../src/ops/common.js';

export interface ThreadScaling {
  layer: string;
  variant: string;
  /** Minimum over the calls. */
  oneThreadMs: number;
  twoThreadMs: number;
  speedup: number;
  /** Median over the calls. */
  oneThreadMedianMs: number;
  twoThreadMedianMs: number;
  medianSpeedup: number;
}

/** null where this runtime has no SharedArrayBuffer (no worker pool possible). */
export async function measureTwoThreadScaling(isa: Isa | undefined, hw = 56, channels = 64): Promise<ThreadScaling | null> {
  if (!hasSharedMemory()) return null;
  const w = await WasmKernels.load({ loader: nodeKernelLoader, shared: true, ...(isa ? { isa } : {}) });
  const words = channels / 32;
  const g = bconv2dGeometry({
    inputShape: [1, hw, hw, words], filterShape: [channels, 3, 3, words], channelsIn: channels, groups: 1, strideHeight: 1,
    strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: Padding.SAME, padValues: 1,
  });
  const t = floatTransform(backTransformConstant(g), channels);
  const input = w.put(randomWords(hw * hw * words));
  const out = w.alloc(hw * hw * channels * 4);
  const plan = w.prepareBconv2d({ geometry: g, filter: randomWords(channels * 9 * words), output: 'f32', transform: t, input, out, threads: 2 });
  const pool = await ThreadPool.start(w, 2);
  try {
    const one: number[] = [];
    const two: number[] = [];
    const busyWait = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end); };
    for (let i = 0; i < 10; i++) { w.runBconv2dRows(plan); pool.runBconv2d(w, plan); }
    for (let r = 0; r < 30; r++) {
      pool.endRun();
      busyWait(3); // the worker stops polling (≈ 20 000 polls) and blocks
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        w.runBconv2dRows(plan);
        one.push(performance.now() - t0);
      }
      pool.beginRun();
      busyWait(3); // the worker is awake and polling, as between the ops of a model run
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        pool.runBconv2d(w, plan);
        two.push(performance.now() - t0);
      }
    }
    pool.endRun();
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const oneMin = Math.min(...one), twoMin = Math.min(...two), oneMed = mid(one), twoMed = mid(two);
    return {
      layer: `${hw}x${hw}x${channels}`, variant: plan.variant.name, oneThreadMs: oneMin, twoThreadMs: twoMin,
      speedup: oneMin / twoMin, oneThreadMedianMs: oneMed, twoThreadMedianMs: twoMed, medianSpeedup: oneMed / twoMed,
    };
  } finally {
    await pool.release();
  }
}
