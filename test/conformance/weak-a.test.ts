/**
 * CPython 3.11's Lib/test/test_weakref.py, ReferencesTestCase and SubclassableWeakrefTestCase:
 * the tests whose behaviour refheap models and no other test checks in the same form, ported one
 * by one (engine API, or the Heap API where the CPython test reads attributes through a proxy or
 * `__callback__`). Where the CPython test only asserts "no crash", the port asserts what CPython
 * prints for the same program (python3, through gc-helpers' `python()`) and a sound heap.
 *
 * Stand-ins, as docs/differences.md allows: a weakrefable user kind with a `call` hook is a
 * function (or, with a `self` slot, a bound method); a user kind with `hash`/`eq` hooks is the
 * file's `Object` (hash and equality by `arg`); `KeyedRef` (CPython: `class KeyedRef(ref)` with
 * `__slots__ = "key",`) is the subclass of `weakref.ref`, its key the subclass's attribute.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { Heap, type WeakRefHandle } from "../../src/index.js";
import { drop, python } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";
import {
  isDead,
  type PyVal,
  pr,
  pyError,
  selfRef,
  setAttr,
  weakClass,
  weakHeap,
  weakrefsOf,
} from "../weakref/wr-helpers.js";

const { newRef, newProxy, newKeyedRef, weakrefGet, getweakrefcount } = core.weakref;

/** A checked Heap (no leak reports: each test releases what it made and verifies the heap). */
function apiHeap(): Heap {
  return new Heap({ checked: true, leaks: "off" });
}

/** A weakrefable user kind standing for a Python function (callable, weakly referenceable). */
function functionKind(h: core.Engine, call: (self: number, ...args: unknown[]) => unknown = () => null) {
  return h.defineKind({ name: "function", weakrefable: true, call });
}

/** A bound method: a weakrefable callable holding its `self`. */
function methodKind(h: core.Engine, call: (self: number, ...args: unknown[]) => unknown) {
  return h.defineKind({ name: "method", refs: ["__self__"], weakrefable: true, call });
}

/** A new bound method object for `self` (a new reference). */
function boundMethod(h: core.Engine, kind: core.TypeInfo, self: number): number {
  const m = core.newObject(h, kind.id);
  core.setField(h, m, 0, self, true);
  return m;
}

/** The `__self__` of a bound method object. */
function selfOf(h: core.Engine, m: number): number {
  return core.slotRef(h, core.fieldItemSlot(h, m, 0));
}

