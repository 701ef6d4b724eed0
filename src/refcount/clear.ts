/**
 * clear: CPython's tp_clear, the collector's tool for breaking a cycle of garbage. It drops the
 * references an object holds, leaving the object itself alive (its own refcount untouched); the
 * references it released usually free the rest of the cycle by ordinary refcounting.
 *
 *   | kind     | clears                                                              |
 *   |----------|---------------------------------------------------------------------|
 *   | list     | list.clear(): detach the items, release them last to first          |
 *   | dict     | dict.clear(): detach the table, release each entry (key, value)     |
 *   |          | (a split dict's in shared-key order)                                |
 *   | instance | declared fields in order, each set to NULL then released (Py_CLEAR), |
 *   |          | then the values array (detached, released in slot order) or         |
 *   |          | the materialised dict (the attrs word set to 0, then released).     |
 *   |          | The reference to the type stays until deallocation. A user kind:   |
 *   |          | the same over its reference slots and items, or its clear hook;    |
 *   |          | none if its spec says `clear: false`.                               |
 *   | tuple    | nothing: tuples have no tp_clear (a cycle through one is broken     |
 *   |          | at another member)                                                  |
 *   | type     | nothing: type objects hold no references here                       |
 *   | weakref  | a KeyedRef's key; then the weakref leaves its referent's list and   |
 *   |          | its callback is dropped (clear_weakref)                              |
 */
import { clearWeakref, KEYED_REF_TYPE, Kind, typeIdOf, typeInfo, WR_KEY } from "../object/index.js";
import { dictClear, listClear } from "./containers.js";
import type { RefcountHeap } from "./heap.js";
import { clearInstance, clearSlot, dropWeakrefCallback } from "./refcount.js";

/** True if objects of this type have a clear (CPython's tp_clear != NULL). */
export function typeHasClear(h: RefcountHeap, id: number): boolean {
  const kind = h.typeKind[id];
  if (kind === Kind.Instance) return typeInfo(h, id).hooks?.clear !== false;
  return kind === Kind.List || kind === Kind.Dict || kind === Kind.Weakref || kind === Kind.WeakProxy;
}

/** Drops every reference `o` holds (see the table above). The caller holds a reference to `o`. */
export function clearObject(h: RefcountHeap, o: number): void {
  const id = typeIdOf(h, o);
  switch (h.typeKind[id]) {
    case Kind.List:
      listClear(h, o);
      return;
    case Kind.Dict:
      dictClear(h, o);
      return;
    case Kind.Instance: {
      // A user kind's clear hook replaces the default (clear: false never reaches here).
      const hook = typeInfo(h, id).hooks?.clear;
      if (typeof hook === "function") hook(o);
      else clearInstance(h, o, id);
      return;
    }
    case Kind.Weakref:
    case Kind.WeakProxy:
      if (id === KEYED_REF_TYPE) clearSlot(h, o + WR_KEY);
      clearWeakref(h, o);
      dropWeakrefCallback(h, o);
      return;
    default:
  }
}
