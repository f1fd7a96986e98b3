/**
 * Arena planning for activations, in the spirit of TFLite's greedy-by-size planner: tensors whose lifetimes
 * overlap never share bytes; the largest tensors are placed first, each at the lowest offset that fits beside
 * the already-placed tensors it is alive with.
 */

export interface BufferRequest {
  /** Caller's key (a tensor index). */
  id: number;
  bytes: number;
  /** First and last step (op index) at which the buffer must hold its value, inclusive. */
  first: number;
  last: number;
}

export interface MemoryPlan {
  /** Byte offset of each request, by id. */
  offsets: Map<number, number>;
  arenaBytes: number;
}

export const ARENA_ALIGNMENT = 64;

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function planMemory(requests: readonly BufferRequest[], alignment = ARENA_ALIGNMENT): MemoryPlan {
  const order = [...requests].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id);
  const placed: { offset: number; end: number; first: number; last: number }[] = [];
  const offsets = new Map<number, number>();
  let arenaBytes = 0;
  for (const r of order) {
    const size = alignUp(Math.max(r.bytes, 1), alignment);
    // Placed buffers alive at the same time, by address: the candidate offset walks the gaps between them.
    const live = placed
      .filter((p) => p.first <= r.last && r.first <= p.last)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of live) {
      if (offset + size <= p.offset) break;
      offset = Math.max(offset, p.end);
    }
    placed.push({ offset, end: offset + size, first: r.first, last: r.last });
    offsets.set(r.id, offset);
    arenaBytes = Math.max(arenaBytes, offset + size);
  }
  return { offsets, arenaBytes };
}
