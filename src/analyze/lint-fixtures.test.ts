/**
 * `lce lint` on the oracle's feature-matrix models: the Keras .h5 (through lce-js's converter, Keras layer names)
 * and the .tflite that real LCE made from it must report the same waste, equal to the hand-computed numbers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readModel } from '../format/read.js';
import { lintKerasFile } from './keras.js';
import { lintModel, type CheckId, type LintFinding, type LintReport } from './lint.js';

const MATRIX = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures', 'matrix');

async function both(name: string): Promise<{ keras: LintReport; tflite: LintReport }> {
  const keras = await lintKerasFile(join(MATRIX, name, 'model.h5'));
  const tflite = lintModel(readModel(new Uint8Array(readFileSync(join(MATRIX, name, 'lce.tflite'))), name), name);
  return { keras, tflite };
}

function findings(r: LintReport, check: CheckId): LintFinding[] {
  return r.findings.filter((f) => f.check === check);
}

function one(r: LintReport, check: CheckId): LintFinding {
  const fs = findings(r, check);
  assert.equal(fs.length, 1, `${r.model}: expected one ${check}, got ${JSON.stringify(r.findings.map((f) => f.check))}`);
  return fs[0]!;
}

/** The same findings with the same waste from the Keras file and from LCE's .tflite. */
function sameWaste(a: LintReport, b: LintReport): void {
  const key = (r: LintReport) => r.findings.map((f) => [f.check, f.wasted.binary, f.wasted.float]);
  assert.deepEqual(key(a), key(b));
  assert.equal(a.summary.binaryExecuted, b.summary.binaryExecuted);
  assert.equal(a.summary.binaryUseful, b.summary.binaryUseful);
}

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('lce lint on the feature-matrix fixtures', () => {
  it('bconv_cin16 vs bconv_cin32 (7×7, 3×3 same-one, cout 8): equal executed work, cin 16 pays for 32', async () => {
    const c16 = await both('bconv_cin16');
    const c32 = await both('bconv_cin32');
    sameWaste(c16.keras, c16.tflite);
    sameWaste(c32.keras, c32.tflite);
    // 49 pixels · 8 · pad128(3·3·32 = 288 → 384) for both
    assert.equal(c16.keras.summary.binaryExecuted, 49 * 8 * 384);
    assert.equal(c32.keras.summary.binaryExecuted, 49 * 8 * 384);
    const f = one(c16.keras, 'cin-multiple-of-32');
    assert.match(f.layer, /^quant_conv2d(_\d+)?$/);
    assert.equal(f.wasted.binary, 49 * 8 * 9 * 16); // 56448
    close(f.layerShare, 56448 / 150528); // 37.5 %
    close(f.usefulRatio, 1);
    assert.match(f.message, /cin=16 → 32: 50 % /);
    assert.equal(findings(c32.keras, 'cin-multiple-of-32').length, 0);
    // Both also pad the im2col depth 288 → 384.
    assert.equal(one(c16.keras, 'im2col-depth-multiple-of-128').wasted.binary, 49 * 8 * 96);
    assert.equal(one(c32.keras, 'im2col-depth-multiple-of-128').wasted.binary, 49 * 8 * 96);
  });

  it('bconv_cout7 / cout9 / cout8 (6×6, 3×3 same-one, cin 32)', async () => {
    const c7 = await both('bconv_cout7');
    const c9 = await both('bconv_cout9');
    const c8 = await both('bconv_cout8');
    sameWaste(c7.keras, c7.tflite);
    sameWaste(c9.keras, c9.tflite);
    // cout 7 → 8: 36 pixels · 1 channel · 384 = 13824 of 36·8·384 = 110592 (12.5 %)
    const f7 = one(c7.keras, 'cout-multiple-of-8');
    assert.equal(f7.wasted.binary, 13824);
    close(f7.layerShare, 0.125);
    // cout 9 → 16: 36 · 7 · 384 = 96768 of 36·16·384 = 221184 (43.75 %)
    const f9 = one(c9.tflite, 'cout-multiple-of-8');
    assert.equal(f9.wasted.binary, 96768);
    close(f9.layerShare, 0.4375);
    assert.match(f9.message, /cout=9 → 16: 43\.8 % /);
    assert.equal(findings(c8.keras, 'cout-multiple-of-8').length, 0);
  });

  it('bconv_same_zero_k3 vs bconv_same_one_k3 (8×8×32 → 16, 3×3)', async () => {
    const zero = await both('bconv_same_zero_k3');
    const one_ = await both('bconv_same_one_k3');
    sameWaste(zero.keras, zero.tflite);
    sameWaste(one_.keras, one_.tflite);
    // 92 taps outside on 28 border pixels, · 16 channels = 1472 correction ops; the BN still folds (no chain).
    const f = one(zero.keras, 'same-zero-padding');
    assert.deepEqual(f.detail, { borderPixels: 28, outsideTaps: 92, correction: 1472, unfusedOps: 0 });
    assert.match(f.fix, /pad_values=1\.0/);
    assert.equal(findings(one_.keras, 'same-zero-padding').length, 0);
    assert.equal(zero.keras.summary.binaryExecuted, one_.keras.summary.binaryExecuted);
  });

  it('relu_same_zero_not_fused (7×7×32 → 16): correction plus the ReLU and the BN that could not fuse', async () => {
    const { keras, tflite } = await both('relu_same_zero_not_fused');
    sameWaste(keras, tflite);
    // 7×7 SAME 3×3: 19 inside taps per axis, 49·9 − 19² = 80 outside · 16 = 1280; RELU, MUL, ADD 3 · 784.
    const f = one(keras, 'same-zero-padding');
    assert.equal(f.wasted.float, 1280 + 3 * 784);
    assert.match(f.message, /RELU → MUL → ADD \(2352 float ops\)/);
    assert.equal(findings(keras, 'bn-before-relu').length, 0);
  });

  it('bn_then_relu vs fused_relu_then_bn: only the BN → ReLU order is flagged, with the Keras layer names', async () => {
    const bad = await both('bn_then_relu');
    const good = await both('fused_relu_then_bn');
    sameWaste(bad.keras, bad.tflite);
    sameWaste(good.keras, good.tflite);
    const f = one(bad.keras, 'bn-before-relu');
    assert.deepEqual(f.wasted, { binary: 0, float: 7 * 7 * 16 });
    assert.match(f.message, /quant_conv2d(_\d+)? → batch_normalization(_\d+)? → re_lu(_\d+)?/);
    assert.match(f.fix, /QuantConv2D → ReLU → BatchNormalization/);
    assert.equal(one(bad.tflite, 'bn-before-relu').wasted.float, 784);
    assert.equal(findings(good.keras, 'bn-before-relu').length, 0);
    assert.equal(findings(good.tflite, 'bn-before-relu').length, 0);
    assert.equal(findings(await lintKerasFile(join(MATRIX, 'fused_relu_activation_arg', 'model.h5')), 'bn-before-relu').length, 0);
  });
});
