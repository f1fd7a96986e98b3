// Two-thread scaling of one binary layer (issue 4: QuickNet's 56x56x64 3x3 same-one layer on two threads >= 1.8x
// one thread). The same plan runs on the main thread alone and split by output rows over a 2-thread pool on
// shared memory, exactly as LceBconv2d does in a session; the two are interleaved, the best of each kept.
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
  oneThreadMs: number;
  twoThreadMs: number;
  speedup: number;
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
    const one = (): void => w.runBconv2dRows(plan);
    const two = (): void => pool.runBconv2d(w, plan);
    const best = [Infinity, Infinity];
    const calls = 20;
    for (let i = 0; i < 3; i++) { one(); two(); }
    for (let r = 0; r < 15; r++) {
      for (const [k, fn] of [[0, one], [1, two]] as const) {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) fn();
        best[k] = Math.min(best[k]!, (performance.now() - t0) / calls);
      }
    }
    return {
      layer: `${hw}x${hw}x${channels}`, variant: plan.variant.name, oneThreadMs: best[0]!, twoThreadMs: best[1]!,
      speedup: best[0]! / best[1]!,
    };
  } finally {
    await pool.release();
  }
}
