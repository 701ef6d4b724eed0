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
  attrsIsDict,
  attrsWord,
  checkKind,
  checkObject,
  copySlot,
  DICT_KEYS_GENERAL,
  DICT_KEYS_KIND,
  DICT_KEYS_KIND_MASK,
  DICT_KEYS_SPLIT,
  DICT_KEYS_STR,
  DICT_TABLE,
  describe,
  dictLookupStringFast,
  dictTable,
  E_INDEX,
  E_KEY,
  E_VALUE,
  FALSE,
  FIRST_USER_TYPE,
  FieldKind,
  fieldSlot,
  gcTrack,
  hashString,
  increfRaw,
  isTracked,
  itemSlot,
  itemsCount,
  Kind,
  keyHash,
  listAppendRefFast,
  listAppendStealFast,
  listItems,
  listResize,
  listSize,
  listSlot,
  NONE,
  newDict,
  objectMayBeTracked,
  refcnt,
  SHARED_KEYS_MAX_SIZE,
  SLOT_SIZE,
  setAttrsWord,
  setDictTable,
  setSlot,
  setSlotNull,
  setSlotNumber,
  setSlotRef,
  sharedKeyIndex,
  sharedKeyIs,
  sharedKeyLookup,
  sharedKeyLookupString,
  sharedKeyStr,
  slotIsNull,
  slotIsRef,
  slotNumber,
  slotRef,
  slotRefOrZero,
  splitKeysClass,
  splitKeysKind,
  splitTableOrdered,
  splitTableSorted,
  strHash,
  TRUE,
  type TypeInfo,
  tableAppend,
  tableDelete,
  tableEntry,
  tableIsFull,
  tableLookup,
  tableLookupString,
  tableNEntries,
  tableNew,
  tableResize,
  tableUsed,
  tupleSize,
  tupleSlot,
  typeIdOf,
  typeInfo,
  valuesAddOrder,
  valuesCapacity,
  valuesCount,
  valuesGrow,
  valuesOrderAt,
  valuesRemoveOrder,
  valuesSlot,
} from "../object/index.js";
import { HeapTypeError, HeapValueError, hex } from "../util/index.js";
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
  } else if (isRef && listAppendRefFast(h, l, v)) {
    return;
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
  // The append's fast path serves every unchecked heap, the tests' reference heaps (fastPaths off)
  // too: a test of `h.fastPaths` here cost W1's build 0.7 ns per object in alternating pairs, and
  // test/object/list-append.test.ts checks the fast path against listResize and setSlotRef.
  if (h.checked) {
    checkKind(h, l, Kind.List, "a list", "listAppendSteal");
    checkObject(h, o, "listAppendSteal");
  } else if (listAppendStealFast(h, l, o)) {
    return;
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

/**
 * Sets item i of a tuple that is being filled (its old item, if any, is released). As CPython's
 * PyTuple_SetItem, only while the caller holds the only reference (refcount 1): a tuple that is
 * shared is immutable, and filling one could close a cycle of tuples, which have no tp_clear, so
 * the collector could find it every time and never free it. Checked heaps enforce both.
 */
export function tupleSetItem(h: RefcountHeap, t: number, i: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkKind(h, t, Kind.Tuple, "a tuple", "tupleSetItem");
    checkIndex(i, tupleSize(h, t), "tupleSetItem");
    if (refcnt(h, t) !== 1) {
      throw new HeapValueError(
        `tupleSetItem: the tuple at ${hex(t)} is shared (refcount ${refcnt(h, t)}): a tuple may be filled only while its creator holds the only reference (PyTuple_SetItem)`,
      );
    }
  }
  replaceSlot(h, tupleSlot(t, i), v, isRef, "tupleSetItem");
}

/** Checked heaps: `i` must be an integer index in 0..n-1 (INVALID_ARGUMENT otherwise). */
function checkIndex(i: unknown, n: number, op: string): void {
  if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= n) {
    throw new HeapValueError(`${op}: index ${String(i)} is not an integer in 0..${n - 1}`);
  }
}

