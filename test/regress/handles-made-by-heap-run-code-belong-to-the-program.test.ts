/**
 * Guards that user code the heap runs on its own — a finalizer, a weakref callback, a gc callback,
 * a weakref.finalize function, a host value's closer — runs outside every open heap.scope. A handle
 * it keeps (a finalizer's `saved = self.dup()`, a resurrection) belongs to the program whichever
 * scope happened to be running when the collection or deallocation started: it used to be owned
 * by that scope and released with it, so the same resurrection worked or failed depending on
 * where an automatic collection was triggered.
 */
import { describe, expect, it } from "vitest";
import { type Handle, Heap, hostField } from "../../src/index.js";

function setup() {
  const heap = new Heap({ checked: true, leaks: "off" });
  const kept: Handle[] = [];
  const Node = heap.defineClass("Node", {
    fields: { other: "self" },
    finalize: (self) => {
      kept.push(self.dup()); // resurrects: a new reference from outside the heap
    },
  });
  const cycle = () => {
    heap.scope(() => {
      const a = Node.new();
      const b = Node.new();
      a.other = b;
      b.other = a;
    });
  };
  return { heap, kept, Node, cycle };
}

function expectKept(heap: Heap, kept: Handle[]): void {
  expect(kept).toHaveLength(2);
  for (const h of kept) {
    expect(h.released).toBe(false);
    expect(heap.gc.isFinalized(h)).toBe(true);
    h.dispose();
  }
  expect(heap.verify().problems).toEqual([]);
}

describe("a finalizer's resurrection", () => {
  it("works when the collection is explicit, outside any scope", () => {
    const { heap, kept, cycle } = setup();
    heap.gc.disable();
    cycle();
    expect(heap.gc.collect()).toBe(0); // resurrected objects are not counted (bpo-38379)
    expectKept(heap, kept);
  });

  it("works when an allocation inside a scope starts the collection", () => {
    const { heap, kept, cycle } = setup();
    heap.gc.disable();
    cycle(); // in generation 0, with a count above 1
    heap.gc.enable();
    heap.scope(() => {
      heap.gc.setThreshold(1);
      heap.list(); // this allocation runs a collection of generation 0, whose finalizers keep handles
      heap.gc.setThreshold(700);
      expect(kept).toHaveLength(2);
    });
    heap.gc.disable();
    expectKept(heap, kept);
  });

  it("works when the collection runs inside a scope that ends right after", () => {
    const { heap, kept, cycle } = setup();
    heap.gc.disable();
    cycle();
    heap.scope(() => {
      expect(heap.gc.collect()).toBe(0);
    });
    expectKept(heap, kept);
  });
});

describe("other code the heap runs", () => {
  it("gc callbacks and host-value closers keep what they make, whatever scope was open", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const keep = heap.list();
    const made: [string, Handle][] = [];
    const C = heap.defineClass("C", {
      fields: { f: hostField<number>(() => made.push(["closer", keep.dup()])) },
    });
    heap.gc.callbacks.push((phase) => {
      if (phase === "stop") made.push(["gc callback", keep.dup()]);
    });
    heap.scope(() => {
      C.new({ f: 1 }); // released when this scope ends: its closer runs then, inside it
      heap.gc.collect();
    });
    expect(made.map(([what, h]) => [what, h.released])).toEqual([
      ["gc callback", false],
      ["closer", false],
    ]);
    for (const [, h] of made) h.dispose();
    keep.dispose();
    expect(heap.verify().problems).toEqual([]);
  });

  it("a weakref callback's own handles are released when it returns, as before", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const keep = heap.list();
    const C = heap.defineClass("C", { weakrefable: true });
    let made: Handle | undefined;
    let stillOpenInside = false;
    const c = C.new();
    const r = heap.weakref.ref(c, () => {
      made = keep.dup();
      stillOpenInside = !made.released;
    });
    heap.scope(() => c.dispose());
    expect(stillOpenInside).toBe(true);
    expect(made?.released).toBe(true);
    r.dispose();
    keep.dispose();
    expect(heap.verify().problems).toEqual([]);
  });
});
