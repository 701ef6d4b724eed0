/**
 * What a collection finds and where everything goes afterwards (gc_collect_main in
 * Modules/gcmodule.c: deduce_unreachable, delete_garbage, the survivors' generation, and the
 * tuple and dict tracking rules).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";
import {
  dictSetStr,
  drop,
  newHeap,
  num,
  objects,
  python,
  ref,
  setAttr,
  settle,
  str,
  tupleOf,
} from "./gc-helpers.js";

/** A settled heap with a dynamic class A (CPython's `type('A', (), {})`). */
function heapWithA() {
  const h = newHeap();
  const A = h.defineClass({ name: "A", dynamic: true });
  settle(h);
  return { h, A };
}

describe("cycles: how many objects a collection reports", () => {
  it("#1: a list containing itself → 1", () => {
    const h = newHeap();
    settle(h);
    const a = core.newList(h);
    core.listAppend(h, a, a, true);
    drop(h, a);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#2: a dict holding itself → 1", () => {
    const h = newHeap();
    settle(h);
    const d = core.newDict(h);
    dictSetStr(h, d, "d", d);
    expect(core.gc.isTracked(h, d)).toBe(true);
    drop(h, d);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#3: a list and a tuple holding each other → 2", () => {
    const h = newHeap();
    settle(h);
    const l = core.newList(h);
    const t = tupleOf(h, ref(l));
    core.listAppend(h, l, t, true);
    drop(h, l, t);
    expect(core.gc.collect(h)).toBe(2);
    expectSound(h);
  });

  it("#4: an instance whose attribute refers to itself → 1 (no separate attribute dict)", () => {
    const { h, A } = heapWithA();
    const a = core.newInstance(h, A.id);
    setAttr(h, a, "me", a);
    drop(h, a);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#6: an instance whose declared field (a __slots__ slot) refers to itself → 1", () => {
    const h = newHeap();
    const S = h.defineClass({ name: "S", fields: [{ name: "other", kind: "ref" }] });
    settle(h);
    const s = core.newInstance(h, S.id);
    core.setField(h, s, 0, s, true);
    drop(h, s);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#7: an instance cycle holding a list and a dict holding a list → 4", () => {
    const { h, A } = heapWithA();
    const a = core.newInstance(h, A.id);
    setAttr(h, a, "me", a);
    const x = core.newList(h);
    setAttr(h, a, "x", x);
    const y = core.newDict(h);
    const inner = core.newList(h);
    core.listAppend(h, inner, 1, false);
    dictSetStr(h, y, "k", inner);
    setAttr(h, a, "y", y);
    drop(h, x, y, inner, a);
    expect(core.gc.collect(h)).toBe(4);
    expectSound(h);
  });

  it("does not count non-GC objects or older-generation objects freed as a side effect", async () => {
    const { h, A } = heapWithA();
    const x = core.newInstance(h, A.id);
    core.gc.collect(h); // x is now in generation 2
    const a = core.newInstance(h, A.id);
    setAttr(h, a, "me", a);
    setAttr(h, a, "x", x);
    const s = str(h, "str5");
    setAttr(h, a, "s", s);
    drop(h, x, s, a);
    expect(core.gc.collect(h, 0)).toBe(1); // x and the str die too, uncounted
    expect(objects(h).filter((o) => core.typeIdOf(h, o) === A.id)).toEqual([]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); A=type('A',(),{}); x=A(); gc.collect(); a=A(); a.me=a; a.x=x; a.s='str'+str(5); del x, a; print(gc.collect(0))",
      ),
    ).toBe("1");
    expectSound(h);
  });

  it("a young object referenced from garbage in an older generation survives until that generation is collected", async () => {
    const { h, A } = heapWithA();
    const o = core.newInstance(h, A.id);
    core.gc.collect(h);
    const y = core.newInstance(h, A.id);
    setAttr(h, o, "y", y);
    setAttr(h, y, "o", o);
    drop(h, o, y);
    const ours = [0, 1, 2].map((g) => core.gc.collect(h, g)).join(" ");
    expect(ours).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); A=type('A',(),{}); o=A(); gc.collect(); y=A(); o.y=y; y.o=o; del o, y; print(gc.collect(0), gc.collect(1), gc.collect(2))",
      ),
    );
    expect(ours).toBe("0 0 2");
    expectSound(h);
  });

  it("counts objects that tp_clear cannot free; they stay alive in the old generation (delete_garbage)", () => {
    // Tuples have no clear: a cycle of tuples cannot be broken by the collector. It is counted
    // (m is taken before clearing) and then moved to the old generation. PyTuple_SetItem fills a
    // tuple only while its creator holds the only reference, so the one cycle it can build is a
    // tuple holding itself (t[0] = t while t's count is 1).
    const h = newHeap();
    settle(h);
    const t1 = core.newTuple(h, 1);
    core.tupleSetItem(h, t1, 0, t1, true);
    core.incref(h, t1); // a reference kept by the test, to break the cycle at the end
    drop(h, t1);
    // t1's extra reference comes from outside: nothing is garbage yet.
    expect(core.gc.collect(h)).toBe(0);
    core.decref(h, t1);
    expect(core.gc.collect(h, 0)).toBe(0); // already in generation 2
    expect(core.gc.collect(h)).toBe(1);
    expect(core.getrefcount(h, t1)).toBe(1);
    expect(core.gc.isTracked(h, t1)).toBe(true);
    expect(objects(h, 2)).toEqual(expect.arrayContaining([t1]));
    expect(core.gc.collect(h)).toBe(1); // and again: still unreachable, still unbreakable
    // Nothing can break it now: it stays, sound and unreachable, as it would in CPython.
    expect(core.verify(h).unreachable).toEqual([t1]);
    expectSound(h);
  });
});

