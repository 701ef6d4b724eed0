/**
 * heap.weakref, the handle facade of Python's weakref module (Objects/weakrefobject.c,
 * Modules/_weakref.c), compared with CPython where the output matters.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import {
  ErrorCode,
  type Handle,
  type Heap,
  HeapReferenceError,
  type WeakProxy,
  type WeakRefHandle,
} from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";
import { heap, py, sound } from "./api-helpers.js";

/** The error a call throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an exception");
}

/** A class whose instances can have weakrefs, with a number field, a reference field and attributes. */
function weakClass(h: Heap) {
  return h.defineClass("C", {
    weakrefable: true,
    dynamic: true,
    fields: { n: "number", other: "ref" },
  });
}

describe("weakref.ref", () => {
  it("shares the basic ref, never a callback ref; proxies likewise (#60)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const cb = (): void => {};
    const [r1, r2, c1, c2] = [h.weakref.ref(c), h.weakref.ref(c), h.weakref.ref(c, cb), h.weakref.ref(c, cb)];
    const [p1, p2] = [h.weakref.proxy(c), h.weakref.proxy(c)];
    const r = h.weakref.ref(c);
    const out = `${py(r1.is(r2))} ${py(c1.is(c2))} ${py(p1.is(p2))} ${py(r.callback)} ${p1.typeName} ${r.typeName}`;
    expect(out).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C(); t=lambda o: type(o).__module__+'.'+type(o).__name__; print(weakref.ref(c) is weakref.ref(c), weakref.ref(c, print) is weakref.ref(c, print), weakref.proxy(c) is weakref.proxy(c), weakref.ref(c).__callback__, t(weakref.proxy(c)), t(weakref.ref(c)))",
      ),
    );
    for (const x of [r1, r2, c1, c2, p1, p2, r, c]) x.dispose();
    sound(h);
  });

  it("deref() gives a new handle to the referent while it lives, then null", () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new({ n: 3 });
    const r = h.weakref.ref(c);
    const n = h.sys.getRefCount(c);
    const x = r.deref() as typeof c;
    expect(x.is(c)).toBe(true);
    expect(x.n).toBe(3);
    expect(h.sys.getRefCount(c)).toBe(n + 1); // the new handle owns a reference
    x.dispose();
    expect(h.sys.getRefCount(c)).toBe(n); // the weakref itself owns none
    c.dispose();
    expect(r.deref()).toBeNull();
    r.dispose();
    sound(h);
  });

  it("lists the weakrefs basic ref first, basic proxy next, then callback refs newest first (#53)", async () => {
    const h = heap();
    h.gc.disable();
    const C = weakClass(h);
    const o = C.new();
    const L: number[] = [];
    const rs = [0, 1, 2].map((i) => h.weakref.ref(o, () => void L.push(i)));
    const b = h.weakref.ref(o);
    const p = h.weakref.proxy(o);
    const ws = h.weakref.getWeakRefs(o);
    const out = [
      `${h.weakref.getWeakRefCount(o)} ${py(ws.slice(0, 2).map((x) => x.is(b)))} ${py(ws[1]!.is(p))} ${py(ws[2]!.is(rs[2]!))}`,
    ];
    for (const w of ws) w.dispose();
    o.dispose();
    out.push(py(L));
    expect(out.join("\n")).toBe(
      await python(
        "import gc, weakref; gc.disable(); C=type('C',(),{}); o=C(); L=[]; rs=[weakref.ref(o, lambda w, i=i: L.append(i)) for i in range(3)]; b=weakref.ref(o); p=weakref.proxy(o); print(weakref.getweakrefcount(o), [x is b for x in weakref.getweakrefs(o)][:2], weakref.getweakrefs(o)[1] is p, weakref.getweakrefs(o)[2] is rs[2]); del o; print(L)",
      ),
    );
    for (const x of [...rs, b, p]) x.dispose();
    sound(h);
  });

  it("counts 0 and lists nothing for values that cannot have weakrefs (#63)", () => {
    const h = heap();
    const l = h.list();
    expect([
      h.weakref.getWeakRefCount(1),
      h.weakref.getWeakRefCount("a"),
      h.weakref.getWeakRefCount(l),
    ]).toEqual([0, 0, 0]);
    expect(h.weakref.getWeakRefs(null)).toEqual([]);
    l.dispose();
    sound(h);
  });

  it("refuses referents without weakref support, with CPython's TypeError (#61, #62)", async () => {
    const h = heap();
    const C = weakClass(h);
    const S = h.defineClass("S"); // no `weakrefable`: like a class with __slots__ lacking __weakref__
    const c = C.new();
    const s = S.new();
    const l = h.list();
    const r = h.weakref.ref(c);
    const p = h.weakref.proxy(c);
    const values: unknown[] = [1, 1.5, "a", null, true, l, r, p, s];
    const messages = values.map((v) => thrown(() => h.weakref.ref(v as Handle)).message);
    expect(messages.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C(); S=type('S',(),{'__slots__':()})\nfor x in [1, 1.5, 'a', None, True, [], weakref.ref(c), weakref.proxy(c), S()]:\n  try: weakref.ref(x)\n  except TypeError as e: print(e)",
      ),
    );
    expect(() => h.weakref.proxy(s)).toThrow("cannot create weak reference to 'S' object");
    expect(h.weakref.getWeakRefCount(c)).toBe(2); // the refused calls made nothing
    for (const x of [c, s, l, r, p]) x.dispose();
    sound(h);
  });

  it("refuses a handle from another heap", () => {
    const h = heap();
    const h2 = heap();
    const C2 = weakClass(h2);
    const c2 = C2.new();
    expect(() => h.weakref.ref(c2)).toThrow(expect.objectContaining({ code: ErrorCode.WrongHeap }));
    expect(() => h.weakref.proxy(c2)).toThrow(expect.objectContaining({ code: ErrorCode.WrongHeap }));
    c2.dispose();
    sound(h2);
    sound(h);
  });

  it("hash() is the referent's, kept after its death once computed (#64, #65)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const r = h.weakref.ref(c);
    const rc = h.weakref.ref(c, () => {});
    const hr = r.hash();
    expect(rc.hash()).toBe(hr); // the same referent, the same hash
    const d = C.new();
    const rd = h.weakref.ref(d);
    d.dispose();
    const out = [`${py(rd.deref())}`, thrown(() => rd.hash()).message];
    c.dispose();
    out.push(`${py(r.deref() === null)} ${py(r.hash() === hr)}`);
    expect(out.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); r=weakref.ref(C()); print(r())\ntry: hash(r)\nexcept TypeError as e: print(e)\nc=C(); r=weakref.ref(c); h=hash(r); del c; print(r() is None, hash(r) == h)",
      ),
    );
    for (const x of [r, rc, rd]) x.dispose();
    sound(h);
  });

  it("equals() compares live referents, else identity (#68)", async () => {
    const h = heap();
    const C = weakClass(h);
    const a = C.new();
    const b = C.new();
    const ra = h.weakref.ref(a);
    const ra2 = h.weakref.ref(a, () => {});
    const rb = h.weakref.ref(b);
    const x = C.new();
    const rx = h.weakref.ref(x);
    x.dispose();
    const y = C.new();
    const ry = h.weakref.ref(y);
    y.dispose();
    expect(`${py(ra.equals(ra2))} ${py(rx.equals(ry))}`).toBe(
      await python(
        "import weakref; C=type('C',(),{}); a=C(); b=C(); print(weakref.ref(a) == weakref.ref(a, print), weakref.ref(C()) == weakref.ref(C()))",
      ),
    );
    expect(ra.equals(rb)).toBe(false);
    a.dispose();
    expect(ra.equals(ra2)).toBe(false); // both dead: identity
    expect(ra2.equals(ra2)).toBe(true);
    for (const z of [b, ra, ra2, rb, rx, ry]) z.dispose();
    sound(h);
  });

  it("equals() compares referents that are weakrefs as weakrefs, as CPython's == does", async () => {
    const h = heap();
    const C = weakClass(h);
    const e = h.engine;
    const B = e.defineClass({ name: "B", base: core.Kind.Weakref, weakrefable: true });
    const a = C.new();
    // Two instances of a ref subclass referring to a: equal to each other, so weakrefs to them are.
    const b1 = h.wrap(core.weakref.newRef(e, a.address, null, B.id));
    const b2 = h.wrap(core.weakref.newRef(e, a.address, null, B.id));
    for (const x of [b1, b2]) core.decref(e, x.address); // the handles own one reference each
    const r1 = h.weakref.ref(b1);
    const r2 = h.weakref.ref(b2, () => {});
    expect(py(r1.equals(r2))).toBe(
      await python(
        "import weakref\nclass C: pass\nclass B(weakref.ref): pass\na = C(); b1 = B(a); b2 = B(a)\nprint(weakref.ref(b1) == weakref.ref(b2, print))",
      ),
    );
    a.dispose(); // b1 and b2 die as weakrefs: they are equal only to themselves now
    expect(r1.equals(r2)).toBe(false);
    for (const z of [r1, r2, b1, b2]) z.dispose();
    sound(h);
  });

  it("can be a dict key, found through another weakref to the same object", () => {
    const h = heap();
    const C = weakClass(h);
    const a = C.new();
    const r = h.weakref.ref(a);
    const rc = h.weakref.ref(a, () => {});
    const d = h.dict();
    d.set(r, "x");
    expect(d.get(rc)).toBe("x");
    d.dispose();
    for (const z of [a, r, rc]) z.dispose();
    sound(h);
  });

  it("has CPython's repr (#69)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const r = h.weakref.ref(c);
    const live = r.toString();
    expect(live).toBe(`<weakref at 0x${r.address.toString(16)}; to 'C' at 0x${c.address.toString(16)}>`);
    c.dispose();
    const out = `${live.slice(0, 9)} ${live.split(";")[1]!.slice(0, 8)}\n${r.toString().split(";")[1]}`;
    expect(out.trim()).toBe(
      await python(
        "import gc, weakref; C=type('C',(),{}); c=C(); r=weakref.ref(c); print(repr(r)[:9], repr(r).split(';')[1][:8]); del c; print(repr(r).split(';')[1])",
      ),
    );
    r.dispose();
    sound(h);
  });
});

