/**
 * `lce lint` on hand-built .tflite models: each guideline's waste, with the expected numbers worked out by hand
 * from the kernel's padding rules (channels → 32, im2col depth → 128 bits, output channels → 8).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelBuilder } from '../graph/builder.js';
import { readModel } from '../format/read.js';
import { writeModel } from '../format/write.js';
import { lintModel, type CheckId, type LintFinding, type LintReport } from './lint.js';
import { formatLintReport } from './report.js';

interface ConvSpec {
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  padding?: 'valid' | 'same';
  padValues?: 0 | 1;
  /** Float ops after the bconv, in order; 'QUANTIZE_BCONV' ends the chain in LceQuantize → a second bconv. */
  after?: ('RELU' | 'MUL' | 'ADD' | 'QUANTIZE_BCONV')[];
}

const words = (c: number): number => Math.ceil(c / 32);

/** input → LceQuantize → LceBconv2d → (after…), built and round-tripped through the flatbuffer writer/reader. */
function convModel(s: ConvSpec): LintReport {
  const b = new ModelBuilder('lint test');
  const same = s.padding === 'same';
  const oh = same ? s.h : s.h - s.k + 1;
  const ow = same ? s.w : s.w - s.k + 1;
  const input = b.addTensor({ name: 'input', dtype: 'float32', shape: [1, s.h, s.w, s.cin] });
  const packed = b.addTensor({ name: 'packed', dtype: 'int32', shape: [1, s.h, s.w, words(s.cin)] });
  b.addOp('LceQuantize', [input], [packed]);
  const bconv = (name: string, x: number, cin: number, cout: number, k: number, pad: boolean, padValues: number, outH: number, outW: number): number => {
    const filter = b.addTensor({ name: `${name}/filter`, dtype: 'int32', shape: [cout, k, k, words(cin)], data: new Int32Array(cout * k * k * words(cin)) });
    const mult = b.addTensor({ name: `${name}/mult`, dtype: 'float32', shape: [cout], data: new Float32Array(cout).fill(2) });
    const bias = b.addTensor({ name: `${name}/bias`, dtype: 'float32', shape: [cout], data: new Float32Array(cout) });
    const out = b.addTensor({ name, dtype: 'float32', shape: [1, outH, outW, cout] });
    b.addOp('LceBconv2d', [x, filter, mult, bias, -1], [out], {
      custom: {
        channels_in: cin, dilation_height_factor: 1, dilation_width_factor: 1, fused_activation_function: 0,
        pad_values: padValues, padding: pad ? 0 : 1, stride_height: 1, stride_width: 1,
      },
    });
    return out;
  };
  let y = bconv('conv', packed, s.cin, s.cout, s.k, same, s.padValues ?? 0, oh, ow);
  const shape = [1, oh, ow, s.cout];
  for (const [i, a] of (s.after ?? []).entries()) {
    if (a === 'QUANTIZE_BCONV') {
      const q = b.addTensor({ name: `q${i}`, dtype: 'int32', shape: [1, oh, ow, words(s.cout)] });
      b.addOp('LceQuantize', [y], [q]);
      // 1×1 with 32·k channels in and 8 out: no padding of its own (depth 32 is padded to 128, see below).
      y = bconv('next', q, s.cout, 8, 1, false, 0, oh, ow);
      continue;
    }
    const out = b.addTensor({ name: `${a.toLowerCase()}${i}`, dtype: 'float32', shape });
    if (a === 'RELU') b.addOp('RELU', [y], [out]);
    else {
      const c = b.addTensor({ name: `c${i}`, dtype: 'float32', shape: [s.cout], data: new Float32Array(s.cout).fill(1) });
      b.addOp(a, [y, c], [out], { builtin: { fusedActivationFunction: 0 } });
    }
    y = out;
  }
  b.setInputs([input]);
  b.setOutputs([y]);
  const model = readModel(writeModel(b.finish()), 'test.tflite');
  return lintModel(model, 'test.tflite');
}

