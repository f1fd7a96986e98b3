/**
 * The wasm backend's op fusion (the interpreter's `fuse` hook), decided after prepare on any model:
 * - an ADD whose float sum is read by the LceQuantize right after it also bitpacks that sum in the same pass
 *   (f32_add_pack), so the LceQuantize reads nothing. The float sum is still written for its other readers, and each
 *   value is rounded and compared exactly as the two ops do, so fused and unfused runs give the same bits.
 * - when an ADD (with or without that LceQuantize) adds the float output of the LceBconv2d just before it (QuickNet's
 *   residual blocks), they run as one row-split step: each block of output rows is convolved and then added (and
 *   bitpacked) while it is still in the core's caches, on whichever thread computed it. Unfused, the convolution's
 *   output (800 KB at 56x56x64) left the caches before the ADD read it back, and the ADD ran on the calling thread
 *   alone.
 * On its own, ADD + LceQuantize runs on the calling thread: splitting that memory-bound pass over two threads was
 * slower on the 2-core development VM (QuickNet's twelve fused steps, interleaved A/B: 0.69 -> 0.93 ms min, 1.3 ->
 * 2.6 ms median).
 */
import { prepareF32AddPack, setF32AddPackIo, type F32AddPackPlan, type F32BinaryArgs } from '../../backend/wasm.js';
import type { FusedStep, FusionGraph, PreparedOp } from '../../runtime/interpreter.js';
import type { WasmBackend } from '../../runtime/backend.js';
import type { FastBinaryState } from './elementwise-binary.js';
import type { FastQuantizeState } from './lce-quantize.js';
import { bindBconv2dIo, type FastBconv2dState } from './lce-bconv2d.js';
import { addKernel } from '../elementwise-binary.js';
import { lceQuantize } from '../lce-quantize.js';
import { lceBconv2d } from '../lce-bconv2d.js';

/** Float output bytes per block of rows a one-thread fused convolution step computes before adding them (L2-sized). */
const FUSED_BLOCK_BYTES = 64 * 1024;

export interface FusionOptions {
  /** Fuse LceBconv2d + ADD + LceQuantize (default true; false keeps only ADD + LceQuantize, for A/B runs). */
  convolutions?: boolean;
}

export function fuseWasmOps(backend: WasmBackend, options: FusionOptions = {}): (graph: FusionGraph) => FusedStep[] {
  const convolutions = options.convolutions ?? true;
  return (graph) => {
    const steps: FusedStep[] = [];
    for (let i = 0; i + 1 < graph.ops.length; i++) {
      const conv = convolutions ? bconvThenAdd(backend, graph, i) : null;
      if (conv) {
        steps.push(conv);
        i += conv.ops.length - 1;
        continue;
      }
      const pair = addThenQuantize(backend, graph, i);
      if (pair) {
        steps.push(new AddPackStep(backend, [i, i + 1], pair.plan, pair.swapped));
        i++;
      }
    }
    return steps;
  };
}

/** ADD (fast path, per-row layout) at op i, LceQuantize of its float32 sum at op i + 1 with the same rows. */
function addThenQuantize(backend: WasmBackend, graph: FusionGraph, i: number): { plan: F32AddPackPlan; swapped: boolean } | null {
  const add = graph.ops[i]!, quantize = graph.ops[i + 1];
  if (!quantize || add.type !== addKernel.type || quantize.type !== lceQuantize.type) return null;
  const a = add.state as FastBinaryState, q = quantize.state as FastQuantizeState;
  const args = a.args;
  if (!args || q.mode !== 'f32' || quantize.inputs[0] !== add.outputs[0]) return null;
  if (args.rows !== q.ref.rows || args.channels !== q.ref.channels) return null;
  return { plan: addPackPlan(backend, args), swapped: a.swapped };
}

/** The ADD + LceQuantize descriptor of a fast ADD (operands bound per run by bindAddPack). */
function addPackPlan(backend: WasmBackend, args: F32BinaryArgs): F32AddPackPlan {
  return prepareF32AddPack(backend.kernels, {
    rows: args.rows, channels: args.channels, broadcast: args.broadcast, actMin: args.actMin, actMax: args.actMax,
  });
}

/**
 * LceBconv2d at op i on the wasm kernel with float output and no after-pass, whose output is an operand of the ADD at
 * op i + 1 (one row per output pixel, the same channels), with the LceQuantize at op i + 2 when that pair fuses.
 */
