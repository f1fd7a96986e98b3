/**
 * Test helper for fast ops: run the reference op on plain arrays and the fast op on tensors placed in a fresh wasm
 * backend's arena (each surrounded by guard bytes), and return both results plus whether every guard survived.
 */
import { bytesPerElement, shapeSize, typedView, type ComputeDType, type TensorData } from '../../graph/dtype.js';
import type { BuiltinOptions, OperatorDef } from '../../graph/model.js';
import { nodeKernelLoader } from '../../backend/node-loader.js';
import type { Isa } from '../../backend/variants.js';
import type { HandTensor } from '../../reference/lce-testutil.js';
import { WasmBackend } from '../../runtime/backend.js';
import type { OpKernel, RuntimeTensor, TensorSpec } from '../kernel.js';

const GUARD = 64;
const GUARD_BYTE = 0xa5;

export interface FastComparison<S> {
  reference: TensorData[];
  fast: TensorData[];
  /** The fast op's prepared state (to check which path it took). */
  state: S;
  guardsIntact: boolean;
  /** Threads the backend's pool ran with (1 without a pool). */
  threads: number;
}

export interface FastRunOptions {
  threads?: number;
  isa?: Isa;
  /** Leave the inputs outside the arena (the fast op must fall back to the reference kernel). */
  inputsOutsideArena?: boolean;
  /** Builtin options (camelCase) for builtin ops such as CONV_2D. */
  builtinOptions?: BuiltinOptions;
}

function opDef(inputs: readonly (HandTensor | null)[], outputs: readonly HandTensor[], customOptions: Uint8Array | undefined,
  builtinOptions: BuiltinOptions | undefined): OperatorDef {
  return {
    opcodeIndex: 0, inputs: inputs.map((t, i) => (t ? i : -1)), outputs: outputs.map((_, i) => inputs.length + i),
    builtinOptionsType: 0, builtinOptions: builtinOptions ?? null,
    ...(customOptions ? { customOptions, customOptionsFormat: 0 } : {}),
  };
}

function specOf(t: HandTensor, index: number): TensorSpec {
  return {
    index, name: `t${index}`, dtype: t.dtype, shape: t.shape.slice(),
    ...(t.quantization ? { quantization: t.quantization } : {}),
    ...(t.constant && t.data ? { constant: t.data } : {}),
  };
}

/** parse → prepare → eval of the reference op on plain arrays. */
function runReference<O, R>(kernel: OpKernel<O, R>, op: OperatorDef, inputs: readonly (HandTensor | null)[],
  outputs: readonly HandTensor[]): TensorData[] {
  const options = kernel.parse(op, { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: kernel.type, version: 1 });
  const inSpecs = inputs.map((t, i) => (t ? specOf(t, i) : null));
  const outSpecs = outputs.map((t, i) => specOf(t, inputs.length + i));
  const state = kernel.prepare({ options, inputs: inSpecs, outputs: outSpecs, opType: kernel.type, opIndex: 0 });
  const inRt: (RuntimeTensor | null)[] = inSpecs.map((s, i) => (s ? { spec: s, data: inputs[i]!.data! } : null));
  const outRt: RuntimeTensor[] = outSpecs.map((s) => ({
    spec: s, data: typedView(s.dtype as ComputeDType, new ArrayBuffer(shapeSize(s.shape) * bytesPerElement(s.dtype)), 0, shapeSize(s.shape)),
  }));
  kernel.eval(state, inRt, outRt);
  return outRt.map((t) => t.data);
}

export async function compareFastWithReference<O, S, R>(
  makeFast: (backend: WasmBackend) => OpKernel<O, S>, reference: OpKernel<O, R>, customOptions: Uint8Array | undefined,
  inputs: (HandTensor | null)[], outputs: HandTensor[], opts: FastRunOptions = {},
): Promise<FastComparison<S>> {
  const op = opDef(inputs, outputs, customOptions, opts.builtinOptions);
  const want = runReference(reference, op, inputs, outputs);
  const backend = await WasmBackend.create({
    kernelLoader: nodeKernelLoader, numThreads: opts.threads ?? 1, ...(opts.isa ? { isa: opts.isa } : {}), splitEveryOp: true,
  });
  try {
    const kernel = makeFast(backend);
    const options = kernel.parse(op, { builtinCode: 32, deprecatedBuiltinCode: 32, customCode: kernel.type, version: 1 });
    const inSpecs = inputs.map((t, i) => (t ? specOf(t, i) : null));
    const outSpecs = outputs.map((t, i) => specOf(t, inputs.length + i));
    const state = kernel.prepare({ options, inputs: inSpecs, outputs: outSpecs, opType: kernel.type, opIndex: 0 });

    // Arena: [guard][tensor][guard][tensor]…[guard], each tensor 64-byte aligned.
    const placed: { spec: TensorSpec; at: number }[] = [];
    let at = GUARD;
    const place = (spec: TensorSpec) => {
      placed.push({ spec, at });
      at += Math.ceil((shapeSize(spec.shape) * bytesPerElement(spec.dtype)) / GUARD) * GUARD + GUARD;
    };
    inSpecs.forEach((s) => { if (s && !s.constant && !opts.inputsOutsideArena) place(s); });
    outSpecs.forEach(place);
    const arena = backend.allocateArena(at);
    await backend.start();
    const bytes = new Uint8Array(arena.buffer, arena.byteOffset, at);
    bytes.fill(GUARD_BYTE);
    const view = (spec: TensorSpec) => {
      const p = placed.find((x) => x.spec === spec)!;
      return typedView(spec.dtype as ComputeDType, arena.buffer, arena.byteOffset + p.at, shapeSize(spec.shape));
    };
    const inRt: (RuntimeTensor | null)[] = inSpecs.map((s, i) => {
      if (!s) return null;
      const data = inputs[i]!.data!;
      if (s.constant || opts.inputsOutsideArena) return { spec: s, data };
      const v = view(s);
      (v as Int32Array).set(data as Int32Array);
      return { spec: s, data: v };
    });
    const outRt: RuntimeTensor[] = outSpecs.map((s) => ({ spec: s, data: view(s) }));
    kernel.eval(state, inRt, outRt);
    let guardsIntact = true;
    let from = 0;
    for (const p of placed) {
      for (let i = from; i < p.at; i++) if (bytes[i] !== GUARD_BYTE) guardsIntact = false;
      from = p.at + shapeSize(p.spec.shape) * bytesPerElement(p.spec.dtype);
    }
    for (let i = from; i < at; i++) if (bytes[i] !== GUARD_BYTE) guardsIntact = false;
    return {
      reference: want, fast: outRt.map((t) => t.data.slice() as TensorData), state, guardsIntact,
      threads: backend.pool?.threads ?? 1,
    };
  } finally {
    await backend.release();
  }
}
