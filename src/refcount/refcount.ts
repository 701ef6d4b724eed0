/**
 * Reference counting: incref and decref, and deallocation — what happens when a refcount reaches zero, kind by kind, in CPython 3.11's order.
 * Read `dealloc` first.
 *
 * Child release orders (observable through finalizer order):
 *   | kind     | order                                                              |
 *   |----------|--------------------------------------------------------------------|
 *   | list     | items last to first                                                |
 *   | tuple    | items last to first                                                |
 *   | dict     | entries in insertion order; key, then value (a split dict's entries |
 *   |          | in shared-key order, as CPython frees a values array)               |
 *   | instance | finalizer first; then its weakrefs die and their callbacks run;    |
 *   |          | fields in layout (alphabetical) order; then the attributes: the     |
 *   |          | values array in slot (shared-key) order, or the reference to the    |
 *   |          | materialised dict (which then releases its entries); then          |
 *   |          | the reference to the type                                           |
 *   | KeyedRef | the key (then the weakref leaves its referent's list)               |
 *
 * The trashcan (CPython's Py_TRASHCAN_BEGIN/END): container deallocators count their nesting;
 * at depth 50 an object is not torn down but pushed on `trashLater` (linked through its gc_prev
 * word, keeping the FINALIZED bit). When the outermost deallocator finishes it pops and
 * destroys the deferred objects one by one (LIFO), each with a fresh budget. So freeing a
 * 10-million-long chain uses a bounded JS stack, and the order of finalizers matches CPython's.
 */
import { free, freeSmall, read32, write32 } from "../memory/index.js";
import {
  ATTRS_DICT_BIT,
  checkDecref,
  checkObject,
  clearWeakref,
  clearWeakrefList,
  DICT_KEYS_KIND,
  DICT_KEYS_KIND_MASK,
  DICT_KEYS_SPLIT,
  DICT_TABLE,
  declineAllocator,
  describe,
  E_KEY,
  E_VALUE,
  EMPTY_TUPLE,
  entryIsLive,
  FIRST_USER_TYPE,
  FieldKind,
  type Finalizer,
  FREELIST_DICT,
  FREELIST_LIST,
  FREELIST_TUPLE_BASE,
  FREELIST_TUPLE_MAX_SIZE,
  freeObject,
  GC_HEAD_SIZE,
  gcTrack,
  gcUnlink,
  gcUnlinkPooled,
  gcUntrack,
  ITEMS_COUNT,
  increfRaw,
  isFinalized,
  isStaticObject,
  KEYED_REF_TYPE,
  Kind,
  listItems,
  listSize,
  PREV_MASK,
  REF_TAG,
  refcnt,
  SHARED_KEYS_MAX_SIZE,
  SLOT_SIZE,
  SLOT_TAG,
  setFinalized,
  setRefcnt,
  setSlotNull,
  setSlotNumber,
  slotNumber,
  splitTableOrdered,
  splitTableSorted,
  TYPE_OBJECT_BASE,
  TYPE_OBJECT_BASES,
  TYPE_OBJECT_DICT,
  TYPE_OBJECT_MRO,
  tableEntry,
  tableNEntries,
  takeWeakrefCallback,
  tupleSize,
  tupleSlot,
  typeIdOf,
  typeInfo,
  typeObjectClass,
  valuesCapacity,
  valuesSlot,
  WEAK_METHOD_TYPE,
  WM_FUNC_REF,
  WM_WEAKLIST,
  WR_KEY,
  weaklistHead,
} from "../object/index.js";
import { assert, DEBUG, ErrorCode, HeapAccessError } from "../util/index.js";
import type { RefcountHeap } from "./heap.js";
import { TRASH_UNWIND_LEVEL } from "./heap.js";
import { type InstanceDeallocator, instanceDeallocator } from "./specialize.js";

/** Takes a new reference to `o`. */
export function incref(h: RefcountHeap, o: number): void {
  if (h.checked) checkIncref(h, o);
  increfRaw(h, o);
}

/**
 * Checked heaps: `o` must be a live object with references. One whose count is 0 is being
 * deallocated (or waits in the trashcan): a new reference to it would outlive it, and its release
 * would free it a second time.
 */
