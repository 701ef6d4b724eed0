/**
 * weakref.WeakSet (CPython 3.11's Lib/_weakrefset.py) over heap objects:
 * `data` is a heap dict used as a set (`ref(item, _remove)` → None), with the pending removals and
 * iteration guards of the weak dictionaries (see weakcore.ts). CPython's set iterates, and pops, in
 * hash-table order; this one follows the dict's insertion order (pop() takes the newest item).
 */

import { dictSize, E_KEY, NONE, slotRef, type WeakrefCallback, weakrefReferent } from "../object/index.js";
import { decref, dictClear, dictDelItem, dictSetItem } from "../refcount/index.js";
import { weakrefModule } from "../weakref/index.js";
import { argIterable } from "./args.js";
import type { HeapContext } from "./context.js";
import { allOrNothing, type Handle, type Value } from "./handle.js";
import {
  containsWeakly,
  discardKey,
  keyError,
  WeakContainer,
  WeakCore,
  WSET_ITER,
  withTempRef,
} from "./weakcore.js";
import { type WeakRefHandle, weakReferent, weakrefRepr } from "./weakhandle.js";

const SET_CHANGED = "Set changed size during iteration";

/**
 * A set of objects held through weak references: an item disappears when it dies. Items must
 * support weak references. Make one with `heap.weakref.WeakSet(items)`; it owns heap objects until
 * `dispose()`.
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: Python's name (weakref.WeakSet); the JS global is unrelated
export class WeakSet<T extends Handle = Handle> extends WeakContainer {
  readonly #remove: WeakrefCallback;

  /** @internal Made by heap.weakref.WeakSet(). */
  constructor(ctx: HeapContext, items?: Iterable<T>) {
    super(new WeakCore(ctx, "WeakSet", discardKey, true), true);
    this.#remove = WeakCore.callback(this.core, "_remove", (core, wr) => {
      if (core.iterating > 0) core.addPending(wr, true);
      else discardKey(core.engine, core.data("_remove"), wr, true);
    });
    if (items !== undefined)
      allOrNothing(
        ctx,
        () => this.update(items),
        () => this.dispose(),
      );
  }

  /** s.add(item): `item` must support weak references (else CPython's TypeError). */
  add(item: T): this {
    const core = this.core;
    const e = core.engine;
    core.commitIfPending("add");
    const wr = weakrefModule.newRef(e, weakReferent(core.ctx, item, "WeakSet.add"), this.#remove);
    try {
      dictSetItem(e, core.data("add"), wr, true, NONE, true);
    } finally {
      decref(e, wr);
    }
    return this;
  }

  /** s.discard(item): removes it if present (TypeError for values that cannot be weakly referenced). */
  discard(item: T): void {
    const core = this.core;
    core.commitIfPending("discard");
    withTempRef(core, item, "WeakSet.discard", (wr) =>
      dictDelItem(core.engine, core.data("discard"), wr, true),
    );
  }

  /** s.remove(item): throws `KeyError: <weakref at …>` if absent. */
  remove(item: T): void {
    const core = this.core;
    core.commitIfPending("remove");
    withTempRef(core, item, "WeakSet.remove", (wr) => {
      if (!dictDelItem(core.engine, core.data("remove"), wr, true))
        throw keyError(weakrefRepr(core.engine, wr));
    });
  }

  /** item in s: false (not a TypeError) for values that cannot be weakly referenced. */
  has(item: Value): boolean {
    return containsWeakly(this.core, item, "WeakSet.has");
  }

  /** len(s) = len(data) - len(pending removals): items that died during an iteration are not counted. */
  get size(): number {
    const core = this.core;
    return dictSize(core.engine, core.data("size")) - core.pendingCount("size");
  }

  /** s.pop(): removes and returns a live item; `KeyError: 'pop from empty WeakSet'` when there is none. */
  pop(): T {
    const core = this.core;
    core.commitIfPending("pop");
    for (;;) {
      const item = core.popEntry("pop");
      if (item === null) throw keyError("'pop from empty WeakSet'");
      const [wr, , v, vIsRef] = item;
      try {
        const o = weakrefReferent(core.engine, wr);
        if (o !== 0) return core.ctx.wrap(o, false, true) as T;
      } finally {
        core.release(wr, true);
        core.release(v, vIsRef);
      }
    }
  }

  /** s.clear() */
  clear(): void {
    const core = this.core;
    core.commitIfPending("clear");
    dictClear(core.engine, core.data("clear"));
  }

  /** s.update(items): adds each item. */
  update(items: Iterable<T>): void {
    const core = this.core;
    argIterable(items, "WeakSet.update", "the items");
    core.commitIfPending("update");
    core.ctx.scope(() => {
      for (const item of items) this.add(item);
    });
  }

  /** s.copy(): a new WeakSet of the live items (the caller disposes it). */
  copy(): WeakSet<T> {
    const core = this.core;
    const e = core.engine;
    const copy = new WeakSet<T>(core.ctx);
    return core.copyLive(copy, E_KEY, SET_CHANGED, (_entry, o) => {
      const wr = weakrefModule.newRef(e, o, copy.#remove);
      try {
        dictSetItem(e, copy.core.data("copy"), wr, true, NONE, true);
      } finally {
        decref(e, wr);
      }
    });
  }

  /**
   * The live items (guarded like the weak dictionaries' iterators: items dying meanwhile are
   * recorded as pending removals and skipped). A suspended iterator holds the locals of CPython's
   * generator, `itemref, item` (the weakref it reached last and the item it yielded last), until
   * it is resumed or closed.
   */
  *[Symbol.iterator](): Generator<T, void, undefined> {
    yield* this.core.liveReferents<T>("__iter__", SET_CHANGED, WSET_ITER);
  }

  /** Set-style alias of the iterator. */
  values(): Generator<T, void, undefined> {
    return this[Symbol.iterator]();
  }

  /** s._pending_removals: the dead weakrefs of items that died during an iteration (for inspection). */
  get pendingRemovals(): WeakRefHandle[] {
    return this.core.pendingValues("pendingRemovals") as WeakRefHandle[];
  }

  /** CPython's repr, that of its set of weakrefs: `{<weakref at 0x…; to 'C' at 0x…>, …}` or `set()`. */
  override toString(): string {
    const core = this.core;
    if (core.disposed) return "<disposed WeakSet>";
    const e = core.engine;
    const parts: string[] = [];
    for (const entry of core.entries("toString", SET_CHANGED))
      parts.push(weakrefRepr(e, slotRef(e, entry + E_KEY)));
    return parts.length === 0 ? "set()" : `{${parts.join(", ")}}`;
  }
}
