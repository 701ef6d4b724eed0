/**
 * CPython 3.11 gives each class a budget of 30 shared attribute names, less one per instance
 * created (never below 1). A name that does not fit moves that instance's attributes into a real
 * dict object: gc.get_referents shows the dict, and a garbage cycle through the instance counts
 * it (collect() returns 2, not 1). refheap kept every instance's attributes in its own table, so
 * it returned 1. Found by the differential oracle.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { drop, python, setAttr, settle, takeRefs, typeName } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";

describe("regress: a name beyond the shared-keys budget materialises a dict", () => {
  it("29 instances, then a second name on one of them: referents show a dict, collect() counts it", async () => {
    const h = new core.Engine({ checked: true });
    const A = h.defineClass({ name: "A", dynamic: true });
    settle(h);
    const xs = Array.from({ length: 29 }, () => core.newInstance(h, A.id));
    const a = xs[0]!;
    core.incref(h, a);
    drop(h, ...xs);
    setAttr(h, a, "me", a); // the last name the budget allows
    setAttr(h, a, "k", 1, false); // does not fit
    const kinds = takeRefs(h, core.gc.getReferents(h, [a])).map((r) => typeName(h, r));
    drop(h, a);
    const ours = `${kinds.join(",")} ${core.gc.collect(h)}`;
    const py = await python(
      "import gc; gc.disable(); gc.collect(); A=type('A',(),{}); xs=[A() for _ in range(29)]; a=xs[0]; del xs; a.me=a; a.k=1; print(','.join(type(r).__name__ for r in gc.get_referents(a)), end=' '); del a; print(gc.collect())",
    );
    expect(ours).toBe(py);
    expect(ours).toBe("dict,type 2");
    expectSound(h);
  });
});
