/**
 * Guards that a dict iterator (DictHandle.entries/keys/values and `for…of`) re-validates its handle
 * at every step: once the handle is released, the heap closed, or the dict freed behind its back
 * and its memory given to another dict, the next step throws the typed error — it never goes on
 * reading the old address (which after reuse held another dict's entries).
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { ErrorCode, Heap } from "../../src/index.js";

it("after its handle is released, the next step throws HANDLE_RELEASED", () => {
  const heap = new Heap({ checked: true, leaks: "off" });
  const d = heap.dict({ a: 1, b: 2 });
  const keep = d.dup(); // the dict stays alive: only this handle was released
  const it = d.keys();
  expect(it.next().value).toBe("a");
  d.dispose();
  expect(() => it.next()).toThrow(expect.objectContaining({ code: ErrorCode.HandleReleased }));
  keep.dispose();
  expect(heap.verify().problems).toEqual([]);
});

it("after the heap is closed, the next step throws HEAP_CLOSED", () => {
  const heap = new Heap({ leaks: "off" });
  const d = heap.dict({ a: 1, b: 2 });
  const it = d[Symbol.iterator]();
  it.next();
  heap.close();
  expect(() => it.next()).toThrow(expect.objectContaining({ code: ErrorCode.HeapClosed }));
});

it.each([true, false])(
  "after its dict is freed and the block reused (checked: %s), it throws STALE_HANDLE",
  (checked) => {
    const heap = new Heap({ checked, leaks: "off" });
    const d = heap.dict({ a: 1, b: 2 });
    const it = d.values();
    expect(it.next().value).toBe(1);
    const addr = d.address;
    core.decref(heap.engine, addr); // over-released through the engine: freed
    const other = heap.dict({ x: 10, y: 20, z: 30 }); // takes the same block
    expect(other.address).toBe(addr);
    expect(() => it.next()).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    other.dispose();
  },
);
