/**
 * W3: a weak-value cache, and an object with one callback weakref dying. bench/python/w3.py is
 * the CPython side (weakref.WeakValueDictionary, weakref.ref(o, cb)). Each variant below is built
 * on its own (makeW3Variant) so that src/bench/run-w3.ts can run it alone in a child process.
 *
 * Ops, each timed over `loops × 1,000` operations per round (ns per op = round time / ops):
 *
 * - hit:    get(k) for a key present with a live value (1,000 str keys, cycled)
 * - miss:   get(k) for an absent key (another 1,000 keys)
 * - set:    set(k, v) replacing the value under a present key (the values are kept alive
 *           elsewhere, so no entry dies during the run)
 * - death:  make an instance, give it one weakref with a callback, drop it; for refheap and
 *           CPython the callback runs at the drop, inside the timed region, and the weakref is
 *           freed too; for the JS cache it is "make, register with a FinalizationRegistry, drop",
 *           and its callback runs at some later V8 collection, outside the timed region
 * - create: the same without the weakref, so the weakref's own cost is visible
 *
 * Variants: refheap's WeakValueDictionary and weakref.ref through handles (unchecked heap, leak
 * detection off), refheap's engine API for the death/create ops, and the usual JavaScript
 * weak-value cache, a Map of WeakRefs whose dead entries a FinalizationRegistry removes.
 * Only the package's public entries are imported, so this measures what users get from dist/.
 */

import { decref, Engine, gc, newInstance, weakref } from "../core.js";
import { Heap } from "../index.js";
import { cpuNs } from "./clock.js";
import { FLOOR_COUNT0, floorBlocksInUse, floorTypeRefcnt } from "./floor.js";
import { floorW3Create, floorW3Death, newW3FloorHeap, W3_FLOOR_CB_REFCNT } from "./floor-w3.js";
import { liveBlocks } from "./w1.js";

/** Keys per pool; every timed loop cycles through one pool. */
export const W3_KEYS = 1000;

export type W3Op = "hit" | "miss" | "set" | "death" | "create";
export const W3_OPS: readonly W3Op[] = ["hit", "miss", "set", "death", "create"];

/** What a variant is, without building it: the parent process lays out the table with this. */
export interface W3Spec {
  /** Passed to a child process as `--child <id>`. */
  readonly id: string;
  readonly name: string;
  readonly runtime: "refheap" | "floor" | "JS";
  /** The ops it measures, in the order its child times them. */
  readonly ops: readonly W3Op[];
}

/** What a child learns about the JS cache's FinalizationRegistry (null for the other variants). */
export interface W3Finalization {
  /** Objects registered and dropped by the timed and warm-up death rounds. */
  readonly dropped: number;
  /** Callbacks that had run when each death loop ended (the drops themselves run none). */
  readonly atDrop: number;
  /** Callbacks that had run after a forced V8 collection and a few turns of the event loop. */
  readonly afterGc: number;
}

export interface W3Variant extends W3Spec {
  /** Times `loops × W3_KEYS` operations of `op`; returns the round's nanoseconds. */
  time(op: W3Op, loops: number): number;
  /** Untimed, between timed rounds (the JS cache lets its FinalizationRegistry catch up). */
  between(op: W3Op): Promise<void>;
  /** Checks the results and that nothing was leaked; throws otherwise. */
  finish(): Promise<W3Finalization | null>;
}

const elapsed = (t0: number): number => cpuNs() - t0;

const KEYS: readonly string[] = Array.from({ length: W3_KEYS }, (_, i) => `k${i}`);
const MISSING: readonly string[] = Array.from({ length: W3_KEYS }, (_, i) => `m${i}`);

