/**
 * WeakValueDictionary and WeakKeyDictionary (CPython 3.11's Lib/weakref.py)
 * over heap objects, plus the machinery every weak container shares (WeakCore, also used
 * by weakset.ts): the container's `data` is a real heap dict it owns through one reference, its
 * `_pending_removals` a heap list (holding the keys, or the dead weakrefs, still to remove), and
 * its `_remove` function an engine weakref callback that, like CPython's, refers to the container
 * only weakly (through a JS WeakRef: a container the program drops is not kept alive by its
 * entries' callbacks).
 *
 * Iteration is guarded as by CPython's _IterationGuard: while an iterator runs (from its first
 * next() until it finishes, throws, or is closed with return(), which `for…of` does on `break`),
 * a dying entry only records its key in the pending removals, and dead entries are skipped; the
 * removals are committed when the last guard exits. A suspended iterator holds what CPython's
 * suspended generator holds: its frame's locals (`k, wr, v` for WeakValueDictionary.items) and its
 * dict iterator's result tuple (`k, wr`), rebound at each step as CPython rebinds them and released
 * when it finishes or is closed (WeakCore.walk, GeneratorWalk). An iterator that is dropped
 * unfinished and never closed keeps its guard and those references (a JS generator is not closed
 * when it is dropped): close such iterators with return().
 *
 * Reads return JS values for numbers, booleans, strings and None, and new handles for objects
 * (owned by the current heap.scope, if any), as DictHandle's do. Python's KeyError is a
 * HeapValueError whose message is the traceback's last line, e.g. `KeyError: 'x'`; TypeErrors
 * are HeapTypeErrors with CPython's message.
 */
import {
  dictSize,
  dictTable,
  E_KEY,
  E_VALUE,
  entryIsLive,
  isWeakref,
  listSize,
  markDictAsSet,
  newDict,
  newList,
  slotIsRef,
  slotNumber,
  slotRef,
  tableEntry,
  tableNEntries,
  type WeakrefCallback,
  WR_KEY,
  weakrefReferent,
} from "../object/index.js";
import {
  decref,
  dictDelItem,
  dictDelItemString,
  dictGetSlot,
  dictSetItem,
  incref,
  listAppend,
  listDelItem,
  listItemSlot,
} from "../refcount/index.js";
import { ErrorCode, HandleError, HeapValueError, hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import {
  DICT_CHANGED_SIZE,
  DICT_KEYS_CHANGED,
  type DictHandle,
  dictValueSlot,
  entryPairs,
  type Key,
  type ListHandle,
} from "./containers.js";
import type { HeapContext } from "./context.js";
import type { Engine } from "./engine.js";
import { addressIfUsable, addressOf, allOrNothing, type Handle, type Value, withValue } from "./handle.js";
import {
  type KeyedRefHandle,
  userCallbacks,
  type WeakRefHandle,
  weakReferent,
  weakReferentOrZero,
  weakrefRepr,
} from "./weakhandle.js";

// ---------------------------------------------------------------------------------------------
// Shared machinery
// ---------------------------------------------------------------------------------------------

/** Python's repr of a value, for KeyError messages. */
export function pyRepr(value: Value): string {
  switch (typeof value) {
    case "string":
      return strRepr(value);
    case "number":
      return floatRepr(value);
    case "boolean":
      return value ? "True" : "False";
    case "undefined":
      return "None"; // stored as None
    default:
      return value === null ? "None" : String(value);
  }
}

function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\" || ch === q) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + q;
}

/** repr of a number as refheap stores it: integral values are Python ints, the others floats. */
function floatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Number.isInteger(n)) return BigInt(n).toString();
  // The shortest round-tripping digits (JS and Python agree), in Python's layout: scientific
  // notation below 1e-4 (non-integral values are below 2**53, so never for large ones).
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const x = Number(exp);
  if (x >= -4) return String(n);
  return `${mantissa}e-${String(-x).padStart(2, "0")}`;
}

/** Python's KeyError(arg), as the last line of its traceback. */
export function keyError(arg: string): HeapValueError {
  return new HeapValueError(`KeyError: ${arg}`);
}

