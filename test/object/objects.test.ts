import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { usableSize } from "../../src/memory/index.js";
import { listAllocated, traverse } from "../../src/object/index.js";
import { expectSound } from "../helpers.js";

const h0 = () => new core.Engine({ checked: true });
/** The pymalloc block an object occupies (GC objects include their 8-byte head). */
function blockBytes(h: core.Engine, o: number): number {
  const gc = h.typeKind[core.typeIdOf(h, o)] !== core.Kind.Str;
  return usableSize(h, gc ? o - 8 : o);
}

describe("object sizes (CPython 3.11 blocks in brackets)", () => {
  it("one-reference-field instance: 32 bytes [48]; no fields: 16 [32]", () => {
    const h = h0();
    const One = h.defineClass({ name: "One", fields: [{ name: "other", kind: "ref" }] });
    const None_ = h.defineClass({ name: "Empty" });
    expect(blockBytes(h, core.newInstance(h, One.id))).toBe(32);
    expect(blockBytes(h, core.newInstance(h, None_.id))).toBe(16);
  });

  it("empty list: 32 bytes [64], items stored apart; tuple of n: 24 + 8n rounded to 16 [40 + 8n]", () => {
    const h = h0();
    expect(blockBytes(h, core.newList(h))).toBe(32);
    expect(blockBytes(h, core.newTuple(h, 1))).toBe(32);
    expect(blockBytes(h, core.newTuple(h, 2))).toBe(48);
    expect(blockBytes(h, core.newTuple(h, 3))).toBe(48);
  });

  it("str: 16-byte header plus two bytes per UTF-16 code unit", () => {
    const h = h0();
    expect(blockBytes(h, core.newStr(h, ""))).toBe(16);
    expect(blockBytes(h, core.newStr(h, "abc"))).toBe(32);
  });

  it("list storage grows with CPython's over-allocation: 4, 8, 16, 24, 32, 40, 52, 64, 76", () => {
    const h = h0();
    const l = core.newList(h);
    const caps: number[] = [];
    for (let i = 0; i < 70; i++) {
      core.listAppend(h, l, i, false);
      const cap = listAllocated(h, l);
      if (caps.at(-1) !== cap) caps.push(cap);
    }
    expect(caps).toEqual([4, 8, 16, 24, 32, 40, 52, 64, 76]);
  });
});

describe("values", () => {
  it("round-trip numbers (including NaN, -0 and infinities) and strings (including non-BMP)", () => {
    const h = h0();
    const t = core.newTuple(h, 4);
    for (const [i, n] of [Number.NaN, -0, Number.NEGATIVE_INFINITY, 1e308].entries())
      core.tupleSetItem(h, t, i, n, false);
    expect([0, 1, 2, 3].map((i) => core.slotNumber(h, core.tupleItemSlot(h, t, i)))).toEqual([
      Number.NaN,
      -0,
      Number.NEGATIVE_INFINITY,
      1e308,
    ]);
    expect([0, 1, 2, 3].some((i) => core.slotIsRef(h, core.tupleItemSlot(h, t, i)))).toBe(false);
    const s = "héllo, wörld 🐍 ".repeat(10);
    expect(core.strValue(h, core.newStr(h, s))).toBe(s);
  });

  it("the empty tuple is a shared singleton", () => {
    const h = h0();
    const before = core.getrefcount(h, core.EMPTY_TUPLE);
    const a = core.newTuple(h, 0);
    expect(a).toBe(core.EMPTY_TUPLE);
    expect(core.getrefcount(h, a)).toBe(before + 1);
    core.decref(h, a);
  });
});

