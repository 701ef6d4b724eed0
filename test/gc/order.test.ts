/**
 * Orders the collector makes observable (gc_collect_main in Modules/gcmodule.c: the merge,
 * move_unreachable, finalize_garbage, delete_garbage, the callbacks): finalization order across generations and after move-back
 * reordering, finalizers that free other garbage, deallocation order in delete_garbage, and work
 * done by callbacks and finalizers in the middle of a collection.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";
import { attrSlot, drop, newHeap, objects, python, setAttr, settle, str } from "./gc-helpers.js";

/** A settled heap with a dynamic class D whose finalizer records attribute n (a str). */
function namedFinalizers(extra?: (h: core.Engine, o: number) => void) {
  const h = newHeap();
  const order: string[] = [];
  const D = h.defineClass({
    name: "D",
    dynamic: true,
    finalize: (o) => {
      order.push(core.strValue(h, core.slotRef(h, attrSlot(h, o, "n"))));
      extra?.(h, o);
    },
  });
  settle(h);
  const d = (n: string): number => {
    const o = core.newInstance(h, D.id);
    const s = str(h, n);
    setAttr(h, o, "n", s);
    drop(h, s);
    return o;
  };
  return { h, order, D, d };
}

describe("finalization order", () => {
  it("#48: a full collection scans generation 2, then 0, then 1 (a c b)", async () => {
    const { h, order, d } = namedFinalizers();
    const a = d("a");
    core.gc.collect(h);
    const b = d("b");
    core.gc.collect(h, 0);
    const c = d("c");
    setAttr(h, a, "x", b);
    setAttr(h, b, "x", c);
    setAttr(h, c, "x", a);
    drop(h, a, b, c);
    const n = core.gc.collect(h);
    expect(`${order.join(" ")} ${n}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); D=type('D',(),{'__del__':lambda s: print(s.n, end=' ')}); a=D(); a.n='a'; gc.collect(); b=D(); b.n='b'; gc.collect(0); c=D(); c.n='c'; a.x=b; b.x=c; c.x=a; del a, b, c; print(gc.collect())",
      ),
    );
    expect(order).toEqual(["a", "c", "b"]);
    expectSound(h);
  });

  it("a generation-1 collection scans generation 1, then 0", () => {
    const { h, order, d } = namedFinalizers();
    const young = d("young");
    const old = d("old");
    core.gc.collect(h, 0); // both to generation 1, in creation order
    const newest = d("newest");
    setAttr(h, young, "x", old);
    setAttr(h, old, "x", newest);
    setAttr(h, newest, "x", young);
    drop(h, young, old, newest);
    expect(core.gc.collect(h, 1)).toBe(3);
    expect(order).toEqual(["young", "old", "newest"]);
    expectSound(h);
  });

  it("#47: the move-back order persists and decides finalization order in a later collection (r q p)", async () => {
    const { h, order, d } = namedFinalizers();
    const p = d("p");
    const q = d("q");
    const r = d("r");
    const holder = core.newList(h);
    core.listAppend(h, holder, r, true);
    setAttr(h, r, "x", q);
    setAttr(h, q, "x", p);
    drop(h, p, q, r);
    core.gc.collect(h, 0); // generation 1 is now [holder, r, q, p]
    setAttr(h, p, "x", r); // close the cycle, then drop the holder
    drop(h, holder);
    const n = core.gc.collect(h, 1);
    expect(`${order.join(" ")} ${n}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); N=type('N',(),{'__del__':lambda s: print(s.n, end=' ')}); p=N(); p.n='p'; q=N(); q.n='q'; r=N(); r.n='r'; h=[r]; r.x=q; q.x=p; del p, q, r; gc.collect(0); h[0].x.x.x=h[0]; del h; print(gc.collect(1))",
      ),
    );
    expect(order).toEqual(["r", "q", "p"]);
    expectSound(h);
  });

  it("a finalizer that drops the last reference to later garbage finalizes it on the spot, uncounted", async () => {
    // A's finalizer deletes a.c: C dies by refcounting (its finalizer runs from deallocation)
    // before the collector reaches it; B follows. Only A and B are counted.
    const run = (cFirst: boolean) => {
      const { h, order, d } = namedFinalizers((h, o) => {
        const c = str(h, "c");
        if (core.getAttrSlot(h, o, c) !== 0) core.delAttr(h, o, c);
        drop(h, c);
      });
      const c0 = cFirst ? d("C") : 0;
      const a = d("A");
      const b = d("B");
      const c = cFirst ? c0 : d("C");
      setAttr(h, a, "o", b);
      setAttr(h, b, "o", a);
      setAttr(h, a, "c", c);
      drop(h, a, b, c);
      const n = core.gc.collect(h);
      expectSound(h);
      return `${order.map((s) => `del ${s}`).join("\n")}\n${n}`;
    };
    const script = (cFirst: boolean) =>
      `import gc; gc.disable(); gc.collect()\ndef f(s):\n    print('del', s.n)\n    if hasattr(s, 'c'): del s.c\nD=type('D',(),{'__del__':f})\n${cFirst ? "c=D(); c.n='C'; a=D(); a.n='A'; b=D(); b.n='B'" : "a=D(); a.n='A'; b=D(); b.n='B'; c=D(); c.n='C'"}; a.o=b; b.o=a; a.c=c; del a, b, c; print(gc.collect())`;
    expect(run(false)).toBe(await python(script(false)));
    expect(run(false)).toBe("del A\ndel C\ndel B\n2");
    expect(run(true)).toBe(await python(script(true)));
    expect(run(true)).toBe("del C\ndel A\ndel B\n2");
  });
});

