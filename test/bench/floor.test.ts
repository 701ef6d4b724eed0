/**
 * The floors (src/bench/floor.ts, floor-flat.ts): the flat timed functions leave the heap exactly
 * as the named helpers do, the heap is laid out as refheap's, and every floor checks its result.
 */
import { describe, expect, it } from "vitest";
import {
  checkFloorEmpty,
  checkFloorPause,
  decrefNode,
  FLOOR_GEN0,
  FLOOR_GEN2,
  FLOOR_NODE_ID,
  FLOOR_TYPE,
  floorBlocksInUse,
  floorFragmentedList,
  floorListObjects,
  floorMakeCycles,
  floorTypeRefcnt,
  freeBlock,
  listAppendSteal,
  listCapacityAfter,
  newFloorHeap,
  newFloorList,
  newNode,
  setNodeField,
} from "../../src/bench/floor.js";
import {
  floorCollectGarbage,
  floorCollectPause,
  floorW1Build,
  floorW1Drop,
} from "../../src/bench/floor-flat.js";
import { floorCollectGenerations, floorGcState } from "../../src/bench/floor-gc.js";
import { shuffledOrder } from "../../src/bench/shuffle.js";
import { FLOOR_GC_NAME, FLOOR_NAME, makeVariant, w1Specs } from "../../src/bench/w1.js";
import { makeW2Variant, W2_FLOOR_CHILD_IDS } from "../../src/bench/w2.js";
import {
  decref,
  Engine,
  gc,
  newInstance,
  newList,
  listAppendSteal as refListAppendSteal,
  setField,
} from "../../src/core.js";
import { collectGenerations } from "../../src/gc/collect.js";

const REF_TAG = 0xffff0000 | 0;
/** Arenas in use: the floor's chunk-kind words (32768 + c) that say 2. */
const arenas = (i32: Int32Array): number => {
  let n = 0;
  for (let c = 1; c < 2048; c++) if (i32[32768 + c] === 2) n++;
  return n;
};

