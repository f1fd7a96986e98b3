/**
 * `lce convert model.h5|model.keras -o model.tflite [--report]`: converts a Larq/Keras model to an LCE flatbuffer.
 * The file is written to a temporary name next to the target and renamed into place, so a failed conversion
 * leaves no partial output.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertKeras, type ConversionReport, type ConvertProgress } from '../converter/convert.js';
import { ConverterError } from '../errors.js';

const USAGE = `usage: lce convert model.h5|model.keras [-o model.tflite] [--report]
  -o, --output PATH              where to write the .tflite (default: the input name with .tflite)
      --report                   print the passes applied and the op counts as JSON
      --target arm|xcore         LCE target (xcore: no same-zero bconv, no LceBMaxPool2d)
      --keep-quant-dense         keep QuantDense as LCE does (float FULLY_CONNECTED) instead of a 1x1 LceBconv2d
      --inference-input-type float32|int8
      --inference-output-type float32|int8
      --int8-range MIN,MAX       quantization range of int8 model inputs/outputs
`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function progressBar(p: ConvertProgress): string {
  const width = 24;
  const filled = Math.round(p.fraction * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${p.stage}: ${p.detail}`.padEnd(80);
}

export function summarise(report: ConversionReport, output: string): string {
  const fusions = report.passes.filter((p) => p.rewrites > 0);
  const ops = Object.entries(report.opCounts).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op}×${n}`).join(', ');
  return [
    `converted ${report.modelName} (${report.format}) → ${output}`,
    `  layers in:  ${report.layersIn}`,
    `  ops out:    ${report.opsOut} (${ops})`,
    `  rewrites:   ${fusions.map((p) => `${p.name} ${p.rewrites}`).join(', ') || 'none'}`,
    `  file size:  ${formatBytes(report.bytes)}`,
  ].join('\n') + '\n';
}

function parseType(v: string | undefined, flag: string): 'float32' | 'int8' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'float32' && v !== 'int8') throw new ConverterError(`${flag} must be float32 or int8, got '${v}'`);
  return v;
}

export async function runConvert(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      report: { type: 'boolean' },
      target: { type: 'string' },
      'keep-quant-dense': { type: 'boolean' },
      'inference-input-type': { type: 'string' },
      'inference-output-type': { type: 'string' },
      'int8-range': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const input = positionals[0];
  const output = values.output ?? join(dirname(input), `${basename(input, extname(input))}.tflite`);
  const target = values.target ?? 'arm';
  if (target !== 'arm' && target !== 'xcore') throw new ConverterError(`--target must be arm or xcore, got '${target}'`);
  let int8Range: [number, number] | undefined;
  if (values['int8-range'] !== undefined) {
    const parts = values['int8-range'].split(',').map(Number);
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x)) || parts[0] >= parts[1]) {
      throw new ConverterError(`--int8-range must be MIN,MAX with MIN < MAX, got '${values['int8-range']}'`);
    }
    int8Range = [parts[0], parts[1]];
  }
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const result = await convertKeras(input, {
    target,
    denseToBconv: values['keep-quant-dense'] !== true,
    inferenceInputType: parseType(values['inference-input-type'], '--inference-input-type'),
    inferenceOutputType: parseType(values['inference-output-type'], '--inference-output-type'),
    int8Range,
    onProgress: (p) => {
      if (tty) process.stderr.write(progressBar(p));
    },
  });
  if (tty) process.stderr.write('\n');
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.partial`);
  try {
    await writeFile(temp, result.bytes);
    await rename(temp, output);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new ConverterError(`cannot write ${output}`, { cause });
  }
  process.stdout.write(summarise(result.report, output));
  process.stdout.write(`  time:       ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  if (values.report) process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
  return 0;
}