function fail(variant: string, why: string): never {
  throw new Error(`W3 ${variant}: check failed: ${why}`);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// --- refheap through handles -----------------------------------------------------------------

const REFHEAP: W3Spec = {
  id: "w3-refheap",
  name: "refheap (handles, unchecked)",
  runtime: "refheap",
  ops: W3_OPS,
};

function refheapVariant(): W3Variant {
  const heap = new Heap({ leaks: "off" });
  heap.gc.disable(); // as timeit does on CPython's side
  const Img = heap.defineClass("Img", { fields: { n: "number" }, weakrefable: true });
  const baseline = liveBlocks(heap.engine);
  // Second values for "set", so every set replaces an entry with another live value.
  const values = Array.from({ length: W3_KEYS }, (_, n) => Img.new({ n }));
  const others = Array.from({ length: W3_KEYS }, (_, n) => Img.new({ n: W3_KEYS + n }));
  const d = heap.weakref.WeakValueDictionary();
  for (let i = 0; i < W3_KEYS; i++) d.set(KEYS[i]!, values[i]!);
  let calls = 0;
  const callback = (): void => {
    calls++;
  };
  const name = REFHEAP.name;

  function time(op: W3Op, loops: number): number {
    switch (op) {
      case "hit": {
        let missed = 0;
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          for (let i = 0; i < W3_KEYS; i++) {
            const v = d.get(KEYS[i]!);
            if (v == null) missed++;
            else v.dispose(); // get() returns a new handle
          }
        }
        const ns = elapsed(t0);
        if (missed !== 0) fail(name, `${missed} of ${loops * W3_KEYS} hits missed`);
        return ns;
      }
      case "miss": {
        let hit = 0;
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          for (let i = 0; i < W3_KEYS; i++) {
            if (d.get(MISSING[i]!) != null) hit++;
          }
        }
        const ns = elapsed(t0);
        if (hit !== 0) fail(name, `${hit} misses hit`);
        return ns;
      }
      case "set": {
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          const vs = (r & 1) === 0 ? others : values; // alternate, so each set replaces a value
          for (let i = 0; i < W3_KEYS; i++) d.set(KEYS[i]!, vs[i]!);
        }
        return elapsed(t0);
      }
      case "death": {
        const before = calls;
        const n = loops * W3_KEYS;
        const t0 = cpuNs();
        for (let i = 0; i < n; i++) {
          const o = Img.new();
          const wr = heap.weakref.ref(o, callback);
          o.dispose(); // the last reference: the callback runs here
          wr.dispose();
        }
        const ns = elapsed(t0);
        if (calls - before !== n) fail(name, `${calls - before} callbacks for ${n} objects dropped`);
        return ns;
      }
      case "create": {
        const n = loops * W3_KEYS;
        const t0 = cpuNs();
        for (let i = 0; i < n; i++) Img.new().dispose();
        return elapsed(t0);
      }
    }
  }

  return {
    ...REFHEAP,
    time,
    between: tick,
    async finish() {
      if (d.size !== W3_KEYS) fail(name, `${d.size} entries, expected ${W3_KEYS}`);
      for (let i = 0; i < W3_KEYS; i++) {
        const v = d.get(KEYS[i]!);
        if (v == null || !(v.is(values[i]!) || v.is(others[i]!))) fail(name, `get(${KEYS[i]}) is wrong`);
        v.dispose();
        if (d.get(MISSING[i]!) != null) fail(name, `get(${MISSING[i]}) hit`);
      }
      // The callback runs at the drop itself, not later.
      const o = Img.new();
      const wr = heap.weakref.ref(o, callback);
      const before = calls;
      o.dispose();
      if (calls !== before + 1 || wr.deref() !== null) fail(name, "the callback did not run at the drop");
      wr.dispose();
      // An entry goes when its value dies: size drops at once.
      const v0 = Img.new();
      d.set(KEYS[0]!, v0);
      v0.dispose();
      if (d.size !== W3_KEYS - 1 || d.get(KEYS[0]!) != null)
        fail(name, "a dead value's entry is still there");
      d.dispose();
      for (const v of [...values, ...others]) v.dispose();
      const live = liveBlocks(heap.engine) - baseline;
      if (live !== 0) fail(name, `${live} blocks still allocated at the end`);
      return null;
    },
  };
}

// --- refheap's engine API (death and create only: the cache is a handle-API class) -----------

const REFHEAP_CORE: W3Spec = {
  id: "w3-refheap-core",
  name: "refheap (engine API, unchecked)",
  runtime: "refheap",
  ops: ["death", "create"],
};

