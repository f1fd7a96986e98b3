/**
 * inference_input_type / inference_output_type = int8 (§4.11): the model's float input is replaced by an int8
 * input followed by DEQUANTIZE, and its float outputs get a QUANTIZE, using the (min, max) range given (LCE's
 * experimental_default_int8_range; without statistics or a range, LCE refuses int8 I/O too). An LceQuantize that
 * reads such a DEQUANTIZE reads the int8 tensor directly, as LCE's quantize patterns do. An output written by an
 * LceBconv2d or LceDequantize stays float32: LCE only retypes outputs whose float value comes from a DEQUANTIZE of a
 * quantized op (modify_integer_quantized_model_io_type), and its quantizer leaves these LCE ops float (the real
 * int8_io_bconv_only conversion has a float32 output despite inference_output_type=int8).
 */
import { ConverterError } from '../../errors.js';
import type { Quantization } from '../../graph/model.js';
import type { IrGraph, IrOp } from '../ir.js';
import type { ConvertOptions, Pass } from './pass.js';

export function int8Quantization(range: [number, number]): Quantization {
  const min = Math.min(range[0], 0);
  const max = Math.max(range[1], 0);
  const scale = max > min ? (max - min) / 255 : 1;
  // TF nudges the zero point with std::round (halves away from zero): [-3, 3] gives −0.5 → −1, as LCE's files show
  const zp = -128 - min / scale;
  const zeroPoint = Math.max(-128, Math.min(127, zp < 0 ? -Math.round(-zp) : Math.round(zp)));
  return { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 };
}

function requireRange(options: ConvertOptions): Quantization {
  if (!options.int8Range) {
    throw new ConverterError('int8 inference input/output needs quantization ranges: the model has none, so give int8Range [min, max] (as LCE\'s experimental_default_int8_range)');
  }
  return int8Quantization(options.int8Range);
}

/** LCE ops whose float output LCE's int8 conversion leaves float (no quantize/dequantize pair to remove). */
function staysFloat(op: IrOp | undefined): boolean {
  return op?.type === 'LceDequantize' || (op?.type === 'LceBconv2d' && !op.inputs[4]);
}

export const int8Io: Pass = {
  name: 'int8-io',
  run(g: IrGraph, options) {
    let n = 0;
    if (options.inferenceInputType === 'int8') {
      const q = requireRange(options);
      g.inputs = g.inputs.map((x) => {
        if (x.dtype !== 'float32') return x;
        const qx = g.tensor(x.name, 'int8', x.shape);
        qx.quantization = q;
        x.name = `${x.name}/dequantized`;
        const readers = g.consumers(x);
        const direct = readers.filter((r) => r.type === 'LceQuantize');
        for (const r of direct) r.inputs = r.inputs.map((t) => (t === x ? qx : t));
        if (direct.length < readers.length || g.isOutput(x)) g.op('DEQUANTIZE', [qx], [x], {}, 'int8-io');
        n++;
        return qx;
      });
    }
    if (options.inferenceOutputType === 'int8') {
      const q = requireRange(options);
      g.outputs = g.outputs.map((y) => {
        if (y.dtype !== 'float32' || staysFloat(g.producer(y))) return y;
        const qy = g.tensor(y.name, 'int8', y.shape);
        qy.quantization = q;
        y.name = `${y.name}/float`;
        g.op('QUANTIZE', [y], [qy], {}, 'int8-io');
        n++;
        return qy;
      });
    }
    return n;
  },
};
