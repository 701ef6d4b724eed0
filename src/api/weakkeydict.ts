/** weakref.WeakKeyDictionary over heap objects (CPython 3.11's Lib/weakref.py); the shared machinery is in weakcore.ts. */
import {
  dictSize,
  E_KEY,
  E_VALUE,
  listSize,
  slotRef,
  type WeakrefCallback,
  weakrefReferent,
} from "../object/index.js";
import {
  decref,
  dictDelItem,
  dictGetSlot,
  dictPop,
  dictSetItem,
  listDelItem,
  listItemSlot,
} from "../refcount/index.js";
import { weakrefModule } from "../weakref/index.js";
import { entryPairs, mappingEquals } from "./containers.js";
import type { HeapContext } from "./context.js";
import type { Engine } from "./engine.js";
import { allOrNothing, Handle, storeValue, type Value } from "./handle.js";
import {
  containsWeakly,
  DICT_CHANGED,
  EMPTY_POPITEM,
  type GeneratorWalk,
  keyError,
  scoped,
  slotValue,
  WeakContainer,
  WeakCore,
  withTempRef,
} from "./weakcore.js";
import { type WeakRefHandle, weakReferent, weakReferentOrZero, weakrefRepr } from "./weakhandle.js";

const WKD_ITEMS: GeneratorWalk = { loop: "items", weakAt: E_KEY, keepsReferent: true };
const WKD_KEYS: GeneratorWalk = { loop: "keys", weakAt: E_KEY, keepsReferent: true };
const WKD_VALUES: GeneratorWalk = { loop: "items", weakAt: E_KEY, keepsReferent: false };

// ---------------------------------------------------------------------------------------------
// WeakKeyDictionary
// ---------------------------------------------------------------------------------------------

/** `del data[k]`: true when `k` was absent (CPython's KeyError, which the callers swallow). */
function deleteKey(e: Engine, d: number, k: number, isRef: boolean): boolean {
  return !dictDelItem(e, d, k, isRef);
}

/**
 * weakref.WeakKeyDictionary: a mapping whose keys are weak references; an entry disappears when
 * its key dies. Keys must support weak references; values are any values, held strongly. Make
 * one with `heap.weakref.WeakKeyDictionary(entries)`; it owns heap objects until `dispose()`.
 */
export class WeakKeyDictionary<K extends Handle = Handle> extends WeakContainer {
  readonly #remove: WeakrefCallback;

