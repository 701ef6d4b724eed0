/**
 * weakref.finalize and heap.shutdown() (Lib/weakref.py, class finalize and its _exitfunc),
 * compared with CPython where the output matters. CPython's interpreter exit is reproduced in the
 * snippets with `atexit._run_exitfuncs()` (the reference runner exits without shutdown).
 */
import { describe, expect, it } from "vitest";
import type { Finalize, Handle, Heap, ListHandle } from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";
import { heap, py, sound } from "./api-helpers.js";

/** A recording unraisable hook: "where: message" per report. */
function recordUnraisable(h: Heap): string[] {
  const reports: string[] = [];
  h.engine.unraisableHook = (err, where) => reports.push(`${where}: ${(err as Error).message}`);
  return reports;
}

describe("weakref.finalize", () => {
  it("runs when its object dies, once; alive and atexit follow (#71)", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const out: string[] = [];
    const o = C.new();
    const f = h.weakref.finalize(o, (s: string) => void out.push(s), "finalized");
    out.push(`${py(f.alive)} ${py(f.atExit)}`);
    o.dispose();
    out.push(`${py(f.alive)} ${py(f.call())}`);
    expect(out.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); o=C(); f=weakref.finalize(o, print, 'finalized'); print(f.alive, f.atexit); del o; print(f.alive, f())",
      ),
    );
    sound(h);
  });

  it("call() runs func at most once and returns its result; the object's death then does nothing", () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const o = C.new();
    let runs = 0;
    const f = h.weakref.finalize(
      o,
      (a: number, b: string) => {
        runs++;
        return `${a}${b}`;
      },
      4,
      "2",
    );
    expect(f.call()).toBe("42");
    expect(f.alive).toBe(false);
    expect(f.atExit).toBe(false);
    expect(f.call()).toBeUndefined();
    o.dispose();
    h.shutdown();
    expect(runs).toBe(1);
    sound(h);
  });

  it("hands func its own handles to the arguments and returns a handle result as a new handle", () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const o = C.new();
    const l = h.list([1]).own(); // kept by the test (a Python variable): the finalizer does not take it
    const before = h.sys.getRefCount(l);
    const f = h.weakref.finalize(
      o,
      (x: ListHandle) => {
        expect(x.is(l)).toBe(true);
        expect(x).not.toBe(l);
        return x;
      },
      l,
    );
    expect(h.sys.getRefCount(l)).toBe(before + 1); // the finalizer holds its arguments
    const r = f.call();
    expect(r?.is(l)).toBe(true);
    r?.dispose();
    // The finalizer's reference and func's handle are gone; only the result was extra.
    expect(h.sys.getRefCount(l)).toBe(before);
    o.dispose();
    l.dispose();
    sound(h);
  });

  it("does not keep its object alive, but an argument referring to the object does (CPython's pitfall)", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    // Without such an argument, the object dies (and the finalizer runs) as soon as it is released.
    const p = C.new();
    let ran = false;
    h.weakref.finalize(p, () => {
      ran = true;
    });
    p.dispose();
    expect(ran).toBe(true);

    const out: string[] = [];
    const L: string[] = [];
    const o = C.new();
    const r = h.weakref.ref(o);
    const f = h.weakref.finalize(
      o,
      (x: Handle) => {
        const live = r.deref();
        L.push(py(live !== null && x.is(live)));
        live?.dispose();
      },
      o,
    );
    o.dispose(); // the finalizer's argument still holds the object
    const still = r.deref();
    out.push(`${py(still !== null)} ${py(f.alive)} [${L.join(", ")}]`);
    still?.dispose();
    h.shutdown();
    out.push(`${py(r.deref())} ${py(f.alive)} [${L.join(", ")}]`);
    expect(out.join("\n")).toBe(
      await python(
        "import weakref, atexit; C=type('C',(),{}); L=[]; o=C(); r=weakref.ref(o); f=weakref.finalize(o, lambda x: L.append(x is r()), o); del o; print(r() is not None, f.alive, L); atexit._run_exitfuncs(); print(r(), f.alive, L)",
      ),
    );
    r.dispose();
    sound(h);
  });

  it("peek() and detach() return the object, func and arguments; detach() kills the finalizer", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const out: string[] = [];
    const L: Handle[] = [];
    const append = (x: Handle) => void L.push(x.dup());
    const o = C.new();
    const a = C.new().own(); // kept by the test: the finalizer does not take it
    const n = h.sys.getRefCount(a);
    const f = h.weakref.finalize(o, append, a);
    const p = f.peek()!;
    out.push(`${py(p.obj.is(o))} ${py(p.func === append)} ${py(p.args[0].is(a))} ${py(f.alive)}`);
    const d = f.detach()!;
    out.push(`${py(d.obj.is(o))} ${py(f.alive)} ${py(f.detach())} ${py(f.peek())} ${py(f.call())}`);
    for (const x of [p.obj, ...p.args, d.obj, ...d.args]) x.dispose();
    o.dispose();
    out.push(`[${L.join(", ")}]`);
    expect(out.join("\n")).toBe(
      await python(
        "import weakref; C=type('C',(),{}); o=C(); L=[]; a=C(); f=weakref.finalize(o, L.append, a); p=f.peek(); print(p[0] is o, p[1] == L.append, p[2][0] is a, f.alive); d=f.detach(); print(d[0] is o, f.alive, f.detach(), f.peek(), f()); del o, p, d; print(L)",
      ),
    );
    expect(h.sys.getRefCount(a)).toBe(n); // the detached finalizer released its argument
    a.dispose();
    sound(h);
  });

  it("peek() and detach() give null once the object is dead", () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const o = C.new();
    const f = h.weakref.finalize(o, () => 1);
    o.dispose();
    expect(f.peek()).toBeNull();
    expect(f.detach()).toBeNull();
    f.atExit = true; // no effect on a dead finalizer
    expect(f.atExit).toBe(false);
    sound(h);
  });

  it("has CPython's repr, with its index for an address", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const o = C.new();
    const f = h.weakref.finalize(o, () => null);
    const g = h.weakref.finalize(o, () => null);
    expect(f.toString()).toBe(`<finalize object at #0; for 'C' at 0x${o.address.toString(16)}>`);
    expect(g.toString()).toMatch(/^<finalize object at #1; /);
    const live = f.toString().split(";")[1]!.split(" at ")[0]!.trim();
    o.dispose();
    expect(`${live}\n${f.toString().split(";")[1]!.trim()}`).toBe(
      await python(
        "import weakref; C=type('C',(),{}); o=C(); f=weakref.finalize(o, lambda: None); print(repr(f).split(';')[1].split(' at ')[0].strip()); del o; print(repr(f).split(';')[1].strip())",
      ),
    );
    sound(h);
  });

  it("refuses objects that cannot have weak references, with CPython's TypeError", async () => {
    const h = heap();
    const C = h.defineClass("C");
    const c = C.new();
    const l = h.list();
    const n = h.sys.getRefCount(l);
    expect(() => h.weakref.finalize(1 as unknown as Handle, () => null)).toThrow(
      await python("import weakref\ntry: weakref.finalize(1, print)\nexcept TypeError as e: print(e)"),
    );
    expect(() => h.weakref.finalize(c, (_x: ListHandle) => null, l)).toThrow(
      "cannot create weak reference to 'C' object",
    );
    expect(() => h.weakref.finalize(l, () => null)).toThrow("cannot create weak reference to 'list' object");
    expect(h.sys.getRefCount(l)).toBe(n); // nothing was kept of the refused finalizer's arguments
    // A released handle as an argument is refused before anything is registered.
    const W = h.defineClass("W", { weakrefable: true });
    const w = W.new();
    const gone = h.list();
    gone.dispose();
    expect(() => h.weakref.finalize(w, (_x: Handle) => null, gone)).toThrow(/already released/);
    expect(h.weakref.getWeakRefCount(w)).toBe(0);
    w.dispose();
    c.dispose();
    l.dispose();
    sound(h);
  });

  it("reports an exception thrown at the object's death to the unraisable hook; the other callbacks still run", async () => {
    const h = heap();
    const reports = recordUnraisable(h);
    const C = h.defineClass("C", { weakrefable: true });
    const out: string[] = [];
    const o = C.new();
    const f = h.weakref.finalize(o, () => {
      throw new Error("boom");
    });
    const r = h.weakref.ref(o, () => void out.push("'cb'"));
    const g = h.weakref.finalize(o, (s: string) => void out.push(`'${s}'`), "g");
    o.dispose();
    expect(`[${out.join(", ")}] ${py(f.alive)} ${py(g.alive)}`).toBe(
      await python(
        "import weakref\nC=type('C',(),{}); L=[]\ndef boom(): raise ValueError('boom')\no=C(); f=weakref.finalize(o, boom); r=weakref.ref(o, lambda w: L.append('cb')); g=weakref.finalize(o, L.append, 'g'); del o; print(L, f.alive, g.alive)",
      ),
    );
    expect(reports).toEqual(["<weakref callback <finalize object at #0>>: boom"]);
    r.dispose();
    sound(h);
  });

  it("lets an exception thrown by func propagate from call(), and is dead afterwards", () => {
    const h = heap();
    const reports = recordUnraisable(h);
    const C = h.defineClass("C", { weakrefable: true });
    const o = C.new();
    const a = C.new().own(); // kept by the test: the finalizer does not take it
    const n = h.sys.getRefCount(a);
    const f = h.weakref.finalize(
      o,
      (_x: Handle) => {
        throw new Error("boom");
      },
      a,
    );
    expect(() => f.call()).toThrow("boom");
    expect(f.alive).toBe(false);
    expect(h.sys.getRefCount(a)).toBe(n);
    expect(h.weakref.getWeakRefCount(o)).toBe(0); // its weakref is gone too
    o.dispose();
    expect(reports).toEqual([]);
    a.dispose();
    sound(h);
  });

  it("runs for an object in a garbage cycle when the collector frees it", async () => {
    const h = heap();
    h.gc.disable();
    h.gc.collect();
    const C = h.defineClass("C", { weakrefable: true, fields: { me: "self" } });
    const L: string[] = [];
    const o = C.new();
    o.me = o;
    const f = h.weakref.finalize(o, (s: string) => void L.push(`'${s}'`), "fin");
    o.dispose();
    const out = [`[${L.join(", ")}] ${py(f.alive)}`];
    const n = h.gc.collect();
    out.push(`${n} [${L.join(", ")}] ${py(f.alive)}`);
    // 2: the cycle, plus the finalizer's weakref, freed by its own callback (handle_weakrefs counts it).
    expect(out.join("\n")).toBe(
      await python(
        "import gc, weakref; gc.disable(); gc.collect(); C=type('C',(),{}); o=C(); o.me=o; L=[]; f=weakref.finalize(o, L.append, 'fin'); del o; print(L, f.alive); print(gc.collect(), L, f.alive)",
      ),
    );
    sound(h);
  });
});

