/**
 * Guards the rule that no code keeps a typed-array view across an allocation: a finalizer that
 * allocates enough to make the heap replace its ArrayBuffer, while a list of such objects is
 * being deallocated, must leave every object intact and the heap sound.
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

it("survives the buffer being replaced by allocations inside finalizers during a deallocation", () => {
  const h = new core.Engine({ checked: true });
  const keep = core.newList(h);
  const seen: number[] = [];
  const F = h.defineClass({
    name: "F",
    fields: [{ name: "n", kind: "number" }],
    finalize: (o) => {
      seen.push(core.slotNumber(h, core.fieldItemSlot(h, o, 0)));
      for (let i = 0; i < 3000; i++) {
        const s = core.newStr(h, "x".repeat(200)); // about 3 MiB per finalizer in all
        core.listAppend(h, keep, s, true);
        core.decref(h, s);
      }
    },
  });
  const l = core.newList(h);
  for (let i = 0; i < 8; i++) {
    const f = core.newInstance(h, F.id);
    core.setField(h, f, 0, i, false);
    core.listAppend(h, l, f, true);
    core.decref(h, f);
  }
  const bufferBefore = h.buffer;
  core.decref(h, l);
  expect(h.buffer).not.toBe(bufferBefore); // the heap did grow mid-deallocation
  expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
  expectSound(h);
  core.decref(h, keep);
  expectSound(h);
});
