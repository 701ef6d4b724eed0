/**
 * Value slots: the 8-byte cells that containers and instance fields are made of. A slot holds
 * either a number (a float64, stored inline: numbers never allocate) or a reference to an object
 * (None, True and False are objects, as in CPython). References are NaN-boxed: the high word is a
 * NaN pattern that arithmetic never produces, and NaN numbers are stored canonicalised, so the
 * high word alone tells the two apart.
 *
 *   bits 63                        32 31                          0
 *        ┌───────────────────────────┬────────────────────────────┐
 *   ref  │ 0xFFFF0000 (REF_TAG)      │ object address (0 = NULL)  │
 *        ├───────────────────────────┴────────────────────────────┤
 *   num  │ IEEE-754 double; NaN always stored as 0x7FF80000_00000000 │
 *        └────────────────────────────────────────────────────────┘
 */
import { read32, readF64, write32, writeF64 } from "../memory/index.js";
import type { ObjectHeap } from "./heap.js";

/** The high word of a reference slot (as a signed int32). */
export const REF_TAG = 0xffff0000 | 0;
export const SLOT_SIZE = 8;
/** Byte offset of a slot's high word, which holds REF_TAG for a reference. */
export const SLOT_TAG = 4;
const CANONICAL_NAN_HI = 0x7ff80000;

/** True if the slot at `p` holds a reference (or NULL), false if it holds a number. */
export function slotIsRef(h: ObjectHeap, p: number): boolean {
  return read32(h, p + 4) === REF_TAG;
}
/** The referenced object (0 for a NULL slot). Only meaningful when slotIsRef. */
export function slotRef(h: ObjectHeap, p: number): number {
  return read32(h, p);
}
/** True if the slot at `p` is NULL (a reference slot holding no object). */
export function slotIsNull(h: ObjectHeap, p: number): boolean {
  return read32(h, p + 4) === REF_TAG && read32(h, p) === 0;
}
/** The object a slot references, or 0 when it holds a number or NULL. */
export function slotRefOrZero(h: ObjectHeap, p: number): number {
  return read32(h, p + 4) === REF_TAG ? read32(h, p) : 0;
}
/** The number stored inline in the slot at `p`. Only meaningful when !slotIsRef. */
export function slotNumber(h: ObjectHeap, p: number): number {
  return readF64(h, p);
}
/** Stores a reference without touching refcounts. */
export function setSlotRef(h: ObjectHeap, p: number, o: number): void {
  write32(h, p, o);
  write32(h, p + 4, REF_TAG);
}
export function setSlotNumber(h: ObjectHeap, p: number, n: number): void {
  if (!Number.isNaN(n)) {
    writeF64(h, p, n);
  } else {
    write32(h, p, 0);
    write32(h, p + 4, CANONICAL_NAN_HI);
  }
}
export function setSlotNull(h: ObjectHeap, p: number): void {
  write32(h, p, 0);
  write32(h, p + 4, REF_TAG);
}
/** Stores a value given as (v, isRef), without touching refcounts. */
export function setSlot(h: ObjectHeap, p: number, v: number, isRef: boolean): void {
  if (isRef) setSlotRef(h, p, v);
  else setSlotNumber(h, p, v);
}
/** Copies a slot (both words). */
export function copySlot(h: ObjectHeap, dst: number, src: number): void {
  write32(h, dst, read32(h, src));
  write32(h, dst + 4, read32(h, src + 4));
}