describe("heap.shutdown()", () => {
  it("runs the live finalizers newest first (#72)", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const out: string[] = [];
    const os = [C.new(), C.new(), C.new()];
    for (const [i, o] of os.entries()) {
      h.weakref.finalize(o, (s: string, j: number) => void out.push(`${s} ${j}`), "fin", i);
    }
    out.push("end");
    h.shutdown();
    expect(out.join("\n")).toBe(
      await python(
        "import weakref, atexit; C=type('C',(),{}); os=[C() for _ in range(3)]; [weakref.finalize(o, print, 'fin', i) for i, o in enumerate(os)]; print('end'); atexit._run_exitfuncs()",
      ),
    );
    for (const o of os) o.dispose();
    sound(h);
  });

  it("disables the collector while the finalizers run, then re-enables it", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const L: string[] = [];
    const os = [C.new(), C.new(), C.new()];
    for (const [i, o] of os.entries()) {
      h.weakref.finalize(o, (j: number) => void L.push(`(${j}, ${py(h.gc.isEnabled())})`), i);
    }
    h.shutdown();
    expect(`[${L.join(", ")}] ${py(h.gc.isEnabled())}`).toBe(
      await python(
        "import weakref, gc, atexit; C=type('C',(),{}); L=[]; os=[C() for _ in range(3)]; [weakref.finalize(o, lambda i: L.append((i, gc.isenabled())), i) for i, o in enumerate(os)]; atexit._run_exitfuncs(); print(L, gc.isenabled())",
      ),
    );
    for (const o of os) o.dispose();
    // A collector disabled before shutdown stays disabled.
    const h2 = heap();
    const D = h2.defineClass("D", { weakrefable: true });
    const d = D.new();
    h2.weakref.finalize(d, () => null);
    h2.gc.disable();
    h2.shutdown();
    expect(h2.gc.isEnabled()).toBe(false);
    d.dispose();
    sound(h2);
    sound(h);
  });

  it("never runs finalizers whose atexit is false, nor any finalizer after it", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const L: string[] = [];
    const push = (s: string) => void L.push(`'${s}'`);
    const a = C.new();
    const b = C.new();
    const f1 = h.weakref.finalize(a, push, "a");
    const f2 = h.weakref.finalize(b, push, "b");
    f2.atExit = false;
    const out = [py(f2.atExit)];
    h.shutdown();
    const list = () => `[${L.join(", ")}]`;
    out.push(`${list()} ${py(f1.alive)} ${py(f2.alive)} ${py(f2.call())} ${py(f2.alive)} ${list()}`);
    const c = C.new();
    const f3 = h.weakref.finalize(c, push, "c");
    c.dispose();
    out.push(`${py(f3.alive)} ${list()}`);
    expect(out.join("\n")).toBe(
      await python(
        "import weakref, atexit; C=type('C',(),{}); a=C(); b=C(); L=[]; f1=weakref.finalize(a, L.append, 'a'); f2=weakref.finalize(b, L.append, 'b'); f2.atexit=False; print(f2.atexit); atexit._run_exitfuncs(); print(L, f1.alive, f2.alive, f2(), f2.alive, L); c=C(); f3=weakref.finalize(c, L.append, 'c'); del c; print(f3.alive, L)",
      ),
    );
    a.dispose();
    b.dispose();
    sound(h);
  });

  it("is idempotent, and does not close the heap", () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const a = C.new();
    const b = C.new();
    let runs = 0;
    h.weakref.finalize(a, () => runs++);
    const kept = h.weakref.finalize(b, () => runs++);
    kept.atExit = false;
    h.shutdown();
    h.shutdown();
    expect(runs).toBe(1);
    expect(kept.alive).toBe(true); // a second shutdown does not touch the remaining finalizers
    const l = h.list([1, 2]); // the heap is still open
    expect(l.length).toBe(2);
    l.dispose();
    a.dispose();
    b.dispose();
    expect(kept.alive).toBe(false);
    expect(runs).toBe(1);
    sound(h);
  });

  it("re-selects its list when a finalizer makes a finalizer: the new one runs next", async () => {
    const h = heap();
    const C = h.defineClass("C", { weakrefable: true });
    const L: string[] = [];
    const push = (s: string) => void L.push(`'${s}'`);
    const a = C.new();
    const c = C.new();
    const d = C.new();
    h.weakref.finalize(a, push, "a");
    h.weakref.finalize(c, () => {
      push("c");
      h.weakref.finalize(d, push, "d");
    });
    h.shutdown();
    expect(`[${L.join(", ")}]`).toBe(
      await python(
        "import weakref, atexit; C=type('C',(),{}); a=C(); c=C(); d=C(); L=[]; weakref.finalize(a, L.append, 'a'); weakref.finalize(c, lambda: (L.append('c'), weakref.finalize(d, L.append, 'd'))); atexit._run_exitfuncs(); print(L)",
      ),
    );
    for (const o of [a, c, d]) o.dispose();
    sound(h);
  });

  it("reports a finalizer's exception to the unraisable hook and runs the others", () => {
    const h = heap();
    const reports = recordUnraisable(h);
    const C = h.defineClass("C", { weakrefable: true });
    const L: number[] = [];
    const os = [C.new(), C.new(), C.new()];
    const fs: Finalize[] = os.map((o, i) =>
      h.weakref.finalize(o, () => {
        if (i === 1) throw new Error(`boom ${i}`);
        L.push(i);
      }),
    );
    h.shutdown();
    expect(L).toEqual([2, 0]);
    expect(reports).toEqual([`<finalize object at #1; for 'C' at 0x${os[1]!.address.toString(16)}>: boom 1`]);
    expect(fs.map((f) => f.alive)).toEqual([false, false, false]);
    for (const o of os) o.dispose();
    sound(h);
  });
});
