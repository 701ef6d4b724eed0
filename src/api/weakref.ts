/**
 * heap.weakref: Python's `weakref` module over handles (CPython's Lib/weakref.py,
 * Modules/_weakref.c and Objects/weakrefobject.c). A weakref is a
 * heap object like any other, so a WeakRefHandle owns a reference to the weakref, never to its
 * referent. `ref.deref()` is Python's `r()`. A proxy comes back as a "face": a JS Proxy that
 * forwards every field and method it does not know to the live referent, and throws a
 * HeapReferenceError (CPython's ReferenceError) once the referent is gone.
 *
 * Callbacks are JS functions, so they live outside the heap: one behaves like a Python function
 * defined at module level (never garbage itself; what it captures is held from outside).
 */
import { NONE, slotRef, typeIdOf, typeInfo, type WeakrefCallback, weakrefReferent } from "../object/index.js";
import { decref, listItemSlot } from "../refcount/index.js";
import { hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import { argFunction, argOptionalFunction } from "./args.js";
import type { Key } from "./containers.js";
import type { HeapContext } from "./context.js";
import { type Finalize, newFinalize } from "./finalize.js";
import { addressOf, Handle, hostOf, type Value } from "./handle.js";
import type { WeakEntries } from "./weakcore.js";
import {
  KeyedRefHandle,
  userCallbacks,
  type WeakCallback,
  WeakRefHandle,
  weakReferent,
} from "./weakhandle.js";
import { WeakKeyDictionary } from "./weakkeydict.js";
import { WeakSet as WeakSetClass } from "./weakset.js";
import { WeakValueDictionary } from "./weakvaluedict.js";

export { KeyedRefHandle, type WeakCallback, WeakRefHandle };

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
    // Dead, it shows None, as CPython's proxy repr (which reads the referent slot, now None).
    const r = o === 0 ? NONE : o;
    return `<weakproxy at ${hex(a)} to ${typeInfo(e, typeIdOf(e, r)).name} at ${hex(r)}>`;
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
      // JS protocols the runtime probes on any object: a proxy is never a thenable (so `await`
      // and Promise.resolve take it as a value), and it serialises as its repr, dead or alive.
      if (name === "then") return undefined;
      if (name === "toJSON") return () => p.toString();
      if (name in p) {
        const v = Reflect.get(p, name, p) as unknown;
        if (typeof v !== "function") return v;
        // Bound to the real handle; a face among the arguments (`face.is(face)`) becomes its
        // handle, and the handle as a result (`face.own()` of a floating proxy) its face.
        return (...args: unknown[]) => {
          const r = (v as (...a: unknown[]) => unknown).apply(
            p,
            args.map((a) => proxyOfFace(a) ?? a),
          );
          return r === p ? face : r;
        };
      }
      const target = typeof name === "string" ? p.referent(name) : symbolTarget(p);
      if (target === undefined) return undefined;
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
      const target = typeof name === "string" ? p.referent("in") : symbolTarget(p);
      if (target === undefined) return false;
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
/**
 * The referent for a symbol-keyed lookup (a JS protocol such as Symbol.toPrimitive or
 * util.inspect.custom, not a Python attribute), or undefined once it is dead: so `${face}` and
 * console.log(face) still show the proxy's repr, as CPython's repr of a dead proxy works.
 */
function symbolTarget(p: ProxyHandle): Handle | undefined {
  const host = hostOf(p);
  const o = weakrefReferent(host.engine, addressOf(p, "proxy"));
  return o === 0 ? undefined : host.wrap(o, false);
}
/** The prototype of proxy faces (so `face instanceof ProxyFace` identifies one). */
class ProxyFace {}

/** heap.weakref: Python's `weakref` module over handles (ref, proxy, finalize, the weak containers). */
export class WeakrefFacade {
  readonly #ctx: HeapContext;
  /** The engine callback made for each user callback (see engineCallback). */
  readonly #engineCallbacks = new WeakMap<WeakCallback<never>, WeakrefCallback>();

  constructor(ctx: HeapContext) {
    this.#ctx = ctx;
  }

  /** An engine callback that calls `callback` with a handle to the weakref (released after). */
  #engineCallback<W>(callback: WeakCallback<W>): WeakrefCallback {
    // One engine callback per user callback, made once: a fresh closure (renamed, and entered in
    // userCallbacks) per weakref cost over a microsecond each in W3 (docs/performance.md).
    const cached = this.#engineCallbacks.get(callback as WeakCallback<never>);
    if (cached !== undefined) return cached;
    const ctx = this.#ctx;
    const fn: WeakrefCallback = (wr) => {
      // Its own scope, outside the ones open where the referent happened to die.
      ctx.detached(() => ctx.scope(() => callback(ctx.wrap(wr, false) as W)));
    };
    Object.defineProperty(fn, "name", { value: callback.name });
    userCallbacks.set(fn, callback as WeakCallback<never>);
    this.#engineCallbacks.set(callback as WeakCallback<never>, fn);
    return fn;
  }

  /**
   * weakref.ref(obj, callback): a weakref to `obj`, which must be an instance of a class defined
   * with `weakrefable: true` (or a type object). Without a callback, every call returns a handle
   * to the same weakref (`wr1.is(wr2)`), as `ref(o) is ref(o)` in Python.
   */
  ref<T extends Handle>(obj: T, callback: WeakCallback<WeakRefHandle<T>> | null = null): WeakRefHandle<T> {
    argOptionalFunction(callback, "weakref.ref", "the callback");
    const o = weakReferent(this.#ctx, obj, "weakref.ref");
    const e = this.#ctx.engine;
    const wr = weakrefModule.newRef(e, o, callback === null ? null : this.#engineCallback(callback));
    return this.#ctx.wrap(wr, true, true) as WeakRefHandle<T>;
  }

  /** weakref.proxy(obj, callback): a proxy to `obj` (see WeakProxy); the basic proxy is shared. */
  proxy<T extends Handle>(obj: T, callback: WeakCallback<WeakProxy<T>> | null = null): WeakProxy<T> {
    argOptionalFunction(callback, "weakref.proxy", "the callback");
    const o = weakReferent(this.#ctx, obj, "weakref.proxy");
    const e = this.#ctx.engine;
    const wr = weakrefModule.newProxy(e, o, callback === null ? null : this.#engineCallback(callback));
    return this.#ctx.wrap(wr, true, true) as WeakProxy<T>;
  }

  /**
   * weakref.finalize(obj, func, ...args): a finalizer that calls `func(...args)` once, when `obj`
   * dies, when it is called (`f.call()`), or at `heap.shutdown()` (see Finalize). The arguments are
   * held strongly; `obj` is not.
   */
  finalize<A extends Value[], R>(obj: Handle, func: (...args: A) => R, ...args: A): Finalize<R, A> {
    argFunction(func, "weakref.finalize", "func");
    return newFinalize(this.#ctx, weakReferent(this.#ctx, obj, "weakref.finalize"), func, args);
  }

  /**
   * weakref.WeakValueDictionary(entries): a mapping whose values are held through weak references
   * (KeyedRefs); an entry disappears when its value dies. See WeakValueDictionary. The dictionary
   * owns heap objects: release it with dispose() (or `using`).
   */
  WeakValueDictionary<V extends Handle = Handle>(entries?: WeakEntries<Key, V>): WeakValueDictionary<V> {
    return new WeakValueDictionary<V>(this.#ctx, entries);
  }

  /**
   * weakref.WeakKeyDictionary(entries): a mapping whose keys are held through weak references; an
   * entry disappears when its key dies. See WeakKeyDictionary. Release it with dispose().
   */
  WeakKeyDictionary<K extends Handle = Handle>(
    entries?: Iterable<readonly [K, Value]>,
  ): WeakKeyDictionary<K> {
    return new WeakKeyDictionary<K>(this.#ctx, entries);
  }

  /** weakref.WeakSet(items): a set of objects held through weak references. Release it with dispose(). */
  WeakSet<T extends Handle = Handle>(items?: Iterable<T>): WeakSetClass<T> {
    return new WeakSetClass<T>(this.#ctx, items);
  }

  /** The object argument `obj` stands for, or 0 for a JS value (those have no weakrefs). */
  #objectOrZero(obj: unknown, op: string): number {
    this.#ctx.ensureOpen(op);
    if (this.#ctx.handleOf(obj) === undefined) return 0;
    return addressOf(this.#ctx.handleArg(obj, op, "the argument"), op);
  }

  /** weakref.getweakrefcount(obj): the number of weakrefs and proxies to `obj` (0 for values). */
  getWeakRefCount(obj: Value): number {
    const o = this.#objectOrZero(obj, "weakref.getWeakRefCount");
    return o === 0 ? 0 : weakrefModule.getweakrefcount(this.#ctx.engine, o);
  }

  /** weakref.getweakrefs(obj): handles to the weakrefs and proxies to `obj`, in CPython's order. */
  getWeakRefs(obj: Value): (WeakRefHandle | WeakProxy)[] {
    const o = this.#objectOrZero(obj, "weakref.getWeakRefs");
    if (o === 0) return [];
    const e = this.#ctx.engine;
    // CPython makes a list (an allocation the collector counts): so does this.
    const l = weakrefModule.getweakrefs(e, o);
    try {
      const out: (WeakRefHandle | WeakProxy)[] = [];
      const n = weakrefModule.getweakrefcount(e, o);
      for (let i = 0; i < n; i++)
        out.push(this.#ctx.borrow(slotRef(e, listItemSlot(e, l, i))) as WeakRefHandle);
      return out;
    } finally {
      decref(e, l);
    }
  }
}