/**
 * A program-owned handle (never a scope's) taking over the reference to `addr`: a container
 * outlives the scope it was made in, and one dropped without dispose() is reported (or released)
 * by the leak detector like any handle.
 */
function programOwned<H extends Handle>(ctx: HeapContext, addr: number): H {
  const inner = ctx.scopes.splice(0);
  try {
    return ctx.wrap(addr, true) as H;
  } finally {
    ctx.scopes.push(...inner);
  }
}

/** Reads a value slot as (v, isRef). */
function slotValue(e: Engine, p: number): [number, boolean] {
  return slotIsRef(e, p) ? [slotRef(e, p), true] : [slotNumber(e, p), false];
}

/** What the containers iterate over: [key, value] pairs, or an object's own string keys. */
export type WeakEntries<K, V> = Iterable<readonly [K, V]> | Readonly<Record<string, V>>;

/**
 * The state of one weak container: its `data` dict, its `_pending_removals` list, its
 * `_iterating` count, and how one pending removal is committed. Internal to the API.
 */
/**
 * How one of the containers' generators loops over `data`, which decides what its suspended frame
 * holds. `loop`: `for a, b in self.data.items()` (the dict iterator's result tuple holds the
 * entry's key and value, and so do the frame's first two locals), `for a in self.data` (`keys`:
 * the key) or `for a in self.data.values()` (the value). `weakAt`: where the entry's weakref is
 * (E_KEY, E_VALUE). `keepsReferent`: whether its referent is stored in a local (`v = wr()`) or
 * only tested (`if wr() is not None`). The locals, in co_varnames order after `self`:
 * WeakValueDictionary.items `k, wr, v`, .keys `k, wr`, .values `wr, obj`; WeakKeyDictionary.items
 * `wr, value, key`, .keys `wr, obj`, .values `wr, value`; WeakSet.__iter__ `itemref, item`.
 */
export interface GeneratorWalk {
  readonly loop: "items" | "keys" | "values";
  readonly weakAt: number;
  readonly keepsReferent: boolean;
}

/**
 * References a generator holds from JS (its frame's locals, its dict iterator's result tuple):
 * slots of addresses that each own one reference, or 0.
 */
class HeldRefs {
  readonly #e: Engine;
  readonly #refs: number[];

  constructor(e: Engine, n: number) {
    this.#e = e;
    this.#refs = new Array<number>(n).fill(0);
  }

