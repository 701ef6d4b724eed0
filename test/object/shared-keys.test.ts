/**
 * Key sharing (PEP 412, src/object/sharedkeys.ts): a dynamic class's shared keys have a budget
 * of 30 names, less one per instance created (never below 1), less one per name added; a name
 * that does not fit moves that instance's attributes into a real dict object. Every expectation
 * is compared with what CPython 3.11 prints for the same program.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import {
  drop,
  newHeap,
  pyGetCount,
  python,
  repr,
  setAttr,
  settle,
  str,
  takeRefs,
  typeName,
} from "../gc/gc-helpers.js";
import { expectSound, recordingHeap } from "../helpers.js";

type Engine = core.Engine;

/** gc.get_referents(o) as addresses. */
function referents(h: Engine, o: number): number[] {
  return takeRefs(h, core.gc.getReferents(h, [o]));
}

/** True if the instance's attributes live in a dict object (it shows in its referents). */
function hasDict(h: Engine, o: number): boolean {
  return referents(h, o).some((r) => h.typeKind[core.typeIdOf(h, r)] === core.Kind.Dict);
}

/** del o.name; returns whether it was there. */
function delAttr(h: Engine, o: number, name: string): boolean {
  const key = core.newStr(h, name);
  const had = core.delAttr(h, o, key);
  core.decref(h, key);
  return had;
}

/** Python's repr of a list of objects. */
function listRepr(h: Engine, objs: readonly number[]): string {
  return `[${objs.map((o) => repr(h, o)).join(", ")}]`;
}

/** Python's True/False as JavaScript prints booleans. */
function pyBools(s: string): string {
  return s.replace(/True/g, "true").replace(/False/g, "false");
}

/** CPython's side of the tests: `dictd(o)` says whether o's attributes were materialised. */
const PY_PRELUDE = `import gc
def dictd(o): return 'dict' in [type(r).__name__ for r in gc.get_referents(o)]
`;

/**
 * Makes n instances of a new class, then stores k0, k1, ... on one of them ("first" or "last")
 * and returns the number of the first name that materialised its dict (null: none did).
 */
function firstMaterialised(n: number, k: number, which: "first" | "last"): number | null {
  const h = newHeap();
  const A = h.defineClass({ name: "A", dynamic: true });
  const xs = Array.from({ length: n }, () => core.newInstance(h, A.id));
  const o = which === "first" ? xs[0]! : xs[n - 1]!;
  let at: number | null = null;
  for (let i = 0; i < k; i++) {
    setAttr(h, o, `k${i}`, core.NONE);
    if (at === null && hasDict(h, o)) at = i;
  }
  expectSound(h);
  drop(h, ...xs);
  expectSound(h);
  return at;
}

