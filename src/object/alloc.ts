/**
 * Allocating and freeing object memory. GC objects get their head in front and count toward
 * generation 0 (CPython's _PyObject_GC_Link / PyObject_GC_Del); none of these touch refcounts
 * of other objects.
 */
import { BlockState, free, malloc, read32, setBlockState, write32 } from "../memory/index.js";
import { GC_HEAD_SIZE, gcUntrack, initHeader } from "./header.js";
import type { ObjectHeap } from "./heap.js";

/**
 * Allocates a GC object of `basicSize` bytes (plus its head): refcount 1, untracked, not
 * finalized. Counts toward generation 0 even if never tracked, as CPython does.
 */
export function allocGcObject(h: ObjectHeap, basicSize: number, typeId: number): number {
  const block = malloc(h, GC_HEAD_SIZE + basicSize);
  if (h.checked) setBlockState(h, block, BlockState.GcObject);
  write32(h, block, 0);
  write32(h, block + 4, 0);
  const o = block + GC_HEAD_SIZE;
  initHeader(h, o, typeId);
  h.gcCount0++;
  return o;
}

/** Allocates a non-GC object (str): refcount 1. */
export function allocObject(h: ObjectHeap, basicSize: number, typeId: number): number {
  const o = malloc(h, basicSize);
  if (h.checked) setBlockState(h, o, BlockState.Object);
  initHeader(h, o, typeId);
  return o;
}

/** Frees a GC object's memory: unlinks it if still tracked and uncounts it (PyObject_GC_Del). */
export function freeGcObject(h: ObjectHeap, o: number): void {
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  if (h.gcCount0 > 0) h.gcCount0--;
  free(h, o - GC_HEAD_SIZE);
}

/** Frees a non-GC object's memory. */
export function freeObject(h: ObjectHeap, o: number): void {
  free(h, o);
}
