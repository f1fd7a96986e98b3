/**
 * Float FULLY_CONNECTED on the wasm packed GEMM (direct rows of inDepth floats), bias and clamp fused. Parse and
 * validation are the reference op's; int8 and non-constant weights/bias run the reference kernel.
 */
import { prepareF32FullyConnected } from '../../backend/wasm.js';
import { fullyConnected, type FullyConnectedOptions } from '../fully-connected.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';
import { planState, runPlanned, worthSplitting, type FloatPlanState } from './float-plan.js';

type RefState = ReturnType<typeof fullyConnected.prepare>;
export type FastFullyConnectedState = FloatPlanState<RefState>;

export function fastFullyConnected(backend: WasmBackend): OpKernel<FullyConnectedOptions, FastFullyConnectedState> {
  return defineOp<FullyConnectedOptions, FastFullyConnectedState>({
    type: fullyConnected.type,
    parse: (op, code) => fullyConnected.parse(op, code),
    prepare(ctx) {
      const ref = fullyConnected.prepare(ctx);
      const weights = ctx.inputs[1]!.constant;
      const biasSpec = ctx.inputs[2] ?? null;
      const bias = biasSpec ? biasSpec.constant : null;
      if (ref.kind !== 'float32' || !(weights instanceof Float32Array) || (biasSpec && !(bias instanceof Float32Array))) {
        return planState(ref, null, backend);
      }
      const g = ref.geometry;
      const plan = prepareF32FullyConnected(backend.kernels, {
        geometry: g, weights, bias: (bias as Float32Array | null) ?? null, actMin: ref.actMin, actMax: ref.actMax,
        threads: backend.threads,
      });
      return planState(ref, {
        name: plan.variant.conv, desc: plan.desc, rows: plan.rows, grain: plan.variant.mr, scratch: plan.scratch,
        scratchBytes: plan.scratchBytes, threads: plan.threads,
        ...worthSplitting(backend, g.batches * g.inDepth * g.outDepth, plan.rows, plan.variant.mr),
      }, backend);
    },
    eval(state, inputs, outputs) {
      if (!runPlanned(backend, state, inputs, outputs)) fullyConnected.eval(state.ref, inputs, outputs);
    },
  });
}
