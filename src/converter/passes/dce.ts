/** Dead-code elimination: ops whose outputs nothing reads (and that are not graph outputs) are removed. */
import type { IrGraph } from '../ir.js';
import type { Pass } from './pass.js';

export const dce: Pass = {
  name: 'dce',
  run(g: IrGraph) {
    let n = 0;
    let changed = true;
    while (changed) {
      changed = false;
      const used = new Set(g.outputs);
      for (const op of g.ops) for (const t of op.inputs) if (t) used.add(t);
      for (const op of [...g.ops]) {
        if (op.outputs.every((t) => !used.has(t))) {
          g.remove(op);
          n++;
          changed = true;
        }
      }
    }
    return n;
  },
};
