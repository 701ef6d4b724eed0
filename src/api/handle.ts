/**
 * Handles: small JS objects that stand for heap objects. A handle is one of three kinds
 * (docs/decisions.md §30):
 *
 * - *borrowed*: what a read gives (a field, a list item, a dict entry, an iteration). It owns no
 *   reference and needs no release; it stays valid while its object lives, as a C borrowed
 *   reference does, and once the object is freed every use throws STALE_HANDLE.
 * - *floating*: what a constructor gives (`C.new()`, `heap.list()`), and any other result that
 *   carries a new reference (a weakref's referent, `pop()`). It owns that reference until the
 *   first store of the handle into a field or a container *sinks* it: the container takes the
 *   reference over and the handle becomes borrowed. Never stored, it is the program's to release.
 * - *owned*: from `own()`, `dup()` or `heap.wrap()`. It owns one reference until `dispose()`, the
 *   end of its `using` block, or the end of the scope it was made in.
 */

import {
  checkObject,
  describe,
  FALSE,
  listAppendStealFast,
  NONE,
  refcnt,
  TRUE,
  typeIdOf,
  typeInfo,
  typeWordOf,
} from "../object/index.js";
import { decref } from "../refcount/index.js";
import { ErrorCode, HandleError, HeapValueError, hex, RefheapError } from "../util/index.js";
import type { Engine } from "./engine.js";
import { inspectObject } from "./inspect.js";

/** What a heap value looks like in JS: numbers, booleans, strings and None map to JS values. */
export type Value = number | boolean | string | null | Handle;

/** The services a handle needs from its heap (implemented by the heap's context). */
export interface HandleHost {
  readonly engine: Engine;
  /** Set by close(); every handle use checks it. */
  readonly closed: boolean;
  /**
   * Open, unchecked, and no constructor's stores pending (pendingSinks is null): the handles' fast
   * paths test this one flag for all three.
   */
  fast: boolean;
  /** Throws HEAP_CLOSED after close(). */
  ensureOpen(op: string): void;
  /** The handle a value stands for: a Handle, or the proxy handle behind a proxy's face; else undefined. */
  handleOf(value: unknown): Handle | undefined;
  /**
   * A new handle of the right class for `addr`, owning one reference (taken over if `steal`);
   * `floating` makes it floating (sunk by its first store), else it is owned.
   */
  wrap(addr: number, steal: boolean, floating?: boolean): Handle;
  /** A new borrowed handle of the right class for `addr`: no reference, nothing to release. */
  borrow(addr: number): Handle;
  /** Bookkeeping when a program-owned handle `h` (one with a leak record) is released or sunk. */
  forget(record: LeakRecord, h: Handle): void;
  /**
   * A program-owned floating handle became owned (own()): V8's collector watches it from now on.
   * `addr` is its object.
   */
  watch(h: Handle, record: LeakRecord, addr: number): void;
  /** Encodes a value for a store: returns it and sets encIsRef, and encTemp (a reference to drop after the store, or 0). */
  encode(value: Value, op: string): number;
  encIsRef: boolean;
  encTemp: number;
  /**
   * While a constructor builds (allOrNothing): the [value, into] pairs of its stores, sunk only
   * once it succeeds; null otherwise.
   */
  pendingSinks: unknown[] | null;
  /** Decodes the value slot at `p` (object references become borrowed handles). */
  decode(p: number): Value;
  /** Decodes the value slot at `p`, an object as a floating handle with a new reference (for pops). */
  decodeOwned(p: number): Value;
}

/** Reads a handle's object address, validating the handle (for the API's own modules). */
export let addressOf: (h: Handle, op: string) => number;
/**
 * A handle's object address when the handle is usable as it stands (not released, not stale, its
 * heap open and unchecked), else 0; then addressOf, given the operation's name, says what is wrong.
 * For callers whose operation name would have to be built (a template string per call).
 */
