/**
 * The floors' collections: CPython's three passes over a generation (update_refs, subtract_refs,
 * move_unreachable) flat over a floor heap's words, for a heap of `Node`s, lists and the type
 * object in which nothing is garbage (W2b's pause, and W1 with automatic collection on), and the
 * schedule that runs them: collect_generations at CPython's default thresholds (700, 10, 10) with
 * 3.11's long-lived rule for generation 2, and gc_collect_main's counts and promotion.
 *
 * Word literals, as in floor-flat.ts (V8 does not fold module-level constants into optimised
 * code): 4/5 generation 0's head (0x10), 8/9 generation 1 (0x20), 12/13 generation 2 (0x30),
 * 20/21 the unreachable list (0x50), 128/129 the type object's GC head (0x200), 194 generation 0's
 * count, 196 the count at which a collection is due (threshold 0), and the collector's own words:
 *
 *   word 203/204  generations 1 and 2's counts     word 205  long_lived_pending
 *   word 206      long_lived_total                 word 207/208/209  collections of generation 0/1/2
 *   word 210      the list freelist's one block (an object address, or 0)
 *   word 211      1 when automatic collection is on (newFloorHeap's `collection`)
 *   word 212      gc.garbage: an empty list in generation 2, as refheap's heap has one
 *
 * An object's GC head word gw: +0 gc_next, +1 gc_prev (gc_refs << 2 | COLLECTING 2 | FINALIZED 1
 * during a collection), +2 refcount, +3 type word; a Node's field at +4/+5, a list's size at +4
 * and items at +5. Type ids: 18 Node, 5 list, 7 the type object (which refers to nothing here);
 * 0xef0 has a bit set for each GC type id below 16.
 */

/**
 * update_refs, subtract_refs and move_unreachable over the list with head `head` (a generation,
 * the younger ones already merged onto it), when nothing in it is garbage: every object ends
 * reachable, its gc_prev a pointer again and COLLECTING clear. Returns the number of objects left
 * in the list; throws if the scan left any unreachable (this floor has no code to destroy them).
 */
export function floorPasses(i32: Int32Array, head: number, what: string): number {
  const hw = head >> 2;
  // update_refs.
  for (let g = i32[hw]!; g !== head; g = i32[g >> 2]!) {
    const gw = g >> 2;
    i32[gw + 1] = (i32[gw + 1]! & 1) | 2 | (i32[gw + 2]! << 2);
  }
  // subtract_refs: a Node's field and its type edge; a list's items.
  for (let g = i32[hw]!; g !== head; g = i32[g >> 2]!) {
    const gw = g >> 2;
    const id = i32[gw + 3]! & 0xffff;
    let s = 0;
    let end = 0;
    if (id === 18) {
      s = gw + 4;
      end = gw + 6;
      const tp = i32[129]!;
      if ((tp & 2) !== 0) i32[129] = tp - 4;
    } else if (id === 5) {
      s = i32[gw + 5]! >> 2;
      end = s + 2 * i32[gw + 4]!;
    } else if (id !== 7) {
      throw new Error(`floor ${what}: an object of another kind`);
    }
    for (; s < end; s += 2) {
      if (i32[s + 1] !== -65536) continue;
      const r = i32[s]!;
      if (r === 0) continue;
      const rid = i32[(r >> 2) + 1]! & 0xffff;
      if (rid < 16 && ((0xef0 >> rid) & 1) === 0) continue;
      const rw = (r >> 2) - 1;
      const rp = i32[rw]!;
      if ((rp & 2) !== 0) i32[rw] = rp - 4;
    }
  }
  // move_unreachable: a Node's field then its type; a list's items last to first.
  i32[20] = 80;
  i32[21] = 80;
  let prev = head;
  let kept = 0;
  let moved = 0;
  let back = 0;
  let g = i32[hw]!;
  while (g !== head) {
    const gw = g >> 2;
    const prevWord = i32[gw + 1]!;
    if (prevWord >>> 2 !== 0) {
      const id = i32[gw + 3]! & 0xffff;
      let s = 0;
      let end = 0;
      let step = 2;
      if (id === 18) {
        s = gw + 4;
        end = gw + 6;
      } else if (id === 5) {
        const base = i32[gw + 5]! >> 2;
        s = base + 2 * (i32[gw + 4]! - 1);
        end = base - 2;
        step = -2;
      }
      for (; s !== end; s += step) {
        const r = i32[s]!;
        if (r === 0 || i32[s + 1] !== -65536) continue;
        const rid = i32[(r >> 2) + 1]! & 0xffff;
        if (rid < 16 && ((0xef0 >> rid) & 1) === 0) continue;
        const rg = r - 8;
        const rgw = rg >> 2;
        const rp = i32[rgw + 1]!;
        if ((rp & 2) === 0) continue;
        const rn = i32[rgw]!;
        if ((rn & 1) !== 0) {
          const pv = rp & -4;
          const nw = (rn & -2) >> 2;
          i32[pv >> 2] = rn;
          i32[nw + 1] = (i32[nw + 1]! & 3) | pv;
          const yl = i32[hw + 1]!;
          i32[yl >> 2] = rg;
          i32[rgw] = head;
          i32[hw + 1] = rg;
          i32[rgw + 1] = (rp & 3) | 4;
          back++;
        } else if (rp >>> 2 === 0) {
          i32[rgw + 1] = rp | 4;
        }
      }
      if (id === 18) {
        const tp = i32[129]!;
        if ((tp & 2) !== 0) {
          const tn = i32[128]!;
          if ((tn & 1) !== 0) {
            const pv = tp & -4;
            const nw = (tn & -2) >> 2;
            i32[pv >> 2] = tn;
            i32[nw + 1] = (i32[nw + 1]! & 3) | pv;
            const yl = i32[hw + 1]!;
            i32[yl >> 2] = 512;
            i32[128] = head;
            i32[hw + 1] = 512;
            i32[129] = (tp & 3) | 4;
            back++;
          } else if (tp >>> 2 === 0) {
            i32[129] = tp | 4;
          }
        }
      }
      i32[gw + 1] = (i32[gw + 1]! & 1) | prev;
      prev = g;
      kept++;
    } else {
      i32[prev >> 2] = i32[gw]!;
      const last = i32[21]!;
      i32[last >> 2] = 1 | g;
      i32[gw + 1] = (prevWord & 3) | last;
      i32[gw] = 81;
      i32[21] = g;
      moved++;
    }
    g = i32[prev >> 2]!;
  }
  i32[hw + 1] = prev;
  i32[20] = i32[20]! & -2;
  if (moved - back !== 0)
    throw new Error(`floor ${what}: the collection found garbage, which this floor does not destroy`);
  return kept;
}

