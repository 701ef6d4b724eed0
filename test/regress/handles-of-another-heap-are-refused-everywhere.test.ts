/**
 * Guards that every entry point taking a handle refuses one of another heap with WRONG_HEAP (a
 * HandleError), never reinterpreting its address in this heap, and changes nothing. The proxy
 * face of another heap's object counts as that heap's handle. `is()` is a question, not a use:
 * it answers false.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode, type Handle, HandleError, Heap } from "../../src/index.js";

function wrongHeap(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(HandleError);
  expect((thrown as HandleError).code).toBe(ErrorCode.WrongHeap);
}

describe("a handle of another heap", () => {
  const here = new Heap({ checked: true, leaks: "off" });
  const there = new Heap({ checked: true, leaks: "off" });
  const C = here.defineClass("C", { fields: { r: "ref", a: "any" }, weakrefable: true, dynamic: true });
  const D = there.defineClass("D", { weakrefable: true });
  const foreign = D.new();
  const foreignProxy = there.weakref.proxy(foreign);
  const mine = C.new();
  const list = here.list();
  const dict = here.dict();
  const wvd = here.weakref.WeakValueDictionary();
  const wkd = here.weakref.WeakKeyDictionary();
  const wset = here.weakref.WeakSet();

  const entryPoints: [string, (x: Handle) => unknown][] = [
    ["scope.escape", (x) => here.scope((s) => s.escape(x))],
    ["heap.call", (x) => here.call((_y: Handle) => 0, x)],
    ["weakref.getWeakRefCount", (x) => here.weakref.getWeakRefCount(x)],
    ["weakref.getWeakRefs", (x) => here.weakref.getWeakRefs(x)],
    ["weakref.ref", (x) => here.weakref.ref(x)],
    ["weakref.proxy", (x) => here.weakref.proxy(x)],
    ["weakref.finalize", (x) => here.weakref.finalize(x, () => 0)],
    ["gc.isTracked", (x) => here.gc.isTracked(x)],
    ["gc.isFinalized", (x) => here.gc.isFinalized(x)],
    ["gc.getReferrers", (x) => here.gc.getReferrers(x)],
    ["gc.getReferents", (x) => here.gc.getReferents(x)],
    ["sys.getrefcount", (x) => here.sys.getRefCount(x)],
    ["list.append", (x) => list.append(x)],
    ["list.push", (x) => list.push(x)],
    ["heap.list", (x) => here.list([x])],
    ["heap.tuple", (x) => here.tuple(x)],
    ["heap.dict (value)", (x) => here.dict([["k", x]])],
    ["dict.set (key)", (x) => dict.set(x, 1)],
    ["dict.get (key)", (x) => dict.get(x)],
    ["dict.has (key)", (x) => dict.has(x)],
    ["dict.delete (key)", (x) => dict.delete(x)],
    [
      "a 'ref' field",
      (x) => {
        mine.r = x;
      },
    ],
    [
      "an 'any' field",
      (x) => {
        mine.a = x;
      },
    ],
    ["setAttr", (x) => mine.setAttr("y", x)],
    ["C.new(init)", (x) => C.new({ r: x })],
    ["WeakValueDictionary.set", (x) => wvd.set("k", x)],
    ["WeakKeyDictionary.set", (x) => wkd.set(x, 1)],
    ["WeakKeyDictionary.has", (x) => wkd.has(x)],
    ["WeakSet.add", (x) => wset.add(x)],
    ["WeakSet.has", (x) => wset.has(x)],
  ];

  for (const [name, use] of entryPoints) {
    it(`is refused by ${name} with WRONG_HEAP, and changes nothing`, () => {
      const before = [here.sys.getRefCount(mine), list.length, dict.size];
      wrongHeap(() => use(foreign));
      wrongHeap(() => use(foreignProxy));
      expect([here.sys.getRefCount(mine), list.length, dict.size]).toEqual(before);
      expect(here.verify().problems).toEqual([]);
      expect(there.verify().problems).toEqual([]);
    });
  }

  it("is never the same object (is() answers false)", () => {
    expect(mine.is(foreign)).toBe(false);
    expect(mine.is(foreignProxy)).toBe(false);
    expect(mine.is(mine)).toBe(true);
  });
});
