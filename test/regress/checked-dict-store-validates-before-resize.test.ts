/**
 * A checked dict (or attribute) store that needed a bigger table used to resize first (freeing
 * the old table) and validate the value afterwards: a bad value then left the dict pointing at
 * freed memory. Everything must be validated before the first change.
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

it("rejects a bad value on a full table and leaves the dict intact", () => {
  const h = new core.Engine({ checked: true });
  const d = core.newDict(h);
  for (let i = 0; i < 5; i++) core.dictSetItem(h, d, i, false, i, false); // a table of 8 holds 5
  const freed = core.newList(h);
  core.decref(h, freed);
  expect(() => core.dictSetItem(h, d, 99, false, freed, true)).toThrow(
    expect.objectContaining({ code: core.ErrorCode.UseAfterFree }),
  );
  expectSound(h);
  core.dictSetItem(h, d, 99, false, 1, false); // the dict still works
  expect(core.dictSize(h, d)).toBe(6);
  core.decref(h, d);
  expectSound(h);
});
