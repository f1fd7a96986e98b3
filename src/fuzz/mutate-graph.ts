/**
 * Semantic mutations: decode the model, change one thing in the graph (an activation's shape, a dtype, an option,
 * a custom option value, an op's inputs, quantization, the op type itself) and encode it again. The result passes
 * the flatbuffer verifier, so these cases reach the interpreter and the kernels' prepare and eval.
 */
import type { DType } from '../graph/dtype.js';
import type { Model, OperatorDef, SubgraphDef } from '../graph/model.js';
import { decodeFlexMap, encodeFlexIntMap } from '../format/flexbuffer.js';
import { builtinCodeOf, readModel } from '../format/read.js';
import { writeModel } from '../format/write.js';
import { createReferenceRegistry } from '../ops/registry.js';
import type { Rng } from './rng.js';

const INTS = [0, 1, -1, 2, 3, 4, 5, 7, 8, 16, 33, 64, 255, 4096, 65536, 1 << 24, 0x7fffffff, -0x80000000] as const;
const DIMS = [0, 1, 2, 3, 5, 8, 9, 16, 31, 33, 64, 100, 1000, 4096, 1 << 16, 1 << 20] as const;
const FLOATS = [0, -0, 1, -1, 1e-30, 1e30, Infinity, -Infinity, NaN, 1e-45, 3.4e38] as const;
const DTYPES: readonly DType[] = ['float32', 'int32', 'int8', 'uint8', 'bool', 'int16', 'int64', 'float16', 'string', 'float64', 'int4'];
const OP_NAMES = [...createReferenceRegistry().keys()];

type Edit = 'activationShape' | 'constantShape' | 'dtype' | 'builtinOption' | 'customOption' | 'opInputs' | 'quantization'
  | 'graphIo' | 'opType' | 'opcodeIndex';

const WEIGHTS: Readonly<Record<Edit, number>> = {
  activationShape: 14, constantShape: 6, dtype: 8, builtinOption: 12, customOption: 14, opInputs: 12, quantization: 10,
  graphIo: 4, opType: 10, opcodeIndex: 4,
};

/** null when the bytes do not decode (an earlier byte-level mutation broke them) or the model has no operators. */
export function mutateGraph(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; edits: string[] } | null {
  let model: Model;
  try {
    model = readModel(bytes, 'fuzz');
  } catch {
    return null;
  }
  const sg = model.subgraphs[0];
  if (!sg || sg.operators.length === 0 || sg.tensors.length === 0) return null;
  const edit = rng.weighted(WEIGHTS);
  const what = applyEdit(rng, edit, model, sg);
  try {
    return { bytes: writeModel(model), edits: [what] };
  } catch {
    // A graph the writer cannot encode (e.g. a dtype with no schema value) is not a file anyone can hand us.
    return null;
  }
}

function isConstant(model: Model, sg: SubgraphDef, t: number): boolean {
  const b = sg.tensors[t]!.buffer;
  return b !== 0 && (model.buffers[b]?.data.byteLength ?? 0) > 0;
}

