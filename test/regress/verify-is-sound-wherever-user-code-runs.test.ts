/**
 * Guards that the heap verifier is correct at every point where user code can run: inside
 * finalizers and weakref callbacks called by a collection (objects then sit on the collector's own
 * lists, with its flags set), by a deallocation (the dying object has refcount 0 and still points
 * at children it is releasing one by one), by the trashcan's deferred objects, and in gc callbacks.
 * Each place calls verify() and records what it reports; nothing may be reported.
 */
import { describe, expect, it } from "vitest";
import { Heap } from "../../src/index.js";

function setup() {
  const heap = new Heap({ checked: true, leaks: "off" });
  const problems: string[][] = [];
  let calls = 0;
  const check = () => {
    calls++;
    const report = heap.verify();
    if (report.problems.length > 0) problems.push(report.problems);
  };
  const Checker = heap.defineClass("Checker", {
    fields: { other: "ref", next: "self" },
    weakrefable: true,
    finalize: check,
  });
  return { heap, problems, check, Checker, calls: () => calls };
}

describe("verify() from user code", () => {
  it("in finalizers and weakref callbacks of a collection, and while it clears the garbage", () => {
    const { heap, problems, check, Checker, calls } = setup();
    const Dyn = heap.defineClass("Dyn", { dynamic: true });
    heap.gc.disable();
    heap.gc.callbacks.push(check);
    const refs = heap.scope((s) => {
      const a = Checker.new();
      const b = Checker.new();
      a.other = b;
      b.other = a;
      // A list in the cycle: clearing it releases a Checker that only the list holds.
      const l = heap.list([Checker.new()]);
      a.next = Checker.new();
      a.next.other = l;
      l.append(a);
      // An instance whose attributes the collector clears (its table detached, then released).
      const d = Dyn.new();
      d.setAttr("x", Checker.new());
      d.setAttr("self", d);
      l.append(d);
      return [s.escape(heap.weakref.ref(a, check)), s.escape(heap.weakref.ref(b, check))];
    });
    heap.gc.collect();
    expect(calls()).toBeGreaterThan(6);
    expect(problems).toEqual([]);
    for (const r of refs) r.dispose();
    expect(heap.verify().problems).toEqual([]);
  });

  it("in finalizers and callbacks run by a deallocation, a dying list, and the trashcan", () => {
    const { heap, problems, check, Checker, calls } = setup();
    const Dyn = heap.defineClass("Dyn", { dynamic: true });
    const refs = heap.scope((s) => {
      // A chain long enough for the trashcan, each node watched by a weakref with a callback.
      const nodes = Array.from({ length: 120 }, () => Checker.new());
      for (let i = 0; i < nodes.length - 1; i++) nodes[i]!.next = nodes[i + 1]!;
      const kept = nodes.map((n) => s.escape(heap.weakref.ref(n, check)));
      // A list whose items die as it releases them, last first.
      const l = heap.list([Checker.new(), Checker.new(), Checker.new()]);
      nodes[0]!.other = l;
      // A dict and an instance's attribute table releasing their entries (the table detached).
      l.append(heap.dict({ a: Checker.new(), b: Checker.new() }));
      const d = Dyn.new();
      for (const name of ["x", "y"]) {
        const c = Checker.new();
        d.setAttr(name, c);
        c.dispose(); // only d's table holds it: it dies while the table is being released
      }
      l.append(d);
      return kept;
    });
    expect(calls()).toBeGreaterThan(200);
    expect(problems).toEqual([]);
    for (const r of refs) r.dispose();
    expect(heap.verify().problems).toEqual([]);
  });
});