/** The first word at which two heaps differ, or -1 (toEqual on megabytes of words is slow). */
function firstDiff(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** W1's build with the helpers (newNode, listAppendSteal), one step at a time. */
function helperBuild(i32: Int32Array, n: number): number {
  const list = newFloorList(i32);
  for (let i = 0; i < n; i++) listAppendSteal(i32, list, newNode(i32));
  return list;
}

/** list_dealloc with the helpers: untrack, items last to first, then the list's block. */
function helperDrop(i32: Int32Array, list: number): void {
  const lw = list >> 2;
  i32[lw] = i32[lw]! - 1;
  const gw = lw - 2;
  const prevWord = i32[gw + 1]!;
  const next = i32[gw]!;
  i32[(prevWord & ~3) >> 2] = next;
  i32[(next >> 2) + 1] = (i32[(next >> 2) + 1]! & 3) | (prevWord & ~3);
  i32[gw] = 0;
  i32[gw + 1] = prevWord & 1;
  const items = i32[lw + 3]! >> 2;
  for (let i = i32[lw + 2]! - 1; i >= 0; i--) decrefNode(i32, i32[items + 2 * i]!);
  i32[194] = i32[194]! - 1;
  freeBlock(i32, list - 8);
}

describe("the W1 floor", () => {
  it("its flat build and drop leave the heap word for word as the helpers do, across pools and arenas", () => {
    const n = 70_000; // three arenas of 32,640 blocks
    const a = newFloorHeap(n);
    const b = newFloorHeap(n);
    for (let round = 0; round < 3; round++) {
      const la = floorW1Build(a, n);
      const lb = helperBuild(b, n);
      expect(la).toBe(lb);
      expect(firstDiff(a, b)).toBe(-1);
      expect(floorBlocksInUse(a)).toBe(n + 1);
      expect(arenas(a)).toBe(3);
      expect(floorTypeRefcnt(a)).toBe(n + 1);
      expect(a[(la >> 2) + 4]).toBe(listCapacityAfter(n));
      floorW1Drop(a, la);
      helperDrop(b, lb);
      expect(firstDiff(a, b)).toBe(-1);
      checkFloorEmpty(a, "test");
      expect(arenas(a)).toBe(1); // bpo-37257: the last usable arena is kept
    }
  });

  it("lays out a Node, its pool and the list as refheap does", () => {
    const n = 1000;
    const h = new Engine({ checked: false });
    gc.disable(h);
    const typeId = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] }).id;
    expect(typeId).toBe(FLOOR_NODE_ID);
    const rl = newList(h);
    for (let i = 0; i < n; i++) refListAppendSteal(h, rl, newInstance(h, typeId));
    const f = newFloorHeap(n);
    const fl = floorW1Build(f, n);
    const r = h.i32;
    // The list: size and capacity (list_resize's pattern).
    expect([f[(fl >> 2) + 2], f[(fl >> 2) + 4]]).toEqual([r[(rl >> 2) + 2], r[(rl >> 2) + 4]]);
    const rItems = r[(rl >> 2) + 3]! >> 2;
    const fItems = f[(fl >> 2) + 3]! >> 2;
    for (let i = 0; i < n; i++) {
      const ro = r[rItems + 2 * i]!;
      const fo = f[fItems + 2 * i]!;
      expect(r[rItems + 2 * i + 1]).toBe(REF_TAG);
      expect(f[fItems + 2 * i + 1]).toBe(REF_TAG);
      // GC object addresses are 8 mod 16; refcount, type id, the NULL field.
      expect([fo & 15, f[fo >> 2], f[(fo >> 2) + 1]! & 0xffff, f[(fo >> 2) + 2], f[(fo >> 2) + 3]]).toEqual([
        ro & 15,
        r[ro >> 2],
        r[(ro >> 2) + 1]! & 0xffff,
        r[(ro >> 2) + 2],
        r[(ro >> 2) + 3],
      ]);
      // Linked at the tail of generation 0 in the same order: the previous item's GC head.
      if (i > 0) {
        expect(f[(fo >> 2) - 1]).toBe(f[fItems + 2 * (i - 1)]! - 8);
        expect(r[(ro >> 2) - 1]).toBe(r[rItems + 2 * (i - 1)]! - 8);
      }
    }
    // The pool header of the last item's pool: szidx, maxnextoffset, and a count under the maximum.
    const rp = (r[rItems + 2 * (n - 1)]! & ~0x3fff) >> 2;
    const fp = (f[fItems + 2 * (n - 1)]! & ~0x3fff) >> 2;
    expect([f[fp + 5], f[fp + 7]]).toEqual([r[rp + 5], r[rp + 7]]);
    expect(f[fp]).toBeLessThan(510);
    decref(h, rl);
  });

  it("its variant is in the W1 table right below refheap Node (unchecked, steal), and checks each round", () => {
    const names = w1Specs.map((s) => s.name);
    expect(names[names.indexOf("refheap Node (unchecked, steal)") + 1]).toBe(FLOOR_NAME);
    const v = makeVariant("floor-node");
    for (let i = 0; i < 2; i++) expect(v.round(40_000).buildNs).toBeGreaterThanOrEqual(0);
    v.checkClean();
  });

  it("its checks catch a block left allocated, a count left raised and a broken link", () => {
    const i32 = newFloorHeap(100);
    floorW1Drop(i32, floorW1Build(i32, 100));
    checkFloorEmpty(i32, "test");
    const o = newNode(i32);
    expect(() => checkFloorEmpty(i32, "test")).toThrow(/1 blocks still allocated/);
    decrefNode(i32, o);
    checkFloorEmpty(i32, "test");
    i32[FLOOR_TYPE >> 2] = 2;
    expect(() => checkFloorEmpty(i32, "test")).toThrow(/type's count/);
    i32[FLOOR_TYPE >> 2] = 1;
    i32[((FLOOR_TYPE - 8) >> 2) + 1] = 0x30; // the type's gc_prev
    expect(() => floorListObjects(i32, FLOOR_GEN0)).toThrow(/not its predecessor/);
  });
});

