/**
 * heap.weakref.WeakValueDictionary / WeakKeyDictionary / WeakSet (Lib/weakref.py,
 * Lib/_weakrefset.py), compared with CPython 3.11 where the output matters. Each snippet
 * prints what the refheap side builds, line by line, in Python's formatting.
 */
import { describe, expect, it } from "vitest";
import {
  type Handle,
  type Heap,
  HeapTypeError,
  HeapValueError,
  type InstanceOf,
  type KeyedRefHandle,
  type Value,
  type WeakRefHandle,
} from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";
import { heap, sound } from "./api-helpers.js";

/** A class like CPython's `type('C', (), {})`: instances take attributes and weak references. */
function classC(h: Heap) {
  return h.defineClass("C", { dynamic: true, weakrefable: true });
}
/** Python's repr of what the tests print. */
function py(v: Value | undefined): string {
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === undefined || v === null) return "None";
  if (typeof v === "string") return `'${v}'`;
  return String(v);
}
function pyList(values: readonly (Value | undefined)[]): string {
  return `[${values.map(py).join(", ")}]`;
}
/** The exception's last traceback line, as `print(type(e).__name__ + ': ' + str(e))` shows it. */
function pyError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof HeapTypeError) return `TypeError: ${err.message}`;
    if (err instanceof HeapValueError) {
      return err.message.startsWith("KeyError: ") ? err.message : `RuntimeError: ${err.message}`;
    }
    throw err;
  }
  return "no error";
}
/** Addresses differ between the two heaps. */
function noAddresses(s: string): string {
  return s.replace(/0x[0-9a-f]+/g, "0x…");
}
/** How many objects the collector tracks (the list gc.get_objects() builds is not among them). */
function tracked(h: Heap): number {
  return h.gc.getObjects().length;
}
function disposeAll(...values: (Value | undefined)[]): void {
  for (const v of values) if (typeof v === "object" && v !== null) v.dispose();
}

const ERR = "def err(f):\n    try: f()\n    except Exception as e: print(type(e).__name__ + ': ' + str(e))\n";

