/**
 * Graph-level comparison of two .tflite models (lce-js's conversion against LCE's): walks both graphs from their
 * outputs in step, so op order and tensor numbering may differ but everything else must agree — op types,
 * builtin and custom options, tensor dtypes, shapes and quantisation, graph inputs, and constant data byte for
 * byte, except float32 constants whose elements may differ by a few ulps (reported, not failed: the caller decides
 * which may). `withConstantsOf` then copies the other model's values into those constants.
 */
import { isDeepStrictEqual } from 'node:util';
import { opTypeName } from '../src/format/read.js';
import type { Model, OperatorDef, TensorDef } from '../src/graph/model.js';
import { BN_FOLD_MAX_ULPS, BN_FOLDED_SLOTS } from './converter-expectations.js';

export interface ConstantDifference {
  /** Tensor indices in ours / theirs. */
  ours: number;
  theirs: number;
  /** LCE's tensor name (ours are named after the Keras layers). */
  name: string;
  /** How the constant is used: "LceBconv2d input 2" for each consuming op input. */
  uses: string[];
  elements: number;
  differing: number;
  maxUlps: number;
  /** max |ours − theirs| and max |theirs| over the elements. */
  maxAbsDiff: number;
  maxAbs: number;
  /** Indices of the differing elements (at most 64). */
  indices: number[];
}

/** A tensor whose quantisation differs from LCE's only in its scales (an int8 filter of a BN-folded conv). */
export interface ScaleDifference {
  ours: number;
  theirs: number;
  name: string;
  uses: string[];
  maxUlps: number;
}

export interface ModelDiff {
  /** Anything but float32 constant values and quantisation scales that differs (empty: same graph). */
  structural: string[];
  constants: ConstantDifference[];
  scales: ScaleDifference[];
  ops: number;
  tensors: number;
}

/** Distance in float32 ulps (ordered-integer difference; +0 and −0 are 0 apart). */
export function ulpDistance(a: number, b: number): number {
  const key = (x: number) => {
    const i = new Int32Array(new Float32Array([x]).buffer)[0]!;
    return i < 0 ? -(i & 0x7fffffff) : i;
  };
  return Math.abs(key(a) - key(b));
}

function bytesOf(m: Model, t: TensorDef): Uint8Array | null {
  const d = m.buffers[t.buffer]?.data;
  return d && d.byteLength > 0 ? d : null;
}

function producers(m: Model): Map<number, { op: number; slot: number }> {
  const p = new Map<number, { op: number; slot: number }>();
  m.subgraphs[0]!.operators.forEach((op, i) => op.outputs.forEach((t, slot) => p.set(t, { op: i, slot })));
  return p;
}