function checkIncref(h: RefcountHeap, o: number): void {
  checkObject(h, o, "incref");
  if (refcnt(h, o) <= 0) {
    throw new HeapAccessError(
      ErrorCode.UseAfterFree,
      `incref of ${describe(h, o)}, whose reference count is ${refcnt(h, o)}: it is being deallocated. ` +
        "Take references only to objects you hold one to (a weakref to a dying object reads as dead).",
    );
  }
}

/** Releases a reference to `o`; deallocates it when that was the last one. */
export function decref(h: RefcountHeap, o: number): void {
  if (h.checked) checkDecrefDuringFinalizer(h, o);
  const rc = refcnt(h, o) - 1;
  setRefcnt(h, o, rc);
  if (rc === 0) dealloc(h, o);
}

function checkDecrefDuringFinalizer(h: RefcountHeap, o: number): void {
  checkDecref(h, o);
  if (refcnt(h, o) === 1 && h.finalizing.includes(o)) {
    throw new HeapAccessError(
      ErrorCode.RefcountUnderflow,
      `decref of ${describe(h, o)} inside its own finalizer would release the reference the ` +
        "deallocator lends the finalizer: more references were released than were held.",
    );
  }
}

/** The true reference count of `o`. */
export function getrefcount(h: RefcountHeap, o: number): number {
  if (h.checked) checkObject(h, o, "getrefcount");
  return refcnt(h, o);
}

/**
 * Deallocates `o`, whose refcount just reached zero.
 *
 * Instances (CPython's subtype_dealloc) are handled inline here, on purpose: this function is
 * then too large for V8 to inline into decref's callers. Inlining it everywhere spent V8's
 * per-function inlining budget on code that rarely runs in that caller and left the hot small
 * helpers as calls; W1's build phase was twice as slow (measured with src/bench/w1.ts).
 */
export function dealloc(h: RefcountHeap, o: number): void {
  const id = typeIdOf(h, o);
  const kind = h.typeKind[id];
  if (kind === Kind.Instance) {
    if (h.typeFastDealloc[id] === 1 && (h.typeDealloc[id] ?? specializeDealloc(h, id))(h, o)) return;
    if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
    if (!trashBegin(h, o)) return;
    if (h.typeHasFinalizer[id] === 1) {
      // The finalizer may run any code, including a collection: the object must look alive.
      gcTrack(h, o);
      const finalize = isFinalized(h, o) ? null : typeInfo(h, id).finalize;
      const resurrected = callFromDealloc(h, o, finalize, "finalizer");
      setFinalized(h, o);
      if (resurrected) {
        trashEnd(h);
        return; // resurrected: it stays alive and tracked
      }
      gcUntrack(h, o);
    }
    // Weakrefs die after the finalizer (which still sees them alive), their callbacks run now.
    const weaklist = h.typeWeaklistOffset[id]!;
    if (weaklist >= 0 && read32(h, o + weaklist) !== 0) h.clearWeakrefs(o);
    if (h.typeHasLegacyFinalizer[id] === 1) {
      gcTrack(h, o);
      if (callFromDealloc(h, o, typeInfo(h, id).legacyFinalize, "legacy finalizer")) {
        trashEnd(h);
        return;
      }
      gcUntrack(h, o);
      // Weakrefs the legacy finalizer made are cleared without callbacks: they might rely on
      // parts of the object that are already gone (subtype_dealloc).
      if (weaklist >= 0) clearWeakrefList(h, o);
    }
    if (h.typeHasHostFields[id] === 1) releaseHostFields(h, o, id);
    clearInstance(h, o, id);
    freeUntracked(h, o);
    // Release the instance's reference to its type. The type table holds another, so this
    // deallocates the type object only if references to it were over-released (deallocType then
    // frees it and forgets it, without an error).
    const t = h.typeObject[id]!;
    const rc = refcnt(h, t) - 1;
    setRefcnt(h, t, rc);
    if (rc === 0) dealloc(h, t);
    trashEnd(h);
    return;
  }
  switch (kind) {
    case Kind.List:
      deallocList(h, o);
      return;
    case Kind.Tuple:
      deallocTuple(h, o);
      return;
    case Kind.Dict:
      deallocDict(h, o);
      return;
    case Kind.Str:
      freeObject(h, o);
      return;
    case Kind.Type:
      deallocType(h, o);
      return;
    case Kind.Weakref:
    case Kind.WeakProxy:
      if (id === Kind.Weakref && h.fastPaths && deallocWeakrefFast(h, o)) return;
      deallocWeakref(h, o);
      return;
    default:
      deallocStatic(h, o);
  }
}

