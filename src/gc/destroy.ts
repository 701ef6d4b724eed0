/**
 * The ordered destruction of what deduce_unreachable found (gc_collect_main in Modules/gcmodule.c,
 * move_legacy_finalizers to delete_garbage):
 * legacy finalizers set aside, finalizers run once each, resurrected objects saved, the rest
 * cleared. Between these steps user code runs (finalizers), and any object may be freed by
 * refcounting at any moment; a freed object simply leaves whatever list it was on (its dealloc
 * untracks it), so every loop re-reads the list head instead of keeping a cursor.
 */
import { read32 } from "../memory/index.js";
import {
  describe,
  increfRaw,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  setFinalized,
  traverse,
  typeIdOf,
  typeInfo,
} from "../object/index.js";
import { ClearKind, clearAs, clearKind, decref, decrefFast, listAppend } from "../refcount/index.js";
import { classRunsOf, clearUnreachableMask, deduceUnreachable } from "./deduce.js";
import { type ClassRuns, GcDebug, type GcState } from "./heap.js";
import { gcClearCollecting, gcListClearCollecting, gcListInit, gcListMerge, gcListMove } from "./lists.js";
import { clearFailed, survivedClear } from "./specialize.js";

// #region generated: legacyFinalizers (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * move_legacy_finalizers: makes `unreachable` an ordinary list again (clears the UNREACHABLE
 * tags) and moves every object with a legacy finalizer to `finalizers`, COLLECTING cleared.
 *
 * The same walk notes whether any object is a weakref or has weakrefs (MAY_HAVE_WEAKREFS) or
 * has a finalizer that has not run (MAY_FINALIZE), so that handle_weakrefs and finalize_garbage
 * need not walk a list on which they would find nothing. The flags may say "maybe" for an object
 * that leaves the list later; they never miss one, because until those steps only this
 * collection's own code runs, and later no object joins the list.
 */
export function moveLegacyFinalizers(h: GcState, unreachable: number, finalizers: number): number {
  const i32 = h.i32;
  let found = 0;
  // The current run's type (read once per run of objects of one type).
  let cid = -1;
  let wl = -1;
  let weak = false;
  let finalizer = false;
  let legacy = false;
  let g = i32[unreachable >> 2]!;
  while (g !== unreachable) {
    const gw = g >> 2;
    const next = i32[gw]! & -2;
    i32[gw] = next;
    const id = i32[gw + 3]! & 65535;
    if (id !== cid) {
      cid = id;
      wl = h.typeWeaklistOffset[id]!;
      const kind = h.typeKind[id];
      weak = kind === 9 || kind === 10;
      finalizer = h.typeHasFinalizer[id] === 1;
      legacy = h.typeHasLegacyFinalizer[id] === 1;
    }
    if (weak || (wl >= 0 && i32[(g + 8 + wl) >> 2] !== 0)) found |= 1;
    if (finalizer && (i32[gw + 1]! & 1) === 0) found |= 2;
    if (legacy) {
      i32[gw + 1] = i32[gw + 1]! & -3;
      gcListMove(h, g, finalizers);
    }
    g = next;
  }
  return found;
}
// #endregion generated: legacyFinalizers

/**
 * move_legacy_finalizer_reachable: everything reachable from a legacy-finalizer object is
 * uncollectable too. The list grows while it is walked.
 */
export function moveLegacyFinalizerReachable(h: GcState, finalizers: number): void {
  for (let g = read32(h, finalizers); g !== finalizers; g = read32(h, g)) {
    const n = traverse(h, g + 8);
    const edges = h.edges;
    for (let i = 0; i < n; i++) {
      const op = edges[i]!;
      if (h.typeIsGc[typeIdOf(h, op)] === 0) continue;
      if ((read32(h, op - 4) & PREV_MASK_COLLECTING) === 0) continue;
      gcListMove(h, op - 8, finalizers);
      gcClearCollecting(h, op - 8);
    }
  }
}

/**
 * finalize_garbage (PEP 442): takes the head of `collectable` until it is empty, moving each
 * object to `seen`; an object with a finalizer that has not run gets FINALIZED set first, then
 * its finalizer is called while it is held by an extra reference. `seen` goes back at the end.
 * Returns whether any finalizer ran (when none is due, the list is left as it is: the moves
 * would leave it in the same order).
 */
