/**
 * W2: the cycle collector, on refheap's engine (unchecked); bench/python/w2.py is the CPython
 * side. Two parts, each a variant that src/bench/run-w2.ts runs alone in a child process:
 *
 * - "garbage": make N/2 two-object cycles of a one-field class (a.other = b, b.other = a, both
 *   dropped) with automatic collection off, then time ONE `gc.collect()`.
 * - "pause": a list of N instances of the same class (field unset), automatic collection off;
 *   time `gc.collect(2)` calls that find no garbage (after untimed ones have moved everything
 *   to generation 2).
 * - "fragmented" (W2b): the same pause, on a heap whose N live instances were allocated in a
 *   shuffled address order (fragmentedList explains how).
 * - Beside "garbage" and the 1,000,000-object "pause": the same two parts on a declared class
 *   and on a user kind, each with two reference slots (W2_PAIR_CHILD_IDS).
 *
 * One engine per process, reused for the warm-up and every timed round: its arenas are then
 * already in place (a fresh ArrayBuffer per round would mostly time the OS faulting in pages).
 * Only the package's public entry is imported, so this measures what users get from dist/.
 */
import { decref, Engine, gc, listAppendSteal, newInstance, newList, newObject, setField } from "../core.js";
import { cpuNs } from "./clock.js";
import {
  checkFloorEmpty,
  checkFloorPause,
  floorFragmentedList,
  floorMakeCycles,
  newFloorHeap,
} from "./floor.js";
import { floorCollectGarbage, floorCollectPause, floorW1Build, floorW1Drop } from "./floor-flat.js";
import { shuffledOrder } from "./shuffle.js";
import { liveBlocks } from "./w1.js";

export type W2Part = "garbage" | "pause" | "fragmented";

/** One timed round. */
export interface CollectTime {
  /** Time to make what the collection finds (the cycles); 0 for "pause", which makes nothing. */
  readonly makeNs: number;
  /** The one timed collect() call. */
  readonly collectNs: number;
  /** What that collect() returned (unreachable objects found). */
  readonly returned: number;
}

export interface W2Variant {
  /** The same work as a round, untimed (JIT tiers up, the heap reaches its size). */
  warmUp(): void;
  round(): CollectTime;
  /** Drops what the variant holds and throws if any block is left allocated. */
  finish(): void;
  /**
   * "fragmented" only: how many live objects took exactly the block the shuffle meant them to
   * (all of them, unless something else allocated in their size class meanwhile); null otherwise.
   */
  readonly placed: number | null;
}

/** What a W2 child is: passed as `--child <id>`. */
export const W2_CHILD_IDS: Readonly<Record<W2Part, string>> = {
  garbage: "w2-garbage",
  pause: "w2-pause",
  fragmented: "w2-pause-fragmented",
};

/** The floors' child ids (floor.ts, floor-flat.ts): the same parts, hand-written exact work. */
export const W2_FLOOR_CHILD_IDS: Readonly<Record<W2Part, string>> = {
  garbage: "w2-floor-garbage",
  pause: "w2-floor-pause",
  fragmented: "w2-floor-pause-fragmented",
};

/** An unchecked engine with `Node` (one reference field, `other`) and automatic collection off. */
function nodeEngine(): { h: Engine; typeId: number } {
  const h = new Engine({ checked: false });
  const typeId = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] }).id;
  gc.disable(h);
  return { h, typeId };
}

/** `pairs` cycles a.other = b, b.other = a; ours dropped, so each pair keeps only itself alive. */
function makeCycles(h: Engine, typeId: number, pairs: number): void {
  for (let i = 0; i < pairs; i++) {
    const a = newInstance(h, typeId);
    const b = newInstance(h, typeId);
    setField(h, a, 0, b, true); // field 0: `other`
    setField(h, b, 0, a, true);
    decref(h, a);
    decref(h, b);
  }
}

function checkClean(h: Engine, baseline: number, what: string): void {
  const live = liveBlocks(h) - baseline;
  if (live !== 0) throw new Error(`W2 ${what}: ${live} blocks still allocated at the end`);
}

