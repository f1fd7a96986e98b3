/**
 * The wasm backend's op fusion (the interpreter's `fuse` hook), decided after prepare on any model: an ADD whose
 * float sum is read by the LceQuantize right after it also bitpacks that sum in the same pass (f32_add_pack), so
 * the LceQuantize reads nothing. The float sum is still written for its other readers, and each value is rounded
 * and compared exactly as the two ops do, so fused and unfused runs give the same bits. Like the plain ADD it runs
 * on the calling thread: splitting this memory-bound pass over two threads was slower on the 2-core development VM
 * (QuickNet's twelve fused steps, interleaved A/B: 0.69 -> 0.93 ms min, 1.3 -> 2.6 ms median).
 */
import { prepareF32AddPack, setF32AddPackIo, type F32AddPackPlan } from '../../backend/wasm.js';
import type { FusedStep, FusionGraph, PreparedOp } from '../../runtime/interpreter.js';
import type { WasmBackend } from '../../runtime/backend.js';
import type { FastBinaryState } from './elementwise-binary.js';
import type { FastQuantizeState } from './lce-quantize.js';
import { addKernel } from '../elementwise-binary.js';
import { lceQuantize } from '../lce-quantize.js';

export function fuseWasmOps(backend: WasmBackend): (graph: FusionGraph) => FusedStep[] {
  return (graph) => {
    const steps: FusedStep[] = [];
    for (let i = 0; i + 1 < graph.ops.length; i++) {
      const step = addThenQuantize(backend, graph, i);
      if (step) {
        steps.push(step);
        i++;
      }
    }
    return steps;
  };
}

/** ADD (fast path, per-row layout) at op i, LceQuantize of its float32 sum at op i + 1 with the same rows. */
function addThenQuantize(backend: WasmBackend, graph: FusionGraph, i: number): FusedStep | null {
  const add = graph.ops[i]!, quantize = graph.ops[i + 1]!;
  if (add.type !== addKernel.type || quantize.type !== lceQuantize.type) return null;
  const a = add.state as FastBinaryState, q = quantize.state as FastQuantizeState;
  const args = a.args;
  if (!args || q.mode !== 'f32' || quantize.inputs[0] !== add.outputs[0]) return null;
  if (args.rows !== q.ref.rows || args.channels !== q.ref.channels) return null;
  const k = backend.kernels;
  const plan = prepareF32AddPack(k, {
    rows: args.rows, channels: args.channels, broadcast: args.broadcast, actMin: args.actMin, actMax: args.actMax,
  });
  return new AddPackStep(backend, [i, i + 1], plan, a.swapped);
}

class AddPackStep implements FusedStep {
  private bound = [-1, -1, -1, -1];

  constructor(private readonly backend: WasmBackend, readonly ops: readonly number[], private readonly plan: F32AddPackPlan,
    private readonly swapped: boolean) {}

  run(ops: readonly PreparedOp[]): void {
    const [add, quantize] = ops as [PreparedOp, PreparedOp];
    const b = this.backend;
    const x = b.offsetOf(add.inputs[this.swapped ? 1 : 0]!), y = b.offsetOf(add.inputs[this.swapped ? 0 : 1]!);
    const out = b.offsetOf(add.outputs[0]!), bits = b.offsetOf(quantize.outputs[0]!);
    if (x < 0 || y < 0 || out < 0 || bits < 0) {
      add.kernel.eval(add.state, add.inputs, add.outputs);
      quantize.kernel.eval(quantize.state, quantize.inputs, quantize.outputs);
      return;
    }
    const k = b.kernels, plan = this.plan, bound = this.bound;
    if (x !== bound[0] || y !== bound[1] || out !== bound[2] || bits !== bound[3]) {
      setF32AddPackIo(k, plan, x, y, out, bits);
      bound[0] = x; bound[1] = y; bound[2] = out; bound[3] = bits;
    }
    k.invoke(plan.kernel, plan.desc, 0, plan.rows, 0);
  }
}
