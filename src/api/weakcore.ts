/**
 * The machinery every weak container shares (CPython 3.11's Lib/weakref.py and _weakrefset.py):
 * WeakCore and WeakContainer, used by WeakValueDictionary (weakvaluedict.ts), WeakKeyDictionary
 * (weakkeydict.ts) and WeakSet (weakset.ts). The container's `data` is a real heap dict it owns
 * through one reference, its `_pending_removals` a heap list (holding the keys, or the dead
 * weakrefs, still to remove), and its `_remove` function an engine weakref callback that, like
 * CPython's, refers to the container only weakly (through a JS WeakRef: a container the program
 * drops is not kept alive by its entries' callbacks).
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
  weakrefReferent,
} from "../object/index.js";
import {
  decref,
  dictDelItem,
  dictGetSlot,
  incref,
  listAppend,
  listDelItem,
  listItemSlot,
} from "../refcount/index.js";
import { ErrorCode, HandleError, HeapValueError, hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import { DICT_CHANGED_SIZE, DICT_KEYS_CHANGED, type DictHandle, type ListHandle } from "./containers.js";
import type { HeapContext } from "./context.js";
import type { Engine } from "./engine.js";
import { addressIfUsable, addressOf, type Handle, type Value } from "./handle.js";
import { userCallbacks, type WeakRefHandle, weakReferent, weakReferentOrZero } from "./weakhandle.js";

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
export function programOwned<H extends Handle>(ctx: HeapContext, addr: number): H {
  const inner = ctx.scopes.splice(0);
  try {
    return ctx.wrap(addr, true) as H;
  } finally {
    ctx.scopes.push(...inner);
  }
}

/** Reads a value slot as (v, isRef). */
export function slotValue(e: Engine, p: number): [number, boolean] {
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
  /**
   * The two objects' addresses. The container owns their only references the program cannot
   * release (its handles are not handed out), so they stay valid while it is not disposed and
   * the heap is open: data() and pending() check those two flags, not the objects' headers.
   */
  readonly #dataAddr: number;
  readonly #pendingAddr: number;
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
   * the differential oracle's runner mirrors that (src/oracle/runner/weakcontainers.ts).
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
    this.#dataAddr = d;
    let pending: number;
    try {
      pending = newList(ctx.engine);
    } catch (err) {
      this.#data.dispose(); // all or nothing: a container that cannot be made owns nothing
      throw err;
    }
    this.#pending = programOwned(ctx, pending);
    this.#pendingAddr = pending;
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
    return this.#trusted() ? this.#dataAddr : this.#address(this.#data, op);
  }

  /**
   * Whether #dataAddr and #pendingAddr can be used as they are: the container is live, the heap
   * open and unchecked (checked heaps validate every object they touch).
   */
  #trusted(): boolean {
    return !this.#disposed && !this.ctx.closed && !this.engine.checked;
  }

  /**
   * The address of `data` for a read that needs nothing else first (the container live, the heap
   * open and unchecked, no removal pending), else 0: the caller takes the general path.
   */
  readyData(): number {
    return this.#trusted() && listSize(this.engine, this.#pendingAddr) === 0 ? this.#dataAddr : 0;
  }

  /** The address of the pending removals list (validated). */
  pending(op: string): number {
    return this.#trusted() ? this.#pendingAddr : this.#address(this.#pending, op);
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

  /** The live referents of the weakrefs at `weakAt` (E_KEY or E_VALUE), as borrowed handles (see walk). */
  *liveReferents<T extends Handle>(
    op: string,
    changed: string,
    walk: GeneratorWalk,
  ): Generator<T, void, undefined> {
    for (const [, o] of this.walk(op, changed, walk)) yield this.ctx.borrow(o) as T;
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

  /**
   * copy()'s loop, for the three containers: under the iteration guard, `put(entry, o)` for each
   * entry whose weakref (at `weakAt`: E_KEY or E_VALUE) still has its referent `o`; `copy` (the
   * new container) is disposed if anything fails, and returned otherwise.
   */
  copyLive<C extends { dispose(): void }>(
    copy: C,
    weakAt: number,
    changed: string,
    put: (entry: number, o: number) => void,
  ): C {
    const e = this.engine;
    try {
      this.guarded("copy", () => {
        for (const entry of this.entries("copy", changed)) {
          const o = weakrefReferent(e, slotRef(e, entry + weakAt));
          if (o !== 0) put(entry, o);
        }
      });
    } catch (err) {
      copy.dispose();
      throw err;
    }
    return copy;
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

  /** MutableMapping.clear(): popEntry() until `data` is empty, releasing each entry (last first). */
  popAll(op: string): void {
    for (;;) {
      const item = this.popEntry(op);
      if (item === null) return;
      this.release(item[0], item[1]);
      this.release(item[2], item[3]);
    }
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
export function scoped(core: WeakCore, fn: () => void): void {
  core.ctx.scope(() => fn());
}

export const DICT_CHANGED = DICT_CHANGED_SIZE;

// The generators' loops (see GeneratorWalk).
/** WeakSet.__iter__: `for itemref in self.data: item = itemref()`. */
export const WSET_ITER: GeneratorWalk = { loop: "keys", weakAt: E_KEY, keepsReferent: true };
export const EMPTY_POPITEM = "'popitem(): dictionary is empty'";

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

/** `data.discard(k)`, WeakSet's removal: a missing key is no error in CPython either (false). */
export function discardKey(e: Engine, d: number, k: number, isRef: boolean): boolean {
  dictDelItem(e, d, k, isRef);
  return false;
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
