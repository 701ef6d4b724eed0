/**
 * The object header and the GC pre-header, with their accessors. docs/layout.md has the master
 * copy of these diagrams.
 *
 * Every object starts with two 32-bit words; container (GC) objects are preceded by a two-word
 * GC head, exactly where CPython puts its PyGC_Head. An object's address points at its refcount,
 * so a GC object's block starts 8 bytes earlier (AS_GC(o) = o - 8).
 *
 *           bits 31                            16 15                             0
 *                ┌──────────────────────────────────────────────────────────────┐
 *   GC only  -8  │ gc_next: next GC head in the object's list; 0 = untracked    │
 *                │          (bit 0 = UNREACHABLE, during a collection only)     │
 *                ├──────────────────────────────────────────────────┬─────┬─────┤
 *   GC only  -4  │ gc_prev: previous GC head (bits 2..31)           │ COL │ FIN │
 *                │          or gc_refs << 2 during a collection     │     │     │
 *                ├──────────────────────────────────────────────────┴─────┴─────┤
 *       >obj +0  │ refcnt: references held to this object (signed 32-bit)       │
 *                ├───────────────────────────────┬──────────────────────────────┤
 *            +4  │ reuse tag (bumped per object) │ type id (index in type table)│
 *                └───────────────────────────────┴──────────────────────────────┘
 *   FIN = FINALIZED (bit 0): the finalizer already ran; survives untrack and retrack.
 *   COL = COLLECTING (bit 1): the object is in the set being collected. Never set outside one.
 *
 * gc_next states:                         gc_prev states:
 *   | value        | meaning            |   | value              | meaning                       |
 *   |--------------|--------------------|   |--------------------|-------------------------------|
 *   | 0            | not tracked        |   | ptr, COL=0         | tracked, between collections  |
 *   | head address | tracked, in a list |   | refs<<2, COL=1     | in update_refs..move_unreach. |
 *   | addr | 1     | tentatively unreach.|  | trash link         | deferred by the trashcan      |
 *
 * The reuse tag lets a handle notice that its object was freed and the block reused by another.
 */
import { read32, write32 } from "../memory/index.js";
import type { ObjectHeap } from "./heap.js";

/** Bytes of the GC head in front of a GC object. */
export const GC_HEAD_SIZE = 8;
export const OB_REFCNT = 0;
export const OB_TYPE = 4;
/** Bytes of the header every object has. */
export const OB_HEAD_SIZE = 8;

export const GC_NEXT = -8;
export const GC_PREV = -4;
export const PREV_MASK_FINALIZED = 1;
export const PREV_MASK_COLLECTING = 2;
export const PREV_SHIFT = 2;
export const PREV_MASK = ~3;
export const NEXT_MASK_UNREACHABLE = 1;

export const TYPE_ID_MASK = 0xffff;
export const REUSE_TAG_SHIFT = 16;

// --- object header ---

export function refcnt(h: ObjectHeap, o: number): number {
  return read32(h, o);
}
export function setRefcnt(h: ObjectHeap, o: number, n: number): void {
  write32(h, o, n);
}
/** Adds a reference. Never deallocates, so it lives here; decref is in src/refcount/. */
export function increfRaw(h: ObjectHeap, o: number): void {
  write32(h, o, read32(h, o) + 1);
}
/** The object's type id: its type's index in the type table (TypeInfo.id). */
export function typeIdOf(h: ObjectHeap, o: number): number {
  return read32(h, o + OB_TYPE) & TYPE_ID_MASK;
}
/**
 * The object's reuse tag: 16 bits of a heap-wide counter, written when the object was made. A
 * different tag at the same address means the object was freed and its memory reused.
 */
export function reuseTagOf(h: ObjectHeap, o: number): number {
  return read32(h, o + OB_TYPE) >>> REUSE_TAG_SHIFT;
}
/**
 * The whole type word: reuse tag and type id. A handle compares it with the word it saw when it
 * was made: a freed block reused for an object of another type, or with another tag, differs.
 */
export function typeWordOf(h: ObjectHeap, o: number): number {
  return read32(h, o + OB_TYPE);
}
/** Writes a fresh header: refcount 1, the type, and the next reuse tag. */
export function initHeader(h: ObjectHeap, o: number, typeId: number): void {
  write32(h, o, 1);
  const tag = (h.reuseCounter + 1) & 0xffff;
  h.reuseCounter = tag;
  write32(h, o + OB_TYPE, typeId | (tag << REUSE_TAG_SHIFT));
}

// --- GC head (valid only for objects of GC types) ---

/** The GC head (block start) of GC object `o`. */
export function asGc(o: number): number {
  return o - GC_HEAD_SIZE;
}
/** The object whose GC head is at `g`. */
export function fromGc(g: number): number {
  return g + GC_HEAD_SIZE;
}
export function gcNext(h: ObjectHeap, g: number): number {
  return read32(h, g);
}
export function setGcNext(h: ObjectHeap, g: number, next: number): void {
  write32(h, g, next);
}
export function gcPrev(h: ObjectHeap, g: number): number {
  return read32(h, g + 4) & PREV_MASK;
}
/** Sets the prev pointer, keeping the flag bits (CPython's _PyGCHead_SET_PREV). */
export function setGcPrev(h: ObjectHeap, g: number, prev: number): void {
  write32(h, g + 4, (read32(h, g + 4) & ~PREV_MASK) | prev);
}
export function isTracked(h: ObjectHeap, o: number): boolean {
  return read32(h, o + GC_NEXT) !== 0;
}
export function isFinalized(h: ObjectHeap, o: number): boolean {
  return (read32(h, o + GC_PREV) & PREV_MASK_FINALIZED) !== 0;
}
export function setFinalized(h: ObjectHeap, o: number): void {
  write32(h, o + GC_PREV, read32(h, o + GC_PREV) | PREV_MASK_FINALIZED);
}

/** Appends `o` at the tail of generation 0 (CPython's _PyObject_GC_TRACK). */
export function gcTrack(h: ObjectHeap, o: number): void {
  const g = o - GC_HEAD_SIZE;
  const head = h.gen0;
  const last = read32(h, head + 4) & PREV_MASK;
  write32(h, last, g);
  write32(h, g + 4, (read32(h, g + 4) & ~PREV_MASK) | last);
  write32(h, g, head);
  write32(h, head + 4, g);
}

/**
 * Links a freshly allocated object at the tail of generation 0. Its GC head words are
 * uninitialised and it has no flags yet, so both are written outright (no read-modify-write).
 */
export function gcTrackNew(h: ObjectHeap, o: number): void {
  const g = o - GC_HEAD_SIZE;
  const head = h.gen0;
  const last = read32(h, head + 4) & PREV_MASK;
  write32(h, last, g);
  write32(h, g + 4, last);
  write32(h, g, head);
  write32(h, head + 4, g);
}

/** Unlinks `o` from its list; keeps only FINALIZED (CPython's _PyObject_GC_UNTRACK). */
export function gcUntrack(h: ObjectHeap, o: number): void {
  const g = o - GC_HEAD_SIZE;
  const prevWord = read32(h, g + 4);
  const prev = prevWord & PREV_MASK;
  const next = read32(h, g);
  write32(h, prev, next);
  write32(h, next + 4, (read32(h, next + 4) & ~PREV_MASK) | prev);
  write32(h, g, 0);
  write32(h, g + 4, prevWord & PREV_MASK_FINALIZED);
}
