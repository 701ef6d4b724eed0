/**
 * Weak reference objects (CPython's PyWeakReference) and the per-object weakref list: layout and
 * the list operations, none of which releases a reference. Creating weakrefs, and clearing them
 * when their referent dies (with the callbacks), is src/weakref/.
 *
 * A weakref is a GC object (tracked from creation, like CPython's):
 *
 *   -8 [gc_next] -4 [gc_prev]
 *   >wr +0 [refcnt] +4 [type: weakref.ReferenceType | weakref.ProxyType | KeyedRef]
 *       +8  [wr_object]    the referent, borrowed (not counted); 0 once cleared (Python's None)
 *       +12 [wr_callback]  0 = no callback; > 0: index of a JS callback in h.weakrefCallbacks;
 *                          < 0: minus the address of a heap object the weakref holds a reference
 *                          to (a callable: CPython's wr_callback, traversed and cleared)
 *       +16 [wr_prev]      previous weakref to the same referent; 0 at the head of the list
 *       +20 [wr_next]      next weakref to the same referent; 0 at the tail
 *       +24 [hash]         the referent's hash, cached on first use; -1 until then
 *       +28 (unused, 0)
 *       +32 [key]          a value slot, KeyedRef only (WeakValueDictionary's key)
 *
 * A WeakMethod (weakref.py's `class WeakMethod(ref)` with `__slots__ = "_func_ref", "_meth_type",
 * "_alive", "__weakref__"`; src/weakref/method.ts) has, after the ref's words:
 *
 *       +32 [_func_ref]    a value slot: a weakref to the method's function (owned)
 *       +40 [weaklist]     the head of its own weakref list
 *       +44 [_alive]       1 until the first of its two referents dies, then 0
 *
 * (`_meth_type` is always the method type, a static type here: not stored.)
 *
 * A user's subclass of ref (defineClass with `base: Kind.Weakref`, type id >= FIRST_USER_TYPE)
 * has the class's part after the ref's words, as an instance has it after the object header: the
 * attrs and weaklist words if dynamic or weakrefable, then its fields (typeAttrsOffset,
 * typeWeaklistOffset, typeFieldsOffset); src/weakref/create.ts initialises it.
 *
 * A weakrefable object (typeWeaklistOffset >= 0) keeps the head of its list in its weaklist
 * word; the list is doubly linked through wr_prev/wr_next.
 *
 *   | wr_object | wr_prev/next       | state                                              |
 *   |-----------|--------------------|----------------------------------------------------|
 *   | referent  | linked in its list | alive: calling it gives the referent               |
 *   | 0         | both 0             | cleared (dead): calling it gives None; the callback |
 *   |           |                    | index stays until it is called or the weakref dies |
 *
 * List order (CPython's get_basic_refs and insert_head/insert_after in Objects/weakrefobject.c):
 * the basic ref (an exact ref without callback)
 * first, then the basic proxy (a proxy without callback), then every other weakref newest first.
 */
