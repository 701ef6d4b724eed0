/**
 * Conformance with CPython 3.11's test_weakref.py, part weak-b: MappingTestCase (the weak
 * dictionaries), WeakValueDictionaryTestCase and WeakKeyDictionaryTestCase (mapping_tests'
 * BasicTestMappingProtocol) and FinalizeTestCase, over the Heap API. Python's `d[k]` is `get(k)`
 * (undefined where CPython raises KeyError), `del d[k]` is `delete(k)` (false where CPython raises
 * KeyError) or `pop(k)` (which raises CPython's KeyError), `len(d)` is `size`, and a Python
 * temporary that dies at once is a handle disposed at once.
 */
import { describe, expect, it } from "vitest";
import { decref, getData, newObject, setData } from "../../src/core.js";
import {
  type Finalize,
  Handle,
  type Heap,
  HeapTypeError,
  HeapValueError,
  type Value,
} from "../../src/index.js";
import { heap } from "../api/api-helpers.js";
import { python } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";

/** Verifies the heap, then closes it. */
function done(h: Heap): void {
  expectSound(h.engine);
  h.close();
}

/** The classes test_weakref uses: C, Object (with its `arg`) and RefCycle (`self.cycle = self`). */
function classes(h: Heap) {
  const C = h.defineClass("C", { weakrefable: true });
  const Obj = h.defineClass("Object", { fields: { arg: "any" }, weakrefable: true });
  const RefCycle = h.defineClass("RefCycle", { fields: { cycle: "self" }, weakrefable: true });
  return { C, Obj, RefCycle };
}

/** Python's `a is b` for the values the tests compare: identity for objects, value otherwise. */
function same(a: Value | undefined, b: Value | undefined): boolean {
  if (a instanceof Handle) return a.is(b);
  if (b instanceof Handle) return false;
  return a === b;
}

/** The two lists hold the same values (as Python's set() comparisons, by identity for objects). */
function sameMembers(xs: readonly Value[], ys: readonly Value[]): boolean {
  if (xs.length !== ys.length) return false;
  const rest = [...ys];
  for (const x of xs) {
    const i = rest.findIndex((y) => same(x, y));
    if (i < 0) return false;
    rest.splice(i, 1);
  }
  return true;
}

/** The two lists hold the same [key, value] pairs. */
function samePairs(
  xs: readonly (readonly [Value, Value])[],
  ys: readonly (readonly [Value, Value])[],
): boolean {
  if (xs.length !== ys.length) return false;
  const rest = [...ys];
  for (const [k, v] of xs) {
    const i = rest.findIndex(([k2, v2]) => same(k, k2) && same(v, v2));
    if (i < 0) return false;
    rest.splice(i, 1);
  }
  return true;
}

const KEY_ERROR = /^KeyError: /;

/** What the tests use of a weak dictionary: WeakValueDictionary and WeakKeyDictionary both have it. */
interface Mapping {
  readonly size: number;
  get(key: Value, defaultValue?: Value): Value | undefined;
  set(key: Value, value: Value): unknown;
  delete(key: Value): boolean;
  has(key: Value): boolean;
  pop(key: Value, ...defaultValue: [] | [Value]): Value;
  popItem(): [Value, Value];
  setDefault(key: Value, value: Value): Value;
  update(entries: Iterable<readonly [Value, Value]> | Readonly<Record<string, Value>>): void;
  keys(): Generator<Value, void, undefined>;
  values(): Generator<Value, void, undefined>;
  items(): Generator<[Value, Value], void, undefined>;
  copy(): Mapping;
  clear(): void;
  equals(other: Iterable<readonly [Value, Value]>): boolean;
  dispose(): void;
  [Symbol.iterator](): Iterator<[Value, Value]>;
}

/** An Object's `arg`, read through a handle typed as any object. */
function argOf(o: Handle): Value {
  return (o as unknown as { arg: Value }).arg;
}

// ---------------------------------------------------------------------------------------------
// FinalizeTestCase
// ---------------------------------------------------------------------------------------------

