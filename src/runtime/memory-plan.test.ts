import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMemory, type BufferRequest } from './memory-plan.js';

function overlaps(a: BufferRequest, b: BufferRequest, oa: number, ob: number): boolean {
  const timeOverlap = a.first <= b.last && b.first <= a.last;
  const addrOverlap = oa < ob + b.bytes && ob < oa + a.bytes;
  return timeOverlap && addrOverlap;
}

test('a chain reuses memory: arena is two buffers, not n', () => {
  const reqs: BufferRequest[] = [];
  for (let i = 0; i < 10; i++) reqs.push({ id: i, bytes: 1000, first: i, last: i + 1 });
  const plan = planMemory(reqs);
  assert.equal(plan.arenaBytes, 2 * 1024);
});

test('random lifetimes never collide and the arena is no bigger than the sum', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 50; trial++) {
    const reqs: BufferRequest[] = [];
    const n = 2 + Math.floor(rnd() * 30);
    for (let i = 0; i < n; i++) {
      const first = Math.floor(rnd() * 20);
      reqs.push({ id: i, bytes: 1 + Math.floor(rnd() * 5000), first, last: first + Math.floor(rnd() * 6) });
    }
    const plan = planMemory(reqs);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        assert.ok(!overlaps(reqs[i]!, reqs[j]!, plan.offsets.get(i)!, plan.offsets.get(j)!), `trial ${trial}: ${i} and ${j} collide`);
      }
      assert.equal(plan.offsets.get(i)! % 64, 0);
    }
    const sum = reqs.reduce((s, r) => s + Math.ceil(r.bytes / 64) * 64, 0);
    assert.ok(plan.arenaBytes <= sum);
  }
});

test('a long-lived buffer does not block reuse among short ones', () => {
  const plan = planMemory([
    { id: 0, bytes: 64, first: 0, last: 9 },
    { id: 1, bytes: 640, first: 0, last: 1 },
    { id: 2, bytes: 640, first: 2, last: 3 },
    { id: 3, bytes: 640, first: 4, last: 5 },
  ]);
  assert.equal(plan.arenaBytes, 704);
});
