/**
 * Weak references at the engine level against CPython 3.11 (Objects/weakrefobject.c,
 * Modules/_weakref.c): the per-object list order, reuse of the basic ref and
 * proxy, hashing and equality through dicts, the errors, and what happens when a referent dies
 * by reference counting — callbacks newest first, after the finalizer, each failure reported as
 * unraisable; weakrefs made while an automatic collection runs; deep (trashcan) deallocations.
 * Death in the collector is weakref-gc.test.ts.
 *
 * Each test builds the line CPython prints and compares it with the output of the same program
 * run by python3. A weakref callback here is a JS function, outside the heap; the CPython
 * programs use functions kept alive by their globals, which behave the same.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { weakrefCallback } from "../../src/object/index.js";
import { drop, newHeap, pyGetCount, python, settle } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";
import {
  isDead,
  Labels,
  type PyVal,
  pr,
  py,
  pyError,
  selfRef,
  setAttr,
  Tup,
  weakClass,
  weakHeap,
  weakrefsOf,
  zeroDivision,
} from "./wr-helpers.js";

const { newRef, newProxy, newKeyedRef, weakrefGet, proxyReferent, getweakrefcount } = core.weakref;

describe("the weakref list (get_basic_refs): order, getweakrefcount, getweakrefs", () => {
  it("#53: three callback refs, then the basic ref and basic proxy: [b, p, r2, r1, r0]; callbacks [2, 1, 0]", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const L: number[] = [];
    const rs = [0, 1, 2].map((i) => newRef(h, o, () => L.push(i)));
    const b = newRef(h, o);
    const p = newProxy(h, o);
    const l = weakrefsOf(h, o);
    const line1 = pr(getweakrefcount(h, o), [l[0] === b, l[1] === b], l[1] === p, l[2] === rs[2]);
    drop(h, o);
    const out = `${line1}\n${py(L)}`;
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); C=type('C',(),{}); o=C(); L=[]; rs=[weakref.ref(o, lambda w, i=i: L.append(i)) for i in range(3)]; b=weakref.ref(o); p=weakref.proxy(o); print(weakref.getweakrefcount(o), [x is b for x in weakref.getweakrefs(o)][:2], weakref.getweakrefs(o)[1] is p, weakref.getweakrefs(o)[2] is rs[2]); del o; print(L)",
      ),
    );
    expect(out).toBe("5 [True, False] True True\n[2, 1, 0]");
    drop(h, ...rs, b, p);
    expectSound(h);
  });

  it("callback proxies count like callback refs: every non-basic weakref goes right after the basic ones", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const n = new Labels();
    const L: string[] = [];
    const cb = (w: number) => L.push(n.of(w));
    const held = [
      n.add(newRef(h, o, cb), "r0"),
      n.add(newProxy(h, o, cb), "p0"),
      n.add(newRef(h, o), "b"),
      n.add(newRef(h, o, cb), "r1"),
      n.add(newProxy(h, o), "p"),
      n.add(newRef(h, o, cb), "r2"),
    ];
    const line1 = pr(
      getweakrefcount(h, o),
      weakrefsOf(h, o).map((w) => n.of(w)),
    );
    drop(h, o);
    const out = `${line1}\n${py(L)}`;
    expect(out).toBe(
      await python(
        "import gc, weakref\ngc.disable(); gc.collect()\nC=type('C',(),{})\no=C(); L=[]; N={}\ndef cb(w): L.append(N[id(w)])\nr0=weakref.ref(o, cb); N[id(r0)]='r0'\np0=weakref.proxy(o, cb); N[id(p0)]='p0'\nb=weakref.ref(o); N[id(b)]='b'\nr1=weakref.ref(o, cb); N[id(r1)]='r1'\np=weakref.proxy(o); N[id(p)]='p'\nr2=weakref.ref(o, cb); N[id(r2)]='r2'\nprint(weakref.getweakrefcount(o), [N[id(x)] for x in weakref.getweakrefs(o)])\ndel o\nprint(L)",
      ),
    );
    expect(out).toBe("6 ['b', 'p', 'r2', 'r1', 'p0', 'r0']\n['r2', 'r1', 'p0', 'r0']");
    drop(h, ...held);
    expectSound(h);
  });

  it("the list as weakrefs die and new ones come: a new basic ref goes to the head, a new basic proxy after it", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const n = new Labels();
    const cb = () => {};
    const names = () => py(weakrefsOf(h, o).map((w) => n.of(w)));
    const r0 = n.add(newRef(h, o, cb), "r0");
    const p0 = n.add(newProxy(h, o, cb), "p0");
    let b = n.add(newRef(h, o), "b");
    const r1 = n.add(newRef(h, o, cb), "r1");
    let p = n.add(newProxy(h, o), "p");
    const r2 = n.add(newRef(h, o, cb), "r2");
    const lines = [names()];
    drop(h, r1, p); // from the middle, and the basic proxy
    lines.push(names());
    p = n.add(newProxy(h, o), "p2");
    const r3 = n.add(newRef(h, o, cb), "r3");
    lines.push(names());
    drop(h, b); // the head
    const r4 = n.add(newRef(h, o, cb), "r4");
    lines.push(names());
    b = n.add(newRef(h, o), "b2");
    lines.push(names());
    drop(h, p);
    const r5 = n.add(newRef(h, o, cb), "r5");
    lines.push(names(), String(getweakrefcount(h, o)));
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect()",
          "C=type('C',(),{}); o=C(); N={}",
          "def cb(w): pass",
          "def name(w, n):\n    N[id(w)] = n\n    return w",
          "def names(): print([N[id(x)] for x in weakref.getweakrefs(o)])",
          "r0=name(weakref.ref(o, cb), 'r0'); p0=name(weakref.proxy(o, cb), 'p0'); b=name(weakref.ref(o), 'b')",
          "r1=name(weakref.ref(o, cb), 'r1'); p=name(weakref.proxy(o), 'p'); r2=name(weakref.ref(o, cb), 'r2')",
          "names()",
          "del r1, p; names()",
          "p=name(weakref.proxy(o), 'p2'); r3=name(weakref.ref(o, cb), 'r3'); names()",
          "del b; r4=name(weakref.ref(o, cb), 'r4'); names()",
          "b=name(weakref.ref(o), 'b2'); names()",
          "del p; r5=name(weakref.ref(o, cb), 'r5'); names(); print(weakref.getweakrefcount(o))",
        ].join("\n"),
      ),
    );
    drop(h, o, r0, p0, r2, r3, r4, b, r5);
    expectSound(h);
  });

  it("#63: objects that cannot have weakrefs have none: count 0, getweakrefs []", async () => {
    const { h } = weakHeap();
    const S = h.defineClass({ name: "S" }); // like `class S: __slots__ = ()`
    const l = core.newList(h);
    const s = core.newStr(h, "a");
    const i = core.newInstance(h, S.id);
    const out = pr(
      getweakrefcount(h, l),
      weakrefsOf(h, l),
      getweakrefcount(h, s),
      getweakrefcount(h, i),
      weakrefsOf(h, i),
    );
    expect(out).toBe(
      await python(
        "import weakref\nclass S: __slots__ = ()\nprint(weakref.getweakrefcount([]), weakref.getweakrefs([]), weakref.getweakrefcount('a'), weakref.getweakrefcount(S()), weakref.getweakrefs(S()))",
      ),
    );
    drop(h, l, s, i);
    expectSound(h);
  });
});

describe("the reference objects", () => {
  it("#60: ref(c) and proxy(c) without callback are shared; with a callback, or a KeyedRef, never", async () => {
    const { h, C } = weakHeap();
    const c = core.newInstance(h, C.id);
    const cb = () => {};
    const made: number[] = [];
    const mk = (w: number) => {
      made.push(w);
      return w;
    };
    /** `make() is make()`, keeping both results to release at the end. */
    const same = (make: () => number) => {
      const first = mk(make());
      return first === mk(make());
    };
    const typeName = (o: number) => (h.types[core.typeIdOf(h, o)] as core.TypeInfo).name;
    const r = mk(newRef(h, c));
    const out = pr(
      r === mk(newRef(h, c)),
      same(() => newRef(h, c, cb)),
      same(() => newProxy(h, c)),
      weakrefCallback(h, r) === undefined ? null : "cb",
      same(() => newKeyedRef(h, c, null, 1, false)),
      typeName(r),
      typeName(made[4]!),
      typeName(made[6]!),
      core.getrefcount(h, r),
    );
    expect(out).toBe(
      await python(
        "import sys, weakref; C=type('C',(),{}); c=C(); r=weakref.ref(c); q=weakref.ref(c); p=weakref.proxy(c); k=weakref.KeyedRef(c, None, 1)\nn=lambda o: type(o).__module__ + '.' + type(o).__name__\nprint(weakref.ref(c) is weakref.ref(c), weakref.ref(c, print) is weakref.ref(c, print), weakref.proxy(c) is weakref.proxy(c), weakref.ref(c).__callback__, weakref.KeyedRef(c, None, 1) is weakref.KeyedRef(c, None, 1), n(r), n(p), type(k).__name__, sys.getrefcount(r) - 1)",
      ),
    );
    drop(h, c, ...made);
    expectSound(h);
  });

  it("r.__callback__: cleared before the call when the referent dies by refcount, kept when the collector calls it", async () => {
    const { h, C } = weakHeap();
    const L: boolean[] = [];
    const cb = (w: number) => L.push(weakrefCallback(h, w) === cb);
    const a = core.newInstance(h, C.id);
    const ra = newRef(h, a, cb);
    const line1 = pr(weakrefCallback(h, ra) === cb);
    drop(h, a);
    const line2 = pr(weakrefCallback(h, ra) === undefined ? null : "cb");
    const b = core.newInstance(h, C.id);
    selfRef(h, b);
    const rb = newRef(h, b, cb);
    drop(h, b);
    core.gc.collect(h);
    const line3 = pr(weakrefCallback(h, rb) === cb, L);
    expect([line1, line2, line3].join("\n")).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); L=[]\ndef cb(w): L.append(w.__callback__ is cb)\na=C(); ra=weakref.ref(a, cb); print(ra.__callback__ is cb); del a; print(ra.__callback__)\nb=C(); b.me=b; rb=weakref.ref(b, cb); del b; gc.collect(); print(rb.__callback__ is cb, L)",
      ),
    );
    expect([line1, line2, line3].join("\n")).toBe("True\nNone\nTrue [False, True]");
    drop(h, ra, rb);
    expectSound(h);
  });

  it("a type object (a class) is weakrefable", async () => {
    const { h, C } = weakHeap();
    const t = h.typeObject[C.id]!;
    const r = newRef(h, t);
    const out = pr(weakrefGet(h, r) === t, getweakrefcount(h, t));
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); r=weakref.ref(C); print(r() is C, weakref.getweakrefcount(C))",
      ),
    );
    drop(h, r);
    expectSound(h);
  });

  it("#61/#62: 'cannot create weak reference to …' for every referent that has no weakref list", async () => {
    const { h, C } = weakHeap();
    const S = h.defineClass({ name: "S", fields: [{ name: "x", kind: "any" }] }); // __slots__ without __weakref__
    const N = h.defineClass({ name: "N", dynamic: true }); // dynamic but not weakrefable
    const c = core.newInstance(h, C.id);
    const s = core.newInstance(h, S.id);
    const nobj = core.newInstance(h, N.id);
    const l = core.newList(h);
    const d = core.newDict(h);
    const t = core.newTuple(h, 1);
    core.tupleSetItem(h, t, 0, 1, false);
    const str = core.newStr(h, "a");
    const r = newRef(h, c);
    const p = newProxy(h, c);
    const k = newKeyedRef(h, c, null, 1, false);
    const lines = [
      pyError(() => newRef(h, s)),
      pyError(() => newProxy(h, s)),
      pyError(() => newKeyedRef(h, s, null, 1, false)),
      pyError(() => newRef(h, nobj, () => {})),
      pyError(() => newRef(h, l)),
      pyError(() => newRef(h, d)),
      pyError(() => newRef(h, t)),
      pyError(() => newRef(h, str)),
      pyError(() => newRef(h, core.NONE)),
      pyError(() => newRef(h, r)),
      pyError(() => newRef(h, p)),
      pyError(() => newRef(h, k)),
    ];
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import weakref",
          "class C: pass",
          "class S: __slots__ = ('x',)",
          "class N: __slots__ = ('__dict__',)",
          "c=C(); r=weakref.ref(c); p=weakref.proxy(c); k=weakref.KeyedRef(c, None, 1)",
          "def e(f, *a):\n    try:\n        f(*a)\n    except TypeError as x:\n        print('TypeError: ' + str(x))",
          "e(weakref.ref, S()); e(weakref.proxy, S()); e(weakref.KeyedRef, S(), None, 1); e(weakref.ref, N(), print)",
          "e(weakref.ref, []); e(weakref.ref, {}); e(weakref.ref, (1,)); e(weakref.ref, 'a'); e(weakref.ref, None)",
          "e(weakref.ref, r); e(weakref.ref, p); e(weakref.ref, k)",
        ].join("\n"),
      ),
    );
    expect(lines[0]).toBe("TypeError: cannot create weak reference to 'S' object");
    expect(getweakrefcount(h, c)).toBe(3); // the failed calls added nothing
    drop(h, c, s, nobj, l, d, t, str, r, p, k);
    expectSound(h);
  });

  it("#66: a proxy forwards to its referent while it lives; a dead one raises ReferenceError", async () => {
    const { h, C } = weakHeap();
    const c = core.newInstance(h, C.id);
    const p = newProxy(h, c);
    const line1 = pr(proxyReferent(h, p) === c);
    const dying = core.newInstance(h, C.id);
    const q = newProxy(h, dying);
    drop(h, dying); // p=weakref.proxy(C()): the instance dies at once
    const line2 = pyError(() => proxyReferent(h, q));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C(); p=weakref.proxy(c); c.x=1; print(p.x == 1)\np=weakref.proxy(C())\ntry:\n    p.x\nexcept ReferenceError as e:\n    print('ReferenceError: ' + str(e))",
      ),
    );
    expect(line2).toBe("ReferenceError: weakly-referenced object no longer exists");
    drop(h, c, p, q);
    expectSound(h);
  });
});