/** A macrotask boundary: V8 keeps what WeakRef.deref() returned alive until the current job ends. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function v8gc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  expect(gc, "vitest runs the workers with --expose-gc").toBeTypeOf("function");
  gc!();
}

describe("FinalizeTestCase", () => {
  it("test_finalize: f() runs func once and returns its result, peek/detach/alive, the object's death runs it", () => {
    const h = heap();
    h.scope(() => {
      const A = h.defineClass("A", { weakrefable: true });
      const add = (x: number, y: number, z: number): number => {
        res.push(x + y + z);
        return x + y + z;
      };
      const a = A.new();

      let res: number[] = [];
      let f: Finalize<number, [number, number, number]> = h.weakref.finalize(a, add, 67, 43, 89);
      expect(f.alive).toBe(true);
      const p = f.peek()!;
      expect([p.obj.is(a), p.func === add, p.args]).toEqual([true, true, [67, 43, 89]]);
      expect(f.call()).toBe(199);
      expect(f.call()).toBeUndefined();
      expect(f.call()).toBeUndefined();
      expect(f.peek()).toBeNull();
      expect(f.detach()).toBeNull();
      expect(f.alive).toBe(false);
      expect(res).toEqual([199]);

      res = [];
      f = h.weakref.finalize(a, add, 67, 43, 89);
      const q = f.peek()!;
      expect([q.obj.is(a), q.func === add, q.args]).toEqual([true, true, [67, 43, 89]]);
      const d = f.detach()!;
      expect([d.obj.is(a), d.func === add, d.args]).toEqual([true, true, [67, 43, 89]]);
      expect(f.call()).toBeUndefined();
      expect(f.call()).toBeUndefined();
      expect(f.peek()).toBeNull();
      expect(f.detach()).toBeNull();
      expect(f.alive).toBe(false);
      expect(res).toEqual([]);

      res = [];
      f = h.weakref.finalize(a, add, 67, 43, 89);
      for (const x of [a, p.obj, q.obj, d.obj]) x.dispose(); // del a
      expect(f.call()).toBeUndefined();
      expect(f.call()).toBeUndefined();
      expect(f.peek()).toBeNull();
      expect(f.detach()).toBeNull();
      expect(f.alive).toBe(false);
      expect(res).toEqual([199]);
    });
    done(h);
  });

  it("test_order: finalizers kept only by the registry run newest first at the death, detached and called ones do not", () => {
    const h = heap();
    const A = h.defineClass("A", { weakrefable: true });
    const a = A.new();
    const res: string[] = [];
    const append = (s: string): void => void res.push(s);

    let f1: Finalize<void, [string]> | null = h.weakref.finalize(a, append, "f1");
    const f2 = h.weakref.finalize(a, append, "f2");
    const f3 = h.weakref.finalize(a, append, "f3");
    let f4: Finalize<void, [string]> | null = h.weakref.finalize(a, append, "f4");
    const f5 = h.weakref.finalize(a, append, "f5");
    // make sure finalizers can keep themselves alive
    f1 = null;
    f4 = null;
    expect([f1, f4]).toEqual([null, null]);

    expect(f2.alive).toBe(true);
    expect(f3.alive).toBe(true);
    expect(f5.alive).toBe(true);

    const detached = f5.detach();
    expect(detached).toBeTruthy();
    detached!.obj.dispose();
    expect(f5.alive).toBe(false);

    f5.call(); // nothing because previously unregistered
    res.push("A");
    f3.call(); // => res.append('f3')
    expect(f3.alive).toBe(false);
    res.push("B");
    f3.call(); // nothing because previously called
    res.push("C");
    a.dispose(); // => 'f4', 'f2', 'f1'
    expect(f2.alive).toBe(false);
    res.push("D");
    f2.call(); // nothing because previously called by gc

    expect(res).toEqual(["A", "f3", "B", "C", "f4", "f2", "f1", "D"]);
    done(h);
  });

  it("test_all_freed: after the object's death the finalizer and its function are freed (JS WeakRefs and V8's gc)", async () => {
    const h = heap();
    const A = h.defineClass("A", { weakrefable: true });
    const a = A.new();
    const res: number[] = [];
    // del callback, f: only the WeakRefs are kept.
    const [wrCallback, wrF] = (() => {
      const callback = (): void => void res.push(123);
      const f = h.weakref.finalize(a, callback);
      return [new WeakRef(callback), new WeakRef(f)] as const;
    })();
    await tick();
    v8gc();
    expect(wrCallback.deref()).toBeDefined();
    expect(wrF.deref()).toBeDefined();

    a.dispose(); // del a
    await tick();
    v8gc();
    expect(wrCallback.deref()).toBeUndefined();
    expect(wrF.deref()).toBeUndefined();
    expect(res).toEqual([123]);
    done(h);
  });

  it("test_atexit: heap.shutdown() runs the atexit finalizers newest first, one made meanwhile next, and reports an exception", () => {
    const h = heap();
    const A = h.defineClass("A", { weakrefable: true });
    const out: string[] = [];
    const reports: string[] = [];
    h.engine.unraisableHook = (err) => reports.push(String(err));
    const print = (...xs: string[]): void => void out.push(xs.join(" "));
    const globalVar = "foobar";
    const cls = A.new(); // cls should stay alive till atexit callbacks run
    const error = (): void => {
      // Create an atexit finalizer from inside a finalizer called at exit: it runs next.
      h.weakref.finalize(cls, print, "g1");
      print("f3 error");
      throw new Error("ZeroDivisionError: division by zero");
    };
    const f1 = h.weakref.finalize(cls, print, "f1", globalVar);
    const f2 = h.weakref.finalize(cls, print, "f2", globalVar);
    const f3 = h.weakref.finalize(cls, error);
    const f4 = h.weakref.finalize(cls, print, "f4", globalVar);
    expect(f1.atExit).toBe(true);
    f2.atExit = false;
    expect(f3.atExit).toBe(true);
    expect(f4.atExit).toBe(true);

    h.shutdown(); // interpreter exit
    expect(out).toEqual(["f4 foobar", "f3 error", "g1", "f1 foobar"]);
    expect(reports.join("\n")).toContain("ZeroDivisionError");
    cls.dispose();
    done(h);
  });
});

// ---------------------------------------------------------------------------------------------
// MappingTestCase
// ---------------------------------------------------------------------------------------------

const COUNT = 10;

/** A Python snippet's check_len_cycles, printing n1 and n2. */
const LEN_CYCLES_PY = [
  "import gc, weakref",
  "class RefCycle:",
  "    def __init__(self): self.cycle = self",
  "def check(dict_type, cons):",
  "    items = [RefCycle() for i in range(20)]",
  "    dct = dict_type(cons(o) for o in items)",
  "    it = dct.items()",
  "    next(it)",
  "    del items; gc.collect(); n1 = len(dct)",
  "    del it; gc.collect(); n2 = len(dct)",
  "    print(n1, n2)",
].join("\n");

