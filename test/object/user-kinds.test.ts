/**
 * User kinds (engine.defineKind): objects laid out as a C extension type is, with reference
 * slots, raw data words and a variable-size part, and the hooks a runtime author may give (clear,
 * hash, eq, call). The collector, the deallocator and the verifier learn a kind's references from
 * its layout; every test runs on a checked heap (general paths) and an unchecked one (the
 * generated fast paths) and verifies the heap.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { checkedAndUnchecked, expectSound } from "../helpers.js";

type H = core.Engine;

/** A pair kind (car, cdr) whose finalizer records its tag data word. */
function pairKind(h: H, order: number[] = []) {
  return h.defineKind({
    name: "Pair",
    refs: ["car", "cdr"],
    data: ["tag"],
    finalize: (o) => order.push(core.getData(h, o, 0)),
  });
}

function pair(h: H, id: number, tag: number): number {
  const o = core.newObject(h, id);
  core.setData(h, o, 0, tag);
  return o;
}

function referents(h: H, o: number): number[] {
  const n = core.traverse(h, o);
  return Array.from(h.edges.subarray(0, n));
}

describe.each(checkedAndUnchecked())("user kinds (%s heap)", (_, newHeap) => {
  it("lays out reference slots in the order given, data words at 0 and items NULL", () => {
    const h = newHeap();
    const Env = h.defineKind({ name: "Env", refs: ["parent", "names"], data: ["a", "b", "c"], items: true });
    expect(Env.fields.map((f) => f.name)).toEqual(["parent", "names"]);
    expect(Env.data).toEqual(["a", "b", "c"]);
    const e = core.newObject(h, Env.id, 3);
    expect(core.objectSize(h, e)).toBe(3);
    expect([0, 1, 2].map((i) => core.getData(h, e, i))).toEqual([0, 0, 0]);
    for (let i = 0; i < 3; i++) {
      const p = core.objectItemSlot(h, e, i);
      expect(core.slotIsRef(h, p) && core.slotRef(h, p)).toBe(0);
    }
    expect(core.slotRef(h, core.fieldItemSlot(h, e, 0))).toBe(0);
    core.decref(h, e);
    expectSound(h);
  });

  it("traverses the reference slots, then the items first to last, then the type", () => {
    const h = newHeap();
    const Env = h.defineKind({ name: "Env", refs: ["b", "a"], items: true });
    const e = core.newObject(h, Env.id, 2);
    const [x, y, z, w] = [core.newList(h), core.newList(h), core.newList(h), core.newList(h)];
    core.setField(h, e, 0, x, true); // "b", declared first: not sorted, unlike a class's fields
    core.setField(h, e, 1, y, true);
    core.objectSetItem(h, e, 0, z, true);
    core.objectSetItem(h, e, 1, w, true);
    core.objectSetItem(h, e, 1, 7, false); // a number replaces w (released) and is not visited
    core.objectSetItem(h, e, 1, w, true);
    const typeObject = referents(h, e).at(-1)!;
    expect(referents(h, e)).toEqual([x, y, z, w, typeObject]);
    expect(core.typeIdOf(h, typeObject)).toBe(core.Kind.Type);
    for (const o of [x, y, z, w]) expect(core.getrefcount(h, o)).toBe(2);
    core.decref(h, e);
    for (const o of [x, y, z, w]) expect(core.getrefcount(h, o)).toBe(1);
    for (const o of [x, y, z, w]) core.decref(h, o);
    expectSound(h);
  });

  it("never reads data words as references, even when one holds an object's address", () => {
    const h = newHeap();
    const P = pairKind(h);
    const a = pair(h, P.id, 0);
    const b = pair(h, P.id, 0);
    core.setData(h, a, 0, b); // a raw word that happens to equal b's address
    core.setField(h, a, 0, a, true); // a → a: garbage once dropped
    expect(referents(h, a)).toEqual([a, referents(h, a)[1]]);
    core.decref(h, a);
    expectSound(h);
    expect(core.gc.collect(h)).toBe(1);
    expect(core.getrefcount(h, b)).toBe(1);
    core.decref(h, b);
    expectSound(h);
  });

  it("frees a cycle of pairs and runs their finalizers as for the same cycle of class instances", () => {
    const orders: number[][] = [];
    for (const useKind of [true, false]) {
      const h = newHeap();
      const order: number[] = [];
      const T = useKind
        ? pairKind(h, order)
        : h.defineClass({
            name: "Pair",
            fields: [
              { name: "car", kind: "ref" },
              { name: "cdr", kind: "ref" },
              { name: "tag", kind: "number" },
            ],
            finalize: (o) => order.push(core.slotNumber(h, core.fieldItemSlot(h, o, 2))),
          });
      const make = (tag: number) => {
        const o = core.newObject(h, T.id);
        if (useKind) core.setData(h, o, 0, tag);
        else core.setField(h, o, 2, tag, false);
        return o;
      };
      // A ring of five with a chord: 0 → 1 → 2 → 3 → 4 → 0, and 1 → 3.
      const objs = [0, 1, 2, 3, 4].map(make);
      for (let i = 0; i < 5; i++) core.setField(h, objs[i]!, 1, objs[(i + 1) % 5]!, true);
      core.setField(h, objs[1]!, 0, objs[3]!, true);
      for (const o of objs) core.decref(h, o);
      expect(order).toEqual([]);
      expect(core.gc.collect(h)).toBe(5);
      expectSound(h);
      orders.push(order);
    }
    expect(orders[0]).toHaveLength(5);
    expect(orders[0]).toEqual(orders[1]);
  });

  it("frees an environment whose items hold a closure that holds the environment", () => {
    const h = newHeap();
    const Env = h.defineKind({ name: "Env", refs: ["parent"], items: true });
    const Closure = h.defineKind({ name: "Closure", refs: ["env"], data: ["code"] });
    const global = core.newObject(h, Env.id, 1);
    const env = core.newObject(h, Env.id, 40); // 8 + 8 + 8 × 41 bytes + GC head: a large block
    core.setField(h, env, 0, global, true);
    const f = core.newObject(h, Closure.id);
    core.setField(h, f, 0, env, true);
    core.objectSetItem(h, env, 39, f, true); // the closure stored in its own environment
    core.decref(h, f);
    core.decref(h, env);
    expectSound(h);
    expect(core.getrefcount(h, global)).toBe(2);
    expect(core.gc.collect(h)).toBe(2);
    expect(core.getrefcount(h, global)).toBe(1);
    core.decref(h, global);
    expectSound(h);
    expect(core.stats(h).large.blocksInUse).toBe(0);
  });

  it("a kind with clear: false is not cleared: a cycle of only such objects survives every collection", () => {
    const h = newHeap();
    const Frozen = h.defineKind({ name: "Frozen", refs: ["other"], clear: false });
    const objectsBefore = core.verify(h).objects;
    const a = core.newObject(h, Frozen.id);
    const b = core.newObject(h, Frozen.id);
    core.setField(h, a, 0, b, true);
    core.setField(h, b, 0, a, true);
    core.decref(h, b);
    core.decref(h, a);
    // CPython counts unreachable objects it could not free, as for a cycle of tuples.
    expect(core.gc.collect(h)).toBe(2);
    expect(core.gc.collect(h)).toBe(2);
    expectSound(h);
    // Broken from outside, the cycle goes by refcounting.
    const n = core.gc.getObjects(h);
    const size = core.listSize(h, n);
    let found = 0;
    for (let i = 0; i < size; i++) {
      const o = core.slotRef(h, core.listItemSlot(h, n, i));
      if (core.typeIdOf(h, o) === Frozen.id) {
        found++;
        if (found === 1) core.clearField(h, o, 0);
      }
    }
    core.decref(h, n);
    expect(found).toBe(2);
    expect(core.gc.collect(h)).toBe(0);
    expectSound(h);
    expect(core.verify(h).objects).toBe(objectsBefore);
  });

  it("a clear hook replaces the default: clearing one slot is enough to free a cycle", () => {
    const h = newHeap();
    const cleared: number[] = [];
    const Node = h.defineKind({
      name: "Node",
      refs: ["next", "label"],
      clear: (o) => {
        cleared.push(o);
        core.clearField(h, o, 0); // drop `next` only
      },
    });
    const label = core.newStr(h, "kept until the node dies");
    const a = core.newObject(h, Node.id);
    const b = core.newObject(h, Node.id);
    core.setField(h, a, 0, b, true);
    core.setField(h, b, 0, a, true);
    core.setField(h, a, 1, label, true);
    core.decref(h, a);
    core.decref(h, b);
    expect(core.gc.collect(h)).toBe(2);
    expect(cleared).toHaveLength(1); // the first clear freed both
    expect(core.getrefcount(h, label)).toBe(1);
    core.decref(h, label);
    expectSound(h);
  });

  it("call runs the kind's call hook; an object without one is not callable", () => {
    const h = newHeap();
    const Fn = h.defineKind({
      name: "function",
      refs: ["closure"],
      data: ["arity"],
      call: (self, ...args) => `called ${core.getData(h, self, 0)} with ${args.join(",")}`,
    });
    const f = core.newObject(h, Fn.id);
    core.setData(h, f, 0, 2);
    expect(core.callObject(h, f, 1, "x")).toBe("called 2 with 1,x");
    const l = core.newList(h);
    expect(() => core.callObject(h, l)).toThrow(core.HeapTypeError);
    expect(() => core.callObject(h, l)).toThrow("'list' object is not callable");
    core.decref(h, l);
    core.decref(h, f);
    expectSound(h);
  });
});

