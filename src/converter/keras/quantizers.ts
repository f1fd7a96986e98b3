/**
 * Larq quantizers as IR ops. Binary sign quantizers (ste_sign, approx_sign, swish_sign and their classes) differ
 * only in their gradients, so their forward pass is one `LARQ_SIGN`. magnitude_aware_sign multiplies the sign by
 * mean|x| over all but the last axis. DoReFa stays on the float path. Applied to constant kernels, everything here
 * is folded away by the constant-folding pass.
 */
import { ConverterError } from '../../errors.js';
import type { IrGraph, IrTensor } from '../ir.js';
import { isObject, type Json } from './config.js';

export type QuantizerSpec =
  | { kind: 'none' }
  | { kind: 'sign'; name: string }
  | { kind: 'magnitude_aware_sign' }
  | { kind: 'dorefa'; kBit: number; mode: 'activations' | 'weights' };

const SIGN_NAMES = new Set(['ste_sign', 'approx_sign', 'swish_sign', 'SteSign', 'ApproxSign', 'SwishSign']);
const SUPPORTED = 'ste_sign, approx_sign, swish_sign, magnitude_aware_sign, DoReFa or NoOp';

export function parseQuantizer(spec: Json | undefined, layer: string, role: string): QuantizerSpec {
  if (spec === null || spec === undefined) return { kind: 'none' };
  let name: string;
  let cfg: { [k: string]: Json } = {};
  if (typeof spec === 'string') name = spec;
  else if (isObject(spec) && typeof spec.class_name === 'string') {
    name = spec.class_name;
    if (isObject(spec.config)) cfg = spec.config;
  } else throw new ConverterError(`layer '${layer}': unreadable ${role} ${JSON.stringify(spec)}`);
  const bare = name.replace(/^larq>/, '');
  if (SIGN_NAMES.has(bare)) return { kind: 'sign', name: bare };
  if (bare === 'magnitude_aware_sign' || bare === 'MagnitudeAwareSign') return { kind: 'magnitude_aware_sign' };
  if (bare === 'NoOp' || bare === 'NoOpQuantizer' || bare === 'noop') return { kind: 'none' };
  if (bare === 'DoReFa' || bare === 'DoReFaQuantizer' || bare === 'dorefa_quantizer') {
    const kBit = typeof cfg.k_bit === 'number' ? cfg.k_bit : 2;
    const mode = cfg.mode === 'weights' ? 'weights' : 'activations';
    return { kind: 'dorefa', kBit, mode };
  }
  throw new ConverterError(`layer '${layer}': ${role} '${bare}' is not supported; use ${SUPPORTED}`);
}

/** Emits the forward pass of `q` on `x`; returns the quantized tensor (x itself for no quantizer). */
export function emitQuantizer(g: IrGraph, q: QuantizerSpec, x: IrTensor, origin: string): IrTensor {
  const f = (name: string, shape: number[] = x.shape): IrTensor => g.tensor(`${origin}/${name}`, 'float32', shape);
  const scalar = (name: string, v: number): IrTensor => g.constF32(`${origin}/${name}`, [v], []);
  const binary = (type: string, a: IrTensor, b: IrTensor, name: string): IrTensor => {
    const out = f(name);
    g.op(type, [a, b], [out], type === 'MINIMUM' || type === 'MAXIMUM' ? {} : { fusedActivationFunction: 0 }, origin);
    return out;
  };
  const unary = (type: string, a: IrTensor, name: string, shape?: number[]): IrTensor => {
    const out = f(name, shape);
    g.op(type, [a], [out], {}, origin);
    return out;
  };
  switch (q.kind) {
    case 'none':
      return x;
    case 'sign':
      return unary('LARQ_SIGN', x, 'sign');
    case 'magnitude_aware_sign': {
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const abs = unary('ABS', x, 'abs');
      const scale = f('scale', [x.shape[x.shape.length - 1]]);
      g.op('MEAN', [abs, g.constI32(`${origin}/axes`, axes, [axes.length])], [scale], { keepDims: false }, origin);
      return binary('MUL', scale, unary('LARQ_SIGN', x, 'sign'), 'scaled_sign');
    }
    case 'dorefa': {
      const n = 2 ** q.kBit - 1;
      let v: IrTensor;
      if (q.mode === 'activations') {
        v = binary('MAXIMUM', binary('MINIMUM', x, scalar('one', 1), 'clip_hi'), scalar('zero', 0), 'clipped');
      } else {
        // Larq: tanh(w) / (2·max|tanh(w)|) + 0.5 with divide_no_nan; the MAXIMUM with the smallest normal float
        // turns an all-zero kernel's 0/0 into 0/tiny = 0 and changes nothing else.
        const limited = unary('TANH', x, 'tanh');
        const maxAbs = f('max_abs', []);
        const axes = x.shape.map((_, i) => i);
        g.op('REDUCE_MAX', [unary('ABS', limited, 'abs'), g.constI32(`${origin}/all_axes`, axes, [axes.length])], [maxAbs], { keepDims: false }, origin);
        const twiceMax = f('twice_max', []);
        g.op('MUL', [maxAbs, scalar('two_', 2)], [twiceMax], { fusedActivationFunction: 0 }, origin);
        const divisor = f('divisor', []);
        g.op('MAXIMUM', [twiceMax, scalar('tiny', 1.1754943508222875e-38)], [divisor], {}, origin);
        v = binary('ADD', binary('DIV', limited, divisor, 'normed'), scalar('half_', 0.5), 'shifted');
      }
      const rounded = unary('ROUND', binary('MUL', v, scalar('levels', n), 'scaled'), 'rounded');
      const out = binary('DIV', rounded, scalar('levels_', n), 'quantized');
      if (q.mode === 'activations') return out;
      return binary('SUB', binary('MUL', out, scalar('two', 2), 'doubled'), scalar('one_', 1), 'centred');
    }
  }
}