describe("MappingTestCase", () => {
  /** make_weak_valued_dict: Object(i) under the key i, for i < COUNT. */
  function makeWeakValuedDict(h: Heap) {
    const { Obj } = classes(h);
    const d = h.weakref.WeakValueDictionary();
    const objects = Array.from({ length: COUNT }, (_, i) => Obj.new({ arg: i }));
    for (const o of objects) d.set(o.arg as number, o);
    return { d, objects, Obj };
  }

  /** make_weak_keyed_dict: the key Object(i) maps to i, for i < COUNT. */
  function makeWeakKeyedDict(h: Heap) {
    const { Obj } = classes(h);
    const d = h.weakref.WeakKeyDictionary<Handle>();
    const objects = Array.from({ length: COUNT }, (_, i) => Obj.new({ arg: i }));
    for (const o of objects) d.set(o, o.arg);
    return { d, objects, Obj };
  }

  /** check_len_cycles: 20 self-cycles; a suspended items() keeps at most one; the collector frees the rest. */
  function lenCycles(keyed: boolean): [number, number] {
    const h = heap();
    const { RefCycle } = classes(h);
    const items = Array.from({ length: 20 }, () => {
      const o = RefCycle.new();
      o.cycle = o;
      return o;
    });
    const dct: Mapping = keyed
      ? (h.weakref.WeakKeyDictionary(items.map((o) => [o, 1] as const)) as unknown as Mapping)
      : (h.weakref.WeakValueDictionary(items.map((o) => [1, o] as const)) as unknown as Mapping);
    const it = dct.items(); // Keep an iterator alive
    it.next();
    for (const o of items) o.dispose(); // del items
    h.gc.collect();
    const n1 = dct.size;
    it.return(); // del it
    h.gc.collect();
    const n2 = dct.size;
    // one item may be kept alive inside the iterator
    expect([0, 1]).toContain(n1);
    expect(n2).toBe(0);
    dct.dispose();
    done(h);
    return [n1, n2];
  }

  it("test_weak_keyed_len_cycles: a suspended items() keeps at most one dead-cycle key counted, none after it ends", async () => {
    const [n1, n2] = lenCycles(true);
    expect(`${n1} ${n2}`).toBe(
      await python(`${LEN_CYCLES_PY}\ncheck(weakref.WeakKeyDictionary, lambda k: (k, 1))`),
    );
  });

  it("test_weak_valued_len_cycles: a suspended items() keeps at most one dead-cycle value counted, none after it ends", async () => {
    const [n1, n2] = lenCycles(false);
    expect(`${n1} ${n2}`).toBe(
      await python(`${LEN_CYCLES_PY}\ncheck(weakref.WeakValueDictionary, lambda k: (1, k))`),
    );
  });

  /** check_len_race: for every threshold 1..99, len() during and after an iteration stays in bounds. */
  function lenRace(keyed: boolean): void {
    const h = heap();
    const { RefCycle } = classes(h);
    const N = 20;
    for (let th = 1; th < 100; th++) {
      h.gc.collect(0);
      h.gc.setThreshold(th, th, th);
      const items = Array.from({ length: N }, () => {
        const o = RefCycle.new();
        o.cycle = o;
        return o;
      });
      const dct: Mapping = keyed
        ? (h.weakref.WeakKeyDictionary(items.map((o) => [o, 1] as const)) as unknown as Mapping)
        : (h.weakref.WeakValueDictionary(items.map((o) => [1, o] as const)) as unknown as Mapping);
      for (const o of items) o.dispose(); // del items: all collected at the next collection
      const it = dct.items();
      it.next();
      const n1 = dct.size;
      it.return(); // del it
      const n2 = dct.size;
      expect(n1).toBeGreaterThanOrEqual(0);
      expect(n1).toBeLessThanOrEqual(N);
      expect(n2).toBeGreaterThanOrEqual(0);
      expect(n2).toBeLessThanOrEqual(n1);
      dct.dispose();
    }
    h.gc.setThreshold(700, 10, 10);
    h.gc.collect();
    done(h);
  }

  it("test_weak_keyed_len_race: len() before and after an iteration stays within bounds at every threshold 1..99", () => {
    lenRace(true);
  });

  it("test_weak_valued_len_race: len() before and after an iteration stays within bounds at every threshold 1..99", () => {
    lenRace(false);
  });

  it("test_weak_values: one weakref per value, d[k] is the value, copy() has the same items, deaths shrink len", () => {
    const h = heap();
    h.scope(() => {
      const { d, objects } = makeWeakValuedDict(h);
      for (const o of objects) {
        expect(h.weakref.getWeakRefCount(o)).toBe(1);
        const got = d.get(o.arg as number); // a new reference, dropped at once as Python's temporary
        expect(same(o, got)).toBe(true);
        got?.dispose();
      }
      const items1 = [...d.items()];
      const copy = d.copy();
      const items2 = [...copy.items()];
      expect(samePairs(items1, items2)).toBe(true);
      expect(d.size).toBe(COUNT);
      objects.shift()!.dispose(); // del objects[0]
      expect(d.size).toBe(COUNT - 1);
      for (const o of objects) o.dispose(); // del objects, o
      expect(d.size).toBe(0);
      // regression on SF bug #447152:
      const { C } = classes(h);
      const d2 = h.weakref.WeakValueDictionary();
      expect(d2.get(1)).toBeUndefined(); // KeyError
      const c = C.new();
      d2.set(2, c);
      c.dispose(); // dict[2] = C(): the temporary dies at once
      expect(d2.get(2)).toBeUndefined(); // KeyError
      for (const x of [d, copy, d2]) x.dispose();
    });
    done(h);
  });

  it("test_weak_keys: one weakref per key, d[k] is its value, copy() has the same items, deaths shrink len, in", () => {
    const h = heap();
    h.scope(() => {
      const { d, objects, Obj } = makeWeakKeyedDict(h);
      for (const o of objects) {
        expect(h.weakref.getWeakRefCount(o)).toBe(1);
        expect(d.get(o)).toBe(o.arg);
      }
      const copy = d.copy();
      expect(samePairs([...d.items()], [...copy.items()])).toBe(true);
      expect(d.size).toBe(COUNT);
      objects.shift()!.dispose(); // del objects[0]
      expect(d.size).toBe(COUNT - 1);
      for (const o of objects) o.dispose(); // del objects, o
      expect(d.size).toBe(0);
      const o = Obj.new({ arg: 42 });
      d.set(o, "What is the meaning of the universe?");
      expect(d.has(o)).toBe(true);
      expect(d.has(34)).toBe(false);
      copy.dispose();
      d.dispose();
    });
    done(h);
  });

  /** check_iters: items(), keys() (Python's iter(d) too) and values() each touch every entry once. */
  function checkIters(d: Mapping): void {
    const items = [...d.items()];
    expect(samePairs([...d.items()], items)).toBe(true);
    const keys = [...d.keys()];
    expect(sameMembers([...d.keys()], keys)).toBe(true);
    expect(
      sameMembers(
        items.map(([k]) => k),
        keys,
      ),
    ).toBe(true);
    const values = [...d.values()];
    expect(sameMembers([...d.values()], values)).toBe(true);
    expect(
      sameMembers(
        items.map(([, v]) => v),
        values,
      ),
    ).toBe(true);
    expect(items.length).toBe(d.size);
  }

  it("test_weak_keyed_iters: items/keys/values touch every entry, keyrefs() gives one live ref per key", () => {
    const h = heap();
    h.scope(() => {
      const { d, objects } = makeWeakKeyedDict(h);
      checkIters(d as unknown as Mapping);
      for (let round = 0; round < 2; round++) {
        // keyrefs(), then iterkeyrefs() (refheap has the list form only)
        const refs = d.keyRefs();
        expect(refs.length).toBe(objects.length);
        const objects2 = [...objects];
        for (const wr of refs) {
          const ob = wr.deref()!;
          expect(d.has(ob)).toBe(true);
          expect(d.get(ob)).toBe(argOf(ob));
          const i = objects2.findIndex((o) => o.is(ob));
          expect(i).toBeGreaterThanOrEqual(0);
          objects2.splice(i, 1);
        }
        expect(objects2.length).toBe(0);
      }
      d.dispose();
    });
    done(h);
  });

  it("test_weak_valued_iters: items/keys/values touch every entry, valuerefs() and itervaluerefs() give one live ref per value", () => {
    const h = heap();
    h.scope(() => {
      const { d, objects } = makeWeakValuedDict(h);
      checkIters(d as unknown as Mapping);
      for (const refs of [d.valueRefs(), [...d.iterValueRefs()]]) {
        expect(refs.length).toBe(objects.length);
        const objects2 = [...objects];
        for (const wr of refs) {
          const ob = wr.deref()!;
          const got = d.get(argOf(ob) as number)!;
          expect(ob.is(got)).toBe(true);
          expect(argOf(got)).toBe(argOf(ob));
          const i = objects2.findIndex((o) => o.is(ob));
          expect(i).toBeGreaterThanOrEqual(0);
          objects2.splice(i, 1);
        }
        expect(objects2.length).toBe(0);
      }
      d.dispose();
    });
    done(h);
  });

  /**
   * check_weak_destroy_while_iterating: one object dies after the first step; the rest of the
   * iteration sees the others, and once the iterator is gone the removal is committed.
   */
  function checkDestroyWhileIterating(
    h: Heap,
    size: () => number,
    iterate: () => Iterator<unknown>,
    objects: Handle[],
  ): void {
    const n = size();
    const it = iterate();
    it.next(); // Trigger internal iteration
    objects.pop()!.dispose(); // Destroy an object
    h.gc.collect(); // just in case
    let rest = 0;
    for (let r = it.next(); !r.done; r = it.next()) rest++;
    // We have removed either the first consumed object, or another one
    expect([objects.length, objects.length - 1]).toContain(rest);
    it.return?.(); // del it
    expect(size()).toBe(n - 1); // The removal has been committed
  }

  it("test_weak_keys_destroy_while_iterating: keys die during keys/items/values/keyrefs iterations, mutations and len() meanwhile", () => {
    const h = heap();
    h.scope(() => {
      let { d, objects, Obj } = makeWeakKeyedDict(h);
      const size = () => d.size;
      checkDestroyWhileIterating(h, size, () => d.keys(), objects);
      checkDestroyWhileIterating(h, size, () => d.items(), objects);
      checkDestroyWhileIterating(h, size, () => d.values(), objects);
      checkDestroyWhileIterating(h, size, () => d.keyRefs()[Symbol.iterator](), objects);
      d.dispose();

      ({ d, objects, Obj } = makeWeakKeyedDict(h));
      /** testcontext: an iteration runs while a key dies; yields a new key/value pair like the dead one. */
      const testcontext = (body: (k: Handle, v: Value) => void, pending = true): void => {
        const it = d.items();
        try {
          it.next();
          // Schedule a key/value for removal and recreate it
          const o = objects.pop()!;
          const v = o.arg;
          o.dispose();
          h.gc.collect(); // just in case
          if (pending) expect(d.pendingRemovals.length).toBeGreaterThan(0); // the removal waits for the iteration
          body(Obj.new({ arg: v }), v);
        } finally {
          it.return(); // should commit all removals
          h.gc.collect();
        }
      };
      // check_weak_destroy_and_mutate_while_iterating
      let k: Handle | undefined;
      let v: Value | undefined;
      testcontext((k1) => expect(d.has(k1)).toBe(false));
      testcontext((k1) => {
        k = k1;
        expect(d.delete(k1)).toBe(false); // del dict[k]: KeyError
      });
      expect(d.has(k!)).toBe(false);
      testcontext((k1) => {
        k = k1;
        expect(() => d.pop(k1)).toThrow(KEY_ERROR);
      });
      expect(d.has(k!)).toBe(false);
      testcontext((k1, v1) => {
        k = k1;
        v = v1;
        d.set(k1, v1);
      });
      expect(d.get(k!)).toBe(v);
      const ddict = d.copy();
      testcontext(() => d.update(ddict));
      expect(samePairs([...d.items()], [...ddict.items()])).toBe(true);
      testcontext(() => d.clear());
      expect(d.size).toBe(0);
      ddict.dispose();
      d.dispose();

      // Issue #21173: len() fragile when keys are both implicitly and explicitly removed.
      ({ d, objects, Obj } = makeWeakKeyedDict(h));
      const firstKey = (): Handle => {
        const g = d.keys();
        const first = g.next().value!;
        g.return(); // the temporary generator is dropped at once
        return first;
      };
      const o = Obj.new({ arg: 123456 }).own();
      let n = 0;
      testcontext(() => {
        n = d.size;
        d.pop(firstKey()); // Since underlying dict is ordered, first item is popped
        expect(d.size).toBe(n - 1);
        d.set(o, o);
        expect(d.size).toBe(n);
      });
      // last item in objects is removed from dict in context shutdown
      testcontext(() => {
        expect(d.size).toBe(n - 1);
        d.popItem(); // Then, (o, o) is popped
        expect(d.size).toBe(n - 2);
      });
      testcontext(() => {
        expect(d.size).toBe(n - 3);
        d.delete(firstKey());
        expect(d.size).toBe(n - 4);
      });
      testcontext(() => {
        expect(d.size).toBe(n - 5);
        d.popItem();
        expect(d.size).toBe(n - 6);
      });
      // the last popitem() took objects[-1]'s entry: this context's death finds nothing to remove
      testcontext(() => {
        d.clear();
        expect(d.size).toBe(0);
      }, false);
      expect(d.size).toBe(0);
      o.dispose();
      d.dispose();
    });
    done(h);
  });

  it("test_weak_values_destroy_while_iterating: values die during keys/items/values/valuerefs iterations, mutations and len() meanwhile", () => {
    const h = heap();
    h.scope(() => {
      let { d, objects, Obj } = makeWeakValuedDict(h);
      const size = () => d.size;
      checkDestroyWhileIterating(h, size, () => d.keys(), objects);
      checkDestroyWhileIterating(h, size, () => d.items(), objects);
      checkDestroyWhileIterating(h, size, () => d.values(), objects);
      checkDestroyWhileIterating(h, size, () => d.iterValueRefs(), objects);
      checkDestroyWhileIterating(h, size, () => d.valueRefs()[Symbol.iterator](), objects);
      d.dispose();

      ({ d, objects, Obj } = makeWeakValuedDict(h));
      /** testcontext: an iteration runs while a value dies; yields its key and a new value. */
      const testcontext = (body: (k: number, v: Handle) => void, pending = true): void => {
        const it = d.items();
        try {
          it.next();
          // Schedule a key/value for removal and recreate it
          const o = objects.pop()!;
          const k = o.arg as number;
          o.dispose();
          h.gc.collect(); // just in case
          if (pending) expect(d.pendingRemovals.length).toBeGreaterThan(0); // the removal waits for the iteration
          body(k, Obj.new({ arg: k }));
        } finally {
          it.return(); // should commit all removals
          h.gc.collect();
        }
      };
      // check_weak_destroy_and_mutate_while_iterating
      let k = -1;
      let v: Handle | undefined;
      testcontext((k1) => expect(d.has(k1)).toBe(false));
      testcontext((k1) => {
        k = k1;
        expect(d.delete(k1)).toBe(false); // del dict[k]: KeyError
      });
      expect(d.has(k)).toBe(false);
      testcontext((k1) => {
        k = k1;
        expect(() => d.pop(k1)).toThrow(KEY_ERROR);
      });
      expect(d.has(k)).toBe(false);
      testcontext((k1, v1) => {
        k = k1;
        v = v1;
        d.set(k1, v1);
      });
      expect(same(d.get(k), v)).toBe(true);
      const ddict = d.copy();
      testcontext(() => d.update(ddict));
      expect(samePairs([...d.items()], [...ddict.items()])).toBe(true);
      testcontext(() => d.clear());
      expect(d.size).toBe(0);
      ddict.dispose();
      d.dispose();

      ({ d, objects, Obj } = makeWeakValuedDict(h));
      const firstKey = (): Value => {
        const g = d.keys();
        const first = g.next().value!;
        g.return(); // the temporary generator is dropped at once
        return first;
      };
      const o = Obj.new({ arg: 123456 }).own();
      let n = 0;
      testcontext(() => {
        n = d.size;
        d.pop(firstKey());
        expect(d.size).toBe(n - 1);
        d.set(o, o);
        expect(d.size).toBe(n);
      });
      testcontext(() => {
        expect(d.size).toBe(n - 1);
        d.popItem(); // (o, o)
        expect(d.size).toBe(n - 2);
      });
      testcontext(() => {
        expect(d.size).toBe(n - 3);
        d.delete(firstKey());
        expect(d.size).toBe(n - 4);
      });
      testcontext(() => {
        expect(d.size).toBe(n - 5);
        d.popItem();
        expect(d.size).toBe(n - 6);
      });
      // the last popitem() took objects[-1]'s entry: this context's death finds nothing to remove
      testcontext(() => {
        d.clear();
        expect(d.size).toBe(0);
      }, false);
      expect(d.size).toBe(0);
      o.dispose();
      d.dispose();
    });
    done(h);
  });

  it("test_make_weak_keyed_dict_from_dict: WeakKeyDictionary({o: 364})[o] == 364", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const o = Obj.new({ arg: 3 });
      const src = h.dict<Handle, number>([[o, 364]]).own();
      const d = h.weakref.WeakKeyDictionary(src);
      expect(d.get(o)).toBe(364);
      const e = h.weakref.WeakKeyDictionary([[o, 364]]); // from pairs too
      expect(e.get(o)).toBe(364);
      d.dispose();
      e.dispose();
    });
    done(h);
  });

  it("test_make_weak_keyed_dict_from_weak_keyed_dict: WeakKeyDictionary(WeakKeyDictionary({o: 364}))", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const o = Obj.new({ arg: 3 });
      const d = h.weakref.WeakKeyDictionary(h.dict<Handle, number>([[o, 364]]));
      const d2 = h.weakref.WeakKeyDictionary(d);
      expect(d.get(o)).toBe(364);
      expect(d2.get(o)).toBe(364);
      d.dispose();
      d2.dispose();
    });
    done(h);
  });

  it("test_make_weak_valued_dict_from_dict: WeakValueDictionary({364: o})[364] is o", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const o = Obj.new({ arg: 3 });
      const d = h.weakref.WeakValueDictionary(h.dict<number, Handle>([[364, o]]));
      expect(same(d.get(364), o)).toBe(true);
      d.dispose();
    });
    done(h);
  });

  it("test_make_weak_valued_dict_from_weak_valued_dict: WeakValueDictionary(WeakValueDictionary({364: o}))", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const o = Obj.new({ arg: 3 });
      const d = h.weakref.WeakValueDictionary(h.dict<number, Handle>([[364, o]]));
      const d2 = h.weakref.WeakValueDictionary(d);
      expect(same(d.get(364), o)).toBe(true);
      expect(same(d2.get(364), o)).toBe(true);
      d.dispose();
      d2.dispose();
    });
    done(h);
  });

  /** check_popitem: popitem() twice gives each key with its own value, then the dictionary is empty. */
  function checkPopitem(weakdict: Mapping, key1: Value, value1: Value, key2: Value, value2: Value): void {
    weakdict.set(key1, value1);
    weakdict.set(key2, value2);
    expect(weakdict.size).toBe(2);
    for (const left of [1, 0]) {
      const [k, v] = weakdict.popItem();
      expect(weakdict.size).toBe(left);
      expect(same(v, same(k, key1) ? value1 : value2)).toBe(true);
      expect(same(k, key1) || same(k, key2)).toBe(true);
    }
  }

  it("test_weak_valued_dict_popitem: popitem() returns each key with its value", () => {
    const h = heap();
    h.scope(() => {
      const { C } = classes(h);
      const d = h.weakref.WeakValueDictionary();
      checkPopitem(d as unknown as Mapping, "key1", C.new(), "key2", C.new());
      d.dispose();
    });
    done(h);
  });

  it("test_weak_keyed_dict_popitem: popitem() returns each key with its value", () => {
    const h = heap();
    h.scope(() => {
      const { C } = classes(h);
      const d = h.weakref.WeakKeyDictionary();
      checkPopitem(d as unknown as Mapping, C.new(), "value 1", C.new(), "value 2");
      d.dispose();
    });
    done(h);
  });

  /** check_setdefault: the first setdefault stores value1; the second returns it and stores nothing. */
  function checkSetdefault(weakdict: Mapping, key: Value, value1: Value, value2: Value): void {
    expect(same(value1, value2)).toBe(false); // invalid test otherwise
    for (const v of [value1, value2]) {
      const o = weakdict.setDefault(key, v);
      expect(same(o, value1)).toBe(true);
      expect(weakdict.has(key)).toBe(true);
      expect(same(weakdict.get(key), value1)).toBe(true);
    }
    expect(weakdict.size).toBe(1);
  }

  it("test_weak_valued_dict_setdefault: setdefault stores once and returns the stored value", () => {
    const h = heap();
    h.scope(() => {
      const { C } = classes(h);
      const d = h.weakref.WeakValueDictionary();
      checkSetdefault(d as unknown as Mapping, "key", C.new(), C.new());
      d.dispose();
    });
    done(h);
  });

  it("test_weak_keyed_dict_setdefault: setdefault stores once and returns the stored value", () => {
    const h = heap();
    h.scope(() => {
      const { C } = classes(h);
      const d = h.weakref.WeakKeyDictionary();
      checkSetdefault(d as unknown as Mapping, C.new(), "value 1", "value 2");
      d.dispose();
    });
    done(h);
  });

  /** check_update: update(dict) gives the same keys, each with the same value. */
  function checkUpdate(
    weakdict: Mapping,
    src:
      | Mapping
      | {
          get(k: Value): Value | undefined;
          has(k: Value): boolean;
          keys(): Iterable<Value>;
          size: number;
          [Symbol.iterator](): Iterator<[Value, Value]>;
        },
  ): void {
    weakdict.update(src as Iterable<[Value, Value]>);
    expect(weakdict.size).toBe(src.size);
    for (const k of weakdict.keys()) {
      expect(src.has(k)).toBe(true); // mysterious new key appeared in weak dict
      expect(same(src.get(k), weakdict.get(k))).toBe(true);
    }
    for (const k of src.keys()) {
      expect(weakdict.has(k)).toBe(true); // original key disappeared in weak dict
      expect(same(src.get(k), weakdict.get(k))).toBe(true);
    }
  }

  it("test_weak_valued_dict_update: update() from a dict with int, str and object keys, object properties as keyword arguments", () => {
    const h = heap();
    h.scope(() => {
      const { C, Obj } = classes(h);
      const d = h.weakref.WeakValueDictionary();
      const src = h.dict<Value, Handle>([
        [1, C.new()],
        ["a", C.new()],
        [C.new(), C.new()],
      ]);
      checkUpdate(d as unknown as Mapping, src);
      d.dispose();
      // special keyword arguments: update(**{kw: o}) is update({kw: o})
      const o = Obj.new({ arg: 3 });
      for (const kw of ["self", "dict", "other", "iterable"]) {
        const e = h.weakref.WeakValueDictionary();
        e.update({ [kw]: o });
        expect([...e.keys()]).toEqual([kw]);
        expect(same(e.get(kw), o)).toBe(true);
        e.dispose();
      }
    });
    done(h);
  });

  it("test_weak_keyed_dict_update: update() from a dict with object keys", () => {
    const h = heap();
    h.scope(() => {
      const { C } = classes(h);
      const d = h.weakref.WeakKeyDictionary();
      const src = h.dict<Handle, number>([
        [C.new(), 1],
        [C.new(), 2],
        [C.new(), 3],
      ]);
      checkUpdate(d as unknown as Mapping, src);
      d.dispose();
    });
    done(h);
  });

  it("test_weak_keyed_cascading_deletes: an __eq__ that kills a key during del d[o] restarts the lookup; two deletions empty the dictionary", async () => {
    const h = heap();
    const e = h.engine;
    let mutate = false;
    let objs: Handle[] = [];
    // class C: __hash__ is hash(self.value); __eq__ deletes objs[-1] when mutating (a user kind:
    // the value in a data word, weakrefable so it can be a weak key).
    const K = e.defineKind({
      name: "C",
      data: ["value"],
      weakrefable: true,
      hash: (o) => getData(e, o, 0),
      eq: (o, other, otherIsRef) => {
        if (mutate) objs.pop()?.dispose(); // del objs[-1]: the last strong reference to a key
        return otherIsRef && getData(e, o, 0) === getData(e, other, 0);
      },
    });
    const d = h.weakref.WeakKeyDictionary<Handle>();
    for (let i = 0; i < 4; i++) {
      const a = newObject(e, K.id);
      setData(e, a, 0, i);
      const o = h.wrap(a);
      decref(e, a);
      d.set(o, i);
      objs.push(o);
    }
    const first = objs;
    objs = [...d.keys()].map((k) => k.own()); // objs = list(d.keys())
    for (const o of first) o.dispose(); // the comprehension's list and `o` go
    objs.reverse();
    mutate = true;
    let count = 0;
    // `for o in objs`: a list iterator, which sees the list shrink
    for (let i = 0; i < objs.length; i++) {
      count++;
      d.pop(objs[i]!);
    }
    mutate = false;
    const out = `${d.size} ${count}`;
    expect(out).toBe(
      await python(
        "import weakref\nd = weakref.WeakKeyDictionary(); mutate = False\n" +
          "class C(object):\n    def __init__(self, i): self.value = i\n    def __hash__(self): return hash(self.value)\n" +
          "    def __eq__(self, other):\n        if mutate: del objs[-1]\n        return self.value == other.value\n" +
          "objs = [C(i) for i in range(4)]\nfor o in objs: d[o] = o.value\ndel o\nobjs = list(d.keys()); objs.reverse()\n" +
          "mutate = True; count = 0\nfor o in objs:\n    count += 1\n    del d[o]\nprint(len(d), count)",
      ),
    );
    expect(out).toBe("0 2");
    for (const o of objs) o.dispose();
    d.dispose();
    done(h);
  });

  it("test_weak_keyed_delitem: del d[o1] leaves the one other key", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const d = h.weakref.WeakKeyDictionary();
      const o1 = Obj.new({ arg: "1" });
      const o2 = Obj.new({ arg: "2" });
      d.set(o1, "something");
      d.set(o2, "something");
      expect(d.size).toBe(2);
      expect(d.delete(o1)).toBe(true);
      expect(d.size).toBe(1);
      const keys = [...d.keys()];
      expect(keys.length === 1 && keys[0]!.is(o2)).toBe(true);
      d.dispose();
    });
    done(h);
  });

  it("test_weak_valued_delitem: del d['something'] leaves the one other item", () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const d = h.weakref.WeakValueDictionary();
      const o1 = Obj.new({ arg: "1" });
      const o2 = Obj.new({ arg: "2" });
      d.set("something", o1);
      d.set("something else", o2);
      expect(d.size).toBe(2);
      expect(d.delete("something")).toBe(true);
      expect(d.size).toBe(1);
      expect(samePairs([...d.items()], [["something else", o2]])).toBe(true);
      d.dispose();
    });
    done(h);
  });

  it("test_weak_keyed_bad_delitem: KeyError for an absent key, TypeError for a key that cannot be weakly referenced", async () => {
    const h = heap();
    h.scope(() => {
      const { Obj } = classes(h);
      const d = h.weakref.WeakKeyDictionary<Handle>();
      const o = Obj.new({ arg: "1" });
      // An attempt to delete an object that isn't there raises KeyError.
      expect(() => d.pop(o)).toThrow(KEY_ERROR); // del d[o]
      expect(d.delete(o)).toBe(false); // the Map-style delete answers false instead
      expect(d.get(o)).toBeUndefined(); // d[o]: KeyError
      // A key that is not weakly referenceable: __delitem__, __getitem__ and __setitem__ raise TypeError.
      expect(() => d.pop(13 as never)).toThrow(HeapTypeError);
      expect(() => d.get(13 as never)).toThrow(HeapTypeError);
      expect(() => d.set(13 as never, 13)).toThrow(HeapTypeError);
      expect(() => d.pop(13 as never)).toThrow("cannot create weak reference to 'int' object");
      d.dispose();
    });
    expect(
      await python(
        "import weakref\nd=weakref.WeakKeyDictionary()\ntry: del d[13]\nexcept TypeError as e: print(e)",
      ),
    ).toBe("cannot create weak reference to 'int' object");
    done(h);
  });

  it("test_make_weak_valued_dict_repr: repr is <WeakValueDictionary at 0x…>", () => {
    const h = heap();
    const d = h.weakref.WeakValueDictionary();
    expect(String(d)).toMatch(/^<WeakValueDictionary at 0x[0-9a-f]+>$/);
    d.dispose();
    done(h);
  });

  it("test_make_weak_keyed_dict_repr: repr is <WeakKeyDictionary at 0x…>", () => {
    const h = heap();
    const d = h.weakref.WeakKeyDictionary();
    expect(String(d)).toMatch(/^<WeakKeyDictionary at 0x[0-9a-f]+>$/);
    d.dispose();
    done(h);
  });
});

