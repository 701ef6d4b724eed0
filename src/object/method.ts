/**
 * Bound methods (CPython's PyMethod_Type, Objects/classobject.c): what reading a function through
 * an instance gives. A method holds its function and the instance; calling it calls the function
 * with the instance first. refheap lays the type out as a built-in kind, registered the first time
 * a heap makes a method, with the reserved id METHOD_TYPE:
 *
 *   >m +0 [refcnt] +4 [type] +8 [0] +12 [weakref list head or 0]
 *      +16 [__func__ slot] +24 [__self__ slot]
 *
 * As in CPython: traversed func then self (method_traverse), released in that order
 * (method_dealloc), no tp_clear (a cycle through a method is broken at another member),
 * weakrefable, hashed as hash(id(self)) ^ hash(func), equal when both have the same self
 * (identity, since 3.8) and equal functions.
 */
import { HeapTypeError } from "../util/index.js";
import { increfRaw, typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { defineKind, fieldSlot, newInstance } from "./instance.js";
import { callHookOf } from "./types.js";
import { setSlotRef, slotRef } from "./value.js";

/** The type id of bound methods. */
export const METHOD_TYPE = 12;
/** Field indexes of a method's function and instance. */
export const METHOD_FUNC = 0;
export const METHOD_SELF = 1;

/** Registers the method type in `h` unless it is there already. */
function ensureMethodType(h: ObjectHeap): void {
  if (h.types[METHOD_TYPE] !== undefined) return;
  defineKind(
    h,
    {
      name: "method",
      refs: ["__func__", "__self__"],
      weakrefable: true,
      clear: false,
      call: (m, ...args) => {
        const func = methodFunc(h, m);
        return callHookOf(h, func)(func, methodSelf(h, m), ...args);
      },
      hash: (m) => ((methodSelf(h, m) >>> 4) ^ (methodFunc(h, m) >>> 4)) | 0,
      eq: (m, other, otherIsRef) =>
        otherIsRef &&
        typeIdOf(h, other) === METHOD_TYPE &&
        methodSelf(h, m) === methodSelf(h, other) &&
        methodFunc(h, m) === methodFunc(h, other),
    },
    METHOD_TYPE,
  );
}

/**
 * A new bound method of `func` and `self` (PyMethod_New): refcount 1, holding a reference to
 * each. `func` must be callable (its class or kind has a `call` hook).
 */
export function newMethod(h: ObjectHeap, func: number, self: number): number {
  callHookOf(h, func); // TypeError for what cannot be called, as method_new's check
  if (self === 0) throw new HeapTypeError("newMethod: self must be an object");
  ensureMethodType(h);
  const m = newInstance(h, METHOD_TYPE);
  increfRaw(h, func);
  setSlotRef(h, fieldSlot(h, m, METHOD_FUNC), func);
  increfRaw(h, self);
  setSlotRef(h, fieldSlot(h, m, METHOD_SELF), self);
  return m;
}

/** Whether `o` is a bound method. */
export function isMethod(h: ObjectHeap, o: number): boolean {
  return typeIdOf(h, o) === METHOD_TYPE;
}

/** A method's function (`__func__`; borrowed). */
export function methodFunc(h: ObjectHeap, m: number): number {
  return slotRef(h, fieldSlot(h, m, METHOD_FUNC));
}

/** A method's instance (`__self__`; borrowed). */
export function methodSelf(h: ObjectHeap, m: number): number {
  return slotRef(h, fieldSlot(h, m, METHOD_SELF));
}
