/**
 * Handle types for the built-in containers, with the JS idioms users expect: lists are
 * array-like (length, get/set, push/pop, iteration), tuples read-only array-likes, dicts
 * Map-like. A read of an object returns a borrowed handle (no reference to release; valid while
 * the object lives); numbers, booleans, strings and None come back as JS values. A store of a
 * floating handle (a constructor's) sinks it: the container takes its reference.
 */
import {
  dictSize,
  dictTable,
  E_KEY,
  E_VALUE,
  entryIsLive,
  listSize,
  slotRef,
  tableEntry,
  tableNEntries,
  tupleSize,
} from "../object/index.js";
import {
  dictClear,
  dictDelItem,
  dictDelItemString,
  dictGetSlot,
  dictGetSlotString,
  dictSetItem,
  listAppend,
  listAppendSteal,
  listClear,
  listDelItem,
  listItemSlot,
  listSetItem,
  tupleItemSlot,
} from "../refcount/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import { argIndex } from "./args.js";
import {
  addressOf,
  appendFloating,
  Handle,
  type HandleHost,
  hostOf,
  jsDescription,
  markSunk,
  sinkStored,
  stealableAddress,
  storeValue,
  type Value,
  withValue,
} from "./handle.js";

/** list.append's general path: everything appendFloating declined. */
function appendGeneral(list: Handle, value: unknown): void {
  const host = hostOf(list);
  const l = addressOf(list, "append");
  // A floating handle's reference passes to the list as is (LIST_APPEND's steal).
  const a = stealableAddress(value, l, host);
  if (a !== 0) {
    listAppendSteal(host.engine, l, a);
    markSunk(value as Handle);
    return;
  }
  appendStored(host, l, value);
}

/**
 * list.append of anything but a floating handle (kept out of append so that append stays small
 * enough for V8 to inline into the caller's loop).
 */
function appendStored(host: HandleHost, l: number, value: unknown): void {
  if (value instanceof Handle && hostOf(value) === host) {
    listAppend(host.engine, l, addressOf(value, "append"), true); // a handle: without a closure
    sinkStored(host, value, l);
  } else {
    storeValue(host, value as Value, "append", l, (v, isRef) => listAppend(host.engine, l, v, isRef));
  }
}

/** A dict key: numbers, booleans, strings, None, tuples and other objects (by identity). */
export type Key = Value;

/** A Python dict iterator's errors (dictiter_iternextitem): the dict changed under the iterator. */
export const DICT_CHANGED_SIZE = "dictionary changed size during iteration";
export const DICT_KEYS_CHANGED = "dictionary keys changed during iteration";

/**
 * The [key, value] pairs of `entries` (an iterable of pairs, or an object's own string-keyed
 * properties), each checked as dict(iterable) checks it: an item that is not iterable is CPython's
 * TypeError "cannot convert dictionary update sequence element #i to a sequence", one of another
 * length its ValueError "… has length n; 2 is required".
 */
export function* entryPairs<K, V>(
  entries: Iterable<readonly [K, V]> | Readonly<Record<string, V>>,
  op: string,
): Generator<readonly [K | string, V], void, undefined> {
  if (typeof entries !== "object" || entries === null) {
    throw new HeapTypeError(
      `${op}: expected an iterable of [key, value] pairs or an object; got ${jsDescription(entries)}`,
    );
  }
  if (!(Symbol.iterator in entries)) {
    yield* Object.entries(entries) as [string, V][];
    return;
  }
  let i = 0;
  for (const item of entries as Iterable<unknown>) {
    const isIterable =
      typeof item === "string" || (typeof item === "object" && item !== null && Symbol.iterator in item);
    if (!isIterable) {
      throw new HeapTypeError(`${op}: cannot convert dictionary update sequence element #${i} to a sequence`);
    }
    const pair = Array.from(item as Iterable<unknown>);
    if (pair.length !== 2) {
      throw new HeapValueError(
        `${op}: dictionary update sequence element #${i} has length ${pair.length}; 2 is required`,
      );
    }
    yield pair as unknown as readonly [K, V];
    i++;
  }
}

