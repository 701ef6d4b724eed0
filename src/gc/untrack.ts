/**
 * Untracking survivors that cannot be part of a cycle (cpython-memory.md §4.18): tuples after
 * every collection (folded into the collector's scan, see deduce.ts), dicts after full ones. Survivors are processed in list order, so an outer
 * tuple that comes before its inner tuples needs a second collection, as in CPython.
 */
import { read32 } from "../memory/index.js";
import { dictMaybeUntrack, Kind, tupleMaybeUntrack, typeIdOf } from "../object/index.js";
import type { GcState } from "./heap.js";

/** untrack_tuples over a whole list (the collector does it during its scan instead). */
export function untrackTuples(h: GcState, head: number): void {
  let g = read32(h, head);
  while (g !== head) {
    const next = read32(h, g);
    if (h.typeKind[typeIdOf(h, g + 8)] === Kind.Tuple) tupleMaybeUntrack(h, g + 8);
    g = next;
  }
}

/** untrack_dicts: returns how many dicts it untracked. */
export function untrackDicts(h: GcState, head: number): number {
  let untracked = 0;
  let g = read32(h, head);
  while (g !== head) {
    const next = read32(h, g);
    if (h.typeKind[typeIdOf(h, g + 8)] === Kind.Dict) {
      dictMaybeUntrack(h, g + 8);
      if (read32(h, g) === 0) untracked++;
    }
    g = next;
  }
  return untracked;
}
