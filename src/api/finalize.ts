/**
 * weakref.finalize (CPython 3.11 Lib/weakref.py, class finalize): a callable that runs
 * `func(...args)` once, when its object dies, when it is called, or at `heap.shutdown()`.
 *
 * As in CPython, each heap keeps a registry of its live finalizers; a finalizer's state (its
 * weakref, func and arguments) lives in the registry and is dropped when the finalizer dies, so a
 * dead finalizer holds nothing. The weakref's callback is the finalizer itself. The finalizer does
 * not keep its object alive, but its arguments are held strongly: an argument that is (or refers
 * to) the object keeps it alive until the finalizer is called, detached, or the heap shuts down.
 *
 * A finalizer is a JS object, not a heap object, so it has no address: its repr shows its index
 * (the per-heap creation counter) where CPython shows `id(self)`, e.g.
 * `<finalize object at #3; for 'C' at 0x10048>`.
 */

import { gcModule } from "../gc/index.js";
import { typeIdOf, typeInfo, type WeakrefCallback, weakrefReferent } from "../object/index.js";
import { decref, incref } from "../refcount/index.js";
import { hex } from "../util/index.js";
import { weakrefModule } from "../weakref/index.js";
import type { HeapContext } from "./context.js";
import { Handle, sinkStored, type Value } from "./handle.js";

/** What `detach()` and `peek()` return: the object (a new handle), the function, its arguments. */
export interface FinalizeInfo<R, A extends Value[]> {
  /** The object (a new handle: the caller releases it). */
  readonly obj: Handle;
  /** The finalizer's function. */
  func(...args: A): R;
  /** The arguments, handles as new handles (the caller releases them). */
  readonly args: A;
}

/** A live finalizer's state (CPython's finalize._Info). */
interface Info<R, A extends Value[]> {
  /** The weakref to the object (one reference owned), whose callback is the finalizer. */
  readonly weakref: number;
  readonly func: (...args: A) => R;
  /** The arguments as given, with null where refs[i] holds an object. */
  readonly args: readonly Value[];
  /** Per argument: an owned reference to the object argument i refers to, or 0. */
  readonly refs: readonly number[];
  atExit: boolean;
}

/** What the registry needs of a finalizer, whatever its types. */
interface Finalizer {
  call(): unknown;
  readonly atExit: boolean;
  toString(): string;
}

/** A heap's finalizers (CPython's class-level finalize._registry and friends). */
class Registry {
  readonly ctx: HeapContext;
  /** The live finalizers, in creation order (so in index order). */
  readonly live = new Set<Finalizer>();
  /** finalize._index_iter */
  next = 0;
  /** finalize._dirty: set when a finalizer is made, so shutdown re-selects its list. */
  dirty = false;
  /** finalize._shutdown: once set, calling a finalizer no longer runs its function. */
  shutdown = false;

  constructor(ctx: HeapContext) {
    this.ctx = ctx;
  }
}

const registries = new WeakMap<HeapContext, Registry>();

function registryOf(ctx: HeapContext): Registry {
  let reg = registries.get(ctx);
  if (reg === undefined) {
    reg = new Registry(ctx);
    registries.set(ctx, reg);
  }
  return reg;
}

let create: <R, A extends Value[]>(reg: Registry, index: number, info: Info<R, A>) => Finalize<R, A>;
let weakrefOf: <R, A extends Value[]>(f: Finalize<R, A>) => number;

/**
 * weakref.finalize: made by `heap.weakref.finalize(obj, func, ...args)`. `call()` (Python's
 * `f()`) runs `func(...args)` if the finalizer is still alive, and kills it: it runs at most once.
 * The weakref callback calls it when the object dies (exceptions then go to the engine's
 * unraisable hook), and `heap.shutdown()` calls those whose `atExit` is true.
 */
export class Finalize<R = unknown, A extends Value[] = Value[]> {
  readonly #reg: Registry;
  readonly #index: number;
  #info: Info<R, A> | null;

  private constructor(reg: Registry, index: number, info: Info<R, A>) {
    this.#reg = reg;
    this.#index = index;
    this.#info = info;
  }

  static {
    create = (reg, index, info) => new Finalize(reg, index, info);
    weakrefOf = (f) => f.#info?.weakref ?? 0;
  }

