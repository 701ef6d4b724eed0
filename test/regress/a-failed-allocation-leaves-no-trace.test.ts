/**
 * Guards that an operation that runs out of memory is all or nothing:
 *  - a failed GC allocation leaves generation 0's count (and the freelist counts) as they were:
 *    CPython links an object only after its memory was had;
 *  - a failed setattr leaves the class's shared keys as they were (the name is registered only
 *    once the room for the value exists);
 *  - memory the heap holds idle (the empty arena and the empty large segment each allocator keeps
 *    for reuse) is given back before HEAP_EXHAUSTED is thrown.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { free, malloc } from "../../src/memory/index.js";

const MiB = 1024 * 1024;

/** Takes every free block of `size` bytes until the heap is full; returns them (to free later). */
function exhaust(h: core.Engine, size: number): number[] {
  const blocks: number[] = [];
  for (;;) {
    try {
      blocks.push(malloc(h, size));
    } catch (e) {
      expect(e).toMatchObject({ code: "HEAP_EXHAUSTED" });
      return blocks;
    }
  }
}

describe("a failed allocation", () => {
  it("counts nothing in generation 0, for every GC kind", () => {
    const h = new core.Engine({ checked: true, maxBytes: 2 * MiB });
    const C = h.defineClass({ name: "C", fields: [{ name: "a", kind: "any" }], weakrefable: true });
    const target = core.newInstance(h, C.id);
    const blocks: number[] = [];
    for (let size = 16; size <= 512; size += 16) blocks.push(...exhaust(h, size)); // every size class
    const makers: [string, () => number][] = [
      ["list", () => core.newList(h)],
      ["list with capacity", () => core.newList(h, 100)],
      ["dict", () => core.newDict(h)],
      ["tuple", () => core.newTuple(h, 3)],
      ["big tuple", () => core.newTuple(h, 40)],
      ["instance", () => core.newInstance(h, C.id)],
      ["weakref", () => core.weakref.newRef(h, target, () => {})],
      ["class", () => h.defineClass({ name: "D" }).id],
    ];
    for (const [what, make] of makers) {
      const counts = core.gc.getCount(h);
      const freelists = Array.from(h.freelists);
      const types = h.types.length;
      expect(make, what).toThrow(expect.objectContaining({ code: "HEAP_EXHAUSTED" }));
      expect(core.gc.getCount(h), what).toEqual(counts);
      expect(Array.from(h.freelists), what).toEqual(freelists);
      expect(h.types.length, what).toBe(types);
    }
    for (const b of blocks) free(h, b);
    core.decref(h, target);
    expect(core.verify(h).problems).toEqual([]);
  });

  it("leaves a class's shared keys unchanged when setattr cannot store the value", () => {
    const h = new core.Engine({ checked: true, maxBytes: 2 * MiB });
    const C = h.defineClass({ name: "C", dynamic: true });
    const o = core.newInstance(h, C.id);
    const name = core.newStr(h, "x");
    const shared = [h.typeSharedCount[C.id], h.typeSharedUsable[C.id]];
    const blocks = exhaust(h, 168); // the size class of a new attribute table
    expect(() => core.setAttr(h, o, name, 1, false)).toThrow(
      expect.objectContaining({ code: "HEAP_EXHAUSTED" }),
    );
    expect([h.typeSharedCount[C.id], h.typeSharedUsable[C.id]]).toEqual(shared);
    expect(core.getAttrSlot(h, o, name)).toBe(0);
    for (const b of blocks) free(h, b);
    core.setAttr(h, o, name, 1, false); // now it fits
    expect(h.typeSharedCount[C.id]).toBe(shared[0]! + 1);
    core.decref(h, name);
    core.decref(h, o);
    expect(core.verify(h).problems).toEqual([]);
  });
});

describe("idle memory the allocators keep", () => {
  it("is given back before HEAP_EXHAUSTED: the empty large segment", () => {
    const h = new core.Engine({ checked: true, maxBytes: 4 * MiB });
    core.decref(h, core.newStr(h, "x".repeat(300_000))); // a one-chunk segment, kept when empty
    expect(h.largeSegments).toBe(1);
    const big = core.newStr(h, "y".repeat(900_000)); // needs two chunks: the kept one and the last
    expect(core.strValue(h, big).length).toBe(900_000);
    core.decref(h, big);
    expect(core.verify(h).problems).toEqual([]);
  });

  it("is given back before HEAP_EXHAUSTED: the empty arena", () => {
    const h = new core.Engine({ checked: true, maxBytes: 4 * MiB });
    const objs: number[] = [];
    while (h.arenasCurrent < 2) objs.push(core.newStr(h, "z".repeat(200)));
    for (const o of objs.reverse()) core.decref(h, o);
    expect(h.arenasCurrent).toBe(2); // the second arena, empty, is kept (bpo-37257)
    const big = core.newStr(h, "y".repeat(900_000));
    expect(h.arenasCurrent).toBe(1);
    core.decref(h, big);
    expect(core.verify(h).problems).toEqual([]);
  });
});

describe("gc.get_objects, get_referrers and get_referents out of memory", () => {
  it("release their half-built list, and every reference it took", () => {
    const h = new core.Engine({ checked: true, maxBytes: 4 * MiB });
    const objs: number[] = [];
    const shared = core.newStr(h, "in every list");
    for (let i = 0; i < 3000; i++) {
      const l = core.newList(h); // each result has 3000 items or more: a 24 KB item array
      core.listAppend(h, l, shared, true);
      objs.push(l);
    }
    const holder = core.newList(h);
    for (const o of objs) core.listAppend(h, holder, o, true);
    // Room for the result list and its first few item arrays (4, 8, 16, 24, 32 items), not more:
    // each call fails part way, holding references to the objects it appended so far.
    const room = [32, 32, 64, 128, 192, 256].map((size) => malloc(h, size));
    for (let size = 16; size <= 512; size += 16) exhaust(h, size);
    exhaust(h, 4096);
    for (const b of room) free(h, b);
    const before = core.verify(h);
    const calls: [string, () => number][] = [
      ["get_objects", () => core.gc.getObjects(h)],
      ["get_referrers", () => core.gc.getReferrers(h, [shared])],
      ["get_referents", () => core.gc.getReferents(h, [holder])],
    ];
    for (const [what, call] of calls) {
      expect(call, what).toThrow(expect.objectContaining({ code: "HEAP_EXHAUSTED" }));
      const after = core.verify(h);
      // The blocks that fill the heap are raw storage owned by no object: the verifier says so.
      expect(
        after.problems.filter((p) => !/owned by no live object/.test(p)),
        what,
      ).toEqual([]);
      expect(after.objects, what).toBe(before.objects);
      expect(after.externalRefs, what).toBe(before.externalRefs);
    }
  });
});
