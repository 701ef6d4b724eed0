/**
 * The recorder: pictures of a heap, step by step, in the trace format (format.ts). A program
 * gives the recorder's `sink` to its heap as the trace sink, attaches the recorder to the heap's
 * engine, and calls `step()` where it wants a picture; every collection adds its own sub-steps,
 * one per phase of gc_collect_main, from the collector's trace events.
 *
 *   const rec = new Recorder({ roots: () => [["head", head.address]] });
 *   const heap = new Heap({ trace: rec.sink });
 *   rec.attach(heap.engine);
 *   …  rec.step("made the list");  heap.gc.collect();  …
 *   writeFileSync("trace.json", JSON.stringify(rec.trace("my program")));
 *
 * Reading the heap never changes it: no object is made, no count moves (gc.generationAddresses,
 * traverse into the engine's scratch buffer, the allocator's walk).
 */
import {
  type Engine,
  FALSE,
  gc,
  getrefcount,
  Kind,
  listSize,
  mallocPools,
  mallocStats,
  NONE,
  strValue,
  TRUE,
  traverse,
  typeIdOf,
  weakref,
} from "../core.js";
import type { GcPhase, GcTraceEvent, TraceEvent } from "../index.js";
import { explainPhase, explainStart } from "./explain.js";
import {
  TRACE_FORMAT,
  TRACE_VERSION,
  type VizAllocator,
  type VizCollection,
  type VizEdge,
  type VizHeap,
  type VizMark,
  type VizObject,
  type VizStep,
  type VizTrace,
} from "./format.js";

export interface RecorderOptions {
  /** The roots' names and addresses, read at every step (default: none). */
  readonly roots?: () => Iterable<readonly [string, number]>;
  /** An object's label, if it has one (default: none). */
  readonly label?: (addr: number) => string | undefined;
  /**
   * Where the walk for a picture starts besides the roots (default: every object in generations
   * 0–2, but gc.garbage while it is empty). The picture holds these and everything they reference, type objects and None, True and
   * False excepted.
   */
  readonly seeds?: () => Iterable<number>;
  /** References an object holds that its traverse does not report (a stand-in's hidden parts). */
  readonly heldBy?: (addr: number) => Iterable<number>;
  /** The event-log lines so far (a step shows those added since the step before). */
  readonly log?: () => readonly string[];
  /** The most objects a step draws (default 2000); a bigger heap's steps carry counts only. */
  readonly maxObjects?: number;
  /** Record each collection's phases as sub-steps (default true). */
  readonly phases?: boolean;
}

/** The default limit on drawn objects per step. */
export const DEFAULT_MAX_OBJECTS = 2000;

/** A collection in progress, as the recorder follows it. */
interface Collecting {
  generation: number;
  automatic: boolean;
  reason: string;
  /**
   * gc_refs: after update_refs each collected object's refcount (what update_refs copies, read
   * when pictured), then by address what subtract_refs left.
   */
  gcRefs: Map<number, number> | "refcounts" | null;
  marks: Map<number, VizMark>;
  /** subtract_refs ended; its picture waits for the gc-refs events that follow it. */
  pendingSubtract: boolean;
}

export class Recorder {
  readonly #steps: VizStep[] = [];
  readonly #options: RecorderOptions;
  #engine: Engine | null = null;
  #logSeen = 0;
  #collecting: Collecting | null = null;
  #line: number | null = null;

  constructor(options: RecorderOptions = {}) {
    this.#options = options;
  }

  /** The trace sink to give the heap (`new Heap({ trace: rec.sink })`). */
  readonly sink = (event: TraceEvent | GcTraceEvent): void => {
    this.#onEvent(event);
  };