// #region generated: deallocHelpers (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * gcUntrack over the words, for the weakref fast path (through the accessors it cost the path V8's
 * inlining budget); the same steps as the classes' deallocators (src/refcount/specialize.ts).
 */
function untrackWords(i32: Int32Array, gw: number): void {
  const next = i32[gw]!;
  const pv = i32[gw + 1]!;
  const prev = pv & -4;
  i32[prev >> 2] = next;
  const nw = next >> 2;
  i32[nw + 1] = (i32[nw + 1]! & 3) | prev;
  i32[gw] = 0;
  i32[gw + 1] = pv & 1;
}

/** The trace event free sends for the block. */
function traceFree(h: RefcountHeap, g: number): void {
  h.trace!({ kind: "free", addr: g, size: 0 });
}
// #endregion generated: deallocHelpers

/**
 * Py_TRASHCAN_BEGIN: enter one more level and return true, or, at the depth limit, defer `o`
 * (already untracked, refcount 0) to the end of the outermost deallocation and return false.
 */
function trashBegin(h: RefcountHeap, o: number): boolean {
  if (h.trashNesting < TRASH_UNWIND_LEVEL) {
    h.trashNesting++;
    return true;
  }
  const g = o - GC_HEAD_SIZE;
  write32(h, g + 4, (read32(h, g + 4) & ~PREV_MASK) | h.trashLater);
  h.trashLater = o;
  return false;
}

/** Py_TRASHCAN_END: leave one level; at the outermost level destroy what was deferred. */
function trashEnd(h: RefcountHeap): void {
  h.trashNesting--;
  if (h.trashLater !== 0 && h.trashNesting <= 0) destroyChain(h);
}

function destroyChain(h: RefcountHeap): void {
  h.trashNesting++;
  while (h.trashLater !== 0) {
    const o = h.trashLater;
    h.trashLater = read32(h, o - GC_HEAD_SIZE + 4) & PREV_MASK;
    dealloc(h, o);
  }
  h.trashNesting--;
}

/** Releases the reference a slot holds, after setting the slot to NULL (Py_CLEAR). */
export function clearSlot(h: RefcountHeap, p: number): void {
  if (read32(h, p + 4) !== REF_TAG) return;
  const v = read32(h, p);
  if (v === 0) return;
  setSlotNull(h, p);
  decrefFast(h, v);
}

/**
 * Releases what an instance holds: each declared field in order (a subclass's own fields first,
 * then its base's: TypeInfo.visitOrder), set to NULL, then released,
 * then its attributes: the values array (detached, then released in slot order, as CPython
 * releases its values array) or the materialised dict (detached, then its reference
 * released: Py_DECREF in subtype_dealloc, Py_CLEAR in subtype_clear). Shared by dealloc and the
 * collector's clear (subtype_clear); the reference to the type is not touched.
 */
export function clearInstance(h: RefcountHeap, o: number, id: number): void {
  // A user kind's items follow its reference slots and are released after them.
  const nf = h.typeFieldCount[id]! + (h.typeHasItems[id] === 1 ? read32(h, o + ITEMS_COUNT) : 0);
  if (nf !== 0) {
    const first = o + h.typeFieldsOffset[id]!;
    if (h.typeFieldsReordered[id] === 1) {
      // A subclass's fields level by level, its own first (clear_slots up the chain).
      const order = typeInfo(h, id).visitOrder!;
      for (let k = 0; k < nf; k++) clearSlot(h, first + SLOT_SIZE * order[k]!);
    } else {
      for (let p = first; p < first + SLOT_SIZE * nf; p += SLOT_SIZE) clearSlot(h, p);
    }
  }
  const attrsOff = h.typeAttrsOffset[id]!;
  if (attrsOff >= 0) {
    const w = read32(h, o + attrsOff);
    if (w !== 0) {
      write32(h, o + attrsOff, 0);
      if ((w & ATTRS_DICT_BIT) !== 0) {
        decref(h, w);
      } else {
        if (h.checked) h.releasing.push(w);
        releaseValues(h, w);
        if (h.checked) h.releasing.pop();
      }
    }
  }
}