import { read32, write32 } from "../memory/index.js";
import { allocGcObject, gcLink } from "./alloc.js";
import { GC_HEAD_SIZE, gcTrackNew, increfRaw, typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { FIRST_USER_TYPE, KEYED_REF_TYPE, Kind, WEAK_METHOD_TYPE, WEAKREF_SIZE } from "./kinds.js";
import { setSlotNull } from "./value.js";

export const WR_OBJECT = 8;
export const WR_CALLBACK = 12;
export const WR_PREV = 16;
export const WR_NEXT = 20;
export const WR_HASH = 24;
export const WR_KEY = 32;
export { WEAKREF_SIZE } from "./kinds.js";
export const KEYED_REF_SIZE = 40;
export const WM_FUNC_REF = 32;
export const WM_WEAKLIST = 40;
export const WM_ALIVE = 44;
export const WEAK_METHOD_SIZE = 48;

/** A weakref callback: called with the (now dead) weakref's address, as Python calls callback(wr). */
export type WeakrefCallback = (wr: number) => void;

/**
 * What a weakref may be given as its callback: a JS function, or the address of a heap object
 * (a number) to call through its kind's `call` hook, as CPython calls any callable. The weakref
 * holds a reference to a heap callback, visits it in traverse and drops it when cleared.
 */
export type WeakrefCallbackValue = WeakrefCallback | number;

/** True if `o` is a weakref or proxy (PyWeakref_Check). */
export function isWeakref(h: ObjectHeap, o: number): boolean {
  const kind = h.typeKind[typeIdOf(h, o)];
  return kind === Kind.Weakref || kind === Kind.WeakProxy;
}

/** The head of `o`'s weakref list, or 0 (also 0 for objects that cannot have weakrefs). */
export function weaklistHead(h: ObjectHeap, o: number): number {
  const off = h.typeWeaklistOffset[typeIdOf(h, o)]!;
  return off < 0 ? 0 : read32(h, o + off);
}

function setWeaklistHead(h: ObjectHeap, o: number, wr: number): void {
  write32(h, o + h.typeWeaklistOffset[typeIdOf(h, o)]!, wr);
}

/**
 * The referent as code outside the heap may see it (CPython's PyWeakref_GET_OBJECT): 0 once the
 * weakref is cleared, and also while the referent's refcount is 0 but its weakrefs are not cleared
 * yet — an object the trashcan deferred during a long deallocation chain (bpo-16602, gh-60806).
 * Handing that object out would let a caller take a reference to something already being freed.
 */
export function weakrefReferent(h: ObjectHeap, wr: number): number {
  const o = read32(h, wr + WR_OBJECT);
  return o !== 0 && read32(h, o) > 0 ? o : 0;
}
/** The raw wr_object word: the referent until the weakref is cleared, whatever its refcount. */
export function weakrefObjectSlot(h: ObjectHeap, wr: number): number {
  return read32(h, wr + WR_OBJECT);
}
export function weakrefNext(h: ObjectHeap, wr: number): number {
  return read32(h, wr + WR_NEXT);
}
export function weakrefHasCallback(h: ObjectHeap, wr: number): boolean {
  return read32(h, wr + WR_CALLBACK) !== 0;
}
/** The callback: a JS function, a heap object's address (borrowed), or undefined if none. */
export function weakrefCallback(h: ObjectHeap, wr: number): WeakrefCallbackValue | undefined {
  const w = read32(h, wr + WR_CALLBACK);
  return w < 0 ? -w : h.weakrefCallbacks[w];
}

/** The heap object a weakref's callback is (borrowed), or 0 when it has none or a JS one. */
export function weakrefCallbackObject(h: ObjectHeap, wr: number): number {
  const w = read32(h, wr + WR_CALLBACK);
  return w < 0 ? -w : 0;
}

/**
 * Allocates a weakref of type `typeId` to `o` with `callback` (tracked, refcount 1), not yet in
 * `o`'s list: the allocation may run a collection, which may change the list, so the caller
 * finds the insertion point afterwards.
 */
export function allocWeakref(
  h: ObjectHeap,
  typeId: number,
  o: number,
  callback: WeakrefCallbackValue | null,
): number {
  const link = gcLink(h);
  const size =
    typeId === KEYED_REF_TYPE
      ? KEYED_REF_SIZE
      : typeId === WEAK_METHOD_TYPE
        ? WEAK_METHOD_SIZE
        : typeId >= FIRST_USER_TYPE
          ? h.typeAllocSize[typeId]! - GC_HEAD_SIZE // a subclass: the caller initialises its part
          : WEAKREF_SIZE;
  const wr = allocGcObject(h, size, typeId, -1, link);
  write32(h, wr + WR_OBJECT, o);
  if (typeof callback === "number") increfRaw(h, callback);
  write32(
    h,
    wr + WR_CALLBACK,
    callback === null ? 0 : typeof callback === "number" ? -callback : addWeakrefCallback(h, callback),
  );
  write32(h, wr + WR_PREV, 0);
  write32(h, wr + WR_NEXT, 0);
  write32(h, wr + WR_HASH, -1);
  write32(h, wr + 28, 0);
  if (typeId === KEYED_REF_TYPE) setSlotNull(h, wr + WR_KEY);
  if (typeId === WEAK_METHOD_TYPE) {
    setSlotNull(h, wr + WM_FUNC_REF);
    write32(h, wr + WM_WEAKLIST, 0);
    write32(h, wr + WM_ALIVE, 0);
  }
  gcTrackNew(h, wr);
  return wr;
}

/** Enters a JS callback in the heap's table; returns its index (a weakref's WR_CALLBACK word). */
export function addWeakrefCallback(h: ObjectHeap, callback: WeakrefCallback): number {
  const i = h.weakrefCallbackFree.pop() ?? h.weakrefCallbacks.length;
  h.weakrefCallbacks[i] = callback;
  return i;
}

/**
 * Removes the weakref's callback and returns it (wr_callback set to NULL, the reference handed
 * over): a heap callback's address comes with the weakref's reference, which the caller releases.
 */
export function takeWeakrefCallback(h: ObjectHeap, wr: number): WeakrefCallbackValue | undefined {
  const i = read32(h, wr + WR_CALLBACK);
  if (i === 0) return undefined;
  if (i < 0) {
    write32(h, wr + WR_CALLBACK, 0);
    return -i;
  }
  const callback = h.weakrefCallbacks[i];
  h.weakrefCallbacks[i] = undefined;
  h.weakrefCallbackFree.push(i);
  write32(h, wr + WR_CALLBACK, 0);
  return callback;
}

/** Links `wr` at the head of `o`'s list. */
export function weakrefInsertHead(h: ObjectHeap, wr: number, o: number): void {
  const head = weaklistHead(h, o);
  write32(h, wr + WR_PREV, 0);
  write32(h, wr + WR_NEXT, head);
  if (head !== 0) write32(h, head + WR_PREV, wr);
  setWeaklistHead(h, o, wr);
}

/** Links `wr` right after `prev` in its referent's list. */
export function weakrefInsertAfter(h: ObjectHeap, wr: number, prev: number): void {
  const next = read32(h, prev + WR_NEXT);
  write32(h, wr + WR_PREV, prev);
  write32(h, wr + WR_NEXT, next);
  if (next !== 0) write32(h, next + WR_PREV, wr);
  write32(h, prev + WR_NEXT, wr);
}

/**
 * _PyWeakref_ClearRef: unlinks `wr` from its referent's list and makes it dead (wr_object = None).
 * The callback stays. Does nothing to a weakref already cleared.
 */
export function clearWeakref(h: ObjectHeap, wr: number): void {
  const o = read32(h, wr + WR_OBJECT);
  if (o === 0) return;
  const prev = read32(h, wr + WR_PREV);
  const next = read32(h, wr + WR_NEXT);
  // An unlinked weakref (newProxy drops one it lost a race for) has prev 0 but is not the head.
  if (prev !== 0) write32(h, prev + WR_NEXT, next);
  else if (weaklistHead(h, o) === wr) setWeaklistHead(h, o, next);
  if (next !== 0) write32(h, next + WR_PREV, prev);
  write32(h, wr + WR_OBJECT, 0);
  write32(h, wr + WR_PREV, 0);
  write32(h, wr + WR_NEXT, 0);
}

/** Clears every weakref to `o` without calling back (each one _PyWeakref_ClearRef). */
export function clearWeakrefList(h: ObjectHeap, o: number): void {
  for (let wr = weaklistHead(h, o); wr !== 0; wr = weaklistHead(h, o)) clearWeakref(h, wr);
}

/**
 * get_basic_refs: the basic ref (an exact weakref.ref without callback) and basic proxy (a proxy
 * without callback) of `o`, 0 when absent. They can only be the first two entries.
 */
export function basicRef(h: ObjectHeap, o: number): number {
  const head = weaklistHead(h, o);
  return head !== 0 && typeIdOf(h, head) === Kind.Weakref && !weakrefHasCallback(h, head) ? head : 0;
}
export function basicProxy(h: ObjectHeap, o: number): number {
  let p = weaklistHead(h, o);
  if (p !== 0 && p === basicRef(h, o)) p = read32(h, p + WR_NEXT);
  return p !== 0 && typeIdOf(h, p) === Kind.WeakProxy && !weakrefHasCallback(h, p) ? p : 0;
}
