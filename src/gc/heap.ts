/**
 * GcState: the refcounting heap plus the cycle collector's state — CPython 3.11's GCState
 * (struct _gc_runtime_state, Include/internal/pycore_gc.h). Generation 0's count lives in
 * ObjectHeap (gcCount0) because the
 * allocation path bumps it; everything else is here. The collector's functions take a GcState;
 * GcHeap (gcheap.ts) is the class that also runs automatic collections.
 */
import type { MemoryOptions } from "../memory/index.js";
import { asGc, GEN2_HEAD, gcUntrack, newList } from "../object/index.js";
import { writeStderr } from "../util/index.js";
import { WeakrefHeap } from "../weakref/index.js";
import { gcListAppend } from "./lists.js";

/** The gc module's debug flags (gc.DEBUG_*), with CPython's values. */
export const GcDebug = {
  /** Print statistics before and after each collection. */
  STATS: 1,
  /** Print each unreachable object found (`gc: collectable <T 0x…>`). */
  COLLECTABLE: 2,
  /** Print each uncollectable object found (`gc: uncollectable <T 0x…>`). */
  UNCOLLECTABLE: 4,
  /** Append unreachable objects to gc.garbage instead of freeing them. */
  SAVEALL: 32,
  /** COLLECTABLE | UNCOLLECTABLE | SAVEALL. */
  LEAK: 38,
} as const;

/** One generation's cumulative statistics (an entry of gc.get_stats()). */
export interface GcGenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

/** What a gc.callbacks entry receives; one object per phase, shared by every callback. */
export interface GcCallbackInfo {
  readonly generation: number;
  readonly collected: number;
  readonly uncollectable: number;
}

/** A gc.callbacks entry: called with "start" before and "stop" after each collection. */
export type GcCallback = (phase: "start" | "stop", info: GcCallbackInfo) => void;

/** The default generation thresholds (700, 10, 10). */
const DEFAULT_THRESHOLDS: readonly [number, number, number] = [700, 10, 10];

export const INT32_MAX = 0x7fffffff;

/**
 * subtract_refs' (or the fused pass's) step over the run of instances of one class that starts at
 * GC head `g`: returns the GC head after the run (the first object of another class, or `head`).
 */
export type SubtractRun = (h: GcState, g: number, head: number) => number;

/**
 * move_unreachable's step over the run of instances of one class that starts at GC head `g`,
 * with the scan's state in `scan` (MoveScan's words), updated; returns the cursor after the run.
 */
export type MoveRun = (h: GcState, g: number, young: number, unreachable: number, scan: Int32Array) => number;

/**
 * delete_garbage over the run of one class's instances at the head of `collectable` (specialize.ts):
 * returns when the head is another class's object, the list is empty, or DEBUG_SAVEALL is set.
 */
export type DeleteRun = (h: GcState, collectable: number, old: number) => void;

/** A class's compiled run steps (specialize.ts), delete_garbage's included. */
export interface ClassRuns {
  readonly subtract: SubtractRun;
  readonly fused: SubtractRun;
  readonly move: MoveRun;
  readonly deleteRun: DeleteRun;
}

export class GcState extends WeakrefHeap {
  /** threshold[0..2]. */
  readonly gcThreshold: Int32Array = Int32Array.from(DEFAULT_THRESHOLDS);
  /** count[1]: generation-0 collections since the last collection of generation >= 1. */
  gcCount1 = 0;
  /** count[2]: generation-1 collections since the last full collection. */
  gcCount2 = 0;
  gcEnabled = true;
  /** The debug flags (any integer is stored verbatim, as CPython does). */
  gcDebug = 0;
  /** Set while a collection runs (and while its callbacks run): re-entrant collections return 0. */
  gcCollecting = false;
  /** Survivors of the last full collection (the long-lived heuristic of gc_collect_generations). */
  longLivedTotal = 0;
  /** Survivors of generation-1 collections since the last full collection. */
  longLivedPending = 0;
  readonly gcStats: GcGenerationStats[] = [0, 1, 2].map(() => ({
    collections: 0,
    collected: 0,
    uncollectable: 0,
  }));
  /** gc.garbage: a heap list the heap owns (uncollectable objects, or all garbage under SAVEALL). */
  readonly garbage: number;
  /** gc.callbacks. */
  readonly gcCallbacks: GcCallback[] = [];
  /**
   * How a gc.callbacks entry is called (null: directly). The Heap API sets it so that a callback
   * runs outside every heap.scope, whatever code started the collection.
   */
  gcCallbackCall: ((cb: GcCallback, phase: "start" | "stop", info: GcCallbackInfo) => void) | null = null;
  /** Where the debug flags' output goes (CPython writes it to sys.stderr). */
  gcWrite: (text: string) => void = writeStderr;
  /**
   * Report each object's gc_refs after subtract-refs, and each phase's objects at its end, to the
   * trace sink (costly; off by default).
   */
  traceGcRefs = false;
  /** Set while an automatic collection (gc_collect_generations from an allocation) runs. */
  gcInAutomatic = false;
  /** Dicts among the survivors of the last move_unreachable scan (full collections untrack them). */
  gcDictSurvivors = 0;
  /** Objects the last move_unreachable scan left on the unreachable list (what gc_list_size would count). */
  gcUnreachable = 0;
  /**
   * Per class: its compiled run steps for the collector's passes (specialize.ts), made at its
   * first run of two or more instances; null for a class the passes handle generically.
   * @internal
   */
  readonly gcRuns: (ClassRuns | null | undefined)[] = [];
  /** move_unreachable's state while a class's run step has the cursor (specialize.ts: MoveScan). @internal */
  readonly gcMoveScan = new Int32Array(5);

  constructor(options: MemoryOptions = {}) {
    super(options);
    // gc.garbage exists from the start, like the gc module's list: long-lived, so in generation
    // 2, and not counted as an allocation of the user's program.
    const garbage = newList(this);
    gcUntrack(this, garbage);
    gcListAppend(this, asGc(garbage), GEN2_HEAD);
    this.gcCount0 = 0;
    this.garbage = garbage;
    this.refreshAutoTrigger();
  }

  /**
   * Keeps ObjectHeap.gcAutoAbove in step with the conditions for an automatic collection
   * (_PyObject_GC_Link's test): enabled, threshold[0] != 0, not already collecting. Call after
   * changing any of them.
   */
  refreshAutoTrigger(): void {
    const t0 = this.gcThreshold[0]!;
    this.gcAutoAbove = this.gcEnabled && t0 !== 0 && !this.gcCollecting ? t0 : INT32_MAX;
  }
}