/** Releases a detached values array's values in slot order (CPython's values-array order), then frees it. */
function releaseValues(h: RefcountHeap, v: number): void {
  const n = valuesCapacity(h, v);
  for (let i = 0, p = valuesSlot(h, v, 0); i < n; i++, p += SLOT_SIZE) clearSlot(h, p);
  free(h, v);
}

/** releaseTable for a split dict's table: its live entries in shared-key order. */
function releaseSplitTable(h: RefcountHeap, t: number): void {
  if (splitTableOrdered(h, t)) {
    releaseTable(h, t);
    return;
  }
  // Out of order (instances stored their names in different orders): rare, so a fresh buffer
  // (the releases below may run finalizers that release other tables).
  const order = new Int32Array(SHARED_KEYS_MAX_SIZE);
  const n = splitTableSorted(h, t, order);
  for (let i = 0; i < n; i++) {
    clearSlot(h, order[i]! + E_KEY);
    clearSlot(h, order[i]! + E_VALUE);
  }
  free(h, t);
}

/** Releases every entry of a dict table, in insertion order (key, then value), and frees it. */
function releaseTable(h: RefcountHeap, t: number): void {
  for (let i = 0; i < tableNEntries(h, t); i++) {
    const e = tableEntry(h, t, i);
    if (!entryIsLive(h, e)) continue;
    clearSlot(h, e + E_KEY);
    clearSlot(h, e + E_VALUE);
  }
  free(h, t);
}

/**
 * decref where the heap releases a reference it held (a list's or tuple's items as it dies, a
 * slot being cleared, the collector's own reference in delete_garbage): an instance the generated
 * fast path can free skips dealloc's dispatch (measured: W1 0.9x with it for list items; freeing
 * 1M objects of garbage about 0.85x with it in clearSlot).
 */
export function decrefFast(h: RefcountHeap, v: number): void {
  if (h.checked) checkDecrefDuringFinalizer(h, v);
  const rc = refcnt(h, v) - 1;
  setRefcnt(h, v, rc);
  if (rc !== 0) return;
  freeDead(h, v);
}

/**
 * Frees `v`, whose count just reached 0: through its class's own generated deallocator, once
 * dealloc made it (undefined before, and for every other type), else dealloc.
 */
function freeDead(h: RefcountHeap, v: number): void {
  const f = h.typeDealloc[typeIdOf(h, v)];
  if (f === undefined || !f(h, v)) dealloc(h, v);
}

/**
 * Makes class `id`'s deallocator (specialize.ts) at the first deallocation of one of its
 * instances, keeping it in typeDealloc; where code cannot be compiled, one that always declines.
 */
function specializeDealloc(h: RefcountHeap, id: number): InstanceDeallocator {
  const f = instanceDeallocator(h, id, DEALLOCATOR_HELPERS) ?? declineDealloc;
  h.typeDealloc[id] = f;
  return f;
}

const declineDealloc: InstanceDeallocator = () => false;

/**
 * The generated deallocators' steps that run other code, called with `outer`, the trashcan's
 * level when the deallocation began (it enters its own level lazily; specialize.ts says why):
 * the level is raised to one above it, then `v`, whose count reached 0, is freed as decrefFast
 * frees it.
 */
function releaseNested(h: RefcountHeap, v: number, outer: number): void {
  h.trashNesting = outer + 1;
  freeDead(h, v);
}

/** The same for free's trace event (the trace sink is user code). */
function traceFreeNested(h: RefcountHeap, g: number, outer: number): void {
  h.trashNesting = outer + 1;
  traceFree(h, g);
}

/** The same for clearing `o`'s weakrefs and calling their callbacks. */
function clearWeakrefsNested(h: RefcountHeap, o: number, outer: number): void {
  h.trashNesting = outer + 1;
  h.clearWeakrefs(o);
}

/** What the classes' generated deallocators call. */
const DEALLOCATOR_HELPERS = {
  trashEnd,
  freeSmall,
  releaseNested,
  traceFreeNested,
  clearWeakrefsNested,
};

function deallocList(h: RefcountHeap, o: number): void {
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  if (!trashBegin(h, o)) return;
  const id = typeIdOf(h, o);
  if (id >= FIRST_USER_TYPE) deallocSubclassPart(h, o, id);
  // A dead list cannot be reached by user code, so its items pointer stays put while we release.
  const items = listItems(h, o);
  if (h.fastPaths) releaseItemsFast(h, items >> 2, listSize(h, o));
  else releaseItems(h, items, listSize(h, o));
  if (items !== 0) free(h, items);
  if (id >= FIRST_USER_TYPE) freeSubclassInstance(h, o, id);
  else freeUntrackedPooled(h, o, FREELIST_LIST);
  trashEnd(h);
}

