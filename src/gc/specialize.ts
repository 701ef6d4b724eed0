/**
 * Per-class steps of the collector's passes, compiled at run time (docs/decisions.md §34): for a
 * slotted class (its fields visited in layout order, no items, no attributes), subtract_refs',
 * move_unreachable's and delete_garbage's step over a run of its instances, with the class's
 * field slots and type object written into the code as literals. The generated passes in
 * deduce.ts and deleteGarbage (destroy.ts) hand such a run to its class's function; every other
 * object they handle themselves, as before.
 *
 * What each function does is exactly what the generic loop does for each instance of the run, in
 * the same order (deduce.ts's comments say why each shortcut there is exact; they apply here
 * unchanged). test/gc/passes.test.ts checks the passes, runs included, against passes written
 * plainly over `traverse`; test/gc/class-steps.test.ts whole collections against the generic loops.
 */
import {
  describe,
  GC_HEAD_SIZE,
  GC_NEXT,
  GC_PREV,
  Kind,
  NEXT_MASK_UNREACHABLE,
  OB_REFCNT,
  OB_TYPE,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  REF_TAG,
  SLOT_SIZE,
  SLOT_TAG,
  TYPE_ID_MASK,
  typeInfo,
} from "../object/index.js";
import { decrefWordsSource, releaseFieldSource } from "../refcount/index.js";
import { compileOrNull, wordAt } from "../util/index.js";
import {
  type ClassRuns,
  type DeleteRun,
  GcDebug,
  type GcState,
  type MoveRun,
  type SubtractRun,
} from "./heap.js";
import { gcClearCollecting, gcListMove } from "./lists.js";

/** move_unreachable's state, kept in an Int32Array while a class's run function has the cursor. */
export const MoveScan = {
  /** The last object left in young (the cursor's predecessor). */
  Prev: 0,
  Kept: 1,
  Moved: 2,
  Back: 3,
  /** The last type object visited: only an instance's first visit of its type can do anything. */
  VisitedType: 4,
} as const;

const COL = PREV_MASK_COLLECTING;
const FIN = PREV_MASK_FINALIZED;
const ONE_REF = 1 << PREV_SHIFT;
/** Word offsets from a GC head's word index. */
const G_PREV = GC_PREV - GC_NEXT;
const G_REFCNT = GC_HEAD_SIZE + OB_REFCNT;
const G_TYPE = GC_HEAD_SIZE + OB_TYPE;

/**
 * visit_decref of the object whose prev word is at word index `rw` and holds `rp`, `k` times.
 * Fused (update_refs and subtract_refs in one walk, a full collection): a tracked object without
 * COLLECTING has not been counted yet, and is counted first (gc_refs := refcount − k).
 * `nonNull` follows each typed-array read (`!` in TypeScript, nothing in JavaScript); shared with
 * scripts/hot-collector.ts, which writes the generic passes.
 */
export function visitDecrefSource(
  fused: boolean,
  rw: string,
  rp: string,
  k: string,
  nonNull: "!" | "",
): string {
  const minus = k === "1" ? `${ONE_REF}` : `${k} * ${ONE_REF}`;
  return fused
    ? `if ((${rp} & ${COL}) !== 0) i32[${rw}] = ${rp} - ${minus};
        else if (i32[${wordAt(rw, GC_NEXT - GC_PREV)}] !== 0)
          i32[${rw}] = (${rp} & ${FIN}) | ${COL} | ((i32[${wordAt(rw, OB_REFCNT - GC_PREV)}]${nonNull} - ${k}) << ${PREV_SHIFT});`
    : `if ((${rp} & ${COL}) !== 0) i32[${rw}] = ${rp} - ${minus};`;
}

