/**
 * W3's floor: CPython's work for `o = Img(); r = weakref.ref(o, cb); del o; del r` (death) and
 * `o = Img(); del o` (create), and nothing else, flat over a floor heap (floor.ts draws it).
 * Img is the W1 floor's type object (type id 18) with refheap's layout of a weakrefable class
 * with one number field, a 32-byte block:
 *
 *   GC head [gc_next, gc_prev] | header [refcnt, tag << 16 | 18] | +8 0 | +12 weaklist | +16 n (8 bytes)
 *
 * and a weakref (type id 9, Kind.Weakref) is refheap's 32-byte object in a 48-byte block:
 *
 *   GC head | header [refcnt, tag << 16 | 9] | +8 wr_object | +12 callback | +16 prev | +20 next | +24 hash | +28 0
 *
 * What each op does, in CPython's order (Objects/typeobject.c subtype_dealloc,
 * Objects/weakrefobject.c PyObject_ClearWeakRefs, handle_callback, weakref_dealloc):
 * allocate and initialise the instance (header, slots, type reference, generation 0); allocate
 * the weakref, take a reference to the callback, put it at the head of the instance's (empty)
 * weak list, track it; drop the instance: untrack it, take the weakref's callback, clear the
 * weakref (wr_object = None, off the list), call the callback with the weakref, drop the
 * callback's reference, free the block, drop the type's reference; drop the weakref: untrack,
 * free. A callback here is an index into a JS array of functions (refheap keeps its JS callbacks
 * in a table too); its reference count is word 202.
 *
 * It declines (throws) where a general implementation would branch to code it does not have: a
 * collection due, an object that does not die at its drop, a weak list that is not empty.
 * Before timing, `newW3FloorHeap` leaves one block allocated in each size class, so that, as in
 * refheap's and CPython's heaps, a pool does not go empty (and back to its arena) on every op.
 *
 * pymalloc's steps are written out in each loop, the same lines as floor-flat.ts's, on purpose: a
 * floor calls no helper inside its loop except pymalloc's once-per-pool slow paths (newPool,
 * freeBlock), so that what it measures does not depend on what V8 chooses to inline.
 */
import { allocBlock, FLOOR_NODE_ID, freeBlock, newFloorHeap, newPool } from "./floor.js";

/** Kind.Weakref's type id (src/object/kinds.ts). */
export const FLOOR_WEAKREF_ID = 9;
/** The word holding the callback's reference count. */
export const W3_FLOOR_CB_REFCNT = 202;

/** A floor heap for W3, with a block held in each size class (see the top of this file). */
export function newW3FloorHeap(): Int32Array {
  const i32 = newFloorHeap(1024);
  allocBlock(i32, 1);
  allocBlock(i32, 2);
  i32[W3_FLOOR_CB_REFCNT] = 1; // the program's reference to its callback
  return i32;
}

/**
 * `n` times: make an Img and drop it. The word offsets are literals (floor.ts, floor-flat.ts):
 * 192 usedpools of the 32-byte class, 194 generation 0's count, 195 the reuse counter, 196 the
 * count at which a collection is due, 130 the type object's refcount, 4/5 generation 0's head.
 */
