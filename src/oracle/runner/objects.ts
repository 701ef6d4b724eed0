/**
 * Objects and their attributes, lists, tuples and dicts: `new`, `list`, `tuple`, `dict`, `set`,
 * `unset` (and getattr, for `show X proxy F`), `append`, `setitem`, `delitem`, `pop`, `clear`,
 * `add`, `discard` (the weak containers' own methods are in weakcontainers.ts), and `x()`, calling
 * a value (`new`, `call`).
 */

import {
  classDelAttr,
  classLookupSlot,
  classSetAttr,
  clearField,
  decref,
  delAttr,
  dictClear,
  dictDelItem,
  dictSetItem,
  EMPTY_TUPLE,
  FALSE,
  fieldItemSlot,
  getAttrSlot,
  incref,
  Kind,
  listAppend,
  listClear,
  listDelItem,
  listSetItem,
  listSize,
  NONE,
  newDict,
  newInstance,
  newList,
  newTuple,
  setAttr,
  setField,
  slotIsRef,
  slotRef,
  TRUE,
  tupleSetItem,
  typeIdOf,
  weakref as wrm,
} from "../../core.js";
import { attributeError, PyError, typeError } from "../pyerror.js";
import { finalizeCalled } from "./finalize.js";
import { type ClassRec, CONTAINER_CLASS, type Val, VNONE } from "./records.js";
import type { RunnerState } from "./state.js";
import {
  mappingClear,
  wkdDelitem,
  wkdSetitem,
  wsetAdd,
  wsetClear,
  wsetDiscard,
  wsetPop,
  wvdDelitem,
  wvdSetitem,
} from "./weakcontainers.js";

export function opList(st: RunnerState, name: string, toks: readonly string[]): void {
  const vals = toks.map((t) => st.value(t));
  st.create(name, () => {
    const l = newList(st.e);
    for (const v of vals) listAppend(st.e, l, v.v, v.r);
    return l;
  });
}

export function opTuple(st: RunnerState, name: string, toks: readonly string[]): void {
  const vals = toks.map((t) => st.value(t));
  if (vals.length === 0) {
    // () is a shared singleton: bound, not created, so not labelled.
    st.bind(name, { v: EMPTY_TUPLE, r: true });
    return;
  }
  st.create(name, () => {
    const t = newTuple(st.e, vals.length);
    vals.forEach((v, i) => {
      tupleSetItem(st.e, t, i, v.v, v.r);
    });
    return t;
  });
}

export function opDict(st: RunnerState, name: string, toks: readonly string[]): void {
  const vals = toks.map((t) => st.value(t));
  const d = newDict(st.e);
  try {
    for (let i = 0; i < vals.length; i += 2) {
      const k = vals[i]!;
      const v = vals[i + 1]!;
      st.api(() => dictSetItem(st.e, d, k.v, k.r, v.v, v.r));
    }
  } catch (err) {
    decref(st.e, d);
    throw err;
  }
  st.create(name, () => d);
}

/**
 * The class record of an instance of a scenario class (a subclass of list or dict too: its
 * objects are of that kind), or undefined.
 */
function classOf(st: RunnerState, o: number): ClassRec | undefined {
  return st.classes.get(st.typeNameOf(o));
}

/** Whether `o` is an object with dynamic attributes (ordinary classes and their subclasses of list or dict, weak containers). */
function isDynamic(st: RunnerState, o: number): boolean {
  return st.e.typeAttrsOffset[typeIdOf(st.e, o)]! >= 0;
}

/**
 * The attributes of a weak container's instance (its stand-in holds them: setup.ts,
 * makeContainer). Its Heap API container uses `data` and `_pending_removals` through them, so
 * a scenario may not rebind or delete them (CPython would go on with the new value).
 */
const CONTAINER_ATTRS: ReadonlySet<string> = new Set([
  "data",
  "_remove",
  "_pending_removals",
  "_iterating",
  "_dirty_len",
]);

