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
 *   | type     | the dict's contents (dict.clear()), then the mro tuple (Py_CLEAR);  |
 *   |          | the base stays until deallocation (type_clear)                      |
 *   | weakref  | a KeyedRef's key or a WeakMethod's _func_ref; then the weakref      |
 *   |          | leaves its referent's list and                                      |
 *   |          | its callback is dropped (clear_weakref)                              |
 */
import { read32, write32 } from "../memory/index.js";
import {
  clearWeakref,
  FIRST_USER_TYPE,
  KEYED_REF_TYPE,
  Kind,
  TYPE_OBJECT_DICT,
  TYPE_OBJECT_MRO,
  typeIdOf,
  typeInfo,
  WEAK_METHOD_TYPE,
  WM_FUNC_REF,
  WR_KEY,
} from "../object/index.js";
import { dictClear, listClear } from "./containers.js";
import type { RefcountHeap } from "./heap.js";
import { clearInstance, clearSlot, decref, dropWeakrefCallback } from "./refcount.js";

/** True if objects of this type have a clear (CPython's tp_clear != NULL). */
export function typeHasClear(h: RefcountHeap, id: number): boolean {
  const kind = h.typeKind[id];
  if (kind === Kind.Instance) return typeInfo(h, id).hooks?.clear !== false;
  return (
    kind === Kind.List ||
    kind === Kind.Dict ||
    kind === Kind.Type ||
    kind === Kind.Weakref ||
    kind === Kind.WeakProxy
  );
}

/** How delete_garbage clears an object of a type: not at all, with clearInstance, or with clearObject. */
export const ClearKind = { None: 0, Instance: 1, Other: 2 } as const;
export type ClearKind = (typeof ClearKind)[keyof typeof ClearKind];

/**
 * The ClearKind of type `id`: Instance for a class (or user kind) with the default clear, which
 * is clearInstance, so a caller that clears many objects of one type can skip clearObject's
 * dispatch; None where typeHasClear is false; Other for the rest.
 */
export function clearKind(h: RefcountHeap, id: number): ClearKind {
  if (h.typeKind[id] === Kind.Instance) {
    const hook = typeInfo(h, id).hooks?.clear;
    if (hook === false) return ClearKind.None;
    return typeof hook === "function" ? ClearKind.Other : ClearKind.Instance;
  }
  return typeHasClear(h, id) ? ClearKind.Other : ClearKind.None;
}

/** clearObject for an object of type `id` whose clearKind the caller looked up (not None). */
export function clearAs(h: RefcountHeap, o: number, id: number, how: ClearKind): void {
  if (how === ClearKind.Instance) clearInstance(h, o, id);
  else clearObject(h, o);
}

/** Drops every reference `o` holds (see the table above). The caller holds a reference to `o`. */
export function clearObject(h: RefcountHeap, o: number): void {
  const id = typeIdOf(h, o);
  switch (h.typeKind[id]) {
    // A user's subclass of list or dict (subtype_clear): its fields and attributes, then the
    // built-in type's clear.
    case Kind.List:
      if (id >= FIRST_USER_TYPE) clearInstance(h, o, id);
      listClear(h, o);
      return;
    case Kind.Dict:
      if (id >= FIRST_USER_TYPE) clearInstance(h, o, id);
      dictClear(h, o);
      return;
    case Kind.Instance: {
      // A user kind's clear hook replaces the default (clear: false never reaches here).
      const hook = typeInfo(h, id).hooks?.clear;
      if (typeof hook === "function") hook(o);
      else clearInstance(h, o, id);
      return;
    }
    case Kind.Type: {
      const d = read32(h, o + TYPE_OBJECT_DICT);
      if (d !== 0) dictClear(h, d);
      const mro = read32(h, o + TYPE_OBJECT_MRO);
      if (mro !== 0) {
        write32(h, o + TYPE_OBJECT_MRO, 0);
        decref(h, mro);
      }
      return;
    }
    case Kind.Weakref:
    case Kind.WeakProxy:
      if (id === KEYED_REF_TYPE) clearSlot(h, o + WR_KEY);
      else if (id === WEAK_METHOD_TYPE)
        clearSlot(h, o + WM_FUNC_REF); // subtype_clear: slots first
      else if (id >= FIRST_USER_TYPE) clearInstance(h, o, id); // a user's subclass, likewise
      clearWeakref(h, o);
      dropWeakrefCallback(h, o);
      return;
    default:
  }
}
