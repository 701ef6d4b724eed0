/**
 * Heap: the package's main entry. Objects are reached through handles that each own one
 * reference; a handle is released with `dispose()` or a `using` declaration, or by the scope it
 * was made in. Nothing here can corrupt the heap: misuse is a typed error.
 *
 * ```ts
 * const heap = new Heap();
 * const Node = heap.defineClass("Node", { fields: { next: "self", n: "number" } });
 * {
 *   using a = Node.new({ n: 1 });
 *   using b = Node.new({ n: 2 });
 *   a.next = b;               // a takes a reference to b
 * }                           // a and b released: both freed now, a first
 * ```
 */
import type { MallocStats, MemoryOptions } from "../memory/index.js";
import type { VerifyReport } from "../object/index.js";
import {
  checkObject,
  KEYED_REF_TYPE,
  Kind,
  newDict,
  newList,
  newStr,
  newTuple,
  refcnt,
  slotNumber,
  WEAK_METHOD_TYPE,
} from "../object/index.js";
import { tupleSetItem } from "../refcount/index.js";
import { type HandleReport, HeapTypeError } from "../util/index.js";
import { argFunction, argIterable, argObject, argString } from "./args.js";
import {
  type ClassOptions,
  defineHeapClass,
  type FieldsSpec,
  type HeapClass,
  type MethodsSpec,
} from "./classes.js";
import { DictHandle, entryPairs, type Key, ListHandle, TupleHandle } from "./containers.js";
import { HeapContext, type LeakPolicy, refuseAsync, type Scope } from "./context.js";
import { Engine, stats, statsText, verify } from "./engine.js";
import { shutdownFinalizers } from "./finalize.js";
import { GcFacade } from "./gc.js";
import {
  addressOf,
  allOrNothing,
  type Handle,
  type HandleMaker,
  handleMaker,
  jsDescription,
  storeValue,
  type Value,
} from "./handle.js";
import {
  KeyedRefHandle,
  ProxyHandle,
  proxyFace,
  proxyOfFace,
  WeakRefHandle,
  WeakrefFacade,
} from "./weakref.js";

/**
 * Options for `new Heap(options)`, all optional: the engine's (`checked`, `maxBytes`, `trace`;
 * see EngineOptions in "refheap/core"), `leaks` and `trackStacks`.
 */
export interface HeapOptions extends MemoryOptions {
  /**
   * How handles the program owns and never releases are reported. At `close()`, the handles still
   * unreleased (the list `unreleasedHandles()` gives at any time): "warn" (default) emits one
   * process warning naming them, "throw" throws a LeakError listing them. When V8 collects a
   * handle that was never released (a FinalizationRegistry, some time later): "warn" warns then
   * too, "release" releases its reference then, "throw" adds it to close()'s LeakError. "off"
   * tracks nothing (no list, no FinalizationRegistry: registering every program-owned handle is
   * the single largest cost of handles made outside a scope, see docs/performance.md).
   */
  readonly leaks?: LeakPolicy;
  /**
   * Whether each handle the program owns records where it was made (a stack trace), for leak
   * reports: `heap.unreleasedHandles()`, `heap.close()`'s report, a dropped handle's warning.
   * Costs an Error per handle. Default: the value of `checked`.
   */
  readonly trackStacks?: boolean;
}

/** The handle makers of the built-in types, by kind or type id, shared by every heap. */
const WEAKREF_MAKER = handleMaker(WeakRefHandle);
const BUILTIN_MAKERS: readonly (readonly [number, HandleMaker])[] = [
  [Kind.List, handleMaker(ListHandle)],
  [Kind.Tuple, handleMaker(TupleHandle)],
  [Kind.Dict, handleMaker(DictHandle)],
  [Kind.Weakref, WEAKREF_MAKER],
  [KEYED_REF_TYPE, handleMaker(KeyedRefHandle)],
  [WEAK_METHOD_TYPE, WEAKREF_MAKER], // its deref() is the instance (super().__call__)
  [Kind.WeakProxy, handleMaker(ProxyHandle)],
];

/**
 * A heap of Python-like objects, reached through handles that each own one reference. Make
 * objects and classes here (`list`, `dict`, `defineClass`, …); `close()`, or the end of a
 * `using` block, ends the heap. `engine` is the same heap for the engine API ("refheap/core").
 */
export class Heap {
  /** The low-level engine ("refheap/core"), for runtime authors. */
  readonly engine: Engine;
  readonly #ctx: HeapContext;