describe("ReferencesTestCase", () => {
  it("test_basic_ref: r() is the live referent (an instance; a function-like object); repr works alive and dead", () => {
    const { h, C } = weakHeap();
    const Fn = functionKind(h);
    for (const o of [core.newInstance(h, C.id), core.newObject(h, Fn.id)]) {
      const r = newRef(h, o);
      expect(weakrefGet(h, r)).not.toBe(core.NONE);
      expect(weakrefGet(h, r)).toBe(o);
      drop(h, r, o);
    }
    const heap = apiHeap();
    const K = heap.defineClass("C", { weakrefable: true });
    const o = K.new();
    const wr = heap.weakref.ref(o);
    expect(String(wr)).toMatch(/^<weakref at 0x[0-9a-f]+; to 'C' at 0x[0-9a-f]+>$/);
    o.dispose();
    expect(String(wr)).toMatch(/^<weakref at 0x[0-9a-f]+; dead>$/);
    wr.dispose();
    expectSound(heap.engine);
    heap.close();
    expectSound(h);
  });

  it("test_basic_callback: the callback runs once when the referent dies (an instance; a function-like object), and r() is None", () => {
    const { h, C } = weakHeap();
    const Fn = functionKind(h);
    for (const make of [() => core.newInstance(h, C.id), () => core.newObject(h, Fn.id)]) {
      let cbcalled = 0;
      const o = make();
      const r = newRef(h, o, () => {
        cbcalled += 1;
      });
      drop(h, o);
      core.gc.collect(h); // gc_collect(), for other GCs
      expect(cbcalled).toBe(1);
      expect(isDead(h, r)).toBe(true);
      drop(h, r);
    }
    expectSound(h);
  });

  it("test_callback_attribute: r.__callback__ is the callback; None without one", () => {
    const heap = apiHeap();
    const C = heap.defineClass("Object", { weakrefable: true });
    const x = C.new();
    const callback = (): void => {};
    const ref1 = heap.weakref.ref(x, callback);
    expect(ref1.callback).toBe(callback);
    const ref2 = heap.weakref.ref(x);
    expect(ref2.callback).toBeNull();
    for (const z of [ref1, ref2, x]) z.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_callback_attribute_after_deletion: __callback__ is set, then None once the referent died", () => {
    const heap = apiHeap();
    const C = heap.defineClass("Object", { weakrefable: true });
    const x = C.new();
    let cbcalled = 0;
    const ref = heap.weakref.ref(x, () => {
      cbcalled += 1;
    });
    expect(ref.callback).not.toBeNull();
    x.dispose();
    heap.gc.collect();
    expect(ref.callback).toBeNull();
    expect(cbcalled).toBe(1);
    ref.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_set_callback_attribute: __callback__ is read-only (assigning it throws, the callback stays)", () => {
    const heap = apiHeap();
    const C = heap.defineClass("Object", { weakrefable: true });
    const x = C.new();
    const callback = (): void => {};
    const ref1 = heap.weakref.ref(x, callback);
    expect(() => {
      (ref1 as unknown as { callback: unknown }).callback = () => {};
    }).toThrow(TypeError);
    expect(ref1.callback).toBe(callback);
    for (const z of [ref1, x]) z.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_basic_proxy: attributes added, changed and deleted on the object show through the proxy, and the other way round (check_proxy)", () => {
    const heap = apiHeap();
    const C = heap.defineClass("C", { weakrefable: true, dynamic: true });
    const o = C.new();
    const proxy = heap.weakref.proxy(o);
    o.setAttr("foo", 1);
    expect(proxy.getAttr("foo")).toBe(1);
    o.setAttr("foo", 2);
    expect(proxy.getAttr("foo")).toBe(2);
    o.delAttr("foo");
    expect(proxy.getAttr("foo")).toBeUndefined(); // not hasattr(proxy, 'foo')
    proxy.setAttr("foo", 1);
    expect(o.getAttr("foo")).toBe(1);
    proxy.setAttr("foo", 2);
    expect(o.getAttr("foo")).toBe(2);
    proxy.delAttr("foo");
    expect(o.getAttr("foo")).toBeUndefined(); // not hasattr(o, 'foo')
    o.dispose();
    proxy.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_proxy_ref: two callback proxies of a dead object raise ReferenceError, so does a proxy to an object that died at once; 2 callbacks", () => {
    const heap = apiHeap();
    const C = heap.defineClass("C", { weakrefable: true, dynamic: true });
    let cbcalled = 0;
    const callback = (): void => {
      cbcalled += 1;
    };
    const o = C.new();
    o.setAttr("bar", 1);
    const ref1 = heap.weakref.proxy(o, callback);
    const ref2 = heap.weakref.proxy(o, callback);
    o.dispose();
    heap.gc.collect();
    const check = (proxy: typeof ref1) => pyError(() => proxy.getAttr("bar"));
    expect(check(ref1)).toBe("ReferenceError: weakly-referenced object no longer exists");
    expect(check(ref2)).toBe("ReferenceError: weakly-referenced object no longer exists");
    const temporary = C.new();
    const ref3 = heap.weakref.proxy(temporary); // weakref.proxy(C()): the C dies at once
    temporary.dispose();
    heap.gc.collect();
    expect(check(ref3)).toBe("ReferenceError: weakly-referenced object no longer exists");
    expect(cbcalled).toBe(2);
    for (const p of [ref1, ref2, ref3]) p.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_ref_reuse: a ref without callback is reused, a proxy made between makes no difference; getweakrefcount 2, then 1 without the proxy", () => {
    const { h, C } = weakHeap();
    let o = core.newInstance(h, C.id);
    let ref1 = newRef(h, o);
    let proxy = newProxy(h, o);
    let ref2 = newRef(h, o);
    expect(ref1).toBe(ref2);
    drop(h, ref1, ref2, proxy, o);
    o = core.newInstance(h, C.id);
    proxy = newProxy(h, o);
    ref1 = newRef(h, o);
    ref2 = newRef(h, o);
    expect(ref1).toBe(ref2);
    expect(getweakrefcount(h, o)).toBe(2);
    drop(h, proxy);
    core.gc.collect(h);
    expect(getweakrefcount(h, o)).toBe(1);
    drop(h, ref1, ref2, o);
    expectSound(h);
  });

  it("test_proxy_reuse: a proxy without callback is reused, a ref made between makes no difference", () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const proxy1 = newProxy(h, o);
    const ref = newRef(h, o);
    const proxy2 = newProxy(h, o);
    expect(proxy1).toBe(proxy2);
    drop(h, proxy1, ref, proxy2, o);
    expectSound(h);
  });

  /** check_shared_without_callback: makeref(o, None) and makeref(o) give one shared weakref. */
  function checkSharedWithoutCallback(make: typeof newRef | typeof newProxy): void {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    for (const [first, second] of [
      [null, null],
      [undefined, null],
      [undefined, undefined],
      [null, undefined],
    ] as const) {
      const p1 = make(h, o, first);
      const p2 = make(h, o, second);
      expect(p1).toBe(p2);
      expect(getweakrefcount(h, o)).toBe(1);
      drop(h, p1, p2); // del p1, p2
      expect(getweakrefcount(h, o)).toBe(0);
    }
    drop(h, o);
    expectSound(h);
  }

  it("test_shared_ref_without_callback: ref(o), ref(o, None) in any order are one shared weakref (check_shared_without_callback)", () => {
    checkSharedWithoutCallback(newRef);
  });

  it("test_shared_proxy_without_callback: proxy(o), proxy(o, None) in any order are one shared proxy (check_shared_without_callback)", () => {
    checkSharedWithoutCallback(newProxy);
  });

  it("test_getweakrefcount: 2 refs, then 4 with 2 proxies, 0 once they are gone; 0 for an int", () => {
    const heap = apiHeap();
    const C = heap.defineClass("C", { weakrefable: true });
    const callback = (): void => {};
    const o = C.new();
    const ref1 = heap.weakref.ref(o);
    const ref2 = heap.weakref.ref(o, callback);
    expect(heap.weakref.getWeakRefCount(o)).toBe(2);
    const proxy1 = heap.weakref.proxy(o);
    const proxy2 = heap.weakref.proxy(o, callback);
    expect(heap.weakref.getWeakRefCount(o)).toBe(4);
    for (const w of [ref1, ref2, proxy1, proxy2]) w.dispose();
    heap.gc.collect();
    expect(heap.weakref.getWeakRefCount(o)).toBe(0);
    expect(heap.weakref.getWeakRefCount(1)).toBe(0);
    o.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_getweakrefs: the list loses each weakref that dies (first or last), then is empty; [] for an int", () => {
    const heap = apiHeap();
    const C = heap.defineClass("C", { weakrefable: true });
    const callback = (): void => {};
    const same = (o: ReturnType<typeof C.new>, expected: WeakRefHandle[]) => {
      const refs = heap.weakref.getWeakRefs(o);
      expect(refs.length).toBe(expected.length);
      for (const [i, r] of refs.entries()) expect(r.is(expected[i])).toBe(true);
    };
    let o = C.new();
    let ref1 = heap.weakref.ref(o, callback);
    let ref2 = heap.weakref.ref(o, callback);
    ref1.dispose();
    heap.gc.collect();
    same(o, [ref2]);
    o.dispose();
    ref2.dispose();
    o = C.new();
    ref1 = heap.weakref.ref(o, callback);
    ref2 = heap.weakref.ref(o, callback);
    ref2.dispose();
    heap.gc.collect();
    same(o, [ref1]);
    ref1.dispose();
    heap.gc.collect();
    same(o, []);
    expect(heap.weakref.getWeakRefs(1)).toEqual([]);
    o.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_multiple_callbacks: two callback refs both die with their referent and both callbacks run", () => {
    const { h, C } = weakHeap();
    let cbcalled = 0;
    const callback = () => {
      cbcalled += 1;
    };
    const o = core.newInstance(h, C.id);
    const ref1 = newRef(h, o, callback);
    const ref2 = newRef(h, o, callback);
    drop(h, o);
    core.gc.collect(h);
    expect(isDead(h, ref1)).toBe(true);
    expect(isDead(h, ref2)).toBe(true);
    expect(cbcalled).toBe(2);
    drop(h, ref1, ref2);
    expectSound(h);
  });

  it("test_proxy_hash: a proxy is unhashable even when its referent has a __hash__ (42), or none", async () => {
    const { h } = weakHeap();
    const Hashable = h.defineKind({ name: "MyObj", weakrefable: true, hash: () => 42 });
    const Unhashable = h.defineKind({
      name: "MyObj",
      weakrefable: true,
      hash: () => {
        throw new core.HeapTypeError("unhashable type: 'MyObj'");
      },
    });
    const d = core.newDict(h);
    const lines: string[] = [];
    for (const K of [Hashable, Unhashable]) {
      const obj = core.newObject(h, K.id);
      const p = newProxy(h, obj);
      lines.push(pyError(() => core.dictSetItem(h, d, p, true, 1, false)));
      drop(h, p, obj);
    }
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import weakref",
          "class MyObj:\n    def __hash__(self): return 42",
          "class MyObj2:\n    __hash__ = None",
          "for obj in (MyObj(), MyObj2()):\n    try:\n        hash(weakref.proxy(obj))\n    except TypeError as e:\n        print('TypeError: ' + str(e))",
        ].join("\n"),
      ),
    );
    expect(core.dictSize(h, d)).toBe(0);
    drop(h, d);
    expectSound(h);
  });

  it("test_callbacks_protected: a callback running while an exception unwinds (del data[k]) leaves the exception as it was, twice", () => {
    const heap = apiHeap();
    const reports: unknown[] = [];
    heap.engine.unraisableHook = (e) => reports.push(e);
    class BogusError extends Error {}
    const Fn = heap.defineClass("function", { weakrefable: true }); // f = lambda: ()
    const data = heap.dict();
    const remove = (k: WeakRefHandle): void => {
      expect(data.delete(k)).toBe(true); // del data[k]
    };
    const encapsulate = () =>
      heap.scope(() => {
        const f = Fn.new();
        data.set(heap.weakref.ref(f, remove), null);
        expect(data.size).toBe(1);
        throw new BogusError("raised");
      });
    for (let i = 0; i < 2; i++) {
      expect(encapsulate).toThrow(BogusError); // "exception not properly restored" otherwise
      expect(data.size).toBe(0); // the callback ran during the unwinding
    }
    expect(reports).toEqual([]);
    data.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_sf_bug_840829: callbacks that run gc.collect() while their referent, then an object inside another, is being deallocated", async () => {
    const { h, C } = weakHeap();
    const L: number[] = [];
    const collecting = () => L.push(core.gc.collect(h));
    const c = core.newInstance(h, C.id);
    let wr = newRef(h, c, collecting);
    drop(h, c);
    drop(h, wr); // del wr
    const c1 = core.newInstance(h, C.id);
    const i = core.newInstance(h, C.id);
    setAttr(h, c1, "i", i);
    drop(h, i);
    wr = newRef(h, i, collecting);
    const c2 = core.newInstance(h, C.id);
    setAttr(h, c2, "c1", c1);
    drop(h, c1); // still alive because c2 points to it
    drop(h, c2);
    const out = pr(L, isDead(h, wr));
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect()",
          "class C(object): pass",
          "L=[]",
          "def collecting(ignore): L.append(gc.collect())",
          "c = C(); wr = weakref.ref(c, collecting); del c",
          "del wr",
          "c1 = C(); c1.i = C(); wr = weakref.ref(c1.i, collecting)",
          "c2 = C(); c2.c1 = c1; del c1",
          "del c2",
          "print(L, wr() is None)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("[0, 0] True");
    drop(h, wr);
    expectSound(h);
  });

  it("test_callback_reachable_one_way: c2 holds c1 and a weakref to it whose callback is c2.cb; all garbage: the callback never runs", async () => {
    const { h, C } = weakHeap();
    const L: string[] = [];
    const Method = methodKind(h, () => L.push("cb"));
    const c1 = core.newInstance(h, C.id);
    const c2 = core.newInstance(h, C.id);
    selfRef(h, c2);
    setAttr(h, c2, "c1", c1);
    const cb = boundMethod(h, Method, c2);
    const wr = newRef(h, c1, cb);
    setAttr(h, c2, "wr", wr);
    drop(h, cb, wr, c1, c2);
    const out = pr(core.gc.collect(h), L);
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); L=[]",
          "class C:\n    def cb(self, ignore):\n        L.append('cb'); self.me; self.c1; self.wr",
          "c1, c2 = C(), C()",
          "c2.me = c2; c2.c1 = c1; c2.wr = weakref.ref(c1, c2.cb)",
          "del c1, c2",
          "print(gc.collect(), L)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("4 []");
    expectSound(h);
  });

  it("test_callback_different_classes: the same with c1 of another class: the callback never runs (classes themselves are never freed here)", async () => {
    const { h, C } = weakHeap();
    const D = weakClass(h, "D");
    const L: string[] = [];
    const Method = methodKind(h, () => L.push("cb"));
    const c1 = core.newInstance(h, D.id);
    const c2 = core.newInstance(h, C.id);
    selfRef(h, c2);
    setAttr(h, c2, "c1", c1);
    const cb = boundMethod(h, Method, c2);
    const wr = newRef(h, c1, cb);
    setAttr(h, c2, "wr", wr);
    drop(h, cb, wr, c1, c2);
    const out = pr(core.gc.collect(h), L);
    // CPython's test also deletes C and D (their type objects are garbage too, O8): kept here.
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); L=[]",
          "class C(object):\n    def cb(self, ignore):\n        L.append('cb'); self.me; self.c1; self.wr",
          "class D: pass",
          "c1, c2 = D(), C()",
          "c2.me = c2; c2.c1 = c1; c2.wr = weakref.ref(c1, c2.cb)",
          "del c1, c2",
          "print(gc.collect(), L)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("4 []");
    expectSound(h);
  });

  it("test_callbacks_on_callback: weakrefs in the garbage never call back; the external weakref to the garbage callback c.cb does (safe_callback), once", async () => {
    const { h, C } = weakHeap();
    const alist: string[] = [];
    const Method = methodKind(h, () => alist.push("cb called"));
    const c = core.newInstance(h, C.id);
    const d = core.newInstance(h, C.id);
    setAttr(h, c, "other", d);
    setAttr(h, d, "other", c);
    const callback = boundMethod(h, Method, c); // callback = c.cb
    const cwr = newRef(h, d, callback); // this won't trigger
    setAttr(h, c, "wr", cwr);
    const dcb = boundMethod(h, Method, d);
    const dwr = newRef(h, callback, dcb); // ditto
    setAttr(h, d, "wr", dwr);
    const externalWr = newRef(h, callback, () => alist.push("safe_callback called")); // but this will
    expect(weakrefGet(h, externalWr)).toBe(callback);
    expect(selfOf(h, callback)).toBe(c);
    drop(h, cwr, dwr, dcb, callback, c, d);
    const line1 = pr(alist); // del isn't enough to clean up cycles
    const n = core.gc.collect(h);
    const line2 = pr(n, alist, isDead(h, externalWr));
    alist.length = 0;
    const line3 = pr(core.gc.collect(h), alist);
    expect([line1, line2, line3].join("\n")).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); alist=[]",
          "def safe_callback(ignore): alist.append('safe_callback called')",
          "class C(object):\n    def cb(self, ignore): alist.append('cb called')",
          "c, d = C(), C()",
          "c.other = d; d.other = c",
          "callback = c.cb",
          "c.wr = weakref.ref(d, callback)",
          "d.wr = weakref.ref(callback, d.cb)",
          "external_wr = weakref.ref(callback, safe_callback)",
          "del callback, c, d",
          "print(alist)",
          "n = gc.collect(); print(n, alist, external_wr() is None)",
          "del alist[:]; print(gc.collect(), alist)",
        ].join("\n"),
      ),
    );
    expect(line2).toBe("6 ['safe_callback called'] True");
    drop(h, externalWr);
    expectSound(h);
  });

  /**
   * check_gc_during_creation: a cycle holding makeref(referenced) is cyclic trash when
   * weakref.ref(referenced, callback) is made with threshold 1; the collection its allocation
   * starts frees the trash and its weakref, and referenced's list keeps only the new one.
   */
  async function checkGcDuringCreation(
    makeref: typeof newRef | typeof newProxy,
    name: string,
  ): Promise<void> {
    const { h, C } = weakHeap();
    const callback = () => {};
    const referenced = core.newInstance(h, C.id);
    let a = core.newInstance(h, C.id);
    selfRef(h, a);
    const awr = makeref(h, referenced);
    setAttr(h, a, "wr", awr);
    drop(h, awr);
    const old = a;
    a = core.newInstance(h, C.id); // a = A(): the cycle and its weakref are cyclic trash
    drop(h, old);
    const before = getweakrefcount(h, referenced);
    core.gc.setThreshold(h, 1, 1, 1);
    core.gc.enable(h);
    const r = newRef(h, referenced, callback); // its allocation collects
    core.gc.disable(h);
    core.gc.setThreshold(h, 700, 10, 10);
    const out = pr(before, getweakrefcount(h, referenced), weakrefsOf(h, referenced)[0] === r);
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect()",
          "class A: pass",
          "def callback(*args): pass",
          "referenced = A()",
          `a = A(); a.a = a; a.wr = weakref.${name}(referenced)`,
          "a = A()",
          "before = weakref.getweakrefcount(referenced)",
          "gc.set_threshold(1, 1, 1); gc.enable()",
          "r = weakref.ref(referenced, callback)",
          "gc.disable(); gc.set_threshold(700, 10, 10)",
          "print(before, weakref.getweakrefcount(referenced), weakref.getweakrefs(referenced)[0] is r)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("1 1 True");
    drop(h, r, a, referenced);
    expectSound(h);
  }

  it("test_gc_during_ref_creation: a collection started by making weakref.ref(referenced, callback) frees a cycle holding a ref to referenced; its list stays whole", async () => {
    await checkGcDuringCreation(newRef, "ref");
  });

  it("test_gc_during_proxy_creation: a collection started by making weakref.ref(referenced, callback) frees a cycle holding a proxy to referenced; its list stays whole", async () => {
    await checkGcDuringCreation(newProxy, "proxy");
  });

  it("test_callback_gcs: a callback that runs gc.collect() while an object with __del__ dies by refcount", async () => {
    const { h } = weakHeap();
    const L: PyVal[] = [];
    const ObjectWithDel = weakClass(h, "ObjectWithDel", { finalize: () => L.push("del") });
    const x = core.newInstance(h, ObjectWithDel.id);
    const ref1 = newRef(h, x, () => L.push(core.gc.collect(h)));
    drop(h, x);
    L.push(core.gc.collect(h)); // support.gc_collect()
    const out = pr(L, isDead(h, ref1));
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); L=[]",
          "class ObjectWithDel:\n    def __del__(self): L.append('del')",
          "x = ObjectWithDel(); ref1 = weakref.ref(x, lambda ref: L.append(gc.collect()))",
          "del x; L.append(gc.collect())",
          "print(L, ref1() is None)",
        ].join("\n"),
      ),
    );
    expect(out).toBe("['del', 0, 0] True");
    drop(h, ref1);
    expectSound(h);
  });

  it("test_trashcan_16602: a chain of deaths through weakref callbacks and a WeakKeyDictionary; each callback's wself() is None for every object already dying", async () => {
    const heap = apiHeap();
    const C = heap.defineClass("C", { weakrefable: true, fields: { wparent: "ref" } });
    type CI = ReturnType<typeof C.new>;
    const seen: boolean[] = [];
    const wselves: WeakRefHandle<CI>[] = [];
    const make = (parent: CI | null): CI => {
      const self = C.new();
      if (parent === null) return self;
      const wself = heap.weakref.ref(self);
      wselves.push(wself);
      self.wparent = heap.weakref.ref(parent, () => {
        const o = wself.deref(); // o = wself()
        seen.push(o === null);
        o?.dispose();
      });
      return self;
    };
    const d = heap.weakref.WeakKeyDictionary<CI>();
    const root = make(null);
    let c = root;
    for (let n = 0; n < 100; n++) {
      const next = make(c);
      d.set(c, next); // d[c] = c = C(c): the old c is the key, the new one the value
      c = next;
    }
    const last = c.own(); // the variable c still holds the last one
    root.dispose(); // del root
    const n = heap.gc.collect();
    const out = pr(d.size, seen, n, wselves.filter((w) => w.deref() === null).length);
    expect(out).toBe(
      await python(
        [
          "import gc, weakref",
          "seen = []; wselves = []",
          "class C:\n    def __init__(self, parent):\n        if not parent:\n            return\n        wself = weakref.ref(self)\n        def cb(wparent):\n            o = wself()\n            seen.append(o is None)\n        self.wparent = weakref.ref(parent, cb)\n        wselves.append(wself)",
          "d = weakref.WeakKeyDictionary()",
          "root = c = C(None)",
          "for n in range(100):\n    d[c] = c = C(c)",
          "del root",
          "n = gc.collect()",
          "print(len(d), seen, n, sum(w() is None for w in wselves))",
        ].join("\n"),
      ),
    );
    last.dispose();
    for (const w of wselves) w.dispose();
    d.dispose();
    expectSound(heap.engine);
    heap.close();
  });

  it("test_ref_created_during_del: a basic ref made by __del__ on refcount death is cleared with the object, and stays dead", async () => {
    const { h } = weakHeap();
    let refFromDel = 0;
    const Target = weakClass(h, "Target", {
      finalize: (self) => {
        refFromDel = newRef(h, self);
      },
    });
    const w = core.newInstance(h, Target.id);
    drop(h, w);
    core.gc.collect(h);
    const out = pr(refFromDel !== 0, isDead(h, refFromDel));
    expect(out).toBe(
      await python(
        "import gc, weakref\nref_from_del = None\nclass Target(object):\n    def __del__(self):\n        global ref_from_del\n        ref_from_del = weakref.ref(self)\nw = Target(); del w; gc.collect()\nprint(ref_from_del is not None, ref_from_del() is None)",
      ),
    );
    expect(out).toBe("True True");
    drop(h, refFromDel);
    expectSound(h);
  });

  /** `Object(arg)` of test_weakref.py: __eq__ by arg (NotImplemented for non-Objects), __hash__. */
  function objectKind(h: core.Engine, hash: (arg: number) => number) {
    const Obj = h.defineKind({
      name: "Object",
      data: ["arg"],
      weakrefable: true,
      hash: (o) => hash(core.getData(h, o, 0)),
      eq: (o, other, isRef) =>
        isRef && core.typeIdOf(h, other) === Obj.id && core.getData(h, other, 0) === core.getData(h, o, 0),
    });
    const make = (arg: number) => {
      const o = core.newObject(h, Obj.id);
      core.setData(h, o, 0, arg);
      return o;
    };
    return make;
  }

  it("test_equality: live weakrefs compare as their referents (== by arg, not equal to the referent itself, equal to ALWAYS_EQ); dead ones by identity", () => {
    const { h } = weakHeap();
    // Every key hashes alike, so each lookup below is decided by equality alone.
    const Obj = objectKind(h, () => 7);
    const AlwaysEq = h.defineKind({ name: "_ALWAYS_EQ", hash: () => 7, eq: () => true });
    /** a == b, as a dict holding the key a answers for the key b (both hashed before). */
    const eq = (a: number, b: number): boolean => {
      const d = core.newDict(h);
      core.dictSetItem(h, d, a, true, 1, false);
      const found = core.dictGetSlot(h, d, b, true) !== 0;
      drop(h, d);
      return found;
    };
    const x = Obj(1);
    const y = Obj(1);
    const z = Obj(2);
    const a = newRef(h, x);
    const b = newRef(h, y);
    const c = newRef(h, z);
    const d = newRef(h, x);
    const ALWAYS_EQ = core.newObject(h, AlwaysEq.id);
    expect(eq(a, b)).toBe(true);
    expect(eq(a, c)).toBe(false);
    expect(eq(a, d)).toBe(true);
    expect(eq(a, x)).toBe(false);
    expect(eq(a, ALWAYS_EQ)).toBe(true);
    drop(h, x, y, z);
    core.gc.collect(h);
    for (const r of [a, b, c]) expect(isDead(h, r)).toBe(true);
    expect(eq(a, b)).toBe(false);
    expect(eq(a, c)).toBe(false);
    expect(eq(a, d)).toBe(a === d);
    expect(a === d).toBe(true); // the basic ref is shared (an implementation detail, as CPython's)
    drop(h, a, b, c, d, ALWAYS_EQ);
    expectSound(h);
  });

  it("test_hashing: a live weakref hashes as its referent (hash(42)); dead, it keeps that hash if it was hashed, else TypeError", async () => {
    const heap = apiHeap();
    const e = heap.engine;
    const Obj = objectKind(e, (arg) => arg);
    const x = Obj(42);
    const y = Obj(42);
    const wa = newRef(e, x);
    const wb = newRef(e, y);
    const a = heap.wrap(wa) as WeakRefHandle;
    const b = heap.wrap(wb) as WeakRefHandle;
    drop(e, wa, wb); // the handles hold the weakrefs now
    const line1 = pr(a.hash());
    drop(e, x, y); // del x, y
    heap.gc.collect();
    const line2 = `${pr(isDead(e, wa), a.hash())}\n${pyError(() => b.hash())}`;
    expect(`${line1}\n${line2}`).toBe(
      await python(
        "import gc, weakref\nclass Object:\n    def __init__(self, arg): self.arg = arg\n    def __hash__(self): return hash(self.arg)\nx = Object(42); y = Object(42); a = weakref.ref(x); b = weakref.ref(y)\nprint(hash(a)); del x, y; gc.collect()\nprint(a() is None, hash(a))\ntry:\n    hash(b)\nexcept TypeError as e:\n    print('TypeError: ' + str(e))",
      ),
    );
    expect(line1).toBe("42");
    a.dispose();
    b.dispose();
    expectSound(e);
    heap.close();
  });
});

