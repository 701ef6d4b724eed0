/**
 * W1: make N instances of a class in a list, then drop the list. Variants for refheap (checked
 * and unchecked engines, automatic collection off, and on for two unchecked rows) and for plain
 * V8 objects; bench/python/w1.py is the CPython side.
 * Only the package's public entry is imported, so this measures what users get from dist/.
 *
 * Each variant is built on its own (makeVariant) so that src/bench/run-w1.ts can run it alone in
 * a child process: V8 then optimises refheap's functions for that one variant's types.
 */

import { decref, Engine, gc, listAppend, listAppendSteal, newInstance, newList, stats } from "../core.js";
import { Heap, type ListHandle } from "../index.js";
import { cpuNs } from "./clock.js";
import { checkFloorEmpty, newFloorHeap } from "./floor.js";
import { floorW1Build, floorW1Drop } from "./floor-flat.js";

/** The object's layout, so each variant can be compared with its counterpart elsewhere. */
export type Shape = "empty" | "one-field";

export interface RoundTime {
  readonly buildNs: number;
  readonly dropNs: number;
}

/** What a variant is, without building it: the parent process needs this to lay out the table. */
export interface W1Spec {
  /** Passed to a child process as `--child <id>`. */
  readonly id: string;
  readonly name: string;
  readonly runtime: "refheap" | "V8" | "floor";
  readonly shape: Shape;
  /** Whether the heap's automatic cycle collection is on (null for V8, whose collector always is). */
  readonly automaticCollection: boolean | null;
}

export interface W1Variant extends W1Spec {
  /** Builds and drops one list of n objects. */
  round(n: number): RoundTime;
  /** Throws if the variant left objects behind (a leak would make later rounds cheaper or dearer). */
  checkClean(): void;
}

/** The W1Spec part of a fuller spec (what the parent process and the table need). */
const specOf = ({ id, name, runtime, shape, automaticCollection }: W1Spec): W1Spec => ({
  id,
  name,
  runtime,
  shape,
  automaticCollection,
});

/** CPython's default gc thresholds (gc.get_threshold() in 3.11): W1's "gc on" rows use them on both sides. */
export const W1_GC_THRESHOLDS = [700, 10, 10] as const;

// --- refheap ---------------------------------------------------------------------------------

/** listAppend + decref: the append takes its own reference, then the builder drops its own. */
function buildRefheap(h: Engine, typeId: number, n: number): number {
  const l = newList(h); // grows by appends, like CPython's list comprehension
  for (let i = 0; i < n; i++) {
    const o = newInstance(h, typeId);
    // What code that keeps using `o` after appending must do: one extra incref/decref pair.
    listAppend(h, l, o, true);
    decref(h, o);
  }
  return l;
}

/** listAppendSteal: the list takes over the new object's reference, as CPython's LIST_APPEND does. */
function buildRefheapSteal(h: Engine, typeId: number, n: number): number {
  const l = newList(h);
  for (let i = 0; i < n; i++) listAppendSteal(h, l, newInstance(h, typeId));
  return l;
}

/** Blocks currently allocated, small and large (walks the pools: call it outside timed regions). */
export function liveBlocks(h: Engine): number {
  const s = stats(h);
  return s.sizeClasses.reduce((sum, c) => sum + c.blocksInUse, s.large.blocksInUse);
}

interface RefheapSpec extends W1Spec {
  readonly checked: boolean;
  readonly steal: boolean;
  readonly className: string;
  readonly fields: readonly string[];
}

const REFHEAP_CLASSES = [
  { className: "Empty", fields: [], shape: "empty" },
  { className: "Node", fields: ["other"], shape: "one-field" },
] as const satisfies readonly { className: string; fields: readonly string[]; shape: Shape }[];

/** Declaration order is table order: per engine mode, per class, the listAppend row then steal. */
const REFHEAP_SPECS: readonly RefheapSpec[] = [false, true].flatMap((checked) =>
  REFHEAP_CLASSES.flatMap(({ className, fields, shape }) =>
    [false, true].map((steal): RefheapSpec => {
      const mode = checked ? "checked" : "unchecked";
      return {
        id: `refheap-${className.toLowerCase()}-${mode}${steal ? "-steal" : ""}`,
        name: `refheap ${className} (${mode}${steal ? ", steal" : ""})`,
        runtime: "refheap",
        shape,
        automaticCollection: false,
        checked,
        steal,
        className,
        fields,
      };
    }),
  ),
);

