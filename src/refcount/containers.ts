/**
 * Mutating containers and instances. These take and release references, so they live above
 * the object layer: every store increfs the new value first and releases the old one last (so a
 * finalizer triggered by the release sees the container already updated, as in CPython).
 *
 * Values are passed as `(v, isRef)`: `isRef` true means `v` is an object address, false means
 * `v` is a number stored inline. Functions never steal references: the caller keeps its own.
 */
import { free, read32, write32 } from "../memory/index.js";
import {
  attrsTable,
  checkKind,
  checkObject,
  copySlot,
  DICT_KEYS_GENERAL,
  DICT_KEYS_KIND,
  DICT_KEYS_STR,
  DICT_TABLE,
  describe,
  dictTable,
  E_KEY,
  E_VALUE,
  FALSE,
  FieldKind,
  fieldSlot,
  gcTrack,
  increfRaw,
  isTracked,
  Kind,
  keyHash,
  listItems,
  listResize,
  listSize,
  listSlot,
  NONE,
  objectMayBeTracked,
  SLOT_SIZE,
  setAttrsTable,
  setDictTable,
  setSlot,
  setSlotNull,
  setSlotNumber,
  setSlotRef,
  slotRefOrZero,
  TRUE,
  tableAppend,
  tableDelete,
  tableEntry,
  tableIsFull,
  tableLookup,
  tableNEntries,
  tableNew,
  tableResize,
  tupleSize,
  tupleSlot,
  typeIdOf,
  typeInfo,
} from "../object/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import type { RefcountHeap } from "./heap.js";
import { decref } from "./refcount.js";

/** Checked heaps: throws unless (v, isRef) is a number or a live object. */
function checkValue(h: RefcountHeap, v: number, isRef: boolean, op: string): void {
  if (isRef) checkObject(h, v, op);
  else if (typeof v !== "number") throw new HeapTypeError(`${op}: a value must be a number or an object`);
}

/** Increfs a value being stored, validating it in checked mode. */
function take(h: RefcountHeap, v: number, isRef: boolean, op: string): void {
  if (h.checked) checkValue(h, v, isRef, op);
  if (isRef) increfRaw(h, v);
}

/**
 * Stores a value into a slot that may hold one already: takes a reference to the new value,
 * overwrites, and only then releases the old one, so a finalizer run by that release sees the
 * container already updated (as CPython's setters do).
 */
function replaceSlot(h: RefcountHeap, p: number, v: number, isRef: boolean, op: string): void {
  take(h, v, isRef, op);
  const old = slotRefOrZero(h, p);
  setSlot(h, p, v, isRef);
  if (old !== 0) decref(h, old);
}

// --- list ---

/** Appends a value to a list. */
export function listAppend(h: RefcountHeap, l: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkKind(h, l, Kind.List, "a list", "listAppend");
    checkValue(h, v, isRef, "listAppend"); // validate first: a bad value must not grow the list
  }
  const n = listSize(h, l);
  listResize(h, l, n + 1); // may throw, before any reference is taken
  const p = listItems(h, l) + SLOT_SIZE * n;
  if (isRef) {
    increfRaw(h, v);
    setSlotRef(h, p, v);
  } else {
    setSlotNumber(h, p, v);
  }
}

/**
 * Appends an object and takes over the caller's reference to it (CPython's LIST_APPEND and
 * PyList_SET_ITEM convention: the reference is "stolen"). Use it for a freshly created object
 * the list should own: it saves an incref/decref pair. Throws, still owning nothing, if the list
 * cannot grow (the caller keeps its reference).
 */
export function listAppendSteal(h: RefcountHeap, l: number, o: number): void {
  if (h.checked) {
    checkKind(h, l, Kind.List, "a list", "listAppendSteal");
    checkObject(h, o, "listAppendSteal");
  }
  const n = listSize(h, l);
  listResize(h, l, n + 1);
  setSlotRef(h, listItems(h, l) + SLOT_SIZE * n, o);
}

