/**
 * Finalizers, resurrection, legacy finalizers and DEBUG_SAVEALL in the collector
 * (PEP 442; Modules/gcmodule.c finalize_garbage, handle_resurrected_objects,
 * handle_legacy_finalizers; Objects/object.c PyObject_CallFinalizerFromDealloc).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";
import {
  attrSlot,
  drop,
  newHeap,
  objects,
  python,
  setAttr,
  settle,
  slotRepr,
  str,
  typeName,
} from "./gc-helpers.js";

/**
 * A heap with a dynamic class `D` whose finalizer (`__del__`) calls `onFinalize(o)`, a plain
 * dynamic class `A`, and `out`, a transcript of what the finalizers printed.
 */
function finalizerHeap(onFinalize?: (h: core.Engine, o: number, out: string[]) => void) {
  const h = newHeap();
  const out: string[] = [];
  const D = h.defineClass({
    name: "D",
    dynamic: true,
    finalize: (o) => {
      if (onFinalize) onFinalize(h, o, out);
      else out.push(`del ${nameOf(h, o)}`);
    },
  });
  const A = h.defineClass({ name: "A", dynamic: true });
  settle(h);
  /** A new D whose attribute n is `n` (a number, or a str object for a string). */
  const d = (n: number | string): number => {
    const o = core.newInstance(h, D.id);
    if (typeof n === "number") setAttr(h, o, "n", n, false);
    else {
      const s = str(h, n);
      setAttr(h, o, "n", s);
      drop(h, s);
    }
    return o;
  };
  return { h, out, D, A, d };
}

/** Attribute n as Python prints it (`1`, or `hanging` for a str). */
function nameOf(h: core.Engine, o: number): string {
  const p = attrSlot(h, o, "n");
  if (!core.slotIsRef(h, p)) return String(core.slotNumber(h, p));
  return core.strValue(h, core.slotRef(h, p));
}

/** A self-referencing instance of class `id` (o.me = o), returned with the caller's reference dropped. */
function selfCycle(h: core.Engine, id: number): number {
  const o = core.newInstance(h, id);
  setAttr(h, o, "me", o);
  drop(h, o);
  return o;
}

