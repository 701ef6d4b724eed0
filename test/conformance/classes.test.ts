/**
 * CPython 3.11's tests about classes that die, from Lib/test/test_gc.py and test_weakref.py,
 * ported with classes as heap objects: `del C` is dropClass, `C.a = v` is classSetAttr, and a
 * method read through an instance (`c.cb`) is loadAttr, which binds a function (a user kind
 * defined with `bind: true`) to the instance as a bound method. Where the CPython test asserts
 * only "no crash", the port asserts what CPython prints for the same program (python3) when the
 * two can agree, and a sound heap.
 *
 * Counts differ where a CPython class owns more objects than refheap's: its dict holds
 * `__dict__`/`__weakref__` descriptors and functions, so a port checks CPython's own assertion
 * (`!= 0`) and refheap's count separately.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { Heap, type WeakRefHandle } from "../../src/index.js";
import { drop, python } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";
import { isDead, selfRef, setAttr, weakClass, weakHeap } from "../weakref/wr-helpers.js";

const { newRef } = core.weakref;

/** C.name = v (a str name made and dropped here). */
function setClassAttr(h: core.Engine, id: number, name: string, v: number): void {
  const s = core.newStr(h, name);
  core.classSetAttr(h, id, s, v, true);
  core.decref(h, s);
}

/** `def name(self, ignore): body(self)` in class `id`'s dict: a function that binds. */
function defineMethod(h: core.Engine, id: number, name: string, body: (self: number) => void): void {
  const F = h.defineKind({
    name: "function",
    weakrefable: true,
    bind: true,
    call: (_f, self) => body(self as number),
  });
  const f = core.newObject(h, F.id);
  setClassAttr(h, id, name, f);
  core.decref(h, f);
}

describe("test_gc: classes", () => {
  it("test_class: A.a = A; del A: the class is garbage (collect() returns nonzero)", async () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const A = weakClass(h, "A");
    setClassAttr(h, A.id, "a", h.typeObject[A.id]!);
    core.gc.collect(h);
    core.dropClass(h, A.id);
    const n = core.gc.collect(h);
    expect(n).not.toBe(0);
    expect(n).toBe(3); // the type, its mro and its dict (CPython's dict also holds 2 descriptors)
    expect(
      await python(
        [
          "import gc",
          "class A:\n    pass",
          "A.a = A",
          "gc.collect()",
          "del A",
          "print(gc.collect() != 0)",
        ].join("\n"),
      ),
    ).toBe("True");
    expectSound(h);
  });

  it("test_newstyleclass: class A(object); del A: collect() returns nonzero", async () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const A = weakClass(h, "A");
    core.gc.collect(h);
    core.dropClass(h, A.id);
    const n = core.gc.collect(h);
    expect(n).not.toBe(0);
    expect(n).toBe(2); // the type and its mro; its empty dict is untracked, not counted
    expect(
      await python(
        ["import gc", "class A(object):\n    pass", "gc.collect()", "del A", "print(gc.collect() != 0)"].join(
          "\n",
        ),
      ),
    ).toBe("True");
    expectSound(h);
  });
});