describe.each(checkedAndUnchecked())("user kinds as dict keys: hash and eq hooks (%s heap)", (_, newHeap) => {
  /** A kind whose objects are equal when their data word 0 is, hashed by it. */
  function valueKind(h: H, extra: Partial<core.KindSpec> = {}) {
    return h.defineKind({
      name: "Sym",
      data: ["v"],
      hash: (o) => core.getData(h, o, 0),
      eq: (o, other, isRef) =>
        isRef &&
        core.typeIdOf(h, other) === core.typeIdOf(h, o) &&
        core.getData(h, other, 0) === core.getData(h, o, 0),
      ...extra,
    });
  }
  function sym(h: H, id: number, v: number): number {
    const o = core.newObject(h, id);
    core.setData(h, o, 0, v);
    return o;
  }

  it("equal objects find the same entry; unequal objects with the same hash do not", () => {
    const h = newHeap();
    const S = valueKind(h);
    const d = core.newDict(h);
    const a = sym(h, S.id, 5);
    const b = sym(h, S.id, 5);
    core.dictSetItem(h, d, a, true, 1, false);
    core.dictSetItem(h, d, b, true, 2, false); // replaces the value; the dict keeps a
    expect(core.dictSize(h, d)).toBe(1);
    expect(core.getrefcount(h, a)).toBe(2);
    expect(core.getrefcount(h, b)).toBe(1);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, b, true))).toBe(2);
    expect(core.dictGetSlot(h, d, 5, false)).toBe(0); // the number 5 has the same hash, and is not equal
    expect(core.dictDelItem(h, d, b, true)).toBe(true);
    expect(core.dictSize(h, d)).toBe(0);
    for (const o of [a, b, d]) core.decref(h, o);
    expectSound(h);
  });

  it("a hash of -1 becomes -2, and a hash that is not an integer is a TypeError", () => {
    const h = newHeap();
    let value: unknown = -1;
    const K = h.defineKind({ name: "K", hash: () => value as number });
    const o = core.newObject(h, K.id);
    const d = core.newDict(h);
    core.dictSetItem(h, d, o, true, 1, false);
    expect(core.dictGetSlot(h, d, o, true)).not.toBe(0);
    value = 1.5;
    expect(() => core.dictGetSlot(h, d, o, true)).toThrow("__hash__ method should return an integer");
    for (const x of [o, d]) core.decref(h, x);
    expectSound(h);
  });

  it("a hash hook that throws fails the store and leaves the dict as it was", () => {
    const h = newHeap();
    const K = h.defineKind({
      name: "K",
      hash: () => {
        throw new Error("unhashable today");
      },
    });
    const o = core.newObject(h, K.id);
    const d = core.newDict(h);
    expect(() => core.dictSetItem(h, d, o, true, 1, false)).toThrow("unhashable today");
    expect(core.dictSize(h, d)).toBe(0);
    expect(core.getrefcount(h, o)).toBe(1);
    for (const x of [o, d]) core.decref(h, x);
    expectSound(h);
  });

  it("an eq hook that empties the dict being probed: the lookup starts again and finds nothing", () => {
    const h = newHeap();
    let d = 0;
    let mutate = false;
    const S = valueKind(h, {
      eq: (o, other, isRef) => {
        if (mutate) {
          mutate = false;
          core.dictClear(h, d); // frees the stored key: the lookup holds it meanwhile
        }
        return isRef && core.getData(h, other, 0) === core.getData(h, o, 0);
      },
    });
    d = core.newDict(h);
    const stored = sym(h, S.id, 3);
    core.dictSetItem(h, d, stored, true, 1, false);
    core.decref(h, stored);
    const probe = sym(h, S.id, 3);
    mutate = true;
    expect(core.dictGetSlot(h, d, probe, true)).toBe(0);
    expect(core.dictSize(h, d)).toBe(0);
    expectSound(h);
    // A store whose probe empties the dict adds the key to the emptied dict.
    core.dictSetItem(h, d, probe, true, 1, false);
    const again = sym(h, S.id, 3);
    mutate = true;
    core.dictSetItem(h, d, again, true, 2, false);
    expect(core.dictSize(h, d)).toBe(1);
    expect(core.slotNumber(h, core.dictGetSlot(h, d, probe, true))).toBe(2);
    for (const x of [probe, again, d]) core.decref(h, x);
    expectSound(h);
  });

  it("an eq hook that grows the dict being probed (a resize): the lookup starts again on the new table", () => {
    const h = newHeap();
    let d = 0;
    let grow = false;
    const S = valueKind(h, {
      eq: (o, other, isRef) => {
        if (grow) {
          grow = false;
          for (let i = 100; i < 140; i++) core.dictSetItem(h, d, i, false, i, false);
        }
        return isRef && core.getData(h, other, 0) === core.getData(h, o, 0);
      },
    });
    d = core.newDict(h);
    const stored = sym(h, S.id, 9);
    core.dictSetItem(h, d, stored, true, 1, false);
    const probe = sym(h, S.id, 9);
    grow = true;
    expect(core.slotNumber(h, core.dictGetSlot(h, d, probe, true))).toBe(1);
    expect(core.dictSize(h, d)).toBe(41);
    for (const x of [stored, probe, d]) core.decref(h, x);
    expectSound(h);
  });

  it("tuples of such objects hash and compare through the hooks", () => {
    const h = newHeap();
    const S = valueKind(h);
    const t1 = core.newTuple(h, 2);
    const t2 = core.newTuple(h, 2);
    for (const t of [t1, t2]) {
      const s = sym(h, S.id, 4);
      core.tupleSetItem(h, t, 0, s, true);
      core.tupleSetItem(h, t, 1, 1, false);
      core.decref(h, s);
    }
    const d = core.newDict(h);
    core.dictSetItem(h, d, t1, true, 1, false);
    expect(core.dictGetSlot(h, d, t2, true)).not.toBe(0);
    for (const x of [t1, t2, d]) core.decref(h, x);
    expectSound(h);
  });
});