function listIndex(h: RefcountHeap, l: number, i: number, op: string): number {
  const n = listSize(h, l);
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n) || !Number.isInteger(j)) {
    throw new HeapValueError(`${op}: list index ${i} out of range for a list of length ${n}`);
  }
  return j;
}

/** Address of a list item's slot, bounds-checked (negative indexes count from the end). */
export function listItemSlot(h: RefcountHeap, l: number, i: number): number {
  if (h.checked) checkKind(h, l, Kind.List, "a list", "listItem");
  return listSlot(h, l, listIndex(h, l, i, "listItem"));
}

/** Replaces a list item (list[i] = v). */
export function listSetItem(h: RefcountHeap, l: number, i: number, v: number, isRef: boolean): void {
  if (h.checked) checkKind(h, l, Kind.List, "a list", "listSetItem");
  replaceSlot(h, listSlot(h, l, listIndex(h, l, i, "listSetItem")), v, isRef, "listSetItem");
}

/** Removes item i (del list[i]), shifting the rest down. */
export function listDelItem(h: RefcountHeap, l: number, i: number): void {
  if (h.checked) checkKind(h, l, Kind.List, "a list", "listDelItem");
  const n = listSize(h, l);
  const j = listIndex(h, l, i, "listDelItem");
  const old = slotRefOrZero(h, listSlot(h, l, j));
  for (let k = j; k < n - 1; k++) copySlot(h, listSlot(h, l, k), listSlot(h, l, k + 1));
  listResize(h, l, n - 1);
  if (old !== 0) decref(h, old);
}

/** Removes every item (list.clear()): the items are released last to first after emptying. */
export function listClear(h: RefcountHeap, l: number): void {
  if (h.checked) checkKind(h, l, Kind.List, "a list", "listClear");
  const n = listSize(h, l);
  if (n === 0) return;
  const items = listItems(h, l);
  const old: number[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const r = slotRefOrZero(h, items + SLOT_SIZE * i);
    if (r !== 0) old.push(r);
  }
  // Detach the storage first (CPython's _list_clear), then release.
  listResize(h, l, 0);
  for (const r of old) decref(h, r);
}

// --- tuple ---

/** Sets item i of a tuple that is being filled (its old item, if any, is released). */
export function tupleSetItem(h: RefcountHeap, t: number, i: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkKind(h, t, Kind.Tuple, "a tuple", "tupleSetItem");
    if (!(i >= 0 && i < tupleSize(h, t))) throw new HeapValueError(`tupleSetItem: index ${i} out of range`);
  }
  replaceSlot(h, tupleSlot(t, i), v, isRef, "tupleSetItem");
}

/** Address of a tuple item's slot, bounds-checked. */
export function tupleItemSlot(h: RefcountHeap, t: number, i: number): number {
  if (h.checked) checkKind(h, t, Kind.Tuple, "a tuple", "tupleItem");
  const n = tupleSize(h, t);
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n))
    throw new HeapValueError(`tupleItem: tuple index ${i} out of range for length ${n}`);
  return tupleSlot(t, j);
}

// --- dict and attribute tables ---

/** CPython's _PyObject_GC_MAY_BE_TRACKED for a value given as (v, isRef). */
function mayBeTracked(h: RefcountHeap, v: number, isRef: boolean): boolean {
  return isRef && objectMayBeTracked(h, v);
}

/** Stores key → value in the table at `t` (0 = none yet); returns the table (maybe reallocated). */
function tableSet(
  h: RefcountHeap,
  t: number,
  k: number,
  kIsRef: boolean,
  v: number,
  vIsRef: boolean,
  op: string,
): number {
  // Validate everything before the first change: a resize frees the old table.
  if (h.checked) {
    checkValue(h, k, kIsRef, op);
    checkValue(h, v, vIsRef, op);
  }
  const hash = keyHash(h, k, kIsRef);
  if (t !== 0) {
    const ix = tableLookup(h, t, k, kIsRef, hash);
    if (ix >= 0) {
      replaceSlot(h, tableEntry(h, t, ix) + E_VALUE, v, vIsRef, op);
      return t;
    }
  }
  // A new entry: make room first, so that a failed allocation changes nothing.
  const nt = t === 0 ? tableNew(h, 1) : tableIsFull(h, t) ? tableResize(h, t) : t;
  if (kIsRef) increfRaw(h, k);
  if (vIsRef) increfRaw(h, v);
  const e = tableAppend(h, nt, hash);
  setSlot(h, e + E_KEY, k, kIsRef);
  setSlot(h, e + E_VALUE, v, vIsRef);
  return nt;
}