describe("where survivors go", () => {
  it("survivors of generation g join g + 1; a full collection keeps them in 2", () => {
    const { h, A } = heapWithA();
    const a = core.newInstance(h, A.id);
    expect(objects(h, 0)).toEqual([a]);
    core.gc.collect(h, 0);
    expect(objects(h, 0)).toEqual([]);
    expect(objects(h, 1)).toEqual([a]);
    core.gc.collect(h, 1);
    expect(objects(h, 1)).toEqual([]);
    expect(objects(h, 2)).toContain(a);
    core.gc.collect(h);
    expect(objects(h, 2)).toContain(a);
    drop(h, a);
    expectSound(h);
  });

  it("a collection scans [older][gen 0][gen 1]: generation 2 ends up in that order (as CPython's get_objects shows)", async () => {
    const h = newHeap();
    const D = h.defineClass({ name: "D", fields: [{ name: "n", kind: "str" }] });
    settle(h);
    const named = (n: string) => {
      const o = core.newInstance(h, D.id);
      const s = str(h, n);
      core.setField(h, o, 0, s, true);
      drop(h, s);
      return o;
    };
    const names = (gen: number | null) =>
      objects(h, gen)
        .filter((o) => core.typeIdOf(h, o) === D.id)
        .map((o) => core.strValue(h, core.slotRef(h, core.fieldItemSlot(h, o, 0))));
    const a = named("a");
    core.gc.collect(h);
    const b = named("b");
    core.gc.collect(h, 0);
    const c = named("c");
    const lines = [names(null)];
    core.gc.collect(h);
    lines.push(names(2));
    const d = named("d");
    core.gc.collect(h, 0);
    lines.push(names(1));
    core.gc.collect(h, 1);
    lines.push(names(2));
    const ours = lines.map((l) => `[${l.map((n) => `'${n}'`).join(", ")}]`).join("\n");
    expect(ours).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); D=type('D',(),{}); a=D(); a.n='a'; gc.collect(); b=D(); b.n='b'; gc.collect(0); c=D(); c.n='c'; print([o.n for o in gc.get_objects() if type(o) is D]); gc.collect(); print([o.n for o in gc.get_objects(2) if type(o) is D])\nd=D(); d.n='d'; gc.collect(0); print([o.n for o in gc.get_objects(1) if type(o) is D]); gc.collect(1); print([o.n for o in gc.get_objects(2) if type(o) is D])",
      ),
    );
    drop(h, a, b, c, d);
    expectSound(h);
  });

  it("#47: objects moved back from the tentatively-unreachable list are re-appended in discovery order (r, q, p)", async () => {
    const h = newHeap();
    const N = h.defineClass({ name: "N", dynamic: true });
    settle(h);
    const p = core.newInstance(h, N.id);
    const q = core.newInstance(h, N.id);
    const r = core.newInstance(h, N.id);
    const holder = core.newList(h);
    core.listAppend(h, holder, r, true);
    setAttr(h, r, "x", q);
    setAttr(h, q, "x", p);
    drop(h, p, q, r);
    core.gc.collect(h, 0);
    const order = objects(h, 1).filter((o) => core.typeIdOf(h, o) === N.id);
    expect(order).toEqual([r, q, p]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); N=type('N',(),{'__repr__':lambda s: s.n}); p=N(); p.n='p'; q=N(); q.n='q'; r=N(); r.n='r'; h=[r]; r.x=q; q.x=p; del p, q, r; gc.collect(0); print([o for o in gc.get_objects(1) if type(o) is N])",
      ),
    ).toBe("[r, q, p]");
    drop(h, holder);
    expectSound(h);
  });
});

