/**
 * The weakref module's functions over raw addresses (Modules/_weakref.c,
 * Objects/weakrefobject.c): creating
 * refs, proxies and KeyedRefs in CPython's list order, reading them, and listing an object's
 * weakrefs. Weakrefs are ordinary GC objects: the caller owns the reference each constructor
 * returns and releases it with decref.
 */
import { read32, write32 } from "../memory/index.js";
import {
  addWeakrefCallback,
  allocWeakref,
  basicProxy,
  basicRef,
  callHookOf,
  carveNextBlock,
  checkObject,
  defineKind,
  FIRST_USER_TYPE,
  fieldSlot,
  increfRaw,
  initInstanceParts,
  isMethod,
  KEYED_REF_TYPE,
  Kind,
  methodFunc,
  methodSelf,
  NONE,
  newList,
  newMethod,
  newObject,
  type ObjectHeap,
  setSlot,
  setSlotRef,
  slotRef,
  slotRefOrZero,
  tupleOf,
  tupleSlot,
  typeIdOf,
  typeInfo,
  WEAK_METHOD_TYPE,
  WEAKREF_SIZE,
  type WeakrefCallback,
  type WeakrefCallbackValue,
  WM_ALIVE,
  WM_FUNC_REF,
  WR_KEY,
  weaklistHead,
  weakrefInsertAfter,
  weakrefInsertHead,
  weakrefNext,
  weakrefReferent,
} from "../object/index.js";
import { decref, listAppend, type RefcountHeap } from "../refcount/index.js";
import { HeapReferenceError, HeapTypeError, HeapValueError } from "../util/index.js";

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
 *
 * `type`, a subclass of ref (defineClass with `base: Kind.Weakref`), makes `type(o, callback)`
 * (weakref___new__): never shared, its fields NULL and its attributes empty — the subclass's
 * `__init__` is the caller's to run.
 */
export function newRef(
  h: RefcountHeap,
  o: number,
  callback: WeakrefCallbackValue | null = null,
  type: number = Kind.Weakref,
): number {
  checkReferent(h, o, "weakref.ref");
  callback = checkCallback(h, callback, "weakref.ref");
  const basic = type === Kind.Weakref;
  if (!basic) checkRefSubclass(h, type);
  if (callback === null && basic) {
    const existing = basicRef(h, o);
    if (existing !== 0) {
      increfRaw(h, existing);
      return existing;
    }
    if (h.fastPaths) {
      const fast = newBasicRefFast(h, o);
      if (fast !== 0) return fast;
    }
  }
  if (basic && typeof callback === "function" && h.fastPaths) {
    const fast = newRefFast(h, o, callback);
    if (fast !== 0) return fast;
  }
  const wr = allocWeakref(h, type, o, callback);
  if (!basic) initInstanceParts(h, wr, type, WEAKREF_SIZE, 0);
  if (callback === null && basic) weakrefInsertHead(h, wr, o);
  else insertAfterBasic(h, wr, o);
  return wr;
}

// #region generated: newRefFast (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * newRef's fast path (unchecked heaps) for `weakref.ref(o, callback)`, the callback a JS function.
 * It does gcLink's count, pymalloc's usedpools fast path for the weakref's block (with the trace
 * event where malloc sends it), the header, wr_object, the callback's table entry, prev, next and
 * hash, the generation-0 link, and its place in o's weak list, in the general path's order, flat
 * over the heap's words. Returns 0, having changed nothing, when the general path must serve the
 * request: o does not support weak references, a collection is due, or the size class has no used
 * pool or its pool would become full.
 */
