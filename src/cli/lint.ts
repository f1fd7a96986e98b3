/**
 * `lce lint model.(h5|keras|tflite) [--json] [--max-waste P]`: LCE's design guide as a linter. Per layer, what
 * each guideline costs in kernel work; a summary with the share wasted and the fixes that save the most.
 * `--max-waste P` makes the exit status 1 when more than P % of the model's work is wasted (for CI).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InputError, LceError } from '../errors.js';
import { readModel } from '../format/read.js';
import { lintModel, type LintReport } from '../analyze/lint.js';
import { formatLintReport, fmtPct, lintReportJson } from '../analyze/report.js';

const USAGE = 'usage: lce lint model.(h5|keras|tflite) [--json] [--max-waste P]\n';

function isTflite(bytes: Uint8Array): boolean {
  // A TFLite flatbuffer carries the file identifier "TFL3" at bytes 4..7.
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

/** Lints a model file of any supported kind, chosen by its contents. */
export async function lintFile(path: string): Promise<LintReport> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new LceError('IO', `${path}: cannot read the file (${(cause as Error).message})`, { cause });
  }
  if (isTflite(bytes)) return lintModel(readModel(bytes, path), path);
  const { lintKerasFile } = await import('../analyze/keras.js');
  return lintKerasFile(bytes, path);
}

export interface LintIo {
  out(text: string): void;
  err(text: string): void;
}

export function runLint(argv: string[]): Promise<number> {
  return runLintWith(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
}

/** `lce lint` writing to the given sinks (tests, embedding); LceErrors propagate to the caller. */
export async function runLintWith(argv: string[], io: LintIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { json: { type: 'boolean' }, 'max-waste': { type: 'string' } },
  });
  const path = positionals[0];
  if (!path || positionals.length > 1) {
    io.err(USAGE);
    return 2;
  }
  let maxWaste: number | undefined;
  if (values['max-waste'] !== undefined) {
    maxWaste = Number(values['max-waste'].replace(/%$/, ''));
    if (!Number.isFinite(maxWaste) || maxWaste < 0 || maxWaste > 100) {
      throw new InputError(`--max-waste must be a percentage between 0 and 100, got ${values['max-waste']}`);
    }
  }
  const report = await lintFile(path);
  io.out(values.json ? lintReportJson(report) : formatLintReport(report));
  if (maxWaste !== undefined && report.summary.wastedShare * 100 > maxWaste) {
    io.err(`lce lint: ${fmtPct(report.summary.wastedShare)} of the model's work is wasted, above --max-waste ${maxWaste} %\n`);
    return 1;
  }
  return 0;
}
