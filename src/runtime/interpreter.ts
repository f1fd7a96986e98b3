/**
 * The interpreter: resolves every op's kernel at load time, runs parse and prepare in graph order (which also
 * infers shapes), plans one arena for all activations, then runs eval op by op. Allocation happens here, at
 * construction; `invoke` allocates nothing.
 */
import { LimitError, ModelValidationError, OpPrepareError, UnsupportedOpError, LceError } from '../errors.js';
import { bytesPerElement, isComputeDType, shapeSize, typedView, type ComputeDType, type TensorData } from '../graph/dtype.js';
import type { Model, SubgraphDef, TensorDef } from '../graph/model.js';
import { opTypeName } from '../format/read.js';
import type { AnyOpKernel, RuntimeTensor, TensorSpec } from '../ops/kernel.js';
import type { OpRegistry } from '../ops/registry.js';
import { planMemory, type BufferRequest } from './memory-plan.js';

export interface InterpreterOptions {
  registry: OpRegistry;
  /** Name used in error messages (file name). */
  modelName?: string;
  /** Upper bound on the activation arena; a model needing more is refused with a LimitError. Default 1 GiB. */
  maxArenaBytes?: number;
  /** Upper bound on the element count of any one tensor. Default 2^28. */
  maxTensorElements?: number;
  /**
   * Where the activation arena lives. Default: a fresh ArrayBuffer. The wasm backend passes an allocator in its
   * WebAssembly.Memory, so kernels read and write activations in place. Called once, after every op's prepare
   * (prepare may itself allocate wasm memory for packed weights; nothing may grow memory after this call).
   */
  allocateArena?: (bytes: number) => { buffer: ArrayBufferLike; byteOffset: number };
  /**
   * Backend fusion, decided after every op's prepare and before the arena is planned: runs of consecutive ops that
   * one step executes together (e.g. an ADD that also bitpacks its sum for the LceQuantize after it). The tensors of
   * a fused run are kept alive over the whole run.
   */
  fuse?: (graph: FusionGraph) => readonly FusedStep[];
}

/** What a fuser sees: every prepared op, and which ops read each tensor. */
export interface FusionGraph {
  readonly ops: readonly { readonly type: string; readonly state: unknown; readonly inputs: readonly number[]; readonly outputs: readonly number[] }[];
  readonly specs: readonly TensorSpec[];
  /** Op indices reading tensor `t` (−1 for a graph output). */
  readers(t: number): readonly number[];
}

/** Consecutive ops run as one step. */
export interface FusedStep {
  /** Their indices, consecutive and ascending (at least two). */
  readonly ops: readonly number[];
  /** Runs them all, given the prepared ops in the same order. */
  run(ops: readonly PreparedOp[]): void;
}

export const DEFAULT_MAX_ARENA_BYTES = 1 << 30;
export const DEFAULT_MAX_TENSOR_ELEMENTS = 1 << 28;

export interface PreparedOp {
  readonly index: number;
  readonly type: string;
  readonly kernel: AnyOpKernel;
  /** What the kernel's parse returned (e.g. LceBconv2d's channelsIn), for tools that describe the graph. */
  readonly options: unknown;
  readonly state: unknown;
  readonly inputs: readonly (RuntimeTensor | null)[];
  readonly outputs: readonly RuntimeTensor[];
}

/** Spec of every tensor, by index; shapes of activations are the ones prepare inferred. */
type MutableSpec = TensorSpec & { shape: number[] };

export class Interpreter {
  readonly modelName: string;
  readonly specs: readonly TensorSpec[];
  readonly ops: readonly PreparedOp[];
  readonly inputIndices: readonly number[];
  readonly outputIndices: readonly number[];
  readonly arenaBytes: number;
  /** Storage of every tensor the graph uses, by index (constants: their buffer; activations: arena views). */
  private readonly tensors: (RuntimeTensor | null)[];
  /** What invoke runs: each op alone, or a fused run of ops (`ops` holds them all, for descriptions). */
  private readonly steps: { readonly ops: readonly PreparedOp[]; readonly run: () => void }[];

