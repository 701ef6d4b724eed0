/**
 * heap.weakref: Python's `weakref` module over handles (cpython-memory.md §5). A weakref is a
 * heap object like any other, so a WeakRefHandle owns a reference to the weakref, never to its
 * referent. `ref.deref()` is Python's `r()`. A proxy comes back as a "face": a JS Proxy that
 * forwards every field and method it does not know to the live referent, and throws a
 * HeapReferenceError (CPython's ReferenceError) once the referent is gone.
 *
 * Callbacks are JS functions, so they live outside the heap: one behaves like a Python function
 * defined at module level (never garbage itself; what it captures is held from outside).
 */
import {
  keyHash,
  slotRef,
  typeIdOf,
  typeInfo,
  type WeakrefCallback,
  WR_KEY,
  weakrefCallback,
  weakrefReferent,
} from "../object/index.js";
import { decref, listItemSlot } from "../refcount/index.js";
import { ErrorCode, HandleError, hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import type { HeapContext } from "./context.js";
import { addressOf, Handle, hostOf, type Value } from "./handle.js";

/** A weakref callback: receives the weakref (already dead: `deref()` gives null). */
export type WeakCallback<W = WeakRefHandle> = (wr: W) => void;

/** The user's callback of each engine callback the facade made (for `__callback__`). */
const userCallbacks = new WeakMap<WeakrefCallback, WeakCallback<never>>();

/** weakref.ref: `deref()` gives the referent while it lives, then null. */
export class WeakRefHandle extends Handle {
  /** r(): a new handle to the referent, or null once it has died. */
  deref(): Handle | null {
    const host = hostOf(this);
    const o = weakrefReferent(host.engine, addressOf(this, "deref"));
    return o === 0 ? null : host.wrap(o, false);
  }

  /** r.__callback__: the callback given at creation, or null (also null once it was called). */
  get callback(): WeakCallback | null {
    const fn = weakrefCallback(hostOf(this).engine, addressOf(this, "callback"));
    return fn === undefined ? null : ((userCallbacks.get(fn) as WeakCallback | undefined) ?? null);
  }

  /**
   * hash(r): the referent's hash, computed on first use and kept, so it still works after the
   * referent died if it was asked for before; otherwise HeapTypeError "weak object has gone away".
   */
  hash(): number {
    return keyHash(hostOf(this).engine, addressOf(this, "hash"), true);
  }

  /** r1 == r2: while both referents live, whether they are the same object; afterwards identity. */
  equals(other: WeakRefHandle): boolean {
    const e = hostOf(this).engine;
    const a = addressOf(this, "equals");
    const b = addressOf(other, "equals");
    if (a === b) return true;
    const ra = weakrefReferent(e, a);
    return ra !== 0 && ra === weakrefReferent(e, b);
  }

  /** CPython's repr: `<weakref at 0x…; to 'C' at 0x…>` or `<weakref at 0x…; dead>`. */
  override toString(): string {
    if (this.released) return "<released handle>";
    const e = hostOf(this).engine;
    const a = addressOf(this, "toString");
    const o = weakrefReferent(e, a);
    if (o === 0) return `<weakref at ${hex(a)}; dead>`;
    return `<weakref at ${hex(a)}; to '${typeInfo(e, typeIdOf(e, o)).name}' at ${hex(o)}>`;
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

/**
 * The handle behind a proxy's face (see proxyFace). Its own members are those of any handle;
 * everything else is the referent's.
 */
export class ProxyHandle extends Handle {
  /** A new handle to the referent; throws HeapReferenceError once it is gone. */
  referent(op = "proxy"): Handle {
    const host = hostOf(this);
    return host.wrap(weakrefModule.proxyReferent(host.engine, addressOf(this, op)), false);
  }

  /** CPython 3.11's repr: `<weakproxy at 0x… to C at 0x…>`, or `… to NoneType at 0x…>` once dead. */
  override toString(): string {
    if (this.released) return "<released handle>";
    const e = hostOf(this).engine;
    const a = addressOf(this, "toString");
    const o = weakrefReferent(e, a);
    const name = o === 0 ? "NoneType" : typeInfo(e, typeIdOf(e, o)).name;
    return `<weakproxy at ${hex(a)} to ${name} at ${hex(o)}>`;
  }
}

/** A proxy as the program sees it: the proxy's own handle members plus the referent's (type T). */
export type WeakProxy<T extends Handle = Handle> = ProxyHandle & Omit<T, keyof Handle>;

/** Each face's ProxyHandle (faces are not Handles themselves: see proxyFace). */
const faces = new WeakMap<object, ProxyHandle>();

/** The ProxyHandle behind a proxy face, or undefined for anything else. */
export function proxyOfFace(value: unknown): ProxyHandle | undefined {
  return typeof value === "object" && value !== null ? faces.get(value) : undefined;
}

/**
 * The face of a proxy handle: a JS Proxy whose members are the handle's own (dispose, dup, is,
 * address, toString, …) and, for any other name, the referent's, read or written through a
 * temporary handle to the referent. Handle methods are bound to the real handle, because its
 * private fields are not reachable through a Proxy; for the same reason the face is not an
 * `instanceof Handle` (the heap's value encoder recognises it through proxyOfFace).
 */
export function proxyFace(p: ProxyHandle): ProxyHandle {
  const face = new Proxy(Object.create(ProxyFace.prototype) as object, {
    get(_t, name) {
      if (name in p) {
        const v = Reflect.get(p, name, p) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(p) : v;
      }
      const target = p.referent(typeof name === "string" ? name : "proxy");
      try {
        const v = Reflect.get(target, name, target) as unknown;
        if (typeof v !== "function") return v;
        // A method is called on a fresh handle to the referent at call time.
        return (...args: unknown[]) => {
          const t = p.referent(typeof name === "string" ? name : "proxy");
          try {
            return (Reflect.get(t, name, t) as (...a: unknown[]) => unknown).apply(t, args);
          } finally {
            t.dispose();
          }
        };
      } finally {
        target.dispose();
      }
    },
    set(_t, name, value) {
      if (name in p) return Reflect.set(p, name, value, p);
      const target = p.referent(typeof name === "string" ? name : "proxy");
      try {
        return Reflect.set(target, name, value, target);
      } finally {
        target.dispose();
      }
    },
    has(_t, name) {
      if (name in p) return true;
      const target = p.referent("in");
      try {
        return name in target;
      } finally {
        target.dispose();
      }
    },
  }) as ProxyHandle;
  faces.set(face, p);
  return face;
}
/** The prototype of proxy faces (so `face instanceof ProxyFace` identifies one). */
class ProxyFace {}

/** The CPython type name of a JS value that is not a handle (for "cannot create weak reference"). */
function valueTypeName(value: Value): string {
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

export class WeakrefFacade {
  readonly #ctx: HeapContext;

  constructor(ctx: HeapContext) {
    this.#ctx = ctx;
  }

  /** The address of a referent argument; values that are not objects cannot have weakrefs. */
  #referent(obj: Value, op: string): number {
    this.#ctx.ensureOpen(op);
    const face = proxyOfFace(obj);
    if (face !== undefined) throw weakrefModule.notWeakrefable("weakref.ProxyType");
    if (!(obj instanceof Handle)) throw weakrefModule.notWeakrefable(valueTypeName(obj));
    if (hostOf(obj) !== this.#ctx)
      throw new HandleError(ErrorCode.WrongHeap, `${op}: the handle belongs to another heap`);
    return addressOf(obj, op);
  }

  /** An engine callback that calls `callback` with a handle to the weakref (released after). */
  engineCallback<W>(callback: WeakCallback<W>): WeakrefCallback {
    const ctx = this.#ctx;
    const fn: WeakrefCallback = (wr) => {
      ctx.scope(() => callback(ctx.wrap(wr, false) as W));
    };
    Object.defineProperty(fn, "name", { value: callback.name });
    userCallbacks.set(fn, callback as WeakCallback<never>);
    return fn;
  }

  /**
   * weakref.ref(obj, callback): a weakref to `obj`, which must be an instance of a class defined
   * with `weakrefable: true` (or a type object). Without a callback, every call returns a handle
   * to the same weakref (`wr1.is(wr2)`), as `ref(o) is ref(o)` in Python.
   */
  ref<T extends Handle>(obj: T, callback: WeakCallback | null = null): WeakRefHandle {
    const o = this.#referent(obj, "weakref.ref");
    const e = this.#ctx.engine;
    const wr = weakrefModule.newRef(e, o, callback === null ? null : this.engineCallback(callback));
    return this.#ctx.wrap(wr, true) as WeakRefHandle;
  }

  /** weakref.proxy(obj, callback): a proxy to `obj` (see WeakProxy); the basic proxy is shared. */
  proxy<T extends Handle>(obj: T, callback: WeakCallback<WeakProxy<T>> | null = null): WeakProxy<T> {
    const o = this.#referent(obj, "weakref.proxy");
    const e = this.#ctx.engine;
    const wr = weakrefModule.newProxy(e, o, callback === null ? null : this.engineCallback(callback));
    return this.#ctx.wrap(wr, true) as WeakProxy<T>;
  }

  /** weakref.getweakrefcount(obj): the number of weakrefs and proxies to `obj` (0 for values). */
  getweakrefcount(obj: Value): number {
    this.#ctx.ensureOpen("weakref.getweakrefcount");
    if (!(obj instanceof Handle)) return 0;
    return weakrefModule.getweakrefcount(this.#ctx.engine, addressOf(obj, "weakref.getweakrefcount"));
  }

  /** weakref.getweakrefs(obj): handles to the weakrefs and proxies to `obj`, in CPython's order. */
  getweakrefs(obj: Value): (WeakRefHandle | WeakProxy)[] {
    this.#ctx.ensureOpen("weakref.getweakrefs");
    if (!(obj instanceof Handle)) return [];
    const e = this.#ctx.engine;
    // CPython makes a list (an allocation the collector counts): so does this.
    const l = weakrefModule.getweakrefs(e, addressOf(obj, "weakref.getweakrefs"));
    try {
      const out: (WeakRefHandle | WeakProxy)[] = [];
      const n = weakrefModule.getweakrefcount(e, addressOf(obj, "weakref.getweakrefs"));
      for (let i = 0; i < n; i++)
        out.push(this.#ctx.wrap(slotRef(e, listItemSlot(e, l, i)), false) as WeakRefHandle);
      return out;
    } finally {
      decref(e, l);
    }
  }
}
