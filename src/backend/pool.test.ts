// The pool's chunk-claiming protocol (worker-protocol.ts) on a tiny hand-assembled kernel that counts, per row,
// how many times it ran: every row exactly once per job, whatever the interleaving; many tiny jobs in a row; a
// worker that wakes late (the claimDelayMs test hook) while the main thread completes every chunk itself; jobs
// with different parameters back to back; a second export per chunk (fused steps); a trapping chunk; a Node process that exits with workers asleep.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasSharedMemory } from './features.js';
import { ThreadPool, type PoolKernels } from './pool.js';
import { LceError } from '../errors.js';

/**
 * `count_rows(d, m0, m1, s)` on an imported shared memory (1 page). Descriptor d: [d] busy-loop iterations per row,
 * [d+4] a row whose chunk traps (-1: none), [d+8+4r] row r's counter. Adds 1 to the word at s (chunks run with
 * that scratch address), then for each row of [m0, m1) spins and atomically adds 1 to the row's counter.
 */
const COUNT_ROWS_WASM = ((): Uint8Array<ArrayBuffer> => {
  const bytes = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
  const section = (id: number, content: number[]): number[] => [id, content.length, ...content]; // all under 128 bytes
  const body = [
    0x01, 0x01, 0x7f, // one i32 local: the spin counter
    // if (m0 <= [d+4] && [d+4] < m1) unreachable
    0x20, 0x01, 0x20, 0x00, 0x28, 0x02, 0x04, 0x4c,
    0x20, 0x00, 0x28, 0x02, 0x04, 0x20, 0x02, 0x48, 0x71,
    0x04, 0x40, 0x00, 0x0b,
    0x20, 0x03, 0x41, 0x01, 0xfe, 0x1e, 0x02, 0x00, 0x1a, // atomic [s] += 1
    0x02, 0x40, 0x03, 0x40, // block loop
    0x20, 0x01, 0x20, 0x02, 0x4e, 0x0d, 0x01, // if (m0 >= m1) break
    0x20, 0x00, 0x28, 0x02, 0x00, 0x21, 0x04, // k = [d]
    0x02, 0x40, 0x03, 0x40, 0x20, 0x04, 0x45, 0x0d, 0x01, 0x20, 0x04, 0x41, 0x01, 0x6b, 0x21, 0x04, 0x0c, 0x00, 0x0b, 0x0b, // while (k) k--
    0x20, 0x00, 0x20, 0x01, 0x41, 0x02, 0x74, 0x6a, 0x41, 0x01, 0xfe, 0x1e, 0x02, 0x08, 0x1a, // atomic [d + 8 + 4·m0] += 1
    0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x0c, 0x00, // m0++; continue
    0x0b, 0x0b, 0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00]), // type (i32 i32 i32 i32) -> ()
    ...section(2, [0x01, 0x03, ...bytes('env'), 0x06, ...bytes('memory'), 0x02, 0x03, 0x01, 0x01]), // shared memory 1..1
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, 0x0a, ...bytes('count_rows'), 0x00, 0x00]),
    ...section(10, [0x01, body.length, ...body]),
  ]);
})();

/** A PoolKernels over the counting module; `view` reads and writes its memory. */
function countingKernels(): PoolKernels & { view: Int32Array } {
  const module = new WebAssembly.Module(COUNT_ROWS_WASM);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fn = instance.exports['count_rows'] as (...a: number[]) => void;
  return {
    module, memory, view: new Int32Array(memory.buffer),
    invoke: (name: string, ...args: number[]) => {
      assert.equal(name, 'count_rows');
      fn(...args);
    },
  };
}

/** A descriptor at word `at` for `rows` rows: spin iterations per row, trap row, zeroed counters. */
function descriptor(k: { view: Int32Array }, at: number, rows: number, spin: number, trapRow = -1): number {
  k.view[at] = spin;
  k.view[at + 1] = trapRow;
  k.view.fill(0, at + 2, at + 2 + rows);
  return at * 4;
}

const counts = (k: { view: Int32Array }, desc: number, rows: number): number[] => [...k.view.subarray(desc / 4 + 2, desc / 4 + 2 + rows)];
const SCRATCH = 60_000; // bytes; thread t's chunk counter at SCRATCH + 4t
const scratchCounts = (k: { view: Int32Array }, threads: number): number[] => [...k.view.subarray(SCRATCH / 4, SCRATCH / 4 + threads)];

