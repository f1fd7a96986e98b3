/**
 * Binary elementwise ops with numpy broadcasting (any rank; TFLite allows up to 6): ADD, SUB, MUL, DIV, MAXIMUM,
 * MINIMUM, SQUARED_DIFFERENCE. Float32 everywhere; int32 where TFLite has it; int8 with TFLite's integer arithmetic:
 * ADD/SUB rescale both inputs onto a common scale after a left shift of 20 bits, MUL requantizes the product once,
 * MAXIMUM/MINIMUM compare raw values (TFLite does not rescale them).
 *
 * Int8 ADD in LCE's x86 build (optimized kernel, NEON_2_SSE lanes) narrows the requantised result plus the output
 * zero point to int16 without saturation before the activation clamp; MUL's lanes narrow the requantised product
 * with saturation and then add the output zero point in int16, wrapping; the scalar tails clamp the int32. It only
 * shows when a result lies beyond ±32767 output steps (ADD: input scales over ~64× the output scale). Lanes,
 * measured with one thread, follow TFLite's broadcast decomposition (vectorLanes). SUB never narrows.
 */
import type { DType } from '../graph/dtype.js';
import { shapeSize } from '../graph/dtype.js';
import type { OperatorDef } from '../graph/model.js';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSmallerThanOne, quantizeMultiplier,
  quantizedActivationRange,
} from '../reference/quant.js';
import { broadcastIndexMap, broadcastShapes, elements, sameShape } from '../reference/layout.js';
import {
  Activation, activationRange, fail, perTensorQuant, requireDType, requireInput, requireInputCount, requireOutputCount, requireWithinCap,
} from './common.js';
import { fmtShape, optNumber } from './builtin-util.js';
import type { OpKernel, PrepareContext, RuntimeTensor } from './kernel.js';

type BinaryKind = 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE';

export interface BinaryOptions {
  fusedActivationFunction: number;
}

interface Int8AddSub {
  in1Offset: number; in2Offset: number; outOffset: number;
  leftShift: number;
  in1Mult: number; in1Shift: number; in2Mult: number; in2Shift: number;
  outMult: number; outShift: number;
}
interface Int8Mul { in1Offset: number; in2Offset: number; outOffset: number; outMult: number; outShift: number }

export interface BinaryState {
  kind: BinaryKind;
  dtype: DType;
  /** Source index per output element; null when the input already has the output's shape. */
  aMap: Int32Array | null;
  bMap: Int32Array | null;
  size: number;
  lo: number;
  hi: number;
  addSub: Int8AddSub | null;
  mul: Int8Mul | null;
  /** Int8 ADD/MUL: element i is in a vector lane (int16 narrowing) when i % run < lanes. */
  int16Lanes: { run: number; lanes: number } | null;
}

const HAS_ACTIVATION: Record<BinaryKind, boolean> = {
  ADD: true, SUB: true, MUL: true, DIV: true, MAXIMUM: false, MINIMUM: false, SQUARED_DIFFERENCE: false,
};

const DTYPES: Record<BinaryKind, readonly DType[]> = {
  ADD: ['float32', 'int32', 'int8'],
  SUB: ['float32', 'int32', 'int8'],
  MUL: ['float32', 'int32', 'int8'],
  DIV: ['float32'],
  MAXIMUM: ['float32', 'int32', 'int8', 'uint8', 'int16', 'int64'],
  MINIMUM: ['float32', 'int32', 'int8', 'uint8', 'int16', 'int64'],
  SQUARED_DIFFERENCE: ['float32', 'int32'],
};