function checkContainerAttr(st: RunnerState, x: Val, f: string): void {
  if (x.r && st.containers.has(x.v) && CONTAINER_ATTRS.has(f)) {
    throw new Error(`refheap runner: a weak container's ${f} cannot be set or deleted (not modelled)`);
  }
}

export function setattr(st: RunnerState, target: Val, f: string, val: Val): void {
  const x = st.deproxy(target);
  checkContainerAttr(st, x, f);
  // A slot is a data descriptor: it wins over the instance dict (a slots subclass of an
  // ordinary class has both).
  const c = x.r ? classOf(st, x.v) : undefined;
  const i = c?.info.fieldIndex.get(f);
  if (c !== undefined && i !== undefined) {
    setField(st.e, x.v, i, val.v, val.r);
    return;
  }
  if (x.r && isDynamic(st, x.v)) {
    setAttr(st.e, x.v, st.str(f), val.v, val.r);
    return;
  }
  const cls = x.r && st.kind(x.v) === Kind.Type ? scenarioClass(st, x.v) : undefined;
  if (cls !== undefined) {
    classSetAttr(st.e, cls.info.id, st.str(f), val.v, val.r); // type_setattro: C.f = v
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Type) throw new Error("refheap runner: attributes of a private class");
  throw st.m.raise(new PyError("AttributeError", `'${st.tpName(x)}' object has no attribute '${f}'`, "late"));
}

/** The scenario class whose type object `t` is, or undefined (a runner-private class). */
function scenarioClass(st: RunnerState, t: number): ClassRec | undefined {
  return st.classes.get(st.typeNames.get(t) ?? "");
}

export function delattr(st: RunnerState, target: Val, f: string): void {
  const x = st.deproxy(target);
  checkContainerAttr(st, x, f);
  const c = x.r ? classOf(st, x.v) : undefined;
  const i = c?.info.fieldIndex.get(f);
  if (c !== undefined && i !== undefined) {
    const p = fieldItemSlot(st.e, x.v, i);
    if (slotIsRef(st.e, p) && slotRef(st.e, p) === 0) {
      throw st.m.raise(new PyError("AttributeError", f, "late"));
    }
    clearField(st.e, x.v, i);
    return;
  }
  if (x.r && isDynamic(st, x.v)) {
    if (!delAttr(st.e, x.v, st.str(f))) {
      throw st.m.raise(
        new PyError("AttributeError", `'${st.tpName(x)}' object has no attribute '${f}'`, "late"),
      );
    }
    return;
  }
  const cls = x.r && st.kind(x.v) === Kind.Type ? scenarioClass(st, x.v) : undefined;
  if (cls !== undefined) {
    if (classDelAttr(st.e, cls.info.id, f)) return;
    // The class dict's KeyError (its args 1-tuple, made and dropped), then the AttributeError
    // _PyObject_GenericSetAttrWithDict raises in its place.
    st.m.tupleBlip(1);
    throw st.m.raise(
      new PyError("AttributeError", `type object '${cls.decl.name}' has no attribute '${f}'`, "late"),
    );
  }
  throw st.m.raise(new PyError("AttributeError", `'${st.tpName(x)}' object has no attribute '${f}'`, "late"));
}

/** getattr(x, f) (borrowed). */
export function getattr(st: RunnerState, target: Val, f: string): Val {
  const x = st.deproxy(target);
  const c = x.r ? classOf(st, x.v) : undefined;
  const i = c?.info.fieldIndex.get(f);
  if (c !== undefined && i !== undefined) {
    const p = fieldItemSlot(st.e, x.v, i);
    if (!(slotIsRef(st.e, p) && slotRef(st.e, p) === 0)) return st.slotVal(p);
  } else if (x.r && isDynamic(st, x.v)) {
    const p = getAttrSlot(st.e, x.v, st.str(f));
    if (p !== 0) return st.slotVal(p);
  }
  // Then the class's attributes, through its bases (_PyType_Lookup); a field is a data descriptor,
  // so an unset one is an AttributeError, never a class attribute of the same name.
  const cls = !x.r
    ? undefined
    : st.kind(x.v) === Kind.Type
      ? scenarioClass(st, x.v)
      : i === undefined
        ? c
        : undefined;
  if (cls !== undefined) {
    const p = classLookupSlot(st.e, cls.info.id, f);
    if (p !== 0) return st.slotVal(p);
  }
  if (x.r && st.kind(x.v) === Kind.Type) {
    throw st.m.raise(
      new PyError("AttributeError", `type object '${st.fmt(x)}' has no attribute '${f}'`, "early"),
    );
  }
  throw st.m.raise(attributeError(st.tpName(x), f));
}

