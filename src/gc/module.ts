/**
 * The `gc` module over raw addresses (Modules/gcmodule.c), for the engine API; the friendly
 * API wraps these in `heap.gc`. Names are CPython's in camelCase (docs/gc.md has the table).
 * Arguments are validated as CPython validates them, with CPython's messages (and, as there,
 * set_threshold keeps the values parsed before a bad one).
 */
import { read32 } from "../memory/index.js";
import {
  callHookOf,
  GEN0_HEAD,
  GEN2_HEAD,
  isFinalized as headerIsFinalized,
  isTracked as headerIsTracked,
  newList,
  PERMANENT_HEAD,
  traverse,
  traverseValues,
  typeIdOf,
  typeInfo,
} from "../object/index.js";
import { decref, incref, listAppend } from "../refcount/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import { collectWithCallbacks, generationHead, NUM_GENERATIONS, setCollecting } from "./collect.js";
import { type GcCallback, type GcGenerationStats, type GcState, INT32_MAX } from "./heap.js";
import { gcListAddresses, gcListMerge, gcListSize } from "./lists.js";

/** Python's name for the type of a JS value passed where an int was expected. */
function pyTypeName(value: unknown): string {
  if (typeof value === "string") return "str";
  if (typeof value === "number") return "float";
  if (value === null || value === undefined) return "NoneType";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

/** Accepts what CPython's C-int converters accept: an integer (or a boolean) in the C int range. */
function toCInt(value: unknown): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new HeapTypeError(`'${pyTypeName(value)}' object cannot be interpreted as an integer`);
  }
  if (value > INT32_MAX || value < -INT32_MAX - 1) {
    throw new HeapValueError("Python int too large to convert to C int");
  }
  return value;
}

/**
 * gc.collect(generation=2): collects `generation` and the younger ones; returns the number of
 * unreachable objects found (collected + uncollectable). Returns 0 without collecting when a
 * collection is already running (called from a finalizer or a callback).
 */
export function collect(h: GcState, generation: unknown = 2): number {
  const g = toCInt(generation);
  if (g < 0 || g >= NUM_GENERATIONS) throw new HeapValueError("invalid generation");
  if (h.gcCollecting) return 0;
  setCollecting(h, true);
  try {
    return collectWithCallbacks(h, g);
  } finally {
    setCollecting(h, false);
  }
}

/** gc.enable(): turns automatic collection on. */
export function enable(h: GcState): void {
  h.gcEnabled = true;
  h.refreshAutoTrigger();
}
/** gc.disable(): turns automatic collection off (collect() still works). */
export function disable(h: GcState): void {
  h.gcEnabled = false;
  h.refreshAutoTrigger();
}
/** gc.isenabled(): whether automatic collection is on. */
export function isEnabled(h: GcState): boolean {
  return h.gcEnabled;
}

/** gc.get_count(): (count[0], count[1], count[2]). */
export function getCount(h: GcState): [number, number, number] {
  return [h.gcCount0, h.gcCount1, h.gcCount2];
}
/** gc.get_threshold(): (threshold0, threshold1, threshold2). */
export function getThreshold(h: GcState): [number, number, number] {
  return [h.gcThreshold[0]!, h.gcThreshold[1]!, h.gcThreshold[2]!];
}

/** gc.set_threshold(threshold0[, threshold1[, threshold2]]): any integers, 0 and negatives too. */
export function setThreshold(h: GcState, ...thresholds: unknown[]): void {
  if (thresholds.length === 0) {
    throw new HeapTypeError("set_threshold() takes at least 1 argument (0 given)");
  }
  if (thresholds.length > 3) {
    throw new HeapTypeError(`set_threshold() takes at most 3 arguments (${thresholds.length} given)`);
  }
  // CPython parses straight into the thresholds: values before a bad argument are kept.
  try {
    thresholds.forEach((t, i) => {
      h.gcThreshold[i] = toCInt(t);
    });
  } finally {
    h.refreshAutoTrigger();
  }
}

/** gc.get_debug(): the debug flags (see GcDebug). */
export function getDebug(h: GcState): number {
  return h.gcDebug;
}
/** gc.set_debug(flags): any integer is stored as given (see GcDebug for the flags). */
export function setDebug(h: GcState, flags: unknown): void {
  h.gcDebug = toCInt(flags);
}

/** gc.get_stats(): a snapshot of each generation's cumulative statistics. */
export function getStats(h: GcState): GcGenerationStats[] {
  return h.gcStats.map((s) => ({ ...s }));
}

/** Validates get_objects' generation argument; null means all generations (-1 too, as in CPython). */
function objectsGeneration(generation: unknown): number {
  if (generation === null || generation === undefined) return -1;
  if (typeof generation === "boolean") return generation ? 1 : 0;
  if (typeof generation !== "number" || !Number.isInteger(generation)) {
    throw new HeapTypeError(`argument should be integer or None, not '${pyTypeName(generation)}'`);
  }
  if (generation >= NUM_GENERATIONS) {
    throw new HeapValueError(
      `generation parameter must be less than the number of available generations (${NUM_GENERATIONS})`,
    );
  }
  if (generation < -1) throw new HeapValueError("generation parameter cannot be negative");
  return generation;
}

/**
 * gc.get_objects(generation=None): a new list (a new reference) of the tracked objects in the
 * given generation, or in generations 0, 1, 2 in that order; never the permanent generation,
 * never the result list itself.
 */
