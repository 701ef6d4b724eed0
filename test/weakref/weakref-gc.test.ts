/**
 * Weak references whose referents die in the cycle collector, against CPython 3.11
 * (handle_weakrefs in Modules/gcmodule.c): every weakref
 * to the garbage dies before any finalizer of the collection runs, only weakrefs that are not
 * garbage themselves call back (in the garbage's list order, each referent's weakrefs newest
 * first), a weakref its callback frees counts as collected, and a resurrected object has lost
 * its weakrefs.
 *
 * A weakref callback here is a JS function outside the heap, so it is never garbage itself:
 * where CPython's item uses a lambda the lambda can be garbage (and is counted), so the CPython
 * programs below use module-level functions, kept alive by the globals, instead.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { WR_KEY } from "../../src/object/index.js";
import { drop, objects, python } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";
import {
  isDead,
  Labels,
  type PyVal,
  pr,
  selfRef,
  setAttr,
  Tup,
  weakClass,
  weakHeap,
  zeroDivision,
} from "./wr-helpers.js";

const { newRef, newProxy, newKeyedRef, weakrefGet, getweakrefcount } = core.weakref;

describe("handle_weakrefs: the referent is cyclic garbage", () => {
  it("#54: callbacks of the weakrefs to a collected object run newest first", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    selfRef(h, o);
    const L: number[] = [];
    const rs = [0, 1, 2].map((i) => newRef(h, o, () => L.push(i)));
    drop(h, o);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); o=C(); o.me=o; L=[]; rs=[weakref.ref(o, lambda w, i=i: L.append(i)) for i in range(3)]; del o; print(gc.collect(), L)",
      ),
    );
    expect(out).toBe("1 [2, 1, 0]");
    drop(h, ...rs);
    expectSound(h);
  });

  it("#56: the callbacks run before the finalizers, and every weakref is already dead inside __del__", async () => {
    const { h } = weakHeap();
    const L: PyVal[] = [];
    let r = 0;
    let b = 0;
    const D = weakClass(h, "D", { finalize: () => L.push(new Tup("del", isDead(h, r), isDead(h, b))) });
    const d = core.newInstance(h, D.id);
    selfRef(h, d);
    r = newRef(h, d, (w) => L.push(new Tup("cb", isDead(h, w))));
    b = newRef(h, d);
    drop(h, d);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); L=[]; D=type('D',(),{'__del__':lambda s: L.append(('del', r() is None, b() is None))}); d=D(); d.me=d; r=weakref.ref(d, lambda w: L.append(('cb', w() is None))); b=weakref.ref(d); del d; print(gc.collect(), L)",
      ),
    );
    expect(out).toBe("1 [('cb', True), ('del', True, True)]");
    drop(h, r, b);
    expectSound(h);
  });

  it("#57: a weakref that is garbage itself never calls back (the callback is not garbage here: 2, not 3)", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const a = core.newInstance(h, C.id);
    selfRef(h, a);
    const wr = newRef(h, a, () => L.push("cb"));
    setAttr(h, a, "wr", wr);
    drop(h, wr, a);
    const out = pr(core.gc.collect(h), L);
    // CPython's #57 uses a lambda, which is garbage with a and its weakref: it prints `3 []`.
    expect(out).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect(); L=[]; C=type('C',(),{})\ndef cb(w): L.append('cb')\na=C(); a.me=a; a.wr=weakref.ref(a, cb); del a; print(gc.collect(), L)",
      ),
    );
    expect(out).toBe("2 []");
    expectSound(h);
  });

  it("#57 with a heap callable: the lambda is garbage with a and its weakref (3, as CPython)", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    // A function object as a runtime author would define it: a user kind with a call hook.
    const Fn = h.defineKind({ name: "function", call: () => L.push("cb") });
    const a = core.newInstance(h, C.id);
    selfRef(h, a);
    const lambda = core.newObject(h, Fn.id);
    const wr = newRef(h, a, lambda);
    core.decref(h, lambda); // the weakref holds the only reference
    expect(core.getrefcount(h, lambda)).toBe(1);
    setAttr(h, a, "wr", wr);
    drop(h, wr, a);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect(); L=[]; C=type('C',(),{})\na=C(); a.me=a; a.wr=weakref.ref(a, lambda w: L.append('cb')); del a; print(gc.collect(), L)",
      ),
    );
    expect(out).toBe("3 []");
    expectSound(h);
  });

  it("a heap callable callback is called with the weakref when its referent dies, then released", async () => {
    const { h, C } = weakHeap();
    const calls: number[] = [];
    const Fn = h.defineKind({ name: "function", call: (_self, w) => calls.push(w as number) });
    const a = core.newInstance(h, C.id);
    const fns = [core.newObject(h, Fn.id), core.newObject(h, Fn.id)];
    const wrs = fns.map((f) => newRef(h, a, f));
    for (const f of fns) expect(core.getrefcount(h, f)).toBe(2);
    // gc.get_referents(wr) is [callback], as CPython's gc_traverse visits wr_callback.
    expect(core.traverse(h, wrs[0]!)).toBe(1);
    expect(h.edges[0]).toBe(fns[0]);
    core.decref(h, a); // both callbacks run, newest first, each with its weakref
    expect(calls).toEqual([wrs[1], wrs[0]]);
    for (const f of fns) expect(core.getrefcount(h, f)).toBe(1);
    // A dead weakref's callback was dropped; an object that cannot be called is reported.
    const b = core.newInstance(h, C.id);
    const notCallable = core.newList(h);
    const r = newRef(h, b, notCallable);
    const seen: string[] = [];
    h.unraisableHook = (e, where) => seen.push(`${where}: ${(e as Error).message}`);
    core.decref(h, b);
    expect(seen).toEqual([
      expect.stringMatching(/^<weakref callback .*list.*>: 'list' object is not callable$/),
    ]);
    expect(core.getrefcount(h, notCallable)).toBe(1);
    for (const o of [...fns, ...wrs, r, notCallable]) core.decref(h, o);
    expectSound(h);
  });

  it("#58: a weakref freed by its own callback counts as collected", async () => {
    const { h, C } = weakHeap();
    const d = core.newDict(h);
    const k = core.newStr(h, "k");
    const a = core.newInstance(h, C.id);
    selfRef(h, a);
    const wr = newRef(h, a, () => core.dictDelItem(h, d, k, true));
    core.dictSetItem(h, d, k, true, wr, true);
    drop(h, wr, a);
    const out = pr(core.gc.collect(h), core.dictSize(h, d) === 0 ? "{}" : "{…}");
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); h={}; a=C(); a.me=a; h['k']=weakref.ref(a, lambda w: h.pop('k')); del a; print(gc.collect(), h)",
      ),
    );
    expect(out).toBe("2 {}");
    drop(h, d, k);
    expectSound(h);
  });

  it("#59: a WeakValueDictionary-shaped dict of KeyedRefs loses the entry of a collected value", async () => {
    const { h, C } = weakHeap();
    const d = core.newDict(h);
    const remove = (w: number) => core.dictDelItem(h, d, core.slotRef(h, w + WR_KEY), true);
    const x = core.newInstance(h, C.id);
    selfRef(h, x);
    const key = core.newStr(h, "x");
    const kr = newKeyedRef(h, x, remove, key, true);
    core.dictSetItem(h, d, key, true, kr, true);
    drop(h, kr, key, x);
    const out = pr(core.dictSize(h, d), core.gc.collect(h), core.dictSize(h, d));
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); d=weakref.WeakValueDictionary(); x=C(); x.me=x; d['x']=x; del x; print(len(d), gc.collect(), len(d))",
      ),
    );
    expect(out).toBe("1 2 0");
    drop(h, d);
    expectSound(h);
  });

  it("weakrefs a callback frees are counted if they were queued for a call (even after removal), not otherwise", async () => {
    const { h, C } = weakHeap();
    const n = new Labels();
    const L: string[] = [];
    const d = core.newDict(h);
    const a = core.newInstance(h, C.id);
    selfRef(h, a);
    const cb = (w: number) => {
      L.push(n.of(w));
      core.dictClear(h, d);
    };
    const put = (name: string, w: number) => {
      n.add(w, name);
      const k = core.newStr(h, name);
      core.dictSetItem(h, d, k, true, w, true);
      drop(h, k, w);
    };
    put("a", newRef(h, a, cb));
    put("b", newRef(h, a, cb));
    put("c", newRef(h, a)); // no callback: freed by the first callback, not counted
    drop(h, a);
    const out = pr(core.gc.collect(h), L, core.dictSize(h, d));
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]; N={}; h={}",
          "def cb(w): L.append(N[id(w)]); h.clear()",
          "a=C(); a.me=a",
          "for k, w in (('a', weakref.ref(a, cb)), ('b', weakref.ref(a, cb)), ('c', weakref.ref(a))):\n    N[id(w)] = k; h[k] = w",
          "del k, w, a",
          "print(gc.collect(), L, len(h))",
        ].join("\n"),
      ),
    );
    expect(out).toBe("3 ['b', 'a'] 0");
    drop(h, d);
    expectSound(h);
  });

  it("a resurrected object has lost its weakrefs (they were cleared before __del__ ran)", async () => {
    const { h } = weakHeap();
    const L: string[] = [];
    const S = core.newList(h);
    const D = weakClass(h, "D", {
      finalize: (s) => {
        L.push("del");
        core.listAppend(h, S, s, true);
      },
    });
    const d = core.newInstance(h, D.id);
    selfRef(h, d);
    const r = newRef(h, d, () => L.push("cb"));
    const b = newRef(h, d);
    drop(h, d);
    const n = core.gc.collect(h);
    const saved = core.slotRef(h, core.listItemSlot(h, S, 0));
    const line1 = pr(n, L, isDead(h, r), isDead(h, b), core.listSize(h, S), getweakrefcount(h, saved));
    const b2 = newRef(h, saved); // a new basic ref: the old one is dead, not reused
    const line2 = pr(b2 === b, weakrefGet(h, b2) === saved);
    core.listClear(h, S);
    const line3 = pr(core.gc.collect(h), L, isDead(h, b2));
    expect([line1, line2, line3].join("\n")).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); L=[]; S=[]",
          "class D:\n    def __del__(s): L.append('del'); S.append(s)",
          "def cb(w): L.append('cb')",
          "d=D(); d.me=d; r=weakref.ref(d, cb); b=weakref.ref(d); del d",
          "n=gc.collect(); print(n, L, r() is None, b() is None, len(S), weakref.getweakrefcount(S[0]))",
          "b2=weakref.ref(S[0]); print(b2 is b, b2() is S[0])",
          "S.clear(); print(gc.collect(), L, b2() is None)",
        ].join("\n"),
      ),
    );
    expect(line1).toBe("0 ['cb', 'del'] True True 1 0");
    drop(h, r, b, b2, S);
    expectSound(h);
  });

  it("a garbage weakref to a live object is cleared and freed without a call; the object keeps no trace of it", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const x = core.newInstance(h, C.id);
    const c = core.newInstance(h, C.id);
    selfRef(h, c);
    const wr = newRef(h, x, () => L.push("cb"));
    setAttr(h, c, "wr", wr);
    const px = newProxy(h, x, () => L.push("pcb"));
    setAttr(h, c, "px", px);
    drop(h, wr, px, c);
    const line1 = pr(core.gc.collect(h), getweakrefcount(h, x), L);
    drop(h, x);
    const line2 = pr(L);
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect(); C=type('C',(),{}); L=[]\ndef cb(w): L.append('cb')\ndef pcb(w): L.append('pcb')\nx=C(); c=C(); c.me=c; c.wr=weakref.ref(x, cb); c.px=weakref.proxy(x, pcb); del c\nprint(gc.collect(), weakref.getweakrefcount(x), L); del x; print(L)",
      ),
    );
    expect(`${line1}\n${line2}`).toBe("3 0 []\n[]");
    expectSound(h);
  });

  it("only the weakrefs that are not garbage call back, referent by referent in the garbage's order", async () => {
    const { h, C } = weakHeap();
    const n = new Labels();
    const L: string[] = [];
    const cb = (w: number) => L.push(n.of(w));
    const a = n.add(core.newInstance(h, C.id), "a");
    const b = n.add(core.newInstance(h, C.id), "b");
    setAttr(h, a, "o", b);
    setAttr(h, b, "o", a);
    const trash = n.add(newRef(h, b, cb), "trash"); // a.wr: garbage with a and b
    setAttr(h, a, "wr", trash);
    const held = [
      n.add(newRef(h, a, cb), "ra1"),
      n.add(newRef(h, b, cb), "rb1"),
      n.add(newProxy(h, a, cb), "pa"),
      n.add(newRef(h, b, cb), "rb2"),
      n.add(newRef(h, a), "basic-a"),
    ];
    drop(h, trash, a, b);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]; N={}",
          "def cb(w): L.append(N[id(w)])",
          "def name(w, s):\n    N[id(w)] = s\n    return w",
          "a=C(); b=C(); a.o=b; b.o=a; a.wr=name(weakref.ref(b, cb), 'trash')",
          "held=[name(weakref.ref(a, cb), 'ra1'), name(weakref.ref(b, cb), 'rb1'), name(weakref.proxy(a, cb), 'pa'), name(weakref.ref(b, cb), 'rb2'), name(weakref.ref(a), 'basic-a')]",
          "del a, b",
          "print(gc.collect(), L)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("3 ['pa', 'ra1', 'rb2', 'rb1']");
    drop(h, ...held);
    expectSound(h);
  });

  it("a callback that raises is reported as unraisable; the other callbacks and the collection go on", async () => {
    const { h, C } = weakHeap();
    const L: PyVal[] = [];
    h.unraisableHook = (error, where) =>
      L.push(`unraisable ${(error as Error).name} ${/callback (\S+)>$/.exec(where)?.[1]}`);
    const o = core.newInstance(h, C.id);
    selfRef(h, o);
    const rs = [
      newRef(h, o, function cb0() {
        L.push("cb0");
      }),
      newRef(h, o, function cb1() {
        L.push("cb1");
        throw zeroDivision();
      }),
      newRef(h, o, function cb2() {
        L.push("cb2");
      }),
    ];
    drop(h, o);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        [
          "import gc, sys, weakref",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]",
          "sys.unraisablehook = lambda u: L.append(f'unraisable {type(u.exc_value).__name__} {u.object.__name__}')",
          "def cb0(w): L.append('cb0')",
          "def cb1(w): L.append('cb1'); 1/0",
          "def cb2(w): L.append('cb2')",
          "o=C(); o.me=o; rs=[weakref.ref(o, cb0), weakref.ref(o, cb1), weakref.ref(o, cb2)]; del o",
          "print(gc.collect(), L)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("1 ['cb2', 'cb1', 'unraisable ZeroDivisionError cb1', 'cb0']");
    drop(h, ...rs);
    expectSound(h);
  });

  it("gc.collect() inside a callback run by the collector returns 0; a callback's refcount deaths call back inside it", async () => {
    const { h, C } = weakHeap();
    const L: PyVal[] = [];
    const hold = core.newList(h);
    const x = core.newInstance(h, C.id);
    core.listAppend(h, hold, x, true);
    const rx = newRef(h, x, () => L.push("x"));
    drop(h, x);
    const o = core.newInstance(h, C.id);
    selfRef(h, o);
    const ro = newRef(h, o, () => {
      L.push("o-start");
      L.push(core.gc.collect(h));
      core.listClear(h, hold);
      L.push("o-end");
    });
    drop(h, o);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]",
          "def cbx(w): L.append('x')",
          "def cbo(w): L.append('o-start'); L.append(gc.collect()); hold.clear(); L.append('o-end')",
          "x=C(); hold=[x]; rx=weakref.ref(x, cbx); del x",
          "o=C(); o.me=o; ro=weakref.ref(o, cbo); del o",
          "print(gc.collect(), L)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("1 ['o-start', 0, 'x', 'o-end']");
    drop(h, hold, rx, ro);
    expectSound(h);
  });

  it("a weakref made by __del__ during a collection is not cleared by it: its callback runs when the object is freed", async () => {
    const { h } = weakHeap();
    const L: PyVal[] = [];
    const keep: number[] = [];
    const cb = (w: number) => L.push(new Tup("cb", isDead(h, w)));
    const D = weakClass(h, "D", {
      finalize: (s) => {
        L.push("del");
        keep.push(newRef(h, s, cb));
      },
    });
    const d = core.newInstance(h, D.id);
    selfRef(h, d);
    drop(h, d);
    const out = pr(core.gc.collect(h), L, isDead(h, keep[0]!));
    expect(out).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect(); L=[]; keep=[]\ndef cb(w): L.append(('cb', w() is None))\nclass D:\n    def __del__(s): L.append('del'); keep.append(weakref.ref(s, cb))\nd=D(); d.me=d; del d; print(gc.collect(), L, keep[0]() is None)",
      ),
    );
    expect(out).toBe("1 ['del', ('cb', True)] True");
    drop(h, ...keep);
    expectSound(h);
  });

  it("uncollectable objects (legacy finalizers) keep their weakrefs, and weakrefs they hold stay alive", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const U = weakClass(h, "U", { legacyFinalize: () => L.push("tpdel") });
    const x = core.newInstance(h, C.id);
    const u = core.newInstance(h, U.id);
    selfRef(h, u);
    const ru = newRef(h, u, () => L.push("ru"));
    const wx = newRef(h, x, () => L.push("wx"));
    setAttr(h, u, "wx", wx);
    drop(h, wx, u);
    const n = core.gc.collect(h);
    const g0 = core.slotRef(h, core.listItemSlot(h, h.garbage, 0));
    const line1 = pr(n, weakrefGet(h, ru) === g0, getweakrefcount(h, x), L);
    drop(h, x);
    const line2 = pr(L);
    expect(`${line1}\n${line2}`).toBe(
      await python(
        [
          "import gc, weakref, _testcapi",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]",
          "def ru_cb(w): L.append('ru')",
          "def wx_cb(w): L.append('wx')",
          "U=_testcapi.with_tp_del(type('U',(),{'__tp_del__': lambda s: L.append('tpdel')}))",
          "x=C(); u=U(); u.me=u; ru=weakref.ref(u, ru_cb); u.wx=weakref.ref(x, wx_cb); del u",
          "n=gc.collect(); print(n, ru() is gc.garbage[0], weakref.getweakrefcount(x), L); del x; print(L)",
        ].join("\n"),
      ),
    );
    expect(`${line1}\n${line2}`).toBe("2 True 1 []\n['wx']");
    // Release the uncollectable cycle so the heap can be checked clean.
    const me = core.newStr(h, "me");
    core.delAttr(h, g0, me);
    drop(h, me);
    core.listClear(h, h.garbage);
    drop(h, ru);
    expectSound(h);
  });

  it("a weakref an uncollectable object holds calls back for a collected referent, and leaves the uncollectable set", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const U = weakClass(h, "U", { legacyFinalize: () => L.push("tpdel") });
    const y = core.newInstance(h, C.id);
    selfRef(h, y);
    const u = core.newInstance(h, U.id);
    selfRef(h, u);
    const wy = newRef(h, y, () => L.push("wy"));
    setAttr(h, u, "wy", wy);
    drop(h, wy, u, y);
    const n = core.gc.collect(h);
    const line = pr(n, core.gc.getStats(h)[2]!.uncollectable, L, core.listSize(h, h.garbage));
    expect(line).toBe(
      await python(
        [
          "import gc, weakref, _testcapi",
          "gc.disable(); gc.collect(); C=type('C',(),{}); L=[]",
          "def wy_cb(w): L.append('wy')",
          "U=_testcapi.with_tp_del(type('U',(),{'__tp_del__': lambda s: L.append('tpdel')}))",
          "y=C(); y.me=y; u=U(); u.me=u; u.wy=weakref.ref(y, wy_cb); del u, y",
          "n=gc.collect(); print(n, gc.get_stats()[2]['uncollectable'], L, len(gc.garbage))",
        ].join("\n"),
      ),
    );
    // y is collected (1); u is uncollectable (1); the weakref, moved out to be called, is neither.
    expect(line).toBe("2 1 ['wy'] 1");
    const g0 = core.slotRef(h, core.listItemSlot(h, h.garbage, 0));
    const me = core.newStr(h, "me");
    core.delAttr(h, g0, me);
    drop(h, me);
    core.listClear(h, h.garbage);
    expectSound(h);
  });

  it("a weakref that survives its callback moves to the next generation with the other survivors", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    selfRef(h, o);
    const r = newRef(h, o, () => {});
    const keep = newRef(h, o); // no callback: stays where the survivors go too
    drop(h, o);
    const n = core.gc.collect(h, 0);
    const out = pr(n, objects(h, 1).includes(r), objects(h, 1).includes(keep), core.gc.isTracked(h, r));
    expect(out).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect(); C=type('C',(),{})\ndef cb(w): pass\no=C(); o.me=o; r=weakref.ref(o, cb); keep=weakref.ref(o); del o\nn=gc.collect(0); print(n, any(x is r for x in gc.get_objects(1)), any(x is keep for x in gc.get_objects(1)), gc.is_tracked(r))",
      ),
    );
    drop(h, r, keep);
    expectSound(h);
  });
});
