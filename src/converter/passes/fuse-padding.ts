/**
 * §4.9: PAD (or PADV2 with 0.0) read only by a VALID float CONV_2D / DEPTHWISE_CONV_2D becomes that conv with SAME
 * padding, when the explicit padding is exactly TFLite's SAME padding (e.g. ZeroPadding2D → Conv2D "valid").
 */
import { floatData, type IrGraph } from '../ir.js';
import { isSamePadding } from './binary-conv.js';
import { Pad } from './common.js';
import type { Pass } from './pass.js';

export const fusePadding: Pass = {
  name: 'fuse-padding',
  run(g: IrGraph) {
    let n = 0;
    for (const conv of [...g.ops]) {
      if ((conv.type !== 'CONV_2D' && conv.type !== 'DEPTHWISE_CONV_2D') || conv.options.padding !== Pad.VALID) continue;
      const padded = conv.inputs[0];
      const pad = padded ? g.producer(padded) : undefined;
      if (!padded || !pad || (pad.type !== 'PAD' && pad.type !== 'PADV2') || g.soleConsumer(padded) !== conv) continue;
      if (pad.type === 'PADV2') {
        const v = floatData(pad.inputs[2]);
        if (!v || v.length !== 1 || v[0] !== 0) continue;
      }
      const filter = conv.inputs[1];
      if (!filter) continue;
      if (!isSamePadding(pad, conv, filter.shape[1], filter.shape[2])) continue;
      conv.inputs[0] = pad.inputs[0];
      conv.options = { ...conv.options, padding: Pad.SAME };
      g.remove(pad);
      n++;
    }
    return n;
  },
};
