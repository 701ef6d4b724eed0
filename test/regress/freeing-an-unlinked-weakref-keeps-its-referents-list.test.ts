/**
 * Guards clearWeakref's head update: a proxy that newProxy allocated but never linked (a
 * collection during its allocation made the basic proxy first, so newProxy returns that one and
 * releases its own) has prev 0 without being the head. Releasing it used to set the referent's
 * list head to its next (0), losing every weakref the object had.
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

it("keeps the referent's weakref list when newProxy drops the proxy it lost the race with", () => {
  const h = new core.Engine({ checked: true });
  const C = h.defineClass({ name: "C", dynamic: true, weakrefable: true });
  core.gc.disable(h);
  core.gc.collect(h);
  const o = core.newInstance(h, C.id);
  const made: number[] = [];
  // g is cyclic garbage whose weakref callback makes o's basic proxy during a collection.
  const g = core.newInstance(h, C.id);
  const me = core.newStr(h, "me");
  core.setAttr(h, g, me, g, true);
  core.decref(h, me);
  const rg = core.weakref.newRef(h, g, () => made.push(core.weakref.newProxy(h, o)));
  core.decref(h, g);
  core.gc.setThreshold(h, 1);
  core.gc.enable(h); // the next GC allocation (newProxy's own) runs a collection
  const p = core.weakref.newProxy(h, o);
  core.gc.disable(h);
  expect(made).toHaveLength(1);
  expect(p).toBe(made[0]); // the proxy made during the collection is the basic proxy
  expect(core.weakref.getweakrefcount(h, o)).toBe(1); // was 0: the list head was lost
  expectSound(h);
  for (const x of [p, made[0]!, rg, o]) core.decref(h, x);
  expectSound(h);
});
