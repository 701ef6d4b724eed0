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
 * Each pass is a loop over the list with a small visitor applied to every reference that the
 * object's one `traverse` reports.
 */
import { read32, write32 } from "../memory/index.js";
import {
  Kind,
  NEXT_MASK_UNREACHABLE,
  PREV_MASK,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  REF_TAG,
  SLOT_SIZE,
  traverse,
  tupleCanUntrack,
  typeIdOf,
} from "../object/index.js";
import type { GcState } from "./heap.js";
import { gcListInit } from "./lists.js";

const FLAGS = PREV_MASK_COLLECTING | PREV_MASK_FINALIZED;
const ONE_REF = 1 << PREV_SHIFT;

/** update_refs: gc_refs := refcount and COLLECTING set, for every object of the list. */
export function updateRefs(h: GcState, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    write32(
      h,
      g + 4,
      (read32(h, g + 4) & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING | (read32(h, g + 8) << PREV_SHIFT),
    );
  }
}

/** visit_decref: a reference from inside the set does not keep its target alive. */
function visitDecref(h: GcState, op: number): void {
  if (h.typeIsGc[typeIdOf(h, op)] === 0) return;
  const w = read32(h, op - 4);
  if ((w & PREV_MASK_COLLECTING) !== 0) write32(h, op - 4, w - ONE_REF);
}

/** subtract_refs: for every reference between objects of the set, gc_refs of the target -= 1. */
export function subtractRefs(h: GcState, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    const o = g + 8;
    const id = typeIdOf(h, o);
    if (h.typeKind[id] === Kind.Instance && h.typeAttrsOffset[id]! < 0) {
      // Slotted instances, the commonest objects, without the edge buffer (see plainInstanceEdge).
      const nf = h.typeFieldCount[id]!;
      for (let i = 0; i < nf; i++) {
        const r = plainInstanceEdge(h, o, id, i);
        if (r !== 0) visitDecref(h, r);
      }
      // The type object is a GC object: visit_decref's test is its COLLECTING bit alone.
      const t = h.typeObject[id]! - 4;
      const tw = read32(h, t);
      if ((tw & PREV_MASK_COLLECTING) !== 0) write32(h, t, tw - ONE_REF);
      continue;
    }
    const n = traverse(h, o);
    const edges = h.edges;
    for (let i = 0; i < n; i++) visitDecref(h, edges[i]!);
  }
}

/**
 * Reference field `i` of an instance without an attribute table, or 0: what traverse reports for
 * such an instance is exactly these fields in order, then the type object. The two hottest loops
 * of the collector read them directly: through traverse's buffer a full collection of 1M live
 * instances took 83 ns per object instead of 70 (docs/performance.md); test/fuzz/gc.fuzz.test.ts
 * checks both paths against the verifier.
 */
function plainInstanceEdge(h: GcState, o: number, id: number, i: number): number {
  const s = o + h.typeFieldsOffset[id]! + SLOT_SIZE * i;
  return read32(h, s + 4) === REF_TAG ? read32(h, s) : 0;
}

/**
 * visit_reachable: `op` is referenced by a reachable object. If it was tentatively moved to the
 * unreachable list, move it back to the tail of `young` (the scan will reach it again); if the
 * scan has not reached it yet, mark it reachable (gc_refs := 1).
 */
function visitReachable(h: GcState, op: number, young: number): void {
  if (h.typeIsGc[typeIdOf(h, op)] === 0) return;
  const g = op - 8;
  const w = read32(h, g + 4);
  // Not in the set, or already scanned and found reachable.
  if ((w & PREV_MASK_COLLECTING) === 0) return;
  const next = read32(h, g);
  if ((next & NEXT_MASK_UNREACHABLE) !== 0) {
    // Unlink from the unreachable list by hand: its next words carry the UNREACHABLE bit.
    const prev = w & PREV_MASK;
    const nextHead = next & ~NEXT_MASK_UNREACHABLE;
    write32(h, prev, next);
    write32(h, nextHead + 4, (read32(h, nextHead + 4) & FLAGS) | prev);
    // Append to young, gc_refs = 1.
    const last = read32(h, young + 4);
    write32(h, last, g);
    write32(h, g, young);
    write32(h, young + 4, g);
    write32(h, g + 4, (w & FLAGS) | ONE_REF);
  } else if (w >>> PREV_SHIFT === 0) {
    write32(h, g + 4, w | ONE_REF);
  }
}

/**
 * move_unreachable: walks `young` head to tail. An object with gc_refs > 0 is reachable: its
 * referents are marked reachable, its prev pointer is restored and COLLECTING cleared. An object
 * with gc_refs == 0 moves, for now, to the tail of `unreachable` (singly linked, next words
 * tagged UNREACHABLE); a later reachable object may bring it back. The next object is always
 * re-read from the cursor, because visits append to young.
 *
 * With `survivors` set (the collection's first pass, not the resurrection check) the scan also
 * does untrack_tuples: a reachable tuple whose items cannot be tracked is untracked as the cursor
 * passes it. The cursor passes survivors in their final list order, and an item's tracking can
 * only change when the cursor passes that item, so this is exactly CPython's separate pass over
 * the survivors afterwards. Returns the number of survivors left in `young`; `h.gcDictSurvivors`
 * counts the dicts among them.
 */
export function moveUnreachable(h: GcState, young: number, unreachable: number, survivors: boolean): number {
  let prev = young;
  let kept = 0;
  let dicts = 0;
  let g = read32(h, young);
  while (g !== young) {
    const w = read32(h, g + 4);
    if (w >>> PREV_SHIFT !== 0) {
      const o = g + 8;
      const id = typeIdOf(h, o);
      const kind = h.typeKind[id];
      if (kind === Kind.Instance && h.typeAttrsOffset[id]! < 0) {
        const nf = h.typeFieldCount[id]!;
        for (let i = 0; i < nf; i++) {
          const r = plainInstanceEdge(h, o, id, i);
          if (r !== 0) visitReachable(h, r, young);
        }
        // The type object: visit_reachable does nothing unless it is in the set (COLLECTING).
        const t = h.typeObject[id]!;
        if ((read32(h, t - 4) & PREV_MASK_COLLECTING) !== 0) visitReachable(h, t, young);
      } else {
        const n = traverse(h, o);
        const edges = h.edges;
        for (let i = 0; i < n; i++) visitReachable(h, edges[i]!, young);
      }
      if (survivors && kind === Kind.Tuple && tupleCanUntrack(h, g + 8)) {
        // Unlink it (prev words in young hold gc_refs; only next links matter until the end).
        write32(h, prev, read32(h, g));
        write32(h, g, 0);
        write32(h, g + 4, read32(h, g + 4) & PREV_MASK_FINALIZED);
      } else {
        write32(h, g + 4, (read32(h, g + 4) & PREV_MASK_FINALIZED) | prev);
        prev = g;
        kept++;
        if (kind === Kind.Dict) dicts++;
      }
    } else {
      write32(h, prev, read32(h, g));
      const last = read32(h, unreachable + 4);
      write32(h, last, NEXT_MASK_UNREACHABLE | g);
      write32(h, g + 4, (w & FLAGS) | last);
      write32(h, g, NEXT_MASK_UNREACHABLE | unreachable);
      write32(h, unreachable + 4, g);
    }
    g = read32(h, prev);
  }
  write32(h, young + 4, prev);
  write32(h, unreachable, read32(h, unreachable) & ~NEXT_MASK_UNREACHABLE);
  h.gcDictSurvivors = dicts;
  return kept;
}

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