/** gc_list_merge of generation `from`'s list onto the tail of generation `to`'s (heads' word indexes). */
export function floorMerge(i32: Int32Array, from: number, to: number): void {
  const first = i32[from]!;
  if (first === from << 2) return;
  const last = i32[from + 1]!;
  const tail = i32[to + 1]!;
  i32[tail >> 2] = first;
  i32[(first >> 2) + 1] = (i32[(first >> 2) + 1]! & 3) | tail;
  i32[to + 1] = last;
  i32[last >> 2] = to << 2;
  i32[from] = from << 2;
  i32[from + 1] = from << 2;
}

/**
 * gc_collect_main(gen) where nothing is garbage: the counts (count[gen+1] += 1, counts 0..gen
 * reset), the younger generations merged onto `gen`, the three passes, then the survivors
 * promoted (counted into long_lived_pending after a generation-1 collection) or, after a full
 * collection, long_lived_pending reset, long_lived_total set, and the freelists cleared.
 */
export function floorCollect(i32: Int32Array, gen: number): void {
  if (gen === 0) i32[203] = i32[203]! + 1;
  else if (gen === 1) i32[204] = i32[204]! + 1;
  i32[194] = 0;
  if (gen >= 1) i32[203] = 0;
  if (gen >= 2) i32[204] = 0;
  i32[207 + gen] = i32[207 + gen]! + 1;
  const hw = 4 * (gen + 1);
  for (let i = 0; i < gen; i++) floorMerge(i32, 4 * (i + 1), hw);
  const survivors = floorPasses(i32, hw << 2, "W1 (gc on)");
  if (gen < 2) {
    if (gen === 1) i32[205] = i32[205]! + survivors;
    floorMerge(i32, hw, hw + 4);
  } else {
    i32[205] = 0;
    i32[206] = survivors;
    // clear_freelists: a list kept for reuse would be freed here; in W1 the list is in use
    // whenever an allocation starts a collection, so the floor has no code for it.
    if (i32[210] !== 0) throw new Error("floor W1 (gc on): a full collection with a list on the freelist");
  }
}

/** collect_generations: the oldest generation whose count passed its threshold (700, 10, 10). */
export function floorCollectGenerations(i32: Int32Array): void {
  if (i32[204]! > 10 && i32[205]! >= Math.trunc(i32[206]! / 4)) floorCollect(i32, 2);
  else if (i32[203]! > 10) floorCollect(i32, 1);
  else if (i32[194]! > i32[196]!) floorCollect(i32, 0);
}

/**
 * An allocation found generation 0's count at the count at which a collection is due: with
 * automatic collection on, count it and collect (_PyObject_GC_Link; the collection resets the
 * count, so the new object is not counted again); otherwise the floor has no collector to run.
 */
export function floorCollectDue(i32: Int32Array, what: string): void {
  if (i32[211] !== 1) throw new Error(`floor ${what}: a collection is due`);
  i32[194] = i32[194]! + 1;
  floorCollectGenerations(i32);
}

/** The collector's state in a floor heap, as refheap's gc state names it (for the tests). */
export function floorGcState(i32: Int32Array): {
  counts: number[];
  longLivedPending: number;
  longLivedTotal: number;
  collections: number[];
} {
  return {
    counts: [i32[194]!, i32[203]!, i32[204]!],
    longLivedPending: i32[205]!,
    longLivedTotal: i32[206]!,
    collections: [i32[207]!, i32[208]!, i32[209]!],
  };
}
