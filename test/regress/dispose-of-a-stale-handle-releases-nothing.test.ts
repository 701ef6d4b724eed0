/**
 * Guards that dispose() only ever releases the reference its handle owns: a stale handle (its
 * object was freed behind its back through the engine, and the memory now holds another object)
 * throws STALE_HANDLE and leaves the new occupant alone, on checked and unchecked heaps; and after
 * close() a dispose() frees nothing (the handle is only marked released).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { ErrorCode, Heap } from "../../src/index.js";

describe.each([true, false])("checked: %s", (checked) => {
  it("dispose() of a stale handle throws STALE_HANDLE and does not release the block's new object", () => {
    const heap = new Heap({ checked, leaks: "off" });
    const Node = heap.defineClass("Node", { fields: { n: "number" } });
    const a = Node.new({ n: 1 });
    const addr = a.address;
    core.decref(heap.engine, addr); // over-released through the engine: the object is freed
    const b = Node.new({ n: 2 }); // reuses the block
    expect(b.address).toBe(addr);
    expect(() => a.dispose()).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    expect(a.released).toBe(false); // nothing changed, not even the handle
    expect(heap.sys.getRefCount(b)).toBe(2);
    expect(b.n).toBe(2);
    b.dispose();
    expect(heap.verify().problems).toEqual([]);
  });

  it("dispose() after close() frees nothing and does not throw", () => {
    const heap = new Heap({ checked, leaks: "off" });
    const log: string[] = [];
    const Node = heap.defineClass("Node", { finalize: () => log.push("del") });
    const a = Node.new();
    const addr = a.address;
    heap.close();
    a.dispose();
    expect(a.released).toBe(true);
    expect(log).toEqual([]);
    expect(core.getrefcount(heap.engine, addr)).toBe(1);
  });
});