// ---------------------------------------------------------------------------------------------
// WeakValueDictionaryTestCase, WeakKeyDictionaryTestCase (mapping_tests.BasicTestMappingProtocol)
// ---------------------------------------------------------------------------------------------

/**
 * BasicTestMappingProtocol's fixture: `reference` (two pairs), `other` (a pair not in the mapping)
 * and `inmapping` (a pair of `reference`), as its __init__ makes them by popping the last two
 * items of `_reference()` and putting the second back.
 */
interface Protocol {
  empty(): Mapping;
  full(pairs: readonly (readonly [Value, Value])[]): Mapping;
  reference: (readonly [Value, Value])[];
  other: readonly [Value, Value];
  inmapping: readonly [Value, Value];
}

/** Runs `body` on the fixture of WeakValueDictionaryTestCase (keyed = false) or WeakKeyDictionaryTestCase. */
function protocol(keyed: boolean, body: (p: Protocol) => void): void {
  const h = heap();
  h.scope(() => {
    const { Obj } = classes(h);
    const made: Mapping[] = [];
    const empty = (): Mapping => {
      const m = (keyed
        ? h.weakref.WeakKeyDictionary()
        : h.weakref.WeakValueDictionary()) as unknown as Mapping;
      made.push(m);
      return m;
    };
    // WeakValueDictionaryTestCase: {"key1": Object(1), "key2": Object(2), "key3": Object(3)}
    // WeakKeyDictionaryTestCase: {Object("key1"): 1, Object("key2"): 2, Object("key3"): 3}
    const all: (readonly [Value, Value])[] = [1, 2, 3].map((i) =>
      keyed ? ([Obj.new({ arg: `key${i}` }), i] as const) : ([`key${i}`, Obj.new({ arg: i })] as const),
    );
    body({
      empty,
      full(pairs) {
        const m = empty();
        for (const [k, v] of pairs) m.set(k, v);
        return m;
      },
      reference: [all[0]!, all[1]!],
      other: all[2]!,
      inmapping: all[1]!,
    });
    for (const m of made) m.dispose();
  });
  done(h);
}