describe("test_weakref: classes that die", () => {
  it("test_classes: a = weakref.ref(A, l.append); A = None; gc.collect(): a() is None and l == [a]", () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const A = h.defineClass({ name: "A" });
    const l: number[] = [];
    const a = newRef(h, h.typeObject[A.id]!, (r) => l.push(r));
    core.dropClass(h, A.id);
    core.gc.collect(h);
    expect(isDead(h, a)).toBe(true);
    expect(l).toEqual([a]);
    core.decref(h, a);
    expectSound(h);
  });

  it("test_callback_in_cycle: I.wr = weakref.ref(J, I.acallback); del I, J, II: the collector frees it all and the callback never runs", async () => {
    const { h } = weakHeap();
    const log: string[] = [];
    const J = weakClass(h, "J");
    const II = weakClass(h, "II");
    defineMethod(h, II.id, "acallback", (self) => {
      log.push("acallback");
      core.loadAttr(h, self, "J"); // self.J: I is intact if this ever runs
    });
    const I = core.newInstance(h, II.id);
    setAttr(h, I, "J", h.typeObject[J.id]!);
    const cb = core.loadAttr(h, I, "acallback");
    expect(core.isMethod(h, cb)).toBe(true);
    const wr = newRef(h, h.typeObject[J.id]!, cb);
    setAttr(h, I, "wr", wr);
    drop(h, cb, wr, I);
    core.dropClass(h, J.id);
    core.dropClass(h, II.id);
    const n = core.gc.collect(h);
    expect(log).toEqual([]);
    // J (type, mro; its empty dict is untracked), II (type, mro, dict, the function), I, the
    // weakref, the bound method
    expect(n).toBe(9);
    expect(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); log = []",
          "class J(object):\n    pass",
          "class II(object):\n    def acallback(self, ignore):\n        log.append('acallback'); self.J",
          "I = II(); I.J = J; I.wr = weakref.ref(J, I.acallback)",
          "del I, J, II",
          "print(gc.collect() > 0, log)",
        ].join("\n"),
      ),
    ).toBe("True []");
    expectSound(h);
  });

  it("test_callback_different_classes: c2.wr = weakref.ref(c1, c2.cb), c1 of class D; del c1, c2, C, D: the callback never runs", async () => {
    const { h } = weakHeap();
    const L: string[] = [];
    const C = weakClass(h, "Cc");
    defineMethod(h, C.id, "cb", (self) => {
      L.push("cb");
      for (const name of ["me", "c1", "wr"]) core.decref(h, core.loadAttr(h, self, name));
    });
    const D = weakClass(h, "D");
    const c1 = core.newInstance(h, D.id);
    const c2 = core.newInstance(h, C.id);
    selfRef(h, c2);
    setAttr(h, c2, "c1", c1);
    const cb = core.loadAttr(h, c2, "cb");
    const wr = newRef(h, c1, cb);
    setAttr(h, c2, "wr", wr);
    drop(h, cb, wr, c1, c2);
    core.dropClass(h, C.id);
    core.dropClass(h, D.id);
    const n = core.gc.collect(h);
    expect(L).toEqual([]);
    // C (type, mro, dict, the function), D (type, mro; its empty dict is untracked), c1, c2,
    // the weakref, the method
    expect(n).toBe(10);
    expect(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); L=[]",
          "class C(object):\n    def cb(self, ignore):\n        L.append('cb'); self.me; self.c1; self.wr",
          "class D: pass",
          "c1, c2 = D(), C()",
          "c2.me = c2; c2.c1 = c1; c2.wr = weakref.ref(c1, c2.cb)",
          "del c1, c2, C, D",
          "print(gc.collect() > 0, L)",
        ].join("\n"),
      ),
    ).toBe("True []");
    expectSound(h);
  });

  it("test_callback_in_cycle_resurrection: weakrefs in the trash never call back; the external weakref to the class C does ('C went away'), once", async () => {
    const { h } = weakHeap();
    const alist: (string | number)[] = [];
    const C = weakClass(h, "Cr");
    defineMethod(h, C.id, "acallback", (self) => {
      const c = core.loadAttr(h, self, "c");
      alist.push(c);
      core.decref(h, c);
    });
    const c1 = core.newInstance(h, C.id);
    const c2 = core.newInstance(h, C.id);
    setAttr(h, c1, "c", c2);
    setAttr(h, c2, "c", c1);
    const m1 = core.loadAttr(h, c1, "acallback");
    const w1 = newRef(h, c2, m1);
    setAttr(h, c1, "wr", w1);
    const m2 = core.loadAttr(h, c2, "acallback");
    const w2 = newRef(h, c1, m2);
    setAttr(h, c2, "wr", w2);
    drop(h, m1, w1, m2, w2);
    const wr = newRef(h, h.typeObject[C.id]!, () => alist.push("C went away"));
    drop(h, c1, c2);
    core.dropClass(h, C.id);
    expect(alist).toEqual([]); // del isn't enough to reclaim anything
    core.gc.collect(h);
    expect(alist).toEqual(["C went away"]);
    expect(isDead(h, wr)).toBe(true);
    alist.length = 0;
    core.gc.collect(h);
    expect(alist).toEqual([]);
    core.decref(h, wr);
    expect(
      await python(
        [
          "import gc, weakref",
          "gc.disable(); gc.collect(); alist = []",
          "class C(object):\n    def __init__(self, value):\n        self.attribute = value\n    def acallback(self, ignore):\n        alist.append(self.c)",
          "c1, c2 = C(1), C(2)",
          "c1.c = c2; c2.c = c1",
          "c1.wr = weakref.ref(c2, c1.acallback); c2.wr = weakref.ref(c1, c2.acallback)",
          "def C_went_away(ignore):\n    alist.append('C went away')",
          "wr = weakref.ref(C, C_went_away)",
          "del c1, c2, C",
          "print(alist, end=' '); gc.collect(); print(alist, wr(), end=' ')",
          "del alist[:]; gc.collect(); print(alist)",
        ].join("\n"),
      ),
    ).toBe("[] ['C went away'] None []");
    expectSound(h);
  });
});

