/**
 * handle_weakrefs (CPython's Modules/gcmodule.c): before any finalizer of this
 * collection runs, every weakref to the garbage dies; the callbacks of those weakrefs that are
 * not garbage themselves then run. A weakref in the garbage never calls back: its callback may
 * see objects that are being torn down (bpo-38006).
 */
import { read32 } from "../memory/index.js";
import {
  clearWeakref,
  increfRaw,
  isWeakref,
  PREV_MASK_COLLECTING,
  typeIdOf,
  weaklistHead,
  weakrefCallback,
  weakrefHasCallback,
} from "../object/index.js";
import { decref } from "../refcount/index.js";
import { callWeakrefCallback } from "../weakref/index.js";
import type { GcState } from "./heap.js";
import { gcListMove } from "./lists.js";

/**
 * Pass 1: clears every weakref that is garbage itself and every weakref to the garbage on
 * `unreachable`. A cleared weakref that has a callback and is not garbage is held (a reference)
 * and moved to `toCall`, in the order met. Returns how many were moved.
 */
export function clearWeakrefsToGarbage(h: GcState, unreachable: number, toCall: number): number {
  let queued = 0;
  for (let g = read32(h, unreachable); g !== unreachable; g = read32(h, g)) {
    const op = g + 8;
    if (isWeakref(h, op)) clearWeakref(h, op);
    if (h.typeWeaklistOffset[typeIdOf(h, op)]! < 0) continue;
    for (let wr = weaklistHead(h, op); wr !== 0; wr = weaklistHead(h, op)) {
      clearWeakref(h, wr);
      if (!weakrefHasCallback(h, wr)) continue;
      if ((read32(h, wr - 4) & PREV_MASK_COLLECTING) !== 0) continue; // garbage: no callback
      increfRaw(h, wr);
      gcListMove(h, wr - 8, toCall);
      queued++;
    }
  }
  return queued;
}

/**
 * Pass 2: calls each queued weakref's callback, then releases the reference pass 1 took. A
 * weakref still alive afterwards moves to `old`; one the callback freed (say, a
 * WeakValueDictionary's KeyedRef, removed with its entry) is counted. Returns that count, which
 * the collection adds to its result.
 */
export function callWeakrefCallbacks(h: GcState, toCall: number, old: number): number {
  let freed = 0;
  while (read32(h, toCall) !== toCall) {
    const g = read32(h, toCall);
    const wr = g + 8;
    const callback = weakrefCallback(h, wr);
    if (callback !== undefined) callWeakrefCallback(h, wr, callback);
    decref(h, wr);
    if (read32(h, toCall) === g) gcListMove(h, g, old);
    else freed++;
  }
  return freed;
}
