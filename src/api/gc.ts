/**
 * heap.gc: Python's `gc` module over handles. Names are CPython's in camelCase (docs/api.md has
 * the table); arguments are checked with CPython's messages. getObjects/getReferrers/getReferents
 * build a real heap list, as CPython does (so it counts as an allocation, as there), and return
 * its items as a JS array of borrowed handles, the list itself freed at once: as
 * `for r in gc.get_referrers(x)` frees its list after the loop, and with nothing to release.
 */
import { type GcCallback, GcDebug, type GcGenerationStats, gcModule } from "../gc/index.js";
import { FALSE, listSize, NONE, TRUE } from "../object/index.js";
import { decref, listItemSlot } from "../refcount/index.js";
import type { ListHandle } from "./containers.js";
import type { HeapContext } from "./context.js";
import type { Engine } from "./engine.js";
import { addressOf, type Handle, type Value } from "./handle.js";

/** heap.gc: Python's `gc` module over handles, with CPython's names in camelCase (docs/api.md). */
export class GcFacade {
  readonly DEBUG_STATS = GcDebug.STATS;
  readonly DEBUG_COLLECTABLE = GcDebug.COLLECTABLE;
  readonly DEBUG_UNCOLLECTABLE = GcDebug.UNCOLLECTABLE;
  readonly DEBUG_SAVEALL = GcDebug.SAVEALL;
  readonly DEBUG_LEAK = GcDebug.LEAK;
  readonly #ctx: HeapContext;
  readonly #e: Engine;

  constructor(ctx: HeapContext) {
    this.#ctx = ctx;
    this.#e = ctx.engine;
  }

  /**
   * gc.collect(generation = 2): collects `generation` and the younger ones; returns the number of
   * unreachable objects found (collected + uncollectable). Returns 0 when called while a
   * collection is running (from a finalizer or a callback), as CPython does.
   */
  collect(generation = 2): number {
    this.#ctx.ensureOpen("gc.collect");
    return gcModule.collect(this.#e, generation);
  }
  /** gc.enable(): automatic collection on (the default). */
  enable(): void {
    gcModule.enable(this.#e);
  }
  /** gc.disable(): automatic collection off; collect() still works. */
  disable(): void {
    gcModule.disable(this.#e);
  }
  /** gc.isenabled() */
  isEnabled(): boolean {
    return gcModule.isEnabled(this.#e);
  }
  /** gc.get_count(): [count0, count1, count2]. */
  getCount(): [number, number, number] {
    return gcModule.getCount(this.#e);
  }
  /** gc.get_threshold(): [700, 10, 10] by default. */
  getThreshold(): [number, number, number] {
    return gcModule.getThreshold(this.#e);
  }
  /** gc.set_threshold(threshold0[, threshold1[, threshold2]]): threshold0 = 0 disables automatic collection. */
  setThreshold(...thresholds: number[]): void {
    gcModule.setThreshold(this.#e, ...thresholds);
  }
  /** gc.get_debug() */
  getDebug(): number {
    return gcModule.getDebug(this.#e);
  }
  /** gc.set_debug(flags): a combination of the DEBUG_* constants; the output goes to `debugOutput`. */
  setDebug(flags: number): void {
    gcModule.setDebug(this.#e, flags);
  }
  /** gc.get_stats(): per generation, the cumulative collections, collected and uncollectable. */
  getStats(): GcGenerationStats[] {
    return gcModule.getStats(this.#e);
  }
  /** gc.get_objects(generation = null): the tracked objects (all generations by default), as borrowed handles. */
  getObjects(generation: number | null = null): Handle[] {
    this.#ctx.ensureOpen("gc.getObjects");
    return this.#items(gcModule.getObjects(this.#e, generation));
  }
  /** gc.get_referrers(*objs): the tracked objects that refer to any of `values`, as borrowed handles. */
  getReferrers(...values: Value[]): Handle[] {
    this.#ctx.ensureOpen("gc.getReferrers");
    return this.#items(gcModule.getReferrers(this.#e, this.#addresses(values, "gc.getReferrers")));
  }
  /**
   * gc.get_referents(*objs): what the containers among `values` refer to. Objects come back as
   * borrowed handles; strs, None and booleans as JS values (a referent may be any object).
   */
  getReferents(...values: Value[]): Value[] {
    this.#ctx.ensureOpen("gc.getReferents");
    return this.#items(gcModule.getReferents(this.#e, this.#addresses(values, "gc.getReferents")));
  }
  /** gc.is_tracked(x): false for numbers, strings, None and booleans. */
  isTracked(value: Value): boolean {
    this.#ctx.ensureOpen("gc.isTracked");
    const a = this.#objectOrZero(value, "gc.isTracked");
    return a !== 0 && gcModule.isTracked(this.#e, a);
  }
  /** gc.is_finalized(x): whether x's finalizer already ran. */
  isFinalized(value: Value): boolean {
    this.#ctx.ensureOpen("gc.isFinalized");
    const a = this.#objectOrZero(value, "gc.isFinalized");
    return a !== 0 && gcModule.isFinalized(this.#e, a);
  }
  /** gc.freeze(): moves every tracked object to the permanent generation (never collected). */
  freeze(): void {
    gcModule.freeze(this.#e);
  }
  /** gc.unfreeze(): moves the permanent generation back to the oldest generation. */
  unfreeze(): void {
    gcModule.unfreeze(this.#e);
  }
  /** gc.get_freeze_count() */
  getFreezeCount(): number {
    return gcModule.getFreezeCount(this.#e);
  }
  /**
   * gc.garbage: the uncollectable objects (all garbage under DEBUG_SAVEALL). A borrowed handle to
   * the gc module's own list (items read from it are borrowed too).
   */
  get garbage(): ListHandle {
    this.#ctx.ensureOpen("gc.garbage");
    return this.#ctx.borrow(this.#e.garbage) as ListHandle;
  }
  /** gc.callbacks: each is called with ("start" | "stop", info) around every collection. */
  get callbacks(): GcCallback[] {
    return this.#e.gcCallbacks;
  }
  /** Where the debug flags' output goes (default: process.stderr, or console.error where there is no process). */
  get debugOutput(): (text: string) => void {
    return this.#e.gcWrite;
  }
  set debugOutput(write: (text: string) => void) {
    this.#e.gcWrite = write;
  }

  /**
   * The items of a list the gc module just made (its reference handed over), as borrowed handles;
   * the list is freed. Its items were alive before it was made, and stay so without it.
   */
  #items<T extends Value>(list: number): T[] {
    const e = this.#e;
    const out: T[] = [];
    try {
      const n = listSize(e, list);
      for (let i = 0; i < n; i++) out.push(this.#ctx.decode(listItemSlot(e, list, i)) as T);
    } finally {
      decref(e, list);
    }
    return out;
  }

  /**
   * The object `value` is (a handle of this heap, a proxy's face, or None/True/False), or 0 for a
   * number or string (a JS copy, not a heap object). WRONG_HEAP for another heap's handle.
   */
  #objectOrZero(value: unknown, op: string): number {
    if (value === null) return NONE;
    if (value === true) return TRUE;
    if (value === false) return FALSE;
    if (typeof value === "number" || typeof value === "string") return 0;
    return addressOf(this.#ctx.handleArg(value, op, "the argument"), op);
  }

  /** The objects among `values` (numbers and strings are values here, not objects). */
  #addresses(values: readonly Value[], op: string): number[] {
    const out: number[] = [];
    for (const v of values) {
      const a = this.#objectOrZero(v, op);
      if (a !== 0) out.push(a);
    }
    return out;
  }
}
