/**
 * Weak references (CPython's Objects/weakrefobject.c): the heap whose deallocations clear them
 * and run their callbacks, and the weakref module's functions over raw addresses.
 */

export * as weakrefModule from "./create.js";
export {
  getweakrefcount,
  getweakrefs,
  isWeakrefable,
  newKeyedRef,
  newProxy,
  newRef,
  notWeakrefable,
  proxyReferent,
  weakrefGet,
} from "./create.js";
export { callWeakrefCallback, WeakrefHeap } from "./heap.js";