/**
 * The same build with the heap's automatic collection on, at W1_GC_THRESHOLDS: every 700 net
 * allocations a generation-0 collection walks the young objects (all alive here, in the list).
 * Unchecked, with listAppendSteal, as CPython's list comprehension appends.
 */
const REFHEAP_GC_SPECS: readonly RefheapSpec[] = REFHEAP_CLASSES.map(
  ({ className, fields, shape }): RefheapSpec => ({
    id: `refheap-${className.toLowerCase()}-unchecked-steal-gc`,
    name: `refheap ${className} (unchecked, steal, gc on)`,
    runtime: "refheap",
    shape,
    automaticCollection: true,
    checked: false,
    steal: true,
    className,
    fields,
  }),
);

/**
 * A fresh engine holding just this variant's class. The engine is reused for every round: a
 * fresh ArrayBuffer per round would mostly measure the OS faulting in new pages.
 */
function refheapVariant(spec: RefheapSpec): W1Variant {
  const h = new Engine({ checked: spec.checked });
  // Cycle collection off, as in bench/python/w1.py: W1 measures refcounting and the allocator;
  // the "gc on" rows add the automatic collections CPython runs by default.
  if (spec.automaticCollection === true) {
    gc.enable(h);
    gc.setThreshold(h, ...W1_GC_THRESHOLDS);
  } else {
    gc.disable(h);
  }
  const typeId = h.defineClass({
    name: spec.className,
    fields: spec.fields.map((name) => ({ name, kind: "ref" as const })),
  }).id;
  const build = spec.steal ? buildRefheapSteal : buildRefheap;
  // decref frees the list and then its items, last to first
  return timedVariant(
    spec,
    h,
    (n) => build(h, typeId, n),
    (l) => decref(h, l),
  );
}

/** A variant that times `build` and `drop` separately and checks the engine is back where it started. */
function timedVariant<L>(
  spec: W1Spec,
  h: Engine,
  build: (n: number) => L,
  drop: (list: L) => void,
): W1Variant {
  const baseline = liveBlocks(h);
  return {
    ...specOf(spec),
    round(n) {
      const t0 = cpuNs();
      const l = build(n);
      const t1 = cpuNs();
      drop(l);
      const t2 = cpuNs();
      return { buildNs: t1 - t0, dropNs: t2 - t1 };
    },
    checkClean() {
      const live = liveBlocks(h) - baseline;
      if (live !== 0) throw new Error(`${spec.name}: ${live} blocks still allocated after dropping the list`);
    },
  };
}

// --- refheap's handle API (the package's main entry) ---------------------------------------------

interface HandleSpec extends W1Spec {
  readonly checked: boolean;
  /**
   * "using": each instance's handle is released at the end of its loop iteration, outside any
   * scope, so the leak detector registers each one (when on); "dispose": the same with an explicit
   * dispose() (no `using` lowering by the compiler); "scope": the handles belong to a heap.scope
   * and are released together when it ends; "sink": the recommended style,
   * `l.append(Empty.new())` outside any scope: the append sinks the floating handle (the list
   * takes its reference), so there is nothing to release (docs/decisions.md §30).
   */
  readonly style: "using" | "scope" | "dispose" | "sink";
  readonly leaks: "warn" | "off";
}

const HANDLE_SPECS: readonly HandleSpec[] = (
  [
    [false, "sink", "warn"],
    [false, "scope", "warn"],
    [false, "using", "warn"],
    [false, "using", "off"],
    [false, "dispose", "off"],
    [true, "scope", "warn"],
    [true, "using", "warn"],
  ] as const
).map(([checked, style, leaks]): HandleSpec => {
  const mode = checked ? "checked" : "unchecked";
  return {
    id: `handles-empty-${mode}-${style}-${leaks}`,
    name: `refheap Empty (handles, ${style}${leaks === "off" ? ", leaks off" : ""}, ${mode})`,
    runtime: "refheap",
    shape: "empty",
    automaticCollection: false,
    checked,
    style,
    leaks,
  };
});

