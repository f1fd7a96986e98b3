/**
 * §4.5, the float-side fusions TensorFlow Lite's optimizer applies inside LCE's pipeline:
 * - CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED followed by a per-channel MUL/DIV (scales the weights and bias)
 *   or ADD/SUB (shifts the bias): BatchNormalization folds into the float convolution;
 * - RELU / RELU6 / RELU_N1_TO_1 after a conv, dense, add, sub, mul or max pool becomes its fused activation;
 * - MAXIMUM(x, 0) is RELU;
 * - a scalar MUL/DIV feeding a float convolution or fully-connected layer folds into its weights;
 * - a RESHAPE feeding a FULLY_CONNECTED (keep_num_dims false) that keeps the last axis is dropped: the layer
 *   flattens its input to [·, last axis] itself.
 */
import { floatData, isConst, type IrGraph, type IrOp, type IrTensor } from '../ir.js';
import { ACTIVATION_OPS, Act, perChannel } from './common.js';
import type { Pass } from './pass.js';

const f32 = Math.fround;
const WEIGHTED = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
// MAX_POOL_2D too: LCE's files carry ReLU fused into a max pool (Larq Zoo BinaryDenseNet transitions).
const ACTIVATABLE = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'SUB', 'MUL', 'MAX_POOL_2D']);

/** Scales output channel o of a float weight tensor (channel axis: 0 for conv/FC, last for depthwise). */
function scaleWeights(op: IrOp, w: Float32Array, shape: number[], v: Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  if (op.type === 'DEPTHWISE_CONV_2D') {
    const c = shape[shape.length - 1];
    for (let k = 0; k < w.length; k++) out[k] = f32(w[k] * v[k % c]);
  } else {
    const per = w.length / shape[0];
    for (let k = 0; k < w.length; k++) out[k] = f32(w[k] * v[Math.floor(k / per)]);
  }
  return out;
}

function foldAffine(g: IrGraph, op: IrOp): boolean {
  if (!WEIGHTED.has(op.type) || op.options.fusedActivationFunction !== Act.NONE) return false;
  const [, w, bias] = op.inputs;
  const wd = floatData(w);
  const bd = floatData(bias);
  if (!w || !wd || !bias || !bd) return false;
  const out = op.outputs[0];
  const next = g.soleConsumer(out);
  if (!next || !['ADD', 'SUB', 'MUL', 'DIV'].includes(next.type) || next.options.fusedActivationFunction !== Act.NONE) return false;
  if (next.inputs[0] !== out && (next.type === 'SUB' || next.type === 'DIV')) return false;
  const other = next.inputs[0] === out ? next.inputs[1] : next.inputs[0];
  const cout = bd.length;
  const v = perChannel(other, cout);
  if (!v || (other && other.shape.length > out.shape.length)) return false;
  if (next.type === 'ADD' || next.type === 'SUB') {
    const s = next.type === 'ADD' ? 1 : -1;
    op.inputs[2] = g.constF32(`${bias.name}/folded`, bd.map((b, i) => f32(b + s * v[i])), [cout]);
  } else {
    const k = next.type === 'MUL' ? v : v.map((x) => f32(1 / x));
    op.inputs[1] = g.constF32(`${w.name}/folded`, scaleWeights(op, wd, w.shape, k), w.shape);
    op.inputs[2] = g.constF32(`${bias.name}/folded`, bd.map((b, i) => f32(b * k[i])), [cout]);
  }
  op.outputs = [next.outputs[0]];
  g.remove(next);
  return true;
}

function fuseActivation(g: IrGraph, op: IrOp): boolean {
  if (!ACTIVATABLE.has(op.type) || op.options.fusedActivationFunction !== Act.NONE) return false;
  const next = g.soleConsumer(op.outputs[0]);
  if (!next || !(next.type in ACTIVATION_OPS)) return false;
  op.options = { ...op.options, fusedActivationFunction: ACTIVATION_OPS[next.type] };
  op.outputs = [next.outputs[0]];
  g.remove(next);
  return true;
}

function maximumZeroToRelu(op: IrOp): boolean {
  if (op.type !== 'MAXIMUM') return false;
  const [a, b] = op.inputs;
  const zero = (t: IrTensor | null): boolean => { const d = floatData(t); return !!d && d.length === 1 && d[0] === 0; };
  const x = zero(b) ? a : zero(a) ? b : null;
  if (!x || isConst(x)) return false;
  op.type = 'RELU';
  op.inputs = [x];
  op.options = {};
  return true;
}

function scaleIntoConv(g: IrGraph, op: IrOp): boolean {
  if (op.type !== 'MUL' && op.type !== 'DIV') return false;
  if (op.options.fusedActivationFunction !== Act.NONE) return false;
  const [x, s] = op.inputs;
  const sd = floatData(s);
  if (!x || isConst(x) || !sd || sd.length !== 1) return false;
  const conv = g.soleConsumer(op.outputs[0]);
  if (!conv || !WEIGHTED.has(conv.type) || conv.inputs[0] !== op.outputs[0]) return false;
  const w = conv.inputs[1];
  const wd = floatData(w);
  if (!w || !wd) return false;
  const k = op.type === 'MUL' ? sd[0] : f32(1 / sd[0]);
  conv.inputs[1] = g.constF32(`${w.name}/input_scaled`, wd.map((v) => f32(v * k)), w.shape);
  conv.inputs[0] = x;
  g.remove(op);
  return true;
}

function reshapeIntoFullyConnected(g: IrGraph, op: IrOp): boolean {
  if (op.type !== 'RESHAPE') return false;
  const x = op.inputs[0];
  const y = op.outputs[0];
  if (!x || isConst(x)) return false;
  const fc = g.soleConsumer(y);
  if (!fc || fc.type !== 'FULLY_CONNECTED' || fc.inputs[0] !== y || fc.options.keepNumDims === true) return false;
  const w = fc.inputs[1];
  if (!w || w.shape.length !== 2 || x.shape[x.shape.length - 1] !== w.shape[1] || y.shape[y.shape.length - 1] !== w.shape[1]) return false;
  fc.inputs[0] = x;
  g.remove(op);
  return true;
}

export const floatFusions: Pass = {
  name: 'float-fusions',
  run(g) {
    let n = 0;
    let changed = true;
    while (changed) {
      changed = false;
      for (const op of g.ops) {
        if (foldAffine(g, op) || fuseActivation(g, op) || maximumZeroToRelu(op) || scaleIntoConv(g, op) || reshapeIntoFullyConnected(g, op)) {
          n++;
          changed = true;
          break;
        }
      }
    }
    return n;
  },
};
