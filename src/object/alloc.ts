/**
 * Allocating and freeing object memory, and generation 0's count. Every GC allocation first
 * "links" (CPython's _PyObject_GC_Link: count it, and start an automatic collection when the
 * count passes the threshold) and every GC free "unlinks" (PyObject_GC_Del: uncount, floored at
 * 0). Linking happens before the block is taken, so a collection never sees a half-built object.
 * None of these touch refcounts of other objects.
 *
 * Lists, dicts and tuples of 1..19 items come from freelists in CPython 3.11, and a reused or
 * recycled object is not counted. refheap counts freelist occupancy without keeping the memory
 * (heap.ts, freelists), so generation 0's count moves exactly as CPython's does.
 */
import { BlockState, free, malloc, setBlockState, write32 } from "../memory/index.js";
import { GC_HEAD_SIZE, initHeader } from "./header.js";
import { FREELIST_CAPACITY, FREELIST_TUPLE_BASE, FREELIST_TUPLE_MAX_SIZE, type ObjectHeap } from "./heap.js";

/**
 * What a link did, for gcLinkUndo when the allocation it counted then fails: counted it in
 * generation 0, counted it and ran a collection (which reset the count: nothing to take back), or
 * took a freelist entry.
 */
export const LINK_COUNTED = 1;
export const LINK_COLLECTED = 0;
export const LINK_POOLED = 2;

/** Counts one GC allocation; may run an automatic collection (CPython's _PyObject_GC_Link). */
export function gcLink(h: ObjectHeap): number {
  if (++h.gcCount0 > h.gcAutoAbove) {
    h.gcAutomatic();
    return LINK_COLLECTED;
  }
  return LINK_COUNTED;
}

/** gcLink for a kind CPython serves from freelist `slot`: a reuse is not counted. */
export function gcLinkPooled(h: ObjectHeap, slot: number): number {
  const fl = h.freelists;
  if (fl[slot]! > 0) {
    fl[slot]!--;
    return LINK_POOLED;
  }
  return gcLink(h);
}

/** gcLink for a tuple of `n` items (1..19 have a freelist in CPython, larger ones none). */
export function gcLinkTuple(h: ObjectHeap, n: number): number {
  return n <= FREELIST_TUPLE_MAX_SIZE ? gcLinkPooled(h, FREELIST_TUPLE_BASE + n) : gcLink(h);
}

/**
 * Takes back a link (`link`, what gcLink* returned) whose allocation failed: CPython links only
 * after its malloc succeeded, so a failed allocation leaves no count and no freelist change. (A
 * collection the link started has run; that stays, as any collection at an allocation may.)
 * `slot` is the freelist the link used, or -1.
 */
export function gcLinkUndo(h: ObjectHeap, slot: number, link: number): void {
  if (link === LINK_POOLED) h.freelists[slot]!++;
  else if (link === LINK_COUNTED && h.gcCount0 > 0) h.gcCount0--;
}

/** The freelist slot of a tuple of `n` items, or -1 (for gcLinkUndo). */
export function tupleFreelistSlot(n: number): number {
  return n <= FREELIST_TUPLE_MAX_SIZE ? FREELIST_TUPLE_BASE + n : -1;
}

/** Uncounts one GC free, never below zero (PyObject_GC_Del). */
export function gcUnlink(h: ObjectHeap): void {
  if (h.gcCount0 > 0) h.gcCount0--;
}

/** gcUnlink for a kind CPython recycles through freelist `slot`: a recycled object is not uncounted. */
export function gcUnlinkPooled(h: ObjectHeap, slot: number): void {
  const fl = h.freelists;
  if (fl[slot]! < FREELIST_CAPACITY[slot]!) fl[slot]!++;
  else if (h.gcCount0 > 0) h.gcCount0--;
}

/** gcUnlink for a tuple of `n` items (see gcLinkTuple). */
export function gcUnlinkTuple(h: ObjectHeap, n: number): void {
  if (n <= FREELIST_TUPLE_MAX_SIZE) gcUnlinkPooled(h, FREELIST_TUPLE_BASE + n);
  else gcUnlink(h);
}

/**
 * Empties the freelists at the end of a full collection (CPython's clear_freelists): each
 * object CPython frees there is uncounted.
 */
export function clearFreelists(h: ObjectHeap): void {
  let held = 0;
  for (const n of h.freelists) held += n;
  h.gcCount0 = Math.max(0, h.gcCount0 - held);
  h.freelists.fill(0);
}

/**
 * Allocates a GC object of `basicSize` bytes (plus its head): refcount 1, untracked, not
 * finalized. The caller has already linked it (`link`, what gcLink* returned, with its freelist
 * `slot` or -1), and the link is taken back if the memory cannot be had.
 */
export function allocGcObject(
  h: ObjectHeap,
  basicSize: number,
  typeId: number,
  slot: number,
  link: number,
): number {
  let block: number;
  try {
    block = malloc(h, GC_HEAD_SIZE + basicSize);
  } catch (e) {
    gcLinkUndo(h, slot, link);
    throw e;
  }
  if (h.checked) setBlockState(h, block, BlockState.GcObject);
  write32(h, block, 0);
  write32(h, block + 4, 0);
  const o = block + GC_HEAD_SIZE;
  initHeader(h, o, typeId);
  return o;
}

/** Allocates a non-GC object (str): refcount 1. */
export function allocObject(h: ObjectHeap, basicSize: number, typeId: number): number {
  const o = malloc(h, basicSize);
  if (h.checked) setBlockState(h, o, BlockState.Object);
  initHeader(h, o, typeId);
  return o;
}

/** Frees a non-GC object's memory. */
export function freeObject(h: ObjectHeap, o: number): void {
  free(h, o);
}
