/**
 * `class B(weakref.ref)`, `b = B(a)`, `b.x = a`, then `a` and `b` lose their other names: b's
 * deallocation releases its attributes first (subtype_dealloc), which frees `a`, whose weakrefs
 * are cleared while b, one of them, is being deallocated. CPython 3.11 and 3.12 crash there (a
 * segfault, found by the oracle's fuzz, seed 2040, where python3 died); 3.13 clears b from a's list
 * and runs the other weakrefs' callbacks. refheap must do as 3.13 does and keep the heap sound.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

describe("a ref subclass's instance holding its own referent dies cleanly", () => {
  it.each([true, false])(
    "clears itself from the referent's list and runs the other callbacks (checked %s)",
    (checked) => {
      const h = new core.Engine({ checked });
      const A = h.defineClass({ name: "A", dynamic: true, weakrefable: true });
      const B = h.defineClass({ name: "B", base: core.Kind.Weakref, dynamic: true, weakrefable: true });
      const a = core.newInstance(h, A.id);
      const b = core.weakref.newRef(h, a, null, B.id);
      const seen: number[] = [];
      const w = core.weakref.newRef(h, a, (wr) => seen.push(wr));
      const others = [core.weakref.newRef(h, a, null, B.id), core.weakref.newRef(h, a, null, B.id)];
      const name = core.newStr(h, "x");
      core.setAttr(h, b, name, a, true); // b.x = a
      core.decref(h, name);
      core.decref(h, a); // del a: b.x holds it now
      expect(core.weakref.getweakrefcount(h, a)).toBe(4);
      core.decref(h, b); // del b: frees a from inside b's deallocation
      expect(seen).toEqual([w]);
      for (const o of others) expect(core.weakref.weakrefGet(h, o)).toBe(core.NONE);
      for (const o of [w, ...others]) core.decref(h, o);
      expectSound(h);
    },
  );
});