describe("hashing and equality (through dict keys)", () => {
  it("#64: a weakref that was never hashed cannot be hashed once its referent is gone", async () => {
    const { h, C } = weakHeap();
    const dying = core.newInstance(h, C.id);
    const r = newRef(h, dying);
    drop(h, dying);
    const d = core.newDict(h);
    const out = `${pr(isDead(h, r) ? null : "alive")}\n${pyError(() => core.dictSetItem(h, d, r, true, 1, false))}`;
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); r=weakref.ref(C()); print(r())\ntry:\n    {r: 1}\nexcept TypeError as e:\n    print('TypeError: ' + str(e))",
      ),
    );
    expect(core.dictSize(h, d)).toBe(0);
    drop(h, r, d);
    expectSound(h);
  });

  it("#65: the hash is cached on first use, so a weakref hashed while alive still works as a key", async () => {
    const { h, C } = weakHeap();
    const c = core.newInstance(h, C.id);
    const r = newRef(h, c);
    const d = core.newDict(h);
    core.dictSetItem(h, d, r, true, 7, false);
    drop(h, c);
    const p = core.dictGetSlot(h, d, r, true);
    const dying = core.newInstance(h, C.id);
    const r2 = newRef(h, dying);
    drop(h, dying);
    const out = `${pr(isDead(h, r), p !== 0, p === 0 ? null : core.slotNumber(h, p))}\n${pyError(() => core.dictGetSlot(h, d, r2, true))}`;
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C(); r=weakref.ref(c); d={r: 7}; del c; print(r() is None, r in d, d[r])\nr2=weakref.ref(C())\ntry:\n    r2 in d\nexcept TypeError as e:\n    print('TypeError: ' + str(e))",
      ),
    );
    drop(h, r, r2, d);
    expectSound(h);
  });

  it("#68: weakrefs are equal while both referents live and are the same; dead ones only to themselves", async () => {
    const { h, C } = weakHeap();
    const cb = () => {};
    const a = core.newInstance(h, C.id);
    const r1 = newRef(h, a);
    const r2 = newRef(h, a, cb);
    const d = core.newDict(h);
    core.dictSetItem(h, d, r1, true, 7, false);
    const b = core.newInstance(h, C.id);
    const rb = newRef(h, b, cb);
    const has = (k: number) => core.dictGetSlot(h, d, k, true) !== 0;
    const line1 = pr(has(r2), core.slotNumber(h, core.dictGetSlot(h, d, r2, true)), has(rb));
    drop(h, a);
    const line2 = pr(has(r2), has(r1));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import weakref; C=type('C',(),{}); cb=lambda w: None; a=C(); r1=weakref.ref(a); r2=weakref.ref(a, cb); d={r1: 7}; b=C(); rb=weakref.ref(b, cb); print(r2 in d, d[r2], rb in d); del a; print(r2 in d, r1 in d)",
      ),
    );
    expect(`${line1}\n${line2}`).toBe("True 7 False\nFalse True");
    drop(h, r1, r2, rb, b, d);
    expectSound(h);
  });

  it("#67: proxies are unhashable", async () => {
    const { h, C } = weakHeap();
    const c = core.newInstance(h, C.id);
    const p = newProxy(h, c);
    const d = core.newDict(h);
    const out = pyError(() => core.dictSetItem(h, d, p, true, 1, false));
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C()\ntry:\n    hash(weakref.proxy(c))\nexcept TypeError as e:\n    print('TypeError: ' + str(e))",
      ),
    );
    drop(h, c, p, d);
    expectSound(h);
  });
});