function refheapCoreVariant(): W3Variant {
  const h = new Engine({ checked: false });
  gc.disable(h);
  const typeId = h.defineClass({
    name: "Img",
    fields: [{ name: "n", kind: "number" }],
    weakrefable: true,
  }).id;
  const baseline = liveBlocks(h);
  let calls = 0;
  const callback = (): void => {
    calls++;
  };
  const name = REFHEAP_CORE.name;
  return {
    ...REFHEAP_CORE,
    time(op, loops) {
      const n = loops * W3_KEYS;
      if (op === "create") {
        const t0 = cpuNs();
        for (let i = 0; i < n; i++) decref(h, newInstance(h, typeId));
        return elapsed(t0);
      }
      if (op !== "death") throw new Error(`${name} does not measure ${op}`);
      const before = calls;
      const t0 = cpuNs();
      for (let i = 0; i < n; i++) {
        const o = newInstance(h, typeId);
        const wr = weakref.newRef(h, o, callback);
        decref(h, o); // the callback runs here
        decref(h, wr);
      }
      const ns = elapsed(t0);
      if (calls - before !== n) fail(name, `${calls - before} callbacks for ${n} objects dropped`);
      return ns;
    },
    between: tick,
    async finish() {
      const live = liveBlocks(h) - baseline;
      if (live !== 0) fail(name, `${live} blocks still allocated at the end`);
      return null;
    },
  };
}

// --- the floor ------------------------------------------------------------------------------

const FLOOR_W3: W3Spec = {
  id: "w3-floor",
  name: "floor: hand-written exact work (this machine)",
  runtime: "floor",
  ops: ["death", "create"],
};

/**
 * W3's floor (src/bench/floor-w3.ts): the engine-API rows' work, CPython's steps and nothing else,
 * flat over a heap laid out as refheap's. Not refheap.
 */
function floorVariant(): W3Variant {
  const i32 = newW3FloorHeap();
  let calls = 0;
  const callbacks = [
    () => {},
    (_wr: number): void => {
      calls++;
    },
  ];
  const state = (): string =>
    JSON.stringify([floorBlocksInUse(i32), floorTypeRefcnt(i32), i32[W3_FLOOR_CB_REFCNT], i32[FLOOR_COUNT0]]);
  const baseline = state();
  const name = FLOOR_W3.name;
  return {
    ...FLOOR_W3,
    time(op, loops) {
      const n = loops * W3_KEYS;
      if (op === "create") {
        const t0 = cpuNs();
        floorW3Create(i32, n);
        return elapsed(t0);
      }
      if (op !== "death") throw new Error(`${name} does not measure ${op}`);
      const before = calls;
      const t0 = cpuNs();
      floorW3Death(i32, n, callbacks);
      const ns = elapsed(t0);
      if (calls - before !== n) fail(name, `${calls - before} callbacks for ${n} objects dropped`);
      return ns;
    },
    between: tick,
    async finish() {
      const now = state();
      if (now !== baseline) fail(name, `the heap is not as it started: ${now} against ${baseline}`);
      return null;
    },
  };
}

// --- JavaScript: Map<string, WeakRef> + FinalizationRegistry ---------------------------------

/**
 * The usual weak-value cache on npm: a Map of WeakRefs, and a FinalizationRegistry that deletes
 * an entry some time after its value was collected (if the entry was not replaced meanwhile).
 * A replaced value's registration is withdrawn (unregister, with the WeakRef as token), as
 * CPython's dict drops the old KeyedRef; otherwise registrations pile up while values live.
 */
export class WeakValueCache<V extends object> {
  readonly #map = new Map<string, WeakRef<V>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    const ref = this.#map.get(key);
    if (ref !== undefined && ref.deref() === undefined) this.#map.delete(key);
  });

  get(key: string): V | undefined {
    return this.#map.get(key)?.deref();
  }

  set(key: string, value: V): void {
    const old = this.#map.get(key);
    if (old !== undefined) this.#registry.unregister(old);
    const ref = new WeakRef(value);
    this.#map.set(key, ref);
    this.#registry.register(value, key, ref);
  }

  /** Entries whose value may be dead already: the cache learns of a death only later. */
  get size(): number {
    return this.#map.size;
  }
}

class JsImg {
  readonly n: number;
  constructor(n = 0) {
    this.n = n;
  }
}

/** Written by the "create" loop so the allocation is not optimised away. */
export let w3Sink: JsImg | null = null;

const JS_CACHE: W3Spec = {
  id: "w3-js",
  name: "JS Map+WeakRef+FinalizationRegistry",
  runtime: "JS",
  ops: W3_OPS,
};

