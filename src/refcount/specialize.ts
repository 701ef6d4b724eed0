/**
 * Per-class deallocation, generated for a class the first time the general path frees one of its
 * instances: dealloc's fast path for that class alone, with the class's field slots, attribute
 * and weakref-list words and type object written into the code as literals (object/specialize.ts
 * does the same for allocation; docs/decisions.md §34). Freeing a list of one class's instances
 * then runs a small flat function per item that V8 can inline into the list's loop.
 *
 * test/object/hot-paths.test.ts runs random programs on a heap served by these functions and on
 * one served by the general path, and requires the two heaps to be the same word for word.
 */
import { POOL_COUNT, POOL_FREEBLOCK, POOL_SIZE } from "../memory/index.js";
import {
  GC_HEAD_SIZE,
  GC_NEXT,
  GC_PREV,
  OB_REFCNT,
  OB_TYPE,
  PREV_MASK,
  PREV_MASK_FINALIZED,
  REF_TAG,
  SLOT_SIZE,
  SLOT_TAG,
  TYPE_ID_MASK,
  type TypeInfo,
  typeInfo,
} from "../object/index.js";
import { compileOrNull, wordAt } from "../util/index.js";
import { type RefcountHeap, TRASH_UNWIND_LEVEL } from "./heap.js";

/**
 * One class's dealloc fast path for its instance `o`, whose refcount just reached 0: true when it
 * freed it; false, having changed nothing, when the general path must (the trashcan is at its
 * depth limit, or the instance has attributes).
 */
export type InstanceDeallocator = (h: RefcountHeap, o: number) => boolean;

/** What the generated code calls. */
export interface DeallocatorHelpers {
  readonly trashEnd: (h: RefcountHeap) => void;
  readonly freeSmall: (h: RefcountHeap, bp: number) => void;
  /**
   * One level above `outer` (the trashcan's level when the deallocation began), frees `v`, whose
   * count reached 0 (decrefFast's step).
   */
  readonly releaseNested: (h: RefcountHeap, v: number, outer: number) => void;
  /** The same for free's trace event for the block at `bp`. */
  readonly traceFreeNested: (h: RefcountHeap, bp: number, outer: number) => void;
  /** The same for clearing `o`'s weakrefs and calling their callbacks. */
  readonly clearWeakrefsNested: (h: RefcountHeap, o: number, outer: number) => void;
}

/**
 * The end of a deallocation, shared by the generated dealloc paths (these and scripts/gen-hot.ts's
 * weakref path): generation 0's count (gcUnlink), free's trace event, and pymalloc's free of the
 * block at `g` (word `gw`): a push on its pool's free list, or freeSmall when the pool was full or
 * becomes empty. `nonNull` follows each typed-array read (`!` in TypeScript, nothing in JavaScript);
 * `traceCall` sends the trace event.
 */
export function uncountAndFreeSource(nonNull: "!" | "", traceCall = "traceFree(h, g)"): string {
  return `  const c0 = h.gcCount0;
  if (c0 > 0) h.gcCount0 = c0 - 1;
  if (h.trace !== null) {
    ${traceCall};
    i32 = h.i32;
  }
  const pw = (g & ${-POOL_SIZE}) >> 2;
  const last = i32[${wordAt("pw", POOL_FREEBLOCK)}]${nonNull};
  const count = i32[${wordAt("pw", POOL_COUNT)}]${nonNull} - 1;
  if (last !== 0 && count !== 0) {
    i32[gw] = last;
    i32[${wordAt("pw", POOL_FREEBLOCK)}] = g;
    i32[${wordAt("pw", POOL_COUNT)}] = count;
  } else {
    freeSmall(h, g);
  }`;
}

/**
 * decrefFast over the words, for a reference `v` (non-zero) the code has taken out of a slot:
 * count it down and, at 0, free it with its class's deallocator (from typeDealloc) or, when there
 * is none or it declines, dealloc. Shared by the classes' deallocators, the collector's compiled
 * clears (src/gc/specialize.ts) and scripts/gen-hot.ts's releaseItemsFast; the code around it must
 * read the view again afterwards (a deallocation can run user code that grows the heap). Only
 * unchecked heaps run it: checked heaps' decref checks the reference first. `free` frees `v` when
 * its count reaches 0 (by default as decrefFast does).
 */
export function decrefWordsSource(nonNull: "!" | "", free = freeSource(nonNull)): string {
  return `const vw = v >> 2;
    const rc = i32[${wordAt("vw", OB_REFCNT)}]${nonNull} - 1;
    i32[${wordAt("vw", OB_REFCNT)}] = rc;
    if (rc === 0) {
      ${free}
    }`;
}

/** decrefWordsSource's freeing of `v` (word `vw`), whose count reached 0. */
function freeSource(nonNull: "!" | ""): string {
  return `const f = h.typeDealloc[i32[${wordAt("vw", OB_TYPE)}]${nonNull} & ${TYPE_ID_MASK}];
      if (f === undefined || !f(h, v)) dealloc(h, v);`;
}

/**
 * clearInstance's step for the reference field at byte offset `p` of the instance at word index
 * `ow`, over the words: the slot set NULL, then its reference released (decrefWordsSource), then
 * the view read again. Shared by the classes' deallocators and the collector's delete_garbage
 * steps (src/gc/specialize.ts), which release an instance's fields in layout order. `free` as
 * for decrefWordsSource; `base` names the word index `p` is counted from.
 */