describe("weakrefs are GC objects: generation 0's count", () => {
  it("a new weakref counts 1, a reused basic ref 0, a freed one -1; a referent dying with several weakrefs nets 0 (its 4-tuple +1, itself -1)", async () => {
    const h = newHeap();
    const C = weakClass(h, "C");
    settle(h);
    const cb = () => {};
    const o = core.newInstance(h, C.id);
    core.gc.collect(h);
    // Python calls weakref.ref(o[, cb]) and weakref.proxy(o) with an argument tuple (type_call,
    // METH_VARARGS), a GC allocation taken from the tuple freelist when it can be: the engine's
    // functions take no tuple, so the program here makes the one Python makes.
    const call = (nargs: number, make: () => number): number => {
      const args = core.newTuple(h, nargs);
      const w = make();
      drop(h, args);
      return w;
    };
    const c: number[] = [pyGetCount(h)[0]];
    const at = () => c.push(pyGetCount(h)[0]);
    const r = call(1, () => newRef(h, o));
    at();
    const r2 = call(1, () => newRef(h, o));
    at();
    let r3 = call(2, () => newRef(h, o, cb));
    at();
    const p = call(1, () => newProxy(h, o));
    at();
    drop(h, r2);
    at();
    drop(h, r3);
    at();
    r3 = call(2, () => newRef(h, o, cb));
    const r4 = call(2, () => newRef(h, o, cb));
    at();
    drop(h, o); // a 4-tuple for the two callbacks (+1), the instance freed (-1)
    at();
    const out = pr(...c.slice(1).map((x, i) => x - c[i]!));
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect()",
          "C=type('C',(),{})",
          "def cb(w): pass",
          "o=C()",
          "gc.collect()",
          "c0=gc.get_count()[0]",
          "r=weakref.ref(o); c1=gc.get_count()[0]",
          "r2=weakref.ref(o); c2=gc.get_count()[0]",
          "r3=weakref.ref(o, cb); c3=gc.get_count()[0]",
          "p=weakref.proxy(o); c4=gc.get_count()[0]",
          "del r2; c5=gc.get_count()[0]",
          "del r3; c6=gc.get_count()[0]",
          "r3=weakref.ref(o, cb); r4=weakref.ref(o, cb); c7=gc.get_count()[0]",
          "del o; c8=gc.get_count()[0]",
          "print(c1-c0, c2-c1, c3-c2, c4-c3, c5-c4, c6-c5, c7-c6, c8-c7)",
        ].join("\n"),
      ),
    );
    // The first ref and the first ref with a callback also made their argument tuples, and the
    // first delta includes the first get_count's result tuple.
    expect(out).toBe("3 0 2 1 0 -1 2 0");
    drop(h, r, r3, r4, p);
    expectSound(h);
  });
});

