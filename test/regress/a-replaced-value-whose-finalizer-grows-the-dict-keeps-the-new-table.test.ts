/**
 * Regression: `d[k] = v` replacing a value whose release runs a finalizer that grows the same
 * dict (a resize: a new table, the old one freed). The store must leave the dict with the new
 * table; writing back the table it read before the release pointed the dict at freed memory, and
 * the next lookup probed garbage forever (found by `refheap fuzz --count 10000 --seed 2027`, in a
 * scenario whose callback rebinds names in the runner's globals dict).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

describe.each([true, false])("a replaced value's finalizer that grows the dict (checked %s)", (checked) => {
  it("keeps the dict's new table: every key is found and the heap is sound", () => {
    const h = new core.Engine({ checked });
    const d = core.newDict(h);
    const keys = Array.from({ length: 40 }, (_, i) => core.newStr(h, `name${i}`));
    const X = h.defineClass({
      name: "X",
      finalize: () => {
        for (let i = 1; i < keys.length; i++) core.dictSetItem(h, d, keys[i]!, true, i, false);
      },
    });
    const x = core.newInstance(h, X.id);
    core.dictSetItem(h, d, keys[0]!, true, x, true);
    core.decref(h, x);
    core.dictSetItem(h, d, keys[0]!, true, 0, false); // releases x: its finalizer adds 39 keys
    expect(core.dictSize(h, d)).toBe(40);
    for (let i = 0; i < keys.length; i++) {
      const p = core.dictGetSlot(h, d, keys[i]!, true);
      expect(p).not.toBe(0);
      expect(core.slotNumber(h, p)).toBe(i);
    }
    expectSound(h);
    for (const k of keys) core.decref(h, k);
    core.decref(h, d);
    expectSound(h);
  });
});
