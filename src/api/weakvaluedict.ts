/** weakref.WeakValueDictionary over heap objects (CPython 3.11's Lib/weakref.py); the shared machinery is in weakcore.ts. */
import {
  dictSize,
  E_KEY,
  E_VALUE,
  isWeakref,
  slotIsRef,
  slotNumber,
  slotRef,
  type WeakrefCallback,
  WR_KEY,
  weakrefReferent,
} from "../object/index.js";
import {
  decref,
  dictDelItem,
  dictDelItemString,
  dictGetSlot,
  dictGetSlotString,
  dictSetItem,
} from "../refcount/index.js";
import { weakrefModule } from "../weakref/index.js";
import { dictValueSlot, entryPairs, type Key, mappingEquals } from "./containers.js";
import type { HeapContext } from "./context.js";
import type { Engine } from "./engine.js";
import { allOrNothing, type Handle, type Value, withValue } from "./handle.js";
import {
  DICT_CHANGED,
  EMPTY_POPITEM,
  type GeneratorWalk,
  keyError,
  pyRepr,
  scoped,
  slotValue,
  WeakContainer,
  WeakCore,
  type WeakEntries,
} from "./weakcore.js";
import { type KeyedRefHandle, weakReferent } from "./weakhandle.js";

const WVD_ITEMS: GeneratorWalk = { loop: "items", weakAt: E_VALUE, keepsReferent: true };
const WVD_KEYS: GeneratorWalk = { loop: "items", weakAt: E_VALUE, keepsReferent: false };
const WVD_VALUES: GeneratorWalk = { loop: "values", weakAt: E_VALUE, keepsReferent: true };

// ---------------------------------------------------------------------------------------------

/**
 * _remove_dead_weakref(data, key): removes `key` only if its value is a dead weakref (so a key
 * that was assigned a new value meanwhile stays). An absent key is not an error to the caller
 * (CPython raises a KeyError and clears it): true then.
 */
function removeDeadWeakref(e: Engine, d: number, k: number, isRef: boolean): boolean {
  const p = dictGetSlot(e, d, k, isRef);
  if (p === 0) return true;
  if (!slotIsRef(e, p)) return false;
  const wr = slotRef(e, p);
  if (isWeakref(e, wr) && weakrefReferent(e, wr) === 0) dictDelItem(e, d, k, isRef);
  return false;
}

/**
 * weakref.WeakValueDictionary: a mapping whose values are weak references; an entry disappears
 * when its value dies. Values must be objects that support weak references (instances of classes
 * defined with `weakrefable: true`, type objects); keys are any hashable values. Make one with
 * `heap.weakref.WeakValueDictionary(entries)`; it owns heap objects until `dispose()`.
 *
 * `[Symbol.iterator]` gives [key, value] pairs, as a Map's (Python's `iter(d)` is `keys()`).
 */
export class WeakValueDictionary<V extends Handle = Handle> extends WeakContainer {
  readonly #remove: WeakrefCallback;

