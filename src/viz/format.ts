/**
 * The trace format the playground reads (docs/playground.md documents it field by field): a
 * sequence of steps, each with what happened in it and a picture of the heap at its end. Every
 * step carries a whole picture, so a viewer steps backward as easily as forward. JSON-safe: only
 * strings, numbers, booleans, null, arrays and plain objects.
 */
import type { GcPhase } from "../index.js";

/** `format` and `version` of every trace; a reader refuses any other. */
export const TRACE_FORMAT = "refheap-trace";
export const TRACE_VERSION = 1;

export interface VizTrace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  /** What was recorded (a preset's name, a file name, a program's own title). */
  readonly title: string;
  /** The scenario's text, when the trace was recorded from one. */
  readonly source: string | null;
  readonly steps: readonly VizStep[];
}

export interface VizStep {
  /** A short name: the scenario line (`new a A`), or the collection's sub-step (`subtract_refs`). */
  readonly label: string;
  /** One sentence saying what the step did. */
  readonly explanation: string;
  /** The scenario line the step belongs to (1-based), or null. */
  readonly line: number | null;
  /** Inside a collection: which one and which phase (null between collections). */
  readonly collection: VizCollection | null;
  /** Event-log lines that appeared during this step (the oracle's log words; see docs/oracle.md). */
  readonly log: readonly string[];
  readonly heap: VizHeap;
}

export interface VizCollection {
  /** The generation collected (with every younger one). */
  readonly generation: number;
  /** True when an allocation started it (a count over its threshold), false for gc.collect(). */
  readonly automatic: boolean;
  /** Why it started, in words. */
  readonly reason: string;
  /** The phase that just ended (CPython's gc_collect_main steps), or "start" / "end". */
  readonly phase: GcPhase | "start" | "end";
  /** At "end": gc.collect()'s result parts (collected, uncollectable); null before. */
  readonly result: { readonly collected: number; readonly uncollectable: number } | null;
}

/** Where an object stands in a collection, when it is in one. */
export type VizMark =
  /** In the generations being collected, not yet judged. */
  | "collecting"
  /** move_unreachable found nothing outside the set that reaches it (tentatively garbage). */
  | "unreachable"
  /** Reached from a legacy finalizer (tp_del): set aside, uncollectable. */
  | "uncollectable"
  /** Still unreachable after the finalizers ran: it will be cleared. */
  | "garbage";

export interface VizObject {
  /** The object's address in the heap (its id()). */
  readonly addr: number;
  /** Its type's name (a class's name, or `list`, `dict`, `weakref.ReferenceType`, …). */
  readonly type: string;
  /** The true reference count (sys.getrefcount(o) - 1). */
  readonly refcount: number;
  /** 0, 1, 2, 3 (permanent), null when untracked, "collecting" while a collection holds it. */
  readonly generation: 0 | 1 | 2 | 3 | "collecting" | null;
  /** The scenario's label (its name at creation; `~` for a loop's object), if any. */
  readonly label: string | null;
  /** A str's text as repr() shows it (cut at 24 characters); null for other objects. */
  readonly value: string | null;
  /** gc_refs after subtract_refs (references from outside the collected set), during a collection. */
  readonly gcRefs: number | null;
  readonly mark: VizMark | null;
  /** Whether its finalizer (__del__) has run (PEP 442's flag). */
  readonly finalized: boolean;
  /** The objects it references, in tp_traverse's order; a weakref's referent as a weak edge. */
  readonly edges: readonly VizEdge[];
}

export interface VizEdge {
  readonly to: number;
  readonly weak: boolean;
}

export interface VizHeap {
  /** The scenario's names (or the program's roots) and the objects they are bound to. */
  readonly roots: readonly { readonly name: string; readonly addr: number }[];
  /** The objects drawn; null when there are more than the recorder's limit (see `summary`). */
  readonly objects: readonly VizObject[] | null;
  /** Counts by type and generation of the objects the recorder looked at (always present). */
  readonly summary: VizSummary;
  /** gc.get_count() and gc.get_threshold(). */
  readonly counts: readonly [number, number, number];
  readonly thresholds: readonly [number, number, number];
  readonly allocator: VizAllocator;
}

export interface VizSummary {
  readonly total: number;
  /** Type name → objects in generation 0, 1, 2, permanent, untracked, in a collection. */
  readonly byType: Readonly<Record<string, readonly [number, number, number, number, number, number]>>;
}

export interface VizAllocator {
  /** pymalloc's arenas, each with its carved pools (size class -1: empty). */
  readonly arenas: readonly {
    readonly address: number;
    readonly pools: readonly {
      readonly sizeClass: number;
      readonly used: number;
      readonly capacity: number;
    }[];
    readonly uncarved: number;
  }[];
  /** Per size class in use: block size, pools, blocks in use and free (sys._debugmallocstats). */
  readonly sizeClasses: readonly {
    readonly sizeClass: number;
    readonly size: number;
    readonly pools: number;
    readonly blocksInUse: number;
    readonly availableBlocks: number;
  }[];
  /** Blocks over 512 bytes (refheap's large-block path; CPython asks the system's malloc). */
  readonly largeBlocks: number;
}

/** A trace read from JSON, checked: throws a TypeError saying what is wrong. */
export function parseTrace(text: string): VizTrace {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`not a refheap trace: the file is not JSON (${(e as Error).message})`);
  }
  return checkTrace(data);
}

/** Checks the shape of a trace's outer levels and of each step's heap (not every object field). */
export function checkTrace(data: unknown): VizTrace {
  const o = data as Partial<VizTrace> | null;
  if (typeof o !== "object" || o === null || o.format !== TRACE_FORMAT) {
    throw new TypeError(`not a refheap trace: "format" must be "${TRACE_FORMAT}"`);
  }
  if (o.version !== TRACE_VERSION) {
    throw new TypeError(
      `a refheap trace of version ${String(o.version)}: this reader reads version ${TRACE_VERSION}`,
    );
  }
  if (!Array.isArray(o.steps) || o.steps.length === 0) {
    throw new TypeError('not a refheap trace: "steps" must be a non-empty array');
  }
  o.steps.forEach((s: Partial<VizStep>, i: number) => {
    const heap = s?.heap as Partial<VizHeap> | undefined;
    if (
      typeof s?.label !== "string" ||
      !Array.isArray(s.log) ||
      typeof heap !== "object" ||
      heap === null ||
      !Array.isArray(heap.roots) ||
      !(heap.objects === null || Array.isArray(heap.objects)) ||
      typeof heap.summary !== "object" ||
      typeof heap.allocator !== "object"
    ) {
      throw new TypeError(
        `refheap trace: step ${i} lacks label, log or heap (roots, objects, summary, allocator)`,
      );
    }
  });
  return o as VizTrace;
}
