/**
 * Where code cannot be compiled at run time (a page whose Content-Security-Policy forbids
 * `new Function`, which then throws an EvalError), classes get no generated code
 * (src/object/specialize.ts, src/refcount/specialize.ts, src/gc/specialize.ts) and the general
 * paths serve every request with the same results. This file runs in a process of its own, so
 * refusing code here does not reach the other tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { Heap } from "../../src/index.js";

const RealFunction = globalThis.Function;
let refused = 0;

beforeAll(() => {
  globalThis.Function = new Proxy(RealFunction, {
    construct() {
      refused++;
      throw new EvalError("Refused to evaluate a string as JavaScript (Content-Security-Policy)");
    },
  });
});

afterAll(() => {
  globalThis.Function = RealFunction;
});

/** A program with allocation, deallocation, cycles and collections, on one engine. */
function program(h: core.Engine): number[] {
  const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: "any" as const }));
  const A = h.defineClass({ name: "A", fields: refs(1) });
  const B = h.defineClass({ name: "B", fields: [...refs(2), { name: "n", kind: "number" }] });
  const W = h.defineClass({ name: "W", fields: refs(1), weakrefable: true });
  const l = core.newList(h);
  for (let i = 0; i < 500; i++) core.listAppendSteal(h, l, core.newInstance(h, [A, B, W][i % 3]!.id));
  // 200 two-object cycles of one class, then runs of A for the passes
  for (let i = 0; i < 200; i++) {
    const x = core.newInstance(h, A.id);
    const y = core.newInstance(h, A.id);
    core.setField(h, x, 0, y, true);
    core.setField(h, y, 0, x, true);
    core.decref(h, x);
    core.decref(h, y);
  }
  const collected = [core.gc.collect(h, 0), core.gc.collect(h)];
  core.decref(h, l);
  collected.push(core.gc.collect(h));
  expect(core.verify(h).problems).toEqual([]);
  return [A.id, B.id, W.id, ...collected];
}

describe("without run-time code generation", () => {
  it("the classes get no generated code, and the heap ends byte for byte as the general paths leave it", () => {
    const fast = new core.Engine({ checked: false });
    const slow = new core.Engine({ checked: false });
    slow.fastPaths = false;
    const a = program(fast);
    const b = program(slow);
    expect(refused).toBeGreaterThan(0);
    expect(a).toEqual(b);
    expect(Buffer.compare(fast.u8, slow.u8)).toBe(0);
    for (const id of a.slice(0, 3)) {
      // The allocator declines (the general path serves), no deallocator or run steps were made.
      expect(fast.typeNew[id]!(fast)).toBe(0);
      expect(fast.typeDealloc[id]?.(fast, 0) ?? false).toBe(false);
      expect(fast.gcRuns[id] ?? null).toBeNull();
    }
  });

  it("the handle API works as usual", () => {
    using heap = new Heap({ leaks: "throw" });
    const Node = heap.defineClass("Node", { fields: { next: "self" } });
    const head = Node.new().own();
    let p = head;
    for (let i = 0; i < 100; i++) {
      const n = Node.new();
      p.next = n;
      p = n;
    }
    expect(heap.sys.getRefCount(head)).toBe(2);
    head.dispose();
    expect(heap.gc.collect()).toBe(0);
  });
});
