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

/** Counts one GC allocation; may run an automatic collection (CPython's _PyObject_GC_Link). */
export function gcLink(h: ObjectHeap): void {
  if (++h.gcCount0 > h.gcAutoAbove) h.gcAutomatic();
}

/** gcLink for a kind CPython serves from freelist `slot`: a reuse is not counted. */
export function gcLinkPooled(h: ObjectHeap, slot: number): void {
  const fl = h.freelists;
  if (fl[slot]! > 0) fl[slot]!--;
  else if (++h.gcCount0 > h.gcAutoAbove) h.gcAutomatic();
}

/** gcLink for a tuple of `n` items (1..19 have a freelist in CPython, larger ones none). */
export function gcLinkTuple(h: ObjectHeap, n: number): void {
  if (n <= FREELIST_TUPLE_MAX_SIZE) gcLinkPooled(h, FREELIST_TUPLE_BASE + n);
  else gcLink(h);
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
 * finalized. The caller has already linked it (gcLink / gcLinkPooled).
 */
export function allocGcObject(h: ObjectHeap, basicSize: number, typeId: number): number {
  const block = malloc(h, GC_HEAD_SIZE + basicSize);
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
