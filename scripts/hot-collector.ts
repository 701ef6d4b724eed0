/**
 * The collector's three passes over a generation (update_refs, subtract_refs, move_unreachable
 * in Modules/gcmodule.c), written flat over the heap's words for scripts/gen-hot.ts. Instances
 * (their fields, then a dynamic one's values array or attribute dict, then the type), lists and
 * tuples have their slots read in place; every other kind goes through traverse's edge buffer. The offsets are literals computed from the layout constants: V8 does
 * not fold module-level constants into optimised code, and reading them cost the pause about 8 %.
 */

import { MAY_FINALIZE, MAY_HAVE_WEAKREFS } from "../src/gc/flags.js";
import { MoveScan, visitDecrefSource } from "../src/gc/specialize.js";
import {
  GC_HEAD_SIZE,
  GC_NEXT,
  GC_PREV,
  NEXT_MASK_UNREACHABLE,
  OB_REFCNT,
  OB_TYPE,
  PREV_MASK,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  TYPE_ID_MASK,
} from "../src/object/header.js";
import { ATTRS_DICT_BIT } from "../src/object/instance.js";
import { FIRST_USER_TYPE, Kind } from "../src/object/kinds.js";
import { LIST_ITEMS, LIST_SIZE } from "../src/object/list.js";
import { TUPLE_ITEMS, TUPLE_SIZE } from "../src/object/tuple.js";
import { ITEMS_COUNT } from "../src/object/types.js";
import { REF_TAG, SLOT_SIZE, SLOT_TAG } from "../src/object/value.js";
import { VALUES_ORDER } from "../src/object/values.js";
import { w } from "./hot-words.js";

const COL = PREV_MASK_COLLECTING;
const FIN = PREV_MASK_FINALIZED;
const FLAGS = COL | FIN;
const ONE_REF = 1 << PREV_SHIFT;
const SW = SLOT_SIZE / 4;
/** Word offsets from a GC head's word index `gw`. */
const G_NEXT = "";
const G_PREV = w(GC_PREV - GC_NEXT);
const G_REFCNT = w(GC_HEAD_SIZE + OB_REFCNT);
const G_TYPE = w(GC_HEAD_SIZE + OB_TYPE);
/** Word offsets from an object's word index. */
const O_PREV = w(GC_PREV);
const O_TYPE = w(OB_TYPE);
const S_TAG = w(SLOT_TAG);
/** A values array's slot 0, in words from its address `a`, given its header word's capacity: values.ts's slotsOffset. */
/** move_unreachable's visit of `count` slots from word index `start`, first to last (traverse's order). */
const reachSlots = (start: string, count: string): string =>
  `for (let s = ${start}, end = s + ${SW} * ${count}; s < end; s += ${SW}) {
          const r = i32[s]!;
          if (r !== 0 && i32[s${S_TAG}] === ${REF_TAG}) back += visitReachable(h, i32, r, young);
        }`;
const valuesSlot0 = (a: string): string =>
  `((${a} + ((${VALUES_ORDER} + (i32[${a} >> 2]! & 255) + 7) & -8)) >> 2)`;

/**
 * subtract_refs, or (fused) update_refs and subtract_refs in one walk for a full collection:
 * there every tracked object is in the set (the permanent generation being empty), so an object
 * whose COLLECTING bit is clear but that is tracked has simply not been counted yet; it gets
 * gc_refs := refcount at the first reference to it, or when the walk reaches it.
 */