/** Records unraisable reports as `sys.unraisablehook = lambda u: L.append(…)` does below. */
function recordUnraisable(h: core.Engine, L: PyVal[]): void {
  h.unraisableHook = (error, where) => {
    const fn = /callback (\S+)>$/.exec(where)?.[1] ?? where;
    L.push(`unraisable ${(error as Error).name} ${fn}`);
  };
}
const PY_RECORD_UNRAISABLE =
  "sys.unraisablehook = lambda u: L.append(f'unraisable {type(u.exc_value).__name__} {u.object.__name__}')";

describe("the referent dies by refcount (PyObject_ClearWeakRefs)", () => {
  it("#55: the finalizer runs first and still sees the weakref alive; then the callback gets the dead weakref", async () => {
    const { h } = weakHeap();
    const L: PyVal[] = [];
    let r = 0;
    const D = weakClass(h, "D", { finalize: (s) => L.push(new Tup("del", weakrefGet(h, r) === s)) });
    const d = core.newInstance(h, D.id);
    r = newRef(h, d, (w) => L.push(new Tup("cb", isDead(h, w))));
    drop(h, d);
    expect(py(L)).toBe(
      await python(
        "import gc, weakref; L=[]; D=type('D',(),{'__del__':lambda s: L.append(('del', r() is s))}); d=D(); r=weakref.ref(d, lambda w: L.append(('cb', w() is None))); del d; print(L)",
      ),
    );
    expect(py(L)).toBe("[('del', True), ('cb', True)]");
    drop(h, r);
    expectSound(h);
  });

  it("every weakref is dead before the first callback; each callback gets its own weakref", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const L: PyVal[] = [];
    const rs: number[] = [];
    const cb = (w: number) =>
      L.push(
        new Tup(
          rs.indexOf(w),
          rs.map((x) => isDead(h, x)),
          isDead(h, b),
          isDead(h, p),
        ),
      );
    for (let i = 0; i < 3; i++) rs.push(newRef(h, o, cb));
    const b = newRef(h, o);
    const p = newProxy(h, o);
    drop(h, o);
    expect(py(L)).toBe(
      await python(
        // A dead proxy's repr (3.11): <weakproxy at 0x… to NoneType at 0x…>
        "import weakref; C=type('C',(),{}); o=C(); L=[]; rs=[]\ndef cb(w): L.append((rs.index(w), [x() is None for x in rs], b() is None, repr(p).split(' ')[-3] == 'NoneType'))\nrs=[weakref.ref(o, cb) for i in range(3)]; b=weakref.ref(o); p=weakref.proxy(o); del o; print(L)",
      ),
    );
    drop(h, ...rs, b, p);
    expectSound(h);
  });

  it("#80: a callback that raises is reported as unraisable, and the next callbacks still run", async () => {
    const { h, C } = weakHeap();
    const L: PyVal[] = [];
    recordUnraisable(h, L);
    const c = core.newInstance(h, C.id);
    const r = newRef(h, c, function boom() {
      throw zeroDivision();
    });
    drop(h, c);
    L.push("after");
    const c3 = core.newInstance(h, C.id);
    const rs = [
      newRef(h, c3, function cb0() {
        L.push("cb0");
      }),
      newRef(h, c3, function cb1() {
        L.push("cb1");
        throw zeroDivision();
      }),
      newRef(h, c3, function cb2() {
        L.push("cb2");
      }),
    ];
    drop(h, c3);
    L.push("end");
    expect(py(L)).toBe(
      await python(
        [
          "import sys, weakref",
          "L=[]",
          PY_RECORD_UNRAISABLE,
          "C=type('C',(),{})",
          "def boom(w): 1/0",
          "def cb0(w): L.append('cb0')",
          "def cb1(w): L.append('cb1'); 1/0",
          "def cb2(w): L.append('cb2')",
          "c=C(); r=weakref.ref(c, boom); del c; L.append('after')",
          "c=C(); rs=[weakref.ref(c, cb0), weakref.ref(c, cb1), weakref.ref(c, cb2)]; del c; L.append('end')",
          "print(L)",
        ].join("\n"),
      ),
    );
    expect(py(L)).toBe(
      "['unraisable ZeroDivisionError boom', 'after', 'cb2', 'cb1', 'unraisable ZeroDivisionError cb1', 'cb0', 'end']",
    );
    drop(h, r, ...rs);
    expectSound(h);
  });

  it("a weakref that dies before its referent never calls back (also a KeyedRef whose key is its referent)", async () => {
    const { h, C } = weakHeap();
    const n = new Labels();
    const L: string[] = [];
    const cb = (w: number) => L.push(n.of(w));
    const lines: string[] = [];
    let o = core.newInstance(h, C.id);
    drop(h, n.add(newRef(h, o, cb), "r"));
    drop(h, o);
    lines.push(py(L));
    o = core.newInstance(h, C.id);
    const r1 = n.add(newRef(h, o, cb), "r1");
    drop(h, n.add(newRef(h, o, cb), "r2"));
    const r3 = n.add(newRef(h, o, cb), "r3");
    drop(h, o);
    lines.push(py(L));
    // KeyedRef(o, cb, o): dropping it releases its key, the last reference to o; o's list still
    // holds the dying KeyedRef (refcount 0), which is cleared without a call.
    o = core.newInstance(h, C.id);
    let k = n.add(newKeyedRef(h, o, cb, o, true), "k");
    drop(h, o, k);
    lines.push(py(L));
    o = core.newInstance(h, C.id);
    k = n.add(newKeyedRef(h, o, cb, o, true), "k2");
    const r4 = n.add(newRef(h, o, cb), "r4");
    drop(h, o, k);
    lines.push(py(L));
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import weakref",
          "C=type('C',(),{}); L=[]; N={}",
          "def cb(w): L.append(N[id(w)])",
          "def mk(o, n, key=None):\n    w = weakref.ref(o, cb) if key is None else weakref.KeyedRef(o, cb, key)\n    N[id(w)] = n\n    return w",
          "o=C(); r=mk(o, 'r'); del r; del o; print(L)",
          "o=C(); r1=mk(o, 'r1'); r2=mk(o, 'r2'); r3=mk(o, 'r3'); del r2; del o; print(L)",
          "o=C(); k=mk(o, 'k', o); del o; del k; print(L)",
          "o=C(); k=mk(o, 'k2', o); r4=mk(o, 'r4'); del o; del k; print(L)",
        ].join("\n"),
      ),
    );
    expect(lines.at(-1)).toBe("['r3', 'r1', 'r4']");
    drop(h, r1, r3, r4);
    expectSound(h);
  });

  it("weakrefs made inside __del__ are cleared with the others, and their callbacks run (newest first)", async () => {
    const { h } = weakHeap();
    const L: PyVal[] = [];
    const keep: number[] = [];
    const cb = (w: number) => L.push(new Tup("cb", w === keep[0]));
    const D = weakClass(h, "D", {
      finalize: (s) => {
        L.push("del");
        keep.push(newRef(h, s, cb));
      },
    });
    const d = core.newInstance(h, D.id);
    const r = newRef(h, d, () => L.push("r"));
    drop(h, d);
    const out = pr(L, isDead(h, keep[0]!));
    expect(out).toBe(
      await python(
        "import weakref\nL=[]; keep=[]\ndef cb(w): L.append(('cb', w is keep[0]))\nclass D:\n    def __del__(s): L.append('del'); keep.append(weakref.ref(s, cb))\nd=D(); r=weakref.ref(d, lambda w: L.append('r')); del d; print(L, keep[0]() is None)",
      ),
    );
    expect(out).toBe("['del', ('cb', True), 'r'] True");
    drop(h, r, ...keep);
    expectSound(h);
  });

  it("an object resurrected by __del__ keeps its weakrefs; when it dies again they die, without a second __del__", async () => {
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
    const r = newRef(h, d, () => L.push("cb"));
    const b = newRef(h, d);
    drop(h, d);
    const saved = core.slotRef(h, core.listItemSlot(h, S, 0));
    const line1 = pr(L, weakrefGet(h, r) === saved, weakrefGet(h, b) === saved, getweakrefcount(h, saved));
    core.listClear(h, S);
    const line2 = pr(L, isDead(h, r), isDead(h, b));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import weakref\nL=[]; S=[]\nclass D:\n    def __del__(s): L.append('del'); S.append(s)\ndef cb(w): L.append('cb')\nd=D(); r=weakref.ref(d, cb); b=weakref.ref(d); del d\nprint(L, r() is S[0], b() is S[0], weakref.getweakrefcount(S[0]))\nS.clear(); print(L, r() is None, b() is None)",
      ),
    );
    expect(`${line1}\n${line2}`).toBe("['del'] True True 2\n['del', 'cb'] True True");
    drop(h, r, b, S);
    expectSound(h);
  });

  it("a legacy finalizer (tp_del) runs after the callbacks; weakrefs it makes die without callbacks unless it resurrects", async () => {
    const { h } = weakHeap();
    const n = new Labels();
    const L: PyVal[] = [];
    const keep: number[] = [];
    const S = core.newList(h);
    let r = 0;
    const cb = (w: number) => L.push(new Tup("cb", n.of(w)));
    const U = weakClass(h, "U", {
      legacyFinalize: (s) => {
        L.push(new Tup("tpdel", isDead(h, r)));
        keep.push(n.add(newRef(h, s, cb), `w${keep.length}`));
        if (keep.length === 1) core.listAppend(h, S, s, true);
      },
    });
    const u = core.newInstance(h, U.id);
    r = n.add(newRef(h, u, cb), "r");
    drop(h, u);
    const saved = core.slotRef(h, core.listItemSlot(h, S, 0));
    const line1 = pr(L, weakrefGet(h, keep[0]!) === saved, getweakrefcount(h, saved));
    core.listClear(h, S);
    const line2 = pr(
      L,
      keep.map((w) => isDead(h, w)),
    );
    expect(`${line1}\n${line2}`).toBe(
      await python(
        [
          "import weakref, _testcapi",
          "L=[]; keep=[]; S=[]; N={}",
          "def cb(w): L.append(('cb', N[id(w)]))",
          "def tpdel(s):\n    L.append(('tpdel', r() is None))\n    w = weakref.ref(s, cb); N[id(w)] = 'w%d' % len(keep); keep.append(w)\n    if len(keep) == 1: S.append(s)",
          "U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':tpdel}))",
          "u=U(); r=weakref.ref(u, cb); N[id(r)]='r'; del u",
          "print(L, keep[0]() is S[0], weakref.getweakrefcount(S[0]))",
          "S.clear()",
          "print(L, [w() is None for w in keep])",
        ].join("\n"),
      ),
    );
    expect(line2).toBe("[('cb', 'r'), ('tpdel', True), ('cb', 'w0'), ('tpdel', True)] [True, True]");
    drop(h, r, ...keep, S);
    expectSound(h);
  });

  it("a callback that drops the last reference to another object: that object's callbacks run inside it", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const o = core.newInstance(h, C.id);
    const x = core.newInstance(h, C.id);
    const y = core.newInstance(h, C.id);
    setAttr(h, x, "y", y);
    const hold = core.newList(h);
    core.listAppend(h, hold, x, true);
    const held = [
      newRef(h, o, () => {
        L.push("o-start");
        core.listClear(h, hold);
        L.push("o-end");
      }),
      newRef(h, x, () => L.push("x")),
      newRef(h, y, () => L.push("y")),
      newRef(h, y, () => L.push("y2")),
    ];
    drop(h, x, y, o);
    expect(py(L)).toBe(
      await python(
        [
          "import weakref",
          "C=type('C',(),{}); L=[]",
          "o=C(); x=C(); y=C(); x.y=y; hold=[x]",
          "def cbo(w): L.append('o-start'); hold.clear(); L.append('o-end')",
          "ro=weakref.ref(o, cbo); rx=weakref.ref(x, lambda w: L.append('x')); ry=weakref.ref(y, lambda w: L.append('y')); ry2=weakref.ref(y, lambda w: L.append('y2'))",
          "del x, y; del o; print(L)",
        ].join("\n"),
      ),
    );
    expect(py(L)).toBe("['o-start', 'x', 'y2', 'y', 'o-end']");
    drop(h, hold, ...held);
    expectSound(h);
  });

  it("a callback that makes a weakref to another object: that one calls back when its referent dies", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const keep: number[] = [];
    const o = core.newInstance(h, C.id);
    const x = core.newInstance(h, C.id);
    const cbx = () => L.push("x");
    const ro = newRef(h, o, () => {
      L.push("o");
      keep.push(newRef(h, x, cbx));
    });
    drop(h, o);
    const line1 = pr(L, getweakrefcount(h, x));
    drop(h, x);
    const line2 = pr(L);
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import weakref\nC=type('C',(),{}); L=[]; keep=[]\no=C(); x=C()\ndef cbx(w): L.append('x')\ndef cbo(w): L.append('o'); keep.append(weakref.ref(x, cbx))\nro=weakref.ref(o, cbo); del o; print(L, weakref.getweakrefcount(x)); del x; print(L)",
      ),
    );
    drop(h, ro, ...keep);
    expectSound(h);
  });

  it("a callback may run a collection (the dying object is untracked; the collector calls its own callbacks)", async () => {
    const { h, C } = weakHeap();
    const L: PyVal[] = [];
    const g = core.newInstance(h, C.id);
    selfRef(h, g);
    const rg = newRef(h, g, () => L.push("g"));
    drop(h, g);
    const o = core.newInstance(h, C.id);
    const r1 = newRef(h, o, () => {
      L.push("cb1");
      L.push(core.gc.collect(h));
      L.push("cb1-end");
    });
    const r2 = newRef(h, o, () => L.push("cb2"));
    drop(h, o);
    expect(py(L)).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect()",
          "C=type('C',(),{}); L=[]",
          "def cb1(w): L.append('cb1'); L.append(gc.collect()); L.append('cb1-end')",
          "g=C(); g.me=g; rg=weakref.ref(g, lambda w: L.append('g')); del g",
          "o=C(); r1=weakref.ref(o, cb1); r2=weakref.ref(o, lambda w: L.append('cb2')); del o; print(L)",
        ].join("\n"),
      ),
    );
    expect(py(L)).toBe("['cb2', 'cb1', 'g', 1, 'cb1-end']");
    drop(h, rg, r1, r2);
    expectSound(h);
  });
});

