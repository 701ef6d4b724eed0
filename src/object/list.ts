/**
 * list: a growable container; items live in a separate raw block (CPython's ob_item).
 *
 *   -8 [gc_next] -4 [gc_prev]  >obj +0 [refcnt] +4 [type] +8 [size] +12 [items] +16 [allocated]
 *   items → [slot 0][slot 1]…[slot allocated-1]   (8 bytes each; 0 when allocated == 0)
 */
import { free, malloc, read32, realloc, write32 } from "../memory/index.js";
import { allocGcObject, gcLink, gcLinkPooled, gcLinkUndo } from "./alloc.js";
import { checkCount } from "./check.js";
import { gcTrackNew } from "./header.js";
import { FREELIST_LIST, type ObjectHeap } from "./heap.js";
import { Kind, LIST_BASIC_SIZE } from "./kinds.js";
import { SLOT_SIZE } from "./value.js";

export const LIST_SIZE = 8;
export const LIST_ITEMS = 12;
export const LIST_ALLOCATED = 16;
export { LIST_BASIC_SIZE } from "./kinds.js";

/**
 * Creates an empty, tracked list (refcount 1) with room for `capacity` items. Like CPython's
 * PyList_New it reuses a list of the freelist (uncounted) when there is one; with `fromFreelist`
 * false it is allocated outright, as `list(iterable)` (list.__new__, PyType_GenericAlloc) is in
 * CPython. Either kind goes to the freelist when it dies.
 */
export function newList(h: ObjectHeap, capacity = 0, fromFreelist = true): number {
  if (h.checked) checkCount(capacity, "newList", "capacity");
  const slot = fromFreelist ? FREELIST_LIST : -1;
  const link = fromFreelist ? gcLinkPooled(h, FREELIST_LIST) : gcLink(h);
  let items = 0;
  try {
    if (capacity > 0) items = malloc(h, SLOT_SIZE * capacity);
  } catch (e) {
    gcLinkUndo(h, slot, link);
    throw e;
  }
  let o: number;
  try {
    o = allocGcObject(h, LIST_BASIC_SIZE, Kind.List, slot, link);
  } catch (e) {
    if (items !== 0) free(h, items);
    throw e;
  }
  write32(h, o + LIST_SIZE, 0);
  write32(h, o + LIST_ITEMS, items);
  write32(h, o + LIST_ALLOCATED, capacity);
  gcTrackNew(h, o);
  return o;
}

/** len(list) */
export function listSize(h: ObjectHeap, o: number): number {
  return read32(h, o + LIST_SIZE);
}
export function listItems(h: ObjectHeap, o: number): number {
  return read32(h, o + LIST_ITEMS);
}
export function listAllocated(h: ObjectHeap, o: number): number {
  return read32(h, o + LIST_ALLOCATED);
}
/** Address of item `i`'s slot (valid until the list is resized). */
export function listSlot(h: ObjectHeap, o: number, i: number): number {
  return read32(h, o + LIST_ITEMS) + SLOT_SIZE * i;
}

/**
 * CPython's list_resize: sets the size to `newsize`, reallocating the items with the same
 * over-allocation pattern (0, 4, 8, 16, 24, 32, 40, 52, …). New slots are left unset: the caller
 * fills them. Throws HeapMemoryError with the list unchanged if the heap cannot grow.
 */
export function listResize(h: ObjectHeap, o: number, newsize: number): void {
  const allocated = read32(h, o + LIST_ALLOCATED);
  if (allocated >= newsize && newsize >= allocated >> 1) {
    write32(h, o + LIST_SIZE, newsize);
    return;
  }
  listRealloc(h, o, newsize);
}

// #region generated: listAppendFast (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * listAppendSteal's path on unchecked heaps when the list has room (listResize without its
 * realloc): the size, then the item, over the list's words. Returns false, having changed nothing,
 * when list_resize would reallocate (the general path grows or shrinks the items).
 *
 * Word indexes, not byte addresses shifted at each access: in V8 an access at `(a + 8) >> 2` costs
 * measurably more than one at `(a >> 2) + 2` (W1's append: about 12 ns per item through the
 * accessors, 7 over the words; docs/performance.md, "Word indexes in the hot paths").
 */
export function listAppendStealFast(h: ObjectHeap, l: number, o: number): boolean {
  const i32 = h.i32;
  const lw = l >> 2;
  const n = i32[lw + 2]!;
  const allocated = i32[lw + 4]!;
  const size = n + 1;
  if (!(allocated >= size && size >= allocated >> 1)) return false;
  i32[lw + 2] = size;
  const sw = (i32[lw + 3]! >> 2) + 2 * n;
  i32[sw] = o;
  i32[sw + 1] = -65536;
  return true;
}

/** listAppend's path for a reference on unchecked heaps: listAppendStealFast, then a new reference to `v`. */
export function listAppendRefFast(h: ObjectHeap, l: number, v: number): boolean {
  if (!listAppendStealFast(h, l, v)) return false;
  const i32 = h.i32;
  const vw = v >> 2;
  i32[vw] = i32[vw]! + 1;
  return true;
}
// #endregion generated: listAppendFast

/** The slow half of listResize (kept apart so the fast half inlines into callers). */
function listRealloc(h: ObjectHeap, o: number, newsize: number): void {
  let newAllocated = (newsize + (newsize >> 3) + 6) & ~3;
  if (newsize - read32(h, o + LIST_SIZE) > newAllocated - newsize) newAllocated = (newsize + 3) & ~3;
  if (newsize === 0) newAllocated = 0;
  const items = read32(h, o + LIST_ITEMS);
  let next = 0;
  if (newAllocated === 0) {
    if (items !== 0) free(h, items);
  } else {
    next = realloc(h, items, SLOT_SIZE * newAllocated);
  }
  write32(h, o + LIST_ITEMS, next);
  write32(h, o + LIST_ALLOCATED, newAllocated);
  write32(h, o + LIST_SIZE, newsize);
}