function subtractRefs(fused: boolean): string {
  /** The visit of reference \`r\`'s prev word at word index \`rw\`, value \`rp\`, counted \`k\` times. */
  const visit = (rw: string, rp: string, k = "1"): string => visitDecrefSource(fused, rw, rp, k, "!");
  /** Visits `count` slots from word index `start`; subtract_refs only counts, so any order will do. */
  const slots = (
    start: string,
    count: string,
  ): string => `for (let s = ${start}, end = s + ${SW} * ${count}; s < end; s += ${SW}) {
      if (i32[s${S_TAG}] !== ${REF_TAG}) continue;
      const r = i32[s]!;
      if (r === 0 || typeIsGc[i32[(r >> 2)${O_TYPE}]! & ${TYPE_ID_MASK}] === 0) continue;
      const rw = (r >> 2)${O_PREV};
      const rp = i32[rw]!;
      ${visit("rw", "rp")}
    }`;
  /** The type edges of a run of instances of one class, counted at once (see the doc comment). */
  const flushTypeEdges = `if (typeRefs !== 0) {
        const tp = i32[tw]!;
        ${visit("tw", "tp", "typeRefs")}
      }`;
  const doc = fused
    ? `/**
 * update_refs and subtract_refs fused, for a full collection with an empty permanent generation
 * (see collect.ts): every tracked object is then in the set, so a tracked object without
 * COLLECTING has not been counted yet and is counted (gc_refs := refcount) at its first visit.
 *`
    : `/**
 * subtract_refs: for every reference between objects of the set, gc_refs of the target -= 1.
 *`;
  return `
${doc}
 * Subtracting only counts, so the order of the visits does not matter: the per-class data is read
 * once per run of instances of one class (a generation is mostly such runs), and the run's
 * references to its class are taken off the type object's gc_refs at once when the run ends.
 */
export function ${fused ? "updateSubtractRefs" : "subtractRefs"}(h: GcState, head: number): void {
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
    const o = g + ${GC_HEAD_SIZE};
    const rid = i32[(g >> 2)${G_TYPE}]! & ${TYPE_ID_MASK};
    if (rid >= ${FIRST_USER_TYPE} && rid !== cid && (i32[(next >> 2)${G_TYPE}]! & ${TYPE_ID_MASK}) === rid) {
      // A run of a slotted class: its own compiled step (specialize.ts).
      const runs = classRunsOf(h, rid);
      if (runs !== null) {
        next = runs.${fused ? "fused" : "subtract"}(h, g, head);
        continue;
      }
    }${
      fused
        ? `
    const gp = i32[(g >> 2)${G_PREV}]!;
    if ((gp & ${COL}) === 0) i32[(g >> 2)${G_PREV}] = (gp & ${FIN}) | ${COL} | (i32[(g >> 2)${G_REFCNT}]! << ${PREV_SHIFT});`
        : ""
    }
    const id = rid;
    // cid is only ever an instance's class.
    const kind = id === cid ? ${Kind.Instance} : typeKind[id];
    let p = 0;
    let n = 0;
    if (kind === ${Kind.Instance}) {
      if (id !== cid) {
        ${flushTypeEdges}
        cid = id;
        fieldsOffset = h.typeFieldsOffset[id]!;
        fieldCount = h.typeFieldCount[id]!;
        hasItems = h.typeHasItems[id] === 1;
        attrsOffset = h.typeAttrsOffset[id]!;
        // The type object is a GC object: visit_decref's test is its COLLECTING bit alone.
        tw = (h.typeObject[id]! >> 2)${O_PREV};
        typeRefs = 0;
      }
      typeRefs++;
      p = o + fieldsOffset;
      // A user kind's items follow its reference slots.
      n = hasItems ? fieldCount + i32[(o + ${ITEMS_COUNT}) >> 2]! : fieldCount;
      const a = attrsOffset < 0 ? 0 : i32[(o + attrsOffset) >> 2]!;
      if ((a & ${ATTRS_DICT_BIT}) !== 0) {
        // The materialised dict: a GC object, counted as any other referent in the set.
        const dw = (a >> 2)${O_PREV};
        const dp = i32[dw]!;
        ${visit("dw", "dp")}
      } else if (a !== 0) {
        // The values array's slots, then the fields below.
        ${slots(valuesSlot0("a"), "(i32[a >> 2]! & 255)")}
      }
    } else if (kind === ${Kind.List} && id < ${FIRST_USER_TYPE}) {
      // An exact list (a user's subclass of list also has its class's part: the general path).
      p = i32[(o + ${LIST_ITEMS}) >> 2]!;
      n = i32[(o + ${LIST_SIZE}) >> 2]!;
    } else if (kind === ${Kind.Tuple}) {
      p = o + ${TUPLE_ITEMS};
      n = i32[(o + ${TUPLE_SIZE}) >> 2]!;
    } else {
      const m = traverse(h, o);
      const edges = h.edges;
      for (let i = 0; i < m; i++) ${fused ? "visitDecrefCounting" : "visitDecref"}(h, edges[i]!);
      continue;
    }
    // The slots in place.
    ${slots("p >> 2", "n")}
  }
  ${flushTypeEdges}
}
`;
}