function only(r: LintReport, check: CheckId, layer = 'conv'): LintFinding {
  const fs = r.findings.filter((f) => f.check === check && f.layer === layer);
  assert.equal(fs.length, 1, `expected one ${check} finding on ${layer}, got ${JSON.stringify(r.findings.map((f) => [f.check, f.layer]))}`);
  return fs[0]!;
}

function none(r: LintReport, check: CheckId, layer = 'conv'): void {
  assert.deepEqual(r.findings.filter((f) => f.check === check && f.layer === layer).map((f) => f.message), []);
}

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('lce lint on .tflite ops', () => {
  // 2×2 VALID on 5×5: 16 output pixels; 2·2·32 = 128 keeps the im2col depth unpadded so cin is measured alone.
  it('cin 16 vs 32: the same executed work, half of it padding for cin 16', () => {
    const r32 = convModel({ h: 5, w: 5, cin: 32, cout: 8, k: 2 });
    const r16 = convModel({ h: 5, w: 5, cin: 16, cout: 8, k: 2 });
    assert.deepEqual(r32.findings, []);
    assert.equal(r32.summary.binaryExecuted, 16 * 8 * 128);
    assert.equal(r32.summary.binaryUseful, 16 * 8 * 128);
    // cin 16 runs exactly as fast as cin 32 (the guide's claim): equal executed work.
    assert.equal(r16.summary.binaryExecuted, r32.summary.binaryExecuted);
    assert.equal(r16.summary.binaryUseful, 16 * 8 * 4 * 16); // 8192
    const f = only(r16, 'cin-multiple-of-32');
    assert.equal(f.wasted.binary, 16 * 8 * 4 * 16); // 8192 MACs on padding channels
    close(f.layerShare, 0.5); // 8192 / 16384
    close(f.usefulRatio, 1); // as much padding as useful work
    assert.match(f.message, /cin=16 → 32: 50 % /);
    none(r16, 'im2col-depth-multiple-of-128'); // 2·2·32 = 128
    none(r16, 'cout-multiple-of-8');
  });

  it("cin 48 → 64: 25 % of this layer's binary work is padding", () => {
    const r = convModel({ h: 5, w: 5, cin: 48, cout: 8, k: 2 });
    const f = only(r, 'cin-multiple-of-32');
    // executed 16·8·(2·2·64 = 256) = 32768, useful 16·8·4·48 = 24576, padding 16·8·4·16 = 8192
    assert.equal(r.summary.binaryExecuted, 32768);
    assert.equal(f.wasted.binary, 8192);
    close(f.layerShare, 0.25);
    close(f.usefulRatio, 1 / 3);
    assert.match(f.message, /cin=48 → 64: 25 % /);
  });

  it('cout 12 → 16: a quarter of the executed work is thrown away', () => {
    const r = convModel({ h: 5, w: 5, cin: 32, cout: 12, k: 2 });
    const f = only(r, 'cout-multiple-of-8');
    // useful 16·12·128 = 24576, executed 16·16·128 = 32768, waste 16·4·128 = 8192
    assert.equal(r.summary.binaryUseful, 24576);
    assert.equal(r.summary.binaryExecuted, 32768);
    assert.equal(f.wasted.binary, 8192);
    close(f.layerShare, 0.25);
    close(f.usefulRatio, 1 / 3);
    close(f.modelShare, 8192 / (32768 + r.summary.floatOps));
    assert.match(f.message, /cout=12 → 16: 25 % /);
    assert.equal(r.findings.length, 1);
  });

  it('3·3·48: channels padded to 64, then the im2col depth 576 → 640', () => {
    // 3×3 VALID on 6×6: 16 pixels, cout 8.
    const r = convModel({ h: 6, w: 6, cin: 48, cout: 8, k: 3 });
    const cin = only(r, 'cin-multiple-of-32');
    const depth = only(r, 'im2col-depth-multiple-of-128');
    assert.equal(r.summary.binaryUseful, 16 * 8 * 432); // 55296
    assert.equal(r.summary.binaryExecuted, 16 * 8 * 640); // 81920
    assert.equal(cin.wasted.binary, 16 * 8 * 9 * 16); // 18432
    assert.equal(depth.wasted.binary, 16 * 8 * 64); // 8192
    // The two paddings account for exactly executed − useful.
    assert.equal(cin.wasted.binary + depth.wasted.binary, 81920 - 55296);
    close(cin.layerShare, 18432 / 81920); // 22.5 %
    close(depth.layerShare, 0.1); // 64 of 640
    assert.match(depth.message, /3·3·48 = 432; with the channels padded to 64 the im2col depth is 576 → 640: 10 % /);
    assert.equal(depth.severity, 'info');
  });

  it('3·3·32 = 288 → 384: the im2col depth padding alone', () => {
    const r = convModel({ h: 6, w: 6, cin: 32, cout: 8, k: 3 });
    const f = only(r, 'im2col-depth-multiple-of-128');
    assert.equal(f.wasted.binary, 16 * 8 * 96); // 12288
    close(f.layerShare, 0.25);
    assert.match(f.message, /3·3·32 = 288 → 384: 25 % /);
    assert.match(f.fix, /cin=128: 3·3·128 = 1152/);
    assert.equal(r.findings.length, 1);
  });

  it('same-zero vs same-one: border correction = taps outside × cout', () => {
    // 3×3 SAME on 8×8, cout 16. Per axis 2+3·6+2 = 22 taps land inside; 64·9 − 22² = 92 taps outside,
    // on 64 − 6·6 = 28 border pixels; correction 92·16 = 1472 float ops.
    const zero = convModel({ h: 8, w: 8, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 0 });
    const one = convModel({ h: 8, w: 8, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 1 });
    none(one, 'same-zero-padding');
    const f = only(zero, 'same-zero-padding');
    assert.deepEqual(f.detail, { borderPixels: 28, outsideTaps: 92, correction: 1472, unfusedOps: 0 });
    assert.deepEqual(f.wasted, { binary: 0, float: 1472 });
    // Same binary work either way; same-zero adds the correction to the layer's float work.
    assert.equal(zero.summary.binaryExecuted, one.summary.binaryExecuted);
    assert.equal(zero.summary.floatOps - one.summary.floatOps, 1472);
    close(f.usefulRatio, 1472 / (64 * 16 * 288));
  });

  it('same-zero also blocks the ReLU fusion and the bitpacked output', () => {
    // 8×8×16 output: RELU 1024 ops + the float write re-quantized 1024 ops, on top of the 1472 correction.
    const r = convModel({ h: 8, w: 8, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 0, after: ['RELU', 'QUANTIZE_BCONV'] });
    const f = only(r, 'same-zero-padding');
    assert.equal(f.wasted.float, 1472 + 1024 + 1024);
    assert.match(f.message, /RELU \(1024 float ops\) stays separate/);
    assert.match(f.message, /re-quantized \(1024 ops\)/);
    none(r, 'bn-before-relu');
  });

  it('BN before ReLU: the ReLU stays a separate op (and costs the bitpacked output)', () => {
    // bconv (BN folded: multiplier 2) → RELU: 6·6·16 = 576 float ops that would fuse in the other order.
    const plain = convModel({ h: 6, w: 6, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 1, after: ['RELU'] });
    const f = only(plain, 'bn-before-relu');
    assert.deepEqual(f.wasted, { binary: 0, float: 576 });
    assert.match(f.message, /LceBconv2d → RELU/);
    assert.match(f.fix, /QuantConv2D → ReLU → BatchNormalization/);
    const packed = convModel({ h: 6, w: 6, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 1, after: ['RELU', 'QUANTIZE_BCONV'] });
    assert.equal(only(packed, 'bn-before-relu').wasted.float, 576 + 576);
    // An unfolded BN (MUL, ADD) before the ReLU is the same mistake; only the ReLU onwards counts as waste,
    // since the MUL/ADD would fold into the bconv anyway.
    const unfolded = convModel({ h: 6, w: 6, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 1, after: ['MUL', 'ADD', 'RELU'] });
    assert.equal(only(unfolded, 'bn-before-relu').wasted.float, 576);
    // Without a ReLU nothing is flagged.
    none(convModel({ h: 6, w: 6, cin: 32, cout: 16, k: 3, padding: 'same', padValues: 1, after: ['MUL', 'ADD'] }), 'bn-before-relu');
  });

  it('QuantDense: a FULLY_CONNECTED fed by LceDequantize runs in float', () => {
    const b = new ModelBuilder('dense');
    const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 64] });
    const q = b.addTensor({ name: 'q', dtype: 'int32', shape: [1, 2] });
    const d = b.addTensor({ name: 'd', dtype: 'float32', shape: [1, 64] });
    const wts = b.addTensor({ name: 'w', dtype: 'float32', shape: [10, 64], data: new Float32Array(640) });
    const y = b.addTensor({ name: 'dense', dtype: 'float32', shape: [1, 10] });
    b.addOp('LceQuantize', [x], [q]);
    b.addOp('LceDequantize', [q], [d]);
    b.addOp('FULLY_CONNECTED', [d, wts, -1], [y], { builtin: { fusedActivationFunction: 0 } });
    b.setInputs([x]);
    b.setOutputs([y]);
    const r = lintModel(b.finish(), 'dense.tflite');
    const f = only(r, 'quant-dense', 'dense');
    assert.deepEqual(f.wasted, { binary: 0, float: 640 });
    assert.match(f.fix, /1×1 QuantConv2D/);
    assert.match(f.fix, /lce-js/);
  });

  it('binary max-pool on 16 channels ANDs half-empty words', () => {
    const b = new ModelBuilder('pool');
    const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 4, 4, 16] });
    const q = b.addTensor({ name: 'q', dtype: 'int32', shape: [1, 4, 4, 1] });
    const p = b.addTensor({ name: 'pool', dtype: 'int32', shape: [1, 2, 2, 1] });
    b.addOp('LceQuantize', [x], [q]);
    b.addOp('LceBMaxPool2d', [q], [p], { custom: { filter_height: 2, filter_width: 2, padding: 1, stride_height: 2, stride_width: 2 } });
    b.setInputs([x]);
    b.setOutputs([p]);
    const r = lintModel(b.finish(), 'pool.tflite');
    const f = only(r, 'bmaxpool-channels', 'pool');
    // 4 output pixels · 4 window taps · 32 bits executed, 16 of them real.
    assert.equal(f.wasted.binary, 4 * 4 * 16);
    close(f.layerShare, 0.5);
  });

  it('summary: totals, wasted share and the three biggest fixes, largest first', () => {
    // cin 48 (3×3 VALID, 6×6, cout 12): cin, depth and cout waste all at once.
    const r = convModel({ h: 6, w: 6, cin: 48, cout: 12, k: 3 });
    const s = r.summary;
    // executed 16·16·640 = 163840; useful 16·12·432 = 82944
    assert.equal(s.binaryExecuted, 163840);
    assert.equal(s.binaryUseful, 82944);
    const cin = 16 * 12 * 9 * 16; // 27648
    const depth = 16 * 12 * 64; // 12288
    const cout = 16 * 4 * 640; // 40960
    assert.equal(cin + depth + cout, 163840 - 82944);
    assert.deepEqual(s.topFixes.map((f) => [f.check, f.saves]), [
      ['cout-multiple-of-8', cout], ['cin-multiple-of-32', cin], ['im2col-depth-multiple-of-128', depth],
    ]);
    close(s.wastedShare, (cin + depth + cout) / s.total);
    // The float side: LceQuantize over the 6·6·48 input.
    assert.equal(s.floatOps, 6 * 6 * 48);
    const text = formatLintReport(r);
    assert.match(text, /fixes that save the most:\n {4}1\. conv: use 16 output channels/);
  });
});