export function newRefFast(h: ObjectHeap, o: number, callback: WeakrefCallback): number {
  let i32 = h.i32;
  const ow = o >> 2;
  const wlo = h.typeWeaklistOffset[i32[ow + 1]! & 0xffff]!;
  if (wlo < 0 || h.gcCount0 >= h.gcAutoAbove) return 0;
  const pool = h.usedPools[2]!;
  if (pool === 0) return 0;
  const pw = pool >> 2;
  const bp = i32[pw + 1]!;
  const next = i32[bp >> 2]!;
  if (next !== 0) i32[pw + 1] = next;
  else if (!carveNextBlock(h, pool, 2)) return 0;
  i32[pw] = i32[pw]! + 1;
  h.gcCount0++;
  if (h.trace !== null) {
    h.trace({ kind: "alloc", addr: bp, size: 40 });
    i32 = h.i32;
  }
  const rw = (bp + 8) >> 2;
  i32[rw] = 1;
  const tag = (h.reuseCounter + 1) & 0xffff;
  h.reuseCounter = tag;
  i32[rw + 1] = 9 | (tag << 16);
  i32[rw + 2] = o;
  i32[rw + 3] = addWeakrefCallback(h, callback);
  i32[rw + 6] = -1;
  i32[rw + 7] = 0;
  const last = i32[4 + 1]! & -4;
  i32[last >> 2] = bp;
  i32[(bp >> 2) + 1] = last;
  i32[bp >> 2] = 16;
  i32[4 + 1] = bp;
  // insertAfterBasic: after o's basic ref (an exact ref without callback, at the head) and its
  // basic proxy (a proxy without callback, next), else at the head.
  const wl = (o + wlo) >> 2;
  const head = i32[wl]!;
  let prev = 0;
  let p = head;
  if (p !== 0 && (i32[(p >> 2) + 1]! & 0xffff) === 9 && i32[(p >> 2) + 3] === 0) {
    prev = p;
    p = i32[(p >> 2) + 5]!;
  }
  if (p !== 0 && (i32[(p >> 2) + 1]! & 0xffff) === 10 && i32[(p >> 2) + 3] === 0) prev = p;
  const wr = bp + 8;
  if (prev === 0) {
    i32[rw + 4] = 0;
    i32[rw + 5] = head;
    if (head !== 0) i32[(head >> 2) + 4] = wr;
    i32[wl] = wr;
  } else {
    const after = i32[(prev >> 2) + 5]!;
    i32[rw + 4] = prev;
    i32[rw + 5] = after;
    if (after !== 0) i32[(after >> 2) + 4] = wr;
    i32[(prev >> 2) + 5] = wr;
  }
  return wr;
}

/**
 * newRef's fast path (unchecked heaps) for `weakref.ref(o)` making a new basic ref (o has none to share).
 * It does gcLink's count, pymalloc's usedpools fast path for the weakref's block (with the trace
 * event where malloc sends it), the header, wr_object, no callback, prev, next and
 * hash, the generation-0 link, and its place in o's weak list, in the general path's order, flat
 * over the heap's words. Returns 0, having changed nothing, when the general path must serve the
 * request: o does not support weak references, a collection is due, or the size class has no used
 * pool or its pool would become full.
 */
export function newBasicRefFast(h: ObjectHeap, o: number): number {
  let i32 = h.i32;
  const ow = o >> 2;
  const wlo = h.typeWeaklistOffset[i32[ow + 1]! & 0xffff]!;
  if (wlo < 0 || h.gcCount0 >= h.gcAutoAbove) return 0;
  const pool = h.usedPools[2]!;
  if (pool === 0) return 0;
  const pw = pool >> 2;
  const bp = i32[pw + 1]!;
  const next = i32[bp >> 2]!;
  if (next !== 0) i32[pw + 1] = next;
  else if (!carveNextBlock(h, pool, 2)) return 0;
  i32[pw] = i32[pw]! + 1;
  h.gcCount0++;
  if (h.trace !== null) {
    h.trace({ kind: "alloc", addr: bp, size: 40 });
    i32 = h.i32;
  }
  const rw = (bp + 8) >> 2;
  i32[rw] = 1;
  const tag = (h.reuseCounter + 1) & 0xffff;
  h.reuseCounter = tag;
  i32[rw + 1] = 9 | (tag << 16);
  i32[rw + 2] = o;
  i32[rw + 3] = 0;
  i32[rw + 6] = -1;
  i32[rw + 7] = 0;
  const last = i32[4 + 1]! & -4;
  i32[last >> 2] = bp;
  i32[(bp >> 2) + 1] = last;
  i32[bp >> 2] = 16;
  i32[4 + 1] = bp;
  // weakrefInsertHead: the basic ref goes first.
  const wl = (o + wlo) >> 2;
  const head = i32[wl]!;
  const wr = bp + 8;
  i32[rw + 4] = 0;
  i32[rw + 5] = head;
  if (head !== 0) i32[(head >> 2) + 4] = wr;
  i32[wl] = wr;
  return wr;
}
// #endregion generated: newRefFast