/** test_read: indexing, len, `in`, ==/!= (equals), bool, keys/values/items, get. */
function testRead({ empty, full, reference, other }: Protocol): void {
  const p = empty();
  const d = full(reference);
  // cmp: p == p, d == d, p != d, d != p
  expect(p.equals(p)).toBe(true);
  expect(d.equals(d)).toBe(true);
  expect(p.equals(d)).toBe(false);
  expect(d.equals(p)).toBe(false);
  for (const [key, value] of reference) expect(same(d.get(key), value)).toBe(true);
  const [knownkey, knownvalue] = other;
  expect(d.get(knownkey)).toBeUndefined(); // d[knownkey]: KeyError
  expect(p.size).toBe(0);
  expect(d.size).toBe(reference.length);
  for (const [k] of reference) expect(d.has(k)).toBe(true);
  expect(d.has(knownkey)).toBe(false);
  expect(p.size === 0).toBe(true); // Empty mapping must compare to False
  expect(d.size > 0).toBe(true); // Full mapping must compare to True
  for (const iter of [d.keys(), d.values(), d.items()]) {
    expect(typeof iter.next).toBe("function");
    expect(typeof iter[Symbol.iterator]).toBe("function");
    iter.return();
  }
  expect(
    sameMembers(
      [...d.keys()],
      reference.map(([k]) => k),
    ),
  ).toBe(true);
  expect(
    sameMembers(
      [...d.values()],
      reference.map(([, v]) => v),
    ),
  ).toBe(true);
  expect(samePairs([...d.items()], reference)).toBe(true);
  const items = d.items();
  const [key, value] = items.next().value!;
  items.return();
  expect(same(d.get(key, knownvalue), value)).toBe(true);
  expect(same(d.get(knownkey, knownvalue), knownvalue)).toBe(true);
  expect(d.has(knownkey)).toBe(false);
}

