/**
 * The cycle collector: CPython 3.11's gc_collect_main and its scheduling, step by step
 * (Modules/gcmodule.c; docs/gc.md walks through it with diagrams). `collectMain` below is
 * the table of contents; each step is a small function in deduce.ts or destroy.ts.
 */
import { read32 } from "../memory/index.js";
import {
  clearFreelists,
  FREELIST_DICT,
  GEN0_HEAD,
  gcLinkPooled,
  gcUnlinkPooled,
  PERMANENT_HEAD,
  SCRATCH_HEADS,
  typeIdOf,
  typeInfo,
} from "../object/index.js";
import type { GcPhase } from "../trace/index.js";
import { assert, hex } from "../util/index.js";
import { moveUnreachable, subtractRefs, traceRefs, updateRefs, updateSubtractRefs } from "./deduce.js";
import {
  deleteGarbage,
  finalizeGarbage,
  handleLegacyFinalizers,
  handleResurrectedObjects,
  moveLegacyFinalizerReachable,
  moveLegacyFinalizers,
} from "./destroy.js";
import { MAY_FINALIZE, MAY_HAVE_WEAKREFS } from "./flags.js";
import { type GcCallbackInfo, GcDebug, type GcState } from "./heap.js";
import { gcListAddresses, gcListInit, gcListMerge, gcListSize } from "./lists.js";
import { untrackDicts } from "./untrack.js";
import { callWeakrefCallbacks, clearWeakrefsToGarbage } from "./weakrefs.js";

export const NUM_GENERATIONS = 3;

/** The list head of generation `g` (0..2). */
export function generationHead(g: number): number {
  return GEN0_HEAD + 16 * g;
}

// The collector's temporary lists (static heads; collections never nest).
const UNREACHABLE = SCRATCH_HEADS;
const FINALIZERS = SCRATCH_HEADS + 16;
const SEEN = SCRATCH_HEADS + 32;
const FINAL_UNREACHABLE = SCRATCH_HEADS + 48;
const WEAKREF_CALLBACKS = SCRATCH_HEADS + 64;

/** What one collection found, as CPython counts it: gc_collect_main's m (collected), n (uncollectable). */
export interface CollectResult {
  readonly collected: number;
  readonly uncollectable: number;
}

/** Collects generation `generation` and everything younger (gc_collect_main). */
export function collectMain(h: GcState, generation: number): CollectResult {
  const start = debugStart(h, generation);
  updateCounts(h, generation);

  const young = generationHead(generation);
  const old = generation < NUM_GENERATIONS - 1 ? generationHead(generation + 1) : young;
  phaseStart(h, "merge");
  mergeYounger(h, generation);
  phaseEnd(h, "merge", young);

  // deduce_unreachable: what is reachable from outside `young` stays; the rest moves to UNREACHABLE.
  if (
    generation === NUM_GENERATIONS - 1 &&
    h.trace === null &&
    read32(h, PERMANENT_HEAD) === PERMANENT_HEAD
  ) {
    // Every tracked object is in the set: the two passes fuse into one walk (deduce.ts).
    updateSubtractRefs(h, young);
  } else {
    phaseStart(h, "update-refs");
    updateRefs(h, young);
    phaseEnd(h, "update-refs", young);
    phaseStart(h, "subtract-refs");
    subtractRefs(h, young);
    phaseEnd(h, "subtract-refs", young);
  }
  if (h.traceGcRefs) traceRefs(h, young);
  gcListInit(h, UNREACHABLE);
  phaseStart(h, "move-unreachable");
  const survivors = moveUnreachable(h, young, UNREACHABLE, true);
  phaseEnd(h, "move-unreachable", UNREACHABLE);
  const unreachable = h.gcUnreachable;
  phaseStart(h, "survivors");
  promoteSurvivors(h, generation, young, old, survivors);
  phaseEnd(h, "survivors", old);

  // Legacy finalizers (tp_del) and what they reach are uncollectable.
  gcListInit(h, FINALIZERS);
  phaseStart(h, "legacy-finalizers");
  const garbageHas = moveLegacyFinalizers(h, UNREACHABLE, FINALIZERS);
  moveLegacyFinalizerReachable(h, FINALIZERS);
  phaseEnd(h, "legacy-finalizers", FINALIZERS);
  if ((h.gcDebug & GcDebug.COLLECTABLE) !== 0) debugObjects(h, "collectable", UNREACHABLE);

  let collected = 0;
  let userCodeRan = false;
  gcListInit(h, WEAKREF_CALLBACKS);
  phaseStart(h, "weakrefs");
  if (
    (garbageHas & MAY_HAVE_WEAKREFS) !== 0 &&
    clearWeakrefsToGarbage(h, UNREACHABLE, WEAKREF_CALLBACKS) !== 0
  ) {
    userCodeRan = true;
    collected += callWeakrefCallbacks(h, WEAKREF_CALLBACKS, old);
  }
  phaseEnd(h, "weakrefs", UNREACHABLE);
  gcListInit(h, FINAL_UNREACHABLE);
  phaseStart(h, "finalize");
  if ((garbageHas & MAY_FINALIZE) !== 0 && finalizeGarbage(h, UNREACHABLE, SEEN)) userCodeRan = true;
  phaseEnd(h, "finalize", UNREACHABLE);
  phaseStart(h, "resurrection");
  // Only user code (finalizers, weakref callbacks) can resurrect anything: when none ran, the
  // check would find the refcounts unchanged and every object still unreachable.
  if (userCodeRan) handleResurrectedObjects(h, UNREACHABLE, FINAL_UNREACHABLE, old);
  else gcListMerge(h, UNREACHABLE, FINAL_UNREACHABLE);
  phaseEnd(h, "resurrection", FINAL_UNREACHABLE);

  collected += userCodeRan ? gcListSize(h, FINAL_UNREACHABLE) : finalUnreachable(h, unreachable);
  phaseStart(h, "delete");
  deleteGarbage(h, FINAL_UNREACHABLE, old);
  phaseEnd(h, "delete", FINAL_UNREACHABLE);

  const uncollectable = gcListSize(h, FINALIZERS);
  if ((h.gcDebug & GcDebug.UNCOLLECTABLE) !== 0) debugObjects(h, "uncollectable", FINALIZERS);
  debugDone(h, start, collected, uncollectable);
  handleLegacyFinalizers(h, FINALIZERS, old);
  if (generation === NUM_GENERATIONS - 1) clearFreelists(h);

  const stats = h.gcStats[generation]!;
  stats.collections++;
  stats.collected += collected;
  stats.uncollectable += uncollectable;
  if (h.trace !== null) h.trace({ kind: "gc-end", generation, collected, uncollectable });
  return { collected, uncollectable };
}

