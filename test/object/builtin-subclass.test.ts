/**
 * Subclasses of list and dict (defineClass with `base: Kind.List` or `Kind.Dict`, made by
 * newInstance): objects of the built-in kind with the class's part after the built-in's words.
 * Each expectation on order or tracking is what python3 (3.11) prints for the same program,
 * quoted beside it. (Subclasses of weakref.ref: test/weakref/ref-subclass.test.ts.)
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { DictHandle, Heap, ListHandle, WeakRefHandle } from "../../src/index.js";
import { checkedAndUnchecked, expectSound } from "../helpers.js";

function referents(h: core.Engine, o: number): number[] {
  const n = core.traverse(h, o);
  return Array.from(h.edges.subarray(0, n));
}

function setAttr(h: core.Engine, o: number, name: string, v: number): void {
  const s = core.newStr(h, name);
  core.setAttr(h, o, s, v, true);
  core.decref(h, s);
}

/** A class D whose finalizer logs `del N` (its number field). */
function loggingClass(h: core.Engine, log: string[]) {
  const D = h.defineClass({
    name: "D",
    fields: [{ name: "n", kind: "number" }],
    finalize: (x) => log.push(`del ${core.slotNumber(h, core.fieldItemSlot(h, x, 0))}`),
  });
  return (n: number): number => {
    const x = core.newInstance(h, D.id);
    core.setField(h, x, 0, n, false);
    return x;
  };
}

/** Calls `store(x)` for a new reference x, then drops it (the container keeps its own). */
function storeNew(h: core.Engine, x: number, store: (x: number) => void): number {
  store(x);
  core.decref(h, x);
  return x;
}