/** Address of the value slot for `k` in table `t`, or 0. */
function tableGet(h: RefcountHeap, t: number, k: number, kIsRef: boolean): number {
  if (t === 0) return 0;
  const ix = tableLookup(h, t, k, kIsRef, keyHash(h, k, kIsRef));
  return ix < 0 ? 0 : tableEntry(h, t, ix) + E_VALUE;
}

/** Removes `k` from table `t`; returns false if absent. Releases key then value. */
function tableDel(h: RefcountHeap, t: number, k: number, kIsRef: boolean): boolean {
  if (t === 0) return false;
  const hash = keyHash(h, k, kIsRef);
  const ix = tableLookup(h, t, k, kIsRef, hash);
  if (ix < 0) return false;
  const e = tableEntry(h, t, ix);
  const oldK = slotRefOrZero(h, e + E_KEY);
  const oldV = slotRefOrZero(h, e + E_VALUE);
  tableDelete(h, t, ix, hash);
  if (oldK !== 0) decref(h, oldK);
  if (oldV !== 0) decref(h, oldV);
  return true;
}

/** d[k] = v. Tracks an untracked dict when the key or value may be tracked (MAINTAIN_TRACKING). */
export function dictSetItem(
  h: RefcountHeap,
  d: number,
  k: number,
  kIsRef: boolean,
  v: number,
  vIsRef: boolean,
): void {
  if (h.checked) checkKind(h, d, Kind.Dict, "a dict", "dictSetItem");
  const t = dictTable(h, d);
  const nt = tableSet(h, t, k, kIsRef, v, vIsRef, "dictSetItem");
  if (nt !== t) setDictTable(h, d, nt);
  if (!kIsRef || h.typeKind[typeIdOf(h, k)] !== Kind.Str) write32(h, d + DICT_KEYS_KIND, DICT_KEYS_GENERAL);
  if (!isTracked(h, d) && (mayBeTracked(h, k, kIsRef) || mayBeTracked(h, v, vIsRef))) gcTrack(h, d);
}

/** Address of the value slot for d[k], or 0 when the key is absent. */
export function dictGetSlot(h: RefcountHeap, d: number, k: number, kIsRef: boolean): number {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictGet");
    if (kIsRef) checkObject(h, k, "dictGet");
  }
  return tableGet(h, dictTable(h, d), k, kIsRef);
}

/** del d[k]; returns false if the key was absent. */
export function dictDelItem(h: RefcountHeap, d: number, k: number, kIsRef: boolean): boolean {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictDelItem");
    if (kIsRef) checkObject(h, k, "dictDelItem");
  }
  return tableDel(h, dictTable(h, d), k, kIsRef);
}

/** d.clear(): detaches the table, then releases its entries in order. */
export function dictClear(h: RefcountHeap, d: number): void {
  if (h.checked) checkKind(h, d, Kind.Dict, "a dict", "dictClear");
  const t = read32(h, d + DICT_TABLE);
  if (t === 0) return;
  setDictTable(h, d, 0);
  write32(h, d + DICT_KEYS_KIND, DICT_KEYS_STR);
  releaseDetachedTable(h, t);
}