/**
 * The value slot for `key` in dict `d`, or 0. A string key is looked up as is (no str is made), so
 * reading a dict works on a full heap.
 */
/**
 * Mapping.__eq__ for a mapping of `size` entries read through `get`: `other`'s pairs (a weak
 * dictionary, a Map, pairs, or an object's properties, with distinct keys) are the same keys with
 * the same values, as `dict(self.items()) == dict(other.items())`. Values compare as `==` does for
 * objects without `__eq__`: objects by identity, numbers, strings and booleans by value.
 */
export function mappingEquals(
  size: number,
  get: (key: Key) => Value | undefined,
  other: Iterable<readonly [Key, Value]> | Readonly<Record<string, Value>>,
  op: string,
): boolean {
  let n = 0;
  for (const [k, v] of entryPairs(other, op)) {
    n++;
    const mine = get(k);
    if (mine === undefined) return false;
    if (mine instanceof Handle ? !mine.is(v) : mine !== v) return false;
  }
  return n === size;
}

export function dictValueSlot(host: HandleHost, d: number, key: Key, op: string): number {
  if (typeof key === "string") return dictGetSlotString(host.engine, d, key);
  let p = 0;
  withValue(host, key, op, (k, kIsRef) => {
    p = dictGetSlot(host.engine, d, k, kIsRef);
  });
  return p;
}

/**
 * A handle to a list: array-like (length, get/set, push/pop, iteration). `T` is what the program
 * stores in it (`heap.list<Instance<F>>()`), a promise the type checker holds it to, as with a
 * `Map<K, V>`: the heap itself stores any value.
 */
export class ListHandle<T extends Value = Value> extends Handle {
  /** len(list) */
  get length(): number {
    return listSize(hostOf(this).engine, addressOf(this, "length"));
  }

  /** list[i]; negative indexes count from the end. */
  get(i: number): T {
    const host = hostOf(this);
    return host.decode(listItemSlot(host.engine, addressOf(this, "get"), argIndex(i, "get", "list"))) as T;
  }

  /** list[i] = value */
  set(i: number, value: T): void {
    const host = hostOf(this);
    const l = addressOf(this, "set");
    argIndex(i, "set", "list");
    storeValue(host, value, "set", l, (v, isRef) => listSetItem(host.engine, l, i, v, isRef));
  }

  /** list.append(value): the single-value form, without push's rest-argument array. */
  append(value: T): void {
    if (!appendFloating(this, value)) appendGeneral(this, value);
  }

  /** list.append for each value, like Array.prototype.push; returns the new length. */
  push(...values: T[]): number {
    for (const value of values) this.append(value);
    return this.length;
  }

  /**
   * list.pop(i): removes and returns the item (default: the last). An object comes back as a
   * floating handle: the list's reference passes to it.
   */
  pop(i = -1): T {
    const host = hostOf(this);
    const e = host.engine;
    const l = addressOf(this, "pop");
    argIndex(i, "pop", "list");
    if (listSize(e, l) === 0) throw new HeapValueError("pop from empty list");
    const value = host.decodeOwned(listItemSlot(e, l, i)) as T;
    listDelItem(e, l, i);
    return value;
  }

  /** del list[i] */
  delete(i: number): void {
    listDelItem(hostOf(this).engine, addressOf(this, "delete"), argIndex(i, "delete", "list"));
  }

  /** list.clear() */
  clear(): void {
    listClear(hostOf(this).engine, addressOf(this, "clear"));
  }

  /** Iterates by index, as Python does: items appended during iteration are visited too. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** The items as a JS array (objects as borrowed handles). */
  toArray(): T[] {
    return [...this];
  }
}

/** A handle to a tuple: a read-only array-like (`T`: its items' type, as for ListHandle). */
export class TupleHandle<T extends Value = Value> extends Handle {
  /** len(tuple) */
  get length(): number {
    return tupleSize(hostOf(this).engine, addressOf(this, "length"));
  }

