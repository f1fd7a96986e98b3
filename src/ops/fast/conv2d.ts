/**
 * Float CONV_2D on the wasm packed GEMM (im2col, or direct for 1x1 stride 1), bias and activation clamp fused;
 * split by output rows over the pool. Parse and validation are the reference op's. int8, grouped convolution and
 * non-constant filters/bias run the reference kernel.
 */
import { prepareF32Conv2d } from '../../backend/wasm.js';
import { conv2d, type Conv2DOptions } from '../conv2d.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { planState, runPlanned, worthSplitting, type FloatPlanState } from './float-plan.js';

type RefState = ReturnType<typeof conv2d.prepare>;
export type FastConv2dState = FloatPlanState<RefState>;

export function fastConv2d(backend: WasmBackend): OpKernel<Conv2DOptions, FastConv2dState> {
  return defineOp<Conv2DOptions, FastConv2dState>({
    type: conv2d.type,
    parse: (op, code) => conv2d.parse(op, code),
    prepare(ctx) {
      const ref = conv2d.prepare(ctx);
      const filter = ctx.inputs[1]!.constant;
      const biasSpec = ctx.inputs[2] ?? null;
      const bias = biasSpec ? biasSpec.constant : null;
      if (ref.kind !== 'float32' || !(filter instanceof Float32Array) || ref.geometry.filterC !== ref.geometry.inC
        || (biasSpec && !(bias instanceof Float32Array))) {
        return planState(ref, null, backend);
      }
      const g = ref.geometry;
      const plan = prepareF32Conv2d(backend.kernels, {
        geometry: g, filter, bias: (bias as Float32Array | null) ?? null, actMin: ref.actMin, actMax: ref.actMax,
        threads: backend.threads,
      });
      const work = plan.rows * g.filterH * g.filterW * g.inC * g.outC;
      return planState(ref, {
        name: plan.variant.conv, desc: plan.desc, rows: plan.rows, grain: plan.variant.mr, scratch: plan.scratch,
        scratchBytes: plan.scratchBytes, threads: plan.threads, ...worthSplitting(backend, work, plan.rows, plan.variant.mr),
      }, backend);
    },
    eval(state, inputs, outputs) {
      if (!runPlanned(backend, state, inputs, outputs)) conv2d.eval(state.ref, inputs, outputs);
    },
  });
}