/**
 * subtype_dealloc's own part for a user's subclass of ref, list or dict, before the built-in
 * type's dealloc runs: the weakrefs to it die (their callbacks run), then its fields and
 * attributes are released. (Only subtype_dealloc's trashcan counts: the built-in dealloc's
 * Py_TRASHCAN_BEGIN applies only when it is the object's own tp_dealloc.)
 */
function deallocSubclassPart(h: RefcountHeap, o: number, id: number): void {
  const weaklist = h.typeWeaklistOffset[id]!;
  if (weaklist >= 0 && read32(h, o + weaklist) !== 0) h.clearWeakrefs(o);
  clearInstance(h, o, id);
}

/** tp_free for a subclass's instance (never a freelist: those take exact lists and dicts), then Py_DECREF(type). */
function freeSubclassInstance(h: RefcountHeap, o: number, id: number): void {
  freeUntracked(h, o);
  decref(h, h.typeObject[id]!);
}

/**
 * Releases the `n` item slots from address `first` on, last to first (list_dealloc and
 * tupledealloc release their items in that order); releaseItemsFast is the same over the words.
 */
function releaseItems(h: RefcountHeap, first: number, n: number): void {
  for (let p = first + SLOT_SIZE * (n - 1); p >= first; p -= SLOT_SIZE) {
    if (read32(h, p + SLOT_TAG) === REF_TAG) {
      const v = read32(h, p);
      if (v !== 0) decrefFast(h, v);
    }
  }
}

function deallocTuple(h: RefcountHeap, o: number): void {
  if (o === EMPTY_TUPLE) {
    deallocStatic(h, o); // () is a static singleton, like None: never freed
    return;
  }
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  if (!trashBegin(h, o)) return;
  const n = tupleSize(h, o);
  if (h.fastPaths) releaseItemsFast(h, tupleSlot(o, 0) >> 2, n);
  else releaseItems(h, tupleSlot(o, 0), n);
  if (n <= FREELIST_TUPLE_MAX_SIZE) freeUntrackedPooled(h, o, FREELIST_TUPLE_BASE + n);
  else freeUntracked(h, o);
  trashEnd(h);
}

function deallocDict(h: RefcountHeap, o: number): void {
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  if (!trashBegin(h, o)) return;
  // A dict standing for a set (markDictAsSet) dies as a set does: sets have no freelist.
  const isSet = h.setDicts.size !== 0 && h.setDicts.delete(o);
  const id = typeIdOf(h, o);
  if (id >= FIRST_USER_TYPE) deallocSubclassPart(h, o, id);
  const t = read32(h, o + DICT_TABLE);
  if (t !== 0) {
    if ((read32(h, o + DICT_KEYS_KIND) & DICT_KEYS_KIND_MASK) === DICT_KEYS_SPLIT) releaseSplitTable(h, t);
    else releaseTable(h, t);
  }
  if (id >= FIRST_USER_TYPE) freeSubclassInstance(h, o, id);
  else if (isSet) freeUntracked(h, o);
  else freeUntrackedPooled(h, o, FREELIST_DICT);
  trashEnd(h);
}

/** Hands every host value the instance holds back to its owner (in field order), emptying the slots. */
function releaseHostFields(h: RefcountHeap, o: number, id: number): void {
  const fields = typeInfo(h, id).fields;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i]!.kind !== FieldKind.Host) continue;
    const p = o + h.typeFieldsOffset[id]! + SLOT_SIZE * i;
    if (slotNumber(h, p) === 0) continue;
    const release = h.hostRelease;
    if (release === null) continue;
    try {
      release(o, p);
    } catch (error) {
      h.unraisableHook(error, `<host value release of ${describe(h, o)}>`);
    }
    setSlotNumber(h, p, 0);
  }
}

/** Frees a GC object known to be untracked (PyObject_GC_Del without the unlink). */
function freeUntracked(h: RefcountHeap, o: number): void {
  if (DEBUG) assert(read32(h, o - GC_HEAD_SIZE) === 0, "an object is untracked before its memory is freed");
  gcUnlink(h);
  free(h, o - GC_HEAD_SIZE);
}

