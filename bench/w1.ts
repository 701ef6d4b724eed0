/**
 * W1: make N instances of a class in a list, then drop the list. Variants for refheap (checked
 * and unchecked engines) and for plain V8 objects; bench/python/w1.py is the CPython side.
 * Only the package's public entry is imported, so this measures what users get from dist/.
 */
import { decref, Engine, listAppend, newInstance, newList, stats } from "refheap/core";

/** The object's layout, so each variant can be compared with its counterpart elsewhere. */
export type Shape = "empty" | "one-field";

export interface RoundTime {
  readonly buildNs: number;
  readonly dropNs: number;
}

export interface W1Variant {
  readonly name: string;
  readonly runtime: "refheap" | "V8";
  readonly shape: Shape;
  /** Builds and drops one list of n objects. */
  round(n: number): RoundTime;
  /** Throws if the variant left objects behind (a leak would make later rounds cheaper or dearer). */
  checkClean(): void;
}

const now = (): bigint => process.hrtime.bigint();

// --- refheap ---------------------------------------------------------------------------------

function buildRefheap(h: Engine, typeId: number, n: number): number {
  const l = newList(h); // grows by appends, like CPython's list comprehension
  for (let i = 0; i < n; i++) {
    const o = newInstance(h, typeId);
    // No refheap call steals a reference, so the append takes its own and we drop ours
    // (CPython's LIST_APPEND steals instead; this costs one extra incref/decref pair).
    listAppend(h, l, o, true);
    decref(h, o);
  }
  return l;
}

/** Blocks currently allocated, small and large (walks the pools: call it outside timed regions). */
function liveBlocks(h: Engine): number {
  const s = stats(h);
  return s.sizeClasses.reduce((sum, c) => sum + c.blocksInUse, s.large.blocksInUse);
}

/**
 * The Empty and Node variants on one engine. The engine is reused for every round: a fresh
 * ArrayBuffer per round would mostly measure the OS faulting in new pages.
 */
export function refheapVariants(checked: boolean): W1Variant[] {
  const h = new Engine({ checked });
  const Empty = h.defineClass({ name: "Empty" });
  const Node = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] });
  const baseline = liveBlocks(h);
  const mode = checked ? "checked" : "unchecked";
  const variant = (label: string, typeId: number, shape: Shape): W1Variant => ({
    name: `refheap ${label} (${mode})`,
    runtime: "refheap",
    shape,
    round(n) {
      const t0 = now();
      const l = buildRefheap(h, typeId, n);
      const t1 = now();
      decref(h, l); // frees the list and then its items, last to first
      const t2 = now();
      return { buildNs: Number(t1 - t0), dropNs: Number(t2 - t1) };
    },
    checkClean() {
      const live = liveBlocks(h) - baseline;
      if (live !== 0) throw new Error(`${this.name}: ${live} blocks still allocated after dropping the list`);
    },
  });
  return [variant("Empty", Empty.id, "empty"), variant("Node", Node.id, "one-field")];
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

function v8Variant(name: string, shape: Shape, build: (n: number) => readonly object[]): W1Variant {
  return {
    name,
    runtime: "V8",
    shape,
    round(n) {
      const t0 = now();
      let a: readonly object[] | null = build(n);
      v8Sink += a.length;
      const t1 = now();
      // Dropping is only forgetting the reference: the collector reclaims the objects later,
      // mostly outside this region (scavenges triggered while building are inside "build").
      a = null;
      const t2 = now();
      return { buildNs: Number(t1 - t0), dropNs: Number(t2 - t1) };
    },
    checkClean() {},
  };
}

export function v8Variants(): W1Variant[] {
  return [
    v8Variant("V8 class Empty {}", "empty", buildEmptyJs),
    v8Variant("V8 {other: null}", "one-field", buildNodeJs),
  ];
}