describe("creating a weakref may run a collection, whose callbacks may change the list (weakref___new__, PyWeakref_NewProxy)", () => {
  /**
   * o alive; a garbage cycle g with a weakref whose callback calls `inCallback`; threshold 1 and
   * automatic collection on, so the next GC allocation (the weakref being made) collects g.
   */
  function racing(inCallback: (h: core.Engine, o: number) => void) {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const g = core.newInstance(h, C.id);
    selfRef(h, g);
    const rg = newRef(h, g, () => inCallback(h, o));
    drop(h, g);
    core.gc.setThreshold(h, 1);
    core.gc.enable(h);
    return { h, o, rg };
  }
  const PY_RACING = (inCallback: string, make: string) =>
    [
      "import gc, weakref",
      "gc.disable(); gc.collect()",
      "C=type('C',(),{})",
      "o=C(); keep=[]; N={}",
      `def cb(w): ${inCallback}`,
      "g=C(); g.me=g; rg=weakref.ref(g, cb); del g",
      `gc.set_threshold(1); gc.enable(); ${make}; gc.disable()`,
    ].join("\n");

  it("a basic proxy made meanwhile is returned instead of the new one, and o's list stays whole", async () => {
    // Regression: releasing the unlinked new proxy (prev 0, never on the list) used to set o's
    // list head to its next (0), dropping the basic proxy from the list (src/object/weakref.ts,
    // clearWeakref now checks `*list == self` as CPython's clear_weakref does).
    const keep: number[] = [];
    const { h, o, rg } = racing((h, o) => keep.push(newProxy(h, o)));
    const p = newProxy(h, o);
    core.gc.disable(h);
    const out = pr(keep.length, p === keep[0], getweakrefcount(h, o), weakrefsOf(h, o)[0] === p);
    expect(out).toBe(
      await python(
        `${PY_RACING("keep.append(weakref.proxy(o))", "p=weakref.proxy(o)")}\nprint(len(keep), p is keep[0], weakref.getweakrefcount(o), weakref.getweakrefs(o)[0] is p)`,
      ),
    );
    expect(out).toBe("1 True 1 True");
    drop(h, p, ...keep, o, rg);
    expectSound(h);
  });

  it("a basic ref made meanwhile: the new one still goes to the head, so o has two basic refs", async () => {
    const keep: number[] = [];
    const n = new Labels();
    const L: string[] = [];
    const { h, o, rg } = racing((h, o) => keep.push(n.add(newRef(h, o), "k")));
    core.gc.disable(h);
    const rc = n.add(
      newRef(h, o, () => L.push("rc")),
      "rc",
    );
    core.gc.enable(h);
    const r = n.add(newRef(h, o), "r");
    core.gc.disable(h);
    const again = newRef(h, o);
    const line1 = pr(
      r === keep[0],
      weakrefsOf(h, o).map((w) => n.of(w)),
      again === r,
    );
    drop(h, o);
    const line2 = pr(L, isDead(h, r), isDead(h, keep[0]!));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        `${PY_RACING("keep.append(weakref.ref(o)); N[id(keep[-1])] = 'k'", "gc.disable(); rc=weakref.ref(o, lambda w: L.append('rc')); N[id(rc)]='rc'; L=[]; gc.enable(); r=weakref.ref(o)")}\nN[id(r)]='r'\nprint(r is keep[0], [N[id(x)] for x in weakref.getweakrefs(o)], weakref.ref(o) is r)\ndel o; print(L, r() is None, keep[0]() is None)`,
      ),
    );
    expect(line1).toBe("False ['r', 'k', 'rc'] True");
    drop(h, r, again, ...keep, rc, rg);
    expectSound(h);
  });
});