describe("finalize_garbage: every unreachable finalizer runs once, in list order", () => {
  it("#8: a 2-cycle is finalized in creation order and both are freed", async () => {
    const { h, out, d } = finalizerHeap();
    const a = d(1);
    const b = d(2);
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", a);
    drop(h, a, b);
    out.push(`${core.gc.collect(h)} [${core.listSize(h, h.garbage) === 0 ? "" : "…"}]`);
    expect(out.join("\n")).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); D=type('D',(),{'__del__':lambda s: print('del', s.n)}); a=D(); a.n=1; b=D(); b.n=2; a.o=b; b.o=a; del a, b; print(gc.collect(), gc.garbage)",
      ),
    );
    expect(out.join("\n")).toBe("del 1\ndel 2\n2 []");
    expectSound(h);
  });

  it("#9: creating b first finalizes b first", () => {
    const { h, out, d } = finalizerHeap();
    const b = d(2);
    const a = d(1);
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", a);
    drop(h, a, b);
    out.push(String(core.gc.collect(h)));
    expect(out.join("\n")).toBe("del 2\ndel 1\n2");
    expectSound(h);
  });

  it("#10: an object hanging off a cycle is finalized in the same pass, in list order", async () => {
    const { h, out, d } = finalizerHeap();
    const c = d("hanging");
    const a = d("A");
    const b = d("B");
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", a);
    setAttr(h, a, "c", c);
    drop(h, a, b, c);
    out.push(String(core.gc.collect(h)));
    expect(out.join("\n")).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); D=type('D',(),{'__del__':lambda s: print('del', s.n)}); c=D(); c.n='hanging'; a=D(); a.n='A'; b=D(); b.n='B'; a.o=b; b.o=a; a.c=c; del a, b, c; print(gc.collect())",
      ),
    );
    expect(out.join("\n")).toBe("del hanging\ndel A\ndel B\n3");
    expectSound(h);
  });

  it("the collector sets FINALIZED before calling the finalizer; deallocation sets it after (PyObject_CallFinalizer)", async () => {
    const seen: boolean[] = [];
    const { h, D } = finalizerHeap((h, o) => seen.push(core.gc.isFinalized(h, o)));
    selfCycle(h, D.id);
    core.gc.collect(h);
    drop(h, core.newInstance(h, D.id));
    expect(seen).toEqual([true, false]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); L=[]; D=type('D',(),{'__del__':lambda s: L.append(gc.is_finalized(s))}); d=D(); d.me=d; del d; gc.collect(); d=D(); del d; print(L)",
      ),
    ).toBe("[True, False]");
    expectSound(h);
  });

  it("#81: an exception in a finalizer is reported as unraisable and the object is still collected", () => {
    const { h, D } = finalizerHeap(() => {
      throw new Error("division by zero");
    });
    const reports: [unknown, string][] = [];
    h.unraisableHook = (err, where) => reports.push([err, where]);
    selfCycle(h, D.id);
    expect(core.gc.collect(h)).toBe(1);
    expect(reports.length).toBe(1);
    expect((reports[0]![0] as Error).message).toBe("division by zero");
    expect(reports[0]![1]).toContain("D");
    expect(objects(h).filter((o) => core.typeIdOf(h, o) === D.id)).toEqual([]);
    expectSound(h);
  });

  it("gc.collect() inside a finalizer during a collection returns 0 and starts nothing", async () => {
    const results: number[] = [];
    const { h, D, A } = finalizerHeap((h) => results.push(core.gc.collect(h)));
    const phases: string[] = [];
    h.gcCallbacks.push((phase) => phases.push(phase));
    selfCycle(h, A.id); // other garbage, which the inner collect() must not take
    selfCycle(h, D.id);
    expect(core.gc.collect(h)).toBe(2);
    expect(results).toEqual([0]);
    expect(phases).toEqual(["start", "stop"]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); r=[]; D=type('D',(),{'__del__':lambda s: r.append(gc.collect())}); d=D(); d.me=d; del d; print(gc.collect(), r)",
      ),
    ).toBe("1 [0]");
    expectSound(h);
  });

  it("allocations made by finalizers during a collection never start a nested collection and count afterwards", async () => {
    let made = 0;
    const kept: number[] = [];
    const { h, D, A } = finalizerHeap((h) => {
      for (let i = 0; i < 3; i++) {
        kept.push(core.newInstance(h, A.id));
        made++;
      }
    });
    core.gc.enable(h);
    core.gc.setThreshold(h, 1); // every second allocation would collect
    const starts: number[] = [];
    h.gcCallbacks.push((phase, info) => {
      if (phase === "start") starts.push(info.generation);
    });
    core.gc.disable(h);
    selfCycle(h, D.id);
    core.gc.enable(h);
    core.gc.collect(h, 0);
    expect(made).toBe(3);
    expect(starts).toEqual([0]);
    // 3 allocations during the collection, then the D freed: (2, 1, 0), as in CPython.
    expect(core.gc.getCount(h)).toEqual([2, 1, 0]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); C=type('C',(),{}); keep=[]\ndef f(s):\n    keep.append(C()); keep.append(C()); keep.append(C())\nD=type('D',(),{'__del__':f}); gc.collect(); d=D(); d.me=d; del d; gc.collect(0); print(gc.get_count())",
      ),
    ).toBe("(2, 1, 0)");
    core.gc.disable(h);
    drop(h, ...kept);
    expectSound(h);
  });

  it("#14: a finalizer run by refcount death marks the object finalized; it never runs again", async () => {
    const { h, D } = finalizerHeap((h, o) => core.listAppend(h, saved, o, true));
    const saved = core.newList(h);
    const g = core.newInstance(h, D.id);
    drop(h, g);
    expect(core.listSize(h, saved)).toBe(1);
    expect(core.gc.isFinalized(h, g)).toBe(true);
    core.listClear(h, saved); // g dies again: no second call
    expect(core.listSize(h, saved)).toBe(0);
    expect(
      await python(
        "import gc; L=[]; S=[]; G=type('G',(),{'__del__':lambda s: (L.append('del'), S.append(s))}); g=G(); del g; print(L, gc.is_finalized(S[0])); S.clear(); print(L)",
      ),
    ).toBe("['del'] True\n['del']");
    drop(h, saved);
    expectSound(h);
  });
});