export function opAppend(st: RunnerState, xTok: string, vTok: string): void {
  const x = st.deproxy(st.lookup(xTok));
  if (!(x.r && st.kind(x.v) === Kind.List)) throw st.noMethod(x, "append");
  const v = st.value(vTok);
  listAppend(st.e, x.v, v.v, v.r);
}

/** A list index from a key value: TypeError for a non-int, IndexError out of range. */
function listIndex(st: RunnerState, l: number, k: Val): number {
  let i: number;
  if (!k.r) i = k.v;
  else if (k.v === TRUE) i = 1;
  else if (k.v === FALSE) i = 0;
  else {
    throw st.m.raise(typeError(`list indices must be integers or slices, not ${st.tpName(k)}`));
  }
  const n = listSize(st.e, l);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) {
    throw st.m.raise(new PyError("IndexError", "list assignment index out of range", "late"));
  }
  return j;
}

export function opSetitem(st: RunnerState, xTok: string, kTok: string, vTok: string): void {
  const v = st.value(vTok);
  const x0 = st.lookup(xTok);
  const k = st.value(kTok);
  const x = st.deproxy(x0);
  const c = st.container(x);
  if (c !== undefined && c.kind !== "wset") {
    if (c.kind === "wvd") wvdSetitem(st, c, k, v);
    else wkdSetitem(st, c, k, v);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.List) {
    listSetItem(st.e, x.v, listIndex(st, x.v, k), v.v, v.r);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict) {
    st.api(() => dictSetItem(st.e, x.v, k.v, k.r, v.v, v.r));
    return;
  }
  throw st.m.raise(typeError(`'${st.tpName(x)}' object does not support item assignment`));
}

export function opDelitem(st: RunnerState, xTok: string, kTok: string): void {
  const x0 = st.lookup(xTok);
  const k = st.value(kTok);
  const x = st.deproxy(x0);
  const c = st.container(x);
  if (c !== undefined && c.kind !== "wset") {
    if (c.kind === "wvd") wvdDelitem(st, c, k);
    else wkdDelitem(st, c, k);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.List) {
    listDelItem(st.e, x.v, listIndex(st, x.v, k));
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict) {
    const found = st.api(() => dictDelItem(st.e, x.v, k.v, k.r));
    if (!found) throw st.m.raise(new PyError("KeyError", st.fmt(k), "key"));
    return;
  }
  throw st.m.raise(typeError(`'${st.tpName(x)}' object doesn't support item deletion`));
}

export function opPop(st: RunnerState, x0: Val): void {
  const x = st.deproxy(x0);
  const c = st.container(x);
  if (x.r && st.kind(x.v) === Kind.List) {
    if (listSize(st.e, x.v) === 0) {
      throw st.m.raise(new PyError("IndexError", "pop from empty list", "late"));
    }
    listDelItem(st.e, x.v, -1);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict)
    throw st.m.raise(typeError("pop expected at least 1 argument, got 0"));
  if (c !== undefined && c.kind !== "wset") {
    // the call's argument check lists the missing names in a list (ceval's missing_arguments)
    st.m.free(st.m.list());
    throw st.m.raise(
      typeError(`${CONTAINER_CLASS[c.kind]}.pop() missing 1 required positional argument: 'key'`),
    );
  }
  if (c !== undefined) {
    wsetPop(st, c);
    return;
  }
  throw st.noMethod(x, "pop");
}