function garbageVariant(objects: number): W2Variant {
  if (objects % 2 !== 0) throw new Error(`W2 garbage: ${objects} objects do not make two-object cycles`);
  const { h, typeId } = nodeEngine();
  const baseline = liveBlocks(h);
  const round = (): CollectTime => {
    const t0 = cpuNs();
    makeCycles(h, typeId, objects / 2);
    const t1 = cpuNs();
    const returned = gc.collect(h);
    const t2 = cpuNs();
    return { makeNs: t1 - t0, collectNs: t2 - t1, returned };
  };
  return {
    warmUp: () => void round(),
    round,
    finish: () => checkClean(h, baseline, "garbage"),
    placed: null,
  };
}

/** One list of `objects` new instances, in allocation order (the in-order pause's heap). */
function inOrderList(h: Engine, typeId: number, objects: number): number {
  // Grows by appends, like CPython's list comprehension; the list takes each new reference.
  const list = newList(h);
  for (let i = 0; i < objects; i++) listAppendSteal(h, list, newInstance(h, typeId));
  return list;
}

/**
 * One list of `objects` instances allocated in a shuffled address order (W2b), built exactly as
 * bench/python/w2.py builds CPython's: first `objects` instances, which fresh pools hand out in
 * address order; then, for i = 0 … objects−1, free the one at position order[i] and at once make
 * a new instance and append it to the list. pymalloc's free lists are LIFO, and a full pool that
 * regains a block goes to the front of its size class's used pools, so each new instance takes
 * the block just freed: the i-th live object (on the list, and on the collector's generation
 * list) sits where the order[i]-th first instance was. Freeing all of them first would not do:
 * pools and arenas that empty are given back, and new instances would be carved in order again.
 * Returns the list and how many instances took the block meant for them.
 */
function fragmentedList(h: Engine, typeId: number, objects: number): { list: number; placed: number } {
  const order = shuffledOrder(objects);
  const first = new Int32Array(objects);
  for (let i = 0; i < objects; i++) first[i] = newInstance(h, typeId);
  const list = newList(h);
  let placed = 0;
  for (let i = 0; i < objects; i++) {
    const block = first[order[i]!]!;
    decref(h, block);
    const o = newInstance(h, typeId);
    if (o === block) placed++;
    listAppendSteal(h, list, o);
  }
  return { list, placed };
}

function pauseVariant(objects: number, fragmented: boolean): W2Variant {
  const { h, typeId } = nodeEngine();
  const baseline = liveBlocks(h);
  const { list, placed } = fragmented
    ? fragmentedList(h, typeId, objects)
    : { list: inOrderList(h, typeId, objects), placed: null };
  const collectFull = (): number => gc.collect(h, 2);
  return {
    warmUp: () => void collectFull(), // the first one moves everything to generation 2
    round() {
      const t0 = cpuNs();
      const returned = collectFull();
      const t1 = cpuNs();
      return { makeNs: 0, collectNs: t1 - t0, returned };
    },
    finish() {
      decref(h, list);
      checkClean(h, baseline, fragmented ? "fragmented pause" : "pause");
    },
    placed,
  };
}

/**
 * W2a's floor: the same cycles made (untimed, by floor.ts's helpers), then ONE full collection by
 * floorCollectGarbage, timed; after it, the heap must be back where it started.
 */
function floorGarbageVariant(objects: number): W2Variant {
  if (objects % 2 !== 0)
    throw new Error(`W2 floor garbage: ${objects} objects do not make two-object cycles`);
  const i32 = newFloorHeap(objects);
  const round = (): CollectTime => {
    floorMakeCycles(i32, objects / 2);
    const t0 = cpuNs();
    const returned = floorCollectGarbage(i32);
    const t1 = cpuNs();
    checkFloorEmpty(i32, "W2a");
    if (returned !== objects)
      throw new Error(`floor W2a: found ${returned} unreachable, expected ${objects}`);
    return { makeNs: 0, collectNs: t1 - t0, returned };
  };
  return { warmUp: () => void round(), round, finish: () => checkFloorEmpty(i32, "W2a"), placed: null };
}

/**
 * W2b's floor: the same heap as pauseVariant's (in allocation order by floorW1Build, or
 * fragmented with the same shuffle by floorFragmentedList), then full collections by
 * floorCollectPause; after each timed one, the links and counts must be restored.
 */
