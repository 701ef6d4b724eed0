/**
 * Finding the unreachable (deduce_unreachable in Modules/gcmodule.c: update_refs, subtract_refs,
 * move_unreachable): which objects of a list are referenced
 * only from inside it. No roots are needed: an object's refcount minus the references to it from
 * inside the set is the number of references from outside; anything with outside references, and
 * everything it reaches, survives.
 *
 * During these passes a GC head's prev word holds gc_refs instead of a pointer:
 *
 *   gc_prev  [ gc_refs (bits 2..31)                    | COL=1 | FIN ]
 *   gc_next  [ next head — bit 0 set (UNREACHABLE) while on the unreachable list ]
 *
 * Each pass is a loop over the list with a small visitor applied to every reference of each
 * object. The three passes are generated (scripts/hot-collector.ts) flat over the heap's words:
 * they read the slots of slotted instances, lists and tuples in place, in traverse's order, and
 * hand every other kind to `traverse`. test/gc/passes.test.ts checks them against passes written
 * over traverse alone.
 */
import { read32, write32 } from "../memory/index.js";
import {
  NEXT_MASK_UNREACHABLE,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  traverse,
  tupleCanUntrack,
  typeIdOf,
} from "../object/index.js";
import { dealloc } from "../refcount/index.js";
import type { ClassRuns, GcState } from "./heap.js";
import { gcListInit } from "./lists.js";
import { classRuns } from "./specialize.js";

const ONE_REF = 1 << PREV_SHIFT;

/** visit_decref: a reference from inside the set does not keep its target alive. */
function visitDecref(h: GcState, op: number): void {
  if (h.typeIsGc[typeIdOf(h, op)] === 0) return;
  const w = read32(h, op - 4);
  if ((w & PREV_MASK_COLLECTING) !== 0) write32(h, op - 4, w - ONE_REF);
}

/**
 * visit_decref for the fused pass (updateSubtractRefs): a tracked object without COLLECTING is in
 * the set but not yet counted, so it is counted first (gc_refs := refcount), then decremented.
 */