function consumers(m: Model): Map<number, string[]> {
  const c = new Map<number, string[]>();
  for (const op of m.subgraphs[0]!.operators) {
    op.inputs.forEach((t, k) => { if (t >= 0) c.set(t, [...(c.get(t) ?? []), `${opTypeName(m.operatorCodes[op.opcodeIndex]!)} input ${k}`]); });
  }
  return c;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function f32(b: Uint8Array): Float32Array {
  const copy = b.slice();
  return new Float32Array(copy.buffer, 0, copy.byteLength >> 2);
}

/** Compares `ours` with `theirs` (subgraph 0) as graphs; see the file comment. */
export function diffModels(ours: Model, theirs: Model): ModelDiff {
  const A = ours.subgraphs[0]!;
  const B = theirs.subgraphs[0]!;
  const structural: string[] = [];
  const constants: ConstantDifference[] = [];
  const scales: ScaleDifference[] = [];
  const prodA = producers(ours);
  const prodB = producers(theirs);
  const usesB = consumers(theirs);
  const tensorMap = new Map<number, number>();
  const opMap = new Map<number, number>();
  const opName = (m: Model, op: OperatorDef) => opTypeName(m.operatorCodes[op.opcodeIndex]!);
  const fail = (msg: string) => { if (structural.length < 50) structural.push(msg); };

  if (A.inputs.length !== B.inputs.length || A.outputs.length !== B.outputs.length) {
    fail(`graph inputs/outputs ${A.inputs.length}/${A.outputs.length} vs ${B.inputs.length}/${B.outputs.length}`);
  }
  const stack: [number, number, string][] = A.outputs.map((t, k) => [t, B.outputs[k] ?? -1, `output ${k}`]);
  while (stack.length) {
    const [a, b, path] = stack.pop()!;
    if (a < 0 || b < 0) {
      if (a !== b) fail(`${path}: optional input present in one model only`);
      continue;
    }
    const seen = tensorMap.get(a);
    if (seen !== undefined) {
      if (seen !== b) fail(`${path}: tensor ${a} of ours stands for LCE's ${seen} and ${b}`);
      continue;
    }
    tensorMap.set(a, b);
    const ta = A.tensors[a]!;
    const tb = B.tensors[b]!;
    const where = `${path} (LCE tensor '${tb.name}')`;
    if (ta.dtype !== tb.dtype) fail(`${where}: dtype ${ta.dtype} vs ${tb.dtype}`);
    if (!isDeepStrictEqual(ta.shape, tb.shape)) fail(`${where}: shape [${ta.shape}] vs [${tb.shape}]`);
    if (!isDeepStrictEqual(ta.quantization ?? null, tb.quantization ?? null)) {
      const qa = ta.quantization;
      const qb = tb.quantization;
      if (qa && qb && qa.scale.length === qb.scale.length && isDeepStrictEqual({ ...qa, scale: [] }, { ...qb, scale: [] })) {
        const maxUlps = Math.max(...qa.scale.map((v, i) => ulpDistance(v, qb.scale[i]!)));
        scales.push({ ours: a, theirs: b, name: tb.name, uses: usesB.get(b) ?? [], maxUlps });
      } else {
        fail(`${where}: quantization differs`);
      }
    }
    if (ta.isVariable !== tb.isVariable) fail(`${where}: isVariable differs`);
    const da = bytesOf(ours, ta);
    const db = bytesOf(theirs, tb);
    if (da || db) {
      if (!da || !db) { fail(`${where}: constant in one model only`); continue; }
      if (sameBytes(da, db)) continue;
      if (ta.dtype !== 'float32' || da.byteLength !== db.byteLength) { fail(`${where}: constant data differs`); continue; }
      const va = f32(da);
      const vb = f32(db);
      const indices: number[] = [];
      let differing = 0;
      let maxUlps = 0;
      let maxAbsDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < va.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(vb[i]!));
        if (Object.is(va[i], vb[i])) continue;
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(va[i]! - vb[i]!));
        differing++;
        maxUlps = Math.max(maxUlps, ulpDistance(va[i]!, vb[i]!));
        if (indices.length < 64) indices.push(i);
      }
      constants.push({ ours: a, theirs: b, name: tb.name, uses: usesB.get(b) ?? [], elements: va.length, differing, maxUlps, maxAbsDiff, maxAbs, indices });
      continue;
    }
    const pa = prodA.get(a);
    const pb = prodB.get(b);
    if (!pa || !pb) {
      if (pa || pb) { fail(`${where}: produced by an op in one model only`); continue; }
      const ia = A.inputs.indexOf(a);
      if (ia < 0 || ia !== B.inputs.indexOf(b)) fail(`${where}: neither constant, op output nor the same graph input`);
      continue;
    }
    if (pa.slot !== pb.slot) fail(`${where}: output ${pa.slot} vs ${pb.slot} of its op`);
    const seenOp = opMap.get(pa.op);
    if (seenOp !== undefined) {
      if (seenOp !== pb.op) fail(`${where}: op ${pa.op} of ours stands for LCE's ops ${seenOp} and ${pb.op}`);
      continue;
    }
    opMap.set(pa.op, pb.op);
    const oa = A.operators[pa.op]!;
    const ob = B.operators[pb.op]!;
    const opWhere = `${where} ← ${opName(theirs, ob)} (LCE op ${pb.op})`;
    if (opName(ours, oa) !== opName(theirs, ob)) { fail(`${opWhere}: op ${opName(ours, oa)} vs ${opName(theirs, ob)}`); continue; }
    if (oa.builtinOptionsType !== ob.builtinOptionsType || !isDeepStrictEqual(oa.builtinOptions, ob.builtinOptions)) {
      fail(`${opWhere}: builtin options ${JSON.stringify(oa.builtinOptions)} vs ${JSON.stringify(ob.builtinOptions)}`);
    }
    if (!sameBytes(oa.customOptions ?? new Uint8Array(), ob.customOptions ?? new Uint8Array())) fail(`${opWhere}: custom options differ`);
    if (oa.inputs.length !== ob.inputs.length || oa.outputs.length !== ob.outputs.length) { fail(`${opWhere}: input/output counts differ`); continue; }
    const label = `${opName(theirs, ob)} (LCE op ${pb.op})`;
    oa.outputs.forEach((t, k) => { if (t !== a) stack.push([t, ob.outputs[k]!, `${label} output ${k}`]); });
    oa.inputs.forEach((t, k) => stack.push([t, ob.inputs[k]!, `${label} input ${k}`]));
  }
  if (opMap.size !== A.operators.length || new Set(opMap.values()).size !== B.operators.length) {
    fail(`ops reached from the outputs: ${opMap.size} of our ${A.operators.length}, ${new Set(opMap.values()).size} of LCE's ${B.operators.length}`);
  }
  return { structural, constants, scales, ops: A.operators.length, tensors: tensorMap.size };
}