/** Address of a tuple item's slot, bounds-checked. */
export function tupleItemSlot(h: RefcountHeap, t: number, i: number): number {
  if (h.checked) checkKind(h, t, Kind.Tuple, "a tuple", "tupleItem");
  const n = tupleSize(h, t);
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n) || !Number.isInteger(j))
    throw new HeapValueError(`tupleItem: tuple index ${i} out of range for length ${n}`);
  return tupleSlot(t, j);
}

// --- dict tables ---

/** CPython's _PyObject_GC_MAY_BE_TRACKED for a value given as (v, isRef). */
function mayBeTracked(h: RefcountHeap, v: number, isRef: boolean): boolean {
  return isRef && objectMayBeTracked(h, v);
}

/**
 * Appends key → value to table `t` (0 = none yet), where the key is known to be absent, with
 * shared-key index `index` (split tables; −1 in others). Makes room first, so a failed allocation
 * changes nothing. Returns the table (maybe reallocated).
 */
function tableAdd(
  h: RefcountHeap,
  t: number,
  hash: number,
  k: number,
  kIsRef: boolean,
  v: number,
  vIsRef: boolean,
  index: number,
): number {
  const nt = t === 0 ? tableNew(h, 1) : tableIsFull(h, t) ? tableResize(h, t) : t;
  if (kIsRef) increfRaw(h, k);
  if (vIsRef) increfRaw(h, v);
  const e = tableAppend(h, nt, hash);
  write32(h, e + E_INDEX, index);
  setSlot(h, e + E_KEY, k, kIsRef);
  setSlot(h, e + E_VALUE, v, vIsRef);
  return nt;
}

/**
 * Stores key → value in dict `d`'s table (`t`, 0 = none yet). A new key is added (the table maybe
 * reallocated, and `d` given the new one at once); an existing key's value is replaced, and the
 * release of the old value may run code that changes `d` (even its table), so nothing is written
 * to `d` after it.
 * `split` is the class id of a split dict's shared keys (0 for any other table): while a key
 * the class shares is added, the entry records its index; any other new key first makes the
 * dict combined (its keys-kind word str), as CPython's insertion_resize does.
 */
function tableSet(
  h: RefcountHeap,
  d: number,
  t: number,
  k: number,
  kIsRef: boolean,
  v: number,
  vIsRef: boolean,
  split: number,
  op: string,
): void {
  // Validate everything before the first change: a resize frees the old table.
  if (h.checked) {
    checkValue(h, k, kIsRef, op);
    checkValue(h, v, vIsRef, op);
  }
  const hash = keyHash(h, k, kIsRef);
  if (t !== 0) {
    const ix = tableLookup(h, d, k, kIsRef, hash);
    t = dictTable(h, d); // a user kind's eq hook may have changed it
    if (ix >= 0) {
      replaceSlot(h, tableEntry(h, t, ix) + E_VALUE, v, vIsRef, op);
      return;
    }
  }
  let index = -1;
  if (split !== 0) {
    if (kIsRef && h.typeKind[typeIdOf(h, k)] === Kind.Str) index = sharedKeyLookup(h, split, k);
    if (index < 0) write32(h, d + DICT_KEYS_KIND, DICT_KEYS_STR);
  }
  // No user code runs between the lookup's last read of the table and this store.
  setDictTable(h, d, tableAdd(h, t, hash, k, kIsRef, v, vIsRef, index));
}

/**
 * Address of the value slot for `k` in dict `d`, or 0. The key is hashed first, even for an empty
 * dict, as dict_subscript and PyDict_Contains do: an unhashable key is a TypeError there too.
 */
function tableGet(h: RefcountHeap, d: number, k: number, kIsRef: boolean): number {
  const hash = keyHash(h, k, kIsRef);
  if (dictTable(h, d) === 0) return 0;
  const ix = tableLookup(h, d, k, kIsRef, hash);
  return ix < 0 ? 0 : tableEntry(h, dictTable(h, d), ix) + E_VALUE;
}