export const collectorPasses = `
/** update_refs: gc_refs := refcount and COLLECTING set, for every object of the list. */
export function updateRefs(h: GcState, head: number): void {
  const i32 = h.i32;
  for (let g = i32[head >> 2]!; g !== head; g = i32[g >> 2]!) {
    const gw = g >> 2;
    i32[gw${G_PREV}] = (i32[gw${G_PREV}]! & ${FIN}) | ${COL} | (i32[gw${G_REFCNT}]! << ${PREV_SHIFT});
  }
}

${subtractRefs(false)}
${subtractRefs(true)}
/**
 * visit_reachable: \`op\` is referenced by a reachable object. If it was tentatively moved to the
 * unreachable list, move it back to the tail of \`young\` (the scan will reach it again); if the
 * scan has not reached it yet, mark it reachable (gc_refs := 1). \`i32\` is the heap's words: no
 * pass of a collection grows the heap. Returns 1 if it moved \`op\` back, else 0.
 */
function visitReachable(h: GcState, i32: Int32Array, op: number, young: number): number {
  if (h.typeIsGc[i32[(op >> 2)${O_TYPE}]! & ${TYPE_ID_MASK}] === 0) return 0;
  const g = op - ${GC_HEAD_SIZE};
  const gw = g >> 2;
  const prevWord = i32[gw${G_PREV}]!;
  // Not in the set, or already scanned and found reachable.
  if ((prevWord & ${COL}) === 0) return 0;
  const next = i32[gw${G_NEXT}]!;
  if ((next & ${NEXT_MASK_UNREACHABLE}) !== 0) {
    // Unlink from the unreachable list by hand: its next words carry the UNREACHABLE bit.
    const prev = prevWord & ${PREV_MASK};
    const nw = (next & ${~NEXT_MASK_UNREACHABLE}) >> 2;
    i32[(prev >> 2)${G_NEXT}] = next;
    i32[nw${G_PREV}] = (i32[nw${G_PREV}]! & ${FLAGS}) | prev;
    // Append to young, gc_refs = 1.
    const yw = young >> 2;
    const last = i32[yw${G_PREV}]!;
    i32[(last >> 2)${G_NEXT}] = g;
    i32[gw${G_NEXT}] = young;
    i32[yw${G_PREV}] = g;
    i32[gw${G_PREV}] = (prevWord & ${FLAGS}) | ${ONE_REF};
    return 1;
  }
  if (prevWord >>> ${PREV_SHIFT} === 0) i32[gw${G_PREV}] = prevWord | ${ONE_REF};
  return 0;
}

/**
 * move_unreachable: walks \`young\` head to tail. An object with gc_refs > 0 is reachable: its
 * referents are marked reachable, its prev pointer is restored and COLLECTING cleared. An object
 * with gc_refs == 0 moves, for now, to the tail of \`unreachable\` (singly linked, next words
 * tagged UNREACHABLE); a later reachable object may bring it back. The next object is always
 * re-read from the cursor, because visits append to young. Slots are visited in traverse's order
 * (an instance's fields first to last, then its type; a list's or tuple's items last to first):
 * it decides the order in which objects move back.
 *
 * With \`survivors\` set (the collection's first pass, not the resurrection check) the scan also
 * does untrack_tuples: a reachable tuple whose items cannot be tracked is untracked as the cursor
 * passes it. The cursor passes survivors in their final list order, and an item's tracking can
 * only change when the cursor passes that item, so this is exactly CPython's separate pass over
 * the survivors afterwards. Returns the number of survivors left in \`young\`; \`h.gcDictSurvivors\`
 * counts the dicts among them, \`h.gcUnreachable\` the objects left in \`unreachable\`.
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
    const rid = i32[gw${G_TYPE}]! & ${TYPE_ID_MASK};
    if (
      rid >= ${FIRST_USER_TYPE} &&
      rid !== cid &&
      (i32[(i32[gw${G_NEXT}]! >> 2)${G_TYPE}]! & ${TYPE_ID_MASK}) === rid
    ) {
      // A run of a slotted class: its own compiled step (specialize.ts), the scan's state handed over.
      const runs = classRunsOf(h, rid);
      if (runs !== null) {
        const scan = h.gcMoveScan;
        scan[${MoveScan.Prev}] = prev;
        scan[${MoveScan.Kept}] = kept;
        scan[${MoveScan.Moved}] = moved;
        scan[${MoveScan.Back}] = back;
        scan[${MoveScan.VisitedType}] = visitedType;
        g = runs.move(h, g, young, unreachable, scan);
        prev = scan[${MoveScan.Prev}]!;
        kept = scan[${MoveScan.Kept}]!;
        moved = scan[${MoveScan.Moved}]!;
        back = scan[${MoveScan.Back}]!;
        visitedType = scan[${MoveScan.VisitedType}]!;
        continue;
      }
    }
    const prevWord = i32[gw${G_PREV}]!;
    if (prevWord >>> ${PREV_SHIFT} !== 0) {
      const o = g + ${GC_HEAD_SIZE};
      const id = rid;
      // cid is only ever an instance's class.
    const kind = id === cid ? ${Kind.Instance} : typeKind[id];
      if (kind === ${Kind.Instance} && id !== cid) {
        cid = id;
        slotted = h.typeFieldsReordered[id] === 0;
        fieldsOffset = h.typeFieldsOffset[id]!;
        fieldCount = h.typeFieldCount[id]!;
        hasItems = h.typeHasItems[id] === 1;
        attrsOffset = h.typeAttrsOffset[id]!;
        t = h.typeObject[id]!;
      }
      if (kind === ${Kind.Instance} && slotted) {
        // The fields, then a user kind's items, which follow them (a subclass whose fields are
        // visited level by level takes the general path below).
        ${reachSlots("(o + fieldsOffset) >> 2", `(hasItems ? fieldCount + i32[(o + ${ITEMS_COUNT}) >> 2]! : fieldCount)`)}
        // A dynamic instance's attributes: the values array's slots in order, or the dict.
        const a = attrsOffset < 0 ? 0 : i32[(o + attrsOffset) >> 2]!;
        if ((a & ${ATTRS_DICT_BIT}) !== 0) {
          back += visitReachable(h, i32, a, young);
        } else if (a !== 0) {
          ${reachSlots(valuesSlot0("a"), "(i32[a >> 2]! & 255)")}
        }
        // The type object. The first visit leaves it reachable ahead of the cursor (gc_refs >= 1,
        // moved back if it was on the unreachable list) or finds it outside the set or already
        // scanned (COLLECTING clear, which stays clear for the rest of the scan); either way every
        // later visit in this scan does nothing, so only the first is made.
        if (t !== visitedType) {
          visitedType = t;
          if ((i32[(t >> 2)${O_PREV}]! & ${COL}) !== 0) back += visitReachable(h, i32, t, young);
        }
      } else if ((kind === ${Kind.List} || kind === ${Kind.Tuple}) && id < ${FIRST_USER_TYPE}) {
        const s0 = (kind === ${Kind.List} ? i32[(o + ${LIST_ITEMS}) >> 2]! : o + ${TUPLE_ITEMS}) >> 2;
        const n = i32[(o + (kind === ${Kind.List} ? ${LIST_SIZE} : ${TUPLE_SIZE})) >> 2]!;
        for (let s = s0 + ${SW} * (n - 1); s >= s0; s -= ${SW}) {
          const r = i32[s]!;
          if (r !== 0 && i32[s${S_TAG}] === ${REF_TAG}) back += visitReachable(h, i32, r, young);
        }
      } else {
        const n = traverse(h, o);
        const edges = h.edges;
        for (let i = 0; i < n; i++) back += visitReachable(h, i32, edges[i]!, young);
      }
      if (survivors && kind === ${Kind.Tuple} && tupleCanUntrack(h, o)) {
        // Unlink it (prev words in young hold gc_refs; only next links matter until the end).
        i32[(prev >> 2)${G_NEXT}] = i32[gw${G_NEXT}]!;
        i32[gw${G_NEXT}] = 0;
        i32[gw${G_PREV}] = i32[gw${G_PREV}]! & ${FIN};
      } else {
        i32[gw${G_PREV}] = (i32[gw${G_PREV}]! & ${FIN}) | prev;
        prev = g;
        kept++;
        if (id === ${Kind.Dict}) dicts++; // exact dicts only (untrack_dicts: PyDict_CheckExact)
      }
    } else {
      i32[(prev >> 2)${G_NEXT}] = i32[gw${G_NEXT}]!;
      const last = i32[uw${G_PREV}]!;
      i32[(last >> 2)${G_NEXT}] = ${NEXT_MASK_UNREACHABLE} | g;
      i32[gw${G_PREV}] = (prevWord & ${FLAGS}) | last;
      i32[gw${G_NEXT}] = ${NEXT_MASK_UNREACHABLE} | unreachable;
      i32[uw${G_PREV}] = g;
      moved++;
    }
    g = i32[(prev >> 2)${G_NEXT}]!;
  }
  i32[(young >> 2)${G_PREV}] = prev;
  i32[uw${G_NEXT}] = i32[uw${G_NEXT}]! & ${~NEXT_MASK_UNREACHABLE};
  h.gcDictSurvivors = dicts;
  h.gcUnreachable = moved - back;
  return kept;
}
`;

