/**
 * Regression: gc.get_objects(True) is gc.get_objects(1) in CPython (a bool is an int), as
 * gc.collect(True) already is in refheap (gc_get_objects_impl in Modules/gcmodule.c takes an
 * integer or None).
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";
import { drop, newHeap, objects, python, settle } from "./gc-helpers.js";

it("get_objects(true) lists generation 1, as CPython's get_objects(True) does", async () => {
  const h = newHeap();
  settle(h);
  const a = core.newList(h);
  core.gc.collect(h, 0); // a → generation 1
  expect(objects(h, true)).toEqual(objects(h, 1));
  expect(objects(h, 1)).toEqual([a]);
  expect(
    await python(
      "import gc; gc.disable(); gc.collect(); a=[]; gc.collect(0); print(a in gc.get_objects(True), gc.get_objects(True) == gc.get_objects(1))",
    ),
  ).toBe("True True");
  drop(h, a);
  expectSound(h);
});