describe("weakref callbacks", () => {
  it("receive the dead weakref; callback is the function until it is called, then null", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    let seen: WeakRefHandle | undefined;
    const out: string[] = [];
    const f = (w: WeakRefHandle): void => {
      seen = w;
      out.push(`${py(w.is(r))} ${py(w.deref())} ${py(w.callback)}`);
    };
    const r = h.weakref.ref(c, f);
    out.unshift(py(r.callback === f));
    c.dispose();
    out.push(py(r.callback));
    expect(out.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); c=C(); L=[]\ndef f(w): L.append(f'{w is r} {w()} {w.__callback__}')\nr=weakref.ref(c, f); print(r.__callback__ is f); del c; print(*L); print(r.__callback__)",
      ),
    );
    expect(seen?.released).toBe(true); // the callback's handle is released when it returns
    r.dispose();
    sound(h);
  });

  it("run after the finalizer, which still sees the weakref alive (#55)", async () => {
    const h = heap();
    const L: string[] = [];
    let r: WeakRefHandle | undefined;
    const D = h.defineClass("D", {
      weakrefable: true,
      finalize: (s) => {
        const x = r!.deref();
        L.push(`('del', ${py(x?.is(s) ?? false)})`);
        x?.dispose();
      },
    });
    const d = D.new();
    r = h.weakref.ref(d, (w) => void L.push(`('cb', ${py(w.deref() === null)})`));
    d.dispose();
    expect(py(L)).toBe(
      await python(
        "import gc, weakref; L=[]; D=type('D',(),{'__del__':lambda s: L.append(('del', r() is s))}); d=D(); r=weakref.ref(d, lambda w: L.append(('cb', w() is None))); del d; print(L)",
      ),
    );
    r.dispose();
    sound(h);
  });

  it("run newest first when the collector frees the referent (#54)", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = h.defineClass("C", { weakrefable: true, fields: { me: "self" } });
    const o = C.new();
    o.me = o;
    const L: number[] = [];
    const rs = [0, 1, 2].map((i) => h.weakref.ref(o, () => void L.push(i)));
    o.dispose();
    expect(`${h.gc.collect()} ${py(L)}`).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); o=C(); o.me=o; L=[]; rs=[weakref.ref(o, lambda w, i=i: L.append(i)) for i in range(3)]; del o; print(gc.collect(), L)",
      ),
    );
    for (const r of rs) r.dispose();
    sound(h);
  });

  it("run before the finalizers of a garbage cycle, which then see the weakref dead (#56)", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const L: string[] = [];
    let r: WeakRefHandle | undefined;
    const D = h.defineClass("D", {
      weakrefable: true,
      fields: { me: "self" },
      finalize: () => void L.push(`('del', ${py(r!.deref() === null)})`),
    });
    const d = D.new();
    d.me = d;
    r = h.weakref.ref(d, (w) => void L.push(`('cb', ${py(w.deref() === null)})`));
    d.dispose();
    expect(`${h.gc.collect()} ${py(L)}`).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); L=[]; D=type('D',(),{'__del__':lambda s: L.append(('del', r() is None))}); d=D(); d.me=d; r=weakref.ref(d, lambda w: L.append(('cb', w() is None))); del d; print(gc.collect(), L)",
      ),
    );
    r.dispose();
    sound(h);
  });

  it("never run for a weakref that is garbage itself (#57), nor for one released before its referent", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = h.defineClass("C", { weakrefable: true, fields: { me: "self", wr: "ref" } });
    const L: string[] = [];
    const a = C.new();
    a.me = a;
    const w = h.weakref.ref(a, () => void L.push("'cb'"));
    a.wr = w;
    w.dispose();
    a.dispose();
    h.gc.collect();
    // CPython also counts a's __dict__ (3); this heap's fields are inline, so only L is compared.
    expect(py(L)).toBe(
      (
        await python(
          "import gc, weakref; gc.disable(); gc.collect(); L=[]; C=type('C',(),{}); a=C(); a.me=a; a.wr=weakref.ref(a, lambda w: L.append('cb')); del a; print(gc.collect(), L)",
        )
      ).split(" ")[1],
    );
    const b = C.new();
    const wb = h.weakref.ref(b, () => void L.push("'b'"));
    expect(h.weakref.getWeakRefCount(b)).toBe(1);
    wb.dispose(); // the weakref dies first: it is unlinked
    expect(h.weakref.getWeakRefCount(b)).toBe(0);
    b.dispose();
    expect(L).toEqual([]);
    sound(h);
  });

  it("may free their own weakref, which the collector then counts (#58)", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = h.defineClass("C", { weakrefable: true, fields: { me: "self" } });
    const holder = h.dict();
    const a = C.new();
    a.me = a;
    const w = h.weakref.ref(a, () => void holder.delete("k"));
    holder.set("k", w);
    w.dispose();
    a.dispose();
    expect(`${h.gc.collect()} {${holder.size === 0 ? "" : "…"}}`).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); h={}; a=C(); a.me=a; h['k']=weakref.ref(a, lambda w: h.pop('k')); del a; print(gc.collect(), h)",
      ),
    );
    holder.dispose();
    sound(h);
  });

  it("report an exception to the unraisable hook; the others still run (#80)", async () => {
    const h = heap();
    const reports: string[] = [];
    h.engine.unraisableHook = (err, where) => reports.push(`${where}: ${(err as Error).message}`);
    const C = weakClass(h);
    const c = C.new();
    const L: number[] = [];
    const r1 = h.weakref.ref(c, () => void L.push(1));
    const r2 = h.weakref.ref(c, function failing() {
      throw new Error("division by zero");
    });
    const r3 = h.weakref.ref(c, () => void L.push(3));
    c.dispose();
    expect(py(L)).toBe(
      await python(
        "import weakref; L=[]; C=type('C',(),{}); c=C(); r1=weakref.ref(c, lambda w: L.append(1)); r2=weakref.ref(c, lambda w: 1/0); r3=weakref.ref(c, lambda w: L.append(3)); del c; print(L)",
      ),
    );
    expect(reports).toEqual(["<weakref callback failing>: division by zero"]);
    for (const r of [r1, r2, r3]) r.dispose();
    sound(h);
  });
});