describe("resurrection (handle_resurrected_objects)", () => {
  it("#11: a finalizer that stores its object saves it (0 collected); it is collected next time, unfinalized again", async () => {
    let calls = 0;
    const { h, D } = finalizerHeap((h, o) => {
      calls++;
      core.listAppend(h, saved, o, true);
    });
    const saved = core.newList(h);
    const r = selfCycle(h, D.id);
    const first = core.gc.collect(h);
    expect([first, core.listSize(h, saved), core.gc.isFinalized(h, r)]).toEqual([0, 1, true]);
    core.listClear(h, saved);
    const second = core.gc.collect(h);
    expect([second, core.listSize(h, saved), calls]).toEqual([1, 0, 1]);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); S=[]; R=type('R',(),{'__del__':lambda s: S.append(s)}); r=R(); r.me=r; del r; print(gc.collect(), len(S), gc.is_finalized(S[0])); S.clear(); print(gc.collect(), len(S))",
      ),
    ).toBe(`${first} 1 True\n${second} 0`);
    drop(h, saved);
    expectSound(h);
  });

  it("#12: a resurrected object does not keep unrelated garbage alive (5 collected, 1 saved)", async () => {
    const { h, D, A } = finalizerHeap((h, o) => core.listAppend(h, zs, o, true));
    const zs = core.newList(h);
    for (let i = 0; i < 5; i++) selfCycle(h, A.id);
    selfCycle(h, D.id);
    expect(core.gc.collect(h)).toBe(5);
    expect(core.listSize(h, zs)).toBe(1);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); Z=type('Z',(),{'__del__':lambda s: zs.append(s)}); zs=[]; A=type('A',(),{}); [setattr(a,'me',a) for a in [A() for _ in range(5)]]; z=Z(); z.me=z; del z; print(gc.collect(), len(zs))",
      ),
    ).toBe("5 1");
    core.listClear(h, zs);
    expect(core.gc.collect(h)).toBe(1);
    drop(h, zs);
    expectSound(h);
  });

  it("resurrection saves exactly what the resurrected object reaches, not what reaches it", async () => {
    // y → z (y unreachable from z); z → z, z → c → c. z's finalizer saves z: z and c survive,
    // y is collected. Once released, z and c are collected (z not finalized again).
    const { h, D, A } = finalizerHeap((h, o) => core.listAppend(h, zs, o, true));
    const zs = core.newList(h);
    const y = core.newInstance(h, A.id);
    const z = core.newInstance(h, D.id);
    const c = core.newInstance(h, A.id);
    setAttr(h, y, "z", z);
    setAttr(h, z, "me", z);
    setAttr(h, z, "c", c);
    setAttr(h, c, "me", c);
    setAttr(h, y, "me", y);
    drop(h, y, z, c);
    const n1 = core.gc.collect(h);
    const survivors = objects(h, 2)
      .filter((o) => o === y || o === z || o === c)
      .map((o) => typeName(h, o).replace("D", "Z"));
    const line1 = `${n1} ${core.listSize(h, zs)} [${survivors.map((s) => `'${s}'`).join(", ")}]`;
    core.listClear(h, zs);
    const line2 = String(core.gc.collect(h));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); zs=[]; Z=type('Z',(),{'__del__':lambda s: zs.append(s)}); A=type('A',(),{}); gc.collect(); y=A(); z=Z(); c=A(); y.z=z; z.me=z; z.c=c; c.me=c; y.me=y; del y, z, c; print(gc.collect(), len(zs), [type(o).__name__ for o in gc.get_objects(2) if type(o) in (A,Z)]); zs.clear(); print(gc.collect())",
      ),
    );
    expect(`${line1}\n${line2}`).toBe("1 1 ['Z', 'A']\n2");
    drop(h, zs);
    expectSound(h);
  });

  it("a finalizer that saves another object of the group saves what that object reaches, not the finalized one", async () => {
    // a → a, a → b, b ↔ c: a's finalizer stores b. a is collected; b and c are saved.
    const saved: number[] = [];
    const { h, d } = finalizerHeap((h, o) => {
      if (nameOf(h, o) === "a") {
        const b = core.slotRef(h, attrSlot(h, o, "o"));
        core.listAppend(h, stash, b, true);
        saved.push(b);
      }
    });
    const stash = core.newList(h);
    const a = d("a");
    setAttr(h, a, "me", a);
    const b = d("b");
    const c = d("c");
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", c);
    setAttr(h, c, "o", b);
    drop(h, a, b, c);
    const line1 = `${core.gc.collect(h)} ${core.listSize(h, stash)}`;
    expect(saved).toEqual([b]);
    expect(objects(h, 2)).toEqual(expect.arrayContaining([b, c]));
    expect(objects(h, 2)).not.toContain(a);
    core.listClear(h, stash);
    const line2 = String(core.gc.collect(h));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); S=[]\ndef g(s):\n    if s.n=='a': S.append(s.o)\nD=type('D',(),{'__del__':g})\na=D(); a.n='a'; a.me=a; b=D(); b.n='b'; c=D(); c.n='c'; a.o=b; b.o=c; c.o=b; del a,b,c; print(gc.collect(), len(S)); S.clear(); print(gc.collect())",
      ),
    );
    drop(h, stash);
    expectSound(h);
  });

  it("storing an object inside other garbage does not resurrect it", async () => {
    const { h, d } = finalizerHeap((h, o) => {
      if (nameOf(h, o) === "a") setAttr(h, core.slotRef(h, attrSlot(h, o, "o")), "stash", o);
    });
    const a = d("a");
    const b = d("b");
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", a);
    drop(h, a, b);
    const n = core.gc.collect(h);
    expect(String(n)).toBe(
      await python(
        "import gc; gc.disable(); gc.collect()\ndef f(s):\n    if s.n=='a': s.o.stash=s\nD=type('D',(),{'__del__':f}); a=D(); a.n='a'; b=D(); b.n='b'; a.o=b; b.o=a; del a,b; print(gc.collect())",
      ),
    );
    expect(n).toBe(2);
    expectSound(h);
  });

  it("resurrected objects join the next generation (old), like other survivors", () => {
    const { h, D } = finalizerHeap((h, o) => core.listAppend(h, saved, o, true));
    const saved = core.newList(h);
    core.gc.collect(h); // saved → generation 2
    const z = selfCycle(h, D.id);
    expect(core.gc.collect(h, 0)).toBe(0);
    expect(objects(h, 1)).toEqual([z]);
    expect(objects(h, 0)).toEqual([]);
    drop(h, saved);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#13: an object that breaks its own cycle in its finalizer is freed by refcounting and not counted", async () => {
    const { h, D } = finalizerHeap((h, o) => setAttr(h, o, "me", core.NONE));
    const k = selfCycle(h, D.id);
    expect(core.gc.collect(h)).toBe(0);
    expect(() => core.getrefcount(h, k)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); K=type('K',(),{'__del__':lambda s: setattr(s,'me',None)}); k=K(); k.me=k; del k; print(gc.collect())",
      ),
    ).toBe("0");
    expectSound(h);
  });
});

