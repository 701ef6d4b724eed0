/**
 * The collector's doubly linked lists of GC heads (CPython's gc_list_*). A list is a bare GC head
 * (a generation head or a scratch head in the static segment) whose next/prev words make a ring
 * with its members'. Nodes are GC-head addresses (object address - 8). Setting a node's prev keeps
 * its flag bits (FINALIZED, COLLECTING); list heads never carry flags.
 *
 * The order of a list is semantics: it decides finalizer order, callback order and
 * gc.get_objects() order, so each list operation does what its namesake in Modules/gcmodule.c does.
 */
import { read32, write32 } from "../memory/index.js";
import {
  gcListInit,
  NEXT_MASK_UNREACHABLE,
  type ObjectHeap,
  PREV_MASK,
  PREV_MASK_COLLECTING,
} from "../object/index.js";

export { gcListInit };

/** Sets `g`'s prev pointer, keeping its flag bits (_PyGCHead_SET_PREV). */
function setPrev(h: ObjectHeap, g: number, prev: number): void {
  write32(h, g + 4, (read32(h, g + 4) & ~PREV_MASK) | prev);
}

/** Appends node `g` (not on any list) at the tail of `head`. */
export function gcListAppend(h: ObjectHeap, g: number, head: number): void {
  const last = read32(h, head + 4);
  setPrev(h, g, last);
  write32(h, last, g);
  write32(h, g, head);
  write32(h, head + 4, g);
}

/** Clears the COLLECTING flag of the object at GC head `g`. */
export function gcClearCollecting(h: ObjectHeap, g: number): void {
  write32(h, g + 4, read32(h, g + 4) & ~PREV_MASK_COLLECTING);
}

/** Moves node `g` from its list to the tail of `head` (gc_list_move). */
export function gcListMove(h: ObjectHeap, g: number, head: number): void {
  const fromPrev = read32(h, g + 4) & PREV_MASK;
  const fromNext = read32(h, g);
  write32(h, fromPrev, fromNext);
  setPrev(h, fromNext, fromPrev);
  gcListAppend(h, g, head);
}

/** Splices every node of `from` onto the tail of `to`, leaving `from` empty (gc_list_merge). */
export function gcListMerge(h: ObjectHeap, from: number, to: number): void {
  if (read32(h, from) !== from) {
    const toTail = read32(h, to + 4);
    const fromHead = read32(h, from);
    const fromTail = read32(h, from + 4);
    write32(h, toTail, fromHead);
    setPrev(h, fromHead, toTail);
    write32(h, fromTail, to);
    write32(h, to + 4, fromTail);
  }
  gcListInit(h, from);
}

/**
 * Number of nodes (a walk: O(n), as CPython's gc_list_size). Also walks the unreachable list
 * while its next words carry the UNREACHABLE tag (the trace counts it right after the scan).
 */
export function gcListSize(h: ObjectHeap, head: number): number {
  let n = 0;
  for (
    let g = read32(h, head) & ~NEXT_MASK_UNREACHABLE;
    g !== head;
    g = read32(h, g) & ~NEXT_MASK_UNREACHABLE
  )
    n++;
  return n;
}

/** The objects on a list, in list order (a walk like gcListSize's; a JS array, nothing allocated on the heap). */
export function gcListAddresses(h: ObjectHeap, head: number): number[] {
  const out: number[] = [];
  for (
    let g = read32(h, head) & ~NEXT_MASK_UNREACHABLE;
    g !== head;
    g = read32(h, g) & ~NEXT_MASK_UNREACHABLE
  )
    out.push(g + 8);
  return out;
}

/** Clears COLLECTING on every node (gc_list_clear_collecting). */
export function gcListClearCollecting(h: ObjectHeap, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    write32(h, g + 4, read32(h, g + 4) & ~PREV_MASK_COLLECTING);
  }
}