describe("the W1 floor with automatic collection on", () => {
  /** refheap's collector state, named as floorGcState names the floor's. */
  const refheapState = (h: Engine) => ({
    counts: [h.gcCount0, h.gcCount1, h.gcCount2],
    longLivedPending: h.longLivedPending,
    longLivedTotal: h.longLivedTotal,
    collections: h.gcStats.map((s) => s.collections),
  });

  it("collects the generations refheap collects, when it does, with the same counts and long-lived totals", () => {
    // Enough rounds of 60,000 for several full collections (each waits for 11 of generation 1
    // and a quarter of the long-lived objects to be new).
    const n = 60_000;
    const h = new Engine({ checked: false });
    gc.enable(h);
    gc.setThreshold(h, 700, 10, 10);
    const node = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] }).id;
    const f = newFloorHeap(n, true);
    expect(floorGcState(f)).toEqual(refheapState(h));
    for (let round = 0; round < 5; round++) {
      const l = newList(h);
      for (let i = 0; i < n; i++) refListAppendSteal(h, l, newInstance(h, node));
      const list = floorW1Build(f, n);
      expect(floorGcState(f)).toEqual(refheapState(h));
      decref(h, l);
      floorW1Drop(f, list);
      expect(floorGcState(f)).toEqual(refheapState(h));
      checkFloorEmpty(f, "W1 (gc on)");
    }
    const { collections } = floorGcState(f);
    expect(collections[2]).toBeGreaterThanOrEqual(2);
    expect(collections[0]).toBeGreaterThan(300);
  });

  it("its variant is in the W1 table right below refheap Node (unchecked, steal, gc on), and checks each round", () => {
    const names = w1Specs.map((s) => s.name);
    expect(names[names.indexOf("refheap Node (unchecked, steal, gc on)") + 1]).toBe(FLOOR_GC_NAME);
    const v = makeVariant("floor-node-gc");
    for (let i = 0; i < 3; i++) expect(v.round(40_000).buildNs).toBeGreaterThanOrEqual(0);
    v.checkClean();
  });

  it("picks the generation refheap's collect_generations picks, at the thresholds' and the long-lived rule's edges", () => {
    // Both heaps hold only their type object (and gc.garbage); each state is set by hand on both.
    for (const c0 of [700, 701])
      for (const c1 of [10, 11])
        for (const c2 of [10, 11])
          for (const [pending, total] of [
            [24, 100],
            [25, 100],
            [26, 100],
            [0, 0],
            [0, 3],
          ]) {
            const h = new Engine({ checked: false });
            gc.enable(h);
            gc.setThreshold(h, 700, 10, 10);
            h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] });
            const f = newFloorHeap(10, true);
            [h.gcCount0, h.gcCount1, h.gcCount2] = [c0, c1, c2];
            [h.longLivedPending, h.longLivedTotal] = [pending!, total!];
            [f[194], f[203], f[204], f[205], f[206]] = [c0, c1, c2, pending!, total!];
            collectGenerations(h);
            floorCollectGenerations(f);
            const what = `counts ${c0}/${c1}/${c2}, long-lived ${pending}/${total}`;
            expect(floorGcState(f).collections, what).toEqual(refheapState(h).collections);
            expect(floorGcState(f).counts, what).toEqual(refheapState(h).counts);
          }
  });

  it("keeps the dead list for the next round, as list_dealloc's freelist does", () => {
    const f = newFloorHeap(1000, true);
    const a = floorW1Build(f, 1000);
    floorW1Drop(f, a);
    expect(floorBlocksInUse(f)).toBe(2); // the list on the freelist, and gc.garbage
    checkFloorEmpty(f, "W1 (gc on)");
    expect(floorW1Build(f, 10)).toBe(a);
  });

  it("without collection on, throws where a collection would be due instead of pretending", () => {
    const f = newFloorHeap(1000);
    f[196] = 100; // the count at which a collection is due
    expect(() => floorW1Build(f, 1000)).toThrow(/a collection is due/);
  });
});