  constructor(model: Model, options: InterpreterOptions) {
    const modelName = options.modelName ?? 'model';
    this.modelName = modelName;
    const maxArena = options.maxArenaBytes ?? DEFAULT_MAX_ARENA_BYTES;
    const maxElements = options.maxTensorElements ?? DEFAULT_MAX_TENSOR_ELEMENTS;
    const subgraph = model.subgraphs[0];
    if (!subgraph) throw new ModelValidationError(`${modelName}: the model has no subgraph`);
    if (model.subgraphs.length > 1) {
      // Control-flow ops (WHILE, IF, CALL_ONCE) are the only users of extra subgraphs; none is registered, so any
      // op using them fails below. A model whose extra subgraphs are unused still runs.
    }

    // 1. Resolve every kernel before doing anything else: unsupported ops fail at load time, all named at once.
    const kernels: AnyOpKernel[] = [];
    const missing: { type: string; index: number }[] = [];
    subgraph.operators.forEach((op, index) => {
      const code = model.operatorCodes[op.opcodeIndex];
      if (!code) throw new ModelValidationError(`${modelName}: operator ${index} has opcode index ${op.opcodeIndex}, but the model has ${model.operatorCodes.length} operator codes`);
      const type = opTypeName(code);
      const kernel = options.registry.get(type);
      if (!kernel) missing.push({ type, index });
      else kernels.push(kernel);
    });
    if (missing.length > 0) {
      const first = missing[0]!;
      const others = missing.length > 1
        ? `${missing.length - 1} more unsupported op(s): ${[...new Set(missing.slice(1).map((m) => m.type))].join(', ')}`
        : undefined;
      throw new UnsupportedOpError(first.type, first.index, modelName, others);
    }

    // 2. Tensor specs (constants get typed views of their buffers).
    const specs: MutableSpec[] = subgraph.tensors.map((t, i) => makeSpec(model, t, i, modelName));
    this.specs = specs;
    checkIndices(subgraph, modelName);
    this.inputIndices = [...subgraph.inputs];
    this.outputIndices = [...subgraph.outputs];
    // A tensor can never be larger than the whole arena (and needs at least a byte per element), so no tensor may
    // have more elements than this; kernels get it too, to check shapes they compute before allocating tables.
    const tensorCap = Math.min(maxElements, maxArena);
    const checkSize = (s: TensorSpec, where: string) => {
      const n = shapeSize(s.shape);
      if (n > tensorCap || n * bytesPerElement(s.dtype) > maxArena) {
        throw new LimitError(`${where}: '${s.name}' [${s.shape.join(', ')}] would have ${n} elements of ${s.dtype} (caps: ${maxElements} elements, arena ${maxArena} bytes)`);
      }
    };
    for (const i of subgraph.inputs) {
      const s = specs[i]!;
      if (s.constant) throw new ModelValidationError(`${modelName}: input tensor '${s.name}' is a constant`);
      if (s.shape.some((d) => d < 0)) throw new ModelValidationError(`${modelName}: input tensor '${s.name}' has a dynamic shape [${s.shape.join(', ')}]`);
      // Checked before any prepare, since kernels size their tables from their inputs.
      checkSize(s, `${modelName}: input tensor`);
    }

    // 3. Parse and prepare in order; prepare sets output shapes.
    const states: unknown[] = [];
    const parsed: unknown[] = [];
    subgraph.operators.forEach((op, index) => {
      const kernel = kernels[index]!;
      const code = model.operatorCodes[op.opcodeIndex]!;
      const where = `${kernel.type} (op ${index}) in ${modelName}`;
      let options: unknown;
      try {
        options = kernel.parse(op, code);
      } catch (e) {
        throw wrap(e, where, modelName);
      }
      parsed.push(options);
      const inputs = op.inputs.map((i) => (i < 0 ? null : specs[i]!));
      const outputs = op.outputs.map((i) => specs[i]!);
      try {
        states.push(kernel.prepare({ options, inputs, outputs, opType: kernel.type, opIndex: index, maxElements: tensorCap }));
      } catch (e) {
        throw wrap(e, where, modelName);
      }
      for (const o of outputs) {
        if (!isComputeDType(o.dtype)) throw new OpPrepareError(`${where}: output '${o.name}' has unsupported dtype ${o.dtype}`);
        if (o.shape.some((d) => !Number.isInteger(d) || d < 0)) {
          throw new OpPrepareError(`${where}: output '${o.name}' has unresolved shape [${o.shape.join(', ')}]`);
        }
        if (shapeSize(o.shape) > maxElements) {
          throw new LimitError(`${where}: output '${o.name}' would have ${shapeSize(o.shape)} elements (cap ${maxElements})`);
        }
        checkSize(o, `${where}: output`);
      }
    });

    // 4. Backend fusion: which consecutive ops run as one step.
    const n = subgraph.operators.length;
    const fused = options.fuse ? checkFusion(options.fuse(fusionGraph(subgraph, specs, kernels, states)), n) : [];
    /** [first, last] op of the step each op runs in. */
    const span = subgraph.operators.map((_, i) => [i, i] as [number, number]);
    for (const f of fused) for (const i of f.ops) span[i] = [f.ops[0]!, f.ops[f.ops.length - 1]!];

    // 5. Lifetimes of every non-constant tensor (a fused step's tensors live over its whole run), then one arena.
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    const touch = (t: number, from: number, to = from) => {
      if (t < 0 || specs[t]!.constant) return;
      if (!first.has(t) || from < first.get(t)!) first.set(t, from);
      last.set(t, Math.max(last.get(t) ?? to, to));
    };
    for (const t of subgraph.inputs) touch(t, 0);
    subgraph.operators.forEach((op, i) => {
      const [from, to] = span[i]!;
      for (const t of op.inputs) touch(t, from, to);
      for (const t of op.outputs) touch(t, from, to);
    });
    for (const t of subgraph.outputs) touch(t, n);
    const requests: BufferRequest[] = [];
    for (const [id, f] of first) {
      const s = specs[id]!;
      if (!isComputeDType(s.dtype)) throw new ModelValidationError(`${modelName}: tensor '${s.name}' has unsupported dtype ${s.dtype}`);
      requests.push({ id, bytes: shapeSize(s.shape) * bytesPerElement(s.dtype), first: f, last: last.get(id)! });
    }
    const plan = planMemory(requests);
    if (plan.arenaBytes > maxArena) {
      throw new LimitError(`${modelName}: the activation arena would need ${plan.arenaBytes} bytes (cap ${maxArena})`);
    }
    this.arenaBytes = plan.arenaBytes;
    const arena = options.allocateArena
      ? options.allocateArena(plan.arenaBytes)
      : { buffer: new ArrayBuffer(plan.arenaBytes), byteOffset: 0 };

    this.tensors = specs.map((s, i) => {
      if (s.constant) return { spec: s, data: s.constant };
      const offset = plan.offsets.get(i);
      if (offset === undefined) return null;
      return { spec: s, data: typedView(s.dtype as ComputeDType, arena.buffer, arena.byteOffset + offset, shapeSize(s.shape)) };
    });

    this.ops = subgraph.operators.map((op, index) => ({
      index,
      type: kernels[index]!.type,
      kernel: kernels[index]!,
      options: parsed[index],
      state: states[index],
      inputs: op.inputs.map((i) => (i < 0 ? null : this.tensors[i]!)),
      outputs: op.outputs.map((i) => this.tensors[i]!),
    }));
    const ops = this.ops;
    this.steps = [];
    for (let i = 0; i < n;) {
      const f = fused.find((x) => x.ops[0] === i);
      if (f) {
        const members = f.ops.map((j) => ops[j]!);
        this.steps.push({ ops: members, run: () => f.run(members) });
        i += members.length;
      } else {
        const op = ops[i]!;
        this.steps.push({ ops: [op], run: () => op.kernel.eval(op.state, op.inputs, op.outputs) });
        i++;
      }
    }
  }