/**
 * freeUntracked for a kind CPython recycles through freelist `slot`. The memory is freed either
 * way; only generation 0's count differs (see object/alloc.ts).
 */
function freeUntrackedPooled(h: RefcountHeap, o: number, slot: number): void {
  if (DEBUG) assert(read32(h, o - GC_HEAD_SIZE) === 0, "an object is untracked before its memory is freed");
  gcUnlinkPooled(h, slot);
  free(h, o - GC_HEAD_SIZE);
}

/**
 * PyObject_CallFinalizerFromDealloc: revive the object (refcount 1) while `finalizer` runs (null:
 * nothing to run), then report whether it stored a new reference to it (resurrection), in which
 * case deallocation stops. `__del__` passes null once FINALIZED is set (it runs at most once per
 * object); a legacy finalizer (tp_del) runs every time.
 */
function callFromDealloc(h: RefcountHeap, o: number, finalizer: Finalizer | null, what: string): boolean {
  setRefcnt(h, o, 1);
  if (finalizer !== null) {
    if (h.checked) h.finalizing.push(o);
    try {
      finalizer(o);
    } catch (error) {
      h.unraisableHook(error, `<${what} of ${describe(h, o)}>`);
    } finally {
      if (h.checked) h.finalizing.pop();
    }
  }
  const rc = refcnt(h, o) - 1;
  setRefcnt(h, o, rc);
  return rc > 0;
}

/** The words type_dealloc releases, in its order. */
const TYPE_RELEASE_ORDER = [TYPE_OBJECT_BASE, TYPE_OBJECT_DICT, TYPE_OBJECT_BASES, TYPE_OBJECT_MRO] as const;

/**
 * A class dies (type_dealloc): its weakrefs are cleared and their callbacks run (with the type at
 * refcount 0), its id stops making instances, then it releases its base, dict, bases and mro in
 * CPython's order.
 */
function deallocType(h: RefcountHeap, o: number): void {
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  if (!trashBegin(h, o)) return;
  const cls = typeObjectClass(h, o);
  if (h.classDeallocHook !== null) {
    try {
      h.classDeallocHook(cls, o);
    } catch (error) {
      h.unraisableHook(error, `<class dealloc hook of ${typeInfo(h, cls).name}>`);
    }
  }
  if (weaklistHead(h, o) !== 0) h.clearWeakrefs(o);
  if (h.typeObject[cls] === o) {
    h.typeObject[cls] = 0;
    // newInstance's fast path (on heaps that have one) declines; the general path says why.
    if (h.typeNew[cls] !== undefined) h.typeNew[cls] = declineAllocator;
  }
  for (const w of TYPE_RELEASE_ORDER) {
    const r = read32(h, o + w);
    if (r === 0) continue;
    write32(h, o + w, 0);
    decref(h, r);
  }
  // The names its instances' attributes shared stay (CPython frees them with ht_cached_keys): a
  // dict materialised from such an instance, if something still holds it, reads them.
  freeUntracked(h, o);
  trashEnd(h);
}

/**
 * A weakref dies (weakref_dealloc; for a KeyedRef, subtype_dealloc first releases the key; for a
 * WeakMethod, it first clears the weakrefs to the WeakMethod itself, then releases _func_ref; a
 * user's subclass likewise, with its fields and attributes, and then lets go of its type): it
 * leaves its referent's list, so its callback will never be called, and the callback is dropped.
 */
function deallocWeakref(h: RefcountHeap, o: number): void {
  if (read32(h, o - GC_HEAD_SIZE) !== 0) gcUntrack(h, o);
  const id = typeIdOf(h, o);
  const user = id >= FIRST_USER_TYPE;
  const subtype = user || id === KEYED_REF_TYPE || id === WEAK_METHOD_TYPE;
  if (subtype) {
    if (!trashBegin(h, o)) return;
    if (id === KEYED_REF_TYPE) clearSlot(h, o + WR_KEY);
    else if (user) deallocSubclassPart(h, o, id);
    else {
      if (read32(h, o + WM_WEAKLIST) !== 0) h.clearWeakrefs(o);
      clearSlot(h, o + WM_FUNC_REF);
    }
  }
  clearWeakref(h, o);
  dropWeakrefCallback(h, o);
  if (user) freeSubclassInstance(h, o, id);
  else freeUntracked(h, o);
  if (subtype) trashEnd(h);
}