describe("the W2a floor", () => {
  it("frees every 2-cycle, returns their number, and leaves the heap where it started", () => {
    const i32 = newFloorHeap(100_000);
    for (let round = 0; round < 2; round++) {
      floorMakeCycles(i32, 50_000);
      expect(floorBlocksInUse(i32)).toBe(100_000);
      expect(floorCollectGarbage(i32)).toBe(100_000);
      checkFloorEmpty(i32, "test");
    }
  });

  it("moves back what a reachable object reaches, as refheap's collector does", () => {
    const pairs = 1000;
    // refheap: the same heap, the partner of pair 10's first object held from outside.
    const h = new Engine({ checked: false });
    gc.disable(h);
    const typeId = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] }).id;
    const i32 = newFloorHeap(2 * pairs);
    let held = 0;
    let heldFloor = 0;
    for (let i = 0; i < pairs; i++) {
      const a = newInstance(h, typeId);
      const b = newInstance(h, typeId);
      setField(h, a, 0, b, true);
      setField(h, b, 0, a, true);
      decref(h, a);
      if (i === 10) held = b;
      else decref(h, b);
      const fa = newNode(i32);
      const fb = newNode(i32);
      setNodeField(i32, fa, fb);
      setNodeField(i32, fb, fa);
      decrefNode(i32, fa);
      if (i === 10) heldFloor = fb;
      else decrefNode(i32, fb);
    }
    const refheapFound = gc.collect(h);
    expect(floorCollectGarbage(i32)).toBe(refheapFound);
    expect(refheapFound).toBe(2 * pairs - 2);
    // The survivors in generation 2: the type, the held object, then its partner (moved back).
    const gen2 = floorListObjects(i32, FLOOR_GEN2);
    expect(gen2).toEqual([FLOOR_TYPE, heldFloor, i32[(heldFloor >> 2) + 2]]);
    expect(floorBlocksInUse(i32)).toBe(2);
    decref(h, held);
    decrefNode(i32, heldFloor);
    expect(floorCollectGarbage(i32)).toBe(gc.collect(h));
    checkFloorEmpty(i32, "test");
  });

  it("its variant checks each round", () => {
    const v = makeW2Variant(W2_FLOOR_CHILD_IDS.garbage, 20_000);
    v.warmUp();
    expect(v.round().returned).toBe(20_000);
    v.finish();
  });
});

describe("the W2b floor", () => {
  it("finds nothing and restores every link and count, in order and on the fragmented heap", () => {
    const n = 50_000;
    const inOrder = newFloorHeap(n);
    const l1 = floorW1Build(inOrder, n);
    const fragmented = newFloorHeap(n);
    const order = shuffledOrder(n);
    const { list: l2, placed } = floorFragmentedList(fragmented, order);
    expect(placed).toBe(n);
    for (const [i32, list] of [
      [inOrder, l1],
      [fragmented, l2],
    ] as const) {
      for (let round = 0; round < 2; round++) {
        expect(floorCollectPause(i32)).toBe(0);
        checkFloorPause(i32, list, n);
      }
      floorW1Drop(i32, list);
      checkFloorEmpty(i32, "test");
    }
  });

  it("walks the fragmented heap in the shuffled address order", () => {
    const n = 5000;
    const a = newFloorHeap(n);
    const first = Array.from({ length: n }, () => newNode(a));
    for (const o of first) decrefNode(a, o);
    const b = newFloorHeap(n);
    const order = shuffledOrder(n);
    const { list } = floorFragmentedList(b, order);
    floorCollectPause(b);
    const walked = floorListObjects(b, FLOOR_GEN2).slice(2);
    // The i-th object walked sits at the order[i]-th block a fresh heap hands out.
    expect(walked).toEqual([...order].map((k) => first[k]));
    floorW1Drop(b, list);
  });

  it("its check catches a prev pointer left holding gc_refs and a lost object", () => {
    const i32 = newFloorHeap(100);
    const list = floorW1Build(i32, 100);
    floorCollectPause(i32);
    checkFloorPause(i32, list, 100);
    const o = i32[(i32[(list >> 2) + 3]! >> 2) + 2 * 50]!;
    const saved = i32[(o >> 2) - 1]!;
    i32[(o >> 2) - 1] = (1 << 2) | 2; // gc_refs 1, COLLECTING
    expect(() => checkFloorPause(i32, list, 100)).toThrow(/not its predecessor/);
    i32[(o >> 2) - 1] = saved;
    checkFloorPause(i32, list, 100);
    expect(() => checkFloorPause(i32, list, 101)).toThrow(/size or count/);
  });

  it("throws, rather than pretend, when there is garbage", () => {
    const i32 = newFloorHeap(10);
    floorMakeCycles(i32, 1);
    expect(() => floorCollectPause(i32)).toThrow(/found garbage/);
  });

  it("its variants check each round", () => {
    for (const id of [W2_FLOOR_CHILD_IDS.pause, W2_FLOOR_CHILD_IDS.fragmented]) {
      const v = makeW2Variant(id, 20_000);
      v.warmUp();
      expect(v.round().returned).toBe(0);
      v.finish();
      expect(v.placed).toBe(id === W2_FLOOR_CHILD_IDS.fragmented ? 20_000 : null);
    }
  });
});