/**
 * The handle builders, one function per style: a `using` block lowers to a disposal stack with
 * try/finally, which must not share a function (and its optimisation) with the other loops.
 */
type EmptyClass = ReturnType<Heap["defineClass"]>;

function buildHandlesUsing(heap: Heap, Empty: EmptyClass, n: number): ListHandle {
  const l = heap.list();
  for (let i = 0; i < n; i++) {
    using o = Empty.new();
    l.append(o);
  }
  return l;
}

function buildHandlesDispose(heap: Heap, Empty: EmptyClass, n: number): ListHandle {
  const l = heap.list();
  for (let i = 0; i < n; i++) {
    const o = Empty.new();
    l.append(o);
    o.dispose();
  }
  return l;
}

function buildHandlesScope(heap: Heap, Empty: EmptyClass, n: number): ListHandle {
  const l = heap.list();
  heap.scope(() => {
    for (let i = 0; i < n; i++) l.append(Empty.new());
  });
  return l;
}

function buildHandlesSink(heap: Heap, Empty: EmptyClass, n: number): ListHandle {
  const l = heap.list();
  for (let i = 0; i < n; i++) l.append(Empty.new());
  return l;
}

const HANDLE_BUILDERS = {
  using: buildHandlesUsing,
  dispose: buildHandlesDispose,
  scope: buildHandlesScope,
  sink: buildHandlesSink,
};

/** W1 written with handles: `Empty.new()` per object, `list.append`, then the list's handle released. */
function handleVariant(spec: HandleSpec): W1Variant {
  const heap = new Heap({ checked: spec.checked, leaks: spec.leaks });
  heap.gc.disable(); // as in bench/python/w1.py
  const Empty = heap.defineClass("Empty");
  const build = HANDLE_BUILDERS[spec.style];
  return timedVariant(
    spec,
    heap.engine,
    (n) => build(heap, Empty, n),
    (l) => l.dispose(),
  );
}

/**
 * Bytes one instance of a class occupies in refheap's allocator: the block size of the size
 * class that grows when instances are made (so it includes the GC head and the rounding).
 */
export function refheapBlockSize(fields: readonly string[]): number {
  const h = new Engine({ checked: false });
  const type = h.defineClass({ name: "T", fields: fields.map((name) => ({ name, kind: "ref" as const })) });
  const count = 1000;
  const before = new Map(stats(h).sizeClasses.map((c) => [c.sizeClass, c.blocksInUse]));
  const objs: number[] = [];
  for (let i = 0; i < count; i++) objs.push(newInstance(h, type.id));
  const grown = stats(h).sizeClasses.find((c) => c.blocksInUse - (before.get(c.sizeClass) ?? 0) === count);
  for (const o of objs) decref(h, o);
  if (grown === undefined) throw new Error("no single size class holds the new instances");
  return grown.size;
}

// --- V8 --------------------------------------------------------------------------------------

class EmptyJs {}

interface NodeJs {
  other: NodeJs | null;
}

// Separate builders keep each allocation site monomorphic, as a JS runtime's would be.
function buildEmptyJs(n: number): EmptyJs[] {
  const a: EmptyJs[] = [];
  for (let i = 0; i < n; i++) a.push(new EmptyJs());
  return a;
}

function buildNodeJs(n: number): NodeJs[] {
  const a: NodeJs[] = [];
  for (let i = 0; i < n; i++) a.push({ other: null });
  return a;
}

/** Read after every build so the optimiser cannot treat the arrays as unused. */
export let v8Sink = 0;

interface V8Spec extends W1Spec {
  readonly build: (n: number) => readonly object[];
}

const V8_SPECS: readonly V8Spec[] = [
  {
    id: "v8-empty",
    name: "V8 class Empty {}",
    runtime: "V8",
    shape: "empty",
    automaticCollection: null,
    build: buildEmptyJs,
  },
  {
    id: "v8-node",
    name: "V8 {other: null}",
    runtime: "V8",
    shape: "one-field",
    automaticCollection: null,
    build: buildNodeJs,
  },
];

