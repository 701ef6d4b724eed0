/**
 * The floors' timed functions: W1's build and drop, W2a's collection of cyclic garbage, W2b's
 * full collection that finds nothing. Each is flat over the floor heap's words (floor.ts draws
 * them): no helper call inside a loop except on pymalloc's slow paths (a new pool, a pool that
 * was full or becomes empty: once per pool, where refheap calls out too), every word offset a
 * literal. The literals:
 *
 *   4/5 generation 0 head (0x10)   8/9 generation 1 (0x20)   12/13 generation 2 (0x30)
 *   20/21 the unreachable list (0x50)   128/129 the type object's GC head, 130 its refcount
 *   192 usedpools (class 1)   193 usable_arenas   194 generation 0's count   195 reuse counter
 *   196 the count at which a collection is due   197 the arenas' chunk limit
 *   198/199/200 the item regions A, B and their capacity in items
 *   1024 + 8a: arena a (+0 nfreepools, +1 pool_address, +2 freepools, +3 next, +4 prev)
 *   32768 + c: chunk c's kind (0 free, 2 arena)
 *   a pool's words: +0 count, +1 freeblock, +2 nextpool, +3 prevpool, +4 arena, +5 szidx,
 *     +6 nextoffset, +7 maxnextoffset; its first block at +48 (word +12)
 *   an object's GC head word gw: +0 gc_next, +1 gc_prev, +2 refcnt, +3 type word, then a Node's
 *     field (+4 address, +5 tag) or a list's size (+4), items (+5), allocated (+6)
 *   -65536 = REF_TAG (0xFFFF0000); 0xef0 has a bit set for each GC type id below 16 (4-7, 9-11);
 *   18 is Node's type id (the first user class's, FIRST_USER_TYPE; floor.test.ts checks it)
 */
import { freeBlock, newFloorList, newPool } from "./floor.js";
import { floorCollectDue, floorMerge, floorPasses } from "./floor-gc.js";

/**
 * W1's build: a new list, then n times: a Node (pymalloc allocation, header, NULL field, type
 * incref, generation-0 link and count) appended to the list, which takes its reference
 * (LIST_APPEND; list_resize's growth copies the items). Returns the list.
 */
export function floorW1Build(i32: Int32Array, n: number): number {
  const list = newFloorList(i32); // once per round, outside the loop
  const lw = list >> 2;
  const regionA = i32[198]!;
  const regionB = i32[199]!;
  const regionCap = i32[200]!;
  for (let i = 0; i < n; i++) {
    // _PyObject_GC_Link: count the object, or (once every 700 with collection on) collect.
    const c0 = i32[194]!;
    if (c0 >= i32[196]!) floorCollectDue(i32, "W1");
    else i32[194] = c0 + 1;
    let pool = i32[192]!;
    // allocate_from_new_pool, once per pool: pymalloc's slow path, a call as in refheap.
    if (pool === 0) pool = newPool(i32);
    // pymalloc_alloc: pop the pool's free list; carve the next block when it runs dry.
    const pw = pool >> 2;
    i32[pw] = i32[pw]! + 1;
    const bp = i32[pw + 1]!;
    const next = i32[bp >> 2]!;
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
        // The pool is full: off usedpools (it is the head).
        i32[pw + 1] = 0;
        const nx = i32[pw + 2]!;
        i32[192] = nx;
        if (nx !== 0) i32[(nx >> 2) + 3] = 0;
      }
    }
    // The header, the field, the type's reference, the generation-0 link.
    const bw = bp >> 2;
    i32[bw + 2] = 1;
    const tag = (i32[195]! + 1) & 0xffff;
    i32[195] = tag;
    i32[bw + 3] = 18 | (tag << 16);
    i32[bw + 4] = 0;
    i32[bw + 5] = -65536;
    i32[130] = i32[130]! + 1;
    const last = i32[5]! & -4;
    i32[last >> 2] = bp;
    i32[bw + 1] = last;
    i32[bw] = 16;
    i32[5] = bp;
    // LIST_APPEND (the list takes the reference), list_resize when it is full.
    const size = i32[lw + 2]!;
    const allocated = i32[lw + 4]!;
    const newsize = size + 1;
    if (!(allocated >= newsize && newsize >= allocated >> 1)) {
      let na = (newsize + (newsize >> 3) + 6) & -4;
      if (newsize - size > na - newsize) na = (newsize + 3) & -4;
      if (na > regionCap) throw new Error("floor: the item region is too small");
      const old = i32[lw + 3]!;
      const dst = old === regionA ? regionB : regionA;
      i32.copyWithin(dst >> 2, old >> 2, (old >> 2) + 2 * size);
      i32[lw + 3] = dst;
      i32[lw + 4] = na;
    }
    const sw = (i32[lw + 3]! >> 2) + 2 * size;
    i32[sw] = bp + 8;
    i32[sw + 1] = -65536;
    i32[lw + 2] = newsize;
  }
  return list;
}