describe("user kinds: bad specs and bad calls", () => {
  it("rejects a repeated name, a hook that is not a function, and items on a fixed-size kind", () => {
    const h = new core.Engine({ checked: true });
    expect(() => h.defineKind({ name: "K", refs: ["a"], data: ["a"] })).toThrow("'a' is declared twice");
    expect(() => h.defineKind({ name: "K", hash: 3 as unknown as () => number })).toThrow(
      "'hash' must be a function",
    );
    expect(() => h.defineKind({ name: "" })).toThrow(core.HeapValueError);
    const K = h.defineKind({ name: "K", refs: ["a"] });
    expect(() => core.newObject(h, K.id, 2)).toThrow("K has no variable-size part");
    const V = h.defineKind({ name: "V", items: true });
    expect(() => core.newObject(h, V.id, -1)).toThrow(core.HeapValueError);
    const v = core.newObject(h, V.id, 2);
    expect(() => core.objectSetItem(h, v, 2, 0, false)).toThrow(core.HeapValueError);
    expect(() => core.getData(h, v, 0)).toThrow("V objects have no data words");
    expect(core.slotIsRef(h, core.objectItemSlot(h, v, -1))).toBe(true);
    core.decref(h, v);
    expectSound(h);
  });
});

describe("callable classes and proxies (CPython's CallableProxyType)", () => {
  it("test_callable_proxy: a proxy to a callable object is callable; the call reaches the referent", () => {
    const h = new core.Engine({ checked: true });
    const bar = core.newStr(h, "bar");
    // class Callable: bar = None; def __call__(self, x): self.bar = x
    const Callable = h.defineClass({
      name: "Callable",
      dynamic: true,
      weakrefable: true,
      call: (self, ...args) => {
        if (args.length !== 1)
          throw new core.HeapTypeError(
            `__call__() takes 2 positional arguments but ${args.length + 1} were given`,
          );
        const s = core.newStr(h, args[0] as string);
        core.setAttr(h, self, bar, s, true);
        core.decref(h, s);
      },
    });
    const o = core.newInstance(h, Callable.id);
    const ref1 = core.weakref.newProxy(h, o);
    const barOf = () =>
      core.strValue(h, core.slotRef(h, core.getAttrSlot(h, core.weakref.proxyReferent(h, ref1), bar)));
    core.callObject(h, ref1, "twinkies!");
    expect(barOf()).toBe("twinkies!");
    core.callObject(h, ref1, "Splat.");
    expect(barOf()).toBe("Splat.");
    expect(() => core.callObject(h, ref1)).toThrow(core.HeapTypeError); // too few arguments
    expect(() => core.callObject(h, ref1, 1, 2, 3)).toThrow(core.HeapTypeError); // too many
    // A proxy to something that cannot be called is not callable; a dead referent is a ReferenceError.
    const P = h.defineClass({ name: "P", weakrefable: true });
    const p = core.newInstance(h, P.id);
    const proxyP = core.weakref.newProxy(h, p);
    expect(() => core.callObject(h, proxyP)).toThrow("'weakref.ProxyType' object is not callable");
    core.decref(h, o);
    expect(() => core.callObject(h, ref1, "x")).toThrow(core.HeapReferenceError);
    for (const x of [ref1, proxyP, p, bar]) core.decref(h, x);
    expectSound(h);
  });
});