/** Removes `k` from dict `d`; returns false if absent. Releases key then value. Hashes first (PyDict_DelItem). */
function tableDel(h: RefcountHeap, d: number, k: number, kIsRef: boolean): boolean {
  const hash = keyHash(h, k, kIsRef);
  if (dictTable(h, d) === 0) return false;
  const ix = tableLookup(h, d, k, kIsRef, hash);
  return tableDelAt(h, dictTable(h, d), ix, hash);
}

/** Removes entry `ix` (found with `hash`; -1: absent, returns false), releasing key then value. */
function tableDelAt(h: RefcountHeap, t: number, ix: number, hash: number): boolean {
  if (ix < 0) return false;
  const e = tableEntry(h, t, ix);
  const oldK = slotRefOrZero(h, e + E_KEY);
  const oldV = slotRefOrZero(h, e + E_VALUE);
  tableDelete(h, t, ix, hash);
  if (oldK !== 0) decref(h, oldK);
  if (oldV !== 0) decref(h, oldV);
  return true;
}

/** The entry number of str key `s` (a JS string) in table `t` (0: none), or -1. Never allocates. */
function tableFindString(h: RefcountHeap, t: number, s: string): number {
  return t === 0 ? -1 : tableLookupString(h, t, s, hashString(s));
}

/** Checked heaps: `s` must be a JS string (a key or attribute name given by value). */
function checkString(s: unknown, op: string): void {
  if (typeof s !== "string") throw new HeapTypeError(`${op}: the key must be a string; got a ${typeof s}`);
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
  const kinds = read32(h, d + DICT_KEYS_KIND);
  const split = (kinds & DICT_KEYS_KIND_MASK) === DICT_KEYS_SPLIT ? splitKeysClass(kinds) : 0;
  tableSet(h, d, t, k, kIsRef, v, vIsRef, split, "dictSetItem");
  if (!kIsRef || h.typeKind[typeIdOf(h, k)] !== Kind.Str) write32(h, d + DICT_KEYS_KIND, DICT_KEYS_GENERAL);
  if (!isTracked(h, d) && (mayBeTracked(h, k, kIsRef) || mayBeTracked(h, v, vIsRef))) gcTrack(h, d);
}

/** Address of the value slot for d[k], or 0 when the key is absent. */
export function dictGetSlot(h: RefcountHeap, d: number, k: number, kIsRef: boolean): number {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictGet");
    if (kIsRef) checkObject(h, k, "dictGet");
  }
  return tableGet(h, d, k, kIsRef);
}

/**
 * Address of the value slot for d[s], where `s` is a JS string standing for a str key, or 0 when
 * absent. Unlike dictGetSlot with a new str, it allocates nothing: it works on a full heap.
 */
export function dictGetSlotString(h: RefcountHeap, d: number, s: string): number {
  if (h.fastPaths) return dictLookupStringFast(h, d, s);
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictGetString");
    checkString(s, "dictGetString");
  }
  const t = dictTable(h, d);
  const ix = tableFindString(h, t, s);
  return ix < 0 ? 0 : tableEntry(h, t, ix) + E_VALUE;
}

/** del d[s] for a str key given as the JS string `s`; false if absent. Allocates nothing. */
export function dictDelItemString(h: RefcountHeap, d: number, s: string): boolean {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictDelItemString");
    checkString(s, "dictDelItemString");
  }
  const t = dictTable(h, d);
  return tableDelAt(h, t, tableFindString(h, t, s), hashString(s));
}

/** del d[k]; returns false if the key was absent. */
export function dictDelItem(h: RefcountHeap, d: number, k: number, kIsRef: boolean): boolean {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictDelItem");
    if (kIsRef) checkObject(h, k, "dictDelItem");
  }
  return tableDel(h, d, k, kIsRef);
}

