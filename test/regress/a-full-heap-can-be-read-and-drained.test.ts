/**
 * Guards that lookups never allocate: on a heap with no free block left, reading, replacing a
 * number under an existing key, and deleting by a string key all work — dict get/has/set/delete,
 * an instance's getAttr/setAttr/delAttr, and WeakValueDictionary get/has/delete/pop. Each used to
 * make a temporary str for the key, so a full heap could not even be drained.
 */
import { expect, it } from "vitest";
import { Heap } from "../../src/index.js";
import { free, malloc } from "../../src/memory/index.js";

it("reads, replaces and deletes by string key with no memory left", () => {
  const heap = new Heap({ checked: true, leaks: "off", maxBytes: 2 * 1024 * 1024 });
  const C = heap.defineClass("C", { dynamic: true, weakrefable: true });
  const d = heap.dict({ a: 1, b: 2, c: 3 });
  const o = C.new();
  o.setAttr("x", 1);
  o.setAttr("y", 2);
  const target = C.new();
  const w = heap.weakref.WeakValueDictionary([
    ["k1", target],
    ["k2", target],
    ["k3", target],
  ]);
  // Fill every size class and every chunk.
  const blocks: number[] = [];
  for (const size of [4096, ...Array.from({ length: 32 }, (_, i) => 16 * (i + 1))]) {
    for (;;) {
      try {
        blocks.push(malloc(heap.engine, size));
      } catch {
        break;
      }
    }
  }
  expect(() => heap.str("no room for this")).toThrow(expect.objectContaining({ code: "HEAP_EXHAUSTED" }));

  expect(d.get("a")).toBe(1);
  expect(d.has("b")).toBe(true);
  expect(d.has("zz")).toBe(false);
  d.set("b", 20); // an existing key, a number: nothing to allocate
  expect(d.get("b")).toBe(20);
  expect(d.delete("a")).toBe(true);
  expect(d.delete("a")).toBe(false);

  expect(o.getAttr("x")).toBe(1);
  o.setAttr("y", 5);
  expect(o.getAttr("y")).toBe(5);
  expect(o.delAttr("x")).toBe(true);

  expect(w.get("k1")?.is(target)).toBe(true);
  expect(w.has("k2")).toBe(true);
  w.delete("k1");
  expect(w.pop("k2").is(target)).toBe(true);
  expect(w.size).toBe(1);

  for (const b of blocks) free(heap.engine, b);
  for (const h of [d, o, target]) h.dispose();
  w.dispose();
  expect(heap.verify().problems).toEqual([]);
});
