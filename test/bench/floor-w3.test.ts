/**
 * W3's floor (src/bench/floor-w3.ts): its layout is refheap's (checked against the engine's own
 * numbers), its ops leave the heap as they found it and call the callback once per death, and the
 * floor allocator's second size class keeps pymalloc's invariants.
 */
import { describe, expect, it } from "vitest";
import {
  allocBlock,
  FLOOR_COUNT0,
  FLOOR_GEN0,
  floorBlocksInUse,
  floorListObjects,
  floorTypeRefcnt,
  freeBlock,
} from "../../src/bench/floor.js";
import {
  FLOOR_WEAKREF_ID,
  floorW3Create,
  floorW3Death,
  newW3FloorHeap,
  W3_FLOOR_CB_REFCNT,
} from "../../src/bench/floor-w3.js";
import { Engine, newInstance, stats, weakref } from "../../src/core.js";
import { Kind } from "../../src/object/index.js";
import { WR_CALLBACK, WR_HASH, WR_NEXT, WR_OBJECT, WR_PREV } from "../../src/object/weakref.js";

/** Everything the ops must give back: blocks, counts, the generation-0 list. */
function snapshot(i32: Int32Array) {
  return {
    blocks: floorBlocksInUse(i32),
    type: floorTypeRefcnt(i32),
    callback: i32[W3_FLOOR_CB_REFCNT],
    count0: i32[FLOOR_COUNT0],
    gen0: floorListObjects(i32, FLOOR_GEN0),
  };
}

describe("W3's floor", () => {
  it("lays out Img and the weakref as refheap does", () => {
    const h = new Engine({ checked: false });
    const img = h.defineClass({ name: "Img", fields: [{ name: "n", kind: "number" }], weakrefable: true });
    expect(h.typeAllocSize[img.id]).toBe(32); // one 32-byte block, GC head included
    expect(h.typeWeaklistOffset[img.id]).toBe(12);
    expect(h.typeFieldsOffset[img.id]).toBe(16);
    expect(Kind.Weakref).toBe(FLOOR_WEAKREF_ID);
    expect([WR_OBJECT, WR_CALLBACK, WR_PREV, WR_NEXT, WR_HASH]).toEqual([8, 12, 16, 20, 24]);
    const before = new Map(stats(h).sizeClasses.map((c) => [c.size, c.blocksInUse]));
    const o = newInstance(h, img.id);
    weakref.newRef(h, o, () => {});
    const grown = stats(h)
      .sizeClasses.filter((c) => c.blocksInUse !== (before.get(c.size) ?? 0))
      .map((c) => c.size);
    expect(grown).toEqual([32, 48]); // the instance's block and the weakref's
  });

  it("create and death leave the heap as they found it; each death calls the callback with its weakref", () => {
    const i32 = newW3FloorHeap();
    const start = snapshot(i32);
    expect(start.blocks).toBe(2); // the block held in each size class
    floorW3Create(i32, 5000);
    expect(snapshot(i32)).toEqual(start);
    const seen: number[] = [];
    floorW3Death(i32, 5000, [
      () => {},
      (wr) => {
        seen.push(wr);
        // Inside the callback the weakref is cleared, alive, and off the instance's weak list.
        const ww = wr >> 2;
        expect(i32[ww]).toBe(1);
        expect(i32[ww + 1]! & 0xffff).toBe(FLOOR_WEAKREF_ID);
        expect(i32[ww + 2]).toBe(0);
        expect(i32[ww + 3]).toBe(0);
      },
    ]);
    expect(seen).toHaveLength(5000);
    expect(snapshot(i32)).toEqual(start);
    // pymalloc hands the block just freed out first: every death's weakref was the same block.
    expect(new Set(seen).size).toBe(1);
  });

  it("declines what it does not implement: a collection that is due", () => {
    const i32 = newW3FloorHeap();
    i32[196] = i32[FLOOR_COUNT0]! + 1; // the count at which a collection is due
    expect(() => floorW3Death(i32, 1, [() => {}, () => {}])).toThrow(/collection is due/);
    i32[196] = i32[FLOOR_COUNT0]!;
    expect(() => floorW3Create(i32, 1)).toThrow(/collection is due/);
  });

  it("the second size class fills, empties and gives back its pools as pymalloc does", () => {
    const i32 = newW3FloorHeap();
    const blocks: number[] = [];
    for (let i = 0; i < 2000; i++) blocks.push(allocBlock(i32, 2)); // several pools of 340 blocks
    expect(floorBlocksInUse(i32)).toBe(2002);
    expect(new Set(blocks.map((b) => b & ~16383)).size).toBeGreaterThan(5);
    for (const b of blocks.filter((_, i) => i % 2 === 0)) freeBlock(i32, b);
    expect(floorBlocksInUse(i32)).toBe(1002);
    for (const b of blocks.filter((_, i) => i % 2 === 1)) freeBlock(i32, b);
    expect(floorBlocksInUse(i32)).toBe(2);
    // The 32-byte class is untouched by it.
    const node = allocBlock(i32, 1);
    freeBlock(i32, node);
    expect(floorBlocksInUse(i32)).toBe(2);
  });
});