function jsVariant(): W3Variant {
  const values = Array.from({ length: W3_KEYS }, (_, n) => new JsImg(n));
  const others = Array.from({ length: W3_KEYS }, (_, n) => new JsImg(W3_KEYS + n));
  const d = new WeakValueCache<JsImg>();
  for (let i = 0; i < W3_KEYS; i++) d.set(KEYS[i]!, values[i]!);
  let calls = 0;
  const registry = new FinalizationRegistry<number>(() => {
    calls++;
  });
  let dropped = 0;
  let atDrop = 0;
  const name = JS_CACHE.name;

  function time(op: W3Op, loops: number): number {
    switch (op) {
      case "hit": {
        let missed = 0;
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          for (let i = 0; i < W3_KEYS; i++) if (d.get(KEYS[i]!) === undefined) missed++;
        }
        const ns = elapsed(t0);
        if (missed !== 0) fail(name, `${missed} of ${loops * W3_KEYS} hits missed`);
        return ns;
      }
      case "miss": {
        let hit = 0;
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          for (let i = 0; i < W3_KEYS; i++) if (d.get(MISSING[i]!) !== undefined) hit++;
        }
        const ns = elapsed(t0);
        if (hit !== 0) fail(name, `${hit} misses hit`);
        return ns;
      }
      case "set": {
        const t0 = cpuNs();
        for (let r = 0; r < loops; r++) {
          const vs = (r & 1) === 0 ? others : values;
          for (let i = 0; i < W3_KEYS; i++) d.set(KEYS[i]!, vs[i]!);
        }
        return elapsed(t0);
      }
      case "death": {
        const n = loops * W3_KEYS;
        const before = calls;
        const t0 = cpuNs();
        for (let i = 0; i < n; i++) registry.register(new JsImg(), i);
        const ns = elapsed(t0);
        // Callbacks are tasks V8 posts after a collection found the objects dead: none can have
        // run during this synchronous loop, whatever the collector did meanwhile.
        dropped += n;
        atDrop += calls - before;
        return ns;
      }
      case "create": {
        const n = loops * W3_KEYS;
        const t0 = cpuNs();
        for (let i = 0; i < n; i++) w3Sink = new JsImg();
        return elapsed(t0);
      }
    }
  }

  return {
    ...JS_CACHE,
    time,
    async between(op) {
      // After a death round, let the registry catch up (untimed), so its cleanup is not charged
      // to the next op's round.
      if (op === "death") globalThis.gc?.();
      await tick();
    },
    async finish() {
      if (d.size !== W3_KEYS) fail(name, `${d.size} entries, expected ${W3_KEYS}`);
      for (let i = 0; i < W3_KEYS; i++) {
        const v = d.get(KEYS[i]!);
        if (v !== values[i] && v !== others[i]) fail(name, `get(${KEYS[i]}) is wrong`);
        if (d.get(MISSING[i]!) !== undefined) fail(name, `get(${MISSING[i]}) hit`);
      }
      if (atDrop !== 0) fail(name, `${atDrop} finalization callbacks ran during the synchronous loops`);
      // How many of the dropped objects' callbacks have run after a forced V8 collection and a
      // few turns of the event loop (without --expose-gc, only what V8 collected on its own).
      for (let i = 0; i < 5; i++) {
        globalThis.gc?.();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      w3Sink = null;
      return { dropped, atDrop, afterGc: calls };
    },
  };
}

// --- registry --------------------------------------------------------------------------------

/** Every JavaScript variant, in table order. Describing one builds nothing. */
export const w3Specs: readonly W3Spec[] = [REFHEAP, REFHEAP_CORE, FLOOR_W3, JS_CACHE];

/** Builds the variant with this id, and nothing else. */
export function makeW3Variant(id: string): W3Variant {
  if (id === REFHEAP.id) return refheapVariant();
  if (id === REFHEAP_CORE.id) return refheapCoreVariant();
  if (id === FLOOR_W3.id) return floorVariant();
  if (id === JS_CACHE.id) return jsVariant();
  throw new Error(`unknown W3 variant ${JSON.stringify(id)} (known: ${w3Specs.map((s) => s.id).join(", ")})`);
}
