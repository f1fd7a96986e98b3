/**
 * LceBMaxPool2d on the wasm kernel (AND of the packed words in each window). Parse and validation are the
 * reference op's; tensors outside the arena run the reference kernel.
 */
import { lceBMaxPool2d, type LceBMaxPool2dOptions } from '../lce-bmaxpool2d.js';
import type { BMaxPool2dGeometry } from '../../reference/bmaxpool.js';
import { defineOp, type OpKernel } from '../kernel.js';
import type { WasmBackend } from '../../runtime/backend.js';

export function fastLceBMaxPool2d(backend: WasmBackend): OpKernel<LceBMaxPool2dOptions, BMaxPool2dGeometry> {
  const k = backend.kernels;
  return defineOp<LceBMaxPool2dOptions, BMaxPool2dGeometry>({
    type: lceBMaxPool2d.type,
    parse: (op, code) => lceBMaxPool2d.parse(op, code),
    prepare: (ctx) => lceBMaxPool2d.prepare(ctx),
    eval(state, inputs, outputs) {
      const src = backend.offsetOf(inputs[0]!);
      const dst = backend.offsetOf(outputs[0]!);
      if (src < 0 || dst < 0) lceBMaxPool2d.eval(state, inputs, outputs);
      else k.bmaxpool2d(state, src, dst);
    },
  });
}
