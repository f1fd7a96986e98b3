/**
 * LCE's model-design guide ("Optimizing models for LCE") as checks over a model, each finding measured in the
 * units the kernels spend: binary MACs (±1 products) for LceBconv2d, bit-ANDs for LceBMaxPool2d, and float ops
 * (MACs for float convolutions/dense, one per output element for element-wise ops) for the rest.
 *
 * The binary convolution runs as xor-popcount GEMM over an im2col matrix: the input channels are bitpacked in
 * 32-bit words per tap (cin → multiple of 32), the im2col row of kh·kw·(padded cin) bits is padded to a multiple
 * of 128 bits, and output channels are computed in blocks of 8. Executed work is therefore
 *   pixels · pad8(cout) · pad128(kh·kw·pad32(cin))            (per group)
 * and the difference to the useful pixels · cout · kh·kw·cin is split between the three padding checks in
 * that order, so the three wastes add up to exactly executed − useful.
 */
import type { Model } from '../graph/model.js';
import { opWork, type ShapeOnly } from './work.js';
import { graphFromModel, type LintGraph, type LintOp, type LintTensor } from './graph.js';

export type CheckId =
  | 'cin-multiple-of-32'
  | 'cout-multiple-of-8'
  | 'im2col-depth-multiple-of-128'
  | 'same-zero-padding'
  | 'bn-before-relu'
  | 'quant-dense'
  | 'bmaxpool-channels';

export interface Work {
  /** Binary MACs (bconv) and bit-ANDs (bmaxpool). */
  binary: number;
  /** Float ops: MACs for float conv/dense, one per output element otherwise. */
  float: number;
}

export interface LintFinding {
  check: CheckId;
  /** Keras layer name, or the op's output tensor name for a .tflite. */
  layer: string;
  op: string;
  opIndex: number;
  severity: 'warning' | 'info';
  message: string;
  fix: string;
  wasted: Work;
  /** wasted (binary + float) / the layer's executed work (binary + float). */
  layerShare: number;
  /** wasted (binary + float) / the layer's useful work. */
  usefulRatio: number;
  /** wasted (binary + float) / the model's total executed work. */
  modelShare: number;
  /** The numbers the message is made of (channels before/after padding, taps outside, …). */
  detail: Record<string, number>;
}

export interface LintLayer {
  layer: string;
  op: string;
  opIndex: number;
  /** Work that computes the result. */
  useful: Work;
  /** Work the kernels actually do, padding and corrections included. */
  executed: Work;
}

export interface LintFix {
  layer: string;
  check: CheckId;
  fix: string;
  saves: number;
  modelShare: number;
}

export interface LintSummary {
  binaryUseful: number;
  binaryExecuted: number;
  floatOps: number;
  /** binaryExecuted + floatOps. */
  total: number;
  wasted: Work;
  /** (wasted.binary + wasted.float) / total. */
  wastedShare: number;
  /** The (at most three) fixes that save the most work, largest first. */
  topFixes: LintFix[];
}

export interface LintReport {
  model: string;
  source: 'tflite' | 'keras';
  layers: LintLayer[];
  findings: LintFinding[];
  summary: LintSummary;
  notes: string[];
}

const ACTIVATIONS = new Set(['RELU', 'RELU6', 'RELU_N1_TO_1']);
const FOLDABLE = new Set(['ADD', 'SUB', 'MUL', 'DIV']);

export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function pct(x: number): string {
  const p = x * 100;
  if (p === 0) return '0 %';
  if (Math.abs(p) >= 10 || Number.isInteger(p)) return `${Number(p.toFixed(1))} %`;
  return `${Number(p.toPrecision(2))} %`;
}

/** Binary-convolution geometry, from the op's tensors and options (lce-ops.md §3.3). */
export interface BconvGeometry {
  batch: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  groups: number;
  cin: number;
  cout: number;
  same: boolean;
  padValue: number;
}

