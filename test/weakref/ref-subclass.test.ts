/**
 * Subclasses of weakref.ref (defineClass with `base: Kind.Weakref`, made by weakref.newRef with
 * the class's id): their fields and attributes after the ref's words, their place in the
 * referent's weakref list, traverse/clear/dealloc as subtype_traverse, subtype_clear and
 * subtype_dealloc run them before the ref's own, and the errors. Each expectation on order or
 * counts is what python3 (3.11) prints for the same program, quoted beside it.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { checkedAndUnchecked, expectSound } from "../helpers.js";

const { newRef, newProxy, weakrefGet, getweakrefs } = core.weakref;

function referents(h: core.Engine, o: number): number[] {
  const n = core.traverse(h, o);
  return Array.from(h.edges.subarray(0, n));
}

function setAttr(h: core.Engine, o: number, name: string, v: number, isRef: boolean): void {
  const s = core.newStr(h, name);
  core.setAttr(h, o, s, v, isRef);
  core.decref(h, s);
}

describe.each(checkedAndUnchecked())("subclasses of weakref.ref (%s heap)", (_, newHeap) => {
  it("an instance is a weakref to its referent with attributes in a dict of its own", () => {
    // class MyRef(weakref.ref): pass — instances have __dict__ and __weakref__
    const h = newHeap();
    const O = h.defineClass({ name: "O", weakrefable: true });
    const MyRef = h.defineClass({ name: "MyRef", base: core.Kind.Weakref, dynamic: true, weakrefable: true });
    expect(MyRef.kind).toBe(core.Kind.Weakref);
    expect(core.isSubclass(h, MyRef.id, core.Kind.Weakref)).toBe(true);
    const o = core.newInstance(h, O.id);
    const mr = newRef(h, o, null, MyRef.id);
    expect(weakrefGet(h, mr)).toBe(o);
    expect(core.isInstance(h, mr, MyRef.id)).toBe(true);
    // never the shared basic ref
    const r = newRef(h, o);
    expect(r).not.toBe(mr);
    // the first attribute makes the dict (weakref___new__ makes no inline values):
    // gc.get_referents(mr) == [mr.__dict__, MyRef]
    setAttr(h, mr, "value", 24, false);
    const [d, t] = referents(h, mr);
    expect(h.typeKind[core.typeIdOf(h, d!)]).toBe(core.Kind.Dict);
    expect(t).toBe(h.typeObject[MyRef.id]);
    const v = core.getAttrSlotString(h, mr, "value");
    expect(core.slotNumber(h, v)).toBe(24);
    for (const x of [r, mr, o]) core.decref(h, x);
    expectSound(h);
  });

  it("list order: the basic ref, the basic proxy, then every other weakref newest first", () => {
    // a = MyRef(o); r = ref(o); p = proxy(o); b = MyRef(o, None)
    // weakref.getweakrefs(o) == [r, p, b, a]
    const h = newHeap();
    const O = h.defineClass({ name: "O", weakrefable: true });
    const MyRef = h.defineClass({ name: "MyRef", base: core.Kind.Weakref });
    const o = core.newInstance(h, O.id);
    const a = newRef(h, o, null, MyRef.id);
    const r = newRef(h, o);
    const p = newProxy(h, o);
    const b = newRef(h, o, null, MyRef.id);
    const list = getweakrefs(h, o);
    const got = Array.from({ length: core.listSize(h, list) }, (_, i) =>
      core.slotRef(h, core.listItemSlot(h, list, i)),
    );
    expect(got).toEqual([r, p, b, a]);
    for (const x of [list, a, r, p, b, o]) core.decref(h, x);
    expectSound(h);
  });

  it("slots are visited and released before the ref's callback; the type is visited after them", () => {
    // class S(weakref.ref): __slots__ = "slot1", "slot2"
    // gc.get_referents(s) == [s.slot1, s.slot2, S] (then the callback, when it is a heap object)
    const h = newHeap();
    const log: string[] = [];
    const O = h.defineClass({ name: "O", weakrefable: true });
    const D = h.defineClass({
      name: "D",
      fields: [{ name: "n", kind: "number" }],
      finalize: (x) => log.push(`D${core.slotNumber(h, core.fieldItemSlot(h, x, 0))}`),
    });
    const F = h.defineKind({ name: "function", finalize: () => log.push("callback") });
    const S = h.defineClass({
      name: "S",
      base: core.Kind.Weakref,
      fields: [
        { name: "slot2", kind: "ref" },
        { name: "slot1", kind: "ref" },
      ],
    });
    expect(S.dynamic || S.weakrefable).toBe(false);
    const o = core.newInstance(h, O.id);
    const cb = core.newObject(h, F.id);
    const s = newRef(h, o, cb, S.id);
    core.decref(h, cb);
    const held = [1, 2].map((n) => {
      const x = core.newInstance(h, D.id);
      core.setField(h, x, 0, n, false);
      core.setField(h, s, S.fieldIndex.get(`slot${n}`)!, x, true);
      core.decref(h, x);
      return x;
    });
    expect(referents(h, s)).toEqual([held[0], held[1], h.typeObject[S.id], cb]);
    const rc = core.getrefcount(h, h.typeObject[S.id]!);
    core.decref(h, s); // subtype_dealloc: slots, then weakref_dealloc drops the callback
    expect(log).toEqual(["D1", "D2", "callback"]);
    expect(core.getrefcount(h, h.typeObject[S.id]!)).toBe(rc - 1);
    core.decref(h, o);
    expectSound(h);
  });

  it("calls back with the subclass's instance when the referent dies; a subclass's call hook runs", () => {
    const h = newHeap();
    const seen: number[] = [];
    const O = h.defineClass({ name: "O", weakrefable: true });
    const MyRef = h.defineClass({
      name: "MyRef",
      base: core.Kind.Weakref,
      fields: [{ name: "called", kind: "number" }],
      // def __call__(self): self.called = True; return super().__call__()
      call: (self) => {
        core.setField(h, self as number, 0, 1, false);
        return weakrefGet(h, self as number);
      },
    });
    const Sub = h.defineClass({ name: "Sub", base: MyRef });
    const o = core.newInstance(h, O.id);
    const mr = newRef(h, o, (wr) => seen.push(wr), Sub.id);
    expect(core.callObject(h, mr)).toBe(o);
    expect(core.slotNumber(h, core.fieldItemSlot(h, mr, 0))).toBe(1);
    core.decref(h, o);
    expect(seen).toEqual([mr]);
    expect(core.callObject(h, mr)).toBe(core.NONE);
    core.decref(h, mr);
    expectSound(h);
  });

  it("a cycle through a subclass's field, and a dropped subclass, are freed by the collector", () => {
    const h = newHeap();
    const O = h.defineClass({ name: "O", weakrefable: true });
    const MyRef = h.defineClass({ name: "MyRef", base: core.Kind.Weakref, dynamic: true, weakrefable: true });
    const o = core.newInstance(h, O.id);
    const mr = newRef(h, o, null, MyRef.id);
    setAttr(h, mr, "me", mr, true); // mr.me = mr
    const wr = newRef(h, mr); // a weakref to the subclass's instance (its __weakref__)
    core.decref(h, mr);
    core.dropClass(h, MyRef.id);
    // the instance and its dict; the class and its mro (its bases tuple, `(weakref.ref,)`, holds
    // only a static type, so CPython's collector stops tracking it, as it does `(object,)`)
    expect(core.gc.collect(h)).toBe(4);
    expect(weakrefGet(h, wr)).toBe(core.NONE);
    expect(h.typeObject[MyRef.id]).toBe(0);
    expect(() => newRef(h, o, null, MyRef.id)).toThrow(/class MyRef was freed/);
    for (const x of [wr, o]) core.decref(h, x);
    expectSound(h);
  });

  it("refuses newInstance on a ref subclass, a type that is not one, and finalizers", () => {
    const h = newHeap();
    const O = h.defineClass({ name: "O", weakrefable: true });
    const MyRef = h.defineClass({ name: "MyRef", base: core.Kind.Weakref });
    const o = core.newInstance(h, O.id);
    expect(() => core.newInstance(h, MyRef.id)).toThrow(
      /MyRef is a subclass of weakref.ref; make one with weakref.newRef/,
    );
    expect(() => newRef(h, o, null, O.id)).toThrow(/is not a subclass of ref/);
    expect(() => newRef(h, o, null, core.Kind.List)).toThrow(/is not a subclass of ref/);
    expect(() => h.defineClass({ name: "R", base: core.Kind.Weakref, finalize: () => {} })).toThrow(
      /cannot have a finalizer/,
    );
    expect(() => h.defineClass({ name: "T", base: core.Kind.Tuple })).toThrow(/its base must be a class/);
    const L = h.defineClass({ name: "L", base: core.Kind.List });
    expect(() => newRef(h, o, null, L.id)).toThrow(/is not a subclass of ref/);
    core.decref(h, o);
    expectSound(h);
  });
});