describe("dict", () => {
  it("treats 1, 1.0 and True as one key, str keys by content, and tuples by content", () => {
    const h = h0();
    const d = core.newDict(h);
    core.dictSetItem(h, d, 1, false, 10, false);
    core.dictSetItem(h, d, core.TRUE, true, 11, false); // replaces the value of key 1
    expect(core.dictSize(h, d)).toBe(1);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, 1, false))).toBe(11);
    const k1 = core.newStr(h, "key");
    const k2 = core.newStr(h, "key");
    core.dictSetItem(h, d, k1, true, 20, false);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, k2, true))).toBe(20);
    const pair = (a: number, b: number) => {
      const t = core.newTuple(h, 2);
      core.tupleSetItem(h, t, 0, a, false);
      core.tupleSetItem(h, t, 1, b, false);
      return t;
    };
    const nested = (x: number) => {
      const inner = pair(x, 2);
      const outer = core.newTuple(h, 1);
      core.tupleSetItem(h, outer, 0, inner, true);
      core.decref(h, inner);
      return outer;
    };
    const t1 = nested(1);
    core.dictSetItem(h, d, t1, true, 30, false);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, nested(1), true))).toBe(30);
    expect(core.dictGetSlot(h, d, nested(3), true)).toBe(0);
    for (const o of [k1, k2, t1]) core.decref(h, o);
    core.decref(h, d);
    expectSound(h);
  });

  it("rejects unhashable keys with CPython's message", () => {
    const h = h0();
    const d = core.newDict(h);
    const l = core.newList(h);
    expect(() => core.dictSetItem(h, d, l, true, 1, false)).toThrow(/unhashable type: 'list'/);
    expect(core.getrefcount(h, l)).toBe(1);
  });

  it("keeps insertion order through deletions and resizes", () => {
    const h = h0();
    const d = core.newDict(h);
    for (let i = 0; i < 100; i++) core.dictSetItem(h, d, i, false, i * 2, false);
    for (let i = 0; i < 100; i += 3) expect(core.dictDelItem(h, d, i, false)).toBe(true);
    expect(core.dictDelItem(h, d, 0, false)).toBe(false);
    core.dictSetItem(h, d, 0, false, -1, false); // re-inserted: goes last
    const n = traverse(h, d);
    expect(n).toBe(0); // numbers only: no references
    expect(core.dictSize(h, d)).toBe(67);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, 50, false))).toBe(100);
    expectSound(h);
  });

  it("starts untracked and becomes tracked when a container is stored (MAINTAIN_TRACKING)", () => {
    const h = h0();
    const d = core.newDict(h);
    const s = core.newStr(h, "a");
    core.dictSetItem(h, d, s, true, 1, false);
    expect(core.gc.isTracked(h, d)).toBe(false);
    const l = core.newList(h);
    core.dictSetItem(h, d, s, true, l, true);
    expect(core.gc.isTracked(h, d)).toBe(true);
  });
});

describe("traverse (CPython's tp_traverse orders)", () => {
  it("lists last to first; dicts value then key (values only for all-str keys); instances fields, attribute values, then the type", () => {
    const h = h0();
    const a = core.newStr(h, "a");
    const b = core.newStr(h, "b");
    const l = core.newList(h);
    core.listAppend(h, l, a, true);
    core.listAppend(h, l, 5, false);
    core.listAppend(h, l, b, true);
    expect([...h.edges.subarray(0, traverse(h, l))]).toEqual([b, a]);
    const d = core.newDict(h);
    core.dictSetItem(h, d, a, true, b, true);
    core.dictSetItem(h, d, 7, false, a, true);
    expect([...h.edges.subarray(0, traverse(h, d))]).toEqual([b, a, a]);
    const C = h.defineClass({ name: "C", fields: [{ name: "z", kind: "ref" }], dynamic: true });
    const o = core.newInstance(h, C.id);
    core.setField(h, o, 0, l, true);
    core.setAttr(h, o, a, d, true);
    // Attribute names are str keys: CPython's instance values array visits values only.
    expect([...h.edges.subarray(0, traverse(h, o))]).toEqual([l, d, h.typeObject[C.id]]);
    const s = core.newDict(h);
    core.dictSetItem(h, s, a, true, l, true);
    expect([...h.edges.subarray(0, traverse(h, s))]).toEqual([l]);
  });
});
