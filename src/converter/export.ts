/** IR → Model through ModelBuilder: TFLite builtins with their options tables, LCE ops as flexbuffer custom ops. */
import { ConverterError } from '../errors.js';
import { ModelBuilder } from '../graph/builder.js';
import type { Model } from '../graph/model.js';
import { optionsSlotForOp } from '../format/options.js';
import type { IrGraph, IrOptions, IrTensor } from './ir.js';

const LCE_OPS = new Set(['LceQuantize', 'LceDequantize', 'LceBconv2d', 'LceBMaxPool2d']);

/**
 * Ops TF's exporter writes without an options table although the schema has one (no attributes; RESHAPE takes its
 * shape as an input): seen in every LCE file of the corpus; MAXIMUM is defined like MINIMUM; TRANSPOSE (perm as an
 * input) as LCE writes a Keras Permute.
 */
const NO_OPTIONS_TABLE = new Set(['ABS', 'DEQUANTIZE', 'MAXIMUM', 'MINIMUM', 'QUANTIZE', 'RESHAPE', 'TRANSPOSE']);

function intOptions(o: IrOptions, op: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number') throw new ConverterError(`internal: ${op} option ${k} is not an integer`);
    out[k] = v;
  }
  return out;
}

export function exportModel(g: IrGraph, description = 'lce-js converter'): Model {
  const b = new ModelBuilder(description);
  const index = new Map<IrTensor, number>();
  for (const t of g.allTensors()) {
    // TF's exporter cuts tensor names to 50 characters; long Keras paths are kept readable the same way.
    index.set(t, b.addTensor({ name: t.name.slice(0, 50), dtype: t.dtype, shape: t.shape, data: t.data, quantization: t.quantization }));
  }
  for (const op of g.ops) {
    const ins = op.inputs.map((t) => (t ? (index.get(t) as number) : -1));
    const outs = op.outputs.map((t) => index.get(t) as number);
    if (LCE_OPS.has(op.type)) {
      const custom = op.type === 'LceQuantize' || op.type === 'LceDequantize' ? new Uint8Array(0) : intOptions(op.options, op.type);
      b.addOp(op.type, ins, outs, { custom });
    } else if (op.type === 'LARQ_SIGN') {
      throw new ConverterError(`internal: a Larq sign from '${op.origin}' was left unconverted`);
    } else {
      const slot = optionsSlotForOp(op.type);
      b.addOp(op.type, ins, outs, NO_OPTIONS_TABLE.has(op.type) ? { builtin: null } : slot ? { builtin: op.options as Record<string, number | boolean> } : {});
    }
  }
  b.setInputs(g.inputs.map((t) => index.get(t) as number));
  b.setOutputs(g.outputs.map((t) => index.get(t) as number));
  return b.finish();
}
