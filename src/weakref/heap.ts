/**
 * WeakrefHeap: the refcounting heap whose deallocations clear weak references as CPython's
 * PyObject_ClearWeakRefs (Objects/weakrefobject.c) does. src/refcount/ calls the `clearWeakrefs`
 * hook from a deallocator, after the finalizer, when the dying object has weakrefs.
 */
import {
  callHookOf,
  clearWeakref,
  describe,
  gcLinkTuple,
  gcUnlinkTuple,
  increfRaw,
  refcnt,
  takeWeakrefCallback,
  type WeakrefCallbackValue,
  weaklistHead,
  weakrefHasCallback,
  weakrefNext,
} from "../object/index.js";
import { decref, RefcountHeap } from "../refcount/index.js";

export class WeakrefHeap extends RefcountHeap {
  /** ObjectHeap.callEq, holding a reference to both keys while the hook runs. */
  override callEq(
    eq: (obj: number, other: number, otherIsRef: boolean) => boolean,
    self: number,
    other: number,
    otherIsRef: boolean,
  ): boolean {
    this.userEqCalls++;
    increfRaw(this, self);
    if (otherIsRef) increfRaw(this, other);
    try {
      return Boolean(eq(self, other, otherIsRef));
    } finally {
      decref(this, self);
      if (otherIsRef) decref(this, other);
    }
  }

  /**
   * PyObject_ClearWeakRefs: `o` is being deallocated. Its basic ref and basic proxy (the
   * callback-less weakrefs at the head) are cleared first; then every other weakref is cleared,
   * all of them before the first callback runs, and the callbacks run in list order (newest
   * first). Each callback receives its dead weakref. A weakref being deallocated itself (count 0)
   * is cleared but never called back.
   */
  override clearWeakrefs(o: number): void {
    for (let i = 0; i < 2; i++) {
      const head = weaklistHead(this, o);
      if (head === 0 || weakrefHasCallback(this, head)) break;
      clearWeakref(this, head);
    }
    let wr = weaklistHead(this, o);
    if (wr === 0) return;
    if (weakrefNext(this, wr) === 0) {
      const callback = takeWeakrefCallback(this, wr);
      clearWeakref(this, wr);
      if (callback !== undefined && refcnt(this, wr) > 0) callWeakrefCallback(this, wr, callback);
      if (typeof callback === "number") decref(this, callback); // after the call, as handle_callback's caller
      return;
    }
    // Several: CPython gathers (weakref, callback) pairs in a tuple of 2 × count items, whose
    // allocation counts toward generation 0 (and may start a collection) like any other.
    let count = 0;
    for (let p = wr; p !== 0; p = weakrefNext(this, p)) count++;
    gcLinkTuple(this, 2 * count);
    const held: number[] = [];
    const callbacks: (WeakrefCallbackValue | undefined)[] = [];
    while (wr !== 0) {
      const next = weakrefNext(this, wr);
      const callback = takeWeakrefCallback(this, wr);
      if (refcnt(this, wr) > 0) {
        increfRaw(this, wr);
        held.push(wr);
        callbacks.push(callback);
      } else if (typeof callback === "number") {
        decref(this, callback); // a dying weakref's callback is dropped at once
      }
      clearWeakref(this, wr);
      wr = next;
    }
    for (let i = 0; i < held.length; i++) {
      const callback = callbacks[i];
      if (callback !== undefined) callWeakrefCallback(this, held[i]!, callback);
    }
    // The tuple is released: its items last to first (each pair's callback, then its weakref).
    for (let i = held.length - 1; i >= 0; i--) {
      const callback = callbacks[i];
      if (typeof callback === "number") decref(this, callback);
      decref(this, held[i]!);
    }
    gcUnlinkTuple(this, 2 * count);
  }
}

/**
 * Calls `callback(wr)` holding a reference to `wr` for the call (as the callee's frame would);
 * an exception goes to the unraisable hook and is not propagated. A heap callback is called
 * through its kind's `call` hook; an object without one raises "not callable" there, as CPython's.
 */
export function callWeakrefCallback(h: RefcountHeap, wr: number, callback: WeakrefCallbackValue): void {
  increfRaw(h, wr);
  try {
    if (typeof callback === "number") callHookOf(h, callback)(callback, wr);
    else callback(wr);
  } catch (error) {
    const name =
      typeof callback === "number"
        ? describe(h, callback)
        : callback.name === ""
          ? "<anonymous>"
          : callback.name;
    h.unraisableHook(error, `<weakref callback ${name}>`);
  } finally {
    decref(h, wr);
  }
}