function prepareBinary(kind: BinaryKind, ctx: PrepareContext<BinaryOptions>): BinaryState {
  requireInputCount(ctx, 2);
  requireOutputCount(ctx, 1);
  const a = requireInput(ctx, 0);
  const b = requireInput(ctx, 1);
  const out = ctx.outputs[0]!;
  requireDType(ctx, a, DTYPES[kind], 'input 0');
  if (b.dtype !== a.dtype) fail(ctx, `input 1 '${b.name}' has dtype ${b.dtype}; expected ${a.dtype} like input 0`);
  if (out.dtype !== a.dtype) fail(ctx, `output '${out.name}' has dtype ${out.dtype}; expected ${a.dtype}`);
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) fail(ctx, `input shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not broadcast`);
  requireWithinCap(ctx, shape, `broadcast output '${out.name}'`);
  out.shape = shape;
  const act = ctx.options.fusedActivationFunction;
  if (act !== Activation.NONE && act !== Activation.RELU && act !== Activation.RELU6 && act !== Activation.RELU_N1_TO_1) {
    fail(ctx, `fused activation ${act} is not supported (only NONE, RELU, RELU_N1_TO_1, RELU6)`);
  }
  let [lo, hi] = activationRange(act);
  let addSub: Int8AddSub | null = null;
  let mul: Int8Mul | null = null;
  if (a.dtype === 'int8' && (kind === 'ADD' || kind === 'SUB' || kind === 'MUL')) {
    const qa = perTensorQuant(ctx, a, 'input 0');
    const qb = perTensorQuant(ctx, b, 'input 1');
    const qo = perTensorQuant(ctx, out, 'output');
    [lo, hi] = quantizedActivationRange(act, qo.scale, qo.zeroPoint);
    if (kind === 'MUL') {
      // float32 products as in TFLite's Prepare (float * float / float), then widened to double
      const real = Math.fround(Math.fround(qa.scale * qb.scale) / qo.scale);
      const m = quantizeMultiplier(real);
      mul = { in1Offset: -qa.zeroPoint, in2Offset: -qb.zeroPoint, outOffset: qo.zeroPoint, outMult: m.multiplier, outShift: m.shift };
    } else {
      const leftShift = 20;
      const twiceMax = 2 * Math.max(qa.scale, qb.scale);
      const m1 = quantizeMultiplier(qa.scale / twiceMax);
      const m2 = quantizeMultiplier(qb.scale / twiceMax);
      const mo = quantizeMultiplier(twiceMax / Math.fround(2 ** leftShift * qo.scale));
      if (m1.shift > 0 || m2.shift > 0 || mo.shift > 0) {
        fail(ctx, `quantization scales give a rescale multiplier >= 1 (output scale ${qo.scale} too small)`);
      }
      addSub = {
        in1Offset: -qa.zeroPoint, in2Offset: -qb.zeroPoint, outOffset: qo.zeroPoint, leftShift,
        in1Mult: m1.multiplier, in1Shift: m1.shift, in2Mult: m2.multiplier, in2Shift: m2.shift,
        outMult: mo.multiplier, outShift: mo.shift,
      };
    }
  } else if (a.dtype === 'int8' || a.dtype === 'uint8' || a.dtype === 'int16' || a.dtype === 'int64') {
    [lo, hi] = [-Infinity, Infinity];
  }
  const size = shapeSize(shape);
  const int16Lanes = addSub && kind === 'ADD' ? vectorLanes(a.shape, b.shape, 8) : mul ? vectorLanes(a.shape, b.shape, 16) : null;
  return {
    kind,
    dtype: a.dtype,
    aMap: sameShape(a.shape, shape) ? null : broadcastIndexMap(a.shape, shape),
    bMap: sameShape(b.shape, shape) ? null : broadcastIndexMap(b.shape, shape),
    size,
    lo, hi, addSub, mul, int16Lanes,
  };
}

/**
 * Which output elements LCE's optimized int8 ADD / MUL compute in vector lanes (see the header), from TFLite's
 * ProcessBroadcastShapes: equal shapes (after padding with leading 1s) run elementwise over the flat tensor in blocks
 * of 16; a broadcast the fivefold loop can do runs elementwise over y4 elements at a time when y4 > 1 (blocks of 16
 * per run), else one operand is broadcast over runs of y3 elements (blocks of 8 per run for ADD, 16 for MUL); any
 * other broadcast takes the generic path, without lanes.
 */
function vectorLanes(
  shape0: readonly number[], shape1: readonly number[], scalarBlock: number,
): { run: number; lanes: number } | null {
  const runs = (run: number, block: number) => ({ run, lanes: run - (run % block) });
  const n = Math.max(shape0.length, shape1.length);
  const ext = (t: readonly number[]) => [...Array<number>(n - t.length).fill(1), ...t];
  const e0 = ext(shape0);
  const e1 = ext(shape1);
  if (e0.every((d, i) => d === e1[i])) return runs(shapeSize(e0), 16);
  let firstFast: boolean | null = null;
  for (let i = n - 1; i >= 0; i--) {
    if (e0[i] === e1[i]) continue;
    if (e0[i] === 1) firstFast = true;
    else if (e1[i] === 1) firstFast = false;
    break;
  }
  if (firstFast === null) return null;
  const [sa, sb] = firstFast ? [e0, e1] : [e1, e0]; // sa: the operand that broadcasts
  const y = [1, 1, 1, 1, 1];
  let i = n - 1;
  while (i >= 0 && sa[i] === sb[i]) y[4]! *= sb[i--]!;
  while (i >= 0 && sa[i] === 1) y[3]! *= sb[i--]!;
  while (i >= 0 && sa[i] === sb[i]) y[2]! *= sa[i--]!;
  while (i >= 0 && sb[i] === 1) y[1]! *= sa[i--]!;
  while (i >= 0 && sa[i] === sb[i]) y[0]! *= sb[i--]!;
  if (i >= 0) return null; // generic broadcast
  return y[4]! > 1 ? runs(y[4]!, 16) : runs(y[3]!, scalarBlock);
}