  /** @internal Made by heap.weakref.WeakKeyDictionary(). */
  constructor(ctx: HeapContext, entries?: Iterable<readonly [K, Value]>) {
    super(new WeakCore(ctx, "WeakKeyDictionary", deleteKey), true);
    this.#remove = WeakCore.callback(this.core, "remove", (core, wr) => {
      if (core.iterating > 0) core.addPending(wr, true);
      else if (deleteKey(core.engine, core.data("_remove"), wr, true)) core.onKeyGone?.("remove");
    });
    if (entries !== undefined)
      allOrNothing(
        ctx,
        () => this.update(entries),
        () => this.dispose(),
      );
  }

  /** data[ref(key, self._remove)] = value */
  #store(key: Value, value: Value, op: string): void {
    const core = this.core;
    const e = core.engine;
    const wr = weakrefModule.newRef(e, weakReferent(core.ctx, key, op), this.#remove);
    try {
      const d = core.data(op);
      storeValue(core.ctx, value, op, d, (v, vIsRef) => dictSetItem(e, d, wr, true, v, vIsRef));
    } finally {
      decref(e, wr);
    }
  }

  /** d.get(key, default): the value, or `defaultValue` (undefined). Throws TypeError for keys that cannot be weakly referenced. */
  get(key: K): Value | undefined;
  get<D>(key: K, defaultValue: D): Value | D;
  get<D>(key: K, defaultValue?: D): Value | D | undefined {
    const core = this.core;
    return withTempRef(core, key, "WeakKeyDictionary.get", (wr) => {
      const p = dictGetSlot(core.engine, core.data("get"), wr, true);
      return p === 0 ? defaultValue : core.ctx.decode(p);
    });
  }

  /** d[key] = value: `key` must support weak references (else CPython's TypeError). */
  set(key: K, value: Value): this {
    this.#store(key, value, "WeakKeyDictionary.set");
    return this;
  }

  /**
   * del d[key], as Map.delete: true if the key was there, false if absent, and false for a value
   * that cannot be weakly referenced (as has() answers; CPython's `del` raises TypeError there).
   * `pop(key)` throws CPython's KeyError.
   */
  delete(key: K): boolean {
    const core = this.core;
    if (weakReferentOrZero(core.ctx, key, "WeakKeyDictionary.delete") === 0) return false;
    this.core.dirtyLen = true;
    return withTempRef(core, key, "WeakKeyDictionary.delete", (wr) =>
      dictDelItem(core.engine, core.data("delete"), wr, true),
    );
  }

  /** key in d: false (not a TypeError) for values that cannot be weakly referenced. */
  has(key: Value): boolean {
    return containsWeakly(this.core, key, "WeakKeyDictionary.has");
  }

  /**
   * len(d) = len(data) - len(pending removals); after a delete/pop/popitem, the pending removals
   * no longer in `data` are dropped first (CPython's _scrub_removals, issue #21173).
   */
  get size(): number {
    const core = this.core;
    const e = core.engine;
    if (core.dirtyLen && core.pendingCount("size") > 0) {
      const l = core.pending("size");
      const d = core.data("size");
      for (let i = listSize(e, l) - 1; i >= 0; i--) {
        if (dictGetSlot(e, d, slotRef(e, listItemSlot(e, l, i)), true) === 0) listDelItem(e, l, i);
      }
      core.dirtyLen = false;
    }
    return dictSize(e, core.data("size")) - core.pendingCount("size");
  }

  /** d.pop(key[, default]): throws `KeyError: <weakref at …>` if absent without a default. */
  pop(key: K): Value;
  pop<D>(key: K, defaultValue: D): Value | D;
  pop<D>(key: K, ...rest: [] | [D]): Value | D {
    const core = this.core;
    const e = core.engine;
    this.core.dirtyLen = true;
    return withTempRef(core, key, "WeakKeyDictionary.pop", (wr) => {
      // One lookup, as dict.pop: a key's eq hook runs once.
      const popped = dictPop(e, core.data("pop"), wr, true);
      if (popped === null) {
        if (rest.length > 0) return rest[0] as D;
        throw keyError(weakrefRepr(e, wr));
      }
      const [v, vIsRef] = popped; // the entry's reference goes with it
      return vIsRef ? core.ctx.decodeOwnedObject(v) : v;
    });
  }

  /** d.popitem(): removes the last entry whose key lives; `KeyError: 'popitem(): dictionary is empty'`. */
  popItem(): [K, Value] {
    const core = this.core;
    this.core.dirtyLen = true;
    for (;;) {
      const item = core.popEntry("popItem");
      if (item === null) throw keyError(EMPTY_POPITEM);
      const [wr, , v, vIsRef] = item;
      try {
        const o = weakrefReferent(core.engine, wr);
        if (o !== 0) return [core.ctx.wrap(o, false, true) as K, vIsRef ? core.ctx.decodeOwnedObject(v) : v];
      } finally {
        core.release(wr, true);
        core.release(v, vIsRef);
      }
    }
  }

  /** d.setdefault(key, default): the value for `key`, else stores `defaultValue` (null) and returns it. */
  setDefault(key: K, defaultValue: Value = null): Value {
    const core = this.core;
    const e = core.engine;
    const op = "WeakKeyDictionary.setDefault";
    const wr = weakrefModule.newRef(e, weakReferent(core.ctx, key, op), this.#remove);
    try {
      const d = core.data("setDefault");
      const p = dictGetSlot(e, d, wr, true);
      if (p !== 0) return core.ctx.decode(p);
      storeValue(core.ctx, defaultValue, op, d, (v, vIsRef) => dictSetItem(e, d, wr, true, v, vIsRef));
      return core.ctx.decode(dictGetSlot(e, d, wr, true));
    } finally {
      decref(e, wr);
    }
  }

  /** d.update(entries): [key, value] pairs (another WeakKeyDictionary, a Map…); returns the dictionary, so it is also `d |= entries` (`__ior__`). */
  update(entries: Iterable<readonly [K, Value]>): this {
    scoped(this.core, () => {
      for (const [key, value] of entryPairs(entries, "WeakKeyDictionary.update")) {
        this.#store(key as Value, value, "WeakKeyDictionary.update");
      }
    });
    return this;
  }

  /** d == other (Mapping.__eq__): the same keys with the same values (see mappingEquals). */
  equals(other: Iterable<readonly [Value, Value]>): boolean {
    return mappingEquals(
      this.size,
      (k) =>
        k instanceof Handle && weakrefModule.isWeakrefable(this.core.engine, k.address)
          ? this.get(k as K)
          : undefined,
      other,
      "WeakKeyDictionary.equals",
    );
  }

  /**
   * d | other (`__or__`): a new WeakKeyDictionary, a copy of this one updated with `other` (the
   * caller disposes it). `other | d` (`__ror__`) is `heap.weakref.WeakKeyDictionary(other).update(d)`.
   */
  union(other: Iterable<readonly [K, Value]>): WeakKeyDictionary<K> {
    const c = this.copy();
    try {
      return c.update(other);
    } catch (error) {
      c.dispose();
      throw error;
    }
  }

  /** d.copy(): a new WeakKeyDictionary with the live entries (the caller disposes it). */
  copy(): WeakKeyDictionary<K> {
    const core = this.core;
    const e = core.engine;
    const copy = new WeakKeyDictionary<K>(core.ctx);
    return core.copyLive(copy, E_KEY, DICT_CHANGED, (entry, o) => {
      const [v, vIsRef] = slotValue(e, entry + E_VALUE);
      const wr = weakrefModule.newRef(e, o, copy.#remove);
      try {
        dictSetItem(e, copy.core.data("copy"), wr, true, v, vIsRef);
      } finally {
        decref(e, wr);
      }
    });
  }

  /** MutableMapping.clear(): popitem() until the dictionary is empty. */
  clear(): void {
    const core = this.core;
    this.core.dirtyLen = true;
    core.popAll("clear");
  }

  /** d.items(): [key, value] for each entry whose key lives (guarded). */
  *items(): Generator<[K, Value], void, undefined> {
    const core = this.core;
    for (const [entry, o] of core.walk("items", DICT_CHANGED, WKD_ITEMS)) {
      yield [core.ctx.borrow(o) as K, core.ctx.decode(entry + E_VALUE)];
    }
  }

  /** d.keys(): the live keys (guarded). */
  *keys(): Generator<K, void, undefined> {
    yield* this.core.liveReferents<K>("keys", DICT_CHANGED, WKD_KEYS);
  }

  /** d.values(): the values of the entries whose key lives (guarded). */
  *values(): Generator<Value, void, undefined> {
    const core = this.core;
    for (const [entry] of core.walk("values", DICT_CHANGED, WKD_VALUES))
      yield core.ctx.decode(entry + E_VALUE);
  }

  /** Map-style alias of items(). */
  entries(): Generator<[K, Value], void, undefined> {
    return this.items();
  }

  /** Same as items(): [key, value] pairs, as a Map's iterator. */
  [Symbol.iterator](): Generator<[K, Value], void, undefined> {
    return this.items();
  }

  /** d.keyrefs(): a list of the weakrefs to the keys, dead ones included. */
  keyRefs(): WeakRefHandle[] {
    const core = this.core;
    const e = core.engine;
    const out: WeakRefHandle[] = [];
    for (const entry of core.entries("keyRefs", DICT_CHANGED)) {
      out.push(core.ctx.borrow(slotRef(e, entry + E_KEY)) as WeakRefHandle);
    }
    return out;
  }

  /** d._pending_removals: the dead weakrefs of keys that died during an iteration (for inspection). */
  get pendingRemovals(): WeakRefHandle[] {
    return this.core.pendingValues("pendingRemovals") as WeakRefHandle[];
  }
}
