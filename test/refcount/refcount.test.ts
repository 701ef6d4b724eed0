import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { appendOwned, blocksInUse, expectSound, recordingHeap } from "../helpers.js";

describe("reference counts", () => {
  it("start at 1, follow incref/decref, and sys.getrefcount adds the argument's own reference", () => {
    const h = new core.Engine({ checked: true });
    const C = h.defineClass({ name: "C" });
    const a = core.newInstance(h, C.id);
    expect(core.getrefcount(h, a)).toBe(1);
    expect(core.sysGetrefcount(h, a)).toBe(2); // Python: a = C(); sys.getrefcount(a) → 2
    const l = core.newList(h);
    core.listAppend(h, l, a, true);
    expect(core.sysGetrefcount(h, a)).toBe(3);
    core.decref(h, l);
    expect(core.sysGetrefcount(h, a)).toBe(2);
    core.decref(h, a);
    expectSound(h);
  });

  it("instances hold a reference to their class's type object", () => {
    const h = new core.Engine({ checked: true });
    const C = h.defineClass({ name: "C" });
    const a = core.newInstance(h, C.id);
    const b = core.newInstance(h, C.id);
    const typeObj = h.typeObject[C.id]!;
    expect(core.getrefcount(h, typeObj)).toBe(3); // the type table's, a's and b's
    core.decref(h, a);
    core.decref(h, b);
    expect(core.getrefcount(h, typeObj)).toBe(1);
  });

  it("None, True and False are objects whose counts move when stored", () => {
    const h = new core.Engine({ checked: true });
    const before = core.getrefcount(h, core.NONE);
    const l = core.newList(h);
    core.listAppend(h, l, core.NONE, true);
    core.listAppend(h, l, core.TRUE, true);
    expect(core.getrefcount(h, core.NONE)).toBe(before + 1);
    core.decref(h, l);
    expect(core.getrefcount(h, core.NONE)).toBe(before);
  });

  it("numbers are stored inline and never allocate", () => {
    const h = new core.Engine({ checked: true });
    const l = core.newList(h, 8);
    const used = blocksInUse(h);
    for (const n of [1, -0, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])
      core.listAppend(h, l, n, false);
    expect(blocksInUse(h)).toBe(used);
    const values = [0, 1, 2, 3, 4, 5].map((i) => core.slotNumber(h, core.listItemSlot(h, l, i)));
    expect(values).toEqual([1, -0, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]);
    expect(core.slotIsRef(h, core.listItemSlot(h, l, 3))).toBe(false);
  });

  it("frees an object the moment its count reaches zero and reuses its block LIFO", () => {
    const h = new core.Engine({ checked: true });
    const C = h.defineClass({ name: "C" });
    const a = core.newInstance(h, C.id);
    core.decref(h, a);
    expect(() => core.getrefcount(h, a)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    const b = core.newInstance(h, C.id);
    expect(b).toBe(a); // pymalloc hands back the most recently freed block
    expect(core.reuseTagOf(h, b)).not.toBe(0);
  });
});

describe("listAppendSteal", () => {
  it("takes over the caller's reference instead of adding one", () => {
    const h = new core.Engine({ checked: true });
    const C = h.defineClass({ name: "C" });
    const l = core.newList(h);
    const a = core.newInstance(h, C.id);
    core.listAppendSteal(h, l, a);
    expect(core.getrefcount(h, a)).toBe(1);
    expectSound(h);
    core.decref(h, l);
    expect(() => core.getrefcount(h, a)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    expectSound(h);
  });
});

describe("finalizers on refcount death", () => {
  it("run once, before the children are released (a parent's finalizer sees its fields)", () => {
    const { h, order, x } = recordingHeap();
    const parent = x("parent");
    const l = core.newList(h);
    appendOwned(h, l, parent);
    core.decref(h, l);
    expect(order).toEqual(["parent"]);
    expectSound(h);
  });

  it("can resurrect the object; it then stays alive, tracked, and is never finalized again", () => {
    const h = new core.Engine({ checked: true });
    const saved = core.newList(h);
    let calls = 0;
    const R = h.defineClass({
      name: "R",
      finalize: (o) => {
        calls++;
        core.listAppend(h, saved, o, true); // store a new reference: resurrection
      },
    });
    const r = core.newInstance(h, R.id);
    core.decref(h, r);
    expect(calls).toBe(1);
    expect(core.getrefcount(h, r)).toBe(1);
    expect(core.gc.isTracked(h, r)).toBe(true);
    expect(core.gc.isFinalized(h, r)).toBe(true);
    expectSound(h);
    core.listClear(h, saved); // second death: no second finalizer call, object freed
    expect(calls).toBe(1);
    expect(() => core.getrefcount(h, r)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    core.decref(h, saved);
    expectSound(h);
  });

  it("report an exception through the unraisable hook and still free the object", () => {
    const h = new core.Engine({ checked: true });
    const reports: string[] = [];
    h.unraisableHook = (error, where) => reports.push(`${where}: ${(error as Error).message}`);
    const D = h.defineClass({
      name: "D",
      finalize: () => {
        throw new Error("division by zero");
      },
    });
    const d = core.newInstance(h, D.id);
    core.decref(h, d);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^<finalizer of 'D' object at 0x[0-9a-f]+>: division by zero$/);
    expect(() => core.getrefcount(h, d)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    expectSound(h);
  });
});

describe("deep structures free without recursion", () => {
  it("releases a 10-million-long chain of instances", () => {
    const h = new core.Engine();
    const N = h.defineClass({ name: "N", fields: [{ name: "next", kind: "ref" }] });
    let head = core.newInstance(h, N.id);
    for (let i = 1; i < 10_000_000; i++) {
      const n = core.newInstance(h, N.id);
      core.setField(h, n, 0, head, true);
      core.decref(h, head);
      head = n;
    }
    // + gc.garbage (a list the heap owns); the type object (40 bytes) is in another size class
    expect(core.stats(h).sizeClasses[0]!.blocksInUse).toBe(10_000_001);
    core.decref(h, head);
    expect(core.stats(h).sizeClasses[0]!.blocksInUse).toBe(1);
    expect(h.trashLater).toBe(0);
    expect(h.trashNesting).toBe(0);
  });

  it("releases 10 million nested lists", () => {
    const h = new core.Engine();
    let l = core.newList(h);
    for (let i = 1; i < 10_000_000; i++) {
      const outer = core.newList(h, 1);
      core.listAppend(h, outer, l, true);
      core.decref(h, l);
      l = outer;
    }
    core.decref(h, l);
    // Only gc.garbage (an empty list the heap owns) remains.
    expect(core.stats(h).sizeClasses.reduce((n, c) => n + c.blocksInUse, 0)).toBe(1);
  });
});
