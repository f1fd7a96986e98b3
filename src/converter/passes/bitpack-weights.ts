/** §4.8: the float ±1 OHWI filter of every LceBconv2d is bitpacked along I into int32 words (w < 0 → bit 1). */
import { packFloat32 } from '../../reference/bitpack.js';
import { floatData, type IrGraph } from '../ir.js';
import type { Pass } from './pass.js';

export const bitpackWeights: Pass = {
  name: 'bitpack-weights',
  run(g: IrGraph) {
    let n = 0;
    for (const op of g.ops) {
      if (op.type !== 'LceBconv2d') continue;
      const f = op.inputs[1];
      const d = floatData(f);
      if (!f || !d) continue;
      const [o, h, w, i] = f.shape;
      const words = Math.ceil(i / 32);
      const packed = new Int32Array(o * h * w * words);
      packFloat32(d, o * h * w, i, packed);
      op.inputs[1] = g.constI32(`${f.name}/bitpacked`, packed, [o, h, w, words]);
      n++;
    }
    return n;
  },
};
