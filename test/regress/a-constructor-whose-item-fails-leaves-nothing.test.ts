/**
 * Guards all-or-nothing construction: heap.list/tuple/dict(items), C.new(init) and the weak
 * containers' constructors release what they already made when an item fails — a handle of
 * another heap, a value of the wrong type, an unknown field, a non-pair entry, or the heap running
 * out of memory. Nothing is left for the program to leak: the object count is back where it was,
 * and close() under the "throw" leak policy finds nothing to blame.
 */
import { describe, expect, it } from "vitest";
import { type Handle, Heap, RefheapError } from "../../src/index.js";

function attempts(heap: Heap, foreign: Handle) {
  const C = heap.defineClass("C", { fields: { n: "number", r: "ref" }, weakrefable: true });
  const c = C.new();
  const unhashable = heap.list();
  const badItems: [string, () => unknown][] = [
    ["list: another heap's handle", () => heap.list([1, c, foreign])],
    ["list: a JS object", () => heap.list([1, "s", {} as never])],
    ["tuple: another heap's handle", () => heap.tuple(1, c, foreign)],
    ["tuple: a symbol", () => heap.tuple(c, Symbol("x") as never)],
    [
      "dict: another heap's value",
      () =>
        heap.dict([
          ["a", c],
          ["b", foreign],
        ]),
    ],
    [
      "dict: an unhashable key",
      () =>
        heap.dict([
          ["a", c],
          [unhashable as never, 1],
        ]),
    ],
    ["dict: a triple", () => heap.dict([["a", c], ["b", 1, 2] as never])],
    ["C.new: an unknown field", () => C.new({ r: c, nope: 1 } as never)],
    ["C.new: a wrong type", () => C.new({ r: c, n: "x" as never })],
    ["C.new: another heap's handle", () => C.new({ r: foreign })],
    [
      "WeakValueDictionary: an unweakrefable value",
      () =>
        heap.weakref.WeakValueDictionary([
          ["a", c],
          ["b", unhashable as never],
        ]),
    ],
    [
      "WeakKeyDictionary: another heap's key",
      () =>
        heap.weakref.WeakKeyDictionary([
          [c, 1],
          [foreign, 2],
        ]),
    ],
    ["WeakSet: a number", () => heap.weakref.WeakSet([c, 3 as never])],
  ];
  return { c, unhashable, badItems };
}

describe("a constructor whose item fails", () => {
  it("releases what it made, for every constructor and kind of failure", () => {
    const there = new Heap({ leaks: "off" });
    const foreign = there.defineClass("D", { weakrefable: true }).new();
    const heap = new Heap({ checked: true, leaks: "throw" });
    const { c, unhashable, badItems } = attempts(heap, foreign);
    const objects = heap.verify().objects;
    for (const [what, attempt] of badItems) {
      expect(attempt, what).toThrow(RefheapError);
      const report = heap.verify();
      expect(report.problems, what).toEqual([]);
      expect(report.objects, what).toBe(objects);
    }
    expect(heap.sys.getRefCount(c)).toBe(2);
    c.dispose();
    unhashable.dispose();
    heap.close(); // nothing half-built is owned by the program
  });

  it("releases what it made when the heap runs out of memory", () => {
    const heap = new Heap({ checked: true, leaks: "throw", maxBytes: 2 * 1024 * 1024 });
    const C = heap.defineClass("C", { fields: { s: "str" }, weakrefable: true });
    const c = C.new();
    const objects = heap.verify().objects;
    const big = "x".repeat(2 * 1024 * 1024); // a str this long cannot fit
    const attemptsOom: [string, () => unknown][] = [
      ["list", () => heap.list([c, "a", big])],
      ["tuple", () => heap.tuple(c, "a", big)],
      [
        "dict",
        () =>
          heap.dict([
            ["a", c],
            ["b", big],
          ]),
      ],
      ["C.new", () => C.new({ s: big })],
      [
        "WeakValueDictionary",
        () =>
          heap.weakref.WeakValueDictionary([
            ["a", c],
            [big, c],
          ]),
      ],
      ["WeakKeyDictionary", () => heap.weakref.WeakKeyDictionary([[c, big]])],
    ];
    for (const [what, attempt] of attemptsOom) {
      expect(attempt, what).toThrow(expect.objectContaining({ code: "HEAP_EXHAUSTED" }));
      const report = heap.verify();
      expect(report.problems, what).toEqual([]);
      expect(report.objects, what).toBe(objects);
    }
    c.dispose();
    heap.close();
  });
});