/** Throws unless `type` is a live subclass of ref defined with defineClass. */
function checkRefSubclass(h: RefcountHeap, type: number): void {
  const info = typeof type === "number" ? h.types[type] : undefined;
  if (info === undefined || h.typeKind[type] !== Kind.Weakref || type < FIRST_USER_TYPE) {
    throw new HeapTypeError(
      `weakref.ref: type ${String(type)} is not a subclass of ref (define one with defineClass({ base: Kind.Weakref }))`,
    );
  }
  if (h.typeObject[type] === 0) throw new HeapValueError(`weakref.ref: class ${info.name} was freed`);
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

/*
 * WeakMethod (Lib/weakref.py): a weakref to a bound method's instance that also holds a weakref
 * to its function, so that it does not keep either alive; calling it makes a new bound method
 * while both live. Built as weakref.py's __new__ builds it (object layout: src/object/weakref.ts),
 * with the same objects in the same order: the frame's two cells (`callback`, `self_wr`), the
 * closure tuple, the function `_cb`, the WeakMethod, its `_func_ref`, and `self_wr`:
 *
 *   WeakMethod ──ref──▶ instance        _cb (function) ── closure ──▶ (cell, cell)
 *     │  callback ──────────────────────▶ ┘                            │      └ self_wr ──▶ ref ⇢ the WeakMethod
 *     └ _func_ref ──▶ ref ⇢ function                                   └ callback (a heap callable, or None)
 *                       callback ──▶ _cb
 *
 * The only strong path back to the WeakMethod is weak, so there is no cycle. When the instance or
 * the function dies, _cb runs: if the WeakMethod is still alive (`_alive`), it is marked dead and
 * the user's callback is called with it, once.
 */

/** The type id of WeakMethod's `_cb` functions (a built-in kind: its closure tuple). */
export const WM_CALLBACK_TYPE = 14;
/** The type id of cells (a built-in kind: cell_contents), as `_cb`'s closure holds them. */
export const CELL_TYPE = 15;

/**
 * The type id of super objects, as WeakMethod.__call__'s `super()` makes one (a built-in kind:
 * the instance it is bound to; its two type references are to types without type objects here).
 */
export const SUPER_TYPE = 16;
/** The type id of method-wrappers, as `super().__call__` is one (a built-in kind: its self). */
export const METHOD_WRAPPER_TYPE = 17;

/**
 * Registers the types WeakMethod's Python code makes objects of (cell, `_cb`'s function, super,
 * method-wrapper) in `h` unless they are there already.
 */
function ensureCallbackType(h: RefcountHeap): void {
  if (h.types[WM_CALLBACK_TYPE] !== undefined) return;
  defineKind(h, { name: "cell", refs: ["cell_contents"] }, CELL_TYPE);
  defineKind(h, { name: "super", refs: ["__self__"] }, SUPER_TYPE);
  defineKind(h, { name: "method-wrapper", refs: ["__self__"] }, METHOD_WRAPPER_TYPE);
  defineKind(
    h,
    {
      name: "function",
      refs: ["closure"],
      call: (cb) => {
        // self = self_wr(); callback: the closure's cells, in co_freevars order (callback, self_wr)
        const closure = slotRef(h, fieldSlot(h, cb, 0));
        const cellContents = (i: number): number =>
          slotRefOrZero(h, fieldSlot(h, slotRef(h, tupleSlot(closure, i)), 0));
        const wm = weakrefReferent(h, cellContents(1));
        if (wm === 0 || read32(h, wm + WM_ALIVE) === 0) return null;
        write32(h, wm + WM_ALIVE, 0);
        const callback = cellContents(0);
        if (callback !== 0 && callback !== NONE) {
          increfRaw(h, wm); // the argument's reference, as a Python call holds one
          try {
            callHookOf(h, callback)(callback, wm);
          } finally {
            decref(h, wm);
          }
        }
        return null;
      },
    },
    WM_CALLBACK_TYPE,
  );
}

/** A new cell holding `v` (a new reference to it), or empty for 0. */
function newCell(h: RefcountHeap, v: number): number {
  const cell = newObject(h, CELL_TYPE);
  if (v !== 0) {
    increfRaw(h, v);
    setSlotRef(h, fieldSlot(h, cell, 0), v);
  }
  return cell;
}

/** `f()` while a call's argument tuple of `items` exists: made before, released after. */
function withArgs<T>(h: RefcountHeap, items: readonly number[], f: () => T): T {
  const args = tupleOf(h, items);
  try {
    return f();
  } finally {
    decref(h, args);
  }
}

/**
 * weakref.WeakMethod(meth, callback): a new reference to a WeakMethod for bound method `meth`
 * (newMethod, or loadAttr of a function through an instance). Its instance and function must both
 * be weakrefable. `callback` is a heap callable (an object whose kind or class has `call`) or
 * null; it is called with the WeakMethod, once, when the instance or the function dies first.
 *
 * It allocates what the call `WeakMethod(meth[, callback])` allocates in CPython 3.11, in that
 * order, temporaries included, so a collection that one of these allocations starts sees what
 * CPython's would: the call's argument tuple; in `__new__`, the frame's two cells, the closure
 * tuple and `_cb`; `ref.__new__(cls, obj, _cb)`'s argument tuple and tp_new_wrapper's slice of it
 * around the WeakMethod; `ref(func, _cb)`'s argument tuple around `_func_ref`; `ref(self)`'s around
 * `self_wr`; then the frame's references and the argument tuple are dropped. (The class in the
 * first of those tuples is None here: WeakMethod is a built-in type without a type object.)
 */
export function newWeakMethod(
  h: RefcountHeap,
  meth: number,
  callback: number | null = null,
  inFrame: InFrame = runDirectly,
): number {
  if (h.checked) checkObject(h, meth, "WeakMethod");
  if (!isMethod(h, meth)) {
    throw new HeapTypeError(
      `argument should be a bound method, not <class '${typeInfo(h, typeIdOf(h, meth)).name}'>`,
    );
  }
  const obj = methodSelf(h, meth);
  const func = methodFunc(h, meth);
  checkReferent(h, obj, "WeakMethod");
  checkReferent(h, func, "WeakMethod");
  const cbArg = checkCallback(h, callback, "WeakMethod");
  if (typeof cbArg === "function") {
    throw new HeapTypeError(
      "WeakMethod: the callback must be a heap callable (an object with a call hook) or null",
    );
  }
  if (cbArg !== null) callHookOf(h, cbArg);
  ensureCallbackType(h);
  // type_call's argument tuple, dropped last. In the frame, before its first traceable
  // instruction (MAKE_CELL runs while the frame is still incomplete, so take_ownership and
  // sys._getframe pass it by): the cells, `callback` holding the argument (None when there is
  // none). Then, in the frame proper, the closure tuple, `_cb` and the rest. The frame's
  // references (to `_cb` and the cells) are dropped after it returns, as _PyFrame_Clear drops the
  // locals after the frame object.
  const args = tupleOf(h, cbArg === null ? [meth] : [meth, cbArg]);
  let cell0 = 0;
  let cell1 = 0;
  let cb = 0;
  try {
    cell0 = newCell(h, cbArg ?? NONE);
    cell1 = newCell(h, 0);
    // The rest of __new__, in its frame.
    return inFrame(() => {
      let closure = 0;
      let wm = 0;
      try {
        closure = tupleOf(h, [cell0, cell1]);
        cb = newObject(h, WM_CALLBACK_TYPE);
        setSlotRef(h, fieldSlot(h, cb, 0), closure);
        closure = 0; // the function's now
        // self = ref.__new__(cls, obj, _cb): its argument tuple, and tp_new_wrapper's slice of it
        wm = withArgs(h, [NONE, obj, cb], () =>
          withArgs(h, [obj, cb], () => {
            const w = allocWeakref(h, WEAK_METHOD_TYPE, obj, cb);
            insertAfterBasic(h, w, obj);
            return w;
          }),
        );
        // self._func_ref = ref(func, _cb)
        setSlotRef(
          h,
          wm + WM_FUNC_REF,
          withArgs(h, [func, cb], () => newRef(h, func, cb)),
        );
        write32(h, wm + WM_ALIVE, 1);
        // self_wr = ref(self)
        setSlotRef(
          h,
          fieldSlot(h, cell1, 0),
          withArgs(h, [wm], () => newRef(h, wm, null)),
        );
        return wm;
      } catch (error) {
        if (wm !== 0) decref(h, wm);
        if (closure !== 0) decref(h, closure);
        throw error;
      }
    });
  } finally {
    for (const o of [cb, cell1, cell0, args]) if (o !== 0) decref(h, o);
  }
}

/**
 * How an engine function that mirrors Python code of the standard library (weakref.py's
 * WeakMethod) runs the part CPython runs in that code's frame: directly, unless the host mirrors
 * Python frames (refheap's oracle runner pushes one, so that an exception leaving a callback made
 * meanwhile materialises it, as take_ownership does).
 */
export type InFrame = <T>(body: () => T) => T;

const runDirectly: InFrame = (body) => body();

/** `wm._alive`: whether a WeakMethod's callback has not run yet (its instance and function live). */
export function weakMethodAlive(h: RefcountHeap, wm: number): boolean {
  checkWeakMethod(h, wm, "weakMethodAlive");
  return read32(h, wm + WM_ALIVE) !== 0;
}

/** `wm._func_ref`: the weakref to a WeakMethod's function (a borrowed reference). */
export function weakMethodFuncRef(h: RefcountHeap, wm: number): number {
  checkWeakMethod(h, wm, "weakMethodFuncRef");
  return slotRef(h, wm + WM_FUNC_REF);
}

function checkWeakMethod(h: RefcountHeap, wm: number, op: string): void {
  if (h.checked) checkObject(h, wm, op);
  if (typeIdOf(h, wm) !== WEAK_METHOD_TYPE) {
    throw new HeapTypeError(
      `${op} expects a WeakMethod, got a '${typeInfo(h, typeIdOf(h, wm)).name}' object`,
    );
  }
}

/**
 * Calling a WeakMethod: a new reference to a new bound method of its instance and function, or
 * to None once either is dead.
 *
 * WeakMethod.__call__ is Python code (`obj = super().__call__(); func = self._func_ref(); …
 * return self._meth_type(func, obj)`), and this allocates what it allocates in CPython 3.11, in
 * that order: the super object, then the method-wrapper its `__call__` attribute is (the super
 * object is dropped as soon as the attribute is found, the method-wrapper once its call returns);
 * then, while both live, the method type's argument tuple around the new bound method. The
 * frame's references to the instance and the function are dropped at its return. `inFrame` runs
 * all of it (see InFrame).
 */
export function weakMethodGet(h: RefcountHeap, wm: number, inFrame: InFrame = runDirectly): number {
  checkWeakMethod(h, wm, "weakMethodGet");
  ensureCallbackType(h);
  return inFrame(() => {
    // super(): zero-argument super (super_vectorcall: no argument tuple), then its __call__
    const sup = boundTo(h, SUPER_TYPE, wm);
    const wrapper = boundTo(h, METHOD_WRAPPER_TYPE, wm);
    decref(h, sup);
    // the method-wrapper's call: ref's tp_call (no arguments: no argument tuple)
    const obj = weakrefReferent(h, wm);
    if (obj !== 0) increfRaw(h, obj);
    decref(h, wrapper);
    // func = self._func_ref()
    const func = weakrefReferent(h, slotRef(h, wm + WM_FUNC_REF));
    if (func !== 0) increfRaw(h, func);
    try {
      if (obj === 0 || func === 0) {
        increfRaw(h, NONE);
        return NONE;
      }
      // self._meth_type(func, obj): calling the method type builds an argument tuple
      return withArgs(h, [func, obj], () => newMethod(h, func, obj));
    } finally {
      // the frame's locals, in co_varnames order (self, obj, func)
      if (obj !== 0) decref(h, obj);
      if (func !== 0) decref(h, func);
    }
  });
}

/** A new super object or method-wrapper (`type`) bound to `self`. */
function boundTo(h: RefcountHeap, type: number, self: number): number {
  const o = newObject(h, type);
  increfRaw(h, self);
  setSlotRef(h, fieldSlot(h, o, 0), self);
  return o;
}
