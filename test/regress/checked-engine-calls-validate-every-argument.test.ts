/**
 * Guards checked mode's promise for the engine API ("refheap/core"): every size, index and count
 * argument is validated (INVALID_ARGUMENT) before anything changes, type ids and object kinds too,
 * and the static singletons cannot be over-released — `()` reports REFCOUNT_UNDERFLOW like None
 * and keeps its count, where it used to be freed as a pool block (INVALID_ADDRESS) with the
 * trashcan's nesting counter left one level deep.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

function setup() {
  const h = new core.Engine({ checked: true });
  const C = h.defineClass({ name: "C", fields: [{ name: "a", kind: "any" }] });
  return { h, C };
}

describe("checked engine calls", () => {
  it.each([
    ["newTuple(-1)", (h: core.Engine) => core.newTuple(h, -1)],
    ["newTuple(1.5)", (h: core.Engine) => core.newTuple(h, 1.5)],
    ["newTuple('3')", (h: core.Engine) => core.newTuple(h, "3" as never)],
    ["newList(-5)", (h: core.Engine) => core.newList(h, -5)],
    ["newList(NaN)", (h: core.Engine) => core.newList(h, Number.NaN)],
  ])("%s is INVALID_ARGUMENT, and nothing is allocated or counted", (_, call) => {
    const { h } = setup();
    const before = [JSON.stringify(core.stats(h)), core.gc.getCount(h), Array.from(h.freelists)];
    expect(() => call(h)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect([JSON.stringify(core.stats(h)), core.gc.getCount(h), Array.from(h.freelists)]).toEqual(before);
    expect(core.verify(h).problems).toEqual([]);
  });

  it("indexes must be integers in range", () => {
    const { h, C } = setup();
    const t = core.newTuple(h, 2);
    const o = core.newInstance(h, C.id);
    const l = core.newList(h);
    core.listAppend(h, l, 1, false);
    for (const call of [
      () => core.tupleSetItem(h, t, 0.5, 1, false),
      () => core.tupleSetItem(h, t, 2, 1, false),
      () => core.tupleItemSlot(h, t, 0.5),
      () => core.setField(h, o, 0.5, 1, false),
      () => core.fieldItemSlot(h, o, 1),
      () => core.listItemSlot(h, l, 0.5),
      () => core.listSetItem(h, l, 1, 1, false),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    for (const x of [t, o, l]) core.decref(h, x);
    expect(core.verify(h).problems).toEqual([]);
  });

  it("tupleSetItem refuses a tuple that is shared (PyTuple_SetItem), so no pure tuple cycle can be built", () => {
    const { h } = setup();
    const a = core.newTuple(h, 1);
    const b = core.newTuple(h, 1);
    core.tupleSetItem(h, a, 0, b, true); // a is still only the caller's: fine
    expect(() => core.tupleSetItem(h, b, 0, a, true)).toThrow(/shared \(refcount 2\)/);
    core.decref(h, b);
    core.decref(h, a);
    expect(core.gc.collect(h)).toBe(0);
    expect(core.verify(h).problems).toEqual([]);
  });

  it("newInstance refuses a built-in type id; strValue a non-str; newStr a non-string", () => {
    const { h, C } = setup();
    const l = core.newList(h);
    expect(() => core.newInstance(h, core.Kind.List)).toThrow(/the built-in type 'list' is not a class id/);
    expect(() => core.newInstance(h, 9999)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => core.strValue(h, l)).toThrow(expect.objectContaining({ code: "WRONG_TYPE" }));
    expect(() => core.newStr(h, 3 as never)).toThrow(expect.objectContaining({ code: "WRONG_TYPE" }));
    core.decref(h, l);
    core.decref(h, core.newInstance(h, C.id));
    expect(core.verify(h).problems).toEqual([]);
  });

  it("over-releasing () is REFCOUNT_UNDERFLOW, as for None, and () survives", () => {
    const { h, C } = setup();
    for (const singleton of [core.NONE, core.EMPTY_TUPLE]) {
      const n = core.getrefcount(h, singleton);
      for (let i = 0; i < n - 1; i++) core.decref(h, singleton);
      expect(() => core.decref(h, singleton)).toThrow(
        expect.objectContaining({ code: "REFCOUNT_UNDERFLOW" }),
      );
      expect(core.getrefcount(h, singleton)).toBe(1); // reset, never freed
    }
    expect(h.trashNesting).toBe(0);
    // The heap still works, and a deep chain still goes through the trashcan.
    let head = 0;
    for (let i = 0; i < 1000; i++) {
      const o = core.newInstance(h, C.id);
      if (head !== 0) {
        core.setField(h, o, 0, head, true);
        core.decref(h, head);
      }
      head = o;
    }
    core.decref(h, head);
    expect(h.trashNesting).toBe(0);
    expect(core.verify(h).problems).toEqual([]);
  });
});