/**
 * d.pop(k) with one lookup, as _PyDict_Pop does (a user kind's eq hook runs once): null when the
 * key is absent; otherwise the entry is removed, the key's reference released, and the value's
 * handed to the caller as [v, isRef].
 */
export function dictPop(h: RefcountHeap, d: number, k: number, kIsRef: boolean): [number, boolean] | null {
  if (h.checked) {
    checkKind(h, d, Kind.Dict, "a dict", "dictPop");
    if (kIsRef) checkObject(h, k, "dictPop");
  }
  // _PyDict_Pop answers for an empty dict before it hashes the key.
  const t0 = dictTable(h, d);
  if (t0 === 0 || tableUsed(h, t0) === 0) return null;
  const hash = keyHash(h, k, kIsRef);
  const ix = tableLookup(h, d, k, kIsRef, hash);
  if (ix < 0) return null;
  const t = dictTable(h, d);
  const e = tableEntry(h, t, ix);
  const oldK = slotRefOrZero(h, e + E_KEY);
  const vIsRef = slotIsRef(h, e + E_VALUE);
  const v = vIsRef ? slotRef(h, e + E_VALUE) : slotNumber(h, e + E_VALUE);
  tableDelete(h, t, ix, hash);
  if (oldK !== 0) decref(h, oldK);
  return [v, vIsRef];
}

/**
 * d.clear(): detaches the table, then releases its entries in order (a split dict's in
 * shared-key order, as PyDict_Clear releases a values array). The dict is combined afterwards.
 */
export function dictClear(h: RefcountHeap, d: number): void {
  if (h.checked) checkKind(h, d, Kind.Dict, "a dict", "dictClear");
  const t = read32(h, d + DICT_TABLE);
  const split = (read32(h, d + DICT_KEYS_KIND) & DICT_KEYS_KIND_MASK) === DICT_KEYS_SPLIT;
  write32(h, d + DICT_KEYS_KIND, DICT_KEYS_STR);
  if (t === 0) return;
  setDictTable(h, d, 0);
  releaseDetachedTable(h, t, split);
}

function releaseDetachedTable(h: RefcountHeap, t: number, split: boolean): void {
  const refs: number[] = [];
  if (split && !splitTableOrdered(h, t)) {
    const order = new Int32Array(SHARED_KEYS_MAX_SIZE);
    const m = splitTableSorted(h, t, order);
    for (let i = 0; i < m; i++)
      refs.push(slotRefOrZero(h, order[i]! + E_KEY), slotRefOrZero(h, order[i]! + E_VALUE));
  } else {
    const n = tableNEntries(h, t);
    for (let i = 0; i < n; i++) {
      const e = tableEntry(h, t, i);
      refs.push(slotRefOrZero(h, e + E_KEY), slotRefOrZero(h, e + E_VALUE));
    }
  }
  free(h, t);
  for (const r of refs) if (r !== 0) decref(h, r);
}

// --- instances ---

/**
 * Checked heaps: `o` is an object of a class or user kind (an instance, or an instance of a user's
 * subclass of ref, list or dict).
 */
function checkInstanceLike(h: RefcountHeap, o: number, op: string): void {
  checkObject(h, o, op);
  const id = typeIdOf(h, o);
  if (h.typeKind[id] === Kind.Instance || id >= FIRST_USER_TYPE) return;
  throw new HeapTypeError(`${op} expects an instance, got ${describe(h, o)}`);
}