export function floorW3Create(i32: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    if (i32[194]! >= i32[196]!) throw new Error("floor W3: a collection is due");
    // pymalloc_alloc, 32-byte class.
    let pool = i32[192]!;
    if (pool === 0) pool = newPool(i32, 1);
    let pw = pool >> 2;
    i32[pw] = i32[pw]! + 1;
    const g = i32[pw + 1]!;
    const next = i32[g >> 2]!;
    if (next !== 0) {
      i32[pw + 1] = next;
    } else {
      const off = i32[pw + 6]!;
      if (off <= i32[pw + 7]!) {
        const fb = pool + off;
        i32[pw + 1] = fb;
        i32[pw + 6] = off + 32;
        i32[fb >> 2] = 0;
      } else {
        i32[pw + 1] = 0;
        const nx = i32[pw + 2]!;
        i32[192] = nx;
        if (nx !== 0) i32[(nx >> 2) + 3] = 0;
      }
    }
    i32[194] = i32[194]! + 1;
    // The header, the slots (+8, the weak list, n = 0.0), the type's reference, generation 0.
    const gw = g >> 2;
    i32[gw + 2] = 1;
    const tag = (i32[195]! + 1) & 0xffff;
    i32[195] = tag;
    i32[gw + 3] = FLOOR_NODE_ID | (tag << 16);
    i32[gw + 4] = 0;
    i32[gw + 5] = 0;
    i32[gw + 6] = 0;
    i32[gw + 7] = 0;
    i32[130] = i32[130]! + 1;
    const last = i32[5]! & -4;
    i32[last >> 2] = g;
    i32[gw + 1] = last;
    i32[gw] = 16;
    i32[5] = g;
    // del o: the count reaches 0; subtype_dealloc (no weakrefs).
    const rc = i32[gw + 2]! - 1;
    i32[gw + 2] = rc;
    if (rc !== 0) throw new Error("floor W3: the object did not die at its drop");
    const pv = i32[gw + 1]!;
    const prev = pv & -4;
    const nx = i32[gw]!;
    i32[prev >> 2] = nx;
    i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | prev;
    i32[gw] = 0;
    i32[gw + 1] = pv & 1;
    if (i32[gw + 5] !== 0) throw new Error("floor W3: a weak list that is not empty");
    i32[194] = i32[194]! - 1;
    pw = (g & -16384) >> 2;
    const free = i32[pw + 1]!;
    const count = i32[pw]! - 1;
    if (free !== 0 && count !== 0) {
      i32[gw] = free;
      i32[pw + 1] = g;
      i32[pw] = count;
    } else {
      freeBlock(i32, g);
    }
    const trc = i32[130]! - 1;
    i32[130] = trc;
    if (trc === 0) throw new Error("floor W3: the type died");
  }
}

/**
 * `n` times: make an Img, a weakref to it with callback `callbacks[1]`, drop the Img (the callback
 * runs, with the weakref's address), drop the weakref. Literals as in floorW3Create, and 201
 * usedpools of the 48-byte class, 202 the callback's refcount.
 */
