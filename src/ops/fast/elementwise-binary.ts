/**
 * Float ADD and MUL on the wasm kernels: same-shape operands, or one operand broadcast along the last axis
 * (per-channel vector or scalar). Both ops commute, so a broadcast first operand is swapped. Parse and validation
 * are the reference ops'; other broadcasts, int8/int32 and tensors outside the arena run the reference kernel.
 * A float32 add or multiply rounds once either way, so results equal the reference's bit for bit.
 */
import { shapeSize } from '../../graph/dtype.js';
import { runF32Binary, type F32BinaryArgs } from '../../backend/wasm.js';
import { addKernel, mulKernel, type BinaryOptions, type BinaryState } from '../elementwise-binary.js';
import { defineOp, type OpKernel, type TensorSpec } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

export interface FastBinaryState {
  readonly ref: BinaryState;
  /** Kernel arguments (offsets filled at eval); null: the reference kernel runs. */
  readonly args: F32BinaryArgs | null;
  /** Input 1 is the full operand and input 0 the broadcast one. */
  readonly swapped: boolean;
}

/** Does `t` repeat along every axis but the last, with `channels` values there (or is it a single value)? */
function lastAxisVector(t: TensorSpec, channels: number): number | null {
  const n = shapeSize(t.shape);
  if (n === 1) return 1;
  if (n === channels && t.shape[t.shape.length - 1] === channels) return channels;
  return null;
}

function fastBinary(backend: WasmBackend, reference: OpKernel<BinaryOptions, BinaryState>, op: 'add' | 'mul'): OpKernel<BinaryOptions, FastBinaryState> {
  const k = backend.kernels;
  return defineOp<BinaryOptions, FastBinaryState>({
    type: reference.type,
    parse: (o, code) => reference.parse(o, code),
    prepare(ctx) {
      const ref = reference.prepare(ctx);
      const a = ctx.inputs[0]!;
      const b = ctx.inputs[1]!;
      const out = ctx.outputs[0]!;
      const none: FastBinaryState = { ref, args: null, swapped: false };
      if (out.dtype !== 'float32' || a.constant || b.constant) return none;
      const size = shapeSize(out.shape);
      const last = out.shape.length > 0 ? out.shape[out.shape.length - 1]! : 1;
      if (size === 0 || last === 0) return none;
      // An operand with the output's element count can only differ from it by axes of 1: same memory layout.
      const aFull = shapeSize(a.shape) === size;
      const bFull = shapeSize(b.shape) === size;
      let channels = last;
      let broadcast = false;
      let swapped = false;
      if (aFull && bFull) {
        broadcast = false;
      } else if (aFull || bFull) {
        const c = lastAxisVector(aFull ? b : a, last);
        if (c === null) return none;
        channels = c;
        broadcast = true;
        swapped = !aFull;
      } else {
        return none;
      }
      const args: F32BinaryArgs = {
        op, a: 0, b: 0, out: 0, rows: size / channels, channels, broadcast, actMin: ref.lo, actMax: ref.hi,
      };
      return { ref, args, swapped };
    },
    eval(state, inputs, outputs) {
      const args = state.args;
      if (args) {
        const a = backend.offsetOf(inputs[state.swapped ? 1 : 0]!);
        const b = backend.offsetOf(inputs[state.swapped ? 0 : 1]!);
        const out = backend.offsetOf(outputs[0]!);
        if (a >= 0 && b >= 0 && out >= 0) {
          args.a = a;
          args.b = b;
          args.out = out;
          runF32Binary(k, args);
          return;
        }
      }
      reference.eval(state.ref, inputs, outputs);
    },
  });
}

export function fastAdd(backend: WasmBackend): OpKernel<BinaryOptions, FastBinaryState> {
  return fastBinary(backend, addKernel, 'add');
}

export function fastMul(backend: WasmBackend): OpKernel<BinaryOptions, FastBinaryState> {
  return fastBinary(backend, mulKernel, 'mul');
}