function v8Variant(spec: V8Spec): W1Variant {
  const { build } = spec;
  return {
    ...specOf(spec),
    round(n) {
      const t0 = cpuNs();
      let a: readonly object[] | null = build(n);
      v8Sink += a.length;
      const t1 = cpuNs();
      // Dropping is only forgetting the reference: the collector reclaims the objects later,
      // mostly outside this region (scavenges triggered while building are inside "build").
      a = null;
      const t2 = cpuNs();
      return { buildNs: t1 - t0, dropNs: t2 - t1 };
    },
    checkClean() {},
  };
}

// --- the floor: hand-written exact work (floor.ts) -------------------------------------------

/** The floor rows' name, in W1's and W2's tables. */
export const FLOOR_NAME = "floor: hand-written exact work (this machine)";
export const FLOOR_GC_NAME = "floor: hand-written exact work, gc on (this machine)";

const FLOOR_SPEC: W1Spec = {
  id: "floor-node",
  name: FLOOR_NAME,
  runtime: "floor",
  shape: "one-field",
  automaticCollection: false,
};

/** The floor of the refheap Node (unchecked, steal, gc on) row: the same, with the collections. */
const FLOOR_GC_SPEC: W1Spec = {
  id: "floor-node-gc",
  name: FLOOR_GC_NAME,
  runtime: "floor",
  shape: "one-field",
  automaticCollection: true,
};

/**
 * W1's floor: the refheap Node (unchecked, steal) row's work, flat over a floor heap of its own
 * (floor-flat.ts), with or without automatic collection (floor-gc.ts: the collections refheap's
 * row runs, when it runs them). Each round checks the heap is back where it started, after its
 * timed part.
 */
function floorVariant(spec: W1Spec): W1Variant {
  const collection = spec.automaticCollection === true;
  let i32: Int32Array | null = null;
  let sized = 0;
  return {
    ...spec,
    round(n) {
      if (i32 === null || n > sized) {
        i32 = newFloorHeap(n, collection);
        sized = n;
      }
      const heap = i32;
      const t0 = cpuNs();
      const l = floorW1Build(heap, n);
      const t1 = cpuNs();
      floorW1Drop(heap, l);
      const t2 = cpuNs();
      checkFloorEmpty(heap, "W1");
      return { buildNs: t1 - t0, dropNs: t2 - t1 };
    },
    checkClean() {
      if (i32 !== null) checkFloorEmpty(i32, "W1");
    },
  };
}

// --- registry --------------------------------------------------------------------------------

/** Every JavaScript variant, in table order. Describing one builds nothing. */
export const w1Specs: readonly W1Spec[] = [
  // The floor's row right below the row whose work it does.
  ...REFHEAP_SPECS.flatMap((s): W1Spec[] =>
    s.id === "refheap-node-unchecked-steal" ? [s, FLOOR_SPEC] : [s],
  ),
  ...REFHEAP_GC_SPECS.flatMap((s): W1Spec[] =>
    s.id === "refheap-node-unchecked-steal-gc" ? [s, FLOOR_GC_SPEC] : [s],
  ),
  ...HANDLE_SPECS,
  ...V8_SPECS,
].map(specOf);

/** Builds the variant with this id, and nothing else (no other engine, no other class). */
export function makeVariant(id: string): W1Variant {
  const r = [...REFHEAP_SPECS, ...REFHEAP_GC_SPECS].find((s) => s.id === id);
  if (r !== undefined) return refheapVariant(r);
  const hs = HANDLE_SPECS.find((s) => s.id === id);
  if (hs !== undefined) return handleVariant(hs);
  const v = V8_SPECS.find((s) => s.id === id);
  if (v !== undefined) return v8Variant(v);
  if (id === FLOOR_SPEC.id) return floorVariant(FLOOR_SPEC);
  if (id === FLOOR_GC_SPEC.id) return floorVariant(FLOOR_GC_SPEC);
  throw new Error(`unknown W1 variant ${JSON.stringify(id)} (known: ${w1Specs.map((s) => s.id).join(", ")})`);
}