  constructor(options: HeapOptions = {}) {
    this.engine = new Engine(options);
    this.#ctx = new HeapContext(
      this.engine,
      options.leaks ?? "warn",
      options.trackStacks ?? this.engine.checked,
    );
    const ctx = this.#ctx;
    for (const [type, maker] of BUILTIN_MAKERS) ctx.kindMakers[type] = maker;
    ctx.proxyFace = (h) => proxyFace(h as ProxyHandle);
    ctx.faceHandle = proxyOfFace;
    this.engine.hostRelease = (_o, slot) => ctx.detached(() => ctx.hostClose(slotNumber(this.engine, slot)));
    this.engine.gcCallbackCall = (cb, phase, info) => ctx.detached(() => cb(phase, info));
    this.gc = new GcFacade(ctx);
    this.weakref = new WeakrefFacade(ctx);
  }

  /** True if every address is validated (see docs/checked-mode.md). */
  get checked(): boolean {
    return this.engine.checked;
  }

  /** Defines a class with typed fields; see src/api/classes.ts for the field types. */
  defineClass<F extends FieldsSpec = Record<never, never>, M extends MethodsSpec<F> = Record<never, never>>(
    name: string,
    options: ClassOptions<F, M> = {},
  ): HeapClass<F, M> {
    this.#ctx.ensureOpen("defineClass");
    argString(name, "defineClass", "the class name");
    argObject(options, "defineClass", "options");
    return defineHeapClass(this.#ctx, name, options);
  }

  /** A new list holding `items`; `heap.list<T>()` types what it holds (see ListHandle). */
  list<T extends Value = Value>(items: Iterable<NoInfer<T>> = []): ListHandle<T> {
    this.#ctx.ensureOpen("list");
    argIterable(items, "list", "the items");
    const l = this.#ctx.wrap(newList(this.engine), true, true) as ListHandle<T>;
    return allOrNothing(
      this.#ctx,
      () => {
        for (const item of items) l.append(item);
        return l;
      },
      () => l.dispose(),
    );
  }

  /** A new tuple of `items`. */
  tuple<T extends Value = Value>(...items: NoInfer<T>[]): TupleHandle<T> {
    const ctx = this.#ctx;
    ctx.ensureOpen("tuple");
    const t = ctx.wrap(newTuple(this.engine, items.length), true, true) as TupleHandle<T>;
    const a = addressOf(t, "tuple");
    return allOrNothing(
      this.#ctx,
      () => {
        items.forEach((item, i) => {
          storeValue(ctx, item, "tuple", a, (v, isRef) => tupleSetItem(this.engine, a, i, v, isRef));
        });
        return t;
      },
      () => t.dispose(),
    );
  }

  /**
   * A new dict from [key, value] pairs or an object's own string-keyed properties;
   * `heap.dict<K, V>()` types its keys and values (see DictHandle).
   */
  dict<K extends Key = Key, V extends Value = Value>(
    entries: Iterable<readonly [NoInfer<K>, NoInfer<V>]> | Readonly<Record<string, NoInfer<V>>> = [],
  ): DictHandle<K, V> {
    this.#ctx.ensureOpen("dict");
    const d = this.#ctx.wrap(newDict(this.engine), true, true) as DictHandle<K, V>;
    return allOrNothing(
      this.#ctx,
      () => {
        for (const [k, v] of entryPairs(entries, "dict")) d.set(k as K, v);
        return d;
      },
      () => d.dispose(),
    );
  }

  /** A str object (strings stored into containers and fields are converted automatically). */
  str(s: string): Handle {
    this.#ctx.ensureOpen("str");
    argString(s, "str", "the argument");
    return this.#ctx.wrap(newStr(this.engine, s), true, true);
  }

  /** A new handle to an engine object (takes a new reference; the caller keeps its own). */
  wrap(address: number): Handle {
    this.#ctx.ensureOpen("wrap");
    if (typeof address !== "number" || !Number.isInteger(address) || address <= 0) {
      throw new HeapTypeError(
        `wrap: the address must be a positive integer (an engine object); got ${jsDescription(address)}`,
      );
    }
    if (this.engine.checked) checkObject(this.engine, address, "wrap");
    return this.#ctx.wrap(address, false);
  }

  /**
   * Runs `fn` in a new scope: every handle made inside (by constructors, reads, dup) is released
   * when it returns or throws, like V8's HandleScope, except the handle `fn` returns, which is
   * handed to the caller (owned by the enclosing scope, or the program). `scope.escape(h)` keeps
   * another one. `fn` must be synchronous: an async function is refused with INVALID_ARGUMENT
   * before it runs (in async code, use `using`/`await using` or dispose()).
   */
  scope<T>(fn: (scope: Scope) => T): T {
    this.#ctx.ensureOpen("scope");
    argFunction(fn, "scope", "the scope's body");
    return this.#ctx.scope(fn, "scope", true);
  }

  /**
   * Calls `fn` as CPython calls a function: the call holds a reference to each argument for its
   * duration (fn receives its own handles), and whatever fn makes is released when it returns.
   * A handle it returns is handed to the caller as a new handle. `fn` must be synchronous (an
   * async function is refused, as by scope()).
   */
  call<A extends Value[], R>(fn: (...args: A) => R, ...args: A): R {
    const ctx = this.#ctx;
    ctx.ensureOpen("call");
    argFunction(fn, "call", "the first argument");
    refuseAsync(fn, "call");
    return ctx.scope(
      (scope) => {
        // Each argument that is an object (a handle, or a proxy's face) is held by a new handle.
        const held = args.map((a, i) =>
          ctx.handleOf(a) === undefined ? a : ctx.handleArg(a, "call", `argument ${i + 1}`).dup(),
        ) as A;
        const result = fn(...held);
        return ctx.handleOf(result) === undefined ? result : (scope.escape(result as Handle) as R);
      },
      "call",
      true,
    );
  }

  /** Python-compatible `sys` functions. */
  readonly sys = {
    /** sys.getrefcount(x) (getRefCount): the object's count plus one, for the argument's own reference. */
    getRefCount: (value: Handle | boolean | null): number => {
      if (typeof value === "number" || typeof value === "string") {
        throw new HeapTypeError(
          `sys.getRefCount: a ${typeof value} read from the heap is a JS value (a copy), not a counted object; pass a handle`,
        );
      }
      return refcnt(this.engine, this.#ctx.encode(value, "sys.getRefCount")) + 1;
    },
    /** sys._debugmallocstats() (debugMallocStats): the allocator's statistics as text. */
    debugMallocStats: (): string => statsText(this.engine),
  };

  /** Python's `gc` module for this heap (see GcFacade; docs/api.md maps the names to CPython's). */
  readonly gc: GcFacade;

  /** Python's `weakref` module for this heap (see WeakrefFacade; docs/api.md has the names). */
  readonly weakref: WeakrefFacade;

  /** Allocator statistics. */
  stats(): MallocStats {
    return stats(this.engine);
  }

  /** Checks the heap's invariants; `problems` is empty when it is sound. */
  verify(): VerifyReport {
    return verify(this.engine);
  }

  /** Reports of handles dropped without being released (see HeapOptions.leaks). */
  get leaks(): readonly string[] {
    return this.#ctx.leaks;
  }

  /**
   * Every handle the program owns (made outside any scope) and has not released yet: its object's
   * type, address and refcount, and where the handle was made when the heap tracks stacks
   * (HeapOptions.trackStacks). The same list `close()` reports, at any moment: it does not depend
   * on when V8 collects. Throws INVALID_ARGUMENT on a heap made with `leaks: "off"`, which does
   * not track its handles.
   */
  unreleasedHandles(): HandleReport[] {
    this.#ctx.ensureOpen("unreleasedHandles");
    return this.#ctx.unreleased("unreleasedHandles");
  }

  /**
   * What CPython does to weakref.finalize objects at interpreter exit (finalize._exitfunc): runs
   * the live finalizers whose `atexit` is true, newest first (re-selecting them when finalizers
   * are made meanwhile), with the collector disabled during the calls; an exception a finalizer
   * throws goes to `engine.unraisableHook` and the others still run. Afterwards the heap is in
   * shutdown mode: calling a finalizer, or the death of its object, kills it without running its
   * function. Finalizers whose `atexit` is false never run here (nor later). Idempotent. It does
   * not close the heap: objects and handles stay usable (call close() for that).
   */
  shutdown(): void {
    shutdownFinalizers(this.#ctx);
  }

  /**
   * Closes the heap: every later use of it or its handles throws HEAP_CLOSED. The handles still
   * unreleased are reported by the leak policy (HeapOptions.leaks): "warn" emits a warning
   * listing them, "throw" throws a LeakError if handles were dropped or are still unreleased.
   */
  close(): void {
    this.#ctx.close();
  }

  /** Same as close(), for `using` declarations. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as close(), for `await using` declarations. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