export function opClear(st: RunnerState, x0: Val): void {
  const x = st.deproxy(x0);
  const c = st.container(x);
  if (c !== undefined) {
    if (c.kind === "wset") wsetClear(st, c);
    else mappingClear(st, c);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.List) {
    listClear(st.e, x.v);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict) {
    dictClear(st.e, x.v);
    return;
  }
  throw st.noMethod(x, "clear");
}

export function opSetMethod(st: RunnerState, method: "add" | "discard", xTok: string, vTok: string): void {
  const x = st.deproxy(st.lookup(xTok));
  const c = st.container(x);
  if (c === undefined || c.kind !== "wset") throw st.noMethod(x, method);
  const v = st.value(vTok);
  if (method === "add") wsetAdd(st, c, v);
  else wsetDiscard(st, c, v);
}

/**
 * `x()` for the values a scenario can call: a class makes an instance (type_call: no argument
 * tuple), a weakref returns its referent (or None), a finalize object runs (returns None).
 * Returns a new reference.
 */
export function call(st: RunnerState, x: Val): Val {
  const e = st.e;
  if (x.r) {
    const kind = st.kind(x.v);
    if (kind === Kind.Type) {
      const cls = scenarioClass(st, x.v);
      if (cls !== undefined) return { v: newInstance(e, cls.info.id), r: true };
    } else if (kind === Kind.Weakref && st.typeNameOf(x.v) === "WeakMethod") {
      // WeakMethod.__call__: a new bound method while the instance and the function live
      return { v: wrm.weakMethodGet(e, x.v, st.inFrame), r: true };
    } else if (kind === Kind.Weakref) {
      const o = wrm.weakrefGet(e, x.v);
      incref(e, o);
      return { v: o, r: true };
    } else if (kind === Kind.Instance && typeIdOf(e, x.v) === st.finalizeType) {
      finalizeCalled(st, x.v, true);
      incref(e, NONE);
      return VNONE;
    }
  }
  throw st.m.raise(typeError(`'${st.tpName(x)}' object is not callable`));
}

/**
 * `X = Y`: LOAD_NAME pushes Y (a reference of the frame's stack) and STORE_NAME stores it, then
 * drops the stack's reference. The old value of X is released inside the store, while the stack
 * still holds Y: a collection its finalizer runs sees that reference from outside the heap.
 */
export function opLet(st: RunnerState, xTok: string, yTok: string): void {
  const v = st.value(yTok);
  if (v.r) incref(st.e, v.v);
  st.bindOwned(xTok, v);
}

/** `_r = F(); log; _r = None`. */
export function opCall(st: RunnerState, fTok: string): void {
  const r = call(st, st.lookup(fTok));
  st.emit(`call ${fTok} ${st.fmt(r)}`);
  st.release(r);
}

/**
 * `_t = C(); _lab(_t, X); X = _t` (C is whatever the name is bound to); with a referent Y,
 * `_t = R(Y)` for a subclass of ref R (weakref___new__; the call's 1-tuple of arguments lives
 * while the weakref is made).
 */
export function opNew(st: RunnerState, xTok: string, cTok: string, yTok?: string): void {
  let r: Val;
  if (yTok === undefined) {
    r = call(st, st.lookup(cTok));
  } else {
    const c = st.lookup(cTok);
    const cls = c.r && st.kind(c.v) === Kind.Type ? scenarioClass(st, c.v) : undefined;
    if (cls === undefined || cls.info.kind !== Kind.Weakref) {
      throw new Error(`refheap runner: ${cTok} is not bound to a subclass of ref`);
    }
    const y = st.lookup(yTok);
    const t = st.m.tuple(1);
    try {
      if (!y.r || !wrm.isWeakrefable(st.e, y.v)) {
        throw st.m.raise(typeError(`cannot create weak reference to '${st.tpName(y)}' object`));
      }
      r = { v: wrm.newRef(st.e, y.v, null, cls.info.id), r: true };
    } finally {
      st.m.free(t);
    }
  }
  if (r.r) st.labels.set(r.v, xTok);
  st.bindOwned(xTok, r);
}
