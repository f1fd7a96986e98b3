/**
 * Float DEPTHWISE_CONV_2D on the wasm direct kernel (any stride, dilation, padding, depth multiplier), bias and
 * clamp fused; split by output pixels over the pool. Parse and validation are the reference op's; int8 and
 * non-constant filters/bias run the reference kernel.
 */
import { prepareF32Depthwise } from '../../backend/wasm.js';
import { depthwiseConv2d, type DepthwiseConv2DOptions } from '../depthwise-conv2d.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { planState, runPlanned, worthSplitting, type FloatPlanState } from './float-plan.js';

type RefState = ReturnType<typeof depthwiseConv2d.prepare>;
export type FastDepthwiseState = FloatPlanState<RefState>;

export function fastDepthwiseConv2d(backend: WasmBackend): OpKernel<DepthwiseConv2DOptions, FastDepthwiseState> {
  return defineOp<DepthwiseConv2DOptions, FastDepthwiseState>({
    type: depthwiseConv2d.type,
    parse: (op, code) => depthwiseConv2d.parse(op, code),
    prepare(ctx) {
      const ref = depthwiseConv2d.prepare(ctx);
      const filter = ctx.inputs[1]!.constant;
      const biasSpec = ctx.inputs[2] ?? null;
      const bias = biasSpec ? biasSpec.constant : null;
      if (ref.kind !== 'float32' || !(filter instanceof Float32Array) || (biasSpec && !(bias instanceof Float32Array))) {
        return planState(ref, null, backend);
      }
      const g = ref.geometry;
      const plan = prepareF32Depthwise(backend.kernels, {
        geometry: g, filter, bias: (bias as Float32Array | null) ?? null, actMin: ref.actMin, actMax: ref.actMax,
      });
      const work = plan.rows * g.filterH * g.filterW * g.inC * g.depthMultiplier;
      return planState(ref, {
        name: plan.kernel, desc: plan.desc, rows: plan.rows, grain: 1, scratch: 0, scratchBytes: 0,
        threads: backend.threads, ...worthSplitting(backend, work, plan.rows, 1),
      }, backend);
    },
    eval(state, inputs, outputs) {
      if (!runPlanned(backend, state, inputs, outputs)) depthwiseConv2d.eval(state.ref, inputs, outputs);
    },
  });
}