describe("shared keys: when an instance's attributes move to a dict", () => {
  it("the name that materialises the dict depends on how many instances the class has made", async () => {
    const ns = [1, 2, 5, 10, 20, 28, 29];
    const ours = ns
      .map(
        (n) =>
          `${n} first ${firstMaterialised(n, 35, "first") ?? "None"} last ${firstMaterialised(n, 35, "last") ?? "None"}`,
      )
      .join("\n");
    const py = await python(`${PY_PRELUDE}
def run(n, k, which):
    A = type('A', (), {})
    xs = [A() for _ in range(n)]
    o = xs[which]
    res = []
    for i in range(k):
        setattr(o, 'k%d' % i, None); res.append(dictd(o))
    return res.index(True) if True in res else None
for n in (${ns.join(", ")}):
    print(n, 'first', run(n, 35, 0), 'last', run(n, 35, -1))`);
    expect(ours).toBe(py);
    expect(ours.split("\n")).toEqual([
      "1 first 29 last 29",
      "2 first 28 last 28",
      "5 first 25 last 25",
      "10 first 20 last 20",
      "20 first 10 last 10",
      "28 first 2 last 2",
      "29 first 1 last 1",
    ]);
  });

  it("names count against the budget once: 10 names, 25 more instances, then k0..k29 → k11", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    const first = core.newInstance(h, A.id);
    for (let i = 0; i < 10; i++) setAttr(h, first, `k${i}`, core.NONE);
    const more = Array.from({ length: 25 }, () => core.newInstance(h, A.id));
    const o = core.newInstance(h, A.id);
    let at: number | null = null;
    for (let i = 0; i < 30; i++) {
      setAttr(h, o, `k${i}`, core.NONE);
      if (at === null && hasDict(h, o)) at = i;
    }
    const py = await python(`${PY_PRELUDE}
A = type('A', (), {})
a = A()
for i in range(10): setattr(a, 'k%d' % i, None)
more = [A() for _ in range(25)]
o = A()
res = []
for i in range(30):
    setattr(o, 'k%d' % i, None); res.append(dictd(o))
print(res.index(True))`);
    expect(String(at)).toBe(py);
    expect(at).toBe(11);
    expect(hasDict(h, first)).toBe(false);
    drop(h, first, ...more, o);
    expectSound(h);
  });

  it("`del a.x` keeps x shared, and deleting a missing name spends the budget too", async () => {
    const h = newHeap();
    // 29 instances leave a budget of 1.
    const A = h.defineClass({ name: "A", dynamic: true });
    const xs = Array.from({ length: 29 }, () => core.newInstance(h, A.id));
    const a = xs[0]!;
    setAttr(h, a, "x", core.NONE);
    expect(delAttr(h, a, "x")).toBe(true);
    setAttr(h, a, "x", core.NONE); // shared already: fits
    const afterDel = hasDict(h, a);
    setAttr(h, a, "y", core.NONE); // no room left
    const afterY = hasDict(h, a);
    // A fresh class: 29 deletions of missing names use up the 29 units a single instance leaves.
    const B = h.defineClass({ name: "B", dynamic: true });
    const b = core.newInstance(h, B.id);
    for (let i = 0; i < 29; i++) expect(delAttr(h, b, `m${i}`)).toBe(false);
    const afterDels = hasDict(h, b);
    setAttr(h, b, "z", core.NONE);
    const afterZ = hasDict(h, b);
    // Exhausted: deleting a name the class does not share materialises the dict (and fails).
    const c = core.newInstance(h, B.id);
    expect(delAttr(h, c, "m0")).toBe(false); // shared: no dict
    const afterShared = hasDict(h, c);
    expect(delAttr(h, c, "never")).toBe(false);
    const afterMissing = hasDict(h, c);
    const ours = [afterDel, afterY, afterDels, afterZ, afterShared, afterMissing].join(" ");
    const py = await python(`${PY_PRELUDE}
A = type('A', (), {})
xs = [A() for _ in range(29)]
a = xs[0]
a.x = None
del a.x
a.x = None
r = [dictd(a)]
a.y = None
r.append(dictd(a))
B = type('B', (), {})
b = B()
for i in range(29):
    try: delattr(b, 'm%d' % i)
    except AttributeError: pass
r.append(dictd(b))
b.z = None
r.append(dictd(b))
c = B()
try: del c.m0
except AttributeError: pass
r.append(dictd(c))
try: del c.never
except AttributeError: pass
r.append(dictd(c))
print(*r)`);
    expect(ours).toBe(pyBools(py));
    expect(ours).toBe("false true false true false true");
    drop(h, ...xs, b, c);
    expectSound(h);
  });

  it("the class holds a reference to each shared name, as CPython's keys object does, and a values array none", () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    const a = core.newInstance(h, A.id);
    const name = str(h, "x");
    core.setAttr(h, a, name, 1, false);
    expect(core.getrefcount(h, name)).toBe(2); // ours and the class's: a's values array holds only values
    const other = str(h, "x"); // an equal str: found by content, not taken by the class
    core.setAttr(h, a, other, 2, false);
    expect(core.getrefcount(h, other)).toBe(1);
    drop(h, a, other);
    expect(core.getrefcount(h, name)).toBe(2);
    expectSound(h);
    drop(h, name);
    expectSound(h);
  });

  it("get_referents: the values in shared-key order, then the dict once materialised", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    // The class first sees x, then y; a later instance stores them the other way round.
    const first = core.newInstance(h, A.id);
    setAttr(h, first, "x", core.NONE);
    setAttr(h, first, "y", core.NONE);
    const xs = Array.from({ length: 27 }, () => core.newInstance(h, A.id)); // budget 1 left
    const o = core.newInstance(h, A.id);
    const [X, Y, C] = ["X", "Y", "C"].map((s) => str(h, s)) as [number, number, number];
    setAttr(h, o, "y", Y);
    setAttr(h, o, "x", X);
    const before = referents(h, o);
    const lines = [`${listRepr(h, before.slice(0, -1))} ${before.at(-1) === h.typeObject[A.id]}`];
    setAttr(h, o, "q", core.NONE); // the last unit of the budget
    setAttr(h, o, "c", C); // does not fit: materialised
    const after = referents(h, o);
    const d = after[0]!;
    lines.push(
      `${typeName(h, d)} ${after[1] === h.typeObject[A.id]} ${after.length} ${listRepr(h, referents(h, d))} ${core.gc.isTracked(h, d)}`,
    );
    const py = await python(`import gc
A = type('A', (), {})
first = A(); first.x = None; first.y = None
xs = [A() for _ in range(27)]
o = A()
o.y = 'Y'; o.x = 'X'
r = gc.get_referents(o)
print(r[:-1], r[-1] is A)
o.q = None
o.c = 'C'
r = gc.get_referents(o)
print(type(r[0]).__name__, r[1] is A, len(r), gc.get_referents(r[0]), gc.is_tracked(r[0]))`);
    expect(lines.join("\n")).toBe(pyBools(py));
    expect(lines).toEqual(["['X', 'Y'] true", "dict true 2 ['Y', 'X', None, 'C'] false"]);
    drop(h, first, ...xs, o, X, Y, C);
    expectSound(h);
  });

  it("the materialised dict is tracked only if one of the values may be (then MAINTAIN_TRACKING)", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    const xs = Array.from({ length: 29 }, () => core.newInstance(h, A.id));
    const [a, b] = [xs[0]!, xs[1]!];
    const l = core.newList(h);
    setAttr(h, a, "n", 1, false);
    setAttr(h, a, "m", 2, false); // materialises a dict of numbers: untracked
    const da = referents(h, a)[0]!;
    const untracked = core.gc.isTracked(h, da);
    setAttr(h, a, "l", l); // a list value tracks it
    const trackedLater = core.gc.isTracked(h, da);
    setAttr(h, b, "n", l); // n is shared: b keeps its values table
    setAttr(h, b, "z", 1, false); // materialised with a list among the values: tracked at once
    const db = referents(h, b)[0]!;
    const ours = `${untracked} ${trackedLater} ${core.gc.isTracked(h, db)}`;
    const py = await python(`import gc
A = type('A', (), {})
xs = [A() for _ in range(29)]
a, b = xs[0], xs[1]
l = []
a.n = 1; a.m = 2
da = gc.get_referents(a)[0]
r = [gc.is_tracked(da)]
a.l = l
r.append(gc.is_tracked(da))
b.n = l; b.z = 1
r.append(gc.is_tracked(gc.get_referents(b)[0]))
print(*r)`);
    expect(ours).toBe(pyBools(py));
    expect(ours).toBe("false true true");
    drop(h, ...xs, l);
    expectSound(h);
  });

  it("gc.collect() counts the dict: an instance cycle through a materialised dict → 2 (#5)", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    settle(h);
    const xs = Array.from({ length: 29 }, () => core.newInstance(h, A.id));
    const a = xs[0]!;
    core.incref(h, a);
    drop(h, ...xs);
    setAttr(h, a, "me", a);
    setAttr(h, a, "k", 1, false); // materialises
    drop(h, a);
    const ours = core.gc.collect(h);
    const py = await python(
      "import gc; gc.disable(); gc.collect(); A=type('A',(),{}); xs=[A() for _ in range(29)]; a=xs[0]; del xs; a.me=a; a.k=1; del a; print(gc.collect())",
    );
    expect(String(ours)).toBe(py);
    expect(ours).toBe(2);
    expectSound(h);
  });

  it("generation 0 counts the dict's allocation when it is not served from the freelist", async () => {
    const h = newHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    settle(h);
    const xs = Array.from({ length: 29 }, () => core.newInstance(h, A.id));
    const a = xs[0]!;
    setAttr(h, a, "k0", 1, false);
    core.gc.collect(h); // a full collection empties the freelists
    pyGetCount(h); // puts a 3-tuple on its freelist, so the reads below allocate nothing counted
    let c = pyGetCount(h)[0];
    setAttr(h, a, "k0", 2, false); // shared: no allocation
    const plain = pyGetCount(h)[0] - c;
    c = pyGetCount(h)[0];
    setAttr(h, a, "k1", 1, false); // materialises: a new dict
    const ours = `${plain} ${pyGetCount(h)[0] - c}`;
    const py = await python(`import gc
gc.disable(); gc.collect()
A = type('A', (), {})
xs = [A() for _ in range(29)]
a = xs[0]
a.k0 = 1
gc.collect()
gc.get_count()
c = gc.get_count()[0]; a.k0 = 2; plain = gc.get_count()[0] - c
c = gc.get_count()[0]; a.k1 = 1
print(plain, gc.get_count()[0] - c)`);
    expect(ours).toBe(py);
    expect(ours).toBe("0 1");
    drop(h, ...xs);
    expectSound(h);
  });
});

