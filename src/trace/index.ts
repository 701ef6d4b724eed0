/**
 * Trace events: what the heap reports to tools (the CLI's stats, the visualizer, the oracle).
 * A heap has no sink by default, and every emitting site is guarded by a single null check, so
 * tracing costs nothing when unused.
 */

export const TraceKind = {
  /** A block was allocated: `addr` is the block, `size` the bytes requested. */
  Alloc: "alloc",
  /** A block was freed. */
  Free: "free",
  /** An arena (1 MiB) was reserved or given back. */
  ArenaNew: "arena-new",
  ArenaFree: "arena-free",
  /** An object's deallocation started (its refcount reached zero). */
  Dealloc: "dealloc",
} as const;
export type TraceKind = (typeof TraceKind)[keyof typeof TraceKind];

/** A memory event. */
export interface TraceEvent {
  readonly kind: TraceKind;
  readonly addr: number;
  readonly size: number;
}

/**
 * The collector's phases, in the order a collection runs them (gc_collect_main in CPython's
 * Modules/gcmodule.c). Each is
 * reported when it starts and when it ends; see GcTraceEvent.
 */
export const GcPhase = {
  /** Younger generations spliced onto the collected one. */
  Merge: "merge",
  /** gc_refs := refcount for every object of the collected set. */
  UpdateRefs: "update-refs",
  /** gc_refs -= references from inside the set (through each type's traverse). */
  SubtractRefs: "subtract-refs",
  /** The tentatively-unreachable scan: survivors stay, the rest move to `unreachable`. */
  MoveUnreachable: "move-unreachable",
  /** Survivors promoted; on full collections dicts untracked (tuples were, in move-unreachable). */
  Survivors: "survivors",
  /** Legacy finalizers and everything they reach set aside as uncollectable. */
  LegacyFinalizers: "legacy-finalizers",
  /** Weak references to the garbage cleared, callbacks of reachable ones run. */
  Weakrefs: "weakrefs",
  /** Finalizers (__del__) of the garbage run, once per object. */
  Finalize: "finalize",
  /** Reachability recomputed over the garbage: resurrected objects survive. */
  Resurrection: "resurrection",
  /** Each remaining object cleared (tp_clear), which frees the cycles. */
  Delete: "delete",
} as const;
export type GcPhase = (typeof GcPhase)[keyof typeof GcPhase];

/**
 * A collector event. `objects` on a phase's end is the size of the set the phase produced (the
 * tentatively unreachable after move-unreachable, the final garbage after resurrection, …), and
 * its `members` (only when the heap's `traceGcRefs` is on); `gc-refs` events (only then too) give each object's gc_refs after subtract-refs, which is the
 * number of references to it from outside the collected set.
 */
export type GcTraceEvent =
  | {
      readonly kind: "gc-start";
      readonly generation: number;
      /** True for a collection the allocator started (a count over its threshold), false for gc.collect(). */
      readonly automatic: boolean;
    }
  | { readonly kind: "gc-phase-start"; readonly phase: GcPhase }
  | {
      readonly kind: "gc-phase-end";
      readonly phase: GcPhase;
      readonly objects: number;
      /** The addresses of those objects in list order (only when the heap's `traceGcRefs` is on). */
      readonly members?: readonly number[];
    }
  | { readonly kind: "gc-refs"; readonly addr: number; readonly refs: number }
  | {
      readonly kind: "gc-end";
      readonly generation: number;
      readonly collected: number;
      readonly uncollectable: number;
    };

/** Receives trace events. Called synchronously; must not touch the heap. */
export type TraceSink = (event: TraceEvent | GcTraceEvent) => void;
