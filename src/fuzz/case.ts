/**
 * One fuzz case: make it from (seed, index) and the corpus, then load + run it and classify what happened.
 * Success and LceError subclasses are fine; anything else is a failure: a native error (TypeError, RangeError…),
 * a typed error that only wraps a native one thrown by a kernel (the interpreter's catch-all hid a bug), bad feeds
 * that were accepted, memory beyond the cap, or a case over the time limit.
 */
import { LceError, type LceErrorCode } from '../errors.js';
import { InferenceSession } from '../runtime/session.js';
import { feedModeIsValid, FEED_MODES, makeFeeds, type FeedMode } from './feeds.js';
import { mutateModel } from './mutate.js';
import { Rng } from './rng.js';

export interface CorpusModel {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  /** Corpus model the case started from. */
  readonly base: string;
  readonly bytes: Uint8Array;
  readonly edits: readonly string[];
  readonly feedMode: FeedMode;
  readonly feedSeed: number;
}

export type FailureKind = 'crash' | 'masked' | 'accepted-bad-input' | 'bad-output' | 'memory' | 'slow' | 'hang' | 'worker-died';

export type Outcome =
  | { status: 'ok' }
  | { status: 'typed'; code: LceErrorCode; stage: 'load' | 'run'; message: string }
  | { status: 'failure'; kind: FailureKind; stage: 'load' | 'run' | 'case'; message: string; stack?: string };

export interface CaseLimits {
  /** Session arena cap (bytes). */
  maxArenaBytes: number;
  /** Cap on ArrayBuffer memory a case may hold (arena, constants, packed weights, outputs). */
  maxExternalBytes: number;
  /** Per-case wall time. */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: CaseLimits = { maxArenaBytes: 4 << 20, maxExternalBytes: 64 << 20, timeoutMs: 1000 };

/** The case `index` of a run seeded with `seed`: deterministic given the corpus (in a fixed order). */
export function makeCase(corpus: readonly CorpusModel[], seed: number, index: number): FuzzCase {
  const rng = Rng.forCase(seed, index);
  const base = rng.pick(corpus);
  const other = rng.pick(corpus);
  // Mostly mutated models with valid feeds; a fifth keep the model intact and attack the feeds instead.
  const mutateInputs = rng.bool(0.2);
  const mutated = mutateInputs && rng.bool(0.75) ? { bytes: base.bytes.slice(), edits: [] } : mutateModel(rng, base.bytes, other.bytes);
  const feedMode: FeedMode = mutateInputs ? rng.pick(FEED_MODES) : rng.pick(['random', 'random', 'special', 'extremes'] as const);
  return { seed, index, base: base.name, bytes: mutated.bytes, edits: mutated.edits, feedMode, feedSeed: rng.u32() };
}

/** Loads and runs one case in this thread. Never throws. Time and memory are checked whatever the outcome. */
export async function runCase(c: Pick<FuzzCase, 'bytes' | 'feedMode' | 'feedSeed'>, limits: CaseLimits = DEFAULT_LIMITS): Promise<Outcome> {
  const external0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let external = 0;
  let outcome: Outcome;
  let session: InferenceSession | undefined;
  try {
    session = await InferenceSession.create(c.bytes, { maxArenaBytes: limits.maxArenaBytes, modelName: 'fuzz.tflite' });
  } catch (e) {
    outcome = classifyError(e, 'load');
    external = process.memoryUsage().arrayBuffers - external0;
  }
  if (session) {
    const inputs = session.inputMetadata.length;
    try {
      const out = await session.run(makeFeeds(session.inputMetadata, c.feedMode, c.feedSeed));
      outcome = feedModeIsValid(c.feedMode) || inputs === 0
        ? checkOutputs(session, out)
        : { status: 'failure', kind: 'accepted-bad-input', stage: 'run', message: `feeds in mode '${c.feedMode}' were accepted` };
    } catch (e) {
      outcome = classifyError(e, 'run');
      if (outcome.status === 'typed' && !feedModeIsValid(c.feedMode) && inputs > 0 && outcome.code !== 'INPUT') {
        outcome = { status: 'failure', kind: 'accepted-bad-input', stage: 'run', message: `feeds in mode '${c.feedMode}' gave ${outcome.code}, not INPUT: ${outcome.message}` };
      }
    }
    // Measured while the session still holds its arena and weights.
    external = process.memoryUsage().arrayBuffers - external0;
    await session.release();
  }
  const ms = performance.now() - t0;
  if (external > limits.maxExternalBytes) {
    return { status: 'failure', kind: 'memory', stage: 'case', message: `case held ${external} bytes of ArrayBuffers (cap ${limits.maxExternalBytes})` };
  }
  if (ms > limits.timeoutMs) {
    return { status: 'failure', kind: 'slow', stage: 'case', message: `case took ${ms.toFixed(0)} ms (limit ${limits.timeoutMs})` };
  }
  return outcome!;
}

function checkOutputs(session: InferenceSession, out: Record<string, { dims: readonly number[]; data: { length: number } }>): Outcome {
  for (const m of session.outputMetadata) {
    const t = out[m.name];
    const size = m.dims.reduce((a, b) => a * b, 1);
    if (!t || t.data.length !== size || t.dims.length !== m.dims.length) {
      return { status: 'failure', kind: 'bad-output', stage: 'run', message: `output '${m.name}' missing or not of dims [${m.dims.join(', ')}]` };
    }
  }
  return { status: 'ok' };
}

/** LceErrors are typed outcomes, unless one only wraps a native error from kernel code. */
export function classifyError(e: unknown, stage: 'load' | 'run'): Outcome {
  if (e instanceof LceError) {
    const cause = (e as { cause?: unknown }).cause;
    if (e.code === 'OP_PREPARE' && cause instanceof Error && !(cause instanceof LceError)) {
      return { status: 'failure', kind: 'masked', stage, message: `${e.message}`, ...(cause.stack ? { stack: cause.stack } : {}) };
    }
    return { status: 'typed', code: e.code, stage, message: e.message };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { status: 'failure', kind: 'crash', stage, message: `${err.name}: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}) };
}