describe('thread pool: dynamic row chunks', { skip: !hasSharedMemory() && 'no SharedArrayBuffer' }, () => {
  it('runs every row of every job exactly once over many tiny and larger jobs', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 3);
    try {
      const a = descriptor(k, 0, 8, 0);
      k.view.fill(0, SCRATCH / 4, SCRATCH / 4 + 3);
      const tiny = 5000;
      for (let j = 0; j < tiny; j++) {
        pool.runRows(k, 'count_rows', a, 8, 1, SCRATCH, 4, 3);
        assert.ok(counts(k, a, 8).every((c) => c === j + 1), `tiny job ${j}`);
      }
      // Jobs long enough for the workers to join, checked as soon as runRows returns; alternating parameters, so
      // a thread that used a stale job's rows, grain or descriptor would miscount.
      const b = descriptor(k, 100, 1000, 2000);
      const c = descriptor(k, 2000, 37, 20000);
      for (let j = 0; j < 200; j++) {
        pool.runRows(k, 'count_rows', b, 1000, 4, SCRATCH, 4, 3);
        assert.ok(counts(k, b, 1000).every((x) => x === j + 1), `job b ${j}: ${counts(k, b, 1000).join()}`);
        pool.runRows(k, 'count_rows', c, 37, 3, SCRATCH, 4, 2);
        assert.ok(counts(k, c, 37).every((x) => x === j + 1), `job c ${j}: ${counts(k, c, 37).join()}`);
      }
      const perThread = scratchCounts(k, 3);
      // 8 one-row chunks per tiny job; 1000 rows in 18 chunks of 56; 37 rows (13 tiles of 3) in 7 chunks of 6.
      assert.equal(perThread.reduce((sum, x) => sum + x, 0), tiny * 8 + 200 * (18 + 7));
      assert.ok(perThread[1]! + perThread[2]! > 0, 'the workers never took part');
      console.log(`chunks run by thread 0, 1, 2: ${perThread.join(', ')}`);
    } finally {
      await pool.release();
    }
  });

  it('runs a second export on each chunk\'s rows right after the first (fused steps), and only for jobs that ask', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 3);
    try {
      const first = descriptor(k, 100, 1000, 2000);
      const second = descriptor(k, 2000, 1000, 0);
      k.view[0] = 0; // the second export runs with scratch 0: word 0 counts its chunks
      for (let j = 0; j < 100; j++) {
        pool.runRows(k, 'count_rows', first, 1000, 4, SCRATCH, 4, 3, { name: 'count_rows', desc: second });
        assert.ok(counts(k, first, 1000).every((x) => x === 2 * j + 1), `job ${j}, first export`);
        assert.ok(counts(k, second, 1000).every((x) => x === j + 1), `job ${j}, second export: ${counts(k, second, 1000).join()}`);
        // the same rows without a second export: a worker must not run the previous job's
        pool.runRows(k, 'count_rows', first, 1000, 4, SCRATCH, 4, 3);
        assert.ok(counts(k, first, 1000).every((x) => x === 2 * j + 2), `job ${j}, first export alone`);
        assert.ok(counts(k, second, 1000).every((x) => x === j + 1), `job ${j}: the second export ran without being asked`);
      }
      assert.equal(k.view[0], 100 * 18, 'one second-export call per chunk (1000 rows in 18 chunks)');
    } finally {
      await pool.release();
    }
  });

  it('a worker that wakes after its job ended does not join a later job it was not asked to', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 3, { claimDelayMs: 50 });
    try {
      const short = descriptor(k, 0, 60, 0);
      const long = descriptor(k, 100, 240, 1_000_000);
      k.view.fill(0, SCRATCH / 4, SCRATCH / 4 + 3);
      for (let j = 0; j < 3; j++) {
        // Both workers are woken and sleep 50 ms; the main thread finishes alone and starts a long job for two
        // threads: worker 2 then wakes holding the ended job's sequence number and must claim nothing.
        pool.runRows(k, 'count_rows', short, 60, 1, SCRATCH, 4, 3);
        pool.runRows(k, 'count_rows', long, 240, 4, SCRATCH, 4, 2);
        assert.ok(counts(k, short, 60).every((x) => x === j + 1));
        assert.ok(counts(k, long, 240).every((x) => x === j + 1));
      }
      const perThread = scratchCounts(k, 3);
      assert.equal(perThread[2], 0, `thread 2 ran ${perThread[2]} chunks of jobs it was not asked to join`);
      console.log(`chunks run by thread 0, 1, 2: ${perThread.join(', ')}`);
    } finally {
      await pool.release();
    }
  });

  it('never waits for a worker that has not claimed: a late worker finds its job finished and touches nothing', async () => {
    const k = countingKernels();
    const delay = 100;
    const pool = await ThreadPool.start(k, 2, { claimDelayMs: delay });
    try {
      const d = descriptor(k, 0, 400, 100);
      k.view.fill(0, SCRATCH / 4, SCRATCH / 4 + 2);
      const t0 = performance.now();
      pool.runRows(k, 'count_rows', d, 400, 4, SCRATCH, 4, 2);
      const ms = performance.now() - t0;
      assert.ok(ms < delay * 0.8, `the job took ${ms.toFixed(1)} ms: the main thread waited for the sleeping worker`);
      assert.deepEqual(counts(k, d, 400), new Array(400).fill(1));
      assert.deepEqual(scratchCounts(k, 2), [12, 0]);
      // The worker wakes, finds nothing left, and goes back to sleep without running anything.
      await new Promise((r) => setTimeout(r, delay + 100));
      assert.deepEqual(counts(k, d, 400), new Array(400).fill(1));
      assert.deepEqual(scratchCounts(k, 2), [12, 0]);
      // Jobs posted while it sleeps (it wakes holding an old sequence number): each still runs exactly once.
      const e = descriptor(k, 500, 96, 50000);
      for (let j = 0; j < 60; j++) {
        pool.runRows(k, 'count_rows', j % 2 ? e : d, j % 2 ? 96 : 400, j % 2 ? 8 : 4, SCRATCH, 4, 2);
        assert.deepEqual(counts(k, e, 96), new Array(96).fill((j + 1) >> 1), `job ${j}`);
        assert.deepEqual(counts(k, d, 400), new Array(400).fill(1 + ((j + 2) >> 1)), `job ${j}`);
      }
    } finally {
      await pool.release();
    }
  });

  it('only threads with a scratch copy take part, and one thread runs the whole range on the calling thread', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 3);
    try {
      const d = descriptor(k, 0, 600, 100);
      k.view.fill(0, SCRATCH / 4, SCRATCH / 4 + 3);
      for (let j = 0; j < 200; j++) pool.runRows(k, 'count_rows', d, 600, 2, SCRATCH, 4, 2);
      pool.runRows(k, 'count_rows', d, 600, 2, SCRATCH, 4, 1);
      assert.deepEqual(counts(k, d, 600), new Array(600).fill(201));
      const [main, first, second] = scratchCounts(k, 3);
      assert.equal(second, 0);
      assert.equal(main! + first!, 200 * 12 + 1);
    } finally {
      await pool.release();
    }
  });

  it('a trapping chunk fails the job after every claimed chunk is done; the next job runs normally', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 2);
    try {
      for (let j = 0; j < 50; j++) {
        const trap = (j * 37) % 300;
        const d = descriptor(k, 0, 300, 300, trap);
        assert.throws(() => pool.runRows(k, 'count_rows', d, 300, 5, SCRATCH, 4, 2), (e: unknown) => e instanceof WebAssembly.RuntimeError
          || (e instanceof LceError && e.code === 'LIMIT'));
        const trapped = counts(k, d, 300);
        const ok = descriptor(k, 0, 300, 300);
        pool.runRows(k, 'count_rows', ok, 300, 5, SCRATCH, 4, 2);
        assert.deepEqual(counts(k, ok, 300), new Array(300).fill(1), `job after trap ${j}`);
        assert.equal(trapped[trap], 0);
        assert.ok(trapped.every((c) => c <= 1));
      }
    } finally {
      await pool.release();
    }
  });

  it('a trap in the second export fails the job like one in the first; the next job runs normally', async () => {
    const k = countingKernels();
    const pool = await ThreadPool.start(k, 2);
    try {
      for (let j = 0; j < 30; j++) {
        const trap = (j * 37) % 300;
        const first = descriptor(k, 100, 300, 300);
        const second = descriptor(k, 1000, 300, 0, trap);
        assert.throws(() => pool.runRows(k, 'count_rows', first, 300, 5, SCRATCH, 4, 2, { name: 'count_rows', desc: second }),
          (e: unknown) => e instanceof WebAssembly.RuntimeError || (e instanceof LceError && e.code === 'LIMIT'));
        assert.equal(counts(k, second, 300)[trap], 0);
        const ok = descriptor(k, 100, 300, 300);
        const okSecond = descriptor(k, 1000, 300, 0);
        pool.runRows(k, 'count_rows', ok, 300, 5, SCRATCH, 4, 2, { name: 'count_rows', desc: okSecond });
        assert.deepEqual(counts(k, ok, 300), new Array(300).fill(1), `job after trap ${j}`);
        assert.deepEqual(counts(k, okSecond, 300), new Array(300).fill(1), `second export of the job after trap ${j}`);
      }
    } finally {
      await pool.release();
    }
  });

  it('a Node process exits by itself with a worker asleep, released or not', () => {
    const pool = new URL('./pool.ts', import.meta.url).href;
    for (const release of [true, false]) {
      const script = `
        const { ThreadPool } = await import(${JSON.stringify(pool)});
        const module = new WebAssembly.Module(new Uint8Array(${JSON.stringify([...COUNT_ROWS_WASM])}));
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
        const fn = new WebAssembly.Instance(module, { env: { memory } }).exports.count_rows;
        const k = { module, memory, invoke: (_, ...a) => fn(...a) };
        new Int32Array(memory.buffer)[1] = -1;
        const p = await ThreadPool.start(k, 2, { claimDelayMs: 2000 });
        for (let j = 0; j < 100; j++) p.runRows(k, 'count_rows', 0, 64, 1, 60000, 4, 2);
        console.log('rows', new Int32Array(memory.buffer)[2]);
        ${release ? 'await p.release();' : ''}
      `;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000,
      });
      assert.equal(r.error, undefined, `the process did not exit by itself : ${r.error?.message}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /rows 100/);
      assert.ok(performance.now() - t0 < 10_000);
    }
  });
});