function fieldIndex(h: RefcountHeap, o: number, i: number, op: string): void {
  checkInstanceLike(h, o, op);
  const info = typeInfo(h, typeIdOf(h, o));
  if (!(typeof i === "number" && Number.isInteger(i) && i >= 0 && i < info.fields.length)) {
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

// --- user kinds: items and data words ---

function checkUserKind(h: RefcountHeap, o: number, op: string, what: "items" | "data"): TypeInfo {
  checkKind(h, o, Kind.Instance, "an object of a user kind", op);
  const info = typeInfo(h, typeIdOf(h, o));
  if (what === "items" ? !info.items : info.data.length === 0) {
    throw new HeapTypeError(
      `${op}: ${info.name} objects have no ${what === "items" ? "variable-size part (define the kind with items: true)" : "data words (define the kind with data: [...])"}`,
    );
  }
  return info;
}

/** The length of a user kind's variable-size part (Py_SIZE); 0 for other objects. */
export function objectSize(h: RefcountHeap, o: number): number {
  if (h.checked) checkObject(h, o, "objectSize");
  return itemsCount(h, o);
}

/** Address of item i's slot of a user kind's variable-size part (negative i counts from the end). */
export function objectItemSlot(h: RefcountHeap, o: number, i: number): number {
  if (h.checked) checkUserKind(h, o, "objectItem", "items");
  const n = itemsCount(h, o);
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n) || !Number.isInteger(j))
    throw new HeapValueError(`objectItem: index ${i} out of range for ${n} items`);
  return itemSlot(h, o, j);
}

/** Sets item i of a user kind's variable-size part (its old value, if any, is released). */
export function objectSetItem(h: RefcountHeap, o: number, i: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkUserKind(h, o, "objectSetItem", "items");
    checkIndex(i, itemsCount(h, o), "objectSetItem");
  }
  replaceSlot(h, itemSlot(h, o, i), v, isRef, "objectSetItem");
}

/** Data word i of a user kind's object (a signed 32-bit integer). */
export function getData(h: RefcountHeap, o: number, i: number): number {
  if (h.checked) checkIndex(i, checkUserKind(h, o, "getData", "data").data.length, "getData");
  return read32(h, o + typeInfo(h, typeIdOf(h, o)).dataOffset + 4 * i);
}

/** Stores a signed 32-bit integer in data word i (the collector never reads data words). */
export function setData(h: RefcountHeap, o: number, i: number, v: number): void {
  if (h.checked) {
    checkIndex(i, checkUserKind(h, o, "setData", "data").data.length, "setData");
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff)
      throw new HeapValueError(`setData: ${String(v)} is not a 32-bit integer`);
  }
  write32(h, o + typeInfo(h, typeIdOf(h, o)).dataOffset + 4 * i, v);
}

function checkDynamic(h: RefcountHeap, o: number, op: string): void {
  checkInstanceLike(h, o, op);
  const info = typeInfo(h, typeIdOf(h, o));
  if (!info.dynamic)
    throw new HeapTypeError(
      `${op}: ${info.name} instances have no dynamic attributes (declare the class dynamic)`,
    );
}

/** Address of the value slot of shared name `ix` (−1: not shared) in values array `w`, or 0 if unset. */
function valueSlotAt(h: RefcountHeap, w: number, ix: number): number {
  if (ix < 0 || ix >= valuesCapacity(h, w)) return 0;
  const p = valuesSlot(h, w, ix);
  return slotIsNull(h, p) ? 0 : p;
}

/** Stores a value in slot `ix` of values array `w` (which has room for it): added, or replaced. */
function valuesStore(h: RefcountHeap, w: number, ix: number, v: number, isRef: boolean): void {
  const p = valuesSlot(h, w, ix);
  if (slotIsNull(h, p)) {
    take(h, v, isRef, "setAttr");
    setSlot(h, p, v, isRef);
    valuesAddOrder(h, w, ix);
  } else {
    replaceSlot(h, p, v, isRef, "setAttr");
  }
}

/** Removes the value of shared name `ix` from values array `w`; false if there is none. */
function valuesDelAt(h: RefcountHeap, w: number, ix: number): boolean {
  const p = valueSlotAt(h, w, ix);
  if (p === 0) return false;
  const old = slotRefOrZero(h, p);
  setSlotNull(h, p);
  valuesRemoveOrder(h, w, ix);
  if (old !== 0) decref(h, old);
  return true;
}