export function bconvGeometry(op: LintOp): BconvGeometry | undefined {
  const input = op.inputs[0];
  const filter = op.inputs[1];
  const out = op.outputs[0];
  if (!input || !filter || !out || input.shape.length !== 4 || filter.shape.length !== 4 || out.shape.length !== 4) return undefined;
  const [cout = 1, kh = 1, kw = 1, words = 1] = filter.shape;
  const inputWords = input.shape[3] ?? words;
  const groups = words > 0 && inputWords > words && inputWords % words === 0 ? inputWords / words : 1;
  const o = op.options;
  return {
    batch: out.shape[0] ?? 1,
    inH: input.shape[1] ?? 1,
    inW: input.shape[2] ?? 1,
    outH: out.shape[1] ?? 1,
    outW: out.shape[2] ?? 1,
    kh,
    kw,
    sh: num(o.stride_height, 1),
    sw: num(o.stride_width, 1),
    dh: num(o.dilation_height_factor, 1),
    dw: num(o.dilation_width_factor, 1),
    groups,
    cin: num(o.channels_in, inputWords * 32),
    cout,
    same: num(o.padding, 1) === 0,
    padValue: num(o.pad_values, 0),
  };
}

/** Σ over output positions of the taps that land inside the input, along one axis (SAME geometry, §1.4). */
function insideTaps(inSize: number, outSize: number, k: number, stride: number, dilation: number): number {
  const total = Math.max(0, (outSize - 1) * stride + (k - 1) * dilation + 1 - inSize);
  const before = Math.floor(total / 2);
  let n = 0;
  for (let o = 0; o < outSize; o++) {
    for (let t = 0; t < k; t++) {
      const i = o * stride - before + t * dilation;
      if (i >= 0 && i < inSize) n++;
    }
  }
  return n;
}

/** Out-of-image taps summed over all output pixels, and the number of output pixels that have any. */
export function outsideTaps(g: BconvGeometry): { taps: number; borderPixels: number } {
  const insideY = insideTaps(g.inH, g.outH, g.kh, g.sh, g.dh);
  const insideX = insideTaps(g.inW, g.outW, g.kw, g.sw, g.dw);
  const taps = g.batch * (g.outH * g.outW * g.kh * g.kw - insideY * insideX);
  const fullRows = countFull(g.inH, g.outH, g.kh, g.sh, g.dh);
  const fullCols = countFull(g.inW, g.outW, g.kw, g.sw, g.dw);
  return { taps, borderPixels: g.batch * (g.outH * g.outW - fullRows * fullCols) };
}

function countFull(inSize: number, outSize: number, k: number, stride: number, dilation: number): number {
  const total = Math.max(0, (outSize - 1) * stride + (k - 1) * dilation + 1 - inSize);
  const before = Math.floor(total / 2);
  let n = 0;
  for (let o = 0; o < outSize; o++) {
    const first = o * stride - before;
    if (first >= 0 && first + (k - 1) * dilation < inSize) n++;
  }
  return n;
}

/** The bconv's work split by padding step (see the file comment). */
export interface BconvWork {
  useful: number;
  executed: number;
  cinWaste: number;
  depthWaste: number;
  coutWaste: number;
  cinPadded: number;
  depth: number;
  depthPadded: number;
  coutPadded: number;
}

export function bconvWork(g: BconvGeometry): BconvWork {
  const pixels = g.batch * g.outH * g.outW;
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const taps = g.kh * g.kw;
  const cinPadded = roundUp(cinG, 32);
  const depth = taps * cinPadded;
  const depthPadded = roundUp(depth, 128);
  const coutPadded = roundUp(coutG, 8);
  const G = g.groups * pixels;
  return {
    useful: G * coutG * taps * cinG,
    executed: G * coutPadded * depthPadded,
    cinWaste: G * coutG * taps * (cinPadded - cinG),
    depthWaste: G * coutG * (depthPadded - depth),
    coutWaste: G * (coutPadded - coutG) * depthPadded,
    cinPadded,
    depth,
    depthPadded,
    coutPadded,
  };
}

interface Draft {
  check: CheckId;
  op: LintOp;
  severity: 'warning' | 'info';
  message: string;
  fix: string;
  wasted: Work;
  detail: Record<string, number>;
}

interface Consumers {
  of(t: LintTensor): LintOp[];
  isOutput(t: LintTensor): boolean;
  producer(t: LintTensor): LintOp | undefined;
}