  /** Starts recording `engine` (the heap whose trace sink is `sink`); turns on its gc_refs events. */
  attach(engine: Engine): void {
    this.#engine = engine;
    if (this.#options.phases !== false) engine.traceGcRefs = true;
  }

  /** The scenario line the next steps belong to (null: none). */
  setLine(line: number | null): void {
    this.#line = line;
  }

  /** Records a step: a picture of the heap now, with the log lines added since the last step. */
  step(label: string, explanation: string): void {
    this.#push(label, explanation, null, null);
  }

  /** The steps so far as a trace. */
  trace(title: string, source: string | null = null): VizTrace {
    return { format: TRACE_FORMAT, version: TRACE_VERSION, title, source, steps: [...this.#steps] };
  }

  // --- the collector's events ---

  #onEvent(ev: TraceEvent | GcTraceEvent): void {
    const e = this.#engine;
    if (e === null || this.#options.phases === false) return;
    switch (ev.kind) {
      case "gc-start": {
        const counts = gc.getCount(e);
        const thresholds = gc.getThreshold(e);
        this.#collecting = {
          generation: ev.generation,
          automatic: ev.automatic,
          reason: explainStart(ev.generation, ev.automatic, counts, thresholds),
          gcRefs: null,
          marks: new Map(),
          pendingSubtract: false,
        };
        this.#pushCollection("start", this.#collecting.reason, null);
        return;
      }
      case "gc-phase-start":
        this.#flushSubtract();
        return;
      case "gc-refs":
        if (this.#collecting?.gcRefs instanceof Map) this.#collecting.gcRefs.set(ev.addr, ev.refs);
        return;
      case "gc-phase-end":
        this.#phaseEnd(ev.phase, ev.objects, ev.members ?? []);
        return;
      case "gc-end": {
        this.#flushSubtract();
        const c = this.#collecting;
        if (c === null) return;
        c.gcRefs = null;
        c.marks.clear();
        const result = { collected: ev.collected, uncollectable: ev.uncollectable };
        this.#pushCollection(
          "end",
          `The collection of generation ${ev.generation} ends: ${ev.collected} collected, ${ev.uncollectable} uncollectable.`,
          result,
        );
        this.#collecting = null;
        return;
      }
      default:
        return;
    }
  }

  #phaseEnd(phase: GcPhase, objects: number, members: readonly number[]): void {
    const c = this.#collecting;
    if (c === null) return;
    switch (phase) {
      case "merge":
        for (const a of members) c.marks.set(a, "collecting");
        break;
      case "update-refs":
        c.gcRefs = "refcounts";
        break;
      case "subtract-refs":
        // The gc-refs events come right after this end; the picture waits for them.
        c.gcRefs = new Map();
        c.pendingSubtract = true;
        return;
      case "move-unreachable":
        for (const a of members) c.marks.set(a, "unreachable");
        break;
      case "survivors":
        // The survivors left the collection (promoted); only the unreachable keep a mark.
        for (const [a, m] of c.marks) if (m === "collecting") c.marks.delete(a);
        c.gcRefs = null;
        break;
      case "legacy-finalizers":
        for (const a of members) c.marks.set(a, "uncollectable");
        break;
      case "resurrection": {
        const garbage = new Set(members);
        for (const [a, m] of c.marks) if (m === "unreachable" && !garbage.has(a)) c.marks.delete(a);
        for (const a of members) c.marks.set(a, "garbage");
        break;
      }
      case "delete":
        for (const [a, m] of c.marks) if (m === "garbage") c.marks.delete(a);
        break;
      default:
        break;
    }
    this.#pushCollection(phase, explainPhase(phase, objects, c.generation), null);
  }

  #flushSubtract(): void {
    const c = this.#collecting;
    if (c === null || !c.pendingSubtract) return;
    c.pendingSubtract = false;
    this.#pushCollection("subtract-refs", explainPhase("subtract-refs", 0, c.generation), null);
  }

  /** A step of the collection in progress, labelled `gc N: phase_name`. */
  #pushCollection(phase: VizCollection["phase"], explanation: string, result: VizCollection["result"]): void {
    const c = this.#collecting!;
    const { generation, automatic, reason } = c;
    this.#push(`gc ${generation}: ${phase.replace(/-/g, "_")}`, explanation, c, {
      generation,
      automatic,
      reason,
      phase,
      result,
    });
  }

  #push(label: string, explanation: string, c: Collecting | null, collection: VizCollection | null): void {
    const e = this.#engine;
    if (e === null) throw new Error("Recorder: attach(engine) before recording steps");
    const log = this.#options.log?.() ?? [];
    const added = log.slice(this.#logSeen);
    this.#logSeen = log.length;
    this.#steps.push({
      label,
      explanation,
      line: this.#line,
      collection,
      log: added,
      heap: picture(e, this.#options, c),
    });
  }
}

// --- the picture ---

/** Generation of every tracked object, from the generation lists (3: permanent). */
function generations(e: Engine): Map<number, 0 | 1 | 2 | 3> {
  const out = new Map<number, 0 | 1 | 2 | 3>();
  for (const g of [0, 1, 2, 3] as const) for (const a of gc.generationAddresses(e, g)) out.set(a, g);
  return out;
}

/** Whether the picture leaves `o` out: type objects and the singletons are drawn as words, not nodes. */
function hidden(e: Engine, o: number): boolean {
  return o === NONE || o === TRUE || o === FALSE || e.typeKind[typeIdOf(e, o)] === Kind.Type;
}

