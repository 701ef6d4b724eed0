/**
 * Untracking survivors of a full collection that cannot be part of a cycle: dicts
 * (untrack_dicts in Modules/gcmodule.c, _PyDict_MaybeUntrack). Tuples are untracked during the
 * collector's scan (deduce.ts).
 */
import { read32 } from "../memory/index.js";
import { dictMaybeUntrack, Kind, typeIdOf } from "../object/index.js";
import type { GcState } from "./heap.js";

/** untrack_dicts: returns how many dicts it untracked. */
export function untrackDicts(h: GcState, head: number): number {
  let untracked = 0;
  let g = read32(h, head);
  while (g !== head) {
    const next = read32(h, g);
    // Exact dicts only (PyDict_CheckExact): a subclass's instance stays tracked.
    if (typeIdOf(h, g + 8) === Kind.Dict) {
      dictMaybeUntrack(h, g + 8);
      if (read32(h, g) === 0) untracked++;
    }
    g = next;
  }
  return untracked;
}