export function finalizeGarbage(h: GcState, collectable: number, seen: number): boolean {
  if (!anyToFinalize(h, collectable)) return false;
  gcListInit(h, seen);
  while (read32(h, collectable) !== collectable) {
    const g = read32(h, collectable);
    const o = g + 8;
    gcListMove(h, g, seen);
    const id = typeIdOf(h, o);
    if ((read32(h, g + 4) & PREV_MASK_FINALIZED) !== 0 || h.typeHasFinalizer[id] === 0) continue;
    setFinalized(h, o);
    increfRaw(h, o);
    try {
      typeInfo(h, id).finalize!(o);
    } catch (error) {
      h.unraisableHook(error, `<finalizer of ${describe(h, o)}>`);
    }
    decref(h, o);
  }
  gcListMerge(h, seen, collectable);
  return true;
}

/** Whether some object on the list has a finalizer that has not run (else finalize_garbage would only reorder nothing). */
function anyToFinalize(h: GcState, head: number): boolean {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    if ((read32(h, g + 4) & PREV_MASK_FINALIZED) === 0 && h.typeHasFinalizer[typeIdOf(h, g + 8)] === 1) {
      return true;
    }
  }
  return false;
}

/**
 * handle_resurrected_objects: finalizers may have stored references to garbage. Reachability is
 * recomputed over `unreachable` alone: whatever is now referenced from outside it (and everything
 * that reaches) is resurrected and joins `old`; the rest goes to `stillUnreachable`.
 */
export function handleResurrectedObjects(
  h: GcState,
  unreachable: number,
  stillUnreachable: number,
  old: number,
): void {
  gcListClearCollecting(h, unreachable);
  deduceUnreachable(h, unreachable, stillUnreachable);
  clearUnreachableMask(h, stillUnreachable);
  gcListMerge(h, unreachable, old);
}

/**
 * delete_garbage: takes the head of `collectable` until it is empty. Under DEBUG_SAVEALL the
 * object goes to gc.garbage; otherwise it is cleared (held by an extra reference meanwhile),
 * which usually frees it and others by refcounting. An object still alive afterwards moves to
 * `old`.
 */
export function deleteGarbage(h: GcState, collectable: number, old: number): void {
  // The garbage is mostly runs of objects of one type: how to clear one is looked up per run.
  // A run of a slotted class's instances is deleted by the step compiled for it (specialize.ts).
  let cid = -1;
  let how: ClearKind = ClearKind.None;
  let compiled: ClassRuns | null = null;
  while (read32(h, collectable) !== collectable) {
    const g = read32(h, collectable);
    const o = g + 8;
    const id = typeIdOf(h, o);
    if (id !== cid) {
      cid = id;
      how = clearKind(h, id);
      compiled = how === ClearKind.Instance ? classRunsOf(h, id) : null;
    }
    if ((h.gcDebug & GcDebug.SAVEALL) !== 0) {
      listAppend(h, h.garbage, o, true);
    } else if (compiled !== null) {
      compiled.deleteRun(h, collectable, old);
      continue; // the step left the head at another class's object, or SAVEALL set, or nothing
    } else if (how !== ClearKind.None) {
      increfRaw(h, o);
      try {
        clearAs(h, o, id, how);
      } catch (error) {
        clearFailed(h, error, o);
      }
      decrefFast(h, o);
    }
    if (read32(h, collectable) === g) survivedClear(h, g, old);
  }
}

/**
 * handle_legacy_finalizers: objects with a legacy finalizer (all of `finalizers` under SAVEALL)
 * are appended to gc.garbage; the whole list joins `old`.
 */
export function handleLegacyFinalizers(h: GcState, finalizers: number, old: number): void {
  const saveAll = (h.gcDebug & GcDebug.SAVEALL) !== 0;
  for (let g = read32(h, finalizers); g !== finalizers; g = read32(h, g)) {
    const o = g + 8;
    if (saveAll || h.typeHasLegacyFinalizer[typeIdOf(h, o)] === 1) listAppend(h, h.garbage, o, true);
  }
  gcListMerge(h, finalizers, old);
}