  /** The storage of tensor `index` (arena view or constant). */
  tensor(index: number): RuntimeTensor {
    const t = this.tensors[index];
    if (!t) throw new ModelValidationError(`${this.modelName}: tensor ${index} is not used by the graph`);
    return t;
  }

  /**
   * Run every op in order. `onOp`, when given, is called after each op with its index and duration in ms and the
   * index of the first op of its step; a fused step's time goes to its first op, and its other ops report 0.
   */
  invoke(onOp?: (op: PreparedOp, ms: number, stepFirst: number) => void): void {
    if (!onOp) {
      for (const step of this.steps) step.run();
      return;
    }
    for (const step of this.steps) {
      const t0 = performance.now();
      step.run();
      const ms = performance.now() - t0;
      const first = step.ops[0]!.index;
      step.ops.forEach((op, k) => onOp(op, k === 0 ? ms : 0, first));
    }
  }
}

function fusionGraph(sg: SubgraphDef, specs: readonly TensorSpec[], kernels: readonly AnyOpKernel[],
  states: readonly unknown[]): FusionGraph {
  const readers = new Map<number, number[]>();
  const read = (t: number, op: number) => {
    const list = readers.get(t);
    if (list) list.push(op);
    else readers.set(t, [op]);
  };
  sg.operators.forEach((op, i) => { for (const t of op.inputs) if (t >= 0) read(t, i); });
  for (const t of sg.outputs) read(t, -1);
  return {
    ops: sg.operators.map((op, i) => ({ type: kernels[i]!.type, state: states[i], inputs: op.inputs, outputs: op.outputs })),
    specs,
    readers: (t) => readers.get(t) ?? [],
  };
}

