/**
 * Guards weakref.ref's behaviour when its own allocation starts a collection whose finalizer makes
 * the basic ref to the same object. CPython 3.11's weakref___new__ (the path of `weakref.ref(o)`)
 * looks for an existing basic ref only before allocating, then inserts the new one at the head:
 * the object ends up with two callback-less refs, the newer first, and later `ref(o)` calls return
 * the newer one. (PyWeakref_NewRef, the C API, looks again after allocating; Python code never
 * takes that path.) The expectation is what python3 prints for the same program.
 */
import { expect, it } from "vitest";
import { type Handle, Heap } from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";

it("keeps both basic refs, the new one first, as CPython 3.11 does", async () => {
  const expected = (
    await python(`
import gc, weakref
class T: pass
t = T()
made = []
class F:
    def __del__(self):
        made.append(weakref.ref(t))
def cycle():
    a = F(); b = F(); a.o = b; b.o = a
gc.collect()
cycle()
gc.set_threshold(1)
r = weakref.ref(t)
gc.set_threshold(700)
refs = weakref.getweakrefs(t)
print(len(made), made[0] is made[1], len(refs), refs[0] is r, refs[1] is made[0], weakref.ref(t) is r)
`)
  ).trim();
  const heap = new Heap({ checked: true, leaks: "off" });
  const T = heap.defineClass("T", { weakrefable: true });
  const t = T.new();
  const made: Handle[] = [];
  const F = heap.defineClass("F", { fields: { o: "self" }, finalize: () => made.push(heap.weakref.ref(t)) });
  heap.gc.collect();
  heap.scope(() => {
    const a = F.new();
    const b = F.new();
    a.o = b;
    b.o = a;
  });
  heap.gc.setThreshold(1);
  const r = heap.weakref.ref(t);
  heap.gc.setThreshold(700);
  const refs = heap.weakref.getWeakRefs(t);
  const again = heap.weakref.ref(t);
  const py = (b: boolean) => (b ? "True" : "False");
  const got = [
    made.length,
    py(made[0]!.is(made[1]!)),
    refs.length,
    py(refs[0]!.is(r)),
    py(refs[1]!.is(made[0]!)),
    py(again.is(r)),
  ].join(" ");
  expect(got).toBe(expected);
  for (const h of [...made, ...refs, r, again, t]) h.dispose();
  expect(heap.verify().problems).toEqual([]);
});