/**
 * W1's drop: the list's count reaches 0; list_dealloc untracks it and releases its items last to
 * first; each Node reaching 0 is untracked, its field released (NULL here: skipped), generation
 * 0's count lowered, its block freed to its pool (full → used and used → empty as they happen, an
 * arena given back when wholly free) and its type's count lowered. Then the list's block is freed.
 */
export function floorW1Drop(i32: Int32Array, list: number): void {
  const lw = list >> 2;
  const lrc = i32[lw]! - 1;
  i32[lw] = lrc;
  if (lrc !== 0) return;
  if ((i32[lw + 1]! & 0xffff) !== 5) throw new Error("floor W1: not a list");
  if (i32[lw - 2] !== 0) {
    const pword = i32[lw - 1]!;
    const prev = pword & -4;
    const nx = i32[lw - 2]!;
    i32[prev >> 2] = nx;
    i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | prev;
    i32[lw - 2] = 0;
    i32[lw - 1] = pword & 1;
  }
  const items = i32[lw + 3]!;
  for (let i = i32[lw + 2]! - 1; i >= 0; i--) {
    const sw = (items >> 2) + 2 * i;
    if (i32[sw + 1] !== -65536) continue;
    const o = i32[sw]!;
    if (o === 0) continue;
    const ow = o >> 2;
    const rc = i32[ow]! - 1;
    i32[ow] = rc;
    if (rc !== 0) continue;
    // subtype_dealloc of a Node.
    if ((i32[ow + 1]! & 0xffff) !== 18) throw new Error("floor W1: a deallocation of something else");
    const g = o - 8;
    const gw = ow - 2;
    if (i32[gw] !== 0) {
      const pword = i32[gw + 1]!;
      const prev = pword & -4;
      const nx = i32[gw]!;
      i32[prev >> 2] = nx;
      i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | prev;
      i32[gw] = 0;
      i32[gw + 1] = pword & 1;
    }
    if (i32[ow + 3] === -65536) {
      const r = i32[ow + 2]!;
      if (r !== 0) {
        i32[ow + 2] = 0;
        const rrc = i32[r >> 2]! - 1;
        i32[r >> 2] = rrc;
        if (rrc === 0) throw new Error("floor W1: a deallocation chain (not in this workload)");
      }
    }
    if (i32[194]! > 0) i32[194] = i32[194]! - 1;
    // pymalloc_free: push the block on its pool's free list. A pool that was full or becomes
    // empty takes pymalloc's slow path (freeBlock), as refheap's fast path hands it to freeSmall.
    const pw = (g & -16384) >> 2;
    const lastFree = i32[pw + 1]!;
    const count = i32[pw]! - 1;
    if (lastFree !== 0 && count !== 0) {
      i32[gw] = lastFree;
      i32[pw + 1] = g;
      i32[pw] = count;
    } else {
      freeBlock(i32, g);
    }
    const trc = i32[130]! - 1;
    i32[130] = trc;
    if (trc === 0) throw new Error("floor W1: the type object's count reached 0");
  }
  // The item block needs no bookkeeping in the floor's item regions. The list's block is freed,
  // or, with collection on, kept on the list freelist as CPython's list_dealloc keeps it (not
  // uncounted; newFloorList takes it back without counting it).
  if (i32[211] === 1 && i32[210] === 0) {
    i32[210] = list;
    return;
  }
  if (i32[194]! > 0) i32[194] = i32[194]! - 1;
  freeBlock(i32, list - 8); // once per round, outside the loop
}