export function floorW3Death(i32: Int32Array, n: number, callbacks: readonly ((wr: number) => void)[]): void {
  for (let i = 0; i < n; i++) {
    if (i32[194]! + 1 >= i32[196]!) throw new Error("floor W3: a collection is due");
    // The Img: pymalloc_alloc, 32-byte class.
    let pool = i32[192]!;
    if (pool === 0) pool = newPool(i32, 1);
    let pw = pool >> 2;
    i32[pw] = i32[pw]! + 1;
    const g = i32[pw + 1]!;
    let next = i32[g >> 2]!;
    if (next !== 0) {
      i32[pw + 1] = next;
    } else {
      const off = i32[pw + 6]!;
      if (off <= i32[pw + 7]!) {
        const fb = pool + off;
        i32[pw + 1] = fb;
        i32[pw + 6] = off + 32;
        i32[fb >> 2] = 0;
      } else {
        i32[pw + 1] = 0;
        const nx = i32[pw + 2]!;
        i32[192] = nx;
        if (nx !== 0) i32[(nx >> 2) + 3] = 0;
      }
    }
    i32[194] = i32[194]! + 1;
    const gw = g >> 2;
    i32[gw + 2] = 1;
    let tag = (i32[195]! + 1) & 0xffff;
    i32[195] = tag;
    i32[gw + 3] = FLOOR_NODE_ID | (tag << 16);
    i32[gw + 4] = 0;
    i32[gw + 5] = 0;
    i32[gw + 6] = 0;
    i32[gw + 7] = 0;
    i32[130] = i32[130]! + 1;
    let last = i32[5]! & -4;
    i32[last >> 2] = g;
    i32[gw + 1] = last;
    i32[gw] = 16;
    i32[5] = g;
    // The weakref: pymalloc_alloc, 48-byte class.
    pool = i32[201]!;
    if (pool === 0) pool = newPool(i32, 2);
    pw = pool >> 2;
    i32[pw] = i32[pw]! + 1;
    const r = i32[pw + 1]!;
    next = i32[r >> 2]!;
    if (next !== 0) {
      i32[pw + 1] = next;
    } else {
      const off = i32[pw + 6]!;
      if (off <= i32[pw + 7]!) {
        const fb = pool + off;
        i32[pw + 1] = fb;
        i32[pw + 6] = off + 48;
        i32[fb >> 2] = 0;
      } else {
        i32[pw + 1] = 0;
        const nx = i32[pw + 2]!;
        i32[201] = nx;
        if (nx !== 0) i32[(nx >> 2) + 3] = 0;
      }
    }
    i32[194] = i32[194]! + 1;
    // wr_object, the callback (and its reference), prev/next, hash -1, at the weak list's head.
    const rw = r >> 2;
    i32[rw + 2] = 1;
    tag = (i32[195]! + 1) & 0xffff;
    i32[195] = tag;
    i32[rw + 3] = FLOOR_WEAKREF_ID | (tag << 16);
    i32[rw + 4] = g + 8;
    i32[rw + 5] = 1;
    i32[202] = i32[202]! + 1;
    i32[rw + 6] = 0;
    i32[rw + 7] = 0;
    i32[rw + 8] = -1;
    i32[rw + 9] = 0;
    if (i32[gw + 5] !== 0) throw new Error("floor W3: a weak list that is not empty");
    i32[gw + 5] = r + 8;
    last = i32[5]! & -4;
    i32[last >> 2] = r;
    i32[rw + 1] = last;
    i32[rw] = 16;
    i32[5] = r;
    // del o: subtype_dealloc. Untrack.
    const rc = i32[gw + 2]! - 1;
    i32[gw + 2] = rc;
    if (rc !== 0) throw new Error("floor W3: the object did not die at its drop");
    let pv = i32[gw + 1]!;
    let prev = pv & -4;
    let nx = i32[gw]!;
    i32[prev >> 2] = nx;
    i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | prev;
    i32[gw] = 0;
    i32[gw + 1] = pv & 1;
    // PyObject_ClearWeakRefs, one weakref with a callback: take the callback, clear the weakref
    // (off the list: it is the only one), call the callback, drop the callback's reference.
    const cb = i32[rw + 5]!;
    i32[rw + 5] = 0;
    i32[gw + 5] = i32[rw + 7]!;
    i32[rw + 4] = 0;
    if (i32[rw + 2]! > 0) callbacks[cb]!(r + 8);
    const crc = i32[202]! - 1;
    i32[202] = crc;
    if (crc === 0) throw new Error("floor W3: the callback died");
    // The rest of the instance: its generation-0 count, its block, its type's reference.
    i32[194] = i32[194]! - 1;
    pw = (g & -16384) >> 2;
    let free = i32[pw + 1]!;
    let count = i32[pw]! - 1;
    if (free !== 0 && count !== 0) {
      i32[gw] = free;
      i32[pw + 1] = g;
      i32[pw] = count;
    } else {
      freeBlock(i32, g);
    }
    const trc = i32[130]! - 1;
    i32[130] = trc;
    if (trc === 0) throw new Error("floor W3: the type died");
    // del r: weakref_dealloc. Untrack; it is cleared already; its block.
    const wrc = i32[rw + 2]! - 1;
    i32[rw + 2] = wrc;
    if (wrc !== 0) throw new Error("floor W3: the weakref did not die at its drop");
    pv = i32[rw + 1]!;
    prev = pv & -4;
    nx = i32[rw]!;
    i32[prev >> 2] = nx;
    i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | prev;
    i32[rw] = 0;
    i32[rw + 1] = pv & 1;
    i32[194] = i32[194]! - 1;
    pw = (r & -16384) >> 2;
    free = i32[pw + 1]!;
    count = i32[pw]! - 1;
    if (free !== 0 && count !== 0) {
      i32[rw] = free;
      i32[pw + 1] = r;
      i32[pw] = count;
    } else {
      freeBlock(i32, r);
    }
  }
}