function floorPauseVariant(objects: number, fragmented: boolean): W2Variant {
  const i32 = newFloorHeap(objects);
  const { list, placed } = fragmented
    ? floorFragmentedList(i32, shuffledOrder(objects))
    : { list: floorW1Build(i32, objects), placed: null };
  const check = (): void => checkFloorPause(i32, list, objects);
  return {
    warmUp() {
      floorCollectPause(i32);
      check();
    },
    round() {
      const t0 = cpuNs();
      const returned = floorCollectPause(i32);
      const t1 = cpuNs();
      check();
      return { makeNs: 0, collectNs: t1 - t0, returned };
    },
    finish() {
      floorW1Drop(i32, list);
      checkFloorEmpty(i32, fragmented ? "W2b fragmented" : "W2b");
    },
    placed,
  };
}

/**
 * The same collector work on two types with two reference slots: a declared class (fields `a`
 * and `b`, kind ref) and a user kind (engine.defineKind, refs `a` and `b`). Parts "garbage"
 * (2-cycles whose objects refer to each other from both slots) and "pause" (a list of live
 * objects, each referring to the one before it from `a`).
 */
export const W2_PAIR_CHILD_IDS = {
  garbage: { class: "w2-garbage-class2", kind: "w2-garbage-kind2" },
  pause: { class: "w2-pause-class2", kind: "w2-pause-kind2" },
} as const;

function pairEngine(userKind: boolean): { h: Engine; typeId: number } {
  const h = new Engine({ checked: false });
  const typeId = userKind
    ? h.defineKind({ name: "Pair", refs: ["a", "b"] }).id
    : h.defineClass({
        name: "Pair",
        fields: [
          { name: "a", kind: "ref" },
          { name: "b", kind: "ref" },
        ],
      }).id;
  gc.disable(h);
  return { h, typeId };
}

function pairVariant(part: "garbage" | "pause", userKind: boolean, objects: number): W2Variant {
  const { h, typeId } = pairEngine(userKind);
  const baseline = liveBlocks(h);
  const what = `${part} (${userKind ? "user kind" : "class"}, two slots)`;
  if (part === "garbage") {
    if (objects % 2 !== 0) throw new Error(`W2 ${what}: ${objects} objects do not make two-object cycles`);
    const round = (): CollectTime => {
      const t0 = cpuNs();
      for (let i = 0; i < objects / 2; i++) {
        const a = newObject(h, typeId);
        const b = newObject(h, typeId);
        setField(h, a, 0, b, true);
        setField(h, a, 1, b, true);
        setField(h, b, 0, a, true);
        setField(h, b, 1, a, true);
        decref(h, a);
        decref(h, b);
      }
      const t1 = cpuNs();
      const returned = gc.collect(h);
      const t2 = cpuNs();
      return { makeNs: t1 - t0, collectNs: t2 - t1, returned };
    };
    return { warmUp: () => void round(), round, finish: () => checkClean(h, baseline, what), placed: null };
  }
  const list = newList(h);
  let prev = 0;
  for (let i = 0; i < objects; i++) {
    const o = newObject(h, typeId);
    if (prev !== 0) setField(h, o, 0, prev, true);
    listAppendSteal(h, list, o);
    prev = o;
  }
  const collectFull = (): number => gc.collect(h, 2);
  return {
    warmUp: () => void collectFull(),
    round() {
      const t0 = cpuNs();
      const returned = collectFull();
      const t1 = cpuNs();
      return { makeNs: 0, collectNs: t1 - t0, returned };
    },
    finish() {
      decref(h, list);
      checkClean(h, baseline, what);
    },
    placed: null,
  };
}

/** Builds the W2 variant with this child id, for `objects` objects. */
export function makeW2Variant(id: string, objects: number): W2Variant {
  for (const part of ["garbage", "pause"] as const) {
    if (id === W2_PAIR_CHILD_IDS[part].class) return pairVariant(part, false, objects);
    if (id === W2_PAIR_CHILD_IDS[part].kind) return pairVariant(part, true, objects);
  }
  if (id === W2_FLOOR_CHILD_IDS.garbage) return floorGarbageVariant(objects);
  if (id === W2_FLOOR_CHILD_IDS.pause) return floorPauseVariant(objects, false);
  if (id === W2_FLOOR_CHILD_IDS.fragmented) return floorPauseVariant(objects, true);
  if (id === W2_CHILD_IDS.garbage) return garbageVariant(objects);
  if (id === W2_CHILD_IDS.pause) return pauseVariant(objects, false);
  if (id === W2_CHILD_IDS.fragmented) return pauseVariant(objects, true);
  throw new Error(`unknown W2 variant ${JSON.stringify(id)}`);
}