export function getObjects(h: GcState, generation: unknown = null): number {
  const g = objectsGeneration(generation);
  const result = newList(h);
  const first = g === -1 ? 0 : g;
  const last = g === -1 ? NUM_GENERATIONS - 1 : g;
  return filled(h, result, () => {
    for (let i = first; i <= last; i++) {
      const head = generationHead(i);
      for (let x = read32(h, head); x !== head; x = read32(h, x)) {
        if (x + 8 !== result) listAppend(h, result, x + 8, true);
      }
    }
  });
}

/**
 * The addresses of generation `generation`'s objects (0–2, or 3 for the permanent generation) in
 * list order: what gc.get_objects(generation) lists, as a JS array, with no heap list made and no
 * count changed (for tools that look at the heap, such as the playground's recorder).
 */
export function generationAddresses(h: GcState, generation: number): number[] {
  if (!(Number.isInteger(generation) && generation >= 0 && generation <= NUM_GENERATIONS)) {
    throw new HeapValueError(
      `generationAddresses: generation must be 0, 1, 2 or 3 (the permanent one), not ${generation}`,
    );
  }
  return gcListAddresses(h, generationHead(generation));
}

/**
 * Runs `fill` on the new list `result` and returns it; if it fails (the heap ran out of memory),
 * the half-built list is released, with the references it took, before the error goes on.
 */
function filled(h: GcState, result: number, fill: () => void): number {
  try {
    fill();
  } catch (e) {
    decref(h, result);
    throw e;
  }
  return result;
}

/**
 * gc.get_referrers(*objs): a new list of the tracked objects (generations 0–2) that reference
 * any of `objs`, in generation and list order.
 */
export function getReferrers(h: GcState, objs: readonly number[]): number {
  const targets = new Set(objs);
  const result = newList(h);
  return filled(h, result, () => {
    for (let head = GEN0_HEAD; head <= GEN2_HEAD; head += 16) {
      for (let x = read32(h, head); x !== head; x = read32(h, x)) {
        const o = x + 8;
        if (o === result) continue;
        const n = traverse(h, o);
        for (let i = 0; i < n; i++) {
          if (targets.has(h.edges[i]!)) {
            listAppend(h, result, o, true);
            break;
          }
        }
      }
    }
  });
}

/**
 * gc.get_referents(*objs): a new list of what each container argument's traverse visits, in
 * CPython's order (numbers included); arguments that are not containers contribute nothing.
 */
export function getReferents(h: GcState, objs: readonly number[]): number {
  const result = newList(h);
  return filled(h, result, () => {
    for (const o of objs) {
      if (h.typeIsGc[typeIdOf(h, o)] === 0) continue;
      const n = traverseValues(h, o);
      // Copy first: appending can run a collection (which reuses the edge buffer).
      const refs = h.edges.slice(0, n);
      const numbers = h.edgeNumbers.slice(0, n);
      for (let i = 0; i < n; i++) {
        if (refs[i] !== 0) listAppend(h, result, refs[i]!, true);
        else listAppend(h, result, numbers[i]!, false);
      }
    }
  });
}

/** gc.is_tracked(obj): false for objects that are not containers. */
export function isTracked(h: GcState, o: number): boolean {
  return h.typeIsGc[typeIdOf(h, o)] === 1 && headerIsTracked(h, o);
}
/** gc.is_finalized(obj): whether the collector or a deallocation already ran its finalizer. */
export function isFinalized(h: GcState, o: number): boolean {
  return h.typeIsGc[typeIdOf(h, o)] === 1 && headerIsFinalized(h, o);
}

/** gc.freeze(): moves every tracked object to the permanent generation; counts become 0. */
export function freeze(h: GcState): void {
  for (let g = 0; g < NUM_GENERATIONS; g++) gcListMerge(h, generationHead(g), PERMANENT_HEAD);
  h.gcCount0 = 0;
  h.gcCount1 = 0;
  h.gcCount2 = 0;
}
/** gc.unfreeze(): moves the permanent generation back to the oldest one. */
export function unfreeze(h: GcState): void {
  gcListMerge(h, PERMANENT_HEAD, generationHead(NUM_GENERATIONS - 1));
}
/** gc.get_freeze_count(): how many objects the permanent generation holds. */
export function getFreezeCount(h: GcState): number {
  return gcListSize(h, PERMANENT_HEAD);
}

/** A gc.callbacks entry that calls a heap object; it owns one reference to it. */
interface HeapCallback extends GcCallback {
  readonly heapObject: number;
}

/**
 * `gc.callbacks.append(cb)` for a heap callable `cb` (an object whose class or kind has a `call`
 * hook): the entry holds a reference to it, as CPython's callbacks list does, and calls it with
 * `(phase, info)` in its turn among the JS entries. Remove it with removeHeapCallback.
 */
export function addHeapCallback(h: GcState, cb: number): void {
  const call = callHookOf(h, cb); // TypeError now for what cannot be called
  const entry = ((phase, info) => call(cb, phase, info)) as HeapCallback;
  Object.defineProperty(entry, "heapObject", { value: cb });
  Object.defineProperty(entry, "name", { value: `${typeInfo(h, typeIdOf(h, cb)).name} object` });
  incref(h, cb);
  h.gcCallbacks.push(entry);
}

/**
 * `gc.callbacks.remove(cb)` for a heap callable added with addHeapCallback: removes its first
 * entry and releases the entry's reference. Returns false when there is none (CPython's
 * ValueError: list.remove(x): x not in list).
 */
export function removeHeapCallback(h: GcState, cb: number): boolean {
  const i = h.gcCallbacks.findIndex((e) => (e as Partial<HeapCallback>).heapObject === cb);
  if (i < 0) return false;
  h.gcCallbacks.splice(i, 1);
  decref(h, cb);
  return true;
}