function applyEdit(rng: Rng, edit: Edit, model: Model, sg: SubgraphDef): string {
  const op: OperatorDef = rng.pick(sg.operators);
  const opIndex = sg.operators.indexOf(op);
  switch (edit) {
    case 'activationShape': {
      const candidates = sg.tensors.map((_, i) => i).filter((i) => !isConstant(model, sg, i) && sg.tensors[i]!.shape.length > 0);
      if (candidates.length === 0) return applyEdit(rng, 'dtype', model, sg);
      const t = sg.tensors[rng.pick(candidates)]!;
      const how = rng.int(4);
      if (how === 0) t.shape.push(rng.pick(DIMS));
      else if (how === 1) t.shape.pop();
      else { const k = rng.int(t.shape.length); t.shape[k] = rng.pick(DIMS); }
      delete t.shapeSignature;
      return `graph: tensor '${t.name}' shape → [${t.shape.join(', ')}]`;
    }
    case 'constantShape': {
      // Same element count, other layout: passes the buffer-size check, so only the kernels can object.
      const candidates = sg.tensors.filter((_, i) => isConstant(model, sg, i));
      if (candidates.length === 0) return applyEdit(rng, 'activationShape', model, sg);
      const t = rng.pick(candidates);
      const size = t.shape.reduce((a, b) => a * b, 1);
      const layouts = [[size], [1, size], [size, 1], [...t.shape].reverse(), [1, ...t.shape], []];
      t.shape = rng.pick(layouts.filter((s) => s.reduce((a, b) => a * b, 1) === size));
      delete t.shapeSignature;
      return `graph: constant '${t.name}' shape → [${t.shape.join(', ')}]`;
    }
    case 'dtype': {
      const t = rng.pick(sg.tensors);
      const before = t.dtype;
      t.dtype = rng.pick(DTYPES.filter((d) => d !== before));
      return `graph: tensor '${t.name}' dtype ${before} → ${t.dtype}`;
    }
    case 'builtinOption': {
      const opts = op.builtinOptions;
      const keys = opts ? Object.keys(opts).filter((k) => typeof opts[k] === 'number' || typeof opts[k] === 'boolean' || Array.isArray(opts[k])) : [];
      if (!opts || keys.length === 0) return applyEdit(rng, 'customOption', model, sg);
      const key = rng.pick(keys);
      const old = opts[key];
      if (Array.isArray(old)) opts[key] = rng.bool() ? [] : [...old, rng.pick(INTS)].map((v) => (rng.bool(0.3) ? rng.pick(INTS) : v));
      else if (typeof old === 'boolean') opts[key] = !old;
      else opts[key] = Number.isInteger(old) ? rng.pick(INTS) : rng.pick(FLOATS);
      return `graph: op ${opIndex} option ${key} ${JSON.stringify(old)} → ${JSON.stringify(opts[key])}`;
    }
    case 'customOption': {
      if (!op.customOptions || op.customOptions.byteLength === 0) return applyEdit(rng, 'opInputs', model, sg);
      let map: Record<string, number>;
      try {
        const decoded = decodeFlexMap(op.customOptions, 'fuzz');
        map = Object.fromEntries(Object.entries(decoded).map(([k, v]) => [k, typeof v === 'number' ? Math.trunc(v) : 0]));
      } catch {
        return applyEdit(rng, 'opInputs', model, sg);
      }
      const keys = Object.keys(map);
      const key = rng.pick(keys.length > 0 ? keys : ['channels_in']);
      const action = rng.int(5);
      if (action === 0) delete map[key];
      else if (action === 1) map[`${key}_x`] = rng.pick(INTS);
      else map[key] = rng.pick(INTS);
      op.customOptions = encodeFlexIntMap(map);
      return `graph: op ${opIndex} custom options → ${JSON.stringify(map)}`;
    }
    case 'opInputs': {
      const n = sg.tensors.length;
      const list = rng.bool(0.8) ? op.inputs : op.outputs;
      const action = rng.int(5);
      if (action === 0 && list.length > 1) {
        const a = rng.int(list.length), b = rng.int(list.length);
        [list[a], list[b]] = [list[b]!, list[a]!];
      } else if (action === 1) list.push(rng.bool() ? -1 : rng.int(n));
      else if (action === 2 && list.length > 0) list.pop();
      else if (list.length > 0) list[rng.int(list.length)] = list === op.inputs && rng.bool(0.2) ? -1 : rng.int(n);
      return `graph: op ${opIndex} inputs [${op.inputs.join(', ')}] outputs [${op.outputs.join(', ')}]`;
    }
    case 'quantization': {
      const t = rng.pick(sg.tensors);
      const q = (t.quantization ??= { scale: [1], zeroPoint: [0], quantizedDimension: 0 });
      const action = rng.int(5);
      if (action === 0 && q.scale.length > 0) q.scale[rng.int(q.scale.length)] = rng.pick(FLOATS);
      else if (action === 1 && q.zeroPoint.length > 0) q.zeroPoint[rng.int(q.zeroPoint.length)] = rng.pick(INTS);
      else if (action === 2) q.scale.push(rng.pick(FLOATS));
      else if (action === 3) q.quantizedDimension = rng.pick([0, 1, 3, 4, 7, -1]);
      else { q.scale = []; q.zeroPoint = rng.bool() ? [] : [0, 0, 0]; }
      return `graph: tensor '${t.name}' quantization scale [${q.scale.slice(0, 4).join(', ')}${q.scale.length > 4 ? ', …' : ''}] zp [${q.zeroPoint.slice(0, 4).join(', ')}] dim ${q.quantizedDimension}`;
    }
    case 'graphIo': {
      const n = sg.tensors.length;
      const list = rng.bool() ? sg.inputs : sg.outputs;
      const action = rng.int(4);
      if (action === 0) list.length = 0;
      else if (action === 1) list.push(rng.int(n));
      else if (action === 2 && list.length > 0) list.push(list[0]!);
      else if (list.length > 0) list[rng.int(list.length)] = rng.int(n);
      return `graph: subgraph inputs [${sg.inputs.join(', ')}] outputs [${sg.outputs.join(', ')}]`;
    }
    case 'opType': {
      // Another supported kernel over the same tensors and options.
      const code = model.operatorCodes[op.opcodeIndex]!;
      const name = rng.pick(OP_NAMES);
      const builtin = builtinCodeOf(name);
      code.builtinCode = builtin;
      code.deprecatedBuiltinCode = Math.min(builtin, 127);
      if (builtin === 32) code.customCode = name;
      else delete code.customCode;
      return `graph: operator code ${op.opcodeIndex} (op ${opIndex}) → ${name}`;
    }
    case 'opcodeIndex': {
      op.opcodeIndex = rng.int(model.operatorCodes.length);
      return `graph: op ${opIndex} opcode index → ${op.opcodeIndex}`;
    }
  }
}