/**
 * test_weakref's `Object` as a weakrefable user kind: `arg` a data word, __eq__ by arg (other
 * objects: NotImplemented, so identity), __hash__ `hashOf(arg)`, and the methods some_method (4)
 * and other_method (5) as functions in its dict.
 */
function objectKind(h: core.Engine, hashOf: (arg: number) => number = (arg) => arg) {
  const Obj = h.defineKind({
    name: "Object",
    data: ["arg"],
    weakrefable: true,
    hash: (o) => hashOf(core.getData(h, o, 0)),
    eq: (o, other, isRef) =>
      isRef && core.typeIdOf(h, other) === Obj.id && core.getData(h, o, 0) === core.getData(h, other, 0),
  });
  defineReturning(h, Obj.id, "some_method", 4);
  defineReturning(h, Obj.id, "other_method", 5);
  const make = (arg: number): number => {
    const o = core.newObject(h, Obj.id);
    core.setData(h, o, 0, arg);
    return o;
  };
  return { Obj, make };
}

/** `def name(self): return value` in class `id`'s dict; returns the function (a new reference). */
function defineReturning(h: core.Engine, id: number, name: string, value: number): number {
  const F = h.defineKind({ name: "function", weakrefable: true, bind: true, call: () => value });
  const f = core.newObject(h, F.id);
  setClassAttr(h, id, name, f);
  return f;
}

/** `def cb(arg): calls.append(arg)`: a heap callable. */
function recorder(h: core.Engine, calls: number[]): number {
  const F = h.defineKind({ name: "function", call: (_f, arg) => calls.push(arg as number) });
  return core.newObject(h, F.id);
}

/** WeakMethod(o.name, callback). */
function weakMethodOf(h: core.Engine, o: number, name: string, callback: number | null = null): number {
  const m = core.loadAttr(h, o, name);
  const r = core.weakref.newWeakMethod(h, m, callback);
  core.decref(h, m);
  return r;
}