  /** @internal Made by heap.weakref.WeakValueDictionary(). */
  constructor(ctx: HeapContext, entries?: WeakEntries<Key, V>) {
    super(new WeakCore(ctx, "WeakValueDictionary", removeDeadWeakref), false);
    this.#remove = WeakCore.callback(this.core, "remove", (core, wr) => {
      const e = core.engine;
      const [k, isRef] = slotValue(e, wr + WR_KEY);
      if (core.iterating > 0) core.addPending(k, isRef);
      else if (removeDeadWeakref(e, core.data("_remove"), k, isRef)) core.onKeyGone?.("remove");
    });
    if (entries !== undefined)
      allOrNothing(
        ctx,
        () => this.update(entries),
        () => this.dispose(),
      );
  }

  /** data[key] = KeyedRef(o, self._remove, key), with the key encoded. */
  #store(d: number, key: Key, o: number, op: string): void {
    const core = this.core;
    withValue(core.ctx, key, op, (k, kIsRef) => {
      const kr = this.newKeyedRef(o, k, kIsRef);
      try {
        this.storeKeyedRef(d, k, kIsRef, kr);
      } finally {
        decref(core.engine, kr);
      }
    });
  }

  /**
   * @internal `KeyedRef(o, self._remove, key)` over raw values: a new reference to a new KeyedRef
   * (its allocation may start a collection, before anything is stored). With storeKeyedRef, the
   * two halves of `data[key] = KeyedRef(...)`, for the differential oracle's runner, which mirrors
   * what CPython allocates between them (KeyedRef.__init__, the call's argument tuple).
   */
  newKeyedRef(o: number, k: number, kIsRef: boolean): number {
    return weakrefModule.newKeyedRef(this.core.engine, o, this.#remove, k, kIsRef);
  }

  /** @internal `data[key] = kr` (data is `d`, the container's dict): see newKeyedRef. */
  storeKeyedRef(d: number, k: number, kIsRef: boolean, kr: number): void {
    dictSetItem(this.core.engine, d, k, kIsRef, kr, true);
  }

  /** The KeyedRef stored for `key` (borrowed), or 0. `label` names the operation in errors. */
  #lookup(key: Key, op: string, label: string): number {
    const core = this.core;
    const p = dictValueSlot(core.ctx, core.data(op), key, label);
    return p === 0 ? 0 : slotRef(core.engine, p);
  }

  /** A floating handle to a live value: a new reference, as Python's `d[key]` gives one. */
  #wrap(o: number): V {
    return this.core.ctx.wrap(o, false, true) as V;
  }

  /** d.get(key, default): the value, or `defaultValue` (undefined) if absent or dead. */
  get(key: Key): V | undefined;
  get<D>(key: Key, defaultValue: D): V | D;
  get<D>(key: Key, defaultValue?: D): V | D | undefined {
    const core = this.core;
    const d = typeof key === "string" ? core.readyData() : 0;
    let wr: number;
    if (d !== 0) {
      // A str key given as a JS string, nothing to commit first: the lookup alone (W3's hits).
      const p = dictGetSlotString(core.engine, d, key as string);
      wr = p === 0 ? 0 : slotRef(core.engine, p);
    } else {
      core.commitIfPending("get");
      wr = this.#lookup(key, "get", "WeakValueDictionary.get");
    }
    const o = wr === 0 ? 0 : weakrefReferent(core.engine, wr);
    return o === 0 ? defaultValue : this.#wrap(o);
  }

  /** d[key] = value: `value` must support weak references (else CPython's TypeError). */
  set(key: Key, value: V): this {
    const core = this.core;
    core.commitIfPending("set");
    const o = weakReferent(core.ctx, value, "WeakValueDictionary.set");
    this.#store(core.data("set"), key, o, "WeakValueDictionary.set");
    return this;
  }

  /**
   * del d[key], as Map.delete: true if the key was there (an entry whose value died is still
   * removed, as CPython's `del` removes it), false if absent. `pop(key)` throws CPython's KeyError.
   */
  delete(key: Key): boolean {
    const core = this.core;
    core.commitIfPending("delete");
    const d = core.data("delete");
    let found = false;
    if (typeof key === "string") {
      found = dictDelItemString(core.engine, d, key); // no str made: works on a full heap
    } else {
      withValue(core.ctx, key, "WeakValueDictionary.delete", (k, kIsRef) => {
        found = dictDelItem(core.engine, d, k, kIsRef);
      });
    }
    return found;
  }

  /** key in d: true if present with a live value. */
  has(key: Key): boolean {
    this.core.commitIfPending("has");
    const wr = this.#lookup(key, "has", "WeakValueDictionary.has");
    return wr !== 0 && weakrefReferent(this.core.engine, wr) !== 0;
  }

  /** len(d): commits the pending removals first (even during an iteration, as CPython does). */
  get size(): number {
    const core = this.core;
    core.commitIfPending("size");
    return dictSize(core.engine, core.data("size"));
  }

  /** d.pop(key[, default]): removes the entry; throws `KeyError: key` if absent or dead without a default. */
  pop(key: Key): V;
  pop<D>(key: Key, defaultValue: D): V | D;
  pop<D>(key: Key, ...rest: [] | [D]): V | D {
    const core = this.core;
    const e = core.engine;
    core.commitIfPending("pop");
    const d = core.data("pop");
    let value: V | undefined;
    const p = dictValueSlot(core.ctx, d, key, "WeakValueDictionary.pop");
    if (p !== 0) {
      const o = weakrefReferent(e, slotRef(e, p));
      if (o !== 0) value = this.#wrap(o);
      // The entry's own key object: deleting by it needs no new str.
      const k = slotRef(e, p - E_VALUE + E_KEY);
      const kIsRef = slotIsRef(e, p - E_VALUE + E_KEY);
      try {
        dictDelItem(e, d, kIsRef ? k : slotNumber(e, p - E_VALUE + E_KEY), kIsRef);
      } catch (err) {
        value?.dispose();
        throw err;
      }
    }
    if (value !== undefined) return value;
    if (rest.length > 0) return rest[0] as D;
    throw keyError(pyRepr(key));
  }

  /** d.popitem(): removes the last entry with a live value; `KeyError: 'popitem(): dictionary is empty'`. */
  popItem(): [Value, V] {
    const core = this.core;
    core.commitIfPending("popItem");
    for (;;) {
      const item = core.popEntry("popItem");
      if (item === null) throw keyError(EMPTY_POPITEM);
      const [k, kIsRef, wr] = item;
      try {
        const o = weakrefReferent(core.engine, wr);
        if (o !== 0) return [kIsRef ? core.ctx.decodeOwnedObject(k) : k, this.#wrap(o)];
      } finally {
        core.release(k, kIsRef);
        core.release(wr, true);
      }
    }
  }

  /** d.setdefault(key, default): the live value for `key`, else stores `defaultValue` and returns it. */
  setDefault(key: Key, defaultValue: V): V {
    const core = this.core;
    const wr = this.#lookup(key, "setDefault", "WeakValueDictionary.setDefault");
    const o = wr === 0 ? 0 : weakrefReferent(core.engine, wr);
    if (o !== 0) return this.#wrap(o);
    core.commitIfPending("setDefault");
    const v = weakReferent(core.ctx, defaultValue, "WeakValueDictionary.setDefault");
    this.#store(core.data("setDefault"), key, v, "WeakValueDictionary.setDefault");
    return this.#wrap(v);
  }

  /**
   * d.update(entries): [key, value] pairs (another weak dictionary, a Map…) or an object's
   * properties. Returns the dictionary, so it is also `d |= entries` (`__ior__`).
   */
  update(entries: WeakEntries<Key, V>): this {
    const core = this.core;
    core.commitIfPending("update");
    scoped(core, () => {
      for (const [key, value] of entryPairs(entries, "WeakValueDictionary.update")) {
        const o = weakReferent(core.ctx, value, "WeakValueDictionary.update");
        this.#store(core.data("update"), key, o, "WeakValueDictionary.update");
      }
    });
    return this;
  }

  /** d == other (Mapping.__eq__): the same keys with the same values (see mappingEquals). */
  equals(other: Iterable<readonly [Key, Value]> | Readonly<Record<string, Value>>): boolean {
    return mappingEquals(this.size, (k) => this.get(k), other, "WeakValueDictionary.equals");
  }

  /**
   * d | other (`__or__`): a new WeakValueDictionary, a copy of this one updated with `other`
   * (the caller disposes it). `other | d` (`__ror__`) is `heap.weakref.WeakValueDictionary(other).update(d)`.
   */
  union(other: WeakEntries<Key, V>): WeakValueDictionary<V> {
    const c = this.copy();
    try {
      return c.update(other);
    } catch (error) {
      c.dispose();
      throw error;
    }
  }

  /** d.copy(): a new WeakValueDictionary with the live entries (the caller disposes it). */
  copy(): WeakValueDictionary<V> {
    const core = this.core;
    const e = core.engine;
    core.commitIfPending("copy");
    const copy = new WeakValueDictionary<V>(core.ctx);
    return core.copyLive(copy, E_VALUE, DICT_CHANGED, (entry, o) => {
      const [k, kIsRef] = slotValue(e, entry + E_KEY);
      const kr = weakrefModule.newKeyedRef(e, o, copy.#remove, k, kIsRef);
      try {
        dictSetItem(e, copy.core.data("copy"), k, kIsRef, kr, true);
      } finally {
        decref(e, kr);
      }
    });
  }

  /** MutableMapping.clear(): popitem() until the dictionary is empty (entries released last first). */
  clear(): void {
    const core = this.core;
    core.commitIfPending("clear");
    core.popAll("clear");
  }

  /** d.items(): [key, value] for each live entry (guarded; see the module comment). */
  *items(): Generator<[Value, V], void, undefined> {
    const core = this.core;
    core.commitIfPending("items");
    for (const [entry, o] of core.walk("items", DICT_CHANGED, WVD_ITEMS)) {
      yield [core.ctx.decode(entry + E_KEY), core.ctx.borrow(o) as V];
    }
  }

  /** d.keys(): the keys of the live entries (guarded). */
  *keys(): Generator<Value, void, undefined> {
    const core = this.core;
    core.commitIfPending("keys");
    for (const [entry] of core.walk("keys", DICT_CHANGED, WVD_KEYS)) yield core.ctx.decode(entry + E_KEY);
  }

  /** d.values(): the live values (guarded). */
  *values(): Generator<V, void, undefined> {
    this.core.commitIfPending("values");
    yield* this.core.liveReferents<V>("values", DICT_CHANGED, WVD_VALUES);
  }

  /** Map-style alias of items(). */
  entries(): Generator<[Value, V], void, undefined> {
    return this.items();
  }

  /** Same as items(): [key, value] pairs, as a Map's iterator. */
  [Symbol.iterator](): Generator<[Value, V], void, undefined> {
    return this.items();
  }

  /** d.itervaluerefs(): the KeyedRefs of every entry, dead ones included (guarded). */
  *iterValueRefs(): Generator<KeyedRefHandle, void, undefined> {
    const core = this.core;
    const e = core.engine;
    core.commitIfPending("iterValueRefs");
    core.enter();
    try {
      for (const entry of core.entries("iterValueRefs", DICT_CHANGED)) {
        yield core.ctx.borrow(slotRef(e, entry + E_VALUE)) as KeyedRefHandle;
      }
    } finally {
      core.exit("iterValueRefs");
    }
  }

  /** d.valuerefs(): a list of the KeyedRefs of every entry, dead ones included. */
  valueRefs(): KeyedRefHandle[] {
    return [...this.iterValueRefs()];
  }

  /**
   * d._pending_removals: the keys whose values died during an iteration and are not removed yet
   * (for inspection).
   */
  get pendingRemovals(): Value[] {
    return this.core.pendingValues("pendingRemovals");
  }
}