function floatOp(kind: BinaryKind, x: number, y: number): number {
  switch (kind) {
    case 'ADD': return x + y;
    case 'SUB': return x - y;
    case 'MUL': return x * y;
    case 'DIV': return x / y;
    case 'MAXIMUM': return x > y ? x : y;
    case 'MINIMUM': return x < y ? x : y;
    case 'SQUARED_DIFFERENCE': { const d = Math.fround(x - y); return d * d; }
  }
}

function int32Op(kind: BinaryKind, x: number, y: number): number {
  switch (kind) {
    case 'ADD': return (x + y) | 0;
    case 'SUB': return (x - y) | 0;
    case 'MUL': return Math.imul(x, y);
    case 'MAXIMUM': return x > y ? x : y;
    case 'MINIMUM': return x < y ? x : y;
    case 'SQUARED_DIFFERENCE': { const d = (x - y) | 0; return Math.imul(d, d); }
    case 'DIV': return (x / y) | 0;
  }
}

function int8AddSub(p: Int8AddSub, x: number, y: number, sub: boolean): number {
  const s1 = (x + p.in1Offset) * (1 << p.leftShift);
  const s2 = (y + p.in2Offset) * (1 << p.leftShift);
  const r1 = multiplyByQuantizedMultiplierSmallerThanOne(s1, p.in1Mult, p.in1Shift);
  const r2 = multiplyByQuantizedMultiplierSmallerThanOne(s2, p.in2Mult, p.in2Shift);
  const raw = sub ? r1 - r2 : r1 + r2;
  return multiplyByQuantizedMultiplierSmallerThanOne(raw, p.outMult, p.outShift) + p.outOffset;
}

function evalBinary(s: BinaryState, inputs: readonly (RuntimeTensor | null)[], outputs: readonly RuntimeTensor[]): void {
  const a = elements(inputs[0]!.data);
  const b = elements(inputs[1]!.data);
  const o = elements(outputs[0]!.data);
  const { aMap, bMap, size, lo, hi, kind } = s;
  if (s.dtype === 'int64') {
    const ab = inputs[0]!.data as BigInt64Array;
    const bb = inputs[1]!.data as BigInt64Array;
    const ob = outputs[0]!.data as BigInt64Array;
    for (let i = 0; i < size; i++) {
      const x = ab[aMap ? aMap[i]! : i]!;
      const y = bb[bMap ? bMap[i]! : i]!;
      ob[i] = kind === 'MAXIMUM' ? (x > y ? x : y) : (x < y ? x : y);
    }
    return;
  }
  for (let i = 0; i < size; i++) {
    const x = a[aMap ? aMap[i]! : i]!;
    const y = b[bMap ? bMap[i]! : i]!;
    let v: number;
    if (s.addSub) {
      v = int8AddSub(s.addSub, x, y, kind === 'SUB');
      const l = s.int16Lanes;
      if (l && i % l.run < l.lanes) v = (v << 16) >> 16;
    } else if (s.mul) {
      const p = s.mul;
      v = multiplyByQuantizedMultiplier((x + p.in1Offset) * (y + p.in2Offset), p.outMult, p.outShift);
      const l = s.int16Lanes;
      if (l && i % l.run < l.lanes) {
        // saturating narrow to int16, then the output offset added in int16 with wrap-around
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        v = ((v + p.outOffset) << 16) >> 16;
      } else v += p.outOffset;
    } else if (s.dtype === 'float32') v = floatOp(kind, x, y);
    else if (s.dtype === 'int32') v = int32Op(kind, x, y);
    else v = kind === 'MAXIMUM' ? (x > y ? x : y) : (x < y ? x : y);
    o[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

function binaryKernel(kind: BinaryKind): OpKernel<BinaryOptions, BinaryState> {
  return {
    type: kind,
    parse(op: OperatorDef): BinaryOptions {
      return {
        fusedActivationFunction: HAS_ACTIVATION[kind] ? optNumber(op.builtinOptions, 'fusedActivationFunction', 0, kind) : 0,
      };
    },
    prepare: (ctx) => prepareBinary(kind, ctx),
    eval: evalBinary,
  };
}

export const addKernel = binaryKernel('ADD');
export const subKernel = binaryKernel('SUB');
export const mulKernel = binaryKernel('MUL');
export const divKernel = binaryKernel('DIV');
export const maximumKernel = binaryKernel('MAXIMUM');
export const minimumKernel = binaryKernel('MINIMUM');
export const squaredDifferenceKernel = binaryKernel('SQUARED_DIFFERENCE');
