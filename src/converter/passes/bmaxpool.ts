/**
 * §4.6 (arm only): LceQuantize(MAX_POOL_2D(x)) with the pool read only by the quantizer becomes
 * LceBMaxPool2d(LceQuantize(x)): max then sign equals sign then max (an AND of bitpacked words).
 */
import type { IrGraph } from '../ir.js';
import { producedBy } from './common.js';
import type { Pass } from './pass.js';

export const bmaxpool: Pass = {
  name: 'bmaxpool',
  run(g: IrGraph, options) {
    if (options.target !== 'arm') return 0;
    let n = 0;
    for (const q of [...g.ops]) {
      if (q.type !== 'LceQuantize') continue;
      const pooled = q.inputs[0];
      const pool = producedBy(g, pooled, 'MAX_POOL_2D');
      if (!pool || !pooled || g.soleConsumer(pooled) !== q) continue;
      const x = pool.inputs[0];
      if (!x || x.shape.length !== 4) continue;
      const words = Math.ceil(x.shape[3] / 32);
      const packedIn = g.tensor(`${pool.origin}/bitpacked_input`, 'int32', [1, x.shape[1], x.shape[2], words]);
      const packedOut = q.outputs[0];
      q.inputs = [x];
      q.outputs = [packedIn];
      pool.type = 'LceBMaxPool2d';
      pool.inputs = [packedIn];
      pool.outputs = [packedOut];
      // LCE's insertion order, so the flexbuffer bytes match its files.
      pool.options = {
        padding: Number(pool.options.padding),
        stride_width: Number(pool.options.strideW),
        stride_height: Number(pool.options.strideH),
        filter_width: Number(pool.options.filterWidth),
        filter_height: Number(pool.options.filterHeight),
      };
      n++;
    }
    return n;
  },
};