/** test_write: set/get/del, update from a mapping and from items, setdefault, pop, popitem. */
function testWrite({ empty, full, reference, other }: Protocol): void {
  let p = empty();
  for (const [key, value] of reference) {
    p.set(key, value);
    expect(same(p.get(key), value)).toBe(true);
  }
  for (const [key] of reference) {
    expect(p.delete(key)).toBe(true);
    expect(p.get(key)).toBeUndefined(); // KeyError
  }
  p = empty();
  p.update(full(reference)); // update(self.reference)
  expect(samePairs([...p.items()], reference)).toBe(true); // dict(p) == self.reference
  const items = [...p.items()];
  p = empty();
  p.update(items);
  expect(samePairs([...p.items()], reference)).toBe(true);
  const d = full(reference);
  // setdefault
  const first = d.items();
  const [key, value] = first.next().value!;
  first.return();
  const [knownkey, knownvalue] = other;
  expect(same(d.setDefault(key, knownvalue), value)).toBe(true);
  expect(same(d.get(key), value)).toBe(true);
  expect(same(d.setDefault(knownkey, knownvalue), knownvalue)).toBe(true);
  expect(same(d.get(knownkey), knownvalue)).toBe(true);
  // pop
  expect(same(d.pop(knownkey), knownvalue)).toBe(true);
  expect(d.has(knownkey)).toBe(false);
  expect(() => d.pop(knownkey)).toThrow(KEY_ERROR);
  const dflt = 909;
  d.set(knownkey, knownvalue);
  expect(same(d.pop(knownkey, dflt), knownvalue)).toBe(true);
  expect(d.has(knownkey)).toBe(false);
  expect(d.pop(knownkey, dflt)).toBe(dflt);
  // popitem
  const [k, v] = d.popItem();
  expect(d.has(k)).toBe(false);
  expect(same(v, reference.find(([rk]) => same(rk, k))![1])).toBe(true);
  p = empty();
  expect(() => p.popItem()).toThrow("KeyError: 'popitem(): dictionary is empty'");
}