function releaseDetachedTable(h: RefcountHeap, t: number): void {
  const keys: number[] = [];
  const n = tableNEntries(h, t);
  for (let i = 0; i < n; i++) {
    const e = tableEntry(h, t, i);
    keys.push(slotRefOrZero(h, e + E_KEY), slotRefOrZero(h, e + E_VALUE));
    setSlotNull(h, e + E_KEY);
    setSlotNull(h, e + E_VALUE);
  }
  free(h, t);
  for (const r of keys) if (r !== 0) decref(h, r);
}

// --- instances ---

function fieldIndex(h: RefcountHeap, o: number, i: number, op: string): void {
  checkKind(h, o, Kind.Instance, "an instance", op);
  const info = typeInfo(h, typeIdOf(h, o));
  if (!(i >= 0 && i < info.fields.length)) {
    throw new HeapValueError(`${op}: ${info.name} has ${info.fields.length} fields; there is no field ${i}`);
  }
}

function checkFieldValue(h: RefcountHeap, o: number, i: number, v: number, isRef: boolean): void {
  const info = typeInfo(h, typeIdOf(h, o));
  const f = info.fields[i]!;
  const ok =
    f.kind === FieldKind.Any ||
    ((f.kind === FieldKind.Number || f.kind === FieldKind.Host) && !isRef) ||
    (f.kind === FieldKind.Ref && isRef) ||
    (f.kind === FieldKind.Bool && isRef && (v === TRUE || v === FALSE)) ||
    (f.kind === FieldKind.Str && isRef && (v === NONE || h.typeKind[typeIdOf(h, v)] === Kind.Str));
  if (!ok) {
    const got = isRef ? describe(h, v) : `the number ${v}`;
    throw new HeapTypeError(`field '${f.name}' of ${info.name} holds ${f.kind} values; got ${got}`);
  }
}

/** o.field[i] = v (the field's declared kind is enforced on checked heaps). */
export function setField(h: RefcountHeap, o: number, i: number, v: number, isRef: boolean): void {
  if (h.checked) {
    fieldIndex(h, o, i, "setField");
    if (isRef) checkObject(h, v, "setField");
    checkFieldValue(h, o, i, v, isRef);
  }
  replaceSlot(h, fieldSlot(h, o, i), v, isRef, "setField");
}

/** Address of field i's slot. */
export function fieldItemSlot(h: RefcountHeap, o: number, i: number): number {
  if (h.checked) fieldIndex(h, o, i, "getField");
  return fieldSlot(h, o, i);
}

/** Clears field i (del o.field): releases what it held. */
export function clearField(h: RefcountHeap, o: number, i: number): void {
  if (h.checked) fieldIndex(h, o, i, "clearField");
  const p = fieldSlot(h, o, i);
  const old = slotRefOrZero(h, p);
  setSlotNull(h, p);
  if (old !== 0) decref(h, old);
}

function checkDynamic(h: RefcountHeap, o: number, op: string): void {
  checkKind(h, o, Kind.Instance, "an instance", op);
  const info = typeInfo(h, typeIdOf(h, o));
  if (!info.dynamic)
    throw new HeapTypeError(
      `${op}: ${info.name} instances have no attribute table (declare the class dynamic)`,
    );
}

/** setattr(o, name, v) for a dynamic class; `name` is a str object. */
export function setAttr(h: RefcountHeap, o: number, name: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkDynamic(h, o, "setAttr");
    checkKind(h, name, Kind.Str, "a str name", "setAttr");
  }
  const t = attrsTable(h, o);
  const nt = tableSet(h, t, name, true, v, isRef, "setAttr");
  if (nt !== t) setAttrsTable(h, o, nt);
}

/** Address of attribute `name`'s value slot, or 0. */
export function getAttrSlot(h: RefcountHeap, o: number, name: number): number {
  if (h.checked) checkDynamic(h, o, "getAttr");
  return tableGet(h, attrsTable(h, o), name, true);
}

/** delattr(o, name); returns false if absent. */
export function delAttr(h: RefcountHeap, o: number, name: number): boolean {
  if (h.checked) checkDynamic(h, o, "delAttr");
  return tableDel(h, attrsTable(h, o), name, true);
}