describe.each(checkedAndUnchecked())("subclasses of list and dict (%s heap)", (_, newHeap) => {
  it("a list subclass's instance is a list with its class's part: get_referents is [__dict__, L, items reversed]", () => {
    // class L(list): pass; l = L(); l.append(a); l.append(b); l.x = c
    // gc.get_referents(l) == [l.__dict__, L, b, a]
    const h = newHeap();
    const A = h.defineClass({ name: "A" });
    const L = h.defineClass({ name: "L", base: core.Kind.List, dynamic: true, weakrefable: true });
    expect(L.kind).toBe(core.Kind.List);
    expect(core.isSubclass(h, L.id, core.Kind.List)).toBe(true);
    const l = core.newInstance(h, L.id);
    expect(core.gc.isTracked(h, l)).toBe(true);
    const [a, b] = [0, 1].map(() =>
      storeNew(h, core.newInstance(h, A.id), (x) => core.listAppend(h, l, x, true)),
    );
    const c = storeNew(h, core.newInstance(h, A.id), (x) => setAttr(h, l, "x", x));
    expect(core.listSize(h, l)).toBe(2);
    const [d, t, ...items] = referents(h, l);
    expect(h.typeKind[core.typeIdOf(h, d!)]).toBe(core.Kind.Dict);
    expect(t).toBe(h.typeObject[L.id]);
    expect(items).toEqual([b, a]);
    const got = core.loadAttr(h, l, "x");
    expect(got).toBe(c);
    core.decref(h, got);
    core.decref(h, l);
    expectSound(h);
  });

  it("dealloc releases the subclass's slots first, then the items last to first", () => {
    // class L(list): __slots__ = ("a",); l = L([D(1), D(2)]); l.a = D(0); del l
    // prints: del 0; del 2; del 1
    const h = newHeap();
    const log: string[] = [];
    const make = loggingClass(h, log);
    const L = h.defineClass({ name: "L", base: core.Kind.List, fields: [{ name: "a", kind: "ref" }] });
    const l = core.newInstance(h, L.id);
    for (const n of [1, 2]) storeNew(h, make(n), (x) => core.listAppend(h, l, x, true));
    storeNew(h, make(0), (x) => core.setField(h, l, 0, x, true));
    const rc = core.getrefcount(h, h.typeObject[L.id]!);
    core.decref(h, l);
    expect(log).toEqual(["del 0", "del 2", "del 1"]);
    expect(core.getrefcount(h, h.typeObject[L.id]!)).toBe(rc - 1);
    expectSound(h);
  });

  it("a dict subclass's instance is tracked from creation and stays tracked; its attributes die before its entries", () => {
    // class E(dict): pass; e = E(); e['a'] = 1; x = {}; x['a'] = 1
    // gc.is_tracked(e), gc.is_tracked(x) == True, False; after gc.collect(), e is still tracked
    const h = newHeap();
    const log: string[] = [];
    const make = loggingClass(h, log);
    const E = h.defineClass({ name: "E", base: core.Kind.Dict, dynamic: true });
    const e = core.newInstance(h, E.id);
    const x = core.newDict(h);
    for (const d of [e, x]) core.dictSetItem(h, d, core.newStr(h, "a"), true, 1, false);
    expect([core.gc.isTracked(h, e), core.gc.isTracked(h, x)]).toEqual([true, false]);
    core.gc.collect(h);
    expect(core.gc.isTracked(h, e)).toBe(true);
    // m = E(); m['k'] = D(3); m.x = D(4); del m  — prints: del 4; del 3
    const m = core.newInstance(h, E.id);
    storeNew(h, make(3), (v) => core.dictSetItem(h, m, core.newStr(h, "k"), true, v, true));
    storeNew(h, make(4), (v) => setAttr(h, m, "x", v));
    core.decref(h, m);
    expect(log).toEqual(["del 4", "del 3"]);
    for (const d of [e, x]) core.decref(h, d);
    expectSound(h);
  });

  it("cycles through a subclass's items, fields or attributes are collected, and so is a dropped subclass", () => {
    const h = newHeap();
    core.gc.disable(h);
    const L = h.defineClass({ name: "L", base: core.Kind.List, fields: [{ name: "me", kind: "ref" }] });
    const D = h.defineClass({ name: "D", base: core.Kind.Dict, dynamic: true, weakrefable: true });
    const l = core.newInstance(h, L.id);
    core.listAppend(h, l, l, true); // l.append(l)
    const l2 = core.newInstance(h, L.id);
    core.setField(h, l2, 0, l2, true); // l2.me = l2
    const d = core.newInstance(h, D.id);
    setAttr(h, d, "me", d); // d.me = d (its attribute dict, then d)
    const wr = core.weakref.newRef(h, d);
    for (const o of [l, l2, d]) core.decref(h, o);
    core.dropClass(h, L.id);
    // l, l2, the type object of L and its mro; d and its attribute dict
    expect(core.gc.collect(h)).toBe(6);
    expect(core.weakref.weakrefGet(h, wr)).toBe(core.NONE);
    expect(h.typeObject[L.id]).toBe(0);
    expect(() => core.newInstance(h, L.id)).toThrow(/class L was freed/);
    core.decref(h, wr);
    expectSound(h);
  });

  it("frees a chain of 20000 list-subclass instances, each holding the next, without deep recursion", () => {
    const h = newHeap();
    const L = h.defineClass({ name: "L", base: core.Kind.List });
    let head = core.newInstance(h, L.id);
    for (let i = 0; i < 20000; i++) {
      const next = core.newInstance(h, L.id);
      core.listAppend(h, next, head, true);
      core.decref(h, head);
      head = next;
    }
    core.decref(h, head);
    const all = core.gc.getObjects(h);
    expect(core.listSize(h, all)).toBeLessThan(100);
    core.decref(h, all);
    expectSound(h);
  });
});

describe("the Heap API and subclasses of built-in types", () => {
  it("wraps an instance with its kind's handle class (ListHandle, DictHandle, WeakRefHandle)", () => {
    const heap = new Heap({ checked: true });
    const h = heap.engine;
    const L = h.defineClass({ name: "L", base: core.Kind.List });
    const D = h.defineClass({ name: "D", base: core.Kind.Dict });
    const R = h.defineClass({ name: "R", base: core.Kind.Weakref });
    const W = h.defineClass({ name: "W", weakrefable: true });
    const w = core.newInstance(h, W.id);
    const [l, d, r] = [
      core.newInstance(h, L.id),
      core.newInstance(h, D.id),
      core.weakref.newRef(h, w, null, R.id),
    ];
    const lh = heap.wrap(l);
    expect(lh).toBeInstanceOf(ListHandle);
    (lh as ListHandle<number>).append(7);
    expect((lh as ListHandle<number>).length).toBe(1);
    const dh = heap.wrap(d);
    expect(dh).toBeInstanceOf(DictHandle);
    const rh = heap.wrap(r);
    expect(rh).toBeInstanceOf(WeakRefHandle);
    expect(String(rh)).toMatch(/^<weakref at 0x[0-9a-f]+; to 'W' at 0x[0-9a-f]+>$/);
    for (const x of [lh, dh, rh]) x.dispose();
    for (const x of [l, d, r, w]) core.decref(h, x);
    expect(heap.unreleasedHandles()).toEqual([]);
    heap.close();
  });
});