describe("legacy finalizers (tp_del): uncollectable", () => {
  /** A heap with a dynamic class U that has a legacy finalizer (CPython's _testcapi.with_tp_del). */
  function legacyHeap() {
    const h = newHeap();
    let calls = 0;
    const U = h.defineClass({
      name: "U",
      dynamic: true,
      legacyFinalize: () => {
        calls++;
      },
    });
    settle(h);
    return { h, U, calls: () => calls };
  }

  /** u.me = u; u.x = [1]; del u. Returns u and its list. */
  function uncollectableCycle(h: core.Engine, id: number) {
    const u = core.newInstance(h, id);
    setAttr(h, u, "me", u);
    const x = core.newList(h);
    core.listAppend(h, x, 1, false);
    setAttr(h, u, "x", x);
    drop(h, x, u);
    return { u, x };
  }

  /** Breaks u's cycle and empties gc.garbage, so the heap can be checked clean. */
  function release(h: core.Engine, u: number): void {
    core.incref(h, u);
    const me = str(h, "me");
    core.delAttr(h, u, me);
    drop(h, me);
    core.listClear(h, h.garbage);
    drop(h, u);
  }

  it("#31: a cycle through a legacy finalizer is uncollectable: only the tp_del object goes to gc.garbage", async () => {
    const { h, U, calls } = legacyHeap();
    const { u, x } = uncollectableCycle(h, U.id);
    const n = core.gc.collect(h);
    const garbage = core.listSize(h, h.garbage);
    const types = Array.from({ length: garbage }, (_, i) =>
      typeName(h, core.slotRef(h, core.listItemSlot(h, h.garbage, i))),
    );
    const ours = `${n} [${types.map((t) => `'${t}'`).join(", ")}] ${core.gc.getStats(h)[2]!.uncollectable}`;
    expect(ours).toBe(
      await python(
        "import gc, _testcapi; gc.disable(); gc.collect(); U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':lambda s: None})); u=U(); u.me=u; u.x=[1]; del u; print(gc.collect(), [type(o).__name__ for o in gc.garbage], gc.get_stats()[2]['uncollectable'])",
      ),
    );
    expect(ours).toBe("2 ['U'] 2");
    expect(calls()).toBe(0); // the collector never calls tp_del
    expect(core.gc.getStats(h)[2]!.collected).toBe(0);
    expect(core.gc.isTracked(h, x)).toBe(true);
    expect(slotRepr(h, attrSlot(h, u, "x"))).toBe("[1]");
    release(h, u);
    expect(calls()).toBe(1); // refcount death does call it
    expectSound(h);
  });

  it("uncollectable objects join the old generation; a second collection finds them again", () => {
    const { h, U } = legacyHeap();
    const { u, x } = uncollectableCycle(h, U.id);
    expect(core.gc.collect(h, 0)).toBe(2);
    expect(objects(h, 1)).toEqual([u, x]);
    expect(core.gc.getStats(h)[0]!.uncollectable).toBe(2);
    // gc.garbage (old, not scanned by a gen-1 collection) holds u: no longer unreachable.
    expect(core.gc.collect(h, 1)).toBe(0);
    release(h, u);
    expectSound(h);
  });

  it("objects reached only from a legacy-finalizer object are spared, but their finalizers do not run", async () => {
    const finalized: number[] = [];
    const { h, U } = legacyHeap();
    const D = h.defineClass({ name: "D", finalize: (o) => finalized.push(o) });
    const u = core.newInstance(h, U.id);
    setAttr(h, u, "me", u);
    const child = core.newInstance(h, D.id);
    setAttr(h, u, "child", child);
    drop(h, child, u);
    expect(core.gc.collect(h)).toBe(2);
    expect(finalized).toEqual([]);
    expect(
      await python(
        "import gc, _testcapi; gc.disable(); gc.collect(); L=[]; U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':lambda s: None})); D=type('D',(),{'__del__':lambda s: L.append('del')}); u=U(); u.me=u; u.child=D(); del u; print(gc.collect(), L, len(gc.garbage))",
      ),
    ).toBe("2 [] 1");
    release(h, u);
    expect(finalized).toEqual([child]);
    expectSound(h);
  });

  it("under DEBUG_SAVEALL everything the legacy object reaches goes to gc.garbage too", async () => {
    const { h, U } = legacyHeap();
    const { u } = uncollectableCycle(h, U.id);
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    expect(core.gc.collect(h)).toBe(2);
    core.gc.setDebug(h, 0);
    const types = Array.from({ length: core.listSize(h, h.garbage) }, (_, i) =>
      typeName(h, core.slotRef(h, core.listItemSlot(h, h.garbage, i))),
    );
    expect(types.join(" ")).toBe(
      await python(
        "import gc, _testcapi; gc.disable(); gc.collect(); U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':lambda s: None})); u=U(); u.me=u; u.x=[1]; del u; gc.set_debug(gc.DEBUG_SAVEALL); n=gc.collect(); gc.set_debug(0); print(*[type(o).__name__ for o in gc.garbage])",
      ),
    );
    expect(types).toEqual(["U", "list"]);
    release(h, u);
    expectSound(h);
  });
});