/**
 * Materialises o's attributes (make_dict_from_instance_attributes, when a name does not fit the
 * class's shared keys): a new dict object gets a split table built from o's values array, in
 * o's insertion order, each entry recording its shared-key index; the values move, the dict takes
 * a reference to each name, and o's attrs word then holds the dict, which o owns. The dict is
 * allocated like any dict (the freelist, or a counted allocation that may start a collection) and
 * tracked only if one of the values may be tracked. If the table cannot be allocated, o is as it
 * was. Returns the dict (borrowed).
 */
function materializeAttrs(h: RefcountHeap, o: number): number {
  const d = newDict(h);
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) {
    // Code that the allocation's collection ran materialised o already: keep that dict.
    decref(h, d);
    return w;
  }
  const id = typeIdOf(h, o);
  const n = w === 0 ? 0 : valuesCount(h, w);
  if (n > 0) {
    let t: number;
    try {
      t = tableNew(h, n);
    } catch (e) {
      decref(h, d);
      throw e;
    }
    let tracked = false;
    for (let j = 0; j < n; j++) {
      const ix = valuesOrderAt(h, w, j);
      const k = sharedKeyStr(h, id, ix);
      increfRaw(h, k);
      const e = tableAppend(h, t, strHash(h, k));
      write32(h, e + E_INDEX, ix);
      setSlotRef(h, e + E_KEY, k);
      const p = valuesSlot(h, w, ix);
      copySlot(h, e + E_VALUE, p);
      const r = slotRefOrZero(h, p);
      if (r !== 0 && objectMayBeTracked(h, r)) tracked = true;
    }
    setDictTable(h, d, t);
    if (tracked) gcTrack(h, d);
  }
  if (w !== 0) free(h, w);
  write32(h, d + DICT_KEYS_KIND, splitKeysKind(id));
  setAttrsWord(h, o, d);
  return d;
}

/**
 * setattr(o, name, v) for a dynamic class; `name` is a str object. A name new to o is added to
 * the class's shared keys (src/object/sharedkeys.ts); when the keys have no room left, o's
 * attributes move to a dict object first (see the attrs word in src/object/instance.ts).
 *
 * Kept small for V8: the common case (a name the class shares, whose slot o's values array has)
 * is here, everything else is setAttrSlow.
 */
export function setAttr(h: RefcountHeap, o: number, name: number, v: number, isRef: boolean): void {
  if (h.checked) {
    checkDynamic(h, o, "setAttr");
    checkKind(h, name, Kind.Str, "a str name", "setAttr");
    checkValue(h, v, isRef, "setAttr");
  }
  const w = attrsWord(h, o);
  if (w !== 0 && !attrsIsDict(w)) {
    // Instances store their names in the same order: a name new to o is usually the class's next.
    const id = typeIdOf(h, o);
    const hint = valuesCount(h, w);
    const ix = sharedKeyIs(h, id, hint, name) ? hint : sharedKeyLookup(h, id, name);
    if (ix >= 0 && ix < valuesCapacity(h, w)) {
      valuesStore(h, w, ix, v, isRef);
      return;
    }
  }
  setAttrSlow(h, o, w, name, v, isRef);
}

/** setAttr when o has no values array, its array has no slot for the name, or the name is not shared. */
function setAttrSlow(h: RefcountHeap, o: number, w: number, name: number, v: number, isRef: boolean): void {
  if (attrsIsDict(w)) {
    dictSetItem(h, w, name, true, v, isRef);
    return;
  }
  const id = typeIdOf(h, o);
  let ix = sharedKeyLookup(h, id, name);
  if ((ix < 0 && h.typeSharedUsable[id]! <= 0) || h.typeKind[id] !== Kind.Instance) {
    // insert_into_dictkeys fails: the name does not fit, and o moves to a dict of its own. A
    // subclass of ref, list or dict has no values array: its first attribute makes its dict,
    // split over the class's keys (_PyObjectDict_SetItem).
    dictSetItem(h, materializeAttrs(h, o), name, true, v, isRef);
    return;
  }
  // Room first (an invisible reallocation), so that nothing below allocates after the class
  // registered the name: a failed setattr leaves the class's shared keys as they were. A new
  // array is as large as the class's keys, which the instance will probably fill.
  const count = h.typeSharedCount[id]!;
  const need = (ix >= 0 ? ix : count) + 1;
  if (w === 0 || valuesCapacity(h, w) < need) {
    w = valuesGrow(h, w, Math.max(need, count));
    setAttrsWord(h, o, w);
  }
  if (ix < 0) ix = sharedKeyIndex(h, id, name, count);
  valuesStore(h, w, ix, v, isRef);
}