function indexGraph(g: LintGraph): Consumers {
  const consumers = new Map<LintTensor, LintOp[]>();
  const producers = new Map<LintTensor, LintOp>();
  for (const op of g.ops) {
    for (const t of op.inputs) if (t) consumers.set(t, [...(consumers.get(t) ?? []), op]);
    for (const t of op.outputs) producers.set(t, op);
  }
  const outs = new Set(g.outputs);
  return { of: (t) => consumers.get(t) ?? [], isOutput: (t) => outs.has(t), producer: (t) => producers.get(t) };
}

/**
 * The float ops after a bconv that LCE's converter would have folded into it (affine ops and activations, each
 * the sole consumer of the previous output), and whether the chain ends in an LceQuantize (a bitpacked output
 * the bconv could have written directly).
 */
function unfusedChain(bconv: LintOp, idx: Consumers): { ops: LintOp[]; quantize: LintOp | undefined } {
  const ops: LintOp[] = [];
  let t = bconv.outputs[0];
  for (;;) {
    if (!t || idx.isOutput(t)) return { ops, quantize: undefined };
    const cs = idx.of(t);
    if (cs.length !== 1) return { ops, quantize: undefined };
    const c = cs[0]!;
    if (c.type === 'LceQuantize') return { ops, quantize: c };
    const isFoldable = FOLDABLE.has(c.type) && c.inputs.length === 2 && c.inputs.some((x) => x?.isConst) && num(c.options.fusedActivationFunction, 0) === 0;
    if (!ACTIVATIONS.has(c.type) && !isFoldable) return { ops, quantize: undefined };
    ops.push(c);
    t = c.outputs[0];
  }
}

function elements(op: LintOp): number {
  const o = op.outputs[0];
  return o ? size(o.shape) : 0;
}

/** The unpacked channel count of a bitpacked tensor, traced to the op that packed it. */
function packedChannels(t: LintTensor, idx: Consumers, depth = 0): number | undefined {
  const p = idx.producer(t);
  if (!p || depth > 64) return undefined;
  if (p.type === 'LceQuantize') {
    const src = p.inputs[0];
    return src ? src.shape[src.shape.length - 1] : undefined;
  }
  if (p.type === 'LceBconv2d') return p.inputs[1]?.shape[0];
  if (p.type === 'LceBMaxPool2d' && p.inputs[0]) return packedChannels(p.inputs[0], idx, depth + 1);
  return undefined;
}

function shapeOnly(t: LintTensor | null): ShapeOnly | null {
  return t ? { shape: t.shape, dtype: t.dtype } : null;
}

function kerasClass(g: LintGraph, layer: string): string | undefined {
  return g.kerasLayers?.get(layer)?.className;
}

const RELU_CLASSES = new Set(['ReLU', 'Activation']);

