/**
 * Long-run and concurrency checks shared by `npm run soak` (scripts/soak.ts, 10 000 inferences) and the bounded
 * test/soak.test.ts: results must not drift over many runs, memory must not grow, concurrent run() calls (on one
 * session, and on several sessions sharing one model's bytes) must give exactly what a sequential run gives.
 */
import { InferenceSession, type SessionOptions } from '../runtime/session.js';
import type { Tensor } from '../runtime/tensor.js';
import { makeFeeds } from './feeds.js';

export type Feeds = Record<string, Tensor>;
export type Outputs = Record<string, Tensor>;

/** `count` different valid feed sets for a session (deterministic). */
export function feedSets(session: InferenceSession, count: number, seed = 1): Feeds[] {
  return Array.from({ length: count }, (_, i) => makeFeeds(session.inputMetadata, 'random', seed * 7919 + i));
}

/** First difference between two output sets, or null when they are bit-identical. */
export function diffOutputs(a: Outputs, b: Outputs): string | null {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return `output names differ: ${keys.join(', ')} vs ${Object.keys(b).join(', ')}`;
  for (const k of keys) {
    const x = a[k]!, y = b[k];
    if (!y) return `output '${k}' missing`;
    if (x.type !== y.type || x.dims.join() !== y.dims.join()) return `output '${k}' type/dims differ`;
    const bx = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    const by = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength);
    if (bx.length !== by.length) return `output '${k}' byte length differs`;
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return `output '${k}' differs at byte ${i}`;
  }
  return null;
}

/** Runs every feed set one after the other. */
export async function runSequential(session: InferenceSession, feeds: readonly Feeds[]): Promise<Outputs[]> {
  const out: Outputs[] = [];
  for (const f of feeds) out.push(await session.run(f));
  return out;
}

/** All feed sets in flight on one session at once; each result must equal the sequential one. */
export async function checkConcurrentOneSession(session: InferenceSession, feeds: readonly Feeds[], expected: readonly Outputs[]): Promise<string[]> {
  const results = await Promise.all(feeds.map((f) => session.run(f)));
  return results.flatMap((r, i) => {
    const d = diffOutputs(expected[i]!, r);
    return d ? [`concurrent run ${i} on one session: ${d}`] : [];
  });
}

/** One session per feed set over the same model bytes, all running at once. */
export async function checkConcurrentSessions(
  bytes: Uint8Array, feeds: readonly Feeds[], expected: readonly Outputs[], options: SessionOptions = {},
): Promise<string[]> {
  const sessions = await Promise.all(feeds.map(() => InferenceSession.create(bytes, options)));
  try {
    // Twice each, interleaved, so a session reading another's arena would show.
    const results = await Promise.all(sessions.flatMap((s, i) => [s.run(feeds[i]!), s.run(feeds[(i + 1) % feeds.length]!)]));
    return results.flatMap((r, j) => {
      const i = j >> 1;
      const want = expected[j % 2 === 0 ? i : (i + 1) % feeds.length]!;
      const d = diffOutputs(want, r);
      return d ? [`session ${i} run ${j % 2}: ${d}`] : [];
    });
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

/** Creates, runs once and releases `count` sessions over the same bytes; each result must match `expected`. */
export async function churnSessions(bytes: Uint8Array, count: number, feeds: Feeds, expected: Outputs, options: SessionOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = await InferenceSession.create(bytes, options);
    const d = diffOutputs(expected, await s.run(feeds));
    if (d) problems.push(`session ${i}: ${d}`);
    await s.release();
  }
  return problems;
}

/** Active handles that would keep the process alive (worker threads, timers, sockets). */
export function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'FSReqCallback' && r !== 'PipeWrap');
}
