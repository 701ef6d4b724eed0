/**
 * The weakref module's functions over raw addresses (Modules/_weakref.c,
 * Objects/weakrefobject.c): creating
 * refs, proxies and KeyedRefs in CPython's list order, reading them, and listing an object's
 * weakrefs. Weakrefs are ordinary GC objects: the caller owns the reference each constructor
 * returns and releases it with decref.
 */
import {
  allocWeakref,
  basicProxy,
  basicRef,
  checkObject,
  increfRaw,
  KEYED_REF_TYPE,
  Kind,
  NONE,
  newList,
  type ObjectHeap,
  setSlot,
  typeIdOf,
  typeInfo,
  type WeakrefCallback,
  type WeakrefCallbackValue,
  WR_KEY,
  weaklistHead,
  weakrefInsertAfter,
  weakrefInsertHead,
  weakrefNext,
  weakrefReferent,
} from "../object/index.js";
import { decref, listAppend, type RefcountHeap } from "../refcount/index.js";
import { HeapReferenceError, HeapTypeError } from "../util/index.js";

/** True if objects like `o` can be the target of weak references (tp_weaklistoffset != 0). */
export function isWeakrefable(h: ObjectHeap, o: number): boolean {
  return h.typeWeaklistOffset[typeIdOf(h, o)]! >= 0;
}

/** The TypeError CPython raises for a referent that does not support weak references. */
export function notWeakrefable(typeName: string): HeapTypeError {
  return new HeapTypeError(`cannot create weak reference to '${typeName}' object`);
}

function checkReferent(h: ObjectHeap, o: number, op: string): void {
  if (h.checked) checkObject(h, o, op);
  if (!isWeakrefable(h, o)) throw notWeakrefable(typeInfo(h, typeIdOf(h, o)).name);
}

/**
 * A callback as weakref___new__ takes it: None means none; a heap object is held by the weakref
 * (any object: one that cannot be called fails when the referent dies, as in CPython).
 */
function checkCallback(
  h: ObjectHeap,
  callback: WeakrefCallbackValue | null,
  op: string,
): WeakrefCallbackValue | null {
  if (typeof callback !== "number") return callback;
  if (h.checked) checkObject(h, callback, op);
  return callback === NONE ? null : callback;
}

/** Throws unless `wr` is a weakref (or, with `proxyOnly`, a proxy). */
function checkWeakref(h: ObjectHeap, wr: number, proxyOnly: boolean, op: string): void {
  if (h.checked) checkObject(h, wr, op);
  const kind = h.typeKind[typeIdOf(h, wr)];
  if (kind === Kind.WeakProxy || (!proxyOnly && kind === Kind.Weakref)) return;
  const expected = proxyOnly ? "a proxy" : "a weakref";
  throw new HeapTypeError(`${op} expects ${expected}, got a '${typeInfo(h, typeIdOf(h, wr)).name}' object`);
}

/**
 * weakref.ref(o, callback): a new reference to a weakref to `o`. Without a callback this is `o`'s
 * basic ref, shared: an existing one is returned (with a new reference).
 */
export function newRef(h: ObjectHeap, o: number, callback: WeakrefCallbackValue | null = null): number {
  checkReferent(h, o, "weakref.ref");
  callback = checkCallback(h, callback, "weakref.ref");
  if (callback === null) {
    const existing = basicRef(h, o);
    if (existing !== 0) {
      increfRaw(h, existing);
      return existing;
    }
  }
  const wr = allocWeakref(h, Kind.Weakref, o, callback);
  if (callback === null) weakrefInsertHead(h, wr, o);
  else insertAfterBasic(h, wr, o);
  return wr;
}

/**
 * KeyedRef(o, callback, key): a weakref subclass carrying a key (a strong reference), as
 * WeakValueDictionary stores its values. Never shared.
 */
export function newKeyedRef(
  h: RefcountHeap,
  o: number,
  callback: WeakrefCallback | null,
  key: number,
  keyIsRef: boolean,
): number {
  checkReferent(h, o, "KeyedRef");
  const wr = allocWeakref(h, KEYED_REF_TYPE, o, callback);
  insertAfterBasic(h, wr, o);
  if (keyIsRef) increfRaw(h, key);
  setSlot(h, wr + WR_KEY, key, keyIsRef);
  return wr;
}

/** weakref.proxy(o, callback): like newRef, for proxies (the basic proxy is shared). */
export function newProxy(h: RefcountHeap, o: number, callback: WeakrefCallbackValue | null = null): number {
  checkReferent(h, o, "weakref.proxy");
  callback = checkCallback(h, callback, "weakref.proxy");
  if (callback === null) {
    const existing = basicProxy(h, o);
    if (existing !== 0) {
      increfRaw(h, existing);
      return existing;
    }
  }
  const wr = allocWeakref(h, Kind.WeakProxy, o, callback);
  // The allocation may have run a collection, and its callbacks may have made a basic proxy.
  const proxy = basicProxy(h, o);
  if (callback === null && proxy !== 0) {
    // Someone else made the basic proxy meanwhile: keep the list's invariants and return theirs.
    increfRaw(h, proxy);
    decref(h, wr);
    return proxy;
  }
  if (callback === null) {
    const ref = basicRef(h, o);
    if (ref === 0) weakrefInsertHead(h, wr, o);
    else weakrefInsertAfter(h, wr, ref);
  } else {
    insertAfterBasic(h, wr, o);
  }
  return wr;
}

/** Non-basic weakrefs go right after the basic proxy, else the basic ref, else at the head. */
function insertAfterBasic(h: ObjectHeap, wr: number, o: number): void {
  const prev = basicProxy(h, o) || basicRef(h, o);
  if (prev === 0) weakrefInsertHead(h, wr, o);
  else weakrefInsertAfter(h, wr, prev);
}

/** Calling a ref: its referent (borrowed), or None once it is dead. */
export function weakrefGet(h: ObjectHeap, wr: number): number {
  checkWeakref(h, wr, false, "weakrefGet");
  const o = weakrefReferent(h, wr);
  return o === 0 ? NONE : o;
}

/** A proxy's referent (borrowed); throws CPython's ReferenceError once it is gone. */
export function proxyReferent(h: ObjectHeap, proxy: number): number {
  checkWeakref(h, proxy, true, "proxyReferent");
  const o = weakrefReferent(h, proxy);
  if (o === 0) throw new HeapReferenceError("weakly-referenced object no longer exists");
  return o;
}

/** weakref.getweakrefcount(o): how many weakrefs and proxies refer to `o` (0 if it cannot have any). */
export function getweakrefcount(h: ObjectHeap, o: number): number {
  if (h.checked) checkObject(h, o, "getweakrefcount");
  let n = 0;
  for (let wr = weaklistHead(h, o); wr !== 0; wr = weakrefNext(h, wr)) n++;
  return n;
}

/** weakref.getweakrefs(o): a new list of the weakrefs and proxies to `o`, in list order. */
export function getweakrefs(h: RefcountHeap, o: number): number {
  if (h.checked) checkObject(h, o, "getweakrefs");
  const l = newList(h);
  for (let wr = weaklistHead(h, o); wr !== 0; wr = weakrefNext(h, wr)) listAppend(h, l, wr, true);
  return l;
}