/** A fuser's steps must each be a run of consecutive ops, and no op may be in two. */
function checkFusion(steps: readonly FusedStep[], n: number): readonly FusedStep[] {
  const taken = new Set<number>();
  for (const f of steps) {
    const ok = f.ops.length >= 2 && f.ops.every((i, k) => Number.isInteger(i) && i >= 0 && i < n && !taken.has(i)
      && (k === 0 || i === f.ops[k - 1]! + 1));
    if (!ok) throw new Error(`the backend fused ops [${f.ops.join(', ')}], which are not a run of consecutive unfused ops`);
    for (const i of f.ops) taken.add(i);
  }
  return steps;
}

function wrap(e: unknown, where: string, modelName: string): Error {
  if (e instanceof LceError) {
    // Kernels usually name their op already (common.ts `fail`); make sure op and model are both in the message.
    if (!e.message.includes('(op ')) e.message = `${where}: ${e.message}`;
    else if (!e.message.includes(modelName)) e.message = `${e.message} (in ${modelName})`;
    return e;
  }
  return new OpPrepareError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function makeSpec(model: Model, t: TensorDef, index: number, modelName: string): MutableSpec {
  const buffer = model.buffers[t.buffer];
  if (t.buffer !== 0 && !buffer) throw new ModelValidationError(`${modelName}: tensor '${t.name}' refers to buffer ${t.buffer}, but the model has ${model.buffers.length}`);
  const base = { index, name: t.name, dtype: t.dtype, shape: [...t.shape], quantization: t.quantization };
  if (!buffer || buffer.data.byteLength === 0) return base;
  if (!isComputeDType(t.dtype)) {
    throw new ModelValidationError(`${modelName}: constant tensor '${t.name}' has unsupported dtype ${t.dtype}`);
  }
  const elements = shapeSize(t.shape);
  const need = elements * bytesPerElement(t.dtype);
  if (buffer.data.byteLength < need) {
    throw new ModelValidationError(`${modelName}: constant tensor '${t.name}' [${t.shape.join(', ')}] ${t.dtype} needs ${need} bytes, its buffer has ${buffer.data.byteLength}`);
  }
  // Typed views need aligned offsets; copy when the file's layout does not give that.
  let bytes = buffer.data;
  if (bytes.byteOffset % bytesPerElement(t.dtype) !== 0) bytes = bytes.slice(0, need);
  const constant: TensorData = typedView(t.dtype, bytes.buffer, bytes.byteOffset, elements);
  return { ...base, constant };
}

function checkIndices(sg: SubgraphDef, modelName: string): void {
  const n = sg.tensors.length;
  const check = (i: number, what: string, optional: boolean) => {
    if (!Number.isInteger(i) || i >= n || (i < 0 && !(optional && i === -1))) {
      throw new ModelValidationError(`${modelName}: ${what} refers to tensor ${i}, but the subgraph has ${n} tensors`);
    }
  };
  sg.inputs.forEach((i, k) => check(i, `subgraph input ${k}`, false));
  sg.outputs.forEach((i, k) => check(i, `subgraph output ${k}`, false));
  sg.operators.forEach((op, j) => {
    op.inputs.forEach((i, k) => check(i, `operator ${j} input ${k}`, true));
    op.outputs.forEach((i, k) => check(i, `operator ${j} output ${k}`, false));
  });
  // Each tensor is produced once, and never both a graph input and an op output.
  const producer = new Map<number, number>();
  for (const i of sg.inputs) producer.set(i, -1);
  sg.operators.forEach((op, j) => {
    for (const o of op.outputs) {
      if (producer.has(o)) throw new ModelValidationError(`${modelName}: tensor ${o} ('${sg.tensors[o]!.name}') is written by operator ${j} and also by ${producer.get(o) === -1 ? 'the graph inputs' : `operator ${producer.get(o)}`}`);
      producer.set(o, j);
    }
  });
  // Ops must come in an order where every input is ready (TFLite files are topologically sorted).
  const ready = new Set<number>(sg.inputs);
  sg.tensors.forEach((_, i) => { if (!producer.has(i)) ready.add(i); });
  sg.operators.forEach((op, j) => {
    for (const i of op.inputs) {
      if (i >= 0 && !ready.has(i)) throw new ModelValidationError(`${modelName}: operator ${j} reads tensor ${i} ('${sg.tensors[i]!.name}') before it is written`);
    }
    for (const o of op.outputs) ready.add(o);
  });
}
