/** `lce <command>`: the command-line front end. Each command lives in its own file and returns an exit code. */
import { LceError } from '../errors.js';
import '../node.js';

const USAGE = `lce — Larq Compute Engine for JavaScript

usage:
  lce inspect model.tflite [--json]                 ops, tensors, op counts, arena size
  lce run model.tflite [--input x.npy | --random] [--json]
  lce run model.tflite --image img.jpg|img.png|folder [--labels labels.txt] [--top 5]
      [--mean R,G,B --std R,G,B | --scale A --offset B] [--resize crop|fit] [--json]
  lce convert model.h5|model.keras -o model.tflite [--report]
  lce bench model.tflite [--threads N] [--runs R] [--warmup W] [--json]
  lce lint model.(h5|keras|tflite) [--json] [--max-waste P]
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: async () => (await import('./inspect.js')).runInspect,
  run: async () => (await import('./run.js')).runRun,
  convert: async () => (await import('./convert.js')).runConvert,
  bench: async () => (await import('./bench.js')).runBench,
  lint: async () => (await import('./lint.js')).runLint,
  demo: async () => (await import('./demo.js')).runDemo,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`lce: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    const command = await load();
    return await command(rest);
  } catch (e) {
    if (e instanceof LceError) {
      process.stderr.write(`lce ${name}: ${e.name}: ${e.message}\n`);
      return 1;
    }
    if (e instanceof TypeError && /parseArgs|Unknown option|ERR_PARSE_ARGS/.test(`${(e as { code?: string }).code ?? ''} ${e.message}`)) {
      process.stderr.write(`lce ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