/** Address of attribute `name`'s value slot, or 0. */
export function getAttrSlot(h: RefcountHeap, o: number, name: number): number {
  if (h.checked) {
    checkDynamic(h, o, "getAttr");
    checkKind(h, name, Kind.Str, "a str name", "getAttr");
  }
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) return tableGet(h, w, name, true);
  return w === 0 ? 0 : valueSlotAt(h, w, sharedKeyLookup(h, typeIdOf(h, o), name));
}

/** The index of shared name `name` (a JS string) in o's class's keys, or −1. */
function sharedIndexString(h: RefcountHeap, o: number, name: string): number {
  return sharedKeyLookupString(h, typeIdOf(h, o), name, hashString(name));
}

/** Address of attribute `name`'s value slot (`name` a JS string), or 0. Allocates nothing. */
export function getAttrSlotString(h: RefcountHeap, o: number, name: string): number {
  if (h.checked) {
    checkDynamic(h, o, "getAttr");
    checkString(name, "getAttr");
  }
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) return dictGetSlotString(h, w, name);
  return w === 0 ? 0 : valueSlotAt(h, w, sharedIndexString(h, o, name));
}

/**
 * The str object naming o's attribute `name` (a JS string), or 0 when o has no such attribute:
 * what a caller passes to setAttr to replace a value without making a str. Allocates nothing.
 */
export function attrNameString(h: RefcountHeap, o: number, name: string): number {
  if (h.checked) {
    checkDynamic(h, o, "setAttr");
    checkString(name, "setAttr");
  }
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) {
    const p = dictGetSlotString(h, w, name);
    return p === 0 ? 0 : slotRefOrZero(h, p - E_VALUE + E_KEY);
  }
  if (w === 0) return 0;
  const ix = sharedIndexString(h, o, name);
  return valueSlotAt(h, w, ix) === 0 ? 0 : sharedKeyStr(h, typeIdOf(h, o), ix);
}

/**
 * delattr(o, name) for an attribute that exists (`name` a JS string): removes it and returns true,
 * allocating nothing. Returns false, changing nothing, when o has no such attribute: delAttr (with
 * a str) then does what CPython does for an absent name (it may register or materialise).
 */
export function delAttrString(h: RefcountHeap, o: number, name: string): boolean {
  if (h.checked) {
    checkDynamic(h, o, "delAttr");
    checkString(name, "delAttr");
  }
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) return dictDelItemString(h, w, name);
  return w !== 0 && valuesDelAt(h, w, sharedIndexString(h, o, name));
}

/**
 * delattr(o, name); returns false if absent. Even then the name is added to the class's shared
 * keys if it fits, and o's attributes are materialised if it does not, as CPython's
 * _PyObject_StoreInstanceAttribute does for a deletion.
 */
export function delAttr(h: RefcountHeap, o: number, name: number): boolean {
  if (h.checked) {
    checkDynamic(h, o, "delAttr");
    checkKind(h, name, Kind.Str, "a str name", "delAttr");
  }
  const w = attrsWord(h, o);
  if (attrsIsDict(w)) return dictDelItem(h, w, name, true);
  const id = typeIdOf(h, o);
  if (w !== 0 && valuesDelAt(h, w, sharedKeyLookup(h, id, name))) return true;
  if (sharedKeyIndex(h, id, name, 0) < 0) materializeAttrs(h, o);
  return false;
}
