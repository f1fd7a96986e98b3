/**
 * Float MAX_POOL_2D and AVERAGE_POOL_2D on the wasm direct kernels (windows clipped to the image, clamp fused);
 * split by output pixels over the pool. Parse and validation are the reference ops'; int8 runs the reference kernel.
 */
import { prepareF32Pool2d } from '../../backend/wasm.js';
import { averagePool2d } from '../average-pool2d.js';
import { maxPool2d, type Pool2DOptions, type Pool2DState } from '../max-pool2d.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { planState, runPlanned, worthSplitting, type FloatPlanState } from './float-plan.js';

export type FastPool2dState = FloatPlanState<Pool2DState>;

function fastPool(backend: WasmBackend, reference: OpKernel<Pool2DOptions, Pool2DState>, kind: 'max' | 'average'): OpKernel<Pool2DOptions, FastPool2dState> {
  return defineOp<Pool2DOptions, FastPool2dState>({
    type: reference.type,
    parse: (op, code) => reference.parse(op, code),
    prepare(ctx) {
      const ref = reference.prepare(ctx);
      if (ref.kind !== 'float32') return planState(ref, null, backend);
      const g = ref.geometry;
      const plan = prepareF32Pool2d(backend.kernels, { geometry: g, kind, actMin: ref.actMin, actMax: ref.actMax });
      const work = plan.rows * g.filterH * g.filterW * g.channels;
      return planState(ref, {
        name: plan.kernel, desc: plan.desc, rows: plan.rows, grain: 1, scratch: 0, scratchBytes: 0,
        threads: backend.threads, ...worthSplitting(backend, work, plan.rows, 1),
      }, backend);
    },
    eval(state, inputs, outputs) {
      if (!runPlanned(backend, state, inputs, outputs)) reference.eval(state.ref, inputs, outputs);
    },
  });
}

export function fastMaxPool2d(backend: WasmBackend): OpKernel<Pool2DOptions, FastPool2dState> {
  return fastPool(backend, maxPool2d, 'max');
}

export function fastAveragePool2d(backend: WasmBackend): OpKernel<Pool2DOptions, FastPool2dState> {
  return fastPool(backend, averagePool2d, 'average');
}