export let addressIfUsable: (h: Handle) => number;
/** The heap a handle belongs to. */
export let hostOf: (h: Handle) => HandleHost;
/**
 * The leak detector's record of a program-owned handle (handles owned by a scope, or lent to a
 * finalizer, have none). dispose() marks it released.
 */
export interface LeakRecord {
  released: boolean;
  /** Its place in the heap's list of unreleased program-owned handles (−1: not listed). */
  slot: number;
}
/**
 * Gives a program-owned handle its leak record (HeapContext.adopt), and `slot`, its place in
 * the heap's list of floating handles (−1: none).
 */
export let setLeakRecord: (h: Handle, record: LeakRecord, slot?: number) => void;
/** The place setLeakRecord gave a handle in the heap's list of floating handles. */
export let leakSlot: (h: Handle) => number;
/**
 * After a store of `value` into the object at `into` (a field, an item, an entry): a floating
 * handle hands its reference to that object, which now holds it, and becomes borrowed (GLib's
 * g_object_ref_sink). Anything else is left alone, and so is a store of an object into itself
 * (`o.me = o`), which would leave a cycle nothing outside holds.
 */
export let sink: (value: unknown, into: number) => void;
/**
 * The address of `value`'s object when a store into the object at `into` may take over the
 * handle's reference instead of taking one of its own: `value` is a floating handle of `host`,
 * usable as it stands (not released or stale, its heap open and unchecked), not `into` itself,
 * outside a constructor's pending stores. Else 0, and the caller stores as usual, then calls
 * sinkStored. Once the store succeeded the caller calls markSunk.
 */
export let stealableAddress: (value: unknown, into: number, host: HandleHost) => number;
/** After a store took over a floating handle's reference (stealableAddress): it is now borrowed. */
export let markSunk: (value: Handle) => void;
/**
 * list.append(value)'s fast path, small enough for V8 to inline into the caller's loop: when
 * `value` is a floating handle of the list's heap, both handles usable as they stand and the list
 * has room, the list takes over the handle's reference (LIST_APPEND's steal) and the handle
 * becomes borrowed. Returns false, having done nothing, in every other case.
 */
export let appendFloating: (list: Handle, value: unknown) => boolean;
/** A handle's object address if the handle is floating and not released, else 0 (for the leak detector). */
export let floatingAddress: (h: Handle) => number;

/** What a handle owns (see the top of this file). */
export const Ownership = { Borrowed: 0, Owned: 1, Floating: 2 } as const;
export type Ownership = (typeof Ownership)[keyof typeof Ownership];
const OWNERSHIP_NAMES = ["borrowed", "owned", "floating"] as const;

/** A released handle's type word: no object has it (type id 0 is never valid). */
const RELEASED = 0;

/**
 * Returns the object it is given, so that Handle's constructor puts its private fields on an
 * object made from any handle class's prototype (makeHandle). Handle is then the class being
 * constructed, whose own fields V8 initialises in about 3 ns; initialised under `super()` for a
 * subclass they cost about 25 ns per handle in Node 20 (docs/performance.md, W5).
 */
class Stamp {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the object returned becomes the handle
    return target as Stamp;
  }
}

/**
 * The base of every handle: a borrowed, floating or owned reference to a heap object (see the
 * top of this file).
 */
export class Handle extends Stamp {
  readonly #host: HandleHost;
  readonly #addr: number;
  /**
   * The object's type word (reuse tag and type id) when the handle was made, or RELEASED after
   * dispose(): one comparison with the object's current word catches a released handle, and a
   * stale one whose block now holds another object (a borrowed handle's object may be freed at
   * any time). A block reused by an object of the same type whose 16-bit tag wrapped around to
   * the same value passes; such a handle then acts on a live object of its own type, so the
   * heap's invariants hold, and checked mode's validation covers the rest.
   */
  #tag: number;
  /** Ownership.Borrowed, Owned or Floating. */
  #own: Ownership;
  #leak: LeakRecord | undefined;
  #slot: number;