describe("WeakValueDictionary", () => {
  it("#59: a self-cyclic value is collected, its KeyedRef callback removes the entry (1 2 0)", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = classC(h);
    const d = h.weakref.WeakValueDictionary();
    const x = C.new();
    x.setAttr("me", x);
    d.set("x", x);
    x.dispose();
    const out = `${d.size} ${h.gc.collect()} ${d.size}`;
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); d=weakref.WeakValueDictionary(); x=C(); x.me=x; d['x']=x; del x; print(len(d), gc.collect(), len(d))",
      ),
    );
    expect(out).toBe("1 2 0");
    d.dispose();
    sound(h);
  });

  it("#73: a value dying during an iteration is a pending removal, committed when it ends ([] 1)", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakValueDictionary();
    const a = C.new();
    const b = C.new();
    d.set("a", a).set("b", b);
    const iter = d.items();
    const first = iter.next();
    b.dispose(); // its KeyedRef's callback runs now, during the iteration
    const lines = [pyList(d.pendingRemovals)];
    const rest = [...iter];
    lines.push(`${pyList(rest.map(([k]) => k))} ${d.size}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); d=weakref.WeakValueDictionary(); a=C(); b=C(); d['a']=a; d['b']=b; it=iter(d.items()); next(it); del b; print(list(d._pending_removals)); print(list(it), len(d))",
      ),
    );
    expect(lines).toEqual(["['b']", "[] 1"]);
    expect(d.pendingRemovals).toEqual([]);
    if (!first.done) first.value[1].dispose();
    disposeAll(a);
    d.dispose();
    sound(h);
  });

  it("a suspended items() holds its frame's locals k, wr, v and its dict iterator's tuple k, wr (refcounts as CPython's)", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakValueDictionary();
    const k1 = C.new();
    const k2 = C.new();
    const v1 = C.new();
    const v2 = C.new();
    d.set(k1, v1).set(k2, v2);
    const [wr1, wr2] = d.valueRefs().map((r) => r.own());
    const rc = (...xs: Handle[]): string => xs.map((x) => h.sys.getRefCount(x) - 1).join(" ");
    const lines: string[] = [];
    const iter = d.items();
    const first = iter.next();
    if (!first.done) disposeAll(...first.value); // the program drops the pair it was given
    lines.push(rc(k1, wr1!, v1, k2, wr2!, v2));
    d.clear(); // pops both entries: the suspended frame keeps k1 and its KeyedRef
    lines.push(rc(k1, wr1!, k2, wr2!));
    lines.push(pyError(() => [...iter])); // the dict changed size: the frame dies
    lines.push(rc(k1, wr1!, v1));
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import sys, weakref; C=type('C',(),{}); d=weakref.WeakValueDictionary()",
          "k1=C(); k2=C(); v1=C(); v2=C(); d[k1]=v1; d[k2]=v2; wr1, wr2 = d.valuerefs()",
          "rc=lambda *xs: ' '.join(str(sys.getrefcount(x) - 3) for x in xs)",
          "it=d.items(); p=next(it); del p",
          "print(rc(k1, wr1, v1, k2, wr2, v2))",
          "d.clear(); print(rc(k1, wr1, k2, wr2))",
          "try:\n    list(it)\nexcept RuntimeError as e:\n    print('RuntimeError: ' + str(e))",
          "print(rc(k1, wr1, v1))",
        ].join("\n"),
      ),
    );
    disposeAll(k1, k2, v1, v2, wr1, wr2);
    d.dispose();
    sound(h);
  });

  it("an early return() of the iterator (for…of break) commits the pending removals", () => {
    const h = heap();
    const C = classC(h);
    const objs = [C.new(), C.new(), C.new()];
    const d = h.weakref.WeakValueDictionary(objs.map((o, i) => [i, o] as const));
    for (const [k, v] of d) {
      expect(k).toBe(0);
      v.dispose();
      objs[2]!.dispose();
      expect(d.pendingRemovals).toEqual([2]);
      break;
    }
    expect(d.pendingRemovals).toEqual([]);
    expect([...d.keys()]).toEqual([0, 1]);
    // Nested guards: only the last one to exit commits.
    const outer = d.keys();
    expect(outer.next().value).toBe(0);
    const inner = d.values();
    inner.next().value?.dispose();
    objs[1]!.dispose();
    inner.return();
    expect(d.pendingRemovals).toEqual([1]);
    outer.return();
    expect(d.pendingRemovals).toEqual([]);
    expect(d.size).toBe(1);
    disposeAll(objs[0]);
    d.dispose();
    sound(h);
  });

  it("a key given a new value is not removed when the old value dies (_remove_dead_weakref)", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakValueDictionary();
    const a = C.new();
    const b = C.new();
    d.set("k", a);
    const refs = d.valueRefs().map((r) => r.own());
    const r = refs[0] as KeyedRefHandle;
    d.set("k", b);
    a.dispose(); // r's callback runs: d['k'] is a live KeyedRef now, so it stays
    const got = d.get("k");
    const out = `${d.size} ${py(got?.is(b) ?? false)} ${py(r.deref() === null)} ${r.key}`;
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); d=weakref.WeakValueDictionary(); a=C(); b=C(); d['k']=a; r=d.valuerefs()[0]; d['k']=b; del a; print(len(d), d['k'] is b, r() is None, r.key)",
      ),
    );
    disposeAll(got, r, b);
    d.dispose();
    sound(h);
  });

  it("get/pop/popitem/setdefault/update/copy/clear/delete as CPython's", async () => {
    const h = heap();
    const C = classC(h);
    // The scope returns the lines; CPython's are compared after it (a scope is synchronous).
    const out = h.scope(() => {
      const a = C.new();
      const b = C.new();
      const c = C.new();
      const names = new Map<Handle, string>();
      const name = (v: Value | undefined): string => {
        if (v === undefined || !(typeof v === "object" && v !== null)) return py(v);
        for (const [o, n] of names) if (o.is(v)) return n;
        return "?";
      };
      names.set(a, "a").set(b, "b").set(c, "c");
      const d = h.weakref.WeakValueDictionary([
        ["x", a],
        [1, b],
      ]);
      const lines: string[] = [];
      lines.push(
        `${d.size} ${name(d.get("x"))} ${name(d.get("y"))} ${d.get("y", "dflt")} ${d.has(1)} ${d.has(2)}`,
      );
      lines.push(`${name(d.setDefault("x", c))} ${name(d.setDefault("z", c))} ${d.size}`);
      lines.push(`${name(d.pop("z"))} ${d.pop("z", "gone")} ${d.size}`);
      const [k, v] = d.popItem();
      lines.push(`${py(k)} ${name(v)} ${d.size}`);
      d.update({ p: c, q: a });
      const e = d.copy();
      lines.push(`${pyList([...e.keys()])} ${pyList([...d.values()].map(name))}`);
      d.delete("p");
      lines.push(`${pyList([...d.keys()])} ${e.size}`);
      e.clear();
      lines.push(`${e.size} ${d.size}`);
      e.dispose();
      d.dispose();
      return lines.join("\n").replaceAll("true", "True").replaceAll("false", "False");
    });
    const expected = await python(
      "import weakref; C=type('C',(),{}); a=C(); b=C(); c=C(); n={id(a):'a', id(b):'b', id(c):'c'}\n" +
        "nm=lambda v: n.get(id(v), repr(v))\n" +
        "d=weakref.WeakValueDictionary([('x', a), (1, b)])\n" +
        "print(len(d), nm(d.get('x')), nm(d.get('y')), d.get('y', 'dflt'), 1 in d, 2 in d)\n" +
        "print(nm(d.setdefault('x', c)), nm(d.setdefault('z', c)), len(d))\n" +
        "print(nm(d.pop('z')), d.pop('z', 'gone'), len(d))\n" +
        "k, v = d.popitem(); print(repr(k), nm(v), len(d))\n" +
        "d.update({'p': c, 'q': a}); e=d.copy()\n" +
        "print(list(e.keys()), [nm(v) for v in d.values()])\n" +
        "del d['p']; print(list(d.keys()), len(e))\n" +
        "e.clear(); print(len(e), len(d))",
    );
    expect(out).toBe(expected);
    sound(h);
  });

  it("test_weak_valued_union_operators: union() is `|`, update() returns the dictionary (`|=`), in CPython's order", async () => {
    const h = heap();
    const C = classC(h);
    const out = h.scope(() => {
      const [a, b, c] = [C.new(), C.new(), C.new()];
      const names: [Handle, string][] = [
        [a, "a"],
        [b, "b"],
        [c, "c"],
      ];
      const name = (v: Value): string => names.find(([o]) => o.is(v))?.[1] ?? "?";
      const show = (d: { entries(): Iterable<readonly [Value, Value]> }) =>
        `{${[...d.entries()].map(([k, v]) => `${py(k)}: ${name(v)}`).join(", ")}}`;
      const wvd1 = h.weakref.WeakValueDictionary([[1, a]]);
      const wvd2 = h.weakref.WeakValueDictionary([
        [1, b],
        [2, a],
      ]);
      const wvd3 = wvd1.copy();
      const d1: [number, InstanceOf<typeof C>][] = [
        [1, c],
        [3, b],
      ];
      const pairs: [number, InstanceOf<typeof C>][] = [
        [5, c],
        [6, b],
      ];
      const lines: string[] = [];
      const tmp1 = wvd1.union(wvd2.entries()); // wvd1 | wvd2
      lines.push(show(tmp1));
      expect(wvd1.update(wvd2.entries())).toBe(wvd1); // wvd1 |= wvd2
      lines.push(show(wvd1));
      const tmp2 = wvd2.union(d1); // wvd2 | d1
      lines.push(show(tmp2));
      wvd2.update(d1);
      lines.push(show(wvd2));
      const tmp3 = wvd3.copy().update(pairs); // tmp3 = wvd3.copy(); tmp3 |= pairs
      lines.push(show(tmp3));
      const tmp4 = h.weakref.WeakValueDictionary(d1).update(wvd3.entries()); // d1 | wvd3 (__ror__)
      lines.push(show(tmp4));
      for (const d of [wvd1, wvd2, wvd3, tmp1, tmp2, tmp3, tmp4]) d.dispose();
      return lines.join("\n");
    });
    const expected = await python(
      "import weakref; C=type('C',(),{}); a=C(); b=C(); c=C(); n={id(a):'a', id(b):'b', id(c):'c'}\n" +
        "show=lambda d: '{' + ', '.join(repr(k) + ': ' + n[id(v)] for k, v in d.items()) + '}'\n" +
        "wvd1 = weakref.WeakValueDictionary({1: a}); wvd2 = weakref.WeakValueDictionary({1: b, 2: a})\n" +
        "wvd3 = wvd1.copy(); d1 = {1: c, 3: b}; pairs = [(5, c), (6, b)]\n" +
        "tmp1 = wvd1 | wvd2; print(show(tmp1)); assert type(tmp1) is weakref.WeakValueDictionary\n" +
        "wvd1 |= wvd2; print(show(wvd1))\n" +
        "tmp2 = wvd2 | d1; print(show(tmp2)); wvd2 |= d1; print(show(wvd2))\n" +
        "tmp3 = wvd3.copy(); tmp3 |= pairs; print(show(tmp3))\n" +
        "tmp4 = d1 | wvd3; print(show(tmp4)); assert type(tmp4) is weakref.WeakValueDictionary",
    );
    expect(out).toBe(expected);
    sound(h);
  });

  it("equals() is Mapping.__eq__: the same keys with the same values, against another dictionary or pairs", async () => {
    const h = heap();
    const C = classC(h);
    const out = h.scope(() => {
      const [a, b, c] = [C.new(), C.new(), C.new()];
      const d1 = h.weakref.WeakValueDictionary([
        [1, a],
        [2, b],
      ]);
      const d2 = h.weakref.WeakValueDictionary([
        [2, b],
        [1, a],
      ]);
      const d3 = h.weakref.WeakValueDictionary([
        [1, a],
        [2, c],
      ]);
      const k = h.weakref.WeakKeyDictionary<Handle>([[a, 1]]);
      const line = [
        d1.equals(d2),
        d1.equals(d3),
        d1.equals([
          [1, a],
          [2, b],
        ]),
        d1.equals([[1, a]]),
        k.equals([[a, 1]]),
        k.equals([[a, 2]]),
        k.equals(d1),
      ].map(py);
      for (const d of [d1, d2, d3, k]) d.dispose();
      return line.join(" ");
    });
    const expected = await python(
      "import weakref; C=type('C',(),{}); a=C(); b=C(); c=C()\n" +
        "d1=weakref.WeakValueDictionary([(1, a), (2, b)]); d2=weakref.WeakValueDictionary([(2, b), (1, a)])\n" +
        "d3=weakref.WeakValueDictionary([(1, a), (2, c)]); k=weakref.WeakKeyDictionary([(a, 1)])\n" +
        "print(d1 == d2, d1 == d3, d1 == {1: a, 2: b}, d1 == {1: a}, k == {a: 1}, k == {a: 2}, k == d1)",
    );
    expect(out).toBe(expected);
    sound(h);
  });

  it("len() during a suspended iteration commits, and the iterator then throws (CPython's quirk)", async () => {
    const h = heap();
    const C = classC(h);
    const a = C.new();
    const b = C.new();
    const d = h.weakref.WeakValueDictionary([
      ["a", a],
      ["b", b],
    ]);
    const keys = d.keys();
    keys.next();
    b.dispose();
    const lines = [String(d.size), pyError(() => keys.next())];
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); d=weakref.WeakValueDictionary(); a=C(); b=C(); d['a']=a; d['b']=b; it=iter(d.keys()); next(it); del b; print(len(d))\n" +
          "try: next(it)\nexcept RuntimeError as e: print('RuntimeError: '+str(e))",
      ),
    );
    // The failed iterator exited its guard.
    d.set("c", a);
    expect(d.size).toBe(2);
    disposeAll(a);
    d.dispose();
    sound(h);
  });

  it("KeyError and TypeError messages are CPython's", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakValueDictionary();
    const c = C.new();
    const l = h.list();
    expect(d.delete("x")).toBe(false); // Map's delete; CPython's `del d['x']` KeyError is pop's
    const lines = [
      pyError(() => d.pop("x")),
      pyError(() => d.set("x", 1 as never)),
      pyError(() => d.set("x", "a" as never)),
      pyError(() => d.set("x", 1.5 as never)),
      pyError(() => d.set("x", null as never)),
      pyError(() => d.set("x", true as never)),
      pyError(() => d.set("x", l)),
      pyError(() => d.set(l, c)),
      pyError(() => d.popItem()),
      pyError(() => d.pop(1.5)),
      pyError(() => d.pop(1e-7)),
      pyError(() => d.pop("it's")),
      pyError(() => d.pop(true)),
    ];
    expect(lines.join("\n")).toBe(
      await python(
        `import weakref; C=type('C',(),{}); d=weakref.WeakValueDictionary(); c=C()\n${ERR}` +
          "err(lambda: d.pop('x')); err(lambda: d.__setitem__('x', 1))\n" +
          "err(lambda: d.__setitem__('x', 'a')); err(lambda: d.__setitem__('x', 1.5)); err(lambda: d.__setitem__('x', None))\n" +
          "err(lambda: d.__setitem__('x', True)); err(lambda: d.__setitem__('x', [])); err(lambda: d.__setitem__([], c))\n" +
          'err(lambda: d.popitem()); err(lambda: d.pop(1.5)); err(lambda: d.pop(1e-7)); err(lambda: d.pop("it\'s")); err(lambda: d.pop(True))',
      ),
    );
    expect(d.size).toBe(0);
    disposeAll(c, l);
    d.dispose();
    sound(h);
  });

  it("dispose() releases the KeyedRefs and keys; a KeyedRef outliving it calls back harmlessly", () => {
    const h = heap();
    const C = classC(h);
    const base = tracked(h);
    const a = C.new();
    const key = C.new();
    const reports: string[] = [];
    h.engine.unraisableHook = (err) => reports.push(String(err));
    const d = h.weakref.WeakValueDictionary([[key, a]]);
    expect(h.sys.getRefCount(key)).toBe(4); // key, the argument, the dict entry, the KeyedRef
    const r = d.valueRefs()[0]!.own();
    // Copying through the constructor iterates `d`: the handles that makes are released again.
    const e = h.weakref.WeakValueDictionary(d);
    const got = e.get(key);
    expect(got?.is(a)).toBe(true);
    got?.dispose();
    expect(h.sys.getRefCount(a)).toBe(2);
    expect(h.weakref.getWeakRefCount(a)).toBe(2);
    e.dispose();
    expect(h.weakref.getWeakRefCount(a)).toBe(1);
    expect(String(d)).toMatch(/^<WeakValueDictionary at 0x[0-9a-f]+>$/);
    d.dispose();
    d.dispose(); // idempotent
    expect(d.disposed).toBe(true);
    expect(() => d.size).toThrow(/WeakValueDictionary was disposed/);
    expect(h.sys.getRefCount(key)).toBe(3); // r still holds it
    expect(h.weakref.getWeakRefCount(a)).toBe(1);
    a.dispose(); // r's callback: the dictionary is gone, nothing happens
    expect(reports).toEqual([]);
    expect(r.deref()).toBe(null);
    r.dispose();
    expect(h.sys.getRefCount(key)).toBe(2);
    key.dispose();
    expect(tracked(h)).toBe(base);
    sound(h);
  });
});

describe("weak containers under automatic collections", () => {
  /** A seeded PRNG (mulberry32), so a failure replays. */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("random sets, deaths (by refcount and by the collector), iterations and removals stay consistent", () => {
    for (const seed of [1, 2, 3, 4]) {
      const h = heap();
      h.gc.setThreshold(7); // collections start inside the containers' own allocations
      const C = classC(h);
      const base = tracked(h);
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const wvd = h.weakref.WeakValueDictionary();
      const wkd = h.weakref.WeakKeyDictionary();
      const ws = h.weakref.WeakSet();
      // The model: which object each key was last given, and a weakref telling whether it lives.
      const objs: { handle: Handle | null; ref: Handle & { deref(): Handle | null }; key: number }[] = [];
      const assigned = new Map<number, number>();
      const alive = (i: number): boolean => {
        const o = objs[i]!.ref.deref();
        o?.dispose();
        return o !== null;
      };
      const iterators: Iterator<unknown>[] = [];
      // Evidence that the interesting cases happen: automatic collections inside the containers'
      // operations, and entries dying while an iteration holds the removals back.
      let inContainer = false;
      let collectionsInside = 0;
      let sawPending = false;
      h.gc.callbacks.push((phase) => {
        if (phase === "start" && inContainer) collectionsInside++;
      });
      for (let step = 0; step < 400; step++) {
        sawPending ||= h.scope(() => wvd.pendingRemovals.length + ws.pendingRemovals.length > 0);
        const r = random();
        if (r < 0.3 || objs.length === 0) {
          const o = C.new();
          if (random() < 0.4) o.setAttr("me", o); // dies only in a collection
          const k = Math.floor(random() * 10);
          objs.push({ handle: o, ref: h.weakref.ref(o), key: k });
          inContainer = true;
          wvd.set(k, o);
          wkd.set(o, k);
          ws.add(o);
          inContainer = false;
          assigned.set(k, objs.length - 1);
        } else if (r < 0.55) {
          const live = objs.filter((o) => o.handle !== null);
          if (live.length > 0) {
            const o = pick(live);
            o.handle!.dispose();
            o.handle = null;
          }
        } else if (r < 0.65) {
          const k = Math.floor(random() * 10);
          if (wvd.has(k)) {
            wvd.delete(k);
            assigned.delete(k);
          }
        } else if (r < 0.8) {
          const it = pick([wvd.items(), wkd.items(), ws[Symbol.iterator]()] as Iterator<unknown>[]);
          const first = it.next();
          if (!first.done) {
            const v = first.value;
            disposeAll(...(Array.isArray(v) ? (v as Value[]) : [v as Value]));
            iterators.push(it);
          }
        } else if (r < 0.9) {
          for (const it of iterators.splice(0)) it.return?.();
        } else {
          h.gc.collect();
        }
      }
      for (const it of iterators.splice(0)) it.return?.();
      expect(collectionsInside, `seed ${seed}`).toBeGreaterThan(0);
      expect(sawPending, `seed ${seed}`).toBe(true);
      h.gc.collect();
      // Every entry left is live, and each key holds the object it was given last, if that lives.
      let expected = 0;
      for (const [k, i] of assigned) {
        const got = wvd.get(k);
        if (alive(i)) {
          expected++;
          const o = objs[i]!.ref.deref()!;
          expect(got?.is(o) ?? false, `seed ${seed} key ${k}`).toBe(true);
          o.dispose();
        } else {
          expect(got).toBe(undefined);
        }
        disposeAll(got);
      }
      expect(wvd.size).toBe(expected);
      const liveCount = objs.filter((_, i) => alive(i)).length;
      expect(wkd.size).toBe(liveCount);
      expect(ws.size).toBe(liveCount);
      h.scope(() => {
        // The WeakKeyDictionary maps each live object to the key it was stored under.
        const byKey = (a: Value, b: Value) => Number(a) - Number(b);
        const keysOfLive = objs.filter((_, i) => alive(i)).map((o) => o.key);
        expect([...wkd.values()].sort(byKey)).toEqual(keysOfLive.sort(byKey));
        expect([...ws].length).toBe(liveCount);
        expect(wvd.pendingRemovals.length + wkd.pendingRemovals.length + ws.pendingRemovals.length).toBe(0);
      });
      expect(h.verify().problems).toEqual([]);
      wvd.dispose();
      wkd.dispose();
      ws.dispose();
      for (const o of objs) {
        o.handle?.dispose();
        o.ref.dispose();
      }
      h.gc.collect();
      expect(tracked(h), `seed ${seed}`).toBe(base);
      sound(h);
    }
  });
});

describe("WeakKeyDictionary", () => {
  it("suspended items() and values() hold their frames' locals and dict iterators' tuples (refcounts as CPython's)", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakKeyDictionary();
    const k1 = C.new();
    const k2 = C.new();
    const v1 = C.new().own(); // a Python variable keeps its object: the store does not take it
    const v2 = C.new().own();
    d.set(k1, v1).set(k2, v2);
    const [wr1] = d.keyRefs().map((r) => r.own());
    const rc = (...xs: Handle[]): string => xs.map((x) => h.sys.getRefCount(x) - 1).join(" ");
    const items = d.items();
    const first = items.next();
    if (!first.done) disposeAll(...first.value);
    const values = d.values();
    const v = values.next();
    if (!v.done) disposeAll(v.value);
    const lines = [rc(k1, wr1!, v1)];
    items.return();
    lines.push(rc(k1, wr1!, v1));
    values.return();
    lines.push(rc(k1, wr1!, v1));
    expect(lines.join("\n")).toBe(
      await python(
        [
          "import sys, weakref; C=type('C',(),{}); d=weakref.WeakKeyDictionary()",
          "k1=C(); k2=C(); v1=C(); v2=C(); d[k1]=v1; d[k2]=v2; wr1, wr2 = d.keyrefs()",
          "rc=lambda *xs: ' '.join(str(sys.getrefcount(x) - 3) for x in xs)",
          "it=d.items(); p=next(it); del p; vs=d.values(); p=next(vs); del p",
          "print(rc(k1, wr1, v1)); it.close(); print(rc(k1, wr1, v1)); vs.close(); print(rc(k1, wr1, v1))",
        ].join("\n"),
      ),
    );
    disposeAll(k1, k2, v1, v2, wr1);
    d.dispose();
    sound(h);
  });

  it("looks keys up through a temporary ref, as CPython does", async () => {
    const h = heap();
    const C = classC(h);
    const d = h.weakref.WeakKeyDictionary();
    const a = C.new();
    const b = C.new();
    d.set(a, 1).set(b, "x");
    const tmp = C.new();
    const lines = [`${d.get(a)} ${d.get(b)} ${py(d.has(a))} ${py(d.has(1))} ${d.size} ${d.get(tmp, "dflt")}`];
    tmp.dispose();
    d.set(a, 2);
    lines.push(`${d.get(a)} ${d.size}`);
    b.dispose();
    lines.push(`${d.size} ${pyList([...d.values()])}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); d=weakref.WeakKeyDictionary(); a=C(); b=C(); d[a]=1; d[b]='x'; print(d[a], d.get(b), a in d, 1 in d, len(d), d.get(C(), 'dflt')); d[a]=2; print(d[a], len(d)); del b; print(len(d), list(d.values()))",
      ),
    );
    // The lookups' temporary refs are gone: only the dictionary's own ref (with its callback) is left.
    expect(h.weakref.getWeakRefCount(a)).toBe(1);
    const [own] = h.weakref.getWeakRefs(a) as WeakRefHandle[];
    expect(own?.callback).toBeTypeOf("function"); // the dictionary's _remove
    own?.dispose();
    disposeAll(a);
    expect(d.size).toBe(0);
    d.dispose();
    sound(h);
  });

  it("len() scrubs pending removals that pop/popitem already removed (_dirty_len)", async () => {
    const h = heap();
    const C = classC(h);
    const a = C.new();
    const b = C.new();
    const c = C.new();
    const d = h.weakref.WeakKeyDictionary([
      [a, 1],
      [b, 2],
      [c, 3],
    ]);
    const keys = d.keys();
    keys.next().value?.dispose();
    b.dispose();
    c.dispose();
    const lines = [`${d.size} ${d.pendingRemovals.length}`];
    d.pendingRemovals.forEach((r) => {
      r.dispose();
    });
    const [k, v] = d.popItem();
    expect(k.is(a)).toBe(true);
    k.dispose();
    lines.push(`${v} ${d.size}`);
    keys.return();
    lines.push(`${d.size} ${d.pendingRemovals.length}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); d=weakref.WeakKeyDictionary(); a=C(); b=C(); c=C(); d[a]=1; d[b]=2; d[c]=3\n" +
          "it=iter(d.keys()); k=next(it); del k\ndel b, c\nprint(len(d), len(d._pending_removals))\n" +
          "print(d.popitem()[1], len(d))\nit.close(); print(len(d), len(d._pending_removals))",
      ),
    );
    disposeAll(a);
    d.dispose();
    sound(h);
  });

  it("a self-cyclic key is collected by the GC and its entry removed; values are held strongly", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = classC(h);
    const d = h.weakref.WeakKeyDictionary();
    const x = C.new();
    x.setAttr("me", x);
    const v = C.new();
    d.set(x, v);
    const wv = h.weakref.ref(v);
    v.dispose();
    x.dispose();
    const out = `${d.size} ${h.gc.collect()} ${d.size} ${py(wv.deref() === null)}`;
    expect(out).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); d=weakref.WeakKeyDictionary(); x=C(); x.me=x; v=C(); d[x]=v; wv=weakref.ref(v); del v, x; print(len(d), gc.collect(), len(d), wv() is None)",
      ),
    );
    wv.dispose();
    d.dispose();
    sound(h);
  });

  it("test_weak_keyed_union_operators: union() is `|`, update() returns the dictionary (`|=`), in CPython's order", async () => {
    const h = heap();
    const C = classC(h);
    const out = h.scope(() => {
      const [o1, o2, o3] = [C.new(), C.new(), C.new()];
      const names: [Handle, string][] = [
        [o1, "o1"],
        [o2, "o2"],
        [o3, "o3"],
      ];
      const name = (v: Value): string => names.find(([o]) => o.is(v))?.[1] ?? "?";
      const show = (d: { entries(): Iterable<readonly [Value, Value]> }) =>
        `{${[...d.entries()].map(([k, v]) => `${name(k)}: ${py(v)}`).join(", ")}}`;
      const wkd1 = h.weakref.WeakKeyDictionary<Handle>([[o1, 1]]);
      const wkd2 = h.weakref.WeakKeyDictionary<Handle>([
        [o1, 3],
        [o2, 4],
      ]);
      const wkd3 = wkd1.copy();
      const d1: [Handle, number][] = [
        [o2, 5],
        [o3, 6],
      ];
      const pairs: [Handle, number][] = [
        [o2, 7],
        [o3, 8],
      ];
      const lines: string[] = [];
      const tmp1 = wkd1.union(wkd2.entries() as Iterable<readonly [Handle, Value]>); // wkd1 | wkd2
      lines.push(show(tmp1));
      expect(wkd1.update(wkd2.entries() as Iterable<readonly [Handle, Value]>)).toBe(wkd1);
      lines.push(show(wkd1));
      const tmp2 = wkd2.union(d1);
      lines.push(show(tmp2));
      wkd2.update(d1);
      lines.push(show(wkd2));
      const tmp3 = wkd3.copy().update(pairs);
      lines.push(show(tmp3));
      const tmp4 = h.weakref
        .WeakKeyDictionary<Handle>(d1)
        .update(wkd3.entries() as Iterable<readonly [Handle, Value]>);
      lines.push(show(tmp4));
      for (const d of [wkd1, wkd2, wkd3, tmp1, tmp2, tmp3, tmp4]) d.dispose();
      return lines.join("\n");
    });
    const expected = await python(
      "import weakref; C=type('C',(),{}); o1=C(); o2=C(); o3=C(); n={id(o1):'o1', id(o2):'o2', id(o3):'o3'}\n" +
        "show=lambda d: '{' + ', '.join(n[id(k)] + ': ' + repr(v) for k, v in d.items()) + '}'\n" +
        "wkd1 = weakref.WeakKeyDictionary({o1: 1}); wkd2 = weakref.WeakKeyDictionary({o1: 3, o2: 4})\n" +
        "wkd3 = wkd1.copy(); d1 = {o2: 5, o3: 6}; pairs = [(o2, 7), (o3, 8)]\n" +
        "tmp1 = wkd1 | wkd2; print(show(tmp1)); wkd1 |= wkd2; print(show(wkd1))\n" +
        "tmp2 = wkd2 | d1; print(show(tmp2)); wkd2 |= d1; print(show(wkd2))\n" +
        "tmp3 = wkd3.copy(); tmp3 |= pairs; print(show(tmp3))\n" +
        "tmp4 = d1 | wkd3; print(show(tmp4)); assert type(tmp4) is weakref.WeakKeyDictionary",
    );
    expect(out).toBe(expected);
    sound(h);
  });

  it("setdefault, pop, copy, keyrefs, clear and the error messages", async () => {
    const h = heap();
    const C = classC(h);
    const a = C.new();
    const b = C.new();
    const d = h.weakref.WeakKeyDictionary<Handle>();
    const lines: string[] = [];
    lines.push(`${d.setDefault(a, 1)} ${d.setDefault(a, 2)} ${py(d.setDefault(b))} ${d.size}`);
    const e = d.copy();
    lines.push(`${py(d.pop(b))} ${d.pop(b, "gone")} ${d.size} ${e.size}`);
    const refs = d.keyRefs().map((r) => r.own());
    lines.push(`${refs.length} ${py(refs[0]!.deref()?.is(a) ?? false)}`);
    disposeAll(...refs);
    e.clear();
    lines.push(`${e.size}`);
    expect([d.delete(b), d.delete(1 as never)]).toEqual([false, false]); // Map's delete
    lines.push(
      pyError(() => d.pop(b)),
      pyError(() => d.get(1 as never)),
      pyError(() => d.set(1 as never, 2)),
      pyError(() => e.popItem()),
    );
    expect(noAddresses(lines.join("\n"))).toBe(
      noAddresses(
        await python(
          `import weakref; C=type('C',(),{}); a=C(); b=C(); d=weakref.WeakKeyDictionary()\n${ERR}` +
            "print(d.setdefault(a, 1), d.setdefault(a, 2), d.setdefault(b), len(d)); e=d.copy()\n" +
            "print(d.pop(b), d.pop(b, 'gone'), len(d), len(e)); refs=d.keyrefs(); print(len(refs), refs[0]() is a)\n" +
            "e.clear(); print(len(e))\n" +
            "err(lambda: d.pop(b)); err(lambda: d.get(1)); err(lambda: d.__setitem__(1, 2)); err(lambda: e.popitem())",
        ),
      ),
    );
    expect(lines[4]).toMatch(/^KeyError: <weakref at 0x[0-9a-f]+; to 'C' at 0x[0-9a-f]+>$/); // pop's
    disposeAll(a, b);
    e.dispose();
    d.dispose();
    sound(h);
  });
});

describe("WeakSet", () => {
  it("len() leaves out items that died during an iteration (len(data) - len(pending))", async () => {
    const h = heap();
    const C = classC(h);
    const objs = [C.new(), C.new(), C.new()];
    const s = h.weakref.WeakSet(objs);
    const iter = s[Symbol.iterator]();
    const x = iter.next().value!.own();
    for (const o of objs) o.dispose(); // x is still held by the handle `x`
    const lines = [`${s.size} ${s.pendingRemovals.length} ${py(s.has(x))}`];
    s.pendingRemovals.forEach((r) => {
      r.dispose();
    });
    lines.push(`${[...iter].length} ${s.size} ${s.pendingRemovals.length}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); objs=[C() for _ in range(3)]; s=weakref.WeakSet(objs); it=iter(s); x=next(it); objs.clear()\n" +
          "print(len(s), len(s._pending_removals), x in s)\nprint(len(list(it)), len(s), len(s._pending_removals))",
      ),
    );
    x.dispose();
    expect(s.size).toBe(0);
    s.dispose();
    sound(h);
  });

  it("the iterator keeps the item it yielded last alive until it is resumed", async () => {
    const h = heap();
    const C = classC(h);
    const a = C.new();
    const s = h.weakref.WeakSet([a]);
    const iter = s[Symbol.iterator]();
    const x = iter.next().value!;
    a.dispose();
    x.dispose();
    const lines = [`${s.size} ${s.pendingRemovals.length}`];
    lines.push(`${pyList([...iter])} ${s.size}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); s=weakref.WeakSet(); a=C(); s.add(a); it=iter(s); x=next(it); del a, x; print(len(s), len(s._pending_removals)); print(list(it), len(s))",
      ),
    );
    s.dispose();
    sound(h);
  });

  it("add/discard/remove/pop/clear/update/copy and the error messages", async () => {
    const h = heap();
    const C = classC(h);
    const a = C.new();
    const b = C.new();
    const c = C.new();
    const s = h.weakref.WeakSet();
    const lines: string[] = [];
    s.add(a).add(b).add(a);
    lines.push(`${s.size} ${py(s.has(a))} ${py(s.has(c))} ${py(s.has(1))} ${py(s.has("a"))}`);
    s.discard(c);
    s.discard(b);
    s.update([b, c]);
    const t = s.copy();
    lines.push(`${s.size} ${t.size}`);
    s.remove(c);
    const p = s.pop();
    const q = s.pop();
    lines.push(`${s.size} ${py([p, q].some((o) => o.is(a)) && [p, q].some((o) => o.is(b)))}`);
    disposeAll(p, q);
    t.clear();
    lines.push(`${t.size}`);
    lines.push(
      pyError(() => s.pop()),
      pyError(() => s.remove(c)),
      pyError(() => s.remove(1 as never)),
      pyError(() => s.discard(1 as never)),
      pyError(() => s.add(1 as never)),
      pyError(() => s.add(h.weakref.proxy(c) as never)),
    );
    expect(noAddresses(lines.join("\n"))).toBe(
      noAddresses(
        await python(
          `import weakref; C=type('C',(),{}); a=C(); b=C(); c=C(); s=weakref.WeakSet()\n${ERR}` +
            "s.add(a); s.add(b); s.add(a); print(len(s), a in s, c in s, 1 in s, 'a' in s)\n" +
            "s.discard(c); s.discard(b); s.update([b, c]); t=s.copy(); print(len(s), len(t))\n" +
            "s.remove(c); p=s.pop(); q=s.pop(); print(len(s), {id(p), id(q)} == {id(a), id(b)})\n" +
            "t.clear(); print(len(t))\n" +
            "err(lambda: s.pop()); err(lambda: s.remove(c)); err(lambda: s.remove(1)); err(lambda: s.discard(1)); err(lambda: s.add(1)); err(lambda: s.add(weakref.proxy(c)))",
        ),
      ),
    );
    expect(String(t)).toBe("set()");
    disposeAll(a, b, c);
    t.dispose();
    s.dispose();
    sound(h);
  });

  it("dispose() frees the set's weakrefs; items dying afterwards are no concern of it", () => {
    const h = heap();
    const C = classC(h);
    const base = tracked(h);
    const a = C.new();
    const s = h.weakref.WeakSet([a]);
    expect(h.weakref.getWeakRefCount(a)).toBe(1);
    expect(String(s)).toMatch(/^\{<weakref at 0x[0-9a-f]+; to 'C' at 0x[0-9a-f]+>\}$/);
    s.dispose();
    expect(h.weakref.getWeakRefCount(a)).toBe(0);
    expect(() => s.add(a)).toThrow(/WeakSet was disposed/);
    a.dispose();
    expect(tracked(h)).toBe(base);
    sound(h);
  });
});