/** test_pop: KeyError for an absent key, the value for a present one, then KeyError again. */
function testPop({ empty, inmapping, other }: Protocol): void {
  const d = empty();
  const [k, v] = inmapping;
  d.set(k, v);
  expect(() => d.pop(other[0])).toThrow(KEY_ERROR);
  expect(same(d.pop(k), v)).toBe(true);
  expect(d.size).toBe(0);
  expect(() => d.pop(k)).toThrow(KEY_ERROR);
}

/** test_update: from a mapping, nothing, pairs and an iterator; bad arguments and failing iterables. */
function testUpdate({ empty, full, reference, other }: Protocol): void {
  const otherItems = [other];
  let d = empty();
  d.update(full(otherItems)); // mapping argument
  expect(samePairs([...d.items()], otherItems)).toBe(true);
  d = empty();
  d.update([]); // No argument
  expect(d.size).toBe(0);
  d = empty();
  d.update(otherItems); // item sequence
  expect(samePairs([...d.items()], otherItems)).toBe(true);
  d = empty();
  d.update(otherItems.values()); // Iterator
  expect(samePairs([...d.items()], otherItems)).toBe(true);
  expect(() => d.update(42 as never)).toThrow(HeapTypeError);
  d.clear();
  d.update(new Map(reference)); // a mapping that is not a dict (SimpleUserDict)
  expect(samePairs([...d.items()], reference)).toBe(true);

  class Exc extends Error {}
  d = empty();
  function* bogon(): Generator<readonly [Value, Value]> {
    yield other; // one pair, then the iteration fails (BogonIter)
    throw new Exc();
  }
  expect(() => d.update(bogon())).toThrow(Exc);
  d = empty();
  const badseq = {
    [Symbol.iterator]: () => ({
      next: (): IteratorResult<readonly [Value, Value]> => {
        throw new Exc();
      },
    }),
  };
  expect(() => d.update(badseq)).toThrow(Exc);
  expect(() => d.update([[1, 2, 3] as unknown as [Value, Value]])).toThrow(HeapValueError);
}