/** Runs every check of the design guide over the graph. */
export function lintGraph(g: LintGraph): LintReport {
  const idx = indexGraph(g);
  const layers: LintLayer[] = [];
  const drafts: Draft[] = [];
  const notes: string[] = [];
  const layerWork = new Map<LintOp, LintLayer>();

  for (const op of g.ops) {
    if (op.type === 'LceBconv2d') {
      const geo = bconvGeometry(op);
      if (!geo) {
        notes.push(`${op.layer}: LceBconv2d without 4-D input/filter/output shapes was skipped`);
        continue;
      }
      const w = bconvWork(geo);
      const entry: LintLayer = { layer: op.layer, op: op.type, opIndex: op.index, useful: { binary: w.useful, float: 0 }, executed: { binary: w.executed, float: 0 } };
      layers.push(entry);
      layerWork.set(op, entry);
      checkBconv(g, op, geo, w, idx, drafts, entry);
    } else if (op.type === 'LceBMaxPool2d') {
      const input = op.inputs[0];
      const out = op.outputs[0];
      if (!input || !out || out.shape.length !== 4) continue;
      const words = out.shape[3] ?? 1;
      const c = packedChannels(input, idx) ?? words * 32;
      const window = num(op.options.filter_height, 1) * num(op.options.filter_width, 1);
      const pixels = size(out.shape.slice(0, 3));
      const executed = pixels * window * words * 32;
      const useful = pixels * window * c;
      layers.push({ layer: op.layer, op: op.type, opIndex: op.index, useful: { binary: useful, float: 0 }, executed: { binary: executed, float: 0 } });
      if (c % 32 !== 0) {
        drafts.push({
          check: 'bmaxpool-channels', op, severity: 'warning',
          message: `channels=${c} → ${words * 32}: ${pct((words * 32 - c) / (words * 32))} of this binary max-pool's work is padding (it ANDs whole 32-channel words)`,
          fix: `give the layer feeding this max-pool a multiple of 32 channels (${roundUp(c, 32)})`,
          wasted: { binary: executed - useful, float: 0 }, detail: { channels: c, padded: words * 32 },
        });
      }
    } else {
      const work = opWork(op.type, op.inputs.map(shapeOnly), op.outputs.map((t) => ({ shape: t.shape, dtype: t.dtype })));
      // LceQuantize reads one float per channel but writes packed words: count what it reads.
      const quantizeIn = op.type === 'LceQuantize' && op.inputs[0] ? size(op.inputs[0].shape) : 0;
      const f = work.macs > 0 ? work.macs : Math.max(work.ops, quantizeIn);
      const entry: LintLayer = { layer: op.layer, op: op.type, opIndex: op.index, useful: { binary: 0, float: f }, executed: { binary: 0, float: f } };
      layers.push(entry);
      layerWork.set(op, entry);
      if (op.type === 'FULLY_CONNECTED' && isBinaryInput(op, idx)) {
        drafts.push({
          check: 'quant-dense', op, severity: 'warning',
          message: `binary dense layer run as a float FULLY_CONNECTED on ±1 values: ${work.macs} float MACs that a binary op would do as ${work.macs} binary MACs (LCE has no binary dense op)`,
          fix: 'replace the QuantDense by Reshape((1, 1, -1)) → 1×1 QuantConv2D → Reshape((-1,)), or convert with lce-js, whose converter does this rewrite automatically',
          wasted: { binary: 0, float: work.macs }, detail: { floatMacs: work.macs },
        });
      }
    }
  }

  // Keras QuantDense layers that lce-js turned into a 1×1 bconv: nothing is wasted, but the guide's advice applies
  // to real LCE, so say what happened.
  if (g.kerasLayers) {
    for (const [name, info] of g.kerasLayers) {
      if (info.className !== 'QuantDense') continue;
      const bconv = g.ops.find((op) => op.layer === name && op.type === 'LceBconv2d');
      if (!bconv) continue;
      const entry = layerWork.get(bconv);
      const macs = entry?.useful.binary ?? 0;
      drafts.push({
        check: 'quant-dense', op: bconv, severity: 'info',
        message: `QuantDense: LCE does not accelerate it (its converter leaves a float FULLY_CONNECTED of ${macs} float MACs); lce-js's converter rewrote it to Reshape → 1×1 LceBconv2d → Reshape automatically (${macs} binary MACs)`,
        fix: 'none needed with lce-js; for real LCE use Reshape((1, 1, -1)) → 1×1 QuantConv2D → Reshape((-1,))',
        wasted: { binary: 0, float: 0 }, detail: { binaryMacs: macs },
      });
    }
  }

  const binaryUseful = layers.reduce((s, l) => s + l.useful.binary, 0);
  const binaryExecuted = layers.reduce((s, l) => s + l.executed.binary, 0);
  const floatOps = layers.reduce((s, l) => s + l.executed.float, 0);
  const total = binaryExecuted + floatOps;
  const findings: LintFinding[] = drafts.map((d) => {
    const entry = layerWork.get(d.op) ?? layers.find((l) => l.opIndex === d.op.index);
    const w = d.wasted.binary + d.wasted.float;
    const exec = entry ? entry.executed.binary + entry.executed.float : 0;
    const useful = entry ? entry.useful.binary + entry.useful.float : 0;
    return {
      check: d.check, layer: d.op.layer, op: d.op.type, opIndex: d.op.index, severity: d.severity,
      message: d.message, fix: d.fix, wasted: d.wasted,
      layerShare: exec > 0 ? w / exec : 0,
      usefulRatio: useful > 0 ? w / useful : 0,
      modelShare: total > 0 ? w / total : 0,
      detail: d.detail,
    };
  });
  const wasted = findings.reduce((s, f) => ({ binary: s.binary + f.wasted.binary, float: s.float + f.wasted.float }), { binary: 0, float: 0 });
  const topFixes = findings
    .filter((f) => f.wasted.binary + f.wasted.float > 0)
    .map((f) => ({ layer: f.layer, check: f.check, fix: f.fix, saves: f.wasted.binary + f.wasted.float, modelShare: f.modelShare }))
    .sort((a, b) => b.saves - a.saves || a.layer.localeCompare(b.layer))
    .slice(0, 3);
  if (g.source === 'tflite') {
    notes.push('read from a .tflite: layer names are op output tensors; BatchNormalization placement is inferred from the float ops after each LceBconv2d');
  }
  return {
    model: g.name,
    source: g.source,
    layers,
    findings,
    summary: { binaryUseful, binaryExecuted, floatOps, total, wasted, wastedShare: total > 0 ? (wasted.binary + wasted.float) / total : 0, topFixes },
    notes,
  };
}

