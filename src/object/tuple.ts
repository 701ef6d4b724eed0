/**
 * tuple: a fixed-size container, items inline. The empty tuple is a static singleton.
 *
 *   -8 [gc_next] -4 [gc_prev]  >obj +0 [refcnt] +4 [type] +8 [size] +12 (pad) +16 item slots…
 */
import { read32, write32 } from "../memory/index.js";
import { allocGcObject, gcLinkTuple, tupleFreelistSlot } from "./alloc.js";
import { checkCount } from "./check.js";
import { gcTrackNew, increfRaw } from "./header.js";
import { EMPTY_TUPLE, type ObjectHeap } from "./heap.js";
import { Kind } from "./kinds.js";
import { SLOT_SIZE, setSlotNull, setSlotRef } from "./value.js";

export const TUPLE_SIZE = 8;
export const TUPLE_ITEMS = 16;

/**
 * Creates a tuple of `n` NULL items, tracked (refcount 1). The caller fills every item before the
 * tuple is used; `n === 0` returns the shared empty tuple (with a new reference).
 */
export function newTuple(h: ObjectHeap, n: number): number {
  if (h.checked) checkCount(n, "newTuple", "size");
  if (n === 0) {
    increfRaw(h, EMPTY_TUPLE);
    return EMPTY_TUPLE;
  }
  const link = gcLinkTuple(h, n);
  const o = allocGcObject(h, TUPLE_ITEMS + SLOT_SIZE * n, Kind.Tuple, tupleFreelistSlot(n), link);
  write32(h, o + TUPLE_SIZE, n);
  for (let i = 0; i < n; i++) setSlotNull(h, o + TUPLE_ITEMS + SLOT_SIZE * i);
  gcTrackNew(h, o);
  return o;
}

/** A new tuple of the objects `items`, each with a new reference (as a call builds its arguments). */
export function tupleOf(h: ObjectHeap, items: readonly number[]): number {
  const o = newTuple(h, items.length);
  for (let i = 0; i < items.length; i++) {
    increfRaw(h, items[i]!);
    setSlotRef(h, o + TUPLE_ITEMS + SLOT_SIZE * i, items[i]!);
  }
  return o;
}

/** len(tuple) */
export function tupleSize(h: ObjectHeap, o: number): number {
  return read32(h, o + TUPLE_SIZE);
}
/** Address of item `i`'s slot. */
export function tupleSlot(o: number, i: number): number {
  return o + TUPLE_ITEMS + SLOT_SIZE * i;
}