/** A weakref's or proxy's referent, 0 when it is dead. */
function referentOf(e: Engine, o: number, kind: number): number {
  if (kind === Kind.Weakref) {
    const r = weakref.weakrefGet(e, o);
    return r === NONE ? 0 : r;
  }
  try {
    return weakref.proxyReferent(e, o);
  } catch {
    return 0;
  }
}

function edgesOf(e: Engine, o: number, options: RecorderOptions): VizEdge[] {
  const n = traverse(e, o);
  const buf = e.edges;
  const out: VizEdge[] = [];
  for (let i = 0; i < n; i++) {
    const to = buf[i]!;
    if (to !== 0 && !hidden(e, to)) out.push({ to, weak: false });
  }
  for (const to of options.heldBy?.(o) ?? []) if (!hidden(e, to)) out.push({ to, weak: false });
  const kind = e.typeKind[typeIdOf(e, o)]!;
  if (kind === Kind.Weakref || kind === Kind.WeakProxy) {
    const r = referentOf(e, o, kind);
    if (r !== 0 && !hidden(e, r)) out.push({ to: r, weak: true });
  }
  return out;
}

function picture(e: Engine, options: RecorderOptions, c: Collecting | null): VizHeap {
  const roots: { name: string; addr: number }[] = [];
  for (const [name, addr] of options.roots?.() ?? []) if (!hidden(e, addr)) roots.push({ name, addr });
  const gens = generations(e);
  const seen = new Set<number>();
  const order: number[] = [];
  const visit = (a: number): void => {
    if (seen.has(a) || hidden(e, a)) return;
    seen.add(a);
    order.push(a);
  };
  for (const r of roots) visit(r.addr);
  if (options.seeds !== undefined) {
    for (const a of options.seeds()) visit(a);
  } else {
    // Every tracked object but gc.garbage while it is empty (the heap's own list, always there).
    const garbage = e.garbage;
    for (const [a, g] of gens) {
      if (g !== 3 && !(a === garbage && listSize(e, garbage) === 0)) visit(a);
    }
  }
  // Breadth first over the references (no recursion: a chain may be as long as the heap).
  const edges = new Map<number, VizEdge[]>();
  for (let i = 0; i < order.length; i++) {
    const es = edgesOf(e, order[i]!, options);
    edges.set(order[i]!, es);
    for (const ed of es) visit(ed.to);
  }
  const max = options.maxObjects ?? DEFAULT_MAX_OBJECTS;
  const byType: Record<string, [number, number, number, number, number, number]> = {};
  const objects: VizObject[] = [];
  for (const a of order) {
    const type = e.types[typeIdOf(e, a)]!.name;
    const g = gens.get(a);
    const generation: VizObject["generation"] =
      g !== undefined ? g : gc.isTracked(e, a) && c !== null ? "collecting" : null;
    let row = byType[type];
    if (row === undefined) {
      row = [0, 0, 0, 0, 0, 0];
      byType[type] = row;
    }
    row[generation === null ? 4 : generation === "collecting" ? 5 : generation]++;
    if (order.length > max) continue;
    objects.push({
      addr: a,
      type,
      refcount: getrefcount(e, a),
      generation,
      label: options.label?.(a) ?? null,
      value: strRepr(e, a),
      gcRefs: gcRefsOf(e, c, a),
      mark: c?.marks.get(a) ?? null,
      finalized: gc.isFinalized(e, a),
      edges: edges.get(a)!,
    });
  }
  return {
    roots,
    objects: order.length > max ? null : objects,
    summary: { total: order.length, byType },
    counts: gc.getCount(e),
    thresholds: gc.getThreshold(e),
    allocator: allocator(e),
  };
}

/** An object's gc_refs in the collection in progress, when the collector has one for it. */
function gcRefsOf(e: Engine, c: Collecting | null, a: number): number | null {
  const refs = c?.gcRefs ?? null;
  if (refs === "refcounts") return c!.marks.get(a) === "collecting" ? getrefcount(e, a) : null;
  return refs?.get(a) ?? null;
}

/** A str's text, quoted as repr() does (cut at 24 characters), else null. */
function strRepr(e: Engine, o: number): string | null {
  if (e.typeKind[typeIdOf(e, o)] !== Kind.Str) return null;
  const s = strValue(e, o);
  return `'${s.length > 24 ? `${s.slice(0, 24)}…` : s}'`;
}

function allocator(e: Engine): VizAllocator {
  const s = mallocStats(e);
  return {
    arenas: mallocPools(e),
    sizeClasses: s.sizeClasses.map(({ sizeClass, size, pools, blocksInUse, availableBlocks }) => ({
      sizeClass,
      size,
      pools,
      blocksInUse,
      availableBlocks,
    })),
    largeBlocks: s.large.blocksInUse,
  };
}