export const legacyFinalizers = `
/**
 * move_legacy_finalizers: makes \`unreachable\` an ordinary list again (clears the UNREACHABLE
 * tags) and moves every object with a legacy finalizer to \`finalizers\`, COLLECTING cleared.
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
    const next = i32[gw${G_NEXT}]! & ${~NEXT_MASK_UNREACHABLE};
    i32[gw${G_NEXT}] = next;
    const id = i32[gw${G_TYPE}]! & ${TYPE_ID_MASK};
    if (id !== cid) {
      cid = id;
      wl = h.typeWeaklistOffset[id]!;
      const kind = h.typeKind[id];
      weak = kind === ${Kind.Weakref} || kind === ${Kind.WeakProxy};
      finalizer = h.typeHasFinalizer[id] === 1;
      legacy = h.typeHasLegacyFinalizer[id] === 1;
    }
    if (weak || (wl >= 0 && i32[(g + ${GC_HEAD_SIZE} + wl) >> 2] !== 0)) found |= ${MAY_HAVE_WEAKREFS};
    if (finalizer && (i32[gw${G_PREV}]! & ${FIN}) === 0) found |= ${MAY_FINALIZE};
    if (legacy) {
      i32[gw${G_PREV}] = i32[gw${G_PREV}]! & ${~COL};
      gcListMove(h, g, finalizers);
    }
    g = next;
  }
  return found;
}
`;
