/**
 * §4.3: CONV_2D(LceDequantize(x), binary constant filter) → LceBconv2d(x) with the ±1 filter (OHWI, packed later),
 * |scale| per output channel as post_activation_multiplier and the conv bias as post_activation_bias.
 * Padding: VALID → VALID/0; SAME → SAME/0 ("same-zero", arm only); PADV2(·, 1.0) then VALID → SAME/1 ("same-one").
 */
import { ConverterError } from '../../errors.js';
import { floatData, type IrGraph, type IrOp, type IrTensor } from '../ir.js';
import { binaryFilter } from './binary-filter.js';
import { Pad, producedBy } from './common.js';
import type { Pass } from './pass.js';

/** When `pad` (a PADV2 of constant 1.0) in front of a VALID conv is exactly TFLite SAME padding. */
export function isSamePadding(pad: IrOp, conv: IrOp, filterH: number, filterW: number): boolean {
  const paddings = pad.inputs[1];
  if (!paddings || !(paddings.data instanceof Int32Array) || paddings.data.length !== 8) return false;
  const p = paddings.data;
  if (p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) return false;
  const x = pad.inputs[0] as IrTensor;
  const axes: [number, number, number, number, number][] = [
    [x.shape[1], p[2], p[3], Number(conv.options.strideH), Number(conv.options.dilationHFactor) * (filterH - 1) + 1],
    [x.shape[2], p[4], p[5], Number(conv.options.strideW), Number(conv.options.dilationWFactor) * (filterW - 1) + 1],
  ];
  for (const [size, before, after, stride, fe] of axes) {
    const total = before + after;
    const out = Math.floor((size + total - fe) / stride) + 1;
    if (out !== Math.ceil(size / stride)) return false;
    if (before !== Math.floor(total / 2) || after !== Math.ceil(total / 2)) return false;
    const sameTotal = Math.max(0, (out - 1) * stride + fe - size);
    if (total !== sameTotal) return false;
  }
  return true;
}

export const binaryConv: Pass = {
  name: 'binary-conv',
  run(g: IrGraph, options) {
    let n = 0;
    for (const conv of [...g.ops]) {
      if (conv.type !== 'CONV_2D' || conv.options.fusedActivationFunction !== 0) continue;
      const [input, filter, bias] = conv.inputs;
      const fd = floatData(filter);
      const bd = floatData(bias);
      if (!input || !filter || !fd || !bd) continue;
      const [cout, fh, fw, cinPerGroup] = filter.shape;
      let padding = Number(conv.options.padding);
      let padValues = 0;
      let deq = producedBy(g, input, 'LceDequantize');
      const pad = producedBy(g, input, 'PADV2');
      if (!deq && pad && padding === Pad.VALID) {
        const value = floatData(pad.inputs[2]);
        deq = producedBy(g, pad.inputs[0], 'LceDequantize');
        if (!deq || !value || value.length !== 1 || value[0] !== 1 || !isSamePadding(pad, conv, fh, fw)) continue;
        padding = Pad.SAME;
        padValues = 1;
      }
      if (!deq) continue;
      if (padding === Pad.SAME && padValues === 0 && options.target === 'xcore') continue;
      const bin = binaryFilter(fd, cout);
      if (!bin) continue;
      const packed = deq.inputs[0] as IrTensor;
      const channelsIn = (deq.outputs[0].shape)[3];
      if (channelsIn % cinPerGroup !== 0) continue;
      const groups = channelsIn / cinPerGroup;
      if (groups > 1 && cinPerGroup % 32 !== 0) {
        throw new ConverterError(`layer '${conv.origin}': invalid binary grouped convolution: ${cinPerGroup} input channels per group is not a multiple of 32`);
      }
      conv.type = 'LceBconv2d';
      conv.inputs = [
        packed,
        g.constF32(`${filter.name}/binary`, bin.signs, [cout, fh, fw, cinPerGroup]),
        g.constF32(`${conv.origin}/post_activation_multiplier`, bin.scales, [cout]),
        g.constF32(`${conv.origin}/post_activation_bias`, Float32Array.from(bd), [cout]),
        null,
      ];
      conv.options = {
        channels_in: channelsIn,
        dilation_height_factor: Number(conv.options.dilationHFactor),
        dilation_width_factor: Number(conv.options.dilationWFactor),
        fused_activation_function: 0,
        pad_values: padValues,
        padding,
        stride_height: Number(conv.options.strideH),
        stride_width: Number(conv.options.strideW),
      };
      n++;
    }
    return n;
  },
};
