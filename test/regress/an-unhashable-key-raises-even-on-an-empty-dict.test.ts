/**
 * CPython hashes a key before it looks in a dict, so `[] in {}`, `{}.get([])` and `del {}[[]]`
 * raise TypeError even though the dict is empty; `{}.pop([])` is the exception (_PyDict_Pop
 * answers KeyError for an empty dict before hashing). refheap's lookups returned early for a dict
 * without a table, so a WeakSet's `has` of a list subclass's instance answered false where
 * CPython raises (found by the oracle's fuzz, seed 3003).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

describe("an unhashable key raises even on an empty dict", () => {
  it("dictGetSlot and dictDelItem hash first; dictPop answers for an empty dict without hashing", () => {
    const h = new core.Engine({ checked: true });
    const d = core.newDict(h);
    const l = core.newList(h);
    expect(() => core.dictGetSlot(h, d, l, true)).toThrow(/unhashable type: 'list'/);
    expect(() => core.dictDelItem(h, d, l, true)).toThrow(/unhashable type: 'list'/);
    expect(core.dictPop(h, d, l, true)).toBe(null);
    // emptied, with its table still allocated: pop still answers without hashing
    const k = core.newStr(h, "a");
    core.dictSetItem(h, d, k, true, 1, false);
    core.dictDelItem(h, d, k, true);
    expect(core.dictPop(h, d, l, true)).toBe(null);
    expect(() => core.dictGetSlot(h, d, l, true)).toThrow(/unhashable type: 'list'/);
    for (const o of [k, l, d]) core.decref(h, o);
    expectSound(h);
  });

  it("a WeakSet's has() of a weakrefable but unhashable object raises, as `x in ws` does", () => {
    const h = new core.Engine({ checked: true });
    const L = h.defineClass({ name: "L", base: core.Kind.List, dynamic: true, weakrefable: true });
    const o = core.newInstance(h, L.id);
    const wr = core.weakref.newRef(h, o);
    const d = core.newDict(h);
    // WeakSet.data is empty: `ref(o) in data` still hashes ref(o), i.e. hash(o)
    expect(() => core.dictGetSlot(h, d, wr, true)).toThrow(/unhashable type: 'L'/);
    for (const x of [d, wr, o]) core.decref(h, x);
    expectSound(h);
  });
});