  /**
   * @internal Handles are made by the heap (`heap.wrap`, constructors, reads) through makeHandle,
   * never directly: `target` is a new object whose prototype is the handle class's.
   */
  constructor(
    target: object,
    host: HandleHost,
    addr: number,
    own: Ownership,
    word: number,
    leak: LeakRecord | undefined,
    slot: number,
  ) {
    super(target);
    this.#host = host;
    this.#addr = addr;
    this.#tag = word;
    this.#own = own;
    this.#leak = leak;
    this.#slot = slot;
  }

  static {
    addressOf = (h, op) => h.#use(op);
    addressIfUsable = (h) => h.#usable();
    hostOf = (h) => h.#host;
    setLeakRecord = (h, record, slot = -1) => {
      h.#leak = record;
      h.#slot = slot;
    };
    leakSlot = (h) => h.#slot;
    sink = (value, into) => {
      if (!(value instanceof Handle) || value.#own !== Ownership.Floating || value.#addr === into) return;
      const host = value.#host;
      const e = host.engine;
      // The only reference left is the handle's: the store did not keep the object (a dict keeps
      // its existing equal key), so the handle stays floating. Otherwise the other references are
      // real ones, and the handle's is one too many.
      if (refcnt(e, value.#addr) <= 1) return;
      markSunk(value);
      decref(e, value.#addr);
    };
    stealableAddress = (value, into, host) => {
      // `#own in value` is the cheapest test that value is a handle (no prototype chain walk).
      if (typeof value !== "object" || value === null || !(#own in value) || value.#host !== host) return 0;
      const e = host.engine;
      const a = value.#addr;
      // host.fast: open, unchecked, outside a constructor's pending stores.
      if (value.#own !== Ownership.Floating || a === into || typeWordOf(e, a) !== value.#tag || !host.fast) {
        return 0;
      }
      return a;
    };
    markSunk = (value) => {
      value.#own = Ownership.Borrowed;
      const record = value.#leak;
      value.#leak = undefined;
      if (record !== undefined) value.#host.forget(record, value);
    };
    // stealableAddress's and markSunk's steps written out again, with the heap's state as one
    // flag: composed from the two functions, W1's recommended build measured 8–9 ns per object
    // slower in alternating child processes (V8 then left more of it uninlined).
    appendFloating = (list, value) => {
      if (typeof value !== "object" || value === null || !(#own in value)) return false;
      const host = list.#host;
      const e = host.engine;
      const l = list.#addr;
      const a = value.#addr;
      if (
        value.#own !== Ownership.Floating ||
        value.#host !== host ||
        !host.fast ||
        typeWordOf(e, l) !== list.#tag ||
        typeWordOf(e, a) !== value.#tag ||
        a === l ||
        !listAppendStealFast(e, l, a)
      ) {
        return false;
      }
      value.#own = Ownership.Borrowed;
      const record = value.#leak;
      value.#leak = undefined;
      if (record !== undefined) host.forget(record, value);
      return true;
    };
    floatingAddress = (h) => (h.#own === Ownership.Floating && h.#tag !== RELEASED ? h.#addr : 0);
  }

  /**
   * The address, after checking the handle may be used. The fast path is one test small enough
   * to inline into every accessor; anything unusual (released, closed heap, checked mode, a
   * changed reuse tag) goes to #useSlow, which throws or runs checked mode's validation.
   */
  #use(op: string): number {
    const host = this.#host;
    const e = host.engine;
    if (typeWordOf(e, this.#addr) !== this.#tag || host.closed || e.checked) {
      return this.#useSlow(op);
    }
    return this.#addr;
  }

  #usable(): number {
    const host = this.#host;
    const e = host.engine;
    return typeWordOf(e, this.#addr) !== this.#tag || host.closed || e.checked ? 0 : this.#addr;
  }

  #useSlow(op: string): number {
    if (this.#tag === RELEASED) {
      throw new HandleError(
        ErrorCode.HandleReleased,
        `${op}: this handle (to the object at ${hex(this.#addr)}) was already released: by dispose(), the end ` +
          "of its `using` block, or the end of the heap.scope it was made in. To keep an object, keep a handle " +
          "you have not released: return it from the scope (or scope.escape(h) it), or dup() one before " +
          "releasing this one.",
      );
    }
    const e = this.#host.engine;
    this.#host.ensureOpen(op);
    if (e.checked) {
      try {
        checkObject(e, this.#addr, op);
      } catch (err) {
        if (err instanceof RefheapError) throw this.#stale(op);
        throw err;
      }
    }
    if (typeWordOf(e, this.#addr) !== this.#tag) throw this.#stale(op);
    return this.#addr;
  }

  #stale(op: string): HandleError {
    if (this.#own === Ownership.Borrowed) {
      return new HandleError(
        ErrorCode.StaleHandle,
        `${op}: the object this borrowed handle referred to (at ${hex(this.#addr)}) was freed. A handle read ` +
          "from a field or container (or a constructor's handle once stored) does not keep its object alive; " +
          "call own() on it while the object lives to keep it, and dispose() that handle when done.",
      );
    }
    return new HandleError(
      ErrorCode.StaleHandle,
      `${op}: the object this handle referred to (at ${hex(this.#addr)}) was freed and its memory reused, ` +
        "although the handle still owned a reference: references were over-released through the engine API.",
    );
  }

  /** The object's address, for use with the engine API ("refheap/core"). The handle keeps owning it. */
  get address(): number {
    return this.#use("address");
  }

  /** True once dispose() has released what this handle owned (a borrowed handle is never released). */
  get released(): boolean {
    return this.#tag === RELEASED;
  }

  /**
   * What this handle owns: "borrowed" (nothing: read from a field or container), "floating" (a
   * reference its first store hands to the container) or "owned" (a reference, until dispose()).
   */
  get ownership(): "borrowed" | "owned" | "floating" {
    return OWNERSHIP_NAMES[this.#own];
  }

  /** The name of the object's type ('list', 'Node', …). */
  get typeName(): string {
    const a = this.#use("typeName");
    return typeInfo(this.#host.engine, typeIdOf(this.#host.engine, a)).name;
  }

  /**
   * Identity (Python's `is`): true if `other` refers to the same object. A handle of another heap,
   * or a JS value that is not a heap object (a number, a string), is never the same object;
   * `null`, `true` and `false` are None, True and False.
   */
  is(other: unknown): boolean {
    const a = this.#use("is");
    const h = this.#host.handleOf(other);
    if (h !== undefined) return h.#host === this.#host && h.#use("is") === a;
    if (other === null) return a === NONE;
    if (other === true) return a === TRUE;
    if (other === false) return a === FALSE;
    return false;
  }

  /** A second handle to the same object, owning its own reference (an owned handle). */
  dup(): this {
    return this.#host.wrap(this.#use("dup"), false) as this;
  }

  /**
   * A handle that owns a reference to this object, keeping it alive until that handle's
   * dispose() (or `using` block, or scope) ends: this handle itself when it is floating (it stops
   * floating, so a store no longer takes its reference), otherwise a new owned handle. For an
   * object that must outlive the field or container it was read from, or an `await`.
   */
  own(): this {
    const a = this.#use("own");
    if (this.#own === Ownership.Floating) {
      this.#own = Ownership.Owned;
      if (this.#leak !== undefined) this.#host.watch(this, this.#leak, a);
      return this;
    }
    return this.#host.wrap(a, false) as this;
  }

  /**
   * Releases what this handle owns: its reference if it is owned or floating; nothing if it is
   * borrowed. Idempotent: releasing twice does nothing. After the heap was closed it only marks
   * the handle released (a closed heap frees nothing). A stale owning handle (its object was
   * freed behind its back and the memory reused) throws STALE_HANDLE and releases nothing: the
   * reference it owned is already gone.
   */
  dispose(): void {
    if (this.#tag === RELEASED || this.#own === Ownership.Borrowed) return;
    const host = this.#host;
    if (!host.closed) {
      const e = host.engine;
      if (e.checked) {
        try {
          checkObject(e, this.#addr, "dispose");
        } catch (err) {
          if (err instanceof RefheapError) throw this.#stale("dispose");
          throw err;
        }
      }
      if (typeWordOf(e, this.#addr) !== this.#tag) throw this.#stale("dispose");
    }
    this.#tag = RELEASED;
    // Scope-owned handles have no record: their scope drops its list when it ends.
    const record = this.#leak;
    if (record !== undefined) host.forget(record, this);
    if (!host.closed) decref(host.engine, this.#addr);
  }

  /** Same as dispose(), for `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Same as dispose(), for `await using` declarations (the release itself is synchronous). */
  [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }

  /**
   * What console.log and util.inspect show: type, address, refcount and contents (a class's
   * fields, a list's items, a dict's entries), read without making a handle or changing a count.
   */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    if (this.#tag === RELEASED) return "<released handle>";
    const host = this.#host;
    if (host.closed) return `<handle to ${hex(this.#addr)} of a closed heap>`;
    const e = host.engine;
    if (typeWordOf(e, this.#addr) !== this.#tag) return `<stale handle to ${hex(this.#addr)}>`;
    return inspectObject(e, this.#addr);
  }

  /** CPython's default repr: `<Node object at 0x…>`. */
  override toString(): string {
    if (this.#tag === RELEASED) return "<released handle>";
    return `<${describe(this.#host.engine, this.#use("toString")).replace(/^'([^']*)' object/, "$1 object")}>`;
  }
}

/**
 * An object made by a HandleMaker, not yet a handle: makeHandle gives it Handle's fields. (The
 * type parameter records which handle class's prototype it has.)
 */
export interface HandleObject<H extends Handle> {
  readonly __handleObjectOf?: H;
}

/**
 * What a handle's object is made with: a plain function whose `prototype` is a handle class's,
 * made once per class (handleMaker). `new maker()` is one allocation with room in the object for
 * all of Handle's fields; Object.create(prototype) cost about 14 ns, and its object had room for
 * four of them, so the rest went into a second allocation (docs/performance.md). Callers write
 * `new maker()` themselves, at a site of their own: V8 inlines a construction whose site has seen
 * one maker, and calls a generic stub where it has seen several.
 */
export interface HandleMaker<H extends Handle = Handle> {
  new (): HandleObject<H>;
  readonly prototype: H;
}

/** The maker of a handle class's objects (see HandleMaker): call once per class, not per handle. */
export function handleMaker<H extends Handle>(cls: { readonly prototype: H }): HandleMaker<H> {
  function HandleObject(): void {}
  HandleObject.prototype = cls.prototype;
  return HandleObject as unknown as HandleMaker<H>;
}

/**
 * Makes `target` (`new maker()`: an object whose prototype is Handle.prototype or a subclass's)
 * a handle; the subclasses declare no fields and no constructor, so Handle's constructor is all
 * there is to run. `word` is the object's type word, when the caller has just read it; `leak`
 * and `slot` its leak record and its place in the heap's list of floating handles, when the
 * caller lists it.
 */
export function makeHandle<H extends Handle>(
  target: HandleObject<H>,
  host: HandleHost,
  addr: number,
  own: Ownership = Ownership.Owned,
  word: number = typeWordOf(host.engine, addr),
  leak: LeakRecord | undefined = undefined,
  slot = -1,
): H {
  return new Handle(target, host, addr, own, word, leak, slot) as H;
}

/**
 * A write to a property no handle has (`node.nxt = b`, a misspelt field; `list.size = 3`) is an
 * error, not a JS property the heap never sees. The end of every handle's prototype chain is a
 * Proxy over Object.prototype: a [[Set]] reaches it only after the handle's own class, the
 * handle classes above it and their accessors did not have the name, and its trap refuses it.
 * Reads, and writes of declared fields, never reach it (found on the way up), so they cost the same.
 */
Object.setPrototypeOf(
  Handle.prototype,
  new Proxy(Object.prototype, {
    set(target, name, value, receiver) {
      if (name in target) return Reflect.set(target, name, value, receiver);
      const cls = (receiver as { constructor?: { name?: string } }).constructor?.name ?? "";
      const kind = cls.replace(/Handle$/, "") || "Handle";
      throw new HeapValueError(
        `cannot set '${String(name)}' on a ${kind} handle: it has no such field or property ` +
          "(declared fields are set as handle.field = value; a dynamic class's attributes with setAttr)",
      );
    },
  }),
);

/** How a JS value is named in an error message: its type, and the value itself when short. */
export function jsDescription(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "string":
      return value.length <= 20 ? `the string ${JSON.stringify(value)}` : "a string";
    case "undefined":
      return "undefined";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (value === null) return "null";
      if (value instanceof Handle) return value.released ? "a released handle" : String(value);
      return Array.isArray(value) ? "an array" : "an object that is not a handle";
  }
}

/**
 * What HandleHost.fast must be, from the heap's state: set at the heap's start, at close(), and
 * after a constructor's stores (the build may have closed the heap).
 */
export function fastNow(host: HandleHost): boolean {
  return host.pendingSinks === null && !host.closed && !host.engine.checked;
}

/**
 * Runs `build`; if it throws, runs `undo` (which releases what was made so far) and rethrows: a
 * constructor whose item fails leaves nothing behind for the program to leak. The floating
 * handles it stored are sunk only once it succeeds, so a failure leaves them owning their
 * references (undo's release cannot free an object the program still holds).
 */
export function allOrNothing<T>(host: HandleHost, build: () => T, undo: () => void): T {
  const outer = host.pendingSinks;
  const stored: unknown[] = [];
  host.pendingSinks = stored;
  host.fast = false;
  let result: T;
  try {
    result = build();
  } catch (err) {
    host.pendingSinks = outer;
    host.fast = fastNow(host);
    undo();
    throw err;
  }
  host.pendingSinks = outer;
  host.fast = fastNow(host);
  for (let i = 0; i < stored.length; i += 2) sinkStored(host, stored[i], stored[i + 1] as number);
  return result;
}

/**
 * Runs a store of `value` into the object at `into`, then sinks it (a floating handle's reference passes to the container:
 * see `sink`). For the stores that keep a strong reference: fields, attributes, items, entries.
 */
export function storeValue(
  host: HandleHost,
  value: Value,
  op: string,
  into: number,
  store: (v: number, isRef: boolean) => void,
): void {
  withValue(host, value, op, store);
  if (typeof value === "object" && value !== null) sinkStored(host, value, into);
}

/**
 * Sinks `value` after its store into `into` (see `sink`), or, while a constructor builds, notes
 * it to be sunk once the constructor succeeds: a constructor that fails leaves its arguments'
 * handles as they were, as a failed Python call leaves its arguments.
 */
export function sinkStored(host: HandleHost, value: unknown, into: number): void {
  const pending = host.pendingSinks;
  if (pending !== null) pending.push(value, into);
  else sink(host.handleOf(value), into);
}

/** Runs an operation with an encoded value, then drops the temporary reference a string needed. */
export function withValue(
  host: HandleHost,
  value: Value,
  op: string,
  store: (v: number, isRef: boolean) => void,
): void {
  const v = host.encode(value, op);
  const isRef = host.encIsRef;
  const tmp = host.encTemp;
  try {
    store(v, isRef);
  } finally {
    if (tmp !== 0) decref(host.engine, tmp);
  }
}

/** The maker of plain Handle objects, for an object whose type has no handle class of its own. */
export const HANDLE_MAKER = handleMaker(Handle);