  /** STORE_FAST: the new value is stored, then the old one released. */
  set(i: number, v: number, isRef: boolean): void {
    if (isRef) incref(this.#e, v);
    const old = this.#refs[i]!;
    this.#refs[i] = isRef ? v : 0;
    if (old !== 0) decref(this.#e, old);
  }

  /** A reused result tuple (dictiter_iternextitem): both items stored, then the old ones released. */
  setPair(i: number, a: number, aIsRef: boolean, b: number, bIsRef: boolean): void {
    if (aIsRef) incref(this.#e, a);
    if (bIsRef) incref(this.#e, b);
    const oldA = this.#refs[i]!;
    const oldB = this.#refs[i + 1]!;
    this.#refs[i] = aIsRef ? a : 0;
    this.#refs[i + 1] = bIsRef ? b : 0;
    if (oldA !== 0) decref(this.#e, oldA);
    if (oldB !== 0) decref(this.#e, oldB);
  }

  /** Releases slots from..from+n-1 in order (a frame's locals). */
  releaseForward(from: number, n: number): void {
    for (let i = from; i < from + n; i++) this.#release(i);
  }

  /** Releases slots from+n-1 down to from (a tuple's items). */
  releaseBackward(from: number, n: number): void {
    for (let i = from + n - 1; i >= from; i--) this.#release(i);
  }

  #release(i: number): void {
    const old = this.#refs[i]!;
    this.#refs[i] = 0;
    if (old !== 0) decref(this.#e, old);
  }
}

/**
 * How a container's _commit_removals removes one pending key from `data`: true when the key was
 * absent (CPython raised a KeyError there and swallowed it; see WeakCore.onKeyGone).
 */
type RemoveOne = (e: Engine, d: number, k: number, isRef: boolean) => boolean;

export class WeakCore {
  readonly ctx: HeapContext;
  readonly engine: Engine;
  /** The container's class name, for messages. */
  readonly name: string;
  readonly #data: DictHandle;
  readonly #pending: ListHandle;
  /** How many guards (running iterators, copies) are active: CPython's len(_iterating). */
  iterating = 0;
  /**
   * WeakKeyDictionary's _dirty_len: set by delete, pop and popitem, so that the next len() first
   * drops the pending removals no longer in `data` (see WeakKeyDictionary.size).
   */
  dirtyLen = false;
  /**
   * @internal Called when a removal (the `_remove` callback, or _commit_removals) finds its key
   * gone from `data` already. CPython raises a KeyError there and swallows it, which allocates:
   * the differential oracle's runner mirrors that (src/oracle/run.ts).
   */
  onKeyGone: ((where: "remove" | "commit") => void) | null = null;
  #disposed = false;
  readonly #removeOne: RemoveOne;

  constructor(ctx: HeapContext, name: string, removeOne: RemoveOne, dataIsSet = false) {
    ctx.ensureOpen(name);
    this.ctx = ctx;
    this.engine = ctx.engine;
    this.name = name;
    this.#removeOne = removeOne;
    const d = newDict(ctx.engine);
    // WeakSet's data is a set in CPython, and a set is tracked from its creation (a dict only once
    // it holds something trackable): where its weakrefs sit in the generations depends on it.
    if (dataIsSet) markDictAsSet(ctx.engine, d);
    this.#data = programOwned(ctx, d);
    let pending: number;
    try {
      pending = newList(ctx.engine);
    } catch (err) {
      this.#data.dispose(); // all or nothing: a container that cannot be made owns nothing
      throw err;
    }
    this.#pending = programOwned(ctx, pending);
  }

  /** Makes the container's `_remove` callback: `body(core, wr)` runs while the container lives. */
  static callback(core: WeakCore, name: string, body: (core: WeakCore, wr: number) => void): WeakrefCallback {
    // Like CPython's `selfref=ref(self)`: the callback does not keep the container alive.
    const self = new WeakRef(core);
    const fn: WeakrefCallback = (wr) => {
      const c = self.deref();
      if (c?.alive) body(c, wr);
    };
    Object.defineProperty(fn, "name", { value: name });
    // r.__callback__ for the weakrefs the container stores: calling it is calling `_remove(r)`.
    userCallbacks.set(fn, (r: WeakRefHandle) => fn(addressOf(r, name)));
    return fn;
  }

  /** True until dispose() (and while the heap is open): callbacks do nothing afterwards. */
  get alive(): boolean {
    return !this.#disposed && !this.ctx.closed;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  #check(op: string): void {
    if (this.#disposed) {
      throw new HandleError(ErrorCode.HandleReleased, `${this.name}.${op}: the ${this.name} was disposed`);
    }
  }

  /** The address of `data` (validated). */
  data(op: string): number {
    return this.#address(this.#data, op);
  }

  /** The address of the pending removals list (validated). */
  pending(op: string): number {
    return this.#address(this.#pending, op);
  }

  /** `h`'s address; the name for an error message is built only when there is one (W3's hits: 0.85x). */
  #address(h: Handle, op: string): number {
    this.#check(op);
    const a = addressIfUsable(h);
    return a !== 0 ? a : addressOf(h, `${this.name}.${op}`);
  }

  pendingCount(op: string): number {
    return listSize(this.engine, this.pending(op));
  }

  /** _pending_removals.append(k) */
  addPending(k: number, isRef: boolean): void {
    listAppend(this.engine, this.pending("_remove"), k, isRef);
  }

  /** The pending removals, decoded (keys, or dead weakrefs as handles). */
  pendingValues(op: string): Value[] {
    const e = this.engine;
    const l = this.pending(op);
    const out: Value[] = [];
    for (let i = 0; i < listSize(e, l); i++) out.push(this.ctx.decode(listItemSlot(e, l, i)));
    return out;
  }

  /**
   * _commit_removals: pops the pending removals from the end until none is left, removing each
   * from `data`. A popped key is held while it is removed (as CPython's local `key`).
   */
  commit(op: string): void {
    const e = this.engine;
    for (;;) {
      const l = this.pending(op);
      if (listSize(e, l) === 0) return;
      const [k, isRef] = slotValue(e, listItemSlot(e, l, -1));
      if (isRef) incref(e, k);
      try {
        listDelItem(e, l, -1);
        if (this.#removeOne(e, this.data(op), k, isRef)) this.onKeyGone?.("commit");
      } finally {
        if (isRef) decref(e, k);
      }
    }
  }

  /** `if self._pending_removals: self._commit_removals()` */
  commitIfPending(op: string): void {
    if (this.pendingCount(op) > 0) this.commit(op);
  }

  /** _IterationGuard.__enter__ */
  enter(): void {
    this.iterating++;
  }

  /** _IterationGuard.__exit__: the last guard to exit commits the pending removals. */
  exit(op: string): void {
    this.iterating--;
    if (this.iterating === 0 && this.alive) this.commit(op);
  }

  /** Runs `fn` inside an iteration guard (`with _IterationGuard(self):`). */
  guarded<T>(op: string, fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.exit(op);
    }
  }

  /**
   * The loop of the containers' generators (Lib/weakref.py, Lib/_weakrefset.py), guarded, over
   * every entry of `data`, dead ones too: yields each entry whose weakref (at `walk.weakAt`) lives,
   * with its referent. Meanwhile it holds what CPython's suspended generator holds, rebound as
   * CPython rebinds it (see GeneratorWalk); the dict iterator's tuple dies when the loop ends, then
   * the guard exits (committing the removals), then the frame's locals die, in order.
   */
  *walk(op: string, changed: string, walk: GeneratorWalk): Generator<[number, number], void, undefined> {
    const e = this.engine;
    // Slots: the frame's locals (the loop's variables, then the referent), then the result tuple.
    const pair = walk.loop === "items";
    const referent = pair ? 2 : 1;
    const tuple = referent + 1;
    const held = new HeldRefs(e, pair ? tuple + 2 : tuple);
    this.enter();
    try {
      for (const entry of this.entries(op, changed)) {
        if (pair) {
          const [k, kIsRef] = slotValue(e, entry + E_KEY);
          const [v, vIsRef] = slotValue(e, entry + E_VALUE);
          held.setPair(tuple, k, kIsRef, v, vIsRef); // FOR_ITER refills the result tuple
          held.set(0, k, kIsRef); // STORE_FAST, STORE_FAST
          held.set(1, v, vIsRef);
        } else {
          const [x, xIsRef] = slotValue(e, entry + (walk.loop === "keys" ? E_KEY : E_VALUE));
          held.set(0, x, xIsRef);
        }
        const o = weakrefReferent(e, slotRef(e, entry + walk.weakAt));
        if (walk.keepsReferent) held.set(referent, o, o !== 0);
        if (o !== 0) yield [entry, o];
      }
    } finally {
      if (pair) held.releaseBackward(tuple, 2); // the dict iterator dies: its tuple's items, last first
      this.exit(op);
      held.releaseForward(0, referent + 1);
    }
  }

  /** The live referents of the weakrefs at `weakAt` (E_KEY or E_VALUE), as new handles (see walk). */
  *liveReferents<T extends Handle>(
    op: string,
    changed: string,
    walk: GeneratorWalk,
  ): Generator<T, void, undefined> {
    for (const [, o] of this.walk(op, changed, walk)) yield this.ctx.wrap(o, false) as T;
  }

  /**
   * Iterates `data`'s live entries (their addresses, valid until the next step) as a dict
   * iterator does: throws `changed` ("dictionary changed size during iteration") if its size
   * changes meanwhile, and for a dict also "dictionary keys changed during iteration" when more
   * entries turn up than it had (keys replaced at the same size).
   */
  *entries(op: string, changed: string): Generator<number, void, undefined> {
    const e = this.engine;
    const size = dictSize(e, this.data(op));
    let remaining = size; // the dict iterator's di->len (see DictHandle.entries)
    for (let i = 0; ; i++) {
      const d = this.data(op);
      if (dictSize(e, d) !== size) throw new HeapValueError(changed);
      const t = dictTable(e, d);
      if (t === 0 || i >= tableNEntries(e, t)) return;
      const entry = tableEntry(e, t, i);
      if (!entryIsLive(e, entry)) continue;
      // A set's iterator has no such check (setiter_iternext): a WeakSet's data stands for a set.
      if (remaining === 0 && changed === DICT_CHANGED) throw new HeapValueError(DICT_KEYS_CHANGED);
      remaining--;
      yield entry;
    }
  }

  /** The last live entry of `data` (dict.popitem's), or 0 when it is empty. */
  lastEntry(op: string): number {
    const e = this.engine;
    const t = dictTable(e, this.data(op));
    if (t === 0) return 0;
    for (let i = tableNEntries(e, t) - 1; i >= 0; i--) {
      const entry = tableEntry(e, t, i);
      if (entryIsLive(e, entry)) return entry;
    }
    return 0;
  }

  /**
   * dict.popitem(): removes the last entry and returns its key and value, each holding a reference
   * when it is an object (the caller releases them with `release`); null when `data` is empty.
   */
  popEntry(op: string): [number, boolean, number, boolean] | null {
    const e = this.engine;
    const entry = this.lastEntry(op);
    if (entry === 0) return null;
    const [k, kIsRef] = slotValue(e, entry + E_KEY);
    const [v, vIsRef] = slotValue(e, entry + E_VALUE);
    if (kIsRef) incref(e, k);
    if (vIsRef) incref(e, v);
    dictDelItem(e, this.data(op), k, kIsRef);
    return [k, kIsRef, v, vIsRef];
  }

  release(v: number, isRef: boolean): void {
    if (isRef) decref(this.engine, v);
  }

  /** Releases `data` and the pending removals (once); later uses throw HANDLE_RELEASED. */
  dispose(dataFirst: boolean): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (dataFirst) {
      this.#data.dispose();
      this.#pending.dispose();
    } else {
      this.#pending.dispose();
      this.#data.dispose();
    }
  }

  /** CPython's repr, `<WeakValueDictionary at 0x…>` (the address is that of `data`). */
  repr(): string {
    return this.#disposed ? `<disposed ${this.name}>` : `<${this.name} at ${hex(this.data("toString"))}>`;
  }
}

/** Runs `fn` in a scope: the handles that iterating the caller's entries makes are released. */
function scoped(core: WeakCore, fn: () => void): void {
  core.ctx.scope(() => fn());
}

const DICT_CHANGED = DICT_CHANGED_SIZE;

// The generators' loops (see GeneratorWalk).
const WVD_ITEMS: GeneratorWalk = { loop: "items", weakAt: E_VALUE, keepsReferent: true };
const WVD_KEYS: GeneratorWalk = { loop: "items", weakAt: E_VALUE, keepsReferent: false };
const WVD_VALUES: GeneratorWalk = { loop: "values", weakAt: E_VALUE, keepsReferent: true };
const WKD_ITEMS: GeneratorWalk = { loop: "items", weakAt: E_KEY, keepsReferent: true };
const WKD_KEYS: GeneratorWalk = { loop: "keys", weakAt: E_KEY, keepsReferent: true };
const WKD_VALUES: GeneratorWalk = { loop: "items", weakAt: E_KEY, keepsReferent: false };
/** WeakSet.__iter__: `for itemref in self.data: item = itemref()`. */
export const WSET_ITER: GeneratorWalk = { loop: "keys", weakAt: E_KEY, keepsReferent: true };
const EMPTY_POPITEM = "'popitem(): dictionary is empty'";

// ---------------------------------------------------------------------------------------------
// WeakValueDictionary
/**
 * What every weak container shares: the core that owns its heap objects, CPython's repr, and
 * release through dispose() or `using`.
 */
export abstract class WeakContainer {
  /** @internal The container's heap objects and the machinery the weak containers share. */
  protected readonly core: WeakCore;
  /** Release `data` before the pending removals (WeakKeyDictionary's and WeakSet's order). */
  readonly #dataFirst: boolean;

  protected constructor(core: WeakCore, dataFirst: boolean) {
    this.core = core;
    this.#dataFirst = dataFirst;
  }

  /** CPython's repr: `<WeakValueDictionary at 0x…>` and so on. */
  toString(): string {
    return this.core.repr();
  }

  /** True once dispose() has run. */
  get disposed(): boolean {
    return this.core.disposed;
  }

  /**
   * Releases what the container owns (its dict, the pending removals), as CPython frees one no
   * longer referenced. Idempotent; later uses throw HANDLE_RELEASED.
   */
  dispose(): void {
    this.core.dispose(this.#dataFirst);
  }

  /** Same as dispose(), for `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Same as dispose(), for `await using` declarations. */
  [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }
}

/** `key in container` for the weakly keyed ones: false (not a TypeError) for values without weakrefs. */
export function containsWeakly(core: WeakCore, key: Value, op: string): boolean {
  if (weakReferentOrZero(core.ctx, key, op) === 0) return false;
  return withTempRef(core, key, op, (wr) => dictGetSlot(core.engine, core.data("has"), wr, true) !== 0);
}

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

  #wrap(o: number): V {
    return this.core.ctx.wrap(o, false) as V;
  }

  /** d.get(key, default): the value, or `defaultValue` (undefined) if absent or dead. */
  get(key: Key): V | undefined;
  get<D>(key: Key, defaultValue: D): V | D;
  get<D>(key: Key, defaultValue?: D): V | D | undefined {
    this.core.commitIfPending("get");
    const wr = this.#lookup(key, "get", "WeakValueDictionary.get");
    const o = wr === 0 ? 0 : weakrefReferent(this.core.engine, wr);
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
        if (o !== 0) return [kIsRef ? core.ctx.decodeObject(k) : k, this.#wrap(o)];
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

  /** d.update(entries): [key, value] pairs (another weak dictionary, a Map…) or an object's properties. */
  update(entries: WeakEntries<Key, V>): void {
    const core = this.core;
    core.commitIfPending("update");
    scoped(core, () => {
      for (const [key, value] of entryPairs(entries, "WeakValueDictionary.update")) {
        const o = weakReferent(core.ctx, value, "WeakValueDictionary.update");
        this.#store(core.data("update"), key, o, "WeakValueDictionary.update");
      }
    });
  }

  /** d.copy(): a new WeakValueDictionary with the live entries (the caller disposes it). */
  copy(): WeakValueDictionary<V> {
    const core = this.core;
    const e = core.engine;
    core.commitIfPending("copy");
    const copy = new WeakValueDictionary<V>(core.ctx);
    try {
      const target = copy.core.data("copy");
      core.guarded("copy", () => {
        for (const entry of core.entries("copy", DICT_CHANGED)) {
          const o = weakrefReferent(e, slotRef(e, entry + E_VALUE));
          if (o === 0) continue;
          const [k, kIsRef] = slotValue(e, entry + E_KEY);
          const kr = weakrefModule.newKeyedRef(e, o, copy.#remove, k, kIsRef);
          try {
            dictSetItem(e, target, k, kIsRef, kr, true);
          } finally {
            decref(e, kr);
          }
        }
      });
    } catch (err) {
      copy.dispose();
      throw err;
    }
    return copy;
  }

  /** MutableMapping.clear(): popitem() until the dictionary is empty (entries released last first). */
  clear(): void {
    const core = this.core;
    core.commitIfPending("clear");
    for (;;) {
      const item = core.popEntry("clear");
      if (item === null) return;
      core.release(item[0], item[1]);
      core.release(item[2], item[3]);
    }
  }

  /** d.items(): [key, value] for each live entry (guarded; see the module comment). */
  *items(): Generator<[Value, V], void, undefined> {
    const core = this.core;
    core.commitIfPending("items");
    for (const [entry, o] of core.walk("items", DICT_CHANGED, WVD_ITEMS)) {
      yield [core.ctx.decode(entry + E_KEY), this.#wrap(o)];
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
        yield core.ctx.wrap(slotRef(e, entry + E_VALUE), false) as KeyedRefHandle;
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

// ---------------------------------------------------------------------------------------------
// WeakKeyDictionary
// ---------------------------------------------------------------------------------------------

/** `data.discard(k)`, WeakSet's removal: a missing key is no error in CPython either (false). */
export function discardKey(e: Engine, d: number, k: number, isRef: boolean): boolean {
  dictDelItem(e, d, k, isRef);
  return false;
}

/** `del data[k]`: true when `k` was absent (CPython's KeyError, which the callers swallow). */
function deleteKey(e: Engine, d: number, k: number, isRef: boolean): boolean {
  return !dictDelItem(e, d, k, isRef);
}

/** Python's `ref(obj)` for a lookup: runs `fn` with a temporary basic weakref to `obj`, then releases it. */
export function withTempRef<T>(core: WeakCore, obj: Value, op: string, fn: (wr: number) => T): T {
  const e = core.engine;
  const wr = weakrefModule.newRef(e, weakReferent(core.ctx, obj, op));
  try {
    return fn(wr);
  } finally {
    decref(e, wr);
  }
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
      withValue(core.ctx, value, op, (v, vIsRef) => dictSetItem(e, d, wr, true, v, vIsRef));
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
      const d = core.data("pop");
      const p = dictGetSlot(e, d, wr, true);
      if (p === 0) {
        if (rest.length > 0) return rest[0] as D;
        throw keyError(weakrefRepr(e, wr));
      }
      const value = core.ctx.decode(p);
      dictDelItem(e, d, wr, true);
      return value;
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
        if (o !== 0) return [core.ctx.wrap(o, false) as K, vIsRef ? core.ctx.decodeObject(v) : v];
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
      withValue(core.ctx, defaultValue, op, (v, vIsRef) => dictSetItem(e, d, wr, true, v, vIsRef));
      return core.ctx.decode(dictGetSlot(e, d, wr, true));
    } finally {
      decref(e, wr);
    }
  }

  /** d.update(entries): [key, value] pairs (another WeakKeyDictionary, a Map…). */
  update(entries: Iterable<readonly [K, Value]>): void {
    scoped(this.core, () => {
      for (const [key, value] of entryPairs(entries, "WeakKeyDictionary.update")) {
        this.#store(key as Value, value, "WeakKeyDictionary.update");
      }
    });
  }

  /** d.copy(): a new WeakKeyDictionary with the live entries (the caller disposes it). */
  copy(): WeakKeyDictionary<K> {
    const core = this.core;
    const e = core.engine;
    const copy = new WeakKeyDictionary<K>(core.ctx);
    try {
      const target = copy.core.data("copy");
      core.guarded("copy", () => {
        for (const entry of core.entries("copy", DICT_CHANGED)) {
          const o = weakrefReferent(e, slotRef(e, entry + E_KEY));
          if (o === 0) continue;
          const [v, vIsRef] = slotValue(e, entry + E_VALUE);
          const wr = weakrefModule.newRef(e, o, copy.#remove);
          try {
            dictSetItem(e, target, wr, true, v, vIsRef);
          } finally {
            decref(e, wr);
          }
        }
      });
    } catch (err) {
      copy.dispose();
      throw err;
    }
    return copy;
  }

  /** MutableMapping.clear(): popitem() until the dictionary is empty. */
  clear(): void {
    const core = this.core;
    this.core.dirtyLen = true;
    for (;;) {
      const item = core.popEntry("clear");
      if (item === null) return;
      core.release(item[0], item[1]);
      core.release(item[2], item[3]);
    }
  }

  /** d.items(): [key, value] for each entry whose key lives (guarded). */
  *items(): Generator<[K, Value], void, undefined> {
    const core = this.core;
    for (const [entry, o] of core.walk("items", DICT_CHANGED, WKD_ITEMS)) {
      yield [core.ctx.wrap(o, false) as K, core.ctx.decode(entry + E_VALUE)];
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
      out.push(core.ctx.wrap(slotRef(e, entry + E_KEY), false) as WeakRefHandle);
    }
    return out;
  }

  /** d._pending_removals: the dead weakrefs of keys that died during an iteration (for inspection). */
  get pendingRemovals(): WeakRefHandle[] {
    return this.core.pendingValues("pendingRemovals") as WeakRefHandle[];
  }
}