/** The smallest multiple of 32 ≥ cin that makes taps·cin a multiple of 128. */
export function depthFriendlyCin(taps: number, cin: number): number {
  let c = roundUp(Math.max(cin, 1), 32);
  while ((taps * c) % 128 !== 0) c += 32;
  return c;
}

function isBinaryInput(op: LintOp, idx: Consumers): boolean {
  const x = op.inputs[0];
  const p = x ? idx.producer(x) : undefined;
  return p?.type === 'LceDequantize';
}

function checkBconv(g: LintGraph, op: LintOp, geo: BconvGeometry, w: BconvWork, idx: Consumers, drafts: Draft[], entry: LintLayer): void {
  const cinG = geo.cin / geo.groups;
  const coutG = geo.cout / geo.groups;
  const per = geo.groups > 1 ? ' per group' : '';
  if (w.cinWaste > 0) {
    drafts.push({
      check: 'cin-multiple-of-32', op, severity: 'warning',
      message: `cin=${cinG}${per} → ${w.cinPadded}: ${pct((w.cinPadded - cinG) / w.cinPadded)} of this layer's channel work is padding (the bconv and bmaxpool operate on 32-channel words)`,
      fix: `use ${w.cinPadded} input channels${per} (a multiple of 32): same speed, more capacity${cinG > 32 ? `, or ${roundUp(cinG, 32) - 32} to save the work` : ''}`,
      wasted: { binary: w.cinWaste, float: 0 }, detail: { cin: cinG, cinPadded: w.cinPadded },
    });
  }
  if (w.depthWaste > 0) {
    const real = geo.kh * geo.kw * cinG;
    const depthText = w.cinPadded !== cinG
      ? `${geo.kh}·${geo.kw}·${cinG} = ${real}; with the channels padded to ${w.cinPadded} the im2col depth is ${w.depth} → ${w.depthPadded}`
      : `${geo.kh}·${geo.kw}·${cinG} = ${w.depth} → ${w.depthPadded}`;
    drafts.push({
      // The guide ranks this below the other checks: it is hard to meet with 1×1/3×3 kernels and few channels.
      check: 'im2col-depth-multiple-of-128', op, severity: 'info',
      message: `k·k·cin = ${depthText}: ${pct((w.depthPadded - w.depth) / w.depthPadded)} of the im2col depth is padding`,
      fix: `make kh·kw·cin a multiple of 128, or close below one (e.g. cin=${depthFriendlyCin(geo.kh * geo.kw, cinG)}: ${geo.kh}·${geo.kw}·${depthFriendlyCin(geo.kh * geo.kw, cinG)} = ${geo.kh * geo.kw * depthFriendlyCin(geo.kh * geo.kw, cinG)})`,
      wasted: { binary: w.depthWaste, float: 0 }, detail: { kh: geo.kh, kw: geo.kw, cin: cinG, depth: w.depth, depthPadded: w.depthPadded },
    });
  }
  if (w.coutWaste > 0) {
    drafts.push({
      check: 'cout-multiple-of-8', op, severity: 'warning',
      message: `cout=${coutG}${per} → ${w.coutPadded}: ${pct((w.coutPadded - coutG) / w.coutPadded)} of this layer's binary work is computed and thrown away (the bconv computes 8 output channels at a time)`,
      fix: `use ${w.coutPadded} output channels${per} (a multiple of 8)${coutG > 8 ? ` or ${w.coutPadded - 8}` : ''}`,
      wasted: { binary: w.coutWaste, float: 0 }, detail: { cout: coutG, coutPadded: w.coutPadded },
    });
  }

  const sameZero = geo.same && geo.padValue === 0;
  const chain = op.outputs[0]?.dtype === 'int32' ? { ops: [], quantize: undefined } : unfusedChain(op, idx);
  const chainOps = chain.ops.reduce((s, c) => s + elements(c), 0);
  const quantizeOps = chain.quantize ? elements(op) : 0;
  const blocked = chainOps + quantizeOps;

  if (sameZero) {
    const { taps, borderPixels } = outsideTaps(geo);
    const correction = taps * geo.cout;
    entry.executed.float += correction;
    const blockedText: string[] = [];
    if (chain.ops.length > 0) blockedText.push(`${chain.ops.map((c) => c.type).join(' → ')} (${chainOps} float ops) stays separate instead of fusing`);
    if (chain.quantize) blockedText.push(`the output is written as float and re-quantized (${quantizeOps} ops) instead of bitpacked directly`);
    drafts.push({
      check: 'same-zero-padding', op, severity: 'warning',
      message: `same-zero padding: ${borderPixels} border pixels with ${taps} taps outside the image need a correction of ${correction} float ops (taps outside × cout)` +
        (blockedText.length > 0 ? `; and it blocks fusion: ${blockedText.join('; ')}` : '; it also blocks fusing a following ReLU and a bitpacked output'),
      fix: `use padding="same" with pad_values=1.0 ("same-one", as in QuickNet)`,
      wasted: { binary: 0, float: correction + blocked }, detail: { borderPixels, outsideTaps: taps, correction, unfusedOps: blocked },
    });
    return;
  }

  const firstAct = chain.ops.findIndex((c) => ACTIVATIONS.has(c.type));
  if (firstAct < 0) return;
  const act = chain.ops[firstAct]!;
  const tail = chain.ops.slice(firstAct);
  const wastedOps = tail.reduce((s, c) => s + elements(c), 0) + quantizeOps;
  let path = `${op.type} → ${chain.ops.slice(0, firstAct + 1).map((c) => c.type).join(' → ')}`;
  if (g.kerasLayers) {
    // Name the Keras layers: the conv, the BatchNormalization folded into it, the ReLU left behind.
    const actInfo = g.kerasLayers.get(act.layer);
    const bn = actInfo?.inputLayers.find((l) => kerasClass(g, l) === 'BatchNormalization');
    path = [op.layer, ...(bn ? [bn] : []), act.layer].join(' → ');
    if (actInfo && !RELU_CLASSES.has(actInfo.className)) path += ` (${actInfo.className})`;
  }
  drafts.push({
    check: 'bn-before-relu', op, severity: 'warning',
    message: `BatchNormalization before ${act.type} after a binary conv (${path}): the batch-norm folds into the bconv, so the ${act.type} cannot fuse (${tail.map((c) => c.type).join(' → ')} run as ${tail.reduce((s, c) => s + elements(c), 0)} separate float ops${chain.quantize ? `, and the output is re-quantized (${quantizeOps} ops) instead of written bitpacked` : ''})`,
    fix: 'reorder to QuantConv2D → ReLU → BatchNormalization (or QuantConv2D(activation="relu") → BatchNormalization): all of it fuses into the bconv',
    wasted: { binary: 0, float: wastedOps }, detail: { unfusedOps: wastedOps },
  });
}

/** Lints an in-memory TFLite model (ours or one made by real LCE). */
export function lintModel(model: Model, name = 'model'): LintReport {
  return lintGraph(graphFromModel(model, name));
}