describe("SubclassableWeakrefTestCase (KeyedRef, CPython's ref subclass with a key slot)", () => {
  it("test_subclass_refs_dont_replace_standard_refs: a subclass ref is never the basic ref; getweakrefs lists the standard ref first", async () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const r1 = newKeyedRef(h, o, null, 1, false); // MyRef(o)
    const r2 = newRef(h, o);
    const line1 = pr(
      r1 !== r2,
      weakrefsOf(h, o)[0] === r2,
      weakrefsOf(h, o)[1] === r1,
      getweakrefcount(h, o),
    );
    const r3 = newKeyedRef(h, o, null, 1, false);
    const refs = weakrefsOf(h, o);
    const line2 = pr(
      getweakrefcount(h, o),
      refs.length,
      refs[0] === r2,
      refs.slice(1).includes(r1),
      refs.slice(1).includes(r3),
    );
    expect(`${line1}\n${line2}`).toBe(
      await python(
        [
          "import weakref",
          "class Object: pass",
          "o = Object()",
          "r1 = weakref.KeyedRef(o, None, 1); r2 = weakref.ref(o)",
          "print(r1 is not r2, weakref.getweakrefs(o)[0] is r2, weakref.getweakrefs(o)[1] is r1, weakref.getweakrefcount(o))",
          "r3 = weakref.KeyedRef(o, None, 1); refs = weakref.getweakrefs(o)",
          "print(weakref.getweakrefcount(o), len(refs), refs[0] is r2, any(r is r1 for r in refs[1:]), any(r is r3 for r in refs[1:]))",
        ].join("\n"),
      ),
    );
    expect(line2).toBe("3 3 True True True");
    drop(h, r1, r2, r3, o);
    expectSound(h);
  });

  it("test_subclass_refs_dont_conflate_callbacks: two subclass refs with different callbacks are two weakrefs, both listed", () => {
    const { h, C } = weakHeap();
    const o = core.newInstance(h, C.id);
    const r1 = newKeyedRef(h, o, () => {}, 1, false); // MyRef(o, id)
    const r2 = newKeyedRef(h, o, () => {}, 1, false); // MyRef(o, str)
    expect(r1).not.toBe(r2);
    const refs = weakrefsOf(h, o);
    expect(refs).toContain(r1);
    expect(refs).toContain(r2);
    drop(h, r1, r2, o);
    expectSound(h);
  });

  it("test_subclass_refs_with_cycle: a subclass ref holding its own referent (alone, or through another such ref) dies without calling back", async () => {
    const { h, C } = weakHeap();
    let cbcalled = 0;
    const callback = () => {
      cbcalled += 1;
    };
    let o = core.newInstance(h, C.id);
    const r1 = newKeyedRef(h, o, callback, o, true); // r1 = MyRef(o, callback); r1.o = o
    drop(h, o);
    drop(h, r1); // used to crash here
    const line1 = pr(cbcalled);
    // Two weakrefs: r1.r = r2; r2.o = o. (A KeyedRef's key is set when it is made: r2 comes first.)
    o = core.newInstance(h, C.id);
    const r2 = newKeyedRef(h, o, callback, o, true);
    const r1b = newKeyedRef(h, o, callback, r2, true);
    drop(h, o);
    drop(h, r2);
    drop(h, r1b); // used to crash here
    const line2 = pr(cbcalled);
    expect(`${line1}\n${line2}`).toBe(
      await python(
        [
          "import weakref",
          "class C: pass",
          "n = 0",
          "def callback(w):\n    global n\n    n += 1",
          "o = C(); r1 = weakref.KeyedRef(o, callback, o); del o; del r1; print(n)",
          "o = C(); r2 = weakref.KeyedRef(o, callback, o); r1 = weakref.KeyedRef(o, callback, r2); del o; del r2; del r1; print(n)",
        ].join("\n"),
      ),
    );
    expect(`${line1}\n${line2}`).toBe("0\n0");
    expectSound(h);
  });
});
