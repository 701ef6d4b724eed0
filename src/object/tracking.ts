/**
 * CPython's tracking rules for tuples and dicts (Objects/dictobject.c MAINTAIN_TRACKING and
 * _PyDict_MaybeUntrack, Objects/tupleobject.c _PyTuple_MaybeUntrack). A container that can
 * never be part of a cycle need not be scanned, so:
 *  - a dict starts untracked and is tracked when a key or value that "may be tracked" is stored
 *    (src/refcount/containers.ts: dictSetItem);
 *  - the collector untracks a surviving tuple whose items are all untrackable (every
 *    collection, tupleCanUntrack) and a surviving dict whose keys and values are (full
 *    collections only, dictMaybeUntrack).
 */
import { read32 } from "../memory/index.js";
import { DICT_KEYS_GENERAL, DICT_KEYS_KIND, DICT_TABLE } from "./dict.js";
import { E_KEY, E_VALUE, ENTRY_SIZE, T_INDICES, T_NENTRIES, T_SIZE } from "./dicttable.js";
import { GC_HEAD_SIZE, gcTrack, gcUntrack, typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { Kind } from "./kinds.js";
import { TUPLE_ITEMS, TUPLE_SIZE } from "./tuple.js";
import { REF_TAG, SLOT_SIZE, slotIsNull } from "./value.js";

/**
 * _PyObject_GC_MAY_BE_TRACKED for the object `o`: its type is a container type and it is not a
 * tuple, or a tracked one. (An untracked dict still may be tracked: a later store can track it.)
 */
export function objectMayBeTracked(h: ObjectHeap, o: number): boolean {
  const id = typeIdOf(h, o);
  if (h.typeIsGc[id] === 0) return false;
  return h.typeKind[id] !== Kind.Tuple || read32(h, o - GC_HEAD_SIZE) !== 0;
}

/** objectMayBeTracked for a slot: numbers and NULL never are. */
function slotMayBeTracked(h: ObjectHeap, p: number): boolean {
  if (read32(h, p + 4) !== REF_TAG) return false;
  const o = read32(h, p);
  return o !== 0 && objectMayBeTracked(h, o);
}

/** Whether _PyTuple_MaybeUntrack would untrack tuple `t`: every item present and untrackable. */
export function tupleCanUntrack(h: ObjectHeap, t: number): boolean {
  const n = read32(h, t + TUPLE_SIZE);
  for (let i = 0; i < n; i++) {
    const p = t + TUPLE_ITEMS + SLOT_SIZE * i;
    // A NULL item means the tuple is still being filled: keep it tracked.
    if (slotIsNull(h, p)) return false;
    if (slotMayBeTracked(h, p)) return false;
  }
  return true;
}

/**
 * _PyDict_MaybeUntrack: untracks a tracked dict none of whose values (and, for a general table,
 * keys) may be tracked.
 */
export function dictMaybeUntrack(h: ObjectHeap, d: number): void {
  if (read32(h, d - GC_HEAD_SIZE) === 0) return;
  if (h.setDicts.size !== 0 && h.setDicts.has(d)) return;
  const t = read32(h, d + DICT_TABLE);
  if (t !== 0) {
    const general = read32(h, d + DICT_KEYS_KIND) === DICT_KEYS_GENERAL;
    const ne = read32(h, t + T_NENTRIES);
    const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
    for (let i = 0; i < ne; i++) {
      const e = e0 + ENTRY_SIZE * i;
      // A deleted entry has a NULL key and value.
      if (read32(h, e + E_VALUE + 4) === REF_TAG && read32(h, e + E_VALUE) === 0) continue;
      if (slotMayBeTracked(h, e + E_VALUE)) return;
      if (general && slotMayBeTracked(h, e + E_KEY)) return;
    }
  }
  gcUntrack(h, d);
}

/**
 * Makes dict `d` behave as a CPython set for tracking: tracked now (a set is tracked from its
 * creation) and never untracked by a collection (sets have no such rule). Used for a WeakSet's
 * data, so its weakrefs sit in the generations where CPython's do.
 */
export function markDictAsSet(h: ObjectHeap, d: number): void {
  if (read32(h, d - GC_HEAD_SIZE) === 0) gcTrack(h, d);
  h.setDicts.add(d);
}