describe("WeakValueDictionaryTestCase", () => {
  it("test_constructor: two empty WeakValueDictionaries are equal", () => {
    protocol(false, ({ empty }) => {
      expect(empty().equals(empty())).toBe(true);
    });
  });
  it("test_read: indexing, len, in, bool, keys/values/items and get on a WeakValueDictionary", () => {
    protocol(false, testRead);
  });
  it("test_write: set/del, update, setdefault, pop and popitem on a WeakValueDictionary", () => {
    protocol(false, testWrite);
  });
  it("test_bool: an empty WeakValueDictionary is false (len 0), a full one true", () => {
    protocol(false, ({ empty, full, reference }) => {
      expect(empty().size === 0).toBe(true);
      expect(full(reference).size > 0).toBe(true);
    });
  });
  it("test_keys: an empty WeakValueDictionary has no keys", () => {
    protocol(false, ({ empty }) => expect([...empty().keys()]).toEqual([]));
  });
  it("test_values: an empty WeakValueDictionary has no values", () => {
    protocol(false, ({ empty }) => expect([...empty().values()]).toEqual([]));
  });
  it("test_items: an empty WeakValueDictionary has no items", () => {
    protocol(false, ({ empty }) => expect([...empty().items()]).toEqual([]));
  });
  it("test_len: an empty WeakValueDictionary has len 0", () => {
    protocol(false, ({ empty }) => expect(empty().size).toBe(0));
  });
  it("test_get: get() of a key absent from a WeakValueDictionary is None, or the default", () => {
    protocol(false, ({ empty, other }) => {
      const d = empty();
      expect(d.get(other[0])).toBeUndefined();
      expect(d.get(other[0], 3)).toBe(3);
    });
  });
  it("test_popitem: popitem() of an empty WeakValueDictionary raises KeyError", () => {
    protocol(false, ({ empty }) => {
      expect(() => empty().popItem()).toThrow("KeyError: 'popitem(): dictionary is empty'");
    });
  });
  it("test_pop: pop() of a WeakValueDictionary: KeyError, the value, then KeyError", () => {
    protocol(false, testPop);
  });
  it("test_update: update() of a WeakValueDictionary from mappings, pairs and iterators, errors propagate", () => {
    protocol(false, testUpdate);
  });
});

describe("WeakKeyDictionaryTestCase", () => {
  it("test_constructor: two empty WeakKeyDictionaries are equal", () => {
    protocol(true, ({ empty }) => {
      expect(empty().equals(empty())).toBe(true);
    });
  });
  it("test_read: indexing, len, in, bool, keys/values/items and get on a WeakKeyDictionary", () => {
    protocol(true, testRead);
  });
  it("test_write: set/del, update, setdefault, pop and popitem on a WeakKeyDictionary", () => {
    protocol(true, testWrite);
  });
  it("test_bool: an empty WeakKeyDictionary is false (len 0), a full one true", () => {
    protocol(true, ({ empty, full, reference }) => {
      expect(empty().size === 0).toBe(true);
      expect(full(reference).size > 0).toBe(true);
    });
  });
  it("test_keys: an empty WeakKeyDictionary has no keys", () => {
    protocol(true, ({ empty }) => expect([...empty().keys()]).toEqual([]));
  });
  it("test_values: an empty WeakKeyDictionary has no values", () => {
    protocol(true, ({ empty }) => expect([...empty().values()]).toEqual([]));
  });
  it("test_items: an empty WeakKeyDictionary has no items", () => {
    protocol(true, ({ empty }) => expect([...empty().items()]).toEqual([]));
  });
  it("test_len: an empty WeakKeyDictionary has len 0", () => {
    protocol(true, ({ empty }) => expect(empty().size).toBe(0));
  });
  it("test_get: get() of a key absent from a WeakKeyDictionary is None, or the default", () => {
    protocol(true, ({ empty, other }) => {
      const d = empty();
      expect(d.get(other[0])).toBeUndefined();
      expect(d.get(other[0], 3)).toBe(3);
    });
  });
  it("test_popitem: popitem() of an empty WeakKeyDictionary raises KeyError", () => {
    protocol(true, ({ empty }) => {
      expect(() => empty().popItem()).toThrow("KeyError: 'popitem(): dictionary is empty'");
    });
  });
  it("test_pop: pop() of a WeakKeyDictionary: KeyError, the value, then KeyError", () => {
    protocol(true, testPop);
  });
  it("test_update: update() of a WeakKeyDictionary from mappings, pairs and iterators, errors propagate", () => {
    protocol(true, testUpdate);
  });
});