function visitDecrefCounting(h: GcState, op: number): void {
  if (h.typeIsGc[typeIdOf(h, op)] === 0) return;
  const w = read32(h, op - 4);
  if ((w & PREV_MASK_COLLECTING) !== 0) write32(h, op - 4, w - ONE_REF);
  else if (read32(h, op - 8) !== 0) {
    write32(
      h,
      op - 4,
      (w & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING | ((read32(h, op) - 1) << PREV_SHIFT),
    );
  }
}

/**
 * Class `id`'s compiled run steps (specialize.ts), made at its first run (or its first instance
 * delete_garbage clears) and kept in gcRuns; null, kept too, for a class without.
 */
export function classRunsOf(h: GcState, id: number): ClassRuns | null {
  const kept = h.gcRuns[id];
  if (kept !== undefined) return kept;
  const runs = classRuns(h, id, visitReachable, dealloc);
  h.gcRuns[id] = runs;
  return runs;
}

// #region generated: collectorPasses (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/** update_refs: gc_refs := refcount and COLLECTING set, for every object of the list. */
export function updateRefs(h: GcState, head: number): void {
  const i32 = h.i32;
  for (let g = i32[head >> 2]!; g !== head; g = i32[g >> 2]!) {
    const gw = g >> 2;
    i32[gw + 1] = (i32[gw + 1]! & 1) | 2 | (i32[gw + 2]! << 2);
  }
}

/**
 * subtract_refs: for every reference between objects of the set, gc_refs of the target -= 1.
 *
 * Subtracting only counts, so the order of the visits does not matter: the per-class data is read
 * once per run of instances of one class (a generation is mostly such runs), and the run's
 * references to its class are taken off the type object's gc_refs at once when the run ends.
 */
export function subtractRefs(h: GcState, head: number): void {
  const i32 = h.i32;
  const typeIsGc = h.typeIsGc;
  const typeKind = h.typeKind;
  // The current run's class: its id, fields, attributes offset, type object's prev word index,
  // and how many of its instances the run has had so far (their type edges, not yet counted).
  let cid = -1;
  let fieldsOffset = 0;
  let fieldCount = 0;
  let hasItems = false;
  let attrsOffset = -1;
  let tw = 0;
  let typeRefs = 0;
  for (let g = i32[head >> 2]!, next = 0; g !== head; g = next) {
    next = i32[g >> 2]!;
    const o = g + 8;
    const rid = i32[(g >> 2) + 3]! & 65535;
    if (rid >= 18 && rid !== cid && (i32[(next >> 2) + 3]! & 65535) === rid) {
      // A run of a slotted class: its own compiled step (specialize.ts).
      const runs = classRunsOf(h, rid);
      if (runs !== null) {
        next = runs.subtract(h, g, head);
        continue;
      }
    }
    const id = rid;
    // cid is only ever an instance's class.
    const kind = id === cid ? 8 : typeKind[id];
    let p = 0;
    let n = 0;
    if (kind === 8) {
      if (id !== cid) {
        if (typeRefs !== 0) {
          const tp = i32[tw]!;
          if ((tp & 2) !== 0) i32[tw] = tp - typeRefs * 4;
        }
        cid = id;
        fieldsOffset = h.typeFieldsOffset[id]!;
        fieldCount = h.typeFieldCount[id]!;
        hasItems = h.typeHasItems[id] === 1;
        attrsOffset = h.typeAttrsOffset[id]!;
        // The type object is a GC object: visit_decref's test is its COLLECTING bit alone.
        tw = (h.typeObject[id]! >> 2) - 1;
        typeRefs = 0;
      }
      typeRefs++;
      p = o + fieldsOffset;
      // A user kind's items follow its reference slots.
      n = hasItems ? fieldCount + i32[(o + 8) >> 2]! : fieldCount;
      const a = attrsOffset < 0 ? 0 : i32[(o + attrsOffset) >> 2]!;
      if ((a & 8) !== 0) {
        // The materialised dict: a GC object, counted as any other referent in the set.
        const dw = (a >> 2) - 1;
        const dp = i32[dw]!;
        if ((dp & 2) !== 0) i32[dw] = dp - 4;
      } else if (a !== 0) {
        // The values array's slots, then the fields below.
        for (
          let s = (a + ((4 + (i32[a >> 2]! & 255) + 7) & -8)) >> 2, end = s + 2 * (i32[a >> 2]! & 255);
          s < end;
          s += 2
        ) {
          if (i32[s + 1] !== -65536) continue;
          const r = i32[s]!;
          if (r === 0 || typeIsGc[i32[(r >> 2) + 1]! & 65535] === 0) continue;
          const rw = (r >> 2) - 1;
          const rp = i32[rw]!;
          if ((rp & 2) !== 0) i32[rw] = rp - 4;
        }
      }
    } else if (kind === 5 && id < 18) {
      // An exact list (a user's subclass of list also has its class's part: the general path).
      p = i32[(o + 12) >> 2]!;
      n = i32[(o + 8) >> 2]!;
    } else if (kind === 4) {
      p = o + 16;
      n = i32[(o + 8) >> 2]!;
    } else {
      const m = traverse(h, o);
      const edges = h.edges;
      for (let i = 0; i < m; i++) visitDecref(h, edges[i]!);
      continue;
    }
    // The slots in place.
    for (let s = p >> 2, end = s + 2 * n; s < end; s += 2) {
      if (i32[s + 1] !== -65536) continue;
      const r = i32[s]!;
      if (r === 0 || typeIsGc[i32[(r >> 2) + 1]! & 65535] === 0) continue;
      const rw = (r >> 2) - 1;
      const rp = i32[rw]!;
      if ((rp & 2) !== 0) i32[rw] = rp - 4;
    }
  }
  if (typeRefs !== 0) {
    const tp = i32[tw]!;
    if ((tp & 2) !== 0) i32[tw] = tp - typeRefs * 4;
  }
}

/**
 * update_refs and subtract_refs fused, for a full collection with an empty permanent generation
 * (see collect.ts): every tracked object is then in the set, so a tracked object without
 * COLLECTING has not been counted yet and is counted (gc_refs := refcount) at its first visit.
 *
 * Subtracting only counts, so the order of the visits does not matter: the per-class data is read
 * once per run of instances of one class (a generation is mostly such runs), and the run's
 * references to its class are taken off the type object's gc_refs at once when the run ends.
 */
export function updateSubtractRefs(h: GcState, head: number): void {
  const i32 = h.i32;
  const typeIsGc = h.typeIsGc;
  const typeKind = h.typeKind;
  // The current run's class: its id, fields, attributes offset, type object's prev word index,
  // and how many of its instances the run has had so far (their type edges, not yet counted).
  let cid = -1;
  let fieldsOffset = 0;
  let fieldCount = 0;
  let hasItems = false;
  let attrsOffset = -1;
  let tw = 0;
  let typeRefs = 0;
  for (let g = i32[head >> 2]!, next = 0; g !== head; g = next) {
    next = i32[g >> 2]!;
    const o = g + 8;
    const rid = i32[(g >> 2) + 3]! & 65535;
    if (rid >= 18 && rid !== cid && (i32[(next >> 2) + 3]! & 65535) === rid) {
      // A run of a slotted class: its own compiled step (specialize.ts).
      const runs = classRunsOf(h, rid);
      if (runs !== null) {
        next = runs.fused(h, g, head);
        continue;
      }
    }
    const gp = i32[(g >> 2) + 1]!;
    if ((gp & 2) === 0) i32[(g >> 2) + 1] = (gp & 1) | 2 | (i32[(g >> 2) + 2]! << 2);
    const id = rid;
    // cid is only ever an instance's class.
    const kind = id === cid ? 8 : typeKind[id];
    let p = 0;
    let n = 0;
    if (kind === 8) {
      if (id !== cid) {
        if (typeRefs !== 0) {
          const tp = i32[tw]!;
          if ((tp & 2) !== 0) i32[tw] = tp - typeRefs * 4;
          else if (i32[tw - 1] !== 0) i32[tw] = (tp & 1) | 2 | ((i32[tw + 1]! - typeRefs) << 2);
        }
        cid = id;
        fieldsOffset = h.typeFieldsOffset[id]!;
        fieldCount = h.typeFieldCount[id]!;
        hasItems = h.typeHasItems[id] === 1;
        attrsOffset = h.typeAttrsOffset[id]!;
        // The type object is a GC object: visit_decref's test is its COLLECTING bit alone.
        tw = (h.typeObject[id]! >> 2) - 1;
        typeRefs = 0;
      }
      typeRefs++;
      p = o + fieldsOffset;
      // A user kind's items follow its reference slots.
      n = hasItems ? fieldCount + i32[(o + 8) >> 2]! : fieldCount;
      const a = attrsOffset < 0 ? 0 : i32[(o + attrsOffset) >> 2]!;
      if ((a & 8) !== 0) {
        // The materialised dict: a GC object, counted as any other referent in the set.
        const dw = (a >> 2) - 1;
        const dp = i32[dw]!;
        if ((dp & 2) !== 0) i32[dw] = dp - 4;
        else if (i32[dw - 1] !== 0) i32[dw] = (dp & 1) | 2 | ((i32[dw + 1]! - 1) << 2);
      } else if (a !== 0) {
        // The values array's slots, then the fields below.
        for (
          let s = (a + ((4 + (i32[a >> 2]! & 255) + 7) & -8)) >> 2, end = s + 2 * (i32[a >> 2]! & 255);
          s < end;
          s += 2
        ) {
          if (i32[s + 1] !== -65536) continue;
          const r = i32[s]!;
          if (r === 0 || typeIsGc[i32[(r >> 2) + 1]! & 65535] === 0) continue;
          const rw = (r >> 2) - 1;
          const rp = i32[rw]!;
          if ((rp & 2) !== 0) i32[rw] = rp - 4;
          else if (i32[rw - 1] !== 0) i32[rw] = (rp & 1) | 2 | ((i32[rw + 1]! - 1) << 2);
        }
      }
    } else if (kind === 5 && id < 18) {
      // An exact list (a user's subclass of list also has its class's part: the general path).
      p = i32[(o + 12) >> 2]!;
      n = i32[(o + 8) >> 2]!;
    } else if (kind === 4) {
      p = o + 16;
      n = i32[(o + 8) >> 2]!;
    } else {
      const m = traverse(h, o);
      const edges = h.edges;
      for (let i = 0; i < m; i++) visitDecrefCounting(h, edges[i]!);
      continue;
    }
    // The slots in place.
    for (let s = p >> 2, end = s + 2 * n; s < end; s += 2) {
      if (i32[s + 1] !== -65536) continue;
      const r = i32[s]!;
      if (r === 0 || typeIsGc[i32[(r >> 2) + 1]! & 65535] === 0) continue;
      const rw = (r >> 2) - 1;
      const rp = i32[rw]!;
      if ((rp & 2) !== 0) i32[rw] = rp - 4;
      else if (i32[rw - 1] !== 0) i32[rw] = (rp & 1) | 2 | ((i32[rw + 1]! - 1) << 2);
    }
  }
  if (typeRefs !== 0) {
    const tp = i32[tw]!;
    if ((tp & 2) !== 0) i32[tw] = tp - typeRefs * 4;
    else if (i32[tw - 1] !== 0) i32[tw] = (tp & 1) | 2 | ((i32[tw + 1]! - typeRefs) << 2);
  }
}

/**
 * visit_reachable: `op` is referenced by a reachable object. If it was tentatively moved to the
 * unreachable list, move it back to the tail of `young` (the scan will reach it again); if the
 * scan has not reached it yet, mark it reachable (gc_refs := 1). `i32` is the heap's words: no
 * pass of a collection grows the heap. Returns 1 if it moved `op` back, else 0.
 */
function visitReachable(h: GcState, i32: Int32Array, op: number, young: number): number {
  if (h.typeIsGc[i32[(op >> 2) + 1]! & 65535] === 0) return 0;
  const g = op - 8;
  const gw = g >> 2;
  const prevWord = i32[gw + 1]!;
  // Not in the set, or already scanned and found reachable.
  if ((prevWord & 2) === 0) return 0;
  const next = i32[gw]!;
  if ((next & 1) !== 0) {
    // Unlink from the unreachable list by hand: its next words carry the UNREACHABLE bit.
    const prev = prevWord & -4;
    const nw = (next & -2) >> 2;
    i32[prev >> 2] = next;
    i32[nw + 1] = (i32[nw + 1]! & 3) | prev;
    // Append to young, gc_refs = 1.
    const yw = young >> 2;
    const last = i32[yw + 1]!;
    i32[last >> 2] = g;
    i32[gw] = young;
    i32[yw + 1] = g;
    i32[gw + 1] = (prevWord & 3) | 4;
    return 1;
  }
  if (prevWord >>> 2 === 0) i32[gw + 1] = prevWord | 4;
  return 0;
}

/**
 * move_unreachable: walks `young` head to tail. An object with gc_refs > 0 is reachable: its
 * referents are marked reachable, its prev pointer is restored and COLLECTING cleared. An object
 * with gc_refs == 0 moves, for now, to the tail of `unreachable` (singly linked, next words
 * tagged UNREACHABLE); a later reachable object may bring it back. The next object is always
 * re-read from the cursor, because visits append to young. Slots are visited in traverse's order
 * (an instance's fields first to last, then its type; a list's or tuple's items last to first):
 * it decides the order in which objects move back.
 *
 * With `survivors` set (the collection's first pass, not the resurrection check) the scan also
 * does untrack_tuples: a reachable tuple whose items cannot be tracked is untracked as the cursor
 * passes it. The cursor passes survivors in their final list order, and an item's tracking can
 * only change when the cursor passes that item, so this is exactly CPython's separate pass over
 * the survivors afterwards. Returns the number of survivors left in `young`; `h.gcDictSurvivors`
 * counts the dicts among them, `h.gcUnreachable` the objects left in `unreachable`.
 */
export function moveUnreachable(h: GcState, young: number, unreachable: number, survivors: boolean): number {
  const i32 = h.i32;
  const typeKind = h.typeKind;
  const uw = unreachable >> 2;
  let prev = young;
  let kept = 0;
  let dicts = 0;
  let moved = 0;
  let back = 0;
  // The class of the current run of instances (read once per run), and the last type object
  // visited: only an instance's first visit of its type can do anything (see below).
  let cid = -1;
  let slotted = false;
  let fieldsOffset = 0;
  let fieldCount = 0;
  let hasItems = false;
  let attrsOffset = -1;
  let t = 0;
  let visitedType = 0;
  let g = i32[young >> 2]!;
  while (g !== young) {
    const gw = g >> 2;
    const rid = i32[gw + 3]! & 65535;
    if (rid >= 18 && rid !== cid && (i32[(i32[gw]! >> 2) + 3]! & 65535) === rid) {
      // A run of a slotted class: its own compiled step (specialize.ts), the scan's state handed over.
      const runs = classRunsOf(h, rid);
      if (runs !== null) {
        const scan = h.gcMoveScan;
        scan[0] = prev;
        scan[1] = kept;
        scan[2] = moved;
        scan[3] = back;
        scan[4] = visitedType;
        g = runs.move(h, g, young, unreachable, scan);
        prev = scan[0]!;
        kept = scan[1]!;
        moved = scan[2]!;
        back = scan[3]!;
        visitedType = scan[4]!;
        continue;
      }
    }
    const prevWord = i32[gw + 1]!;
    if (prevWord >>> 2 !== 0) {
      const o = g + 8;
      const id = rid;
      // cid is only ever an instance's class.
      const kind = id === cid ? 8 : typeKind[id];
      if (kind === 8 && id !== cid) {
        cid = id;
        slotted = h.typeFieldsReordered[id] === 0;
        fieldsOffset = h.typeFieldsOffset[id]!;
        fieldCount = h.typeFieldCount[id]!;
        hasItems = h.typeHasItems[id] === 1;
        attrsOffset = h.typeAttrsOffset[id]!;
        t = h.typeObject[id]!;
      }
      if (kind === 8 && slotted) {
        // The fields, then a user kind's items, which follow them (a subclass whose fields are
        // visited level by level takes the general path below).
        for (
          let s = (o + fieldsOffset) >> 2,
            end = s + 2 * (hasItems ? fieldCount + i32[(o + 8) >> 2]! : fieldCount);
          s < end;
          s += 2
        ) {
          const r = i32[s]!;
          if (r !== 0 && i32[s + 1] === -65536) back += visitReachable(h, i32, r, young);
        }
        // A dynamic instance's attributes: the values array's slots in order, or the dict.
        const a = attrsOffset < 0 ? 0 : i32[(o + attrsOffset) >> 2]!;
        if ((a & 8) !== 0) {
          back += visitReachable(h, i32, a, young);
        } else if (a !== 0) {
          for (
            let s = (a + ((4 + (i32[a >> 2]! & 255) + 7) & -8)) >> 2, end = s + 2 * (i32[a >> 2]! & 255);
            s < end;
            s += 2
          ) {
            const r = i32[s]!;
            if (r !== 0 && i32[s + 1] === -65536) back += visitReachable(h, i32, r, young);
          }
        }
        // The type object. The first visit leaves it reachable ahead of the cursor (gc_refs >= 1,
        // moved back if it was on the unreachable list) or finds it outside the set or already
        // scanned (COLLECTING clear, which stays clear for the rest of the scan); either way every
        // later visit in this scan does nothing, so only the first is made.
        if (t !== visitedType) {
          visitedType = t;
          if ((i32[(t >> 2) - 1]! & 2) !== 0) back += visitReachable(h, i32, t, young);
        }
      } else if ((kind === 5 || kind === 4) && id < 18) {
        const s0 = (kind === 5 ? i32[(o + 12) >> 2]! : o + 16) >> 2;
        const n = i32[(o + (kind === 5 ? 8 : 8)) >> 2]!;
        for (let s = s0 + 2 * (n - 1); s >= s0; s -= 2) {
          const r = i32[s]!;
          if (r !== 0 && i32[s + 1] === -65536) back += visitReachable(h, i32, r, young);
        }
      } else {
        const n = traverse(h, o);
        const edges = h.edges;
        for (let i = 0; i < n; i++) back += visitReachable(h, i32, edges[i]!, young);
      }
      if (survivors && kind === 4 && tupleCanUntrack(h, o)) {
        // Unlink it (prev words in young hold gc_refs; only next links matter until the end).
        i32[prev >> 2] = i32[gw]!;
        i32[gw] = 0;
        i32[gw + 1] = i32[gw + 1]! & 1;
      } else {
        i32[gw + 1] = (i32[gw + 1]! & 1) | prev;
        prev = g;
        kept++;
        if (id === 6) dicts++; // exact dicts only (untrack_dicts: PyDict_CheckExact)
      }
    } else {
      i32[prev >> 2] = i32[gw]!;
      const last = i32[uw + 1]!;
      i32[last >> 2] = 1 | g;
      i32[gw + 1] = (prevWord & 3) | last;
      i32[gw] = 1 | unreachable;
      i32[uw + 1] = g;
      moved++;
    }
    g = i32[prev >> 2]!;
  }
  i32[(young >> 2) + 1] = prev;
  i32[uw] = i32[uw]! & -2;
  h.gcDictSurvivors = dicts;
  h.gcUnreachable = moved - back;
  return kept;
}
// #endregion generated: collectorPasses

/** Reports gc_refs of every object (after subtract_refs) to the trace sink. */
export function traceRefs(h: GcState, head: number): void {
  const sink = h.trace;
  if (sink === null) return;
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    sink({ kind: "gc-refs", addr: g + 8, refs: read32(h, g + 4) >>> PREV_SHIFT });
  }
}

/**
 * deduce_unreachable: leaves in `base` exactly the objects reachable from outside it (COLLECTING
 * cleared, links restored) and moves the rest to `unreachable` (COLLECTING set, next words
 * tagged UNREACHABLE, prev words valid pointers).
 */
export function deduceUnreachable(h: GcState, base: number, unreachable: number): void {
  updateRefs(h, base);
  subtractRefs(h, base);
  if (h.traceGcRefs) traceRefs(h, base);
  gcListInit(h, unreachable);
  moveUnreachable(h, base, unreachable, false);
}

/** Clears the UNREACHABLE bit of every next word on the list (clear_unreachable_mask). */
export function clearUnreachableMask(h: GcState, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    write32(h, g, read32(h, g) & ~NEXT_MASK_UNREACHABLE);
  }
}
