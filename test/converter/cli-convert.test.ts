/** `lce convert`: writes a readable LCE model and a summary; a failed conversion leaves no file behind. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConvert } from '../../src/cli/convert.js';
import { readModel } from '../../src/format/read.js';

const DIR = join(import.meta.dirname, '..', 'data', 'keras');

test('lce convert writes the .tflite and a summary', async () => {
  const out = mkdtempSync(join(tmpdir(), 'lce-convert-'));
  try {
    const target = join(out, 'nested.tflite');
    const write = process.stdout.write.bind(process.stdout);
    let text = '';
    process.stdout.write = ((s: string) => { text += s; return true; }) as typeof process.stdout.write;
    let rc: number;
    try {
      rc = await runConvert([join(DIR, 'nested.keras'), '-o', target, '--report']);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(rc, 0);
    const model = readModel(new Uint8Array(readFileSync(target)));
    assert.equal(model.subgraphs[0].operators.length, 5);
    assert.match(text, /layers in: +\d+/);
    assert.match(text, /ops out: +5/);
    assert.match(text, /file size:/);
    assert.match(text, /"passes"/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a failed conversion leaves no output file', async () => {
  const out = mkdtempSync(join(tmpdir(), 'lce-convert-'));
  try {
    await assert.rejects(runConvert([join(DIR, 'lambda_layer.h5'), '-o', join(out, 'x.tflite')]), /Lambda/);
    assert.deepEqual(readdirSync(out), []);
    assert.equal(existsSync(join(out, 'x.tflite')), false);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