describe("deep deallocations (the trashcan) call back in CPython's order", () => {
  it("a 200-deep chain of lists [x, rest] and one of instances x.nxt = rest", async () => {
    const { h, C } = weakHeap();
    const L: number[] = [];
    const rs: number[] = [];
    let l = core.newList(h);
    for (let i = 199; i >= 0; i--) {
      const x = core.newInstance(h, C.id);
      rs.push(newRef(h, x, () => L.push(i)));
      const next = core.newList(h);
      core.listAppend(h, next, x, true);
      core.listAppend(h, next, l, true);
      drop(h, l, x);
      l = next;
    }
    drop(h, l);
    const line1 = pr(L.slice(0, 3), L.slice(48, 52), L.slice(97, 101), L.slice(-4));
    L.length = 0;
    let prev = core.NONE;
    for (let i = 199; i >= 0; i--) {
      const x = core.newInstance(h, C.id);
      rs.push(newRef(h, x, () => L.push(i)));
      setAttr(h, x, "nxt", prev);
      if (prev !== core.NONE) drop(h, prev);
      prev = x;
    }
    drop(h, prev);
    const line2 = pr(L.slice(0, 3), L.slice(48, 52), L.slice(97, 101), L.slice(-4));
    expect(`${line1}\n${line2}`).toBe(
      await python(
        [
          "import weakref",
          "C=type('C',(),{}); L=[]; rs=[]",
          "l=[]",
          "for i in range(199, -1, -1):\n    x=C(); rs.append(weakref.ref(x, lambda w, i=i: L.append(i))); l=[x, l]\n    del x",
          "del l; print(L[:3], L[48:52], L[97:101], L[-4:]); L.clear()",
          "prev=None",
          "for i in range(199, -1, -1):\n    x=C(); rs.append(weakref.ref(x, lambda w, i=i: L.append(i))); x.nxt=prev; prev=x\n    del x",
          "del prev; print(L[:3], L[48:52], L[97:101], L[-4:])",
        ].join("\n"),
      ),
    );
    drop(h, ...rs);
    expectSound(h);
  });
});
