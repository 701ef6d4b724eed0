/**
 * WeakMethod (weakref.newWeakMethod): its objects and their references as weakref.py builds them,
 * its argument checks, and a WeakMethod in cyclic garbage. The CPython behaviour itself is ported
 * in test/conformance/classes.test.ts (WeakMethodTestCase).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { python } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";

const { newWeakMethod, weakMethodGet, newRef, weakrefGet, getweakrefcount } = core.weakref;

function setup(checked: boolean) {
  const h = new core.Engine({ checked });
  core.gc.disable(h);
  const F = h.defineKind({ name: "function", weakrefable: true, bind: true, call: (_f, self) => self });
  const C = h.defineClass({ name: "C", weakrefable: true, fields: [{ name: "keep", kind: "ref" }] });
  const f = core.newObject(h, F.id);
  const name = core.newStr(h, "m");
  core.classSetAttr(h, C.id, name, f, true);
  core.decref(h, name);
  const o = core.newInstance(h, C.id);
  const m = core.loadAttr(h, o, "m");
  return { h, C, f, o, m };
}

function referents(h: core.Engine, o: number): number[] {
  const n = core.traverse(h, o);
  return Array.from(h.edges.subarray(0, n));
}

describe.each([true, false])("WeakMethod (checked %s)", (checked) => {
  it("refers weakly to the instance and the function; owns a ref to the function and its _cb", () => {
    const { h, f, o, m } = setup(checked);
    const rc = [core.getrefcount(h, o), core.getrefcount(h, f)];
    const wm = newWeakMethod(h, m, null);
    expect([core.getrefcount(h, o), core.getrefcount(h, f)]).toEqual(rc);
    expect(weakrefGet(h, wm)).toBe(o); // super().__call__(): the instance
    expect(getweakrefcount(h, o)).toBe(1);
    expect(getweakrefcount(h, f)).toBe(1);
    // traverse: _func_ref, then the callback (_cb, a heap object)
    const [funcRef, cb] = referents(h, wm);
    expect(weakrefGet(h, funcRef!)).toBe(f);
    expect(h.types[core.typeIdOf(h, cb!)]!.name).toBe("function");
    expect(getweakrefcount(h, wm)).toBe(1); // _cb's self_wr
    const again = weakMethodGet(h, wm);
    expect(core.isMethod(h, again) && again !== m).toBe(true);
    for (const x of [again, wm, m, o, f]) core.decref(h, x);
    expectSound(h);
  });

  it("refuses what is not a bound method, a JS callback, and an instance that is not weakrefable", () => {
    const { h, C, f, o, m } = setup(checked);
    expect(() => newWeakMethod(h, o)).toThrow(/argument should be a bound method, not <class 'C'>/);
    expect(() => newWeakMethod(h, m, (() => {}) as unknown as number)).toThrow(/heap callable/);
    expect(() => newWeakMethod(h, m, o)).toThrow(/'C' object is not callable/);
    const Plain = h.defineClass({ name: "Plain", base: C.id });
    void Plain;
    const P = h.defineClass({ name: "P" });
    const p = core.newInstance(h, P.id);
    const pm = core.newMethod(h, f, p);
    expect(() => newWeakMethod(h, pm)).toThrow(/cannot create weak reference to 'P' object/);
    for (const x of [pm, p, m, o, f]) core.decref(h, x);
    expectSound(h);
  });

  it("o.keep = WeakMethod(o.m) alone is no cycle: o dies by refcount and the callback gets the WeakMethod", () => {
    const { h, f, o, m } = setup(checked);
    const calls: number[] = [];
    const Cb = h.defineKind({ name: "function", call: (_f, arg) => calls.push(arg as number) });
    const cb = core.newObject(h, Cb.id);
    const wm = newWeakMethod(h, m, cb);
    core.setField(h, o, 0, wm, true);
    for (const x of [m, cb]) core.decref(h, x);
    core.decref(h, o);
    expect(calls).toEqual([wm]);
    core.decref(h, wm);
    expect(core.gc.collect(h)).toBe(0);
    core.decref(h, f);
    expectSound(h);
  });

  it("in a cycle with its instance (o.keep = [o, WeakMethod(o.m)]) it is freed with it, no callback runs", () => {
    const { h, f, o, m } = setup(checked);
    const calls: number[] = [];
    const Cb = h.defineKind({ name: "function", call: (_f, arg) => calls.push(arg as number) });
    const cb = core.newObject(h, Cb.id);
    const wm = newWeakMethod(h, m, cb);
    const watch = newRef(h, wm);
    const l = core.newList(h);
    core.listAppend(h, l, o, true);
    core.listAppend(h, l, wm, true);
    core.setField(h, o, 0, l, true);
    for (const x of [l, wm, m, o, cb]) core.decref(h, x);
    // o, the list, the WeakMethod, its _func_ref, its _cb, _cb's closure tuple and two cells, the
    // callback: 9, as python3 counts the same program (with __slots__ classes). _cb's self_wr is
    // the WeakMethod's basic ref, which `watch` shares, as weakref.ref(r) does; the WeakMethod
    // (the weakref to o) is in the trash, so it is cleared without calling back.
    const [closure] = referents(h, referents(h, wm)[1]!);
    const selfWrCell = referents(h, closure!)[0]!; // a tuple's items are visited last to first
    expect(watch).toBe(referents(h, selfWrCell)[0]);
    expect(core.gc.collect(h)).toBe(9);
    expect(calls).toEqual([]);
    expect(weakrefGet(h, watch)).toBe(core.NONE);
    for (const x of [watch, f]) core.decref(h, x);
    expectSound(h);
  });

  it("makes weakref.py's objects in its order: two cells, the closure tuple, _cb, the WeakMethod, two refs", async () => {
    const { h, o, m } = setup(checked);
    // The first WeakMethod registers the cell and _cb types (CPython's exist before the program).
    core.decref(h, newWeakMethod(h, m, null));
    core.gc.collect(h); // everything so far leaves generation 0
    const wm = newWeakMethod(h, m, null);
    core.decref(h, m); // the statement's bound method o.m dies
    const young = core.gc.getObjects(h, 0);
    const names = Array.from({ length: core.listSize(h, young) }, (_, i) => {
      const x = core.slotRef(h, core.listItemSlot(h, young, i));
      return h.types[core.typeIdOf(h, x)]!.name.replace("weakref.", "");
    });
    core.decref(h, young);
    const py = await python(
      [
        "import gc, weakref",
        "class C:",
        "    def m(self): pass",
        "o = C()",
        "gc.collect()",
        "W = weakref.WeakMethod(o.m)",
        "print(' '.join(type(x).__name__ for x in gc.get_objects(0)))",
      ].join("\n"),
    );
    // python3's list ends with the module's own (the generator expression's objects come later)
    expect(py.startsWith(names.join(" "))).toBe(true);
    expect(names).toEqual([
      "cell",
      "cell",
      "tuple",
      "function",
      "WeakMethod",
      "ReferenceType",
      "ReferenceType",
    ]);
    for (const x of [wm, o]) core.decref(h, x);
    expectSound(h);
  });

  it("wm() makes a super object, then a method-wrapper while the super object lives, before the bound method", () => {
    // WeakMethod.__call__ runs `super().__call__()`: LOAD_METHOD on the super object finds a
    // method-wrapper and only then drops the super object. A collection that the method-wrapper's
    // allocation starts therefore finds the super object young. (The counts and collections this
    // makes are compared with python3 by the corpus scenario hand-221.)
    const { h, o, m, f } = setup(checked);
    const wm = newWeakMethod(h, m, null);
    core.decref(h, m);
    const starts: string[][] = [];
    h.gcCallbacks.push((phase) => {
      if (phase !== "start") return;
      const young = core.gc.getObjects(h, 0);
      const names = Array.from({ length: core.listSize(h, young) }, (_, i) => {
        const x = core.slotRef(h, core.listItemSlot(h, young, i));
        return h.types[core.typeIdOf(h, x)]!.name;
      });
      core.decref(h, young);
      starts.push(names);
    });
    core.gc.enable(h);
    core.gc.collect(h);
    starts.length = 0;
    core.gc.setThreshold(h, 2);
    const called = weakMethodGet(h, wm);
    core.gc.setThreshold(h, 700);
    // threshold 2: the method-wrapper is the third object counted, after the info dict of the
    // collection above's stop callbacks (counted, then kept by the dict freelist) and the super
    // object; once the two are freed, the argument tuple and the method count 2, not above it
    expect(starts).toEqual([["super"]]);
    expect(core.isMethod(h, called)).toBe(true);
    for (const x of [called, wm, o, f]) core.decref(h, x);
    expectSound(h);
  });

  it("allocates what CPython's WeakMethod(o.m[, cb]) and wm() calls allocate: gen-0 counts and collections agree with python3 at every threshold", async () => {
    // The call's argument tuple, ref.__new__'s argument tuple and its slice, the argument tuples of
    // ref(func, _cb) and ref(self): temporaries whose allocations count (and can start a
    // collection) but whose tuples then go to the freelist, so the count after the call shows them.
    const ours: string[] = [];
    for (const withCb of [false, true]) {
      for (let t = 1; t <= 14; t++) {
        const { h, o, m, f } = setup(checked);
        const cb = withCb ? core.newObject(h, h.defineKind({ name: "function", call: () => null }).id) : null;
        // The first WeakMethod registers the cell and _cb types (CPython's exist before the program).
        core.decref(h, newWeakMethod(h, m, null));
        core.decref(h, m);
        core.gc.enable(h);
        const before = core.gc.getStats(h)[0]!.collections;
        core.gc.collect(h);
        core.gc.setThreshold(h, t);
        const meth = core.loadAttr(h, o, "m");
        const wm = newWeakMethod(h, meth, cb);
        core.decref(h, meth);
        core.gc.setThreshold(h, 700);
        const n = core.gc.getCount(h)[0];
        core.gc.collect(h);
        const called = weakMethodGet(h, wm); // wm(): the method type's call builds (func, obj)
        ours.push(`${core.gc.getStats(h)[0]!.collections - before} ${n} ${core.gc.getCount(h)[0]}`);
        for (const x of [called, wm, o, f, ...(cb === null ? [] : [cb])]) core.decref(h, x);
      }
    }
    const py = await python(
      [
        "import gc, weakref",
        "class C:",
        "    def m(self): pass",
        "def cb(w): pass",
        "out = []",
        "for with_cb in (False, True):",
        "    for t in range(1, 15):",
        "        o = C()",
        "        before = gc.get_stats()[0]['collections']", // before the collection, which empties the freelists
        "        gc.collect()",
        "        gc.set_threshold(t)",
        "        W = weakref.WeakMethod(o.m, cb) if with_cb else weakref.WeakMethod(o.m)",
        "        gc.set_threshold(700)",
        "        n = gc.get_count()[0]",
        "        gc.collect()",
        "        m = W()",
        "        n2 = gc.get_count()[0]",
        "        out.append('%d %d %d' % (gc.get_stats()[0]['collections'] - before, n, n2))",
        "        del m",
        "        del W, o",
        "print('\\n'.join(out))",
      ].join("\n"),
    );
    expect(ours).toEqual(py.trim().split("\n"));
  });
});
