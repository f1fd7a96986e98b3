/**
 * §4.2: a Larq binary sign on an activation becomes `LceQuantize → LceDequantize` (bitpack, then unpack to ±1 float),
 * the form every later binary pattern starts from.
 */
import { isConst, type IrGraph } from '../ir.js';
import type { Pass } from './pass.js';

export const quantizeBinary: Pass = {
  name: 'quantize-binary',
  run(g: IrGraph) {
    let n = 0;
    for (const op of [...g.ops]) {
      if (op.type !== 'LARQ_SIGN' || isConst(op.inputs[0])) continue;
      const x = op.inputs[0];
      if (!x || x.dtype !== 'float32') continue;
      const c = x.shape[x.shape.length - 1];
      const packed = g.tensor(`${op.outputs[0].name}/bitpacked`, 'int32', [...x.shape.slice(0, -1), Math.ceil(c / 32)]);
      op.type = 'LceQuantize';
      const out = op.outputs[0];
      op.outputs = [packed];
      op.options = {};
      g.op('LceDequantize', [packed], [out], {}, op.origin, op);
      n++;
    }
    return n;
  },
};