describe("test_weakref: WeakMethodTestCase", () => {
  const { weakMethodGet } = core.weakref;

  it("test_alive: r() is a new bound method of o and the same function; calling it gives 4", () => {
    const h = new core.Engine({ checked: true });
    const { make } = objectKind(h);
    const o = make(1);
    const r = weakMethodOf(h, o, "some_method");
    expect(h.typeKind[core.typeIdOf(h, r)]).toBe(core.Kind.Weakref); // isinstance(r, ReferenceType)
    const m = weakMethodGet(h, r);
    expect(core.isMethod(h, m)).toBe(true);
    expect(core.methodSelf(h, m)).toBe(o);
    const direct = core.loadAttr(h, o, "some_method");
    expect(core.methodFunc(h, m)).toBe(core.methodFunc(h, direct));
    expect(core.callObject(h, m)).toBe(4);
    drop(h, direct, m, r, o);
    expectSound(h);
  });

  it("test_object_dead: del o; gc.collect(): r() is None", () => {
    const h = new core.Engine({ checked: true });
    const { make } = objectKind(h);
    const o = make(1);
    const r = weakMethodOf(h, o, "some_method");
    core.decref(h, o);
    core.gc.collect(h);
    expect(weakMethodGet(h, r)).toBe(core.NONE);
    drop(h, core.NONE, r);
    expectSound(h);
  });

  it("test_method_dead: del C.some_method; gc.collect(): r() is None", () => {
    const h = new core.Engine({ checked: true });
    const { make, Obj } = objectKind(h);
    const f = defineReturning(h, Obj.id, "some_method", 6); // C overrides some_method
    core.decref(h, f);
    const o = make(1);
    const r = weakMethodOf(h, o, "some_method");
    expect(core.classDelAttr(h, Obj.id, "some_method")).toBe(true);
    core.gc.collect(h);
    expect(weakMethodGet(h, r)).toBe(core.NONE);
    drop(h, core.NONE, r, o);
    expectSound(h);
  });

  it("test_callback_when_object_dead: the callback gets r once, when o dies; a later change to C calls nothing", () => {
    const h = new core.Engine({ checked: true });
    const { make, Obj } = objectKind(h);
    core.decref(h, defineReturning(h, Obj.id, "some_method", 6));
    const calls: number[] = [];
    const cb = recorder(h, calls);
    const o = make(1);
    const r = weakMethodOf(h, o, "some_method", cb);
    core.decref(h, o);
    core.gc.collect(h);
    expect(calls).toEqual([r]);
    const other = defineReturning(h, Obj.id, "some_method", 4); // C.some_method = Object.some_method
    core.decref(h, other);
    core.gc.collect(h);
    expect(calls).toEqual([r]);
    drop(h, r, cb);
    expectSound(h);
  });

  it("test_callback_when_method_dead: the callback gets r once, when the function dies; del o later calls nothing", () => {
    const h = new core.Engine({ checked: true });
    const { make, Obj } = objectKind(h);
    core.decref(h, defineReturning(h, Obj.id, "some_method", 6));
    const calls: number[] = [];
    const cb = recorder(h, calls);
    const o = make(1);
    const r = weakMethodOf(h, o, "some_method", cb);
    core.classDelAttr(h, Obj.id, "some_method");
    core.gc.collect(h);
    expect(calls).toEqual([r]);
    core.decref(h, o);
    core.gc.collect(h);
    expect(calls).toEqual([r]);
    drop(h, r, cb);
    expectSound(h);
  });

  it("test_no_cycles: a WeakMethod with a callback is freed by refcounting alone (wr() is None after del r)", () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const { make } = objectKind(h);
    const o = make(1);
    const cb = recorder(h, []);
    const r = weakMethodOf(h, o, "some_method", cb);
    const wr = newRef(h, r);
    core.decref(h, r);
    expect(isDead(h, wr)).toBe(true);
    drop(h, wr, cb, o);
    expectSound(h);
  });

  it("test_equality: equal objects and the same method are equal; dead WeakMethods compare by identity", () => {
    const h = new core.Engine({ checked: true });
    // Every key hashes alike, so each lookup below is decided by equality alone.
    const { make } = objectKind(h, () => 7);
    const AlwaysEq = h.defineKind({ name: "_ALWAYS_EQ", hash: () => 7, eq: () => true });
    const eq = (a: number, b: number): boolean => {
      const d = core.newDict(h);
      core.dictSetItem(h, d, a, true, 1, false);
      const found = core.dictGetSlot(h, d, b, true) !== 0;
      core.decref(h, d);
      return found;
    };
    const x = make(1);
    const y = make(1);
    const a = weakMethodOf(h, x, "some_method");
    const b = weakMethodOf(h, y, "some_method");
    const c = weakMethodOf(h, x, "other_method");
    const d = weakMethodOf(h, y, "other_method");
    expect([eq(a, b), eq(c, d)]).toEqual([true, true]);
    expect([eq(a, c), eq(a, d), eq(b, c), eq(b, d)]).toEqual([false, false, false, false]);
    const z = make(2);
    const e = weakMethodOf(h, z, "some_method");
    const f = weakMethodOf(h, z, "other_method");
    expect([eq(a, e), eq(a, f), eq(b, e), eq(b, f)]).toEqual([false, false, false, false]);
    const xm = core.loadAttr(h, x, "some_method");
    const ALWAYS_EQ = core.newObject(h, AlwaysEq.id);
    expect([eq(a, xm), eq(a, ALWAYS_EQ)]).toEqual([false, true]);
    drop(h, xm, x, y, z);
    core.gc.collect(h);
    const refs = [a, b, c, d, e, f];
    for (const q of refs) for (const r of refs) expect(eq(q, r)).toBe(q === r);
    drop(h, ALWAYS_EQ, ...refs);
    expectSound(h);
  });

  it("test_hashing: equal WeakMethods hash alike; dead ones keep the hash they had; one never hashed raises TypeError", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const h = heap.engine;
    const { make } = objectKind(h);
    const x = make(1);
    const y = make(1);
    const a = heap.wrap(weakMethodOf(h, x, "some_method")) as WeakRefHandle;
    const b = heap.wrap(weakMethodOf(h, y, "some_method")) as WeakRefHandle;
    const c = heap.wrap(weakMethodOf(h, y, "other_method")) as WeakRefHandle;
    for (const w of [a, b, c]) core.decref(h, w.address); // the handles hold them now
    expect(a.hash()).toBe(b.hash());
    const ha = a.hash();
    drop(h, x, y);
    core.gc.collect(h);
    expect(a.hash()).toBe(ha);
    expect(b.hash()).toBe(ha);
    expect(() => c.hash()).toThrow(core.HeapTypeError);
    for (const w of [a, b, c]) w.dispose();
    expectSound(h);
  });
});

