/** §4.8: the float ±1 OHWI filter of every LceBconv2d is bitpacked along I into int32 words (w < 0 → bit 1). */
import { floatData, type IrGraph } from '../ir.js';
import type { Pass } from './pass.js';

/**
 * The reference packer's rule (bit = w < 0, bit b of word w holds channel 32·w + b, padding bits 0) in a loop
 * specialised to float32 rows: a model's binary weights are millions of values.
 */
export function packSigns(src: Float32Array, rows: number, channels: number, dst: Int32Array): void {
  const words = Math.ceil(channels / 32);
  let out = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * channels;
    for (let w = 0; w < words; w++) {
      const first = row + w * 32;
      const end = row + Math.min(channels, w * 32 + 32);
      let word = 0;
      for (let k = first, bit = 0; k < end; k++, bit++) if (src[k] < 0) word |= 1 << bit;
      dst[out++] = word;
    }
  }
}

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
      packSigns(d, o * h * w, i, packed);
      op.inputs[1] = g.constI32(`${f.name}/bitpacked`, packed, [o, h, w, words]);
      n++;
    }
    return n;
  },
};
