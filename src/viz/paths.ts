/** Questions a viewer asks of one picture of the heap (a step's VizHeap). */
import type { VizHeap, VizObject } from "./format.js";

/**
 * "Why is this alive": the shortest chain of strong references from a root to `addr`, as the
 * root's name and the addresses along the chain (the root's object first, `addr` last); null when
 * no root reaches it (garbage, or kept by something the picture does not show). Breadth first,
 * without recursion.
 */
export function whyAlive(heap: VizHeap, addr: number): { root: string; path: number[] } | null {
  if (heap.objects === null) return null;
  const byAddr = new Map<number, VizObject>(heap.objects.map((o) => [o.addr, o]));
  const parent = new Map<number, number>();
  const rootOf = new Map<number, string>();
  const queue: number[] = [];
  for (const r of heap.roots) {
    if (rootOf.has(r.addr)) continue;
    rootOf.set(r.addr, r.name);
    parent.set(r.addr, -1);
    queue.push(r.addr);
  }
  for (let i = 0; i < queue.length; i++) {
    const a = queue[i]!;
    if (a === addr) {
      const path = [a];
      for (let p = parent.get(a)!; p !== -1; p = parent.get(p)!) path.push(p);
      path.reverse();
      return { root: rootOf.get(path[0]!)!, path };
    }
    for (const e of byAddr.get(a)?.edges ?? []) {
      if (e.weak || parent.has(e.to)) continue;
      parent.set(e.to, a);
      queue.push(e.to);
    }
  }
  return null;
}