describe("weakref.proxy", () => {
  type CFace = WeakProxy<Handle & { n: number; other: Handle | null; getAttr(name: string): unknown }>;

  it("forwards field reads and writes and method calls to the live referent", () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new({ n: 1 });
    const l = h.list([7]);
    const p = h.weakref.proxy(c) as unknown as CFace;
    expect(p.n).toBe(1);
    p.n = 2;
    expect(c.n).toBe(2);
    p.other = l;
    const o = c.other;
    expect(o?.is(l)).toBe(true);
    o?.dispose();
    c.setAttr("color", "red");
    expect(p.getAttr("color")).toBe("red");
    expect("n" in p).toBe(true);
    expect(p.is(p)).toBe(true); // the proxy's own members: a proxy is not its referent
    expect(p.is(c)).toBe(false);
    expect(p.typeName).toBe("weakref.ProxyType");
    for (const x of [c, l]) x.dispose();
    p.dispose();
    sound(h);
  });

  it("throws HeapReferenceError once the referent is dead (#66)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new({ n: 1 });
    const p = h.weakref.proxy(c) as unknown as CFace;
    const getAttr = p.getAttr; // fetched while alive, called after the death
    c.dispose();
    const errors = [
      thrown(() => p.n),
      thrown(() => {
        p.n = 3;
      }),
      thrown(() => p.getAttr("x")),
      thrown(() => getAttr("x")),
      thrown(() => "n" in p),
    ];
    const message = await python(
      "import weakref; C=type('C',(),{}); p=weakref.proxy(C())\ntry: p.x\nexcept ReferenceError as e: print(e)",
    );
    for (const e of errors) {
      expect(e).toBeInstanceOf(HeapReferenceError);
      expect(e).toMatchObject({ code: ErrorCode.DeadReferent, message });
    }
    p.dispose();
    sound(h);
  });

  it("is unhashable (#67)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const p = h.weakref.proxy(c);
    const d = h.dict();
    expect(() => d.set(p, 1)).toThrow(
      await python(
        "import weakref; C=type('C',(),{}); c=C()\ntry: {weakref.proxy(c): 1}\nexcept TypeError as e: print(e)",
      ),
    );
    expect(d.size).toBe(0);
    d.set("p", p); // as a value it is fine
    expect((d.get("p") as Handle).is(p)).toBe(true);
    for (const x of [c, d, p]) x.dispose();
    sound(h);
  });

  it("has CPython 3.11's repr, dead too (#70)", async () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const p = h.weakref.proxy(c);
    expect(p.toString()).toBe(
      `<weakproxy at 0x${p.address.toString(16)} to C at 0x${c.address.toString(16)}>`,
    );
    c.dispose();
    expect(
      py([
        p
          .toString()
          .split(" ")
          .slice(-3, -2)
          .map((s) => `'${s}'`),
      ]),
    ).toBe(
      `[${await python(
        "import weakref; C=type('C',(),{}); p=weakref.proxy(C()); print(repr(p).split(' ')[-3:-2] or repr(p))",
      )}]`,
    );
    expect(`${p}`).toBe(p.toString()); // a dead proxy still converts to its repr
    p.dispose();
    sound(h);
  });

  it("callbacks receive the dead proxy", () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const out: string[] = [];
    const p = h.weakref.proxy(c, (w) => {
      out.push(String(w.is(p)));
      out.push(thrown(() => w.n).message);
    });
    c.dispose();
    expect(out).toEqual(["true", "weakly-referenced object no longer exists"]);
    p.dispose();
    sound(h);
  });

  it("appear in getweakrefs as faces that are the same proxy", () => {
    const h = heap();
    const C = weakClass(h);
    const c = C.new();
    const p = h.weakref.proxy(c);
    const [w] = h.weakref.getWeakRefs(c);
    expect(w!.is(p)).toBe(true);
    expect(p.is(w!)).toBe(true);
    w!.dispose();
    for (const x of [c, p]) x.dispose();
    sound(h);
  });
});