/**
 * The size of FINAL_UNREACHABLE when no user code ran since move_unreachable: what that scan left
 * unreachable, less what went to FINALIZERS (a walk of the list, as gc_list_size, on checked heaps).
 */
function finalUnreachable(h: GcState, unreachable: number): number {
  const n = unreachable - gcListSize(h, FINALIZERS);
  if (h.checked) assert(n === gcListSize(h, FINAL_UNREACHABLE), "the unreachable count is off");
  return n;
}

/** count[g+1] += 1 (g < 2); count[0..g] = 0 (as gc_collect_main starts). */
function updateCounts(h: GcState, generation: number): void {
  if (generation === 0) h.gcCount1++;
  else if (generation === 1) h.gcCount2++;
  h.gcCount0 = 0;
  if (generation >= 1) h.gcCount1 = 0;
  if (generation >= 2) h.gcCount2 = 0;
}

/** Splices generations 0..g-1, in that order, onto the tail of generation g (as gc_collect_main). */
function mergeYounger(h: GcState, generation: number): void {
  for (let i = 0; i < generation; i++) gcListMerge(h, generationHead(i), generationHead(generation));
}

/**
 * Survivors (gc_collect_main after deduce_unreachable): tuples were untracked during the scan
 * (see moveUnreachable); now they are
 * promoted to `old` (counting toward long_lived_pending after a generation-1 collection), or,
 * after a full collection, dicts are untracked and long_lived_total reset. `survivors` is the
 * number the scan left in `young`.
 */
function promoteSurvivors(
  h: GcState,
  generation: number,
  young: number,
  old: number,
  survivors: number,
): void {
  if (young !== old) {
    if (generation === NUM_GENERATIONS - 2) h.longLivedPending += survivors;
    gcListMerge(h, young, old);
  } else {
    let total = survivors;
    if (h.gcDictSurvivors > 0) total -= untrackDicts(h, young);
    h.longLivedPending = 0;
    h.longLivedTotal = total;
  }
}

/**
 * A step's start and end, reported to the trace sink if there is one; the end event carries the
 * size of the list at `head` (the set the step produced) and, when the heap's traceGcRefs is on,
 * its objects in list order. A pair of calls around the step rather than one taking the step as a
 * closure: closures made per collection cost an empty collection about a third of its time.
 */
function phaseStart(h: GcState, name: GcPhase): void {
  const sink = h.trace;
  if (sink !== null) sink({ kind: "gc-phase-start", phase: name });
}