describe("DEBUG_SAVEALL", () => {
  it("#29: unreachable objects are appended to gc.garbage instead of being cleared", async () => {
    const h = newHeap();
    settle(h);
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    const a = core.newList(h);
    core.listAppend(h, a, a, true);
    drop(h, a);
    const n = core.gc.collect(h);
    const g0 = core.slotRef(h, core.listItemSlot(h, h.garbage, 0));
    const ours = `${n} ${core.listSize(h, h.garbage)} ${g0 === core.slotRef(h, core.listItemSlot(h, g0, 0)) ? "True" : "False"}`;
    expect(ours).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); gc.set_debug(gc.DEBUG_SAVEALL); a=[]; a.append(a); del a; print(gc.collect(), len(gc.garbage), gc.garbage[0] is gc.garbage[0][0])",
      ),
    );
    expect(ours).toBe("1 1 True");
    core.gc.setDebug(h, 0);
    core.listClear(h, h.garbage);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("#15: saved objects are finalized first; after clearing gc.garbage they are collected without a second finalization", async () => {
    const { h, out, D } = finalizerHeap((_h, _o, out) => out.push("G"));
    const g = selfCycle(h, D.id);
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    const n1 = core.gc.collect(h);
    const line1 = `${n1} [${out.map((s) => `'${s}'`).join(", ")}] ${core.gc.isFinalized(h, g) ? "True" : "False"}`;
    expect(core.slotRef(h, core.listItemSlot(h, h.garbage, 0))).toBe(g);
    core.gc.setDebug(h, 0);
    core.listClear(h, h.garbage);
    const line2 = `${core.gc.collect(h)} [${out.map((s) => `'${s}'`).join(", ")}]`;
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); L=[]; G=type('G',(),{'__del__':lambda s: L.append('G')}); g=G(); g.me=g; del g; gc.set_debug(gc.DEBUG_SAVEALL); print(gc.collect(), L, gc.is_finalized(gc.garbage[0])); gc.set_debug(0); gc.garbage.clear(); print(gc.collect(), L)",
      ),
    );
    expect(`${line1}\n${line2}`).toBe("1 ['G'] True\n1 ['G']");
    expectSound(h);
  });

  it("an object its finalizer resurrects is not saved to gc.garbage and not counted", async () => {
    const { h, D } = finalizerHeap((h, o) => core.listAppend(h, saved, o, true));
    const saved = core.newList(h);
    const g = selfCycle(h, D.id);
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    const ours = `${core.gc.collect(h)} ${core.listSize(h, h.garbage)} ${core.listSize(h, saved)}`;
    core.gc.setDebug(h, 0);
    expect(ours).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); S=[]; G=type('G',(),{'__del__':lambda s: S.append(s)}); g=G(); g.me=g; del g; gc.set_debug(gc.DEBUG_SAVEALL); print(gc.collect(), len(gc.garbage), len(S)); gc.set_debug(0)",
      ),
    );
    expect(ours).toBe("0 0 1");
    expect(core.slotRef(h, core.listItemSlot(h, saved, 0))).toBe(g);
    drop(h, saved);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("objects without a finalizer are never marked finalized, even when saved", async () => {
    const { h, A } = finalizerHeap();
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    const a = selfCycle(h, A.id);
    expect(core.gc.collect(h)).toBe(1);
    expect(core.gc.isFinalized(h, a)).toBe(false);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); A=type('A',(),{}); gc.set_debug(gc.DEBUG_SAVEALL); a=A(); a.me=a; del a; print(gc.collect(), gc.is_finalized(gc.garbage[0]))",
      ),
    ).toBe("1 False");
    core.gc.setDebug(h, 0);
    core.listClear(h, h.garbage);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("saved objects join the old generation", () => {
    const h = newHeap();
    settle(h);
    core.gc.setDebug(h, core.GcDebug.SAVEALL);
    const a = core.newList(h);
    core.listAppend(h, a, a, true);
    drop(h, a);
    expect(core.gc.collect(h, 0)).toBe(1);
    expect(objects(h, 1)).toEqual([a]);
    core.gc.setDebug(h, 0);
    core.listClear(h, h.garbage);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });
});