function subtractSource(
  id: number,
  fieldsOffset: number,
  fieldCount: number,
  typeObject: number,
  fused: boolean,
): string {
  const fields: string[] = [];
  for (let i = 0; i < fieldCount; i++) {
    const s = wordAt("ow", fieldsOffset + SLOT_SIZE * i);
    fields.push(`    if (i32[${wordAt("ow", fieldsOffset + SLOT_SIZE * i + SLOT_TAG)}] === ${REF_TAG}) {
      const r = i32[${s}];
      if (r !== 0 && typeIsGc[i32[${wordAt("(r >> 2)", OB_TYPE)}] & ${TYPE_ID_MASK}] !== 0) {
        const rw = ${wordAt("(r >> 2)", GC_PREV)};
        const rp = i32[rw];
        ${visitDecrefSource(fused, "rw", "rp", "1", "")}
      }
    }`);
  }
  const tw = (typeObject + GC_PREV) >> 2;
  const count = fused
    ? `    const gp = i32[${wordAt("gw", G_PREV)}];
    if ((gp & ${COL}) === 0) i32[${wordAt("gw", G_PREV)}] = (gp & ${FIN}) | ${COL} | (i32[${wordAt("gw", G_REFCNT)}] << ${PREV_SHIFT});`
    : "";
  return `"use strict";
return function ${fused ? "updateSubtract" : "subtract"}_${id}(h, g, head) {
  const i32 = h.i32;
  const typeIsGc = h.typeIsGc;
  let k = 0;
  do {
    const gw = g >> 2;
${count}
    const ow = ${wordAt("gw", GC_HEAD_SIZE)};
${fields.join("\n")}
    k++;
    g = i32[gw];
  } while (g !== head && (i32[${wordAt("(g >> 2)", G_TYPE)}] & ${TYPE_ID_MASK}) === ${id});
  // The run's references to its class, at once.
  const tp = i32[${tw}];
  ${visitDecrefSource(fused, String(tw), "tp", "k", "")}
  return g;
};`;
}

function moveSource(id: number, fieldsOffset: number, fieldCount: number, typeObject: number): string {
  const fields: string[] = [];
  for (let i = 0; i < fieldCount; i++) {
    const p = fieldsOffset + SLOT_SIZE * i;
    fields.push(`      {
        const r = i32[${wordAt("ow", p)}];
        if (r !== 0 && i32[${wordAt("ow", p + SLOT_TAG)}] === ${REF_TAG}) back += visit(h, i32, r, young);
      }`);
  }
  const tw = (typeObject + GC_PREV) >> 2;
  return `"use strict";
return function moveUnreachable_${id}(h, g, young, unreachable, scan) {
  const i32 = h.i32;
  const uw = unreachable >> 2;
  let prev = scan[${MoveScan.Prev}];
  let kept = scan[${MoveScan.Kept}];
  let moved = scan[${MoveScan.Moved}];
  let back = scan[${MoveScan.Back}];
  do {
    const gw = g >> 2;
    const prevWord = i32[${wordAt("gw", G_PREV)}];
    if (prevWord >>> ${PREV_SHIFT} !== 0) {
      const ow = ${wordAt("gw", GC_HEAD_SIZE)};
${fields.join("\n")}
      // The type object: only an instance's first visit of its type in a scan can do anything.
      if (scan[${MoveScan.VisitedType}] !== ${typeObject}) {
        scan[${MoveScan.VisitedType}] = ${typeObject};
        if ((i32[${tw}] & ${COL}) !== 0) back += visit(h, i32, ${typeObject}, young);
      }
      i32[${wordAt("gw", G_PREV)}] = (i32[${wordAt("gw", G_PREV)}] & ${FIN}) | prev;
      prev = g;
      kept++;
    } else {
      // Tentatively unreachable: to the tail of unreachable, its next word tagged UNREACHABLE.
      i32[prev >> 2] = i32[gw];
      const last = i32[${wordAt("uw", G_PREV)}];
      i32[last >> 2] = ${NEXT_MASK_UNREACHABLE} | g;
      i32[${wordAt("gw", G_PREV)}] = (prevWord & ${COL | FIN}) | last;
      i32[gw] = ${NEXT_MASK_UNREACHABLE} | unreachable;
      i32[${wordAt("uw", G_PREV)}] = g;
      moved++;
    }
    g = i32[prev >> 2];
  } while (g !== young && (i32[${wordAt("(g >> 2)", G_TYPE)}] & ${TYPE_ID_MASK}) === ${id});
  scan[${MoveScan.Prev}] = prev;
  scan[${MoveScan.Kept}] = kept;
  scan[${MoveScan.Moved}] = moved;
  scan[${MoveScan.Back}] = back;
  return g;
};`;
}