function phaseEnd(h: GcState, name: GcPhase, head: number): void {
  const sink = h.trace;
  if (sink === null) return;
  if (h.traceGcRefs) {
    const members = gcListAddresses(h, head);
    sink({ kind: "gc-phase-end", phase: name, objects: members.length, members });
  } else {
    sink({ kind: "gc-phase-end", phase: name, objects: gcListSize(h, head) });
  }
}

// --- the debug flags' output (gc.set_debug; gc_collect_main prints it) ---

function debugStart(h: GcState, generation: number): number {
  if (h.trace !== null) h.trace({ kind: "gc-start", generation, automatic: h.gcInAutomatic });
  if ((h.gcDebug & GcDebug.STATS) === 0) return 0;
  const sizes = [0, 1, 2].map((g) => ` ${gcListSize(h, generationHead(g))}`).join("");
  h.gcWrite(
    `gc: collecting generation ${generation}...\n` +
      `gc: objects in each generation:${sizes}\n` +
      `gc: objects in permanent generation: ${gcListSize(h, generationHead(3))}\n`,
  );
  return performance.now();
}

function debugDone(h: GcState, start: number, collected: number, uncollectable: number): void {
  if ((h.gcDebug & GcDebug.STATS) === 0) return;
  const seconds = (performance.now() - start) / 1000;
  h.gcWrite(
    `gc: done, ${collected + uncollectable} unreachable, ${uncollectable} uncollectable, ${seconds.toFixed(4)}s elapsed\n`,
  );
}

function debugObjects(h: GcState, what: string, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    const o = g + 8;
    h.gcWrite(`gc: ${what} <${typeInfo(h, typeIdOf(h, o)).name} ${hex(o)}>\n`);
  }
}

// --- entry points (gc_collect_with_callback, invoke_gc_callback, gc_collect_generations) ---

/**
 * Calls every gc.callbacks entry with one shared info object; errors go to the unraisable hook.
 * CPython builds that info as a dict, from the dict freelist or a new (counted) allocation, and
 * frees it after the last callback: generation 0's count sees it, so it is counted here too (a
 * full collection empties the freelist, so its "stop" dict is a new one: count 1 afterwards).
 */
function invokeCallbacks(h: GcState, phaseName: "start" | "stop", info: GcCallbackInfo): void {
  gcLinkPooled(h, FREELIST_DICT);
  const callbacks = h.gcCallbacks;
  // Index loop over the live array, as CPython's: a callback may add or remove callbacks.
  const call = h.gcCallbackCall;
  for (let i = 0; i < callbacks.length; i++) {
    const cb = callbacks[i]!;
    try {
      if (call === null) cb(phaseName, info);
      else call(cb, phaseName, info);
    } catch (error) {
      h.unraisableHook(error, `<gc callback ${cb.name === "" ? "<anonymous>" : cb.name}>`);
    }
  }
  gcUnlinkPooled(h, FREELIST_DICT);
}

/** A collection wrapped in the "start"/"stop" callbacks (gc_collect_with_callback); returns n + m. */
export function collectWithCallbacks(h: GcState, generation: number): number {
  if (h.gcCallbacks.length !== 0) {
    invokeCallbacks(h, "start", { generation, collected: 0, uncollectable: 0 });
  }
  const r = collectMain(h, generation);
  if (h.gcCallbacks.length !== 0) {
    invokeCallbacks(h, "stop", { generation, collected: r.collected, uncollectable: r.uncollectable });
  }
  return r.collected + r.uncollectable;
}

/** Sets the re-entrancy guard, which also switches automatic collection off while it is set. */
export function setCollecting(h: GcState, collecting: boolean): void {
  h.gcCollecting = collecting;
  h.refreshAutoTrigger();
}

/**
 * gc_collect_generations: collects the oldest generation whose count exceeds its threshold,
 * except that a full collection waits until the objects promoted since the last one reach a
 * quarter of the long-lived total (bpo-4074).
 */
export function collectGenerations(h: GcState): number {
  const counts = [h.gcCount0, h.gcCount1, h.gcCount2];
  for (let i = NUM_GENERATIONS - 1; i >= 0; i--) {
    if (counts[i]! > h.gcThreshold[i]!) {
      if (i === NUM_GENERATIONS - 1 && h.longLivedPending < Math.trunc(h.longLivedTotal / 4)) continue;
      return collectWithCallbacks(h, i);
    }
  }
  return 0;
}

/** The automatic collection, run from inside the allocation that pushed count[0] over threshold[0]. */
export function collectAutomatic(h: GcState): void {
  setCollecting(h, true);
  h.gcInAutomatic = true;
  try {
    collectGenerations(h);
  } finally {
    h.gcInAutomatic = false;
    setCollecting(h, false);
  }
}
