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

export interface TraceEvent {
  readonly kind: TraceKind;
  readonly addr: number;
  readonly size: number;
}

/** Receives trace events. Called synchronously; must not touch the heap. */
export type TraceSink = (event: TraceEvent) => void;