/**
 * delete_garbage over the run of the class's instances at the head of `collectable`: for each, as
 * deleteGarbage (destroy.ts) does, an extra reference while it is cleared, clearInstance's steps
 * (each field in layout order set NULL, then released), the extra reference released, and, if it
 * is still alive and still at the head, its move to `old` with COLLECTING cleared. The run ends
 * where the head is another class's object, the list is empty, or DEBUG_SAVEALL is set (a
 * finalizer may set it), and deleteGarbage goes on. A release can run user code (finalizers,
 * weakref callbacks) that grows the heap, so the view is read again after each; a clear that
 * throws is reported as deleteGarbage reports it.
 */
function deleteSource(id: number, fieldsOffset: number, fieldCount: number): string {
  const fields: string[] = [];
  for (let i = 0; i < fieldCount; i++) fields.push(releaseFieldSource(fieldsOffset + SLOT_SIZE * i));
  return `"use strict";
return function deleteRun_${id}(h, collectable, old) {
  const cw = collectable >> 2;
  for (;;) {
    let i32 = h.i32;
    const g = i32[cw];
    if (g === collectable) return;
    const gw = g >> 2;
    if ((i32[${wordAt("gw", G_TYPE)}] & ${TYPE_ID_MASK}) !== ${id} || (h.gcDebug & ${GcDebug.SAVEALL}) !== 0) return;
    const o = g + ${GC_HEAD_SIZE};
    const ow = ${wordAt("gw", GC_HEAD_SIZE)};
    i32[${wordAt("ow", OB_REFCNT)}] = i32[${wordAt("ow", OB_REFCNT)}] + 1;
    try {
${fields.join("\n")}
    } catch (error) {
      clearFailed(h, error, o);
    }
    i32 = h.i32;
    {
      const v = o;
      ${decrefWordsSource("")}
    }
    if (h.i32[cw] === g) survivedClear(h, g, old);
  }
};`;
}

/**
 * delete_garbage's step for an object still alive after its clear (something outside the garbage
 * holds it now): COLLECTING cleared, moved to `old`. Shared by deleteGarbage and the classes' steps.
 */
export function survivedClear(h: GcState, g: number, old: number): void {
  gcClearCollecting(h, g);
  gcListMove(h, g, old);
}

/** A clear that threw: reported to the unraisable hook, as CPython's delete_garbage reports it. */
export function clearFailed(h: GcState, error: unknown, o: number): void {
  h.unraisableHook(error, `<clear of ${describe(h, o)}>`);
}

/** visit_reachable (deduce.ts), which the move step calls for each referent. */
type VisitReachable = (h: GcState, i32: Int32Array, op: number, young: number) => number;

/**
 * Class `id`'s run functions, compiled; null when the generic loops must handle its instances (not
 * a slotted class, a heap without the generated fast paths — checked heaps, and the tests' reference
 * heaps —, or code cannot be compiled here). Made once per class, at its first run.
 */
export function classRuns(
  h: GcState,
  id: number,
  visit: VisitReachable,
  dealloc: (h: GcState, o: number) => void,
): ClassRuns | null {
  if (
    !h.fastPaths ||
    h.typeKind[id] !== Kind.Instance ||
    h.typeHasItems[id] === 1 ||
    h.typeFieldsReordered[id] === 1 ||
    h.typeAttrsOffset[id]! >= 0 ||
    h.typeObject[id] === 0
  ) {
    return null;
  }
  const info = typeInfo(h, id);
  const t = h.typeObject[id]!;
  const sub = compileOrNull([], subtractSource(id, info.fieldsOffset, info.fields.length, t, false));
  const fused = compileOrNull([], subtractSource(id, info.fieldsOffset, info.fields.length, t, true));
  const move = compileOrNull(["visit"], moveSource(id, info.fieldsOffset, info.fields.length, t));
  const del = compileOrNull(
    ["dealloc", "clearFailed", "survivedClear"],
    deleteSource(id, info.fieldsOffset, info.fields.length),
  );
  if (sub === null || fused === null || move === null || del === null) return null;
  return {
    subtract: sub() as SubtractRun,
    fused: fused() as SubtractRun,
    move: move(visit) as MoveRun,
    deleteRun: del(dealloc, clearFailed, survivedClear) as DeleteRun,
  };
}