// #region generated: releaseItemsFast (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * The item loop of deallocList and deallocTuple on unchecked heaps: releases the `n` slots from
 * word `first` on, last to first, as decrefFast does for each reference (decrefWordsSource: an
 * instance whose count reaches 0 goes to its class's generated deallocator, anything else to
 * dealloc), over the words.
 * A release can run user code (a finalizer, a weakref callback) that grows the heap, so the view
 * is read again for every item; the dead container's words do not move.
 */
function releaseItemsFast(h: RefcountHeap, first: number, n: number): void {
  for (let sw = first + 2 * (n - 1); sw >= first; sw -= 2) {
    const i32 = h.i32;
    if (i32[sw + 1] !== -65536) continue;
    const v = i32[sw]!;
    if (v === 0) continue;
    const vw = v >> 2;
    const rc = i32[vw]! - 1;
    i32[vw] = rc;
    if (rc === 0) {
      const f = h.typeDealloc[i32[vw + 1]! & 65535];
      if (f === undefined || !f(h, v)) dealloc(h, v);
    }
  }
}
// #endregion generated: releaseItemsFast

// #region generated: deallocWeakrefFast (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * deallocWeakref's fast path, for an exact weakref.ref (type id Kind.Weakref) on an unchecked heap
 * whose callback, if any, is a JS function: untrack it, clear it (off its referent's weak list),
 * drop its callback's entry in the heap's table, uncount it and free its block (free's trace
 * event, pymalloc's fast path; freeSmall for a pool that was full or becomes empty), in the general
 * path's order, flat over the heap's words. Returns false, having changed nothing, for a heap
 * object as callback (its release can run code: the general path does it).
 */
function deallocWeakrefFast(h: RefcountHeap, o: number): boolean {
  let i32 = h.i32;
  const ow = o >> 2;
  const cb = i32[ow + 3]!;
  if (cb < 0) return false;
  const g = o - 8;
  const gw = g >> 2;
  if (i32[gw] !== 0) untrackWords(i32, gw);
  const ref = i32[ow + 2]!;
  if (ref !== 0) {
    const prev = i32[ow + 4]!;
    const next = i32[ow + 5]!;
    if (prev !== 0) {
      i32[(prev >> 2) + 5] = next;
    } else {
      const wl = h.typeWeaklistOffset[i32[(ref >> 2) + 1]! & 0xffff]!;
      if (wl >= 0 && i32[(ref + wl) >> 2] === o) i32[(ref + wl) >> 2] = next;
    }
    if (next !== 0) i32[(next >> 2) + 4] = prev;
    i32[ow + 2] = 0;
    i32[ow + 4] = 0;
    i32[ow + 5] = 0;
  }
  if (cb !== 0) {
    h.weakrefCallbacks[cb] = undefined;
    h.weakrefCallbackFree.push(cb);
    i32[ow + 3] = 0;
  }
  const c0 = h.gcCount0;
  if (c0 > 0) h.gcCount0 = c0 - 1;
  if (h.trace !== null) {
    traceFree(h, g);
    i32 = h.i32;
  }
  const pw = (g & -16384) >> 2;
  const last = i32[pw + 1]!;
  const count = i32[pw]! - 1;
  if (last !== 0 && count !== 0) {
    i32[gw] = last;
    i32[pw + 1] = g;
    i32[pw] = count;
  } else {
    freeSmall(h, g);
  }
  return true;
}
// #endregion generated: deallocWeakrefFast

/** Py_CLEAR(wr_callback): the weakref forgets its callback; a heap callback's reference is released. */
export function dropWeakrefCallback(h: RefcountHeap, wr: number): void {
  const callback = takeWeakrefCallback(h, wr);
  if (typeof callback === "number") decref(h, callback);
}

/** None, True, False and () are never freed: reaching zero means references were over-released. */
function deallocStatic(h: RefcountHeap, o: number): void {
  setRefcnt(h, o, 1);
  const what = isStaticObject(o) ? describe(h, o) : `object at ${o}`;
  throw new HeapAccessError(
    ErrorCode.RefcountUnderflow,
    `the refcount of ${what} reached 0: more references to it were released than were taken. ` +
      `Take a reference (incref) for every one you release. Its count was reset to ${refcnt(h, o)}.`,
  );
}
