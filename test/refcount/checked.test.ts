/** Checked heaps: every misuse is a typed error with a stable code, and the heap stays sound. */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

function heap() {
  const h = new core.Engine({ checked: true });
  const C = h.defineClass({
    name: "C",
    fields: [
      { name: "n", kind: "number" },
      { name: "r", kind: "ref" },
      { name: "s", kind: "str" },
      { name: "b", kind: "bool" },
    ],
  });
  return { h, C };
}

describe("checked mode", () => {
  it("reports a use after free with the address", () => {
    const { h, C } = heap();
    const a = core.newInstance(h, C.id);
    core.decref(h, a);
    expect(() => core.incref(h, a)).toThrow(core.HeapAccessError);
    expect(() => core.incref(h, a)).toThrow(expect.objectContaining({ code: core.ErrorCode.UseAfterFree }));
    expect(() => core.incref(h, a)).toThrow(new RegExp(`0x${a.toString(16)}.*freed`));
    expectSound(h);
  });

  it("reports a double release as a use after free, not a crash", () => {
    const { h, C } = heap();
    const a = core.newInstance(h, C.id);
    core.decref(h, a);
    expect(() => core.decref(h, a)).toThrow(expect.objectContaining({ code: core.ErrorCode.UseAfterFree }));
    expectSound(h);
  });

  it("reports a refcount underflow on an object being deallocated", () => {
    const h = new core.Engine({ checked: true });
    let err: unknown;
    const F = h.defineClass({
      name: "F",
      finalize: (o) => {
        try {
          core.decref(h, o); // the finalizer owns no reference to its object
        } catch (e) {
          err = e;
        }
      },
    });
    const f = core.newInstance(h, F.id);
    expect(() => core.decref(h, f)).not.toThrow();
    expect(err).toMatchObject({ code: core.ErrorCode.RefcountUnderflow });
  });

  it("rejects addresses that are not objects", () => {
    const { h, C } = heap();
    const a = core.newInstance(h, C.id);
    for (const bad of [0, 3, a + 8, a + 16, 123456789, -8]) {
      expect(() => core.incref(h, bad)).toThrow(
        expect.objectContaining({ code: core.ErrorCode.InvalidAddress }),
      );
    }
    core.decref(h, a);
  });

  it("rejects an object of the wrong type", () => {
    const { h } = heap();
    const d = core.newDict(h);
    expect(() => core.listAppend(h, d, 1, false)).toThrow(core.HeapTypeError);
    expect(() => core.listAppend(h, d, 1, false)).toThrow(/expects a list, got 'dict' object at 0x/);
    core.decref(h, d);
  });

  it("rejects a field value of the wrong kind", () => {
    const { h, C } = heap();
    const a = core.newInstance(h, C.id);
    const l = core.newList(h);
    const idx = (name: string) => C.fieldIndex.get(name)!;
    expect(() => core.setField(h, a, idx("n"), l, true)).toThrow(
      /field 'n' of C holds number values; got 'list'/,
    );
    expect(() => core.setField(h, a, idx("r"), 5, false)).toThrow(
      expect.objectContaining({ code: "WRONG_TYPE" }),
    );
    expect(() => core.setField(h, a, idx("s"), l, true)).toThrow(core.HeapTypeError);
    expect(() => core.setField(h, a, idx("b"), l, true)).toThrow(core.HeapTypeError);
    core.setField(h, a, idx("b"), core.TRUE, true);
    core.setField(h, a, idx("r"), l, true);
    expect(core.getrefcount(h, l)).toBe(2); // the failed stores took no reference
    core.decref(h, l);
    core.decref(h, a);
    expectSound(h);
  });

  it("treats over-releasing None as an error and keeps None alive", () => {
    const h = new core.Engine({ checked: true });
    while (core.getrefcount(h, core.NONE) > 1) core.decref(h, core.NONE);
    expect(() => core.decref(h, core.NONE)).toThrow(expect.objectContaining({ code: "REFCOUNT_UNDERFLOW" }));
    expect(core.getrefcount(h, core.NONE)).toBe(1);
  });

  it("reports an out-of-range index and a missing field", () => {
    const { h, C } = heap();
    const l = core.newList(h);
    core.listAppend(h, l, 1, false);
    expect(() => core.listItemSlot(h, l, 1)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(core.slotNumber(h, core.listItemSlot(h, l, -1))).toBe(1);
    const a = core.newInstance(h, C.id);
    expect(() => core.setField(h, a, 9, 1, false)).toThrow(/C has 4 fields; there is no field 9/);
    core.decref(h, a);
    core.decref(h, l);
  });

  it("unchecked heaps skip the checks (and stay fast)", () => {
    const h = new core.Engine({ checked: false });
    expect(h.checked).toBe(false);
    const l = core.newList(h);
    core.decref(h, l);
  });
});

describe("heap limit", () => {
  it("throws HeapMemoryError at maxBytes and leaves every container usable", () => {
    const h = new core.Engine({ checked: true, maxBytes: 4 * 1024 * 1024 });
    const l = core.newList(h);
    let error: unknown;
    try {
      for (;;) {
        const s = core.newStr(h, "x".repeat(100));
        core.listAppend(h, l, s, true);
        core.decref(h, s);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(core.HeapMemoryError);
    expect(error).toMatchObject({ code: core.ErrorCode.HeapExhausted });
    expectSound(h);
    core.decref(h, l);
    expectSound(h);
    const s = core.newStr(h, "fits again");
    core.decref(h, s);
  });
});