  /** tuple[i]; negative indexes count from the end. */
  get(i: number): T {
    const host = hostOf(this);
    return host.decode(tupleItemSlot(host.engine, addressOf(this, "get"), argIndex(i, "get", "tuple"))) as T;
  }

  /** The items in order. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** The items as a JS array (objects as borrowed handles). */
  toArray(): T[] {
    return [...this];
  }
}

/**
 * A handle to a dict: Map-like (size, get/set/has/delete, iteration in insertion order). `K` and
 * `V` are the key and value types the program keeps to (`heap.dict<string, number>()`).
 */
export class DictHandle<K extends Key = Key, V extends Value = Value> extends Handle {
  /** len(dict) */
  get size(): number {
    return dictSize(hostOf(this).engine, addressOf(this, "size"));
  }

  /** dict.get(key): the value, or undefined when the key is absent. */
  get(key: K): V | undefined {
    const host = hostOf(this);
    const p = dictValueSlot(host, addressOf(this, "get"), key, "get");
    return p === 0 ? undefined : (host.decode(p) as V);
  }

  /** key in dict */
  has(key: K): boolean {
    const host = hostOf(this);
    return dictValueSlot(host, addressOf(this, "has"), key, "has") !== 0;
  }

  /** dict[key] = value */
  set(key: K, value: V): this {
    const host = hostOf(this);
    const e = host.engine;
    const d = addressOf(this, "set");
    if (typeof key === "string") {
      // An existing str key is reused: replacing a value needs no new str (nor memory).
      const p = dictGetSlotString(e, d, key);
      if (p !== 0) {
        const k = slotRef(e, p - E_VALUE + E_KEY);
        storeValue(host, value, "set", d, (v, vIsRef) => dictSetItem(e, d, k, true, v, vIsRef));
        return this;
      }
    }
    storeValue(host, key, "set", d, (k, kIsRef) =>
      storeValue(host, value, "set", d, (v, vIsRef) => dictSetItem(e, d, k, kIsRef, v, vIsRef)),
    );
    return this;
  }

  /** del dict[key]; returns false if the key was absent. */
  delete(key: K): boolean {
    const host = hostOf(this);
    const d = addressOf(this, "delete");
    if (typeof key === "string") return dictDelItemString(host.engine, d, key);
    let found = false;
    withValue(host, key, "delete", (k, kIsRef) => {
      found = dictDelItem(host.engine, d, k, kIsRef);
    });
    return found;
  }

  /** dict.clear() */
  clear(): void {
    dictClear(hostOf(this).engine, addressOf(this, "clear"));
  }

  /**
   * [key, value] pairs in insertion order. As a Python dict iterator, throws "dictionary changed
   * size during iteration" if the dict's size changes meanwhile, and "dictionary keys changed
   * during iteration" if keys were replaced at the same size. Each step re-validates this handle:
   * once it is released (or the heap closed) the iterator throws that typed error, it never reads
   * memory the dict no longer owns.
   */
  *entries(): IterableIterator<[K, V]> {
    const host = hostOf(this);
    const e = host.engine;
    const size = dictSize(e, addressOf(this, "entries"));
    let remaining = size; // CPython's di->len: the entries still expected
    for (let i = 0; ; i++) {
      const d = addressOf(this, "entries");
      if (dictSize(e, d) !== size) throw new HeapValueError(DICT_CHANGED_SIZE);
      const t = dictTable(e, d);
      if (t === 0 || i >= tableNEntries(e, t)) return;
      const entry = tableEntry(e, t, i);
      if (!entryIsLive(e, entry)) continue;
      if (remaining === 0) throw new HeapValueError(DICT_KEYS_CHANGED);
      remaining--;
      yield [host.decode(entry + E_KEY) as K, host.decode(entry + E_VALUE) as V];
    }
  }

  /** The keys in insertion order (as entries()). */
  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  /** The values in insertion order (as entries()). */
  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** Same as entries(): [key, value] pairs, as a Map's iterator. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