describe("test_weakref: SubclassableWeakrefTestCase", () => {
  const { weakrefGet } = core.weakref;

  it("test_subclass_refs: MyRef(o, value=24): mr() is o and sets mr.called; mr.value == 24; after del o, mr() is None", async () => {
    const h = new core.Engine({ checked: true });
    const O = weakClass(h, "Object");
    // class MyRef(weakref.ref): __init__ sets self.value; __call__ sets self.called, then super().__call__()
    const MyRef = h.defineClass({
      name: "MyRef",
      base: core.Kind.Weakref,
      dynamic: true,
      weakrefable: true,
      call: (self) => {
        setAttr(h, self as number, "called", core.TRUE);
        return weakrefGet(h, self as number);
      },
    });
    const o = core.newInstance(h, O.id);
    const mr = newRef(h, o, null, MyRef.id); // MyRef.__new__ is weakref.ref's
    const value = core.newStr(h, "value");
    core.setAttr(h, mr, value, 24, false); // __init__: self.value = value
    core.decref(h, value);
    const attr = (name: string): number => core.slotNumber(h, core.getAttrSlotString(h, mr, name));
    expect(core.callObject(h, mr)).toBe(o);
    const called = core.loadAttr(h, mr, "called");
    expect(called).toBe(core.TRUE);
    core.decref(h, called);
    expect(attr("value")).toBe(24);
    core.decref(h, o);
    core.gc.collect(h);
    expect(core.callObject(h, mr)).toBe(core.NONE);
    core.decref(h, mr);
    expect(
      await python(
        [
          "import weakref",
          "class Object: pass",
          "class MyRef(weakref.ref):",
          "    def __init__(self, ob, callback=None, value=42):",
          "        self.value = value",
          "        super().__init__(ob, callback)",
          "    def __call__(self):",
          "        self.called = True",
          "        return super().__call__()",
          "o = Object()",
          "mr = MyRef(o, value=24)",
          "print(mr() is o, mr.called, mr.value)",
          "del o",
          "print(mr(), mr.called)",
        ].join("\n"),
      ),
    ).toBe("True True 24\nNone True");
    expectSound(h);
  });

  it('test_subclass_refs_with_slots: __slots__ = "slot1", "slot2": the slots hold "abc" and "def", meth() joins them, no __dict__', async () => {
    const h = new core.Engine({ checked: true });
    const O = weakClass(h, "Object");
    const MyRef = h.defineClass({
      name: "MyRef",
      base: core.Kind.Weakref,
      fields: [
        { name: "slot1", kind: "ref" },
        { name: "slot2", kind: "ref" },
      ],
    });
    // def meth(self): return self.slot1 + self.slot2
    const F = h.defineKind({
      name: "function",
      bind: true,
      call: (_f, self) => {
        const [a, b] = ["slot1", "slot2"].map((n) => core.loadAttr(h, self as number, n));
        const joined = core.newStr(h, core.strValue(h, a!) + core.strValue(h, b!));
        drop(h, a!, b!);
        return joined;
      },
    });
    const f = core.newObject(h, F.id);
    setClassAttr(h, MyRef.id, "meth", f);
    core.decref(h, f);
    const o = core.newInstance(h, O.id);
    const r = newRef(h, o, null, MyRef.id); // MyRef.__new__: weakref.ref.__new__(type, ob, callback)
    for (const [name, text] of [
      ["slot1", "abc"],
      ["slot2", "def"],
    ] as const) {
      const s = core.newStr(h, text);
      core.setField(h, r, MyRef.fieldIndex.get(name)!, s, true); // __init__
      core.decref(h, s);
    }
    const slot = (name: string): string =>
      core.strValue(h, core.slotRef(h, core.fieldItemSlot(h, r, MyRef.fieldIndex.get(name)!)));
    expect([slot("slot1"), slot("slot2")]).toEqual(["abc", "def"]);
    const meth = core.loadAttr(h, r, "meth");
    const result = core.callObject(h, meth) as number;
    expect(core.strValue(h, result)).toBe("abcdef");
    expect(MyRef.dynamic).toBe(false); // hasattr(r, "__dict__") is False
    expect(() => core.getAttrSlotString(h, r, "__dict__")).toThrow(/no dynamic attributes/);
    drop(h, result, meth, r, o);
    expect(
      await python(
        [
          "import weakref",
          "class Object: pass",
          "class MyRef(weakref.ref):",
          '    __slots__ = "slot1", "slot2"',
          "    def __new__(type, ob, callback, slot1, slot2):",
          "        return weakref.ref.__new__(type, ob, callback)",
          "    def __init__(self, ob, callback, slot1, slot2):",
          "        self.slot1 = slot1",
          "        self.slot2 = slot2",
          "    def meth(self):",
          "        return self.slot1 + self.slot2",
          "o = Object()",
          'r = MyRef(o, None, "abc", "def")',
          'print(r.slot1, r.slot2, r.meth(), hasattr(r, "__dict__"))',
        ].join("\n"),
      ),
    ).toBe("abc def abcdef False");
    expectSound(h);
  });
});
