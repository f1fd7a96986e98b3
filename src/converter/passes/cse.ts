/**
 * Common-subexpression elimination: two ops of the same type, options and inputs compute the same value, so the
 * second is dropped (two Larq layers quantizing the same tensor then share one LceQuantize, as in LCE).
 */
import type { IrGraph, IrOp } from '../ir.js';
import type { Pass } from './pass.js';

function signature(op: IrOp): string {
  return `${op.type}|${op.inputs.map((t) => (t ? t.id : -1)).join(',')}|${JSON.stringify(op.options)}`;
}

export const cse: Pass = {
  name: 'cse',
  run(g: IrGraph) {
    let n = 0;
    let changed = true;
    while (changed) {
      changed = false;
      const seen = new Map<string, IrOp>();
      for (const op of g.ops) {
        if (op.outputs.length !== 1) continue;
        const key = signature(op);
        const first = seen.get(key);
        if (!first) { seen.set(key, op); continue; }
        const dup = op.outputs[0];
        if (g.isOutput(dup) && g.isOutput(first.outputs[0])) continue;
        g.remove(op);
        if (g.isOutput(dup)) {
          // Keep the graph output's tensor: the surviving op writes it instead.
          g.replaceUses(first.outputs[0], dup);
          first.outputs = [dup];
        } else g.replaceUses(dup, first.outputs[0]);
        n++;
        changed = true;
        break;
      }
    }
    return n;
  },
};
