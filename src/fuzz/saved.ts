/**
 * Saved failing fuzz cases (test/regressions/cases/): `<name>.tflite` holds the model bytes and `<name>.json` how
 * the case was made, what went wrong and the feeds to replay it with. test/regressions/regressions.test.ts replays
 * every one and requires success or a typed error.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeedMode } from './feeds.js';
import type { FailureKind, FuzzCase } from './case.js';

export interface SavedCase {
  name: string;
  kind: FailureKind;
  message: string;
  seed: number;
  index: number;
  base: string;
  edits: readonly string[];
  feedMode: FeedMode;
  feedSeed: number;
}

export function saveCase(dir: string, c: FuzzCase, kind: FailureKind, message: string): string {
  mkdirSync(dir, { recursive: true });
  const name = `${kind}-s${c.seed}-c${c.index}`;
  const meta: SavedCase = {
    name, kind, message, seed: c.seed, index: c.index, base: c.base, edits: c.edits, feedMode: c.feedMode, feedSeed: c.feedSeed,
  };
  writeFileSync(join(dir, `${name}.tflite`), c.bytes);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(meta, null, 1) + '\n');
  return name;
}

export function loadSavedCases(dir: string): { meta: SavedCase; bytes: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta = JSON.parse(readFileSync(join(dir, f), 'utf8')) as SavedCase;
      return { meta, bytes: new Uint8Array(readFileSync(join(dir, `${meta.name}.tflite`))) };
    });
}