describe("delete_garbage", () => {
  it("clears the head first: in a 2-cycle the second object is freed during the first one's clear", () => {
    // Deallocation order, seen through a host field released by each object's deallocation.
    const h = newHeap();
    const H = h.defineClass({
      name: "H",
      fields: [
        { name: "id", kind: "host" },
        { name: "other", kind: "ref" },
      ],
    });
    settle(h);
    const freed: number[] = [];
    h.hostRelease = (o) => freed.push(o);
    const a = core.newInstance(h, H.id);
    const b = core.newInstance(h, H.id);
    core.setField(h, a, 0, 1, false);
    core.setField(h, b, 0, 2, false);
    core.setField(h, a, 1, b, true);
    core.setField(h, b, 1, a, true);
    drop(h, a, b);
    expect(core.gc.collect(h)).toBe(2);
    expect(freed).toEqual([b, a]);
    expectSound(h);
  });

  it("a 20 001-object cycle is freed through the trashcan without deep recursion", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", fields: [{ name: "n", kind: "ref" }] });
    settle(h);
    const first = core.newInstance(h, A.id);
    let x = first;
    for (let i = 0; i < 20_000; i++) {
      const y = core.newInstance(h, A.id);
      core.setField(h, x, 0, y, true);
      if (x !== first) drop(h, x);
      x = y;
    }
    core.setField(h, x, 0, first, true);
    drop(h, x, first);
    expect(String(core.gc.collect(h))).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); A=type('A',(),{})\nfirst=A(); x=first\nfor i in range(20000):\n    y=A(); x.n=y; x=y\nx.n=first; del x, y, first; print(gc.collect())",
      ),
    );
    expect(objects(h).filter((o) => core.typeIdOf(h, o) === A.id)).toEqual([]);
    expectSound(h);
  });

  it("a legacy-finalizer object freed by refcounting while others are deleted is no longer uncollectable", async () => {
    // y → y and y → u, where u has a legacy finalizer: u is set aside (uncollectable), but
    // clearing y drops u's last reference, so u dies (running its tp_del) and n counts 0.
    const h = newHeap();
    const calls: string[] = [];
    const U = h.defineClass({ name: "U", legacyFinalize: () => calls.push("tp_del") });
    const A = h.defineClass({ name: "A", dynamic: true });
    settle(h);
    const y = core.newInstance(h, A.id);
    setAttr(h, y, "me", y);
    const u = core.newInstance(h, U.id);
    setAttr(h, y, "u", u);
    drop(h, u, y);
    const stops: core.GcCallbackInfo[] = [];
    h.gcCallbacks.push((phase, info) => {
      if (phase === "stop") stops.push(info);
    });
    const n = core.gc.collect(h);
    const s = core.gc.getStats(h)[2]!;
    const ours = `${n} [${calls.map((c) => `'${c}'`).join(", ")}] [] {'collections': ${s.collections}, 'collected': ${s.collected}, 'uncollectable': ${s.uncollectable}}`;
    expect(core.listSize(h, h.garbage)).toBe(0);
    expect(ours).toBe(
      await python(
        "import gc, _testcapi; gc.disable(); gc.collect(); L=[]; U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':lambda s: L.append('tp_del')})); A=type('A',(),{}); y=A(); y.me=y; y.u=U(); del y; print(gc.collect(), L, gc.garbage, gc.get_stats()[2])",
      ),
    );
    expect(stops).toEqual([{ generation: 2, collected: 1, uncollectable: 0 }]);
    expectSound(h);
  });
});

describe("work done by callbacks in the middle of a collection", () => {
  it("garbage made by a start callback is collected by the collection that follows", async () => {
    const h = newHeap();
    settle(h);
    h.gcCallbacks.push((phase) => {
      if (phase !== "start") return;
      const a = core.newList(h);
      core.listAppend(h, a, a, true);
      drop(h, a);
    });
    expect(String(core.gc.collect(h))).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); gc.callbacks.append(lambda p,i: (lambda a: a.append(a))([]) if p=='start' else None); print(gc.collect())",
      ),
    );
    expectSound(h);
  });

  it("callbacks run in list order, start before and stop after every finalizer", () => {
    const { h, order, d } = namedFinalizers();
    h.gcCallbacks.push((phase) => order.push(`1 ${phase}`));
    h.gcCallbacks.push((phase) => order.push(`2 ${phase}`));
    const a = d("a");
    setAttr(h, a, "me", a);
    drop(h, a);
    core.gc.collect(h);
    expect(order).toEqual(["1 start", "2 start", "a", "1 stop", "2 stop"]);
    expectSound(h);
  });
});
