/** The fuzz corpus: the small models of test/data and the oracle corpus (test/fixtures/matrix), in a fixed order. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CorpusModel } from './case.js';

/** Models larger than this are left out: the fuzzer wants many fast cases, not big models. */
export const MAX_CORPUS_MODEL_BYTES = 128 * 1024;

export function loadCorpus(root: string, maxBytes = MAX_CORPUS_MODEL_BYTES): CorpusModel[] {
  const files: string[] = [];
  const add = (dir: string, match: (name: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isFile() && match(name) && statSync(p).size <= maxBytes) files.push(p);
    }
  };
  add(join(root, 'test', 'data'), (n) => n.endsWith('.tflite'));
  add(join(root, 'test', 'data', 'keras'), (n) => n.endsWith('.tflite'));
  const matrix = join(root, 'test', 'fixtures', 'matrix');
  if (existsSync(matrix)) {
    for (const c of readdirSync(matrix)) add(join(matrix, c), (n) => n === 'lce.tflite');
  }
  files.sort();
  return files.map((p) => ({ name: relative(root, p), bytes: new Uint8Array(readFileSync(p)) }));
}
