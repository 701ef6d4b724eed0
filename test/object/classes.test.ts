/**
 * Classes as heap objects: single inheritance (a subclass extends its base's layout), class
 * attributes in the type object's dict, attribute reads through the class that bind functions
 * (bound methods), and classes that die once dropped — by the collector, since a dropped class is
 * in a cycle with its mro tuple as every CPython class is. Every test runs on a checked heap
 * (general paths) and an unchecked one (generated fast paths) and verifies the heap.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { checkedAndUnchecked, expectSound } from "../helpers.js";

type H = core.Engine;

function referents(h: H, o: number): number[] {
  const n = core.traverse(h, o);
  return Array.from(h.edges.subarray(0, n));
}

/** C.name = v, dropping the caller's references to v and the name. */
function setClassAttr(h: H, id: number, name: string, v: number): void {
  const s = core.newStr(h, name);
  core.classSetAttr(h, id, s, v, true);
  core.decref(h, s);
}

/** A function kind: its objects bind to instances; a call returns [self, ...args]. */
function functionKind(h: H) {
  return h.defineKind({ name: "function", bind: true, call: (_f, ...args) => args });
}

describe.each(checkedAndUnchecked())("classes as heap objects (%s heap)", (_, newHeap) => {
  it("a subclass extends its base's layout: the base's fields keep their indexes", () => {
    const h = newHeap();
    const B = h.defineClass({
      name: "B",
      fields: [
        { name: "y", kind: "ref" },
        { name: "x", kind: "number" },
      ],
    });
    const C = h.defineClass({ name: "C", base: B, fields: [{ name: "a", kind: "ref" }], weakrefable: true });
    expect(C.fields.map((f) => f.name)).toEqual(["x", "y", "a"]);
    expect(C.base).toBe(B);
    expect(C.weakrefable).toBe(true);
    const c = core.newInstance(h, C.id);
    core.setField(h, c, B.fieldIndex.get("x")!, 7, false); // code written for B
    expect(core.slotNumber(h, core.fieldItemSlot(h, c, C.fieldIndex.get("x")!))).toBe(7);
    expect(core.isInstance(h, c, B.id) && core.isInstance(h, c, C.id)).toBe(true);
    expect(core.isSubclass(h, C.id, B.id) && !core.isSubclass(h, B.id, C.id)).toBe(true);
    core.decref(h, c);
    expectSound(h);
  });

  it("a subclass's fields are visited, cleared and released level by level, its own first", () => {
    // CPython 3.11: class A: __slots__ = "a", "b"; class B(A): __slots__ = "c",;
    // class C(B): __slots__ = "d",  — gc.get_referents(o) is [o.d, o.c, o.a, o.b, C], and
    // dealloc releases d, c, a, b (subtype_traverse and clear_slots walk up the chain).
    const h = newHeap();
    const log: string[] = [];
    const D = h.defineClass({
      name: "D",
      fields: [{ name: "name", kind: "number" }],
      finalize: (o) => log.push(String.fromCharCode(core.slotNumber(h, core.fieldItemSlot(h, o, 0)))),
    });
    const ref = (name: string) => ({ name, kind: "ref" as const });
    const A = h.defineClass({ name: "A", fields: [ref("a"), ref("b")] });
    const B = h.defineClass({ name: "B", base: A, fields: [ref("c")] });
    const C = h.defineClass({ name: "C", base: B, fields: [ref("d")] });
    expect(A.visitOrder).toBe(null);
    expect(Array.from(C.visitOrder!)).toEqual([3, 2, 0, 1]);
    const o = core.newInstance(h, C.id);
    const made: number[] = [];
    for (const f of ["a", "b", "c", "d"]) {
      const x = core.newInstance(h, D.id);
      core.setField(h, x, 0, f.charCodeAt(0), false);
      core.setField(h, o, C.fieldIndex.get(f)!, x, true);
      core.decref(h, x);
      made.push(x);
    }
    expect(referents(h, o)).toEqual([made[3], made[2], made[0], made[1], h.typeObject[C.id]]);
    core.decref(h, o);
    expect(log).toEqual(["d", "c", "a", "b"]);
    expectSound(h);
  });

  it("a subclass inherits its base's finalizer, call hook, attribute table and weakref list", () => {
    const h = newHeap();
    const log: string[] = [];
    const B = h.defineClass({
      name: "B",
      dynamic: true,
      finalize: () => log.push("B.__del__"),
      call: () => "called",
    });
    const C = h.defineClass({ name: "C", base: B });
    expect(C.dynamic).toBe(true);
    // tp_del is not inherited (CPython's inherit_slots does not copy it)
    const L = h.defineClass({ name: "L", legacyFinalize: () => log.push("tp_del") });
    expect(h.defineClass({ name: "M", base: L }).legacyFinalize).toBe(null);
    const c = core.newInstance(h, C.id);
    expect(core.callObject(h, c)).toBe("called");
    core.decref(h, c);
    expect(log).toEqual(["B.__del__"]);
    expectSound(h);
  });

  it("refuses a field its base declares, a user kind or a built-in type other than ref, list and dict as a base, and a freed base", () => {
    const h = newHeap();
    const B = h.defineClass({ name: "B", fields: [{ name: "x", kind: "ref" }] });
    expect(() => h.defineClass({ name: "C", base: B, fields: [{ name: "x", kind: "ref" }] })).toThrow(
      /field 'x' is declared by its base B already/,
    );
    const K = h.defineKind({ name: "K" });
    expect(() => h.defineClass({ name: "C", base: K })).toThrow(core.HeapTypeError);
    expect(() => h.defineClass({ name: "C", base: core.Kind.Tuple })).toThrow(/defined with defineClass/);
    core.dropClass(h, B.id);
    core.gc.collect(h);
    expect(() => h.defineClass({ name: "C", base: B })).toThrow(/its base B was freed/);
    expectSound(h);
  });

  it("class attributes live in the class's dict and are found through the bases", () => {
    const h = newHeap();
    const B = h.defineClass({ name: "B" });
    const C = h.defineClass({ name: "C", base: B });
    const v = core.newList(h);
    setClassAttr(h, B.id, "shared", v);
    expect(core.getrefcount(h, v)).toBe(2);
    const p = core.classLookupSlot(h, C.id, "shared");
    expect(core.slotRef(h, p)).toBe(v);
    expect(core.classLookupSlot(h, C.id, "missing")).toBe(0);
    // del C.shared is an AttributeError: the name is B's
    expect(core.classDelAttr(h, C.id, "shared")).toBe(false);
    expect(core.classDelAttr(h, B.id, "shared")).toBe(true);
    expect(core.getrefcount(h, v)).toBe(1);
    core.decref(h, v);
    // the type object's referents: its dict (then, once dropped, mro and bases), then the base
    const tc = h.typeObject[C.id]!;
    expect(referents(h, tc)).toEqual([h.typeObject[B.id]]);
    setClassAttr(h, C.id, "x", core.NONE);
    expect(referents(h, tc).length).toBe(2);
    expectSound(h);
  });

  it("replacing a class attribute releases the old value (its finalizer runs)", () => {
    const h = newHeap();
    const log: string[] = [];
    const D = h.defineClass({ name: "D", finalize: () => log.push("del") });
    const C = h.defineClass({ name: "C" });
    const d = core.newInstance(h, D.id);
    setClassAttr(h, C.id, "a", d);
    core.decref(h, d);
    setClassAttr(h, C.id, "a", core.NONE);
    expect(log).toEqual(["del"]);
    expectSound(h);
  });

  it("loadAttr reads fields, then the instance's attributes, then the class's, binding functions", () => {
    const h = newHeap();
    const F = functionKind(h);
    const C = h.defineClass({
      name: "C",
      fields: [
        { name: "f", kind: "ref" },
        { name: "n", kind: "number" },
      ],
      dynamic: true,
    });
    const c = core.newInstance(h, C.id);
    const fn = core.newObject(h, F.id);
    setClassAttr(h, C.id, "meth", fn);
    const other = core.newList(h);
    setClassAttr(h, C.id, "plain", other);
    expect(core.loadAttr(h, c, "f")).toBe(0); // an unset slot is absent (AttributeError)
    expect(() => core.loadAttr(h, c, "n")).toThrow(/holds the number 0/);
    const m = core.loadAttr(h, c, "meth");
    expect(core.isMethod(h, m)).toBe(true);
    expect(core.methodFunc(h, m)).toBe(fn);
    expect(core.methodSelf(h, m)).toBe(c);
    expect(core.callObject(h, m, 1, 2)).toEqual([c, 1, 2]);
    expect(core.getrefcount(h, c)).toBe(2); // the method holds self
    const p = core.loadAttr(h, c, "plain");
    expect(p).toBe(other);
    expect(core.getrefcount(h, other)).toBe(3);
    // read through the class itself, a function is not bound
    const f2 = core.loadAttr(h, h.typeObject[C.id]!, "meth");
    expect(f2).toBe(fn);
    // an instance attribute shadows the class's
    const name = core.newStr(h, "plain");
    core.setAttr(h, c, name, core.TRUE, true);
    core.decref(h, name);
    const t = core.loadAttr(h, c, "plain");
    expect(t).toBe(core.TRUE);
    expect(core.loadAttr(h, c, "nothing")).toBe(0);
    for (const o of [t, f2, p, m, other, fn, c]) core.decref(h, o);
    expectSound(h);
  });

  it("bound methods: referents func then self, equal and hashed by (self, func), weakrefable, no tp_clear", () => {
    const h = newHeap();
    const F = functionKind(h);
    const C = h.defineClass({ name: "C", fields: [{ name: "m", kind: "ref" }] });
    const c = core.newInstance(h, C.id);
    const fn = core.newObject(h, F.id);
    const m1 = core.newMethod(h, fn, c);
    const m2 = core.newMethod(h, fn, c);
    // method_traverse's func and self (then the method type's object, as every instance's type)
    expect(referents(h, m1).slice(0, 2)).toEqual([fn, c]);
    const d = core.newDict(h);
    core.dictSetItem(h, d, m1, true, 1, false);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, m2, true))).toBe(1); // m1 == m2, same hash
    const other = core.newInstance(h, C.id);
    const m3 = core.newMethod(h, fn, other);
    expect(core.dictGetSlot(h, d, m3, true)).toBe(0);
    const w = core.weakref.newRef(h, m1, null);
    expect(() => core.newMethod(h, c, c)).toThrow(/'C' object is not callable/);
    // c.m = c.method: a cycle through a method (which has no tp_clear) is broken at c; the
    // function goes with it (c, the method, the function)
    core.setField(h, c, 0, m2, true);
    for (const o of [m2, m3, other, d, fn, m1]) core.decref(h, o);
    core.decref(h, c);
    expect(core.gc.collect(h)).toBe(3);
    core.decref(h, w);
    expectSound(h);
  });

  it("a dropped class with nothing referring to it is freed by the collector: type and mro (2)", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    core.gc.collect(h);
    core.dropClass(h, A.id);
    expectSound(h);
    expect(core.gc.collect(h)).toBe(2); // as CPython's `class A: __slots__ = ()` once collected
    expect(() => core.newInstance(h, A.id)).toThrow(/class A was freed/);
    expect(() => core.dropClass(h, A.id)).toThrow(/class A was freed/);
    expectSound(h);
  });

  it("a dropped subclass adds its bases tuple (3, as CPython); its base then goes the same way", () => {
    const h = newHeap();
    const B = h.defineClass({ name: "B" });
    const C = h.defineClass({ name: "C", base: B });
    core.gc.collect(h);
    core.dropClass(h, C.id);
    expect(core.gc.collect(h)).toBe(3);
    core.dropClass(h, B.id);
    expect(core.gc.collect(h)).toBe(2);
    expectSound(h);
  });

  it("readyClass makes a class's objects in type()'s order: bases tuple and dict first, then the class, then its mro", () => {
    // CPython 3.11, `C = type('C', (B,), {'f': f})` then gc.get_objects(0) after a collection of
    // what was before: the bases tuple (B,), the dict (the namespace's copy, tracked as it holds a
    // function), the class, its mro (C, B, object). type_traverse visits dict, mro, bases, base.
    const h = newHeap();
    const B = h.defineClass({ name: "B" });
    const F = functionKind(h);
    core.gc.collect(h);
    const bases = core.newTuple(h, 1);
    core.tupleSetItem(h, bases, 0, h.typeObject[B.id]!, true);
    const f = core.newObject(h, F.id);
    const dict = core.newDict(h);
    const name = core.newStr(h, "f");
    core.dictSetItem(h, dict, name, true, f, true);
    core.decref(h, name);
    core.decref(h, f);
    const C = h.defineClass({ name: "C", base: B });
    core.readyClass(h, C.id, { dict, bases });
    core.decref(h, dict);
    core.decref(h, bases);
    const t = h.typeObject[C.id]!;
    const mro = referents(h, t)[1]!;
    expect(referents(h, t)).toEqual([dict, mro, bases, h.typeObject[B.id]!]);
    expect(referents(h, mro)).toEqual([h.typeObject[B.id]!, t]); // (C, B): tupletraverse goes backwards
    const gen0 = core.gc.getObjects(h, 0);
    const listed = Array.from({ length: core.listSize(h, gen0) }, (_, i) =>
      core.slotRef(h, core.listItemSlot(h, gen0, i)),
    );
    core.decref(h, gen0);
    expect(listed).toEqual([bases, f, dict, t, mro]);
    // dropClass keeps what readyClass made: the class, its mro, bases and dict, and f (5)
    core.dropClass(h, C.id);
    expect(core.gc.collect(h)).toBe(5);
    expectSound(h);
  });

  it("readyClass without arguments makes the mro and bases tuples; dropClass then makes none", () => {
    const h = newHeap();
    const B = h.defineClass({ name: "B" });
    const C = h.defineClass({ name: "C", base: B });
    core.readyClass(h, C.id);
    const t = h.typeObject[C.id]!;
    expect(referents(h, t)).toHaveLength(3); // mro, bases, base: no dict yet
    core.gc.collect(h);
    core.dropClass(h, C.id);
    expect(core.gc.collect(h)).toBe(3); // the class, its mro and bases (its empty dict is untracked)
    expectSound(h);
  });

  it("readyClass refuses a second call, a dropped class, a dict when the class has one, and a wrong bases tuple", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    const B = h.defineClass({ name: "B", base: A });
    const D = h.defineClass({ name: "D", base: core.Kind.Dict });
    const tupleOf = (...items: number[]): number => {
      const t = core.newTuple(h, items.length);
      for (const [i, x] of items.entries()) core.tupleSetItem(h, t, i, x, true);
      return t;
    };
    const wrongBase = tupleOf(h.typeObject[B.id]!);
    const twoBases = tupleOf(h.typeObject[A.id]!, h.typeObject[A.id]!);
    const right = tupleOf(h.typeObject[A.id]!);
    expect(() => core.readyClass(h, B.id, { bases: wrongBase })).toThrow(/the bases tuple must be \(A,\)/);
    expect(() => core.readyClass(h, B.id, { bases: twoBases })).toThrow(/the bases tuple must be \(A,\)/);
    expect(() => core.readyClass(h, A.id, { bases: right })).toThrow(
      /only a class whose base is a class has one/,
    );
    const sub = core.newInstance(h, D.id);
    expect(() => core.readyClass(h, B.id, { dict: sub })).toThrow(/an exact dict/);
    setClassAttr(h, B.id, "x", core.newStr(h, "v"));
    const d = core.newDict(h);
    expect(() => core.readyClass(h, B.id, { dict: d })).toThrow(/has a dict already/);
    core.readyClass(h, B.id, { bases: right });
    expect(() => core.readyClass(h, B.id)).toThrow(/B is ready already/);
    core.dropClass(h, A.id);
    expect(() => core.readyClass(h, A.id)).toThrow(/A is ready already/);
    for (const o of [wrongBase, twoBases, right, sub, d]) core.decref(h, o);
    expectSound(h);
  });

  it("a dropped class lives as long as its instances; dropping it twice is an error", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", fields: [{ name: "x", kind: "ref" }] });
    const a = core.newInstance(h, A.id);
    core.dropClass(h, A.id);
    expect(() => core.dropClass(h, A.id)).toThrow(/dropped already/);
    expect(core.gc.collect(h)).toBe(0);
    const b = core.newInstance(h, A.id); // the class is alive: instances can still be made
    core.decref(h, b);
    core.decref(h, a);
    expect(core.gc.collect(h)).toBe(2);
    expectSound(h);
  });

  it("A.a = A(): the class, its mro, its dict and the instance are freed together (4)", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    const a = core.newInstance(h, A.id);
    setClassAttr(h, A.id, "a", a);
    core.decref(h, a);
    core.dropClass(h, A.id);
    expectSound(h);
    expect(core.gc.collect(h)).toBe(4);
    expect(core.gc.collect(h)).toBe(0);
    expectSound(h);
  });

  it("weakrefs to a class are cleared when it dies and their callbacks run", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    const log: number[] = [];
    const w = core.weakref.newRef(h, h.typeObject[A.id]!, (r) => log.push(r));
    core.dropClass(h, A.id);
    core.gc.collect(h);
    expect(log).toEqual([w]);
    expect(core.weakref.weakrefGet(h, w)).toBe(core.NONE);
    core.decref(h, w);
    expectSound(h);
  });

  it("classDeallocHook runs once when a class dies (after the collector ran its weakrefs' callbacks); a throw is unraisable", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    const log: string[] = [];
    const t = h.typeObject[A.id]!;
    const w = core.weakref.newRef(h, t, () => log.push("callback"));
    h.classDeallocHook = (id, typeObject) => {
      log.push(`hook ${id === A.id && typeObject === t}`);
      throw new Error("boom");
    };
    h.unraisableHook = (error) => log.push(`unraisable ${(error as Error).message}`);
    core.dropClass(h, A.id);
    core.gc.collect(h);
    expect(log).toEqual(["callback", "hook true", "unraisable boom"]);
    core.decref(h, w);
    expectSound(h);
  });

  it("a dynamic class's instances' shared names stay valid after the class dies", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    const a = core.newInstance(h, A.id);
    const name = core.newStr(h, "attr");
    core.setAttr(h, a, name, 1, false);
    core.decref(h, name);
    core.decref(h, a);
    core.dropClass(h, A.id);
    core.gc.collect(h);
    expectSound(h);
  });

  it("frees a chain of 3000 dropped subclasses without deep recursion", () => {
    const h = newHeap();
    let base = h.defineClass({ name: "C0" });
    const ids = [base.id];
    for (let i = 1; i < 3000; i++) {
      base = h.defineClass({ name: `C${i}`, base });
      ids.push(base.id);
    }
    for (const id of ids) core.dropClass(h, id);
    // every class but the first has a bases tuple
    expect(core.gc.collect(h)).toBe(3 * 3000 - 1);
    expectSound(h);
  });
});

describe("classObject", () => {
  it("names what is wrong with an id", () => {
    const h = new core.Engine({ checked: true });
    expect(() => core.classObject(h, core.Kind.List)).toThrow(/is not a class id/);
    expect(() => core.classObject(h, 999)).toThrow(/is not a class id/);
    const A = h.defineClass({ name: "A" });
    expect(core.classObject(h, A.id)).toBe(h.typeObject[A.id]);
  });
});