describe("tracking", () => {
  it("#45: containers are tracked at creation, strs never; is_finalized is false for non-containers", async () => {
    const h = newHeap();
    const T = h.defineClass({ name: "T" });
    const s = str(h, "a");
    const l = core.newList(h);
    const t = core.newInstance(h, T.id);
    expect([s, l, t].map((o) => core.gc.isTracked(h, o))).toEqual([false, true, true]);
    expect(core.gc.isFinalized(h, s)).toBe(false);
    expect(core.gc.isTracked(h, h.typeObject[T.id]!)).toBe(true); // classes are tracked
    expect(
      await python(
        "import gc; print(gc.is_tracked('a'), gc.is_tracked([]), gc.is_tracked(type('T',(),{})()), gc.is_finalized(1))",
      ),
    ).toBe("False True True False");
    drop(h, s, l, t);
    expectSound(h);
  });

  it("#41: a tuple of untrackable items is untracked by any collection, even of generation 0; () never is tracked", async () => {
    const h = newHeap();
    const t = tupleOf(h, num(1), num(2));
    expect(core.gc.isTracked(h, t)).toBe(true);
    const withList = core.newList(h);
    const tl = tupleOf(h, ref(withList));
    core.gc.collect(h, 0);
    expect(core.gc.isTracked(h, t)).toBe(false);
    expect(core.gc.isTracked(h, core.EMPTY_TUPLE)).toBe(false);
    expect(core.gc.isTracked(h, tl)).toBe(true);
    expect(
      await python(
        "import gc; n=1; t=tuple([n, 2]); print(gc.is_tracked(t)); gc.collect(0); print(gc.is_tracked(t), gc.is_tracked(()), gc.is_tracked(([],)))",
      ),
    ).toBe("True\nFalse False True");
    drop(h, t, tl, withList);
    expectSound(h);
  });

  it("#42: an outer tuple scanned before its inner tuples needs a second collection", async () => {
    const h = newHeap();
    settle(h);
    // tuple((i,) for i in range(3)): the outer tuple exists before the items are made.
    const outer = core.newTuple(h, 3);
    for (let i = 0; i < 3; i++) {
      const inner = tupleOf(h, num(i));
      core.tupleSetItem(h, outer, i, inner, true);
      drop(h, inner);
    }
    core.gc.collect(h);
    expect(core.gc.isTracked(h, outer)).toBe(true);
    core.gc.collect(h);
    expect(core.gc.isTracked(h, outer)).toBe(false);
    // Inner made first: one collection untracks both.
    const inner = tupleOf(h, num(7));
    const outer2 = tupleOf(h, ref(inner));
    core.gc.collect(h);
    expect([core.gc.isTracked(h, inner), core.gc.isTracked(h, outer2)]).toEqual([false, false]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); t=tuple((i,) for i in range(3)); gc.collect(); print(gc.is_tracked(t)); gc.collect(); print(gc.is_tracked(t))",
      ),
    ).toBe("True\nFalse");
    drop(h, outer, inner, outer2);
    expectSound(h);
  });

  it("a tuple with an item not yet filled in stays tracked", () => {
    const h = newHeap();
    const t = core.newTuple(h, 2);
    core.tupleSetItem(h, t, 0, 1, false);
    core.gc.collect(h, 0);
    expect(core.gc.isTracked(h, t)).toBe(true);
    core.tupleSetItem(h, t, 1, 2, false);
    core.gc.collect(h, 1); // the tuple is in generation 1 now
    expect(core.gc.isTracked(h, t)).toBe(false);
    drop(h, t);
    expectSound(h);
  });

  it("#43: a dict is tracked once a key or value that may be tracked is stored", async () => {
    const h = newHeap();
    const empty = core.newDict(h);
    const withNumber = core.newDict(h);
    dictSetStr(h, withNumber, "a", 1, false);
    const withList = core.newDict(h);
    const l = core.newList(h);
    dictSetStr(h, withList, "a", l);
    const withDict = core.newDict(h);
    const inner = core.newDict(h); // untracked, but a dict "may be tracked"
    dictSetStr(h, withDict, "a", inner);
    const withEmptyTuple = core.newDict(h);
    dictSetStr(h, withEmptyTuple, "a", core.EMPTY_TUPLE);
    const ours = [empty, withNumber, withList, withDict, withEmptyTuple].map((d) =>
      core.gc.isTracked(h, d) ? "True" : "False",
    );
    expect(ours.join(" ")).toBe(
      await python(
        "import gc; print(gc.is_tracked({}), gc.is_tracked({'a': 1}), gc.is_tracked({'a': []}), gc.is_tracked({'a': {}}), gc.is_tracked({'a': ()}))",
      ),
    );
    // A tracked tuple as a key tracks the dict too.
    const keyed = core.newDict(h);
    const key = tupleOf(h, num(1), num(1));
    core.dictSetItem(h, keyed, key, true, 1, false);
    expect(core.gc.isTracked(h, keyed)).toBe(true);
    drop(h, empty, withNumber, withList, l, withDict, inner, withEmptyTuple, keyed, key);
    expectSound(h);
  });

  it("#44: a dict is untracked by full collections only, after its tuples (one collect() suffices)", async () => {
    const h = newHeap();
    const d = core.newDict(h);
    const t = tupleOf(h, num(1), num(1));
    dictSetStr(h, d, "a", t);
    drop(h, t);
    const seen = [core.gc.isTracked(h, d)];
    core.gc.collect(h, 1);
    seen.push(core.gc.isTracked(h, d));
    core.gc.collect(h, 2);
    seen.push(core.gc.isTracked(h, d));
    expect(seen.map((b) => (b ? "True" : "False")).join("\n")).toBe(
      await python(
        "import gc; n=1; d={'a': (n, n)}; print(gc.is_tracked(d)); gc.collect(1); print(gc.is_tracked(d)); gc.collect(2); print(gc.is_tracked(d))",
      ),
    );
    const d2 = core.newDict(h);
    const t2 = tupleOf(h, num(1), num(1));
    dictSetStr(h, d2, "a", t2);
    drop(h, t2);
    core.gc.collect(h);
    expect(core.gc.isTracked(h, d2)).toBe(false);
    drop(h, d, d2);
    expectSound(h);
  });

  it("a dict, even an untracked one, keeps a tuple or dict holding it tracked; non-containers and untracked tuples do not", async () => {
    const h = newHeap();
    settle(h);
    const inner = core.newDict(h);
    const t = tupleOf(h, ref(inner));
    const d = core.newDict(h);
    dictSetStr(h, d, "a", inner);
    const s = str(h, "s");
    const small = tupleOf(h, num(1));
    const u = tupleOf(h, ref(small), ref(s), ref(core.NONE));
    core.gc.collect(h);
    const ours = [t, d, u].map((o) => (core.gc.isTracked(h, o) ? "True" : "False")).join(" ");
    expect(ours).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); t=({},); d={'a': {}}; u=((1,),'s', None); gc.collect(); print(gc.is_tracked(t), gc.is_tracked(d), gc.is_tracked(u))",
      ),
    );
    drop(h, inner, t, d, s, small, u);
    expectSound(h);
  });

  it("removing or replacing a dict's container values never untracks it; a full collection does", async () => {
    const h = newHeap();
    settle(h);
    const d = core.newDict(h);
    const l = core.newList(h);
    dictSetStr(h, d, "a", l);
    dictSetStr(h, d, "a", 1, false);
    expect(core.gc.isTracked(h, d)).toBe(true);
    core.gc.collect(h, 0);
    core.gc.collect(h, 1);
    expect(core.gc.isTracked(h, d)).toBe(true);
    core.gc.collect(h);
    expect(core.gc.isTracked(h, d)).toBe(false);
    const d2 = core.newDict(h);
    dictSetStr(h, d2, "k", l);
    const k = str(h, "k");
    core.dictDelItem(h, d2, k, true);
    expect(core.gc.isTracked(h, d2)).toBe(true);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); n=1; d={'a': []}; d['a']=n; print(gc.is_tracked(d)); gc.collect(0); gc.collect(1); print(gc.is_tracked(d)); gc.collect(); print(gc.is_tracked(d)); l=[]; d={'k': l}; del d['k']; print(gc.is_tracked(d))",
      ),
    ).toBe("True\nTrue\nFalse\nTrue");
    drop(h, d, d2, l, k);
    expectSound(h);
  });

  it("untracked objects are invisible to get_objects and get_referrers", async () => {
    const h = newHeap();
    settle(h);
    const x = str(h, "zz1");
    const d = core.newDict(h);
    dictSetStr(h, d, "k", x);
    const l = core.newList(h);
    core.listAppend(h, l, x, true);
    expect(core.gc.isTracked(h, d)).toBe(false);
    expect(objects(h)).not.toContain(d);
    const referrers = core.gc.getReferrers(h, [x]);
    expect(core.listSize(h, referrers)).toBe(1);
    expect(core.slotRef(h, core.listItemSlot(h, referrers, 0))).toBe(l);
    expect(
      await python("import gc; x='zz'+str(1); d={'k':x}; print(gc.is_tracked(d), d in gc.get_referrers(x))"),
    ).toBe("False False");
    drop(h, referrers, x, d, l);
    expectSound(h);
  });
});
