/**
 * Bounded soak (the full one is `npm run soak`): 500 inferences without drift, concurrent run() calls on one
 * session and on 8 sessions sharing a model equal to a sequential run, sessions created and released without
 * leaving reachable memory or live handles behind, and a released session refusing work with a typed error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LceError } from '../src/errors.js';
import {
  checkConcurrentOneSession, checkConcurrentSessions, churnSessions, diffOutputs, feedSets, liveHandles, runSequential,
} from '../src/fuzz/soak.js';
import { InferenceSession } from '../src/runtime/session.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const live = () => {
  gc();
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

const DATA = join(import.meta.dirname, 'data');
for (const file of ['lce_net.tflite', 'float_conv.tflite', 'int8_per_channel.tflite']) {
  const bytes = new Uint8Array(readFileSync(join(DATA, file)));

  test(`${file}: 500 inferences give the sequential results every time`, async () => {
    const s = await InferenceSession.create(bytes, { modelName: file });
    const feeds = feedSets(s, 8, 3);
    const expected = await runSequential(s, feeds);
    const problems: string[] = [];
    for (let i = 0; i < 500; i++) {
      const d = diffOutputs(expected[i % 8]!, await s.run(feeds[i % 8]!));
      if (d) problems.push(`run ${i}: ${d}`);
    }
    assert.deepEqual(problems, []);
    // Different inputs give different outputs, so the comparison above can fail (lce_net's tiny hand-made weights
    // saturate its output at -1 whatever the input; its LCE ops are still exercised).
    if (file !== 'lce_net.tflite') assert.notEqual(diffOutputs(expected[0]!, expected[1]!), null);
    await s.release();
  });

  test(`${file}: 8 concurrent runs on one session and on 8 sessions sharing the bytes equal a sequential run`, async () => {
    const s = await InferenceSession.create(bytes, { modelName: file });
    const feeds = feedSets(s, 8, 5);
    const expected = await runSequential(s, feeds);
    assert.deepEqual(await checkConcurrentOneSession(s, feeds, expected), []);
    assert.deepEqual(await checkConcurrentSessions(bytes, feeds, expected, { modelName: file }), []);
    await s.release();
  });
}

test('sessions created and released leave no reachable memory or live handles; released sessions refuse work', async () => {
  const bytes = new Uint8Array(readFileSync(join(DATA, 'float_conv.tflite')));
  const s = await InferenceSession.create(bytes);
  const feeds = feedSets(s, 1)[0]!;
  const expected = await s.run(feeds);
  await s.release();
  await assert.rejects(s.run(feeds), (e: unknown) => e instanceof LceError && e.code === 'INPUT' && /released/.test(e.message));
  await churnSessions(bytes, 30, feeds, expected); // warm-up
  const before = live();
  assert.deepEqual(await churnSessions(bytes, 200, feeds, expected), []);
  const growth = live() - before;
  assert.ok(growth < 5 * 1024 * 1024, `JS heap + ArrayBuffers grew ${growth} bytes over 200 sessions`);
  assert.deepEqual(liveHandles(), []);
});

test('a failing run does not disturb the runs queued around it', async () => {
  const bytes = new Uint8Array(readFileSync(join(DATA, 'lce_net.tflite')));
  const s = await InferenceSession.create(bytes);
  const feeds = feedSets(s, 4, 9);
  const expected = await runSequential(s, feeds);
  const name = s.inputNames[0]!;
  const results = await Promise.allSettled([
    s.run(feeds[0]!), s.run({ [`${name}_typo`]: feeds[1]![name]! }), s.run(feeds[1]!), s.run({}), s.run(feeds[2]!),
  ]);
  assert.equal(results[1]!.status, 'rejected');
  assert.equal(results[3]!.status, 'rejected');
  for (const [k, i] of [[0, 0], [2, 1], [4, 2]] as const) {
    const r = results[k]!;
    assert.equal(r.status, 'fulfilled');
    assert.equal(diffOutputs(expected[i]!, (r as PromiseFulfilledResult<Record<string, never>>).value), null);
  }
  await s.release();
});