describe("shared keys: release order", () => {
  it("dealloc: declared fields alphabetically, then the materialised dict's entries in insertion order", async () => {
    const { h, order, x } = recordingHeap();
    const S = h.defineClass({
      name: "S",
      dynamic: true,
      fields: [
        { name: "z", kind: "ref" },
        { name: "a", kind: "ref" },
      ],
    });
    const xs = Array.from({ length: 40 }, () => core.newInstance(h, S.id));
    const s = core.newInstance(h, S.id);
    for (const name of ["z", "a"]) {
      const v = x(name);
      core.setField(h, s, S.fieldIndex.get(name)!, v, true);
      core.decref(h, v);
    }
    for (const name of ["q", "p"]) {
      const v = x(name);
      setAttr(h, s, name, v);
      core.decref(h, v);
    }
    expect(hasDict(h, s)).toBe(true);
    core.decref(h, s);
    const py = await python(`class D:
    def __init__(s, n): s.n = n
    def __del__(s): print(s.n)
S = type('S', (), {'__slots__': ('z', 'a', '__dict__')})
xs = [S() for _ in range(40)]
s = S(); s.z = D('z'); s.a = D('a'); s.q = D('q'); s.p = D('p')
del s`);
    expect(order.join(" ")).toBe(py.split("\n").join(" "));
    expect(order).toEqual(["a", "z", "q", "p"]);
    drop(h, ...xs);
    expectSound(h);
  });

  it("without a dict, attribute values go in shared-key order, whatever order the instance used", async () => {
    const { h, order, x } = recordingHeap();
    const A = h.defineClass({ name: "A", dynamic: true });
    const first = core.newInstance(h, A.id);
    for (const name of ["x", "y", "z"]) setAttr(h, first, name, core.NONE);
    const a = core.newInstance(h, A.id);
    for (const name of ["y", "x", "z"]) {
      const v = x(name);
      setAttr(h, a, name, v);
      core.decref(h, v);
    }
    expect(delAttr(h, a, "y")).toBe(true); // y released now
    const v = x("y2");
    setAttr(h, a, "y", v); // stored again: last in a's order, still index 1
    core.decref(h, v);
    core.decref(h, a);
    const py = await python(`class D:
    def __init__(s, n): s.n = n
    def __del__(s): print(s.n)
A = type('A', (), {})
first = A(); first.x = first.y = first.z = None
a = A(); a.y = D('y'); a.x = D('x'); a.z = D('z')
del a.y
a.y = D('y2')
del a`);
    expect(order.join(" ")).toBe(py.split("\n").join(" "));
    expect(order).toEqual(["y", "x", "y2", "z"]);
    drop(h, first);
    expectSound(h);
  });

  it("a dict materialised by deleting a missing name stays split until a name the class lacks is stored", async () => {
    const { h, order, x } = recordingHeap();
    const C = h.defineClass({ name: "C", dynamic: true });
    const filler = core.newInstance(h, C.id);
    for (let i = 0; i < 40; i++) setAttr(h, filler, `k${i}`, core.NONE); // keys k0..k28, budget 0
    const lines: string[] = [];
    for (const extra of ["k2", "r"]) {
      const c = core.newInstance(h, C.id);
      for (const name of ["k1", "k0"]) {
        const v = x(`${name}`);
        setAttr(h, c, name, v);
        core.decref(h, v);
      }
      expect(delAttr(h, c, "r")).toBe(false); // materialises a split dict
      const d = referents(h, c)[0]!;
      const v = x(extra);
      setAttr(h, c, extra, v); // k2 is shared: stays split; r is not: combined
      core.decref(h, v);
      lines.push(listRepr(h, referents(h, d)));
      core.decref(h, c);
      order.push("|");
    }
    const py = await python(`import gc
class D:
    def __init__(s, n): s.n = n
    def __del__(s): print(s.n)
    def __repr__(s): return '<X>'
C = type('C', (), {})
filler = C()
for i in range(40): setattr(filler, 'k%d' % i, None)
for extra in ('k2', 'r'):
    c = C(); c.k1 = D('k1'); c.k0 = D('k0')
    try: del c.r
    except AttributeError: pass
    d = gc.get_referents(c)[0]
    setattr(c, extra, D(extra))
    print(gc.get_referents(d))
    del c, d
    print('|')`);
    // Our instances of X print as <X>; the referents of the split dict are in shared-key order.
    expect([...lines, order.join(" ")].join("\n")).toBe(
      (() => {
        const out = py.split("\n");
        const refLines = out.filter((l) => l.startsWith("["));
        const dels = out.filter((l) => !l.startsWith("["));
        return [...refLines, dels.join(" ")].join("\n");
      })(),
    );
    expect(order.join(" ")).toBe("k0 k1 k2 | k1 k0 r |");
    drop(h, filler);
    expectSound(h);
  });
});