export function releaseFieldSource(p: number, free?: string, base = "ow"): string {
  return `  if (i32[${wordAt(base, p + SLOT_TAG)}] === ${REF_TAG}) {
    const v = i32[${wordAt(base, p)}];
    if (v !== 0) {
      i32[${wordAt(base, p)}] = 0;
      ${decrefWordsSource("", free)}
      i32 = h.i32;
    }
  }`;
}

/**
 * gcUntrack over the words of the GC head at word index `gw`, whose next word `next` (non-zero)
 * the code has read: shared by these deallocators and scripts/gen-hot.ts's `untrackWords`.
 */
export function untrackSource(nonNull: "!" | ""): string {
  const link = GC_PREV - GC_NEXT;
  return `  const pv = i32[${wordAt("gw", link)}]${nonNull};
  const prev = pv & ${PREV_MASK};
  i32[prev >> 2] = next;
  const nw = next >> 2;
  i32[${wordAt("nw", link)}] = (i32[${wordAt("nw", link)}]${nonNull} & ${~PREV_MASK}) | prev;
  i32[gw] = 0;
  i32[${wordAt("gw", link)}] = pv & ${PREV_MASK_FINALIZED};`;
}

/**
 * The source of class `info`'s deallocator, whose type object is at `typeObject`. The steps and
 * their order are the general path's for such a class (no finalizer, legacy finalizer, host field
 * or items; fields released in layout order): untrack, enter the trashcan, clear the weakrefs
 * and run their callbacks, release the fields, uncount and free the block (with free's trace
 * event), release the type, leave the trashcan. Weakref callbacks and field releases can run
 * user code that grows the heap, so the view is read again after each.
 *
 * The trashcan's level is entered lazily (docs/decisions.md §37). `h.trashNesting` is raised, to
 * one more than at the start (`nest`), only before a step that runs other code: the weakref
 * callbacks, the trace event, and a release that frees something; the level is left only if it
 * was raised. Nothing else reads the level, so this behaves as Py_TRASHCAN_BEGIN/END do: a
 * deallocation nested in any of those steps sees the same level, and leaving a level nothing used
 * could not have destroyed the deferred chain (at level 0 that chain is empty; at a deeper level
 * leaving does not destroy it). Most instances free nothing else and skip the level's two stores.
 *
 * The steps that run other code are calls (releaseNested, traceFreeNested, clearWeakrefsNested),
 * and two or more fields are released by a loop, to keep the function within V8's limit for
 * inlining it into a caller's loop (460 bytecodes): with Node 20, 330 for a class without fields,
 * 439 with one, 458 with more; a weakrefable class with fields is over it (478 with one).
 * bench/deallocator-size.mjs prints the sizes.
 */
export function deallocatorSource(info: TypeInfo, typeObject: number): string {
  const t = info.id;
  const head: string[] = [];
  const weaklist: string[] = [];
  if (info.attrsOffset >= 0) {
    // An instance with a values array or a dict: the general path clears it.
    head.push(`  if (i32[${wordAt("ow", info.attrsOffset)}] !== 0) return false;`);
  }
  if (info.weaklistOffset >= 0) {
    weaklist.push(
      `  if (i32[${wordAt("ow", info.weaklistOffset)}] !== 0) {`,
      "    clearWeakrefsNested(h, o, nest);",
      "    i32 = h.i32;",
      "  }",
    );
  }
  // clearInstance's step for each reference field in layout order, the freeing in releaseNested:
  // written out for one field, a loop over the slots for more (each field written out costs about
  // 105 bytecodes).
  const free = "releaseNested(h, v, nest);";
  const n = info.fields.length;
  const fields =
    n === 1
      ? releaseFieldSource(info.fieldsOffset, free)
      : n > 1
        ? `  for (let s = ${wordAt("ow", info.fieldsOffset)}, end = s + ${(SLOT_SIZE / 4) * n}; s < end; s += ${SLOT_SIZE / 4}) {
${releaseFieldSource(0, free, "s")}
  }`
        : "";
  const tw = typeObject >> 2;
  return `"use strict";
return function dealloc_${t}(h, o) {
  const nest = h.trashNesting;
  if (nest >= ${TRASH_UNWIND_LEVEL}) return false;
  let i32 = h.i32;
  const ow = o >> 2;
${head.join("\n")}
  const g = o - ${GC_HEAD_SIZE};
  const gw = g >> 2;
  const next = i32[gw];
  if (next !== 0) {
${untrackSource("")}
  }
${weaklist.join("\n")}
${fields}
${uncountAndFreeSource("", "traceFreeNested(h, g, nest)")}
  i32 = h.i32;
  const trc = i32[${wordAt(String(tw), OB_REFCNT)}] - 1;
  i32[${wordAt(String(tw), OB_REFCNT)}] = trc;
  if (trc === 0) releaseNested(h, ${typeObject}, nest);
  if (h.trashNesting !== nest) trashEnd(h);
  return true;
};`;
}

/**
 * Class `id`'s deallocator, compiled from deallocatorSource, or null when code cannot be compiled
 * here (then the general path frees its instances). Only for a class whose typeFastDealloc is 1.
 */
export function instanceDeallocator(
  h: RefcountHeap,
  id: number,
  helpers: DeallocatorHelpers,
): InstanceDeallocator | null {
  const info = typeInfo(h, id);
  const make = compileOrNull(
    ["trashEnd", "freeSmall", "releaseNested", "traceFreeNested", "clearWeakrefsNested"],
    deallocatorSource(info, h.typeObject[id]!),
  );
  if (make === null) return null;
  return make(
    helpers.trashEnd,
    helpers.freeSmall,
    helpers.releaseNested,
    helpers.traceFreeNested,
    helpers.clearWeakrefsNested,
  ) as InstanceDeallocator;
}