/** A copy of `ours` whose differing float32 constants (and scales) carry `theirs`'s values (buffers are never shared). */
export function withConstantsOf(ours: Model, theirs: Model, constants: ConstantDifference[], scales: ScaleDifference[] = []): Model {
  const buffers = ours.buffers.map((b) => ({ data: b.data }));
  const tensors = ours.subgraphs[0]!.tensors.map((t) => ({ ...t }));
  for (const s of scales) tensors[s.ours]!.quantization = { ...tensors[s.ours]!.quantization!, scale: [...theirs.subgraphs[0]!.tensors[s.theirs]!.quantization!.scale] };
  for (const c of constants) {
    const data = theirs.buffers[theirs.subgraphs[0]!.tensors[c.theirs]!.buffer]!.data.slice();
    tensors[c.ours]!.buffer = buffers.length;
    buffers.push({ data });
  }
  return { ...ours, buffers, subgraphs: [{ ...ours.subgraphs[0]!, tensors }, ...ours.subgraphs.slice(1)] };
}

/** float32 ulp of |x| (the spacing of floats at x's binade; subnormal spacing below 2^-126). */
export function ulpOf(x: number): number {
  const a = Math.abs(x);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/**
 * Why `diff` is NOT just BatchNorm-fold rounding (empty: it is): any structural difference, a differing constant
 * outside a BN-folded slot (BN_FOLDED_SLOTS), a multiplier element more than BN_FOLD_MAX_ULPS ulps away, a bias
 * more than BN_FOLD_MAX_ULPS ulps of its buffer's largest |value| away.
 */
export function bnFoldProblems(diff: ModelDiff): string[] {
  const problems = [...diff.structural];
  const role = new Map(BN_FOLDED_SLOTS.map(([op, k, r]) => [`${op} input ${k}`, r]));
  for (const q of diff.scales) {
    // An int8 conv whose float filter had a BN folded in: scale = max|w·m| / 127 inherits m's rounding.
    if (q.uses.length === 0 || q.uses.some((u) => !role.has(u))) problems.push(`quantization scales of '${q.name}' (${q.uses.join(', ')}) differ, not a BN-folded operand`);
    else if (q.maxUlps > BN_FOLD_MAX_ULPS) problems.push(`quantization scales of '${q.name}': ${q.maxUlps} ulps > ${BN_FOLD_MAX_ULPS}`);
  }
  for (const c of diff.constants) {
    const roles = new Set(c.uses.map((u) => role.get(u)));
    if (roles.size !== 1 || roles.has(undefined)) { problems.push(`constant '${c.name}' (${c.uses.join(', ')}) is not a BN-folded operand`); continue; }
    if (roles.has('multiplier') && c.maxUlps > BN_FOLD_MAX_ULPS) problems.push(`multiplier '${c.name}': ${c.maxUlps} ulps > ${BN_FOLD_MAX_ULPS}`);
    if (roles.has('bias') && c.maxAbsDiff > BN_FOLD_MAX_ULPS * ulpOf(c.maxAbs)) {
      problems.push(`bias '${c.name}': |diff| ${c.maxAbsDiff.toExponential(2)} > ${BN_FOLD_MAX_ULPS} ulps of max |b| ${c.maxAbs.toExponential(2)}`);
    }
  }
  return problems;
}

/** Summary line of a BN-fold-only diff, e.g. for converter-check.json. */
export function bnFoldSummary(diff: ModelDiff): { constants: number; elements: number; differing: number; maxMultiplierUlps: number; maxBiasUlpsOfMax: number; scales?: number } {
  const role = new Map(BN_FOLDED_SLOTS.map(([op, k, r]) => [`${op} input ${k}`, r]));
  let maxMultiplierUlps = 0;
  let maxBiasUlpsOfMax = 0;
  for (const c of diff.constants) {
    if (c.uses.every((u) => role.get(u) === 'multiplier')) maxMultiplierUlps = Math.max(maxMultiplierUlps, c.maxUlps);
    else maxBiasUlpsOfMax = Math.max(maxBiasUlpsOfMax, c.maxAbsDiff / ulpOf(c.maxAbs));
  }
  return {
    constants: diff.constants.length,
    elements: diff.constants.reduce((s, c) => s + c.elements, 0),
    differing: diff.constants.reduce((s, c) => s + c.differing, 0),
    maxMultiplierUlps, maxBiasUlpsOfMax,
    ...(diff.scales.length ? { scales: diff.scales.length } : {}),
  };
}
