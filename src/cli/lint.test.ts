/** `lce lint` as a command: file kinds by content, --json, --max-waste exit status, usage and bad input. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LceError } from '../errors.js';
import { lintFile, runLintWith } from './lint.js';

const MATRIX = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures', 'matrix');
const tmp = mkdtempSync(join(tmpdir(), 'lce-lint-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `lce lint` in-process; LceErrors become exit 1 with the message on stderr, as main() does. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; } };
  try {
    return { code: await runLintWith(argv.slice(1), io), out, err };
  } catch (e) {
    if (!(e instanceof LceError)) throw e;
    return { code: 1, out, err: err + e.message };
  }
}

describe('lce lint (command)', () => {
  it('lints a .tflite and a .keras, naming Keras layers', async () => {
    const t = await run(['lint', join(MATRIX, 'bconv_cin16', 'lce.tflite')]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /\[cin-multiple-of-32\] cin=16 → 32: 50 %/);
    assert.match(t.out, /summary/);
    const k = await run(['lint', join(MATRIX, 'fused_relu_then_bn', 'model.keras')]);
    assert.equal(k.code, 0, k.err);
    assert.match(k.out, /^quant_conv2d\S* \(LceBconv2d\)/m);
    assert.doesNotMatch(k.out, /bn-before-relu/);
  });

  it('--json gives the report as data', async () => {
    const r = await run(['lint', join(MATRIX, 'bn_then_relu', 'model.h5'), '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { source: string; findings: { check: string; wasted: { float: number } }[]; summary: { wastedShare: number; topFixes: unknown[] } };
    assert.equal(j.source, 'keras');
    assert.deepEqual(j.findings.filter((f) => f.check === 'bn-before-relu').map((f) => f.wasted.float), [784]);
    assert.ok(j.summary.wastedShare > 0 && j.summary.wastedShare < 1);
  });

  it('--max-waste P: exit 1 above P %, 0 at or below', async () => {
    // bconv_cin16: 94080 of 150528 executed binary MACs (+ 784 LceQuantize ops) are waste: 62.2 %.
    const path = join(MATRIX, 'bconv_cin16', 'lce.tflite');
    const json = JSON.parse((await run(['lint', path, '--json'])).out) as { summary: { wastedShare: number } };
    assert.ok(Math.abs(json.summary.wastedShare - 94080 / (150528 + 784)) < 1e-12);
    const over = await run(['lint', path, '--max-waste', '50']);
    assert.equal(over.code, 1);
    assert.match(over.err, /above --max-waste 50 %/);
    assert.equal((await run(['lint', path, '--max-waste', '63'])).code, 0);
    assert.equal((await run(['lint', path, '--max-waste', '62.5%'])).code, 0);
  });

  it('usage errors and unreadable files', async () => {
    assert.equal((await run(['lint'])).code, 2);
    assert.equal((await run(['lint', 'a.tflite', 'b.tflite'])).code, 2);
    const bad = await run(['lint', join(MATRIX, 'bconv_cin16', 'lce.tflite'), '--max-waste', 'lots']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--max-waste must be a percentage/);
    const missing = await run(['lint', join(tmp, 'nope.tflite')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read the file/);
    const junk = join(tmp, 'junk.h5');
    writeFileSync(junk, 'not a model at all');
    const j = await run(['lint', junk]);
    assert.equal(j.code, 1);
    assert.match(j.err, /not a Keras model file/);
  });

  it('through the lce binary: the exit status is what CI sees', () => {
    const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'lce.js');
    assert.throws(
      () => execFileSync(process.execPath, [bin, 'lint', join(MATRIX, 'bconv_cin16', 'lce.tflite'), '--max-waste', '50'], { stdio: 'pipe' }),
      (e: unknown) => (e as { status?: number }).status === 1 && /above --max-waste 50 %/.test(String((e as { stderr?: Buffer }).stderr)),
    );
  });

  it('errors are LceErrors (typed), never crashes', async () => {
    await assert.rejects(lintFile(join(tmp, 'absent.keras')), (e: unknown) => e instanceof LceError && e.code === 'IO');
  });
});
