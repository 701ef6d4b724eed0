/**
 * The handles of weak references (weakref.ref and its KeyedRef subclass) and the argument checks
 * shared by heap.weakref (weakref.ts) and the weak containers (weakcore.ts, weakvaluedict.ts, weakkeydict.ts, weakset.ts). They sit
 * below both, so that the facade can construct the containers and the containers can return
 * weakref handles without an import cycle.
 */
import {
  isWeakref,
  keyHash,
  refsCompareEqual,
  typeIdOf,
  typeInfo,
  type WeakrefCallback,
  WR_KEY,
  weakrefCallback,
  weakrefReferent,
} from "../object/index.js";
import { ErrorCode, HandleError, HeapTypeError, hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import type { Engine } from "./engine.js";
import { addressOf, Handle, type HandleHost, hostOf, jsDescription, type Value } from "./handle.js";

/** A weakref callback: receives the weakref (already dead: `deref()` gives null). */
export type WeakCallback<W = WeakRefHandle> = (wr: W) => void;

/**
 * The user-level callback behind each engine callback the API made, for `__callback__`
 * (heap.weakref's engineCallback, and the weak containers' `_remove` functions).
 */
export const userCallbacks = new WeakMap<WeakrefCallback, WeakCallback<never>>();

/** CPython's repr of a weakref: `<weakref at 0x…; to 'C' at 0x…>` or `<weakref at 0x…; dead>`. */
export function weakrefRepr(e: Engine, wr: number): string {
  const o = weakrefReferent(e, wr);
  if (o === 0) return `<weakref at ${hex(wr)}; dead>`;
  return `<weakref at ${hex(wr)}; to '${typeInfo(e, typeIdOf(e, o)).name}' at ${hex(o)}>`;
}

/**
 * weakref.ref: `deref()` gives the referent while it lives, then null. `T` is the referent's
 * handle type (`heap.weakref.ref(img)` is a `WeakRefHandle<typeof img>`).
 */
export class WeakRefHandle<T extends Handle = Handle> extends Handle {
  /**
   * r(): the referent, or null once it has died. A floating handle: it owns a new reference, as
   * `r()` gives one, until it is stored (sunk) or released.
   */
  deref(): T | null {
    const host = hostOf(this);
    const o = weakrefReferent(host.engine, addressOf(this, "deref"));
    return o === 0 ? null : (host.wrap(o, false, true) as T);
  }

  /** r.__callback__: the callback given at creation, or null (also null once it was called). */
  get callback(): WeakCallback | null {
    const fn = weakrefCallback(hostOf(this).engine, addressOf(this, "callback"));
    // The Heap API makes JS callbacks only (a heap callable is the engine API's).
    return typeof fn !== "function" ? null : ((userCallbacks.get(fn) as WeakCallback | undefined) ?? null);
  }

  /**
   * hash(r): the referent's hash, computed on first use and kept, so it still works after the
   * referent died if it was asked for before; otherwise HeapTypeError "weak object has gone away".
   */
  hash(): number {
    return keyHash(hostOf(this).engine, addressOf(this, "hash"), true);
  }

  /**
   * r1 == r2 (weakref_richcompare): while both referents live, whether they are equal (the same
   * object, or weakrefs themselves that are equal, or equal by a user kind's eq); afterwards
   * identity. Anything that is not a weakref of this heap is unequal (Python's `r == 3` is False).
   */
  equals(other: unknown): boolean {
    const host = hostOf(this);
    const a = addressOf(this, "equals");
    const h = host.handleOf(other);
    if (h === undefined || hostOf(h) !== host) return false;
    const b = addressOf(h, "equals");
    return isWeakref(host.engine, b) && refsCompareEqual(host.engine, a, b);
  }

  /** CPython's repr: `<weakref at 0x…; to 'C' at 0x…>` or `<weakref at 0x…; dead>`. */
  override toString(): string {
    if (this.released) return "<released handle>";
    return weakrefRepr(hostOf(this).engine, addressOf(this, "toString"));
  }
}

/** The weakref subclass a WeakValueDictionary stores: a weakref to the value carrying its key. */
export class KeyedRefHandle extends WeakRefHandle {
  /** The dictionary key this weakref's value is stored under. */
  get key(): Value {
    const host = hostOf(this);
    return host.decode(addressOf(this, "key") + WR_KEY);
  }
}

/** The CPython type name of a JS value that is not a handle (for "cannot create weak reference"). */
export function valueTypeName(value: Value): string {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "string":
      return "str";
    case "boolean":
      return "bool";
    default:
      return "NoneType";
  }
}

/** What weakReferent needs of the heap's context (HeapContext implements it). */
export interface ReferentHost extends HandleHost {
  /** The proxy handle behind a proxy's face, or undefined for anything else. */
  faceHandle(value: unknown): Handle | undefined;
}

/**
 * The address of an object a weak reference may point to, or 0 when `value` cannot be the target
 * of one (a JS value, a proxy, an object whose type has no weakref support). Throws for a handle
 * of another heap, or a released one.
 */
export function weakReferentOrZero(host: ReferentHost, value: Value, op: string): number {
  host.ensureOpen(op);
  const h = host.handleOf(value);
  if (h === undefined) return 0;
  if (hostOf(h) !== host) {
    throw new HandleError(ErrorCode.WrongHeap, `${op}: the handle belongs to another heap`);
  }
  const o = addressOf(h, op);
  return weakrefModule.isWeakrefable(host.engine, o) ? o : 0;
}

/**
 * The address of `value`, which must be able to be the target of a weak reference; otherwise
 * CPython's TypeError "cannot create weak reference to 'int' object" (with the value's type).
 */
export function weakReferent(host: ReferentHost, value: Value, op: string): number {
  const o = weakReferentOrZero(host, value, op);
  if (o !== 0) return o;
  const h = host.handleOf(value);
  if (h === undefined) {
    const t = typeof value;
    if (value === null || t === "number" || t === "string" || t === "boolean")
      throw weakrefModule.notWeakrefable(valueTypeName(value));
    throw new HeapTypeError(`${op}: expected a handle to a heap object; got ${jsDescription(value)}`);
  }
  const e = host.engine;
  throw weakrefModule.notWeakrefable(typeInfo(e, typeIdOf(e, addressOf(h, op))).name);
}
