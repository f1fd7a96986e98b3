/**
 * inference_input_type / inference_output_type = int8 (§4.11, LCE's modify_integer_quantized_model_io_type): after
 * int8 quantisation, a float input read only by a QUANTIZE is replaced by that QUANTIZE's int8 output, and an output
 * written by a DEQUANTIZE by the DEQUANTIZE's int8 input. Other inputs and outputs keep their type (an output written
 * by an LceBconv2d stays float32, as in the real int8_io_bconv_only conversion). Without quantisation ranges
 * (int8Range, LCE's experimental_default_int8_range) there is nothing to strip, and LCE refuses int8 I/O too.
 */
import { ConverterError } from '../../errors.js';
import type { IrGraph } from '../ir.js';
import type { Pass } from './pass.js';

export const int8Io: Pass = {
  name: 'int8-io',
  run(g: IrGraph, options) {
    const wantIn = options.inferenceInputType === 'int8';
    const wantOut = options.inferenceOutputType === 'int8';
    if ((wantIn || wantOut) && !options.int8Range) {
      throw new ConverterError('int8 inference input/output needs quantization ranges: the model has none, so give int8Range [min, max] (as LCE\'s experimental_default_int8_range)');
    }
    let n = 0;
    if (wantIn) {
      g.inputs = g.inputs.map((x) => {
        const readers = g.consumers(x);
        const q = readers[0];
        if (readers.length !== 1 || q?.type !== 'QUANTIZE' || g.isOutput(x)) return x;
        g.remove(q);
        q.outputs[0]!.name = x.name;
        n++;
        return q.outputs[0]!;
      });
    }
    if (wantOut) {
      g.outputs = g.outputs.map((y) => {
        const dq = g.producer(y);
        if (dq?.type !== 'DEQUANTIZE' || g.consumers(y).length > 0) return y;
        g.remove(dq);
        dq.inputs[0]!.name = y.name;
        n++;
        return dq.inputs[0]!;
      });
    }
    return n;
  },
};