  /** Removes this finalizer from the registry (CPython's `_registry.pop(self, None)`). */
  #kill(): Info<R, A> | null {
    const info = this.#info;
    if (info === null) return null;
    this.#info = null;
    this.#reg.live.delete(this);
    return info;
  }

  /** The object, while both it and this finalizer live (borrowed address), else 0. */
  #referent(): number {
    const info = this.#info;
    return info === null ? 0 : weakrefReferent(this.#reg.ctx.engine, info.weakref);
  }

  /** New handles for the arguments (in the current scope). */
  #args(info: Info<R, A>): A {
    const ctx = this.#reg.ctx;
    return info.args.map((v, i) => {
      const r = info.refs[i]!;
      return r === 0 ? v : ctx.wrap(r, false, true);
    }) as A;
  }

  /**
   * f(): if alive, kills the finalizer and returns `func(...args)` (func receives its own handles,
   * released when it returns; a handle it returns is handed to the caller as a new handle);
   * otherwise, or after heap.shutdown(), returns undefined. Exceptions from func propagate.
   */
  call(): R | undefined {
    const ctx = this.#reg.ctx;
    ctx.ensureOpen("finalize");
    const info = this.#kill();
    if (info === null) return undefined;
    try {
      if (this.#reg.shutdown) return undefined;
      return ctx.scope((scope) => {
        const result = info.func(...this.#args(info));
        if (result instanceof Handle) return scope.escape(result);
        const proxy = ctx.faceHandle(result);
        return proxy === undefined ? result : (scope.escape(proxy) as R);
      });
    } finally {
      release(ctx, info);
    }
  }

  /**
   * If the finalizer and its object are alive: kills the finalizer (func will not run) and returns
   * the object, func and arguments (new handles); otherwise null.
   */
  detach(): FinalizeInfo<R, A> | null {
    this.#reg.ctx.ensureOpen("finalize.detach");
    const result = this.peek();
    if (result === null) return null;
    const info = this.#kill();
    if (info !== null) release(this.#reg.ctx, info);
    return result;
  }

  /** If the finalizer and its object are alive: the object, func and arguments (new handles); else null. */
  peek(): FinalizeInfo<R, A> | null {
    const ctx = this.#reg.ctx;
    ctx.ensureOpen("finalize.peek");
    const info = this.#info;
    const o = this.#referent();
    if (info === null || o === 0) return null;
    return { obj: ctx.wrap(o, false, true), func: info.func, args: this.#args(info) };
  }

  /** Whether the finalizer is alive (registered: neither called, detached nor run at death). */
  get alive(): boolean {
    return this.#info !== null;
  }

  /** Whether heap.shutdown() runs the finalizer (true by default; false once it is dead). */
  get atExit(): boolean {
    return this.#info?.atExit ?? false;
  }
  set atExit(value: boolean) {
    if (this.#info !== null) this.#info.atExit = value;
  }

  /** CPython's repr, with the index for the address: `<finalize object at #3; for 'C' at 0x…>` or `…; dead>`. */
  toString(): string {
    const o = this.#referent();
    const self = `<finalize object at #${this.#index}`;
    if (o === 0) return `${self}; dead>`;
    const e = this.#reg.ctx.engine;
    return `${self}; for '${typeInfo(e, typeIdOf(e, o)).name}' at ${hex(o)}>`;
  }
}

/**
 * The address of a live finalizer's weakref (borrowed: the finalizer owns one reference,
 * dropped after `func` runs, or at detach), or 0 once it is dead. The oracle's runner uses it:
 * its mirror of CPython's `_Info` holds that weakref as CPython's does (docs/oracle.md).
 */
export function finalizeWeakref<R, A extends Value[]>(f: Finalize<R, A>): number {
  return weakrefOf(f);
}

/** Drops a dead finalizer's state: its weakref first, then its arguments last to first (as CPython's _Info). */
function release(ctx: HeapContext, info: Info<unknown, never>): void {
  const e = ctx.engine;
  try {
    decref(e, info.weakref);
  } finally {
    for (let i = info.refs.length - 1; i >= 0; i--) {
      const r = info.refs[i]!;
      if (r !== 0) decref(e, r);
    }
  }
}

/**
 * weakref.finalize(obj, func, *args) for the object at `o` (already checked to be an object of
 * this heap): registers a finalizer whose weakref to `o` calls it back. Throws CPython's TypeError
 * if `o` is not weakrefable.
 */
export function newFinalize<A extends Value[], R>(
  ctx: HeapContext,
  o: number,
  func: (...args: A) => R,
  args: A,
): Finalize<R, A> {
  const e = ctx.engine;
  // The arguments' objects (validated: released handles and other heaps' handles throw).
  const values: Value[] = [];
  const refs: number[] = [];
  for (const a of args) {
    const isObject = a instanceof Handle || ctx.faceHandle(a) !== undefined;
    refs.push(isObject ? ctx.encode(a, "weakref.finalize") : 0);
    values.push(isObject ? null : a);
  }
  const reg = registryOf(ctx);
  let f: Finalize<R, A> | undefined;
  const callback: WeakrefCallback = () => {
    // CPython's __call__(self, _=None): the weakref argument is ignored.
    ctx.detached(() => {
      const result = f?.call();
      if (result instanceof Handle) result.dispose();
      else ctx.faceHandle(result)?.dispose();
    });
  };
  const wr = weakrefModule.newRef(e, o, callback);
  for (const r of refs) if (r !== 0) incref(e, r);
  // The finalizer holds its arguments, as a container does: a floating argument's reference
  // passes to it (`finalize(img, close, Buffer.new())` leaves nothing for the program to release).
  for (const a of args) if (typeof a === "object" && a !== null) sinkStored(ctx, a, 0);
  const index = reg.next++;
  Object.defineProperty(callback, "name", { value: `<finalize object at #${index}>` });
  f = create(reg, index, { weakref: wr, func, args: values, refs, atExit: true });
  reg.live.add(f);
  reg.dirty = true;
  return f;
}

/**
 * CPython's finalize._exitfunc (see Heap.shutdown): runs the live finalizers whose atExit is true,
 * newest first, with the collector disabled; then enters shutdown mode. Idempotent.
 */
export function shutdownFinalizers(ctx: HeapContext): void {
  ctx.ensureOpen("shutdown");
  const reg = registryOf(ctx);
  if (reg.shutdown) return;
  const e = ctx.engine;
  let reenableGc = false;
  try {
    if (reg.live.size > 0) {
      if (gcModule.isEnabled(e)) {
        reenableGc = true;
        gcModule.disable(e);
      }
      let pending: Finalizer[] | null = null;
      for (;;) {
        if (pending === null || reg.dirty) {
          // _select_for_exit: the live finalizers marked for exit, oldest first.
          pending = [...reg.live].filter((f) => f.atExit);
          reg.dirty = false;
        }
        const f = pending.pop();
        if (f === undefined) break;
        const where = f.toString();
        try {
          const result = f.call();
          if (result instanceof Handle) result.dispose();
          else ctx.faceHandle(result)?.dispose();
        } catch (error) {
          e.unraisableHook(error, where);
        }
      }
    }
  } finally {
    reg.shutdown = true;
    if (reenableGc) gcModule.enable(e);
  }
}