function bconvThenAdd(backend: WasmBackend, graph: FusionGraph, i: number): FusedStep | null {
  const conv = graph.ops[i]!, add = graph.ops[i + 1];
  if (!add || conv.type !== lceBconv2d.type || add.type !== addKernel.type) return null;
  const c = conv.state as FastBconv2dState;
  if (!c.plan || c.borders || c.ref.outputKind !== 'float32') return null;
  const y = conv.outputs[0]!;
  if (add.inputs[0] !== y && add.inputs[1] !== y) return null;
  const a = add.state as FastBinaryState;
  const args = a.args;
  if (!args || args.rows !== c.plan.rows || args.channels !== c.ref.geometry.channelsOut) return null;
  const pair = addThenQuantize(backend, graph, i + 1);
  if (pair) return new BconvAddStep(backend, [i, i + 1, i + 2], c, pair.plan, pair.swapped);
  // No LceQuantize to fuse: the ADD rows alone, through an ADD + LceQuantize descriptor whose bits go nowhere.
  const k = backend.kernels;
  const addRows = `f32_add_rows__${k.isa}`;
  if (!k.has(addRows)) return null;
  return new BconvAddStep(backend, [i, i + 1], c, { ...addPackPlan(backend, args), kernel: addRows }, a.swapped);
}

/**
 * Offsets of an ADD's operands and outputs in wasm memory, with the bits of the LceQuantize after it (0 without
 * one); null when one is outside the arena.
 */
function addPackOperands(b: WasmBackend, add: PreparedOp, quantize: PreparedOp | undefined, swapped: boolean): [number, number, number, number] | null {
  const x = b.offsetOf(add.inputs[swapped ? 1 : 0]!), y = b.offsetOf(add.inputs[swapped ? 0 : 1]!);
  const out = b.offsetOf(add.outputs[0]!), bits = quantize ? b.offsetOf(quantize.outputs[0]!) : 0;
  return x < 0 || y < 0 || out < 0 || bits < 0 ? null : [x, y, out, bits];
}

/** Point the ADD + LceQuantize descriptor at its operands where they moved since the last run. */
function bindAddPack(b: WasmBackend, plan: F32AddPackPlan, bound: number[], io: readonly number[]): void {
  if (io.every((v, k) => v === bound[k])) return;
  setF32AddPackIo(b.kernels, plan, io[0]!, io[1]!, io[2]!, io[3]!);
  for (let k = 0; k < 4; k++) bound[k] = io[k]!;
}

function evalEach(ops: readonly PreparedOp[]): void {
  for (const op of ops) op.kernel.eval(op.state, op.inputs, op.outputs);
}

class AddPackStep implements FusedStep {
  private readonly bound = [-1, -1, -1, -1];

  constructor(private readonly backend: WasmBackend, readonly ops: readonly number[], private readonly plan: F32AddPackPlan,
    private readonly swapped: boolean) {}

  run(ops: readonly PreparedOp[]): void {
    const [add, quantize] = ops as [PreparedOp, PreparedOp];
    const io = addPackOperands(this.backend, add, quantize, this.swapped);
    if (!io) return evalEach(ops);
    bindAddPack(this.backend, this.plan, this.bound, io);
    this.backend.kernels.invoke(this.plan.kernel, this.plan.desc, 0, this.plan.rows, 0);
  }
}

/** LceBconv2d + ADD (+ LceQuantize): the ADD's row kernel (f32_add_pack, or f32_add_rows) after each block of rows. */
class BconvAddStep implements FusedStep {
  private readonly bound = [-1, -1, -1, -1];
  /**
   * Rows per block on one thread: about FUSED_BLOCK_BYTES of float output, in whole output rows (a block that starts
   * mid-row makes the kernel's stacked mode stack that row's inputs twice) made of whole GEMM tiles.
   */
  private readonly blockRows: number;

  constructor(private readonly backend: WasmBackend, readonly ops: readonly number[], private readonly conv: FastBconv2dState,
    private readonly addPlan: F32AddPackPlan, private readonly swapped: boolean) {
    const mr = conv.plan!.variant.mr, g = conv.ref.geometry;
    const unit = g.outWidth % mr === 0 ? g.outWidth : g.outWidth * mr;
    this.blockRows = Math.max(1, Math.round(FUSED_BLOCK_BYTES / (4 * g.channelsOut) / unit)) * unit;
  }

  run(ops: readonly PreparedOp[]): void {
    const [convOp, add, quantize] = ops as [PreparedOp, PreparedOp, PreparedOp | undefined];
    const b = this.backend, k = b.kernels, c = this.conv, plan = c.plan!;
    const io = addPackOperands(b, add, quantize, this.swapped);
    if (!io || !bindBconv2dIo(b, c, convOp.inputs[0]!, convOp.outputs[0]!)) return evalEach(ops);
    bindAddPack(b, this.addPlan, this.bound, io);
    const pool = b.poolFor(c);
    if (pool) {
      pool.runRows(k, plan.variant.conv, plan.desc, plan.rows, plan.variant.mr, plan.scratch, plan.scratchBytes, plan.threads,
        { name: this.addPlan.kernel, desc: this.addPlan.desc });
      return;
    }
    for (let m0 = 0; m0 < plan.rows; m0 += this.blockRows) {
      const m1 = Math.min(plan.rows, m0 + this.blockRows);
      k.runBconv2dRows(plan, m0, m1);
      k.invoke(this.addPlan.kernel, this.addPlan.desc, m0, m1, 0);
    }
  }
}