/**
 * W2a's timed part, one full collection (gc_collect_main(2)) of a heap of Node 2-cycles: the
 * younger generations merged onto generation 2, update_refs, subtract_refs, move_unreachable
 * (all the cycles move to the unreachable list), the unreachable tags cleared, then
 * delete_garbage: for the list's head, clear its field (the other Node's count reaches 0: it is
 * deallocated, releasing its field, which lowers the first one's count), then the first Node
 * is deallocated; blocks go back to pymalloc. Returns the number of unreachable objects.
 */
export function floorCollectGarbage(i32: Int32Array): number {
  i32[194] = 0;
  // gc_list_merge of generations 0 and 1 onto generation 2's tail.
  floorMerge(i32, 4, 12);
  floorMerge(i32, 8, 12);
  // update_refs: gc_refs := refcount, COLLECTING set.
  for (let g = i32[12]!; g !== 48; g = i32[g >> 2]!) {
    const gw = g >> 2;
    i32[gw + 1] = (i32[gw + 1]! & 1) | 2 | (i32[gw + 2]! << 2);
  }
  // subtract_refs: each reference from inside the set takes 1 off its target's gc_refs.
  for (let g = i32[12]!; g !== 48; g = i32[g >> 2]!) {
    const gw = g >> 2;
    const id = i32[gw + 3]! & 0xffff;
    if (id === 18) {
      if (i32[gw + 5] === -65536) {
        const r = i32[gw + 4]!;
        if (r !== 0) {
          const rid = i32[(r >> 2) + 1]! & 0xffff;
          if (rid >= 16 || ((0xef0 >> rid) & 1) !== 0) {
            const rw = (r >> 2) - 1;
            const rp = i32[rw]!;
            if ((rp & 2) !== 0) i32[rw] = rp - 4;
          }
        }
      }
      const tp = i32[129]!;
      if ((tp & 2) !== 0) i32[129] = tp - 4;
    } else if (id !== 7) {
      throw new Error("floor W2a: an object of another kind");
    }
  }
  // move_unreachable.
  i32[20] = 80;
  i32[21] = 80;
  let prev = 48;
  let moved = 0;
  let back = 0;
  let g = i32[12]!;
  while (g !== 48) {
    const gw = g >> 2;
    const prevWord = i32[gw + 1]!;
    if (prevWord >>> 2 !== 0) {
      if ((i32[gw + 3]! & 0xffff) === 18) {
        // visit_reachable of the field, then of the type.
        const r = i32[gw + 5] === -65536 ? i32[gw + 4]! : 0;
        if (r !== 0) {
          const rid = i32[(r >> 2) + 1]! & 0xffff;
          if (rid >= 16 || ((0xef0 >> rid) & 1) !== 0) {
            const rg = r - 8;
            const rgw = rg >> 2;
            const rp = i32[rgw + 1]!;
            if ((rp & 2) !== 0) {
              const rn = i32[rgw]!;
              if ((rn & 1) !== 0) {
                const pv = rp & -4;
                const nw = (rn & -2) >> 2;
                i32[pv >> 2] = rn;
                i32[nw + 1] = (i32[nw + 1]! & 3) | pv;
                const yl = i32[13]!;
                i32[yl >> 2] = rg;
                i32[rgw] = 48;
                i32[13] = rg;
                i32[rgw + 1] = (rp & 3) | 4;
                back++;
              } else if (rp >>> 2 === 0) {
                i32[rgw + 1] = rp | 4;
              }
            }
          }
        }
        const tp = i32[129]!;
        if ((tp & 2) !== 0) {
          const tn = i32[128]!;
          if ((tn & 1) !== 0) {
            const pv = tp & -4;
            const nw = (tn & -2) >> 2;
            i32[pv >> 2] = tn;
            i32[nw + 1] = (i32[nw + 1]! & 3) | pv;
            const yl = i32[13]!;
            i32[yl >> 2] = 512;
            i32[128] = 48;
            i32[13] = 512;
            i32[129] = (tp & 3) | 4;
            back++;
          } else if (tp >>> 2 === 0) {
            i32[129] = tp | 4;
          }
        }
      }
      i32[gw + 1] = (i32[gw + 1]! & 1) | prev;
      prev = g;
    } else {
      i32[prev >> 2] = i32[gw]!;
      const last = i32[21]!;
      i32[last >> 2] = 1 | g;
      i32[gw + 1] = (prevWord & 3) | last;
      i32[gw] = 81;
      i32[21] = g;
      moved++;
    }
    g = i32[prev >> 2]!;
  }
  i32[13] = prev;
  i32[20] = i32[20]! & -2;
  // The unreachable list becomes an ordinary list again (the tags cleared).
  for (let u = i32[20]!; u !== 80; ) {
    const uw = u >> 2;
    const nx = i32[uw]! & -2;
    i32[uw] = nx;
    u = nx;
  }
  // delete_garbage.
  while (i32[20] !== 80) {
    const hg: number = i32[20]!;
    const hw = hg >> 2;
    if ((i32[hw + 3]! & 0xffff) !== 18) throw new Error("floor W2a: garbage of another kind");
    i32[hw + 2] = i32[hw + 2]! + 1; // held while it is cleared
    // tp_clear: the field. `dead` is the object whose count reached 0, deallocated below.
    let dead = 0;
    if (i32[hw + 5] === -65536) {
      const r = i32[hw + 4]!;
      if (r !== 0) {
        i32[hw + 4] = 0;
        const rrc = i32[r >> 2]! - 1;
        i32[r >> 2] = rrc;
        if (rrc === 0) dead = r;
      }
    }
    // Step 0: the cleared field's target, if it died; step 1: the head itself, once released.
    for (let step = 0; step < 2; step++) {
      if (step === 1) {
        const rc = i32[hw + 2]! - 1;
        i32[hw + 2] = rc;
        if (rc !== 0) break;
        dead = hg + 8;
      }
      if (dead === 0) continue;
      const dw = dead >> 2;
      const dg = dead - 8;
      const dgw = dw - 2;
      if ((i32[dw + 1]! & 0xffff) !== 18) throw new Error("floor W2a: a deallocation of something else");
      if (i32[dgw] !== 0) {
        const pword = i32[dgw + 1]!;
        const pv = pword & -4;
        const nx = i32[dgw]!;
        i32[pv >> 2] = nx;
        i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | pv;
        i32[dgw] = 0;
        i32[dgw + 1] = pword & 1;
      }
      if (i32[dw + 3] === -65536) {
        const r = i32[dw + 2]!;
        if (r !== 0) {
          i32[dw + 2] = 0;
          const rrc = i32[r >> 2]! - 1;
          i32[r >> 2] = rrc;
          if (rrc === 0) throw new Error("floor W2a: a deallocation chain (not in this workload)");
        }
      }
      if (i32[194]! > 0) i32[194] = i32[194]! - 1;
      // pymalloc_free, its slow path in freeBlock (as in W1's drop).
      const pw = (dg & -16384) >> 2;
      const lastFree = i32[pw + 1]!;
      const count = i32[pw]! - 1;
      if (lastFree !== 0 && count !== 0) {
        i32[dgw] = lastFree;
        i32[pw + 1] = dg;
        i32[pw] = count;
      } else {
        freeBlock(i32, dg);
      }
      const trc = i32[130]! - 1;
      i32[130] = trc;
      if (trc === 0) throw new Error("floor W2a: the type object's count reached 0");
      dead = 0;
    }
    if (i32[20] === hg) {
      // It survived its clear: COLLECTING cleared, moved to generation 2.
      const pword = i32[hw + 1]! & -3;
      const pv = pword & -4;
      const nx = i32[hw]!;
      i32[pv >> 2] = nx;
      i32[(nx >> 2) + 1] = (i32[(nx >> 2) + 1]! & 3) | pv;
      const tail = i32[13]!;
      i32[tail >> 2] = hg;
      i32[hw + 1] = (pword & 3) | tail;
      i32[hw] = 48;
      i32[13] = hg;
    }
  }
  return moved - back;
}

/**
 * W2b's timed part, one full collection of a heap of live Nodes held by one list that finds
 * nothing: the younger generations merged onto generation 2, update_refs, subtract_refs (the
 * list's items, each Node's NULL field and its type edge), move_unreachable (everything is
 * reachable: each object's prev pointer restored, COLLECTING cleared). Returns the number of
 * unreachable objects, 0; throws if there were any (the floor has no code to destroy them).
 */
export function floorCollectPause(i32: Int32Array): number {
  i32[194] = 0;
  floorMerge(i32, 4, 12);
  floorMerge(i32, 8, 12);
  floorPasses(i32, 48, "W2b");
  return 0;
}
