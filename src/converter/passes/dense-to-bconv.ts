/**
 * QuantDense → 1×1 binary convolution, automatically (the LCE guide asks users to do this by hand): a
 * FULLY_CONNECTED on a binarised [1, I] input with binary weights becomes
 * `RESHAPE [1,1,1,I] → sign → CONV_2D 1×1 → RESHAPE [1,O]`, which the binary-conv pass then turns into LceBconv2d.
 * LCE itself keeps a float FULLY_CONNECTED fed by LceDequantize (§4.10).
 */
import { floatData, type IrGraph } from '../ir.js';
import { binaryFilter } from './binary-filter.js';
import { producedBy } from './common.js';
import type { Pass } from './pass.js';

export const denseToBconv: Pass = {
  name: 'dense-to-bconv',
  run(g: IrGraph, options) {
    if (!options.denseToBconv) return 0;
    let n = 0;
    for (const fc of [...g.ops]) {
      if (fc.type !== 'FULLY_CONNECTED' || fc.options.fusedActivationFunction !== 0) continue;
      const [sx, w, bias] = fc.inputs;
      const sign = producedBy(g, sx, 'LARQ_SIGN');
      const wd = floatData(w);
      if (!sign || !sx || !w || !wd || sx.shape.length !== 2 || sx.shape[0] !== 1) continue;
      const [units, cin] = w.shape;
      if (!binaryFilter(wd, units)) continue;
      const x = sign.inputs[0];
      if (!x) continue;
      const o = fc.origin;
      // New ops are appended; the pipeline re-sorts the graph after every pass.
      const x4 = g.tensor(`${o}/as_1x1`, 'float32', [1, 1, 1, cin]);
      g.op('RESHAPE', [x, g.constI32(`${o}/shape_4d`, [1, 1, 1, cin], [4])], [x4], {}, o);
      const s4 = g.tensor(`${o}/sign_1x1`, 'float32', [1, 1, 1, cin]);
      g.op('LARQ_SIGN', [x4], [s4], {}, o);
      const y4 = g.tensor(`${o}/conv_1x1`, 'float32', [1, 1, 1, units]);
      g.op('CONV_2D', [s4, g.constF32(`${o}/filter_1x1`, wd, [units, 1, 1, cin]), bias], [y4], {
        padding: 1, strideW: 1, strideH: 1, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: 0,
      }, o);
      fc.type = 'RESHAPE';
      fc.inputs = [y4, g.constI32(`${o}/shape_2d`, [1, units], [2])];
      fc.options = {};
      n++;
    }
    return n;
  },
};
