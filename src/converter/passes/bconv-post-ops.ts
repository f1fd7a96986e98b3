/**
 * §4.4: affine ops and ReLUs after a float-output LceBconv2d fold into it. The activation clamp acts on the integer
 * dot product before multiplier/bias, so add/sub/mul/div with per-channel constants always fold into
 * multiplier/bias, while RELU/RELU6/RELU_N1_TO_1 fold only while multiplier = 1, bias = 0, no activation yet and
 * the padding is not same-zero. This is why QuantConv2D → ReLU → BatchNormalization becomes one op.
 */
import { floatData, type IrGraph, type IrOp } from '../ir.js';
import { ACTIVATION_OPS, Act, Pad, perChannel } from './common.js';
import type { Pass } from './pass.js';

const f32 = Math.fround;

function fuseOne(g: IrGraph, bconv: IrOp): boolean {
  const out = bconv.outputs[0];
  const mult = floatData(bconv.inputs[2]);
  const bias = floatData(bconv.inputs[3]);
  if (!mult || !bias || bconv.inputs[4]) return false;
  const next = g.soleConsumer(out);
  if (!next) return false;
  const cout = mult.length;
  const other = next.inputs.length === 2 ? (next.inputs[0] === out ? next.inputs[1] : next.inputs[0]) : null;
  const first = next.inputs[0] === out;
  let m: Float32Array | undefined;
  let b: Float32Array | undefined;
  if (['ADD', 'SUB', 'MUL', 'DIV'].includes(next.type)) {
    if (next.options.fusedActivationFunction !== Act.NONE) return false;
    const v = perChannel(other, cout);
    if (!v) return false;
    if ((next.type === 'SUB' || next.type === 'DIV') && !first) return false;
    if (next.type === 'ADD') b = bias.map((x, i) => f32(x + v[i]));
    else if (next.type === 'SUB') b = bias.map((x, i) => f32(x - v[i]));
    else if (next.type === 'MUL') { m = mult.map((x, i) => f32(x * v[i])); b = bias.map((x, i) => f32(x * v[i])); }
    else { m = mult.map((x, i) => f32(x / v[i])); b = bias.map((x, i) => f32(x / v[i])); }
  } else if (next.type in ACTIVATION_OPS) {
    const sameZero = bconv.options.padding === Pad.SAME && bconv.options.pad_values === 0;
    if (bconv.options.fused_activation_function !== Act.NONE || sameZero) return false;
    if (!mult.every((x) => x === 1) || !bias.every((x) => x === 0)) return false;
    bconv.options = { ...bconv.options, fused_activation_function: ACTIVATION_OPS[next.type] };
  } else return false;
  if (m) bconv.inputs[2] = g.constF32(`${bconv.origin}/post_activation_multiplier`, m, [cout]);
  if (b) bconv.inputs[3] = g.constF32(`${bconv.origin}/post_activation_bias`, b, [cout]);
  bconv.outputs = [next.outputs[0]];
  g.remove(next);
  return true;
}

export const bconvPostOps: Pass = {
  name: 'bconv-post-ops',
  run(g) {
    let n = 0;
    let changed = true;
    while (changed) {
      changed = false;
      for (const op of g.ops) {
        if (op.type === 'LceBconv2d' && fuseOne(g, op)) { n++; changed = true; break; }
      }
    }
    return n;
  },
};
