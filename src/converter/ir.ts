/**
 * The converter's graph IR: TFLite-shaped ops (builtin names such as `CONV_2D`, LCE custom names such as
 * `LceBconv2d`) over tensors that are either activations or constants. Passes rewrite it in place; the exporter
 * turns it into a `Model`. One pseudo-op exists only inside the converter: `LARQ_SIGN` (Larq's forward sign,
 * -1 for x < 0 and +1 otherwise), which the quantizer pass turns into `LceQuantize → LceDequantize`.
 */
import type { Quantization } from '../graph/model.js';
import { ConverterError } from '../errors.js';

export type IrDType = 'float32' | 'int32' | 'int8' | 'bool';
export type IrData = Float32Array | Int32Array | Int8Array | Uint8Array;
export type IrOptionValue = number | boolean | string | number[];
export type IrOptions = Record<string, IrOptionValue>;

export interface IrTensor {
  readonly id: number;
  name: string;
  dtype: IrDType;
  shape: number[];
  /** Present for constants. */
  data?: IrData;
  quantization?: Quantization;
}

export interface IrOp {
  readonly id: number;
  type: string;
  /** null marks an omitted optional input (written as -1). */
  inputs: (IrTensor | null)[];
  outputs: IrTensor[];
  options: IrOptions;
  /** The Keras layer this op came from, for messages and reports. */
  origin: string;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isConst(t: IrTensor | null | undefined): t is IrTensor & { data: IrData } {
  return t !== null && t !== undefined && t.data !== undefined;
}

/** The float32 data of a constant, or undefined when `t` is not a float32 constant. */
export function floatData(t: IrTensor | null | undefined): Float32Array | undefined {
  return isConst(t) && t.data instanceof Float32Array ? t.data : undefined;
}

export class IrGraph {
  ops: IrOp[] = [];
  inputs: IrTensor[] = [];
  outputs: IrTensor[] = [];
  private nextTensorId = 0;
  private nextOpId = 0;

  tensor(name: string, dtype: IrDType, shape: number[], data?: IrData): IrTensor {
    if (data && data.length !== shapeSize(shape)) {
      throw new ConverterError(`internal: constant ${name} has ${data.length} elements for shape [${shape}]`);
    }
    return { id: this.nextTensorId++, name, dtype, shape: [...shape], data };
  }

  constF32(name: string, data: Float32Array | number[], shape: number[]): IrTensor {
    return this.tensor(name, 'float32', shape, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  constI32(name: string, data: Int32Array | number[], shape: number[]): IrTensor {
    return this.tensor(name, 'int32', shape, data instanceof Int32Array ? data : Int32Array.from(data));
  }

  /** Appends an op; `insertAfter` places it right after an existing op instead (keeps the list near order). */
  op(type: string, inputs: (IrTensor | null)[], outputs: IrTensor[], options: IrOptions = {}, origin = '', insertAfter?: IrOp): IrOp {
    const op: IrOp = { id: this.nextOpId++, type, inputs, outputs, options, origin };
    const at = insertAfter ? this.ops.indexOf(insertAfter) : -1;
    if (at >= 0) this.ops.splice(at + 1, 0, op);
    else this.ops.push(op);
    return op;
  }

  producer(t: IrTensor): IrOp | undefined {
    return this.ops.find((op) => op.outputs.includes(t));
  }

  consumers(t: IrTensor): IrOp[] {
    return this.ops.filter((op) => op.inputs.includes(t));
  }

  isOutput(t: IrTensor): boolean {
    return this.outputs.includes(t);
  }

  /** Consumers plus one per graph-output slot. */
  useCount(t: IrTensor): number {
    let n = this.outputs.filter((o) => o === t).length;
    for (const op of this.ops) for (const i of op.inputs) if (i === t) n++;
    return n;
  }

  /** The single consumer of `t`, if `t` has exactly one use and is not a graph output. */
  soleConsumer(t: IrTensor): IrOp | undefined {
    if (this.isOutput(t)) return undefined;
    const cs = this.consumers(t);
    if (cs.length !== 1) return undefined;
    return cs[0].inputs.filter((i) => i === t).length === 1 ? cs[0] : undefined;
  }

  replaceUses(from: IrTensor, to: IrTensor): void {
    for (const op of this.ops) op.inputs = op.inputs.map((i) => (i === from ? to : i));
    this.outputs = this.outputs.map((o) => (o === from ? to : o));
  }

  remove(op: IrOp): void {
    const i = this.ops.indexOf(op);
    if (i >= 0) this.ops.splice(i, 1);
  }

  /** Removes `op` whose output simply equals its input `through` (an identity). */
  bypass(op: IrOp, through: IrTensor): void {
    const out = op.outputs[0];
    this.remove(op);
    if (this.isOutput(out) && !isConst(through) && !this.inputs.includes(through)) {
      // Keep the graph output's name; the producer of `through` now writes it.
      this.replaceUses(through, out);
      const p = this.producer(through);
      if (p) p.outputs = p.outputs.map((o) => (o === through ? out : o));
      out.shape = [...through.shape];
      return;
    }
    this.replaceUses(out, through);
  }

  /** Orders ops so each comes after the producers of its inputs, keeping the current order where possible. */
  toposort(): void {
    const produced = new Set<IrTensor>();
    const placed = new Set<IrOp>();
    const result: IrOp[] = [];
    let pending = [...this.ops];
    const ready = (op: IrOp): boolean => op.inputs.every((t) => t === null || isConst(t) || produced.has(t) || this.inputs.includes(t) || !this.producer(t));
    while (pending.length > 0) {
      const next: IrOp[] = [];
      let progress = false;
      for (const op of pending) {
        if (ready(op)) {
          result.push(op);
          placed.add(op);
          op.outputs.forEach((o) => produced.add(o));
          progress = true;
        } else next.push(op);
      }
      if (!progress) throw new ConverterError(`internal: the graph has a cycle around op ${next[0].type} (${next[0].origin})`);
      pending = next;
    }
    this.ops = result;
  }

  /** Every distinct tensor reachable from ops, inputs and outputs. */
  allTensors(): IrTensor[] {
    const seen = new Set<IrTensor>();
    for (const t of this.inputs) seen.add(t);
    for (const op of this.ops) {
      for (const t of op.inputs) if (t) seen.add(t);
      for (const t of op.outputs) seen.add(t);
    }
    for (const t of this.outputs) seen.add(t);
    return [...seen];
  }
}
