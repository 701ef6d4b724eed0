/**
 * The engine: refheap's low-level API over raw addresses, for runtime authors (the analogue of
 * CPython's C API). An Engine is the heap itself; the functions exported from "refheap/core"
 * take it as their first argument. Every function that stores a value takes a new reference to
 * it; none steals the caller's. See docs/engine.md.
 */

import { GcHeap } from "../gc/index.js";
import type { MemoryOptions } from "../memory/index.js";
import { formatMallocStats, type MallocStats, mallocStats } from "../memory/index.js";
import {
  type ClassSpec,
  callHookOf,
  checkObject,
  defineClass,
  defineKind,
  isTracked,
  Kind,
  type KindSpec,
  type TypeInfo,
  gcTrack as trackRaw,
  typeIdOf,
  typeInfo,
  gcUntrack as untrackRaw,
  type VerifyReport,
  verifyHeap,
} from "../object/index.js";
import { decref, getrefcount, incref } from "../refcount/index.js";
import { weakrefModule } from "../weakref/index.js";

/**
 * Options for `new Engine(options)`, all optional: `checked` (validate every address and poison
 * freed blocks, see docs/checked-mode.md; default false), `maxBytes` (the most bytes the heap's
 * buffer may occupy; default 1 GiB, at most 2 GiB) and `trace` (a TraceSink that receives
 * allocation and collector events). HeapOptions has the same ones, plus `leaks`.
 */
export type EngineOptions = MemoryOptions;

/**
 * The heap as the engine API sees it: the first argument of every "refheap/core" function.
 * It extends the heap's layer classes (Memory, ObjectHeap, RefcountHeap, WeakrefHeap, GcState,
 * GcHeap); a function's parameter type names the lowest layer it needs, and an Engine is every
 * one of them. The layers' public fields are the heap's raw state.
 */
export class Engine extends GcHeap {
  /** Registers a class; returns its type (use `.id` with newInstance). */
  defineClass(spec: ClassSpec): TypeInfo {
    return defineClass(this, spec);
  }

  /**
   * Registers a user kind: reference slots, raw data words, an optional variable-size part and
   * optional hooks (clear, hash, eq, call), as a C extension type (docs/engine.md, "User kinds").
   * Create objects with newObject(h, info.id, items).
   */
  defineKind(spec: KindSpec): TypeInfo {
    return defineKind(this, spec);
  }
}

/**
 * Calls `o` (PyObject_Call): runs the `call` hook of its class or kind with `o` and `args` and
 * returns what the hook returns. A proxy to such an object is callable too (CPython's
 * CallableProxyType): the call goes to its referent, held meanwhile, and fails with
 * HeapReferenceError once the referent is dead. A TypeError (WRONG_TYPE) when nothing is callable.
 */
export function callObject(h: Engine, o: number, ...args: unknown[]): unknown {
  if (h.checked) checkObject(h, o, "callObject");
  const id = typeIdOf(h, o);
  if (h.typeKind[id] === Kind.WeakProxy) {
    const r = weakrefModule.proxyReferent(h, o);
    if (
      h.typeKind[typeIdOf(h, r)] === Kind.Instance &&
      typeInfo(h, typeIdOf(h, r)).hooks?.call !== undefined
    ) {
      incref(h, r);
      try {
        return callObject(h, r, ...args);
      } finally {
        decref(h, r);
      }
    }
  }
  return callHookOf(h, o)(o, ...args);
}

/** Python's sys.getrefcount(o): the true count plus one, for the reference the call's argument holds. */
export function sysGetrefcount(h: Engine, o: number): number {
  return getrefcount(h, o) + 1;
}

/**
 * PyObject_GC_UnTrack(o): the collector stops scanning container `o` (it leaves its generation's
 * list; gc.is_tracked(o) becomes false). For objects that can never be part of a cycle, as C
 * extensions untrack them. Does nothing for an object that is not tracked (or not a container).
 * Not to be called on an object the running collection is scanning (from a finalizer or callback).
 */
export function gcUntrack(h: Engine, o: number): void {
  if (h.typeIsGc[typeIdOf(h, o)] === 1 && isTracked(h, o)) untrackRaw(h, o);
}

/**
 * PyObject_GC_Track(o): container `o` joins generation 0 again, at its end, as a new object does
 * (for one untracked with gcUntrack). Does nothing for an object that is tracked already (or not a
 * container). Not to be called while a collection runs (from a finalizer or callback).
 */
export function gcTrack(h: Engine, o: number): void {
  if (h.typeIsGc[typeIdOf(h, o)] === 1 && !isTracked(h, o)) trackRaw(h, o);
}

/** Walks the whole heap and checks its invariants (listed in src/object/verify.ts). */
export function verify(h: Engine): VerifyReport {
  return verifyHeap(h, {
    collecting: h.gcCollecting,
    deallocating: h.trashNesting > 0 || h.trashLater !== 0,
    releasing: h.releasing,
  });
}

/** Allocator statistics (structured). */
export function stats(h: Engine): MallocStats {
  return mallocStats(h);
}

/** Allocator statistics as text, shaped like CPython's sys._debugmallocstats(). */
export function statsText(h: Engine): string {
  return formatMallocStats(mallocStats(h));
}
