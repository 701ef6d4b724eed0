import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { ErrorCode, type Handle, Heap, HeapTypeError, hostField } from "../../src/index.js";

function heap(): Heap {
  return new Heap({ checked: true, leaks: "throw" });
}
function sound(h: Heap): void {
  expect(h.verify().problems).toEqual([]);
}

describe("handles", () => {
  it("own one reference each; dispose and `using` release it", () => {
    const h = heap();
    const Node = h.defineClass("Node");
    const a = Node.new();
    expect(h.sys.getRefCount(a)).toBe(2); // like a Python local: one binding + the argument
    const b = a.dup();
    expect(h.sys.getRefCount(a)).toBe(3);
    expect(b.is(a)).toBe(true);
    b.dispose();
    b.dispose(); // idempotent
    {
      using c = a.dup();
      expect(h.sys.getRefCount(c)).toBe(3);
    }
    expect(h.sys.getRefCount(a)).toBe(2);
    a.dispose();
    sound(h);
    h.close();
  });

  it("detect use after release", () => {
    const h = heap();
    const l = h.list([1, 2]);
    l.dispose();
    expect(() => l.length).toThrow(expect.objectContaining({ code: ErrorCode.HandleReleased }));
    expect(() => l.push(3)).toThrow(/already released/);
    h.close();
  });

  it("detect an object freed behind their back (references over-released through the engine)", () => {
    const h = new Heap({ checked: false });
    const Node = h.defineClass("Node");
    const a = Node.new();
    const addr = a.address;
    core.decref(h.engine, addr); // frees the object although `a` still owns a reference
    const other = Node.new(); // reuses the block (LIFO) with a new reuse tag
    expect(other.address).toBe(addr);
    expect(() => a.typeName).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    other.dispose();
  });

  it("refuse handles from another heap, and any use after close()", () => {
    const h1 = heap();
    const h2 = heap();
    const l1 = h1.list();
    const l2 = h2.list();
    expect(() => l1.push(l2)).toThrow(expect.objectContaining({ code: ErrorCode.WrongHeap }));
    l1.dispose();
    l2.dispose();
    h1.close();
    expect(() => h1.list()).toThrow(expect.objectContaining({ code: ErrorCode.HeapClosed }));
    h2.close();
  });
});

describe("classes with typed fields", () => {
  it("generate accessors that take and release references", () => {
    const h = heap();
    const Node = h.defineClass("Node", {
      fields: { next: "self", n: "number", label: "str", flag: "bool", any: "any" },
    });
    const a = Node.new({ n: 1, label: "a" });
    const b = Node.new({ n: 2 }).own(); // kept by the test, as a Python variable: a store does not take it
    a.next = b;
    expect(h.sys.getRefCount(b)).toBe(3);
    const next = a.next;
    expect(next?.is(b)).toBe(true);
    expect(next?.n).toBe(2);
    next?.dispose();
    expect(a.label).toBe("a");
    expect(b.label).toBe(null);
    a.flag = true;
    expect(a.flag).toBe(true);
    a.any = "text";
    expect(a.any).toBe("text");
    a.any = 3.5;
    expect(a.any).toBe(3.5);
    a.next = null;
    expect(h.sys.getRefCount(b)).toBe(2);
    expect(Node.fieldNames).toEqual(["any", "flag", "label", "n", "next"]);
    a.dispose();
    b.dispose();
    sound(h);
    h.close();
  });

  it("reject values of the wrong type with a clear error", () => {
    const h = heap();
    const Leaf = h.defineClass("Leaf");
    const Tree = h.defineClass("Tree", { fields: { left: Leaf, size: "number" } });
    const t = Tree.new();
    const other = Tree.new();
    expect(() => {
      (t as unknown as { size: unknown }).size = "big";
    }).toThrow(HeapTypeError);
    expect(() => {
      t.left = other as never;
    }).toThrow(/Tree.left holds Leaf instances; got <Tree object at 0x[0-9a-f]+>/);
    expect(() => h.defineClass("Bad", { fields: { dispose: "number" } })).toThrow(
      /cannot be named 'dispose'/,
    );
    t.dispose();
    other.dispose();
    h.close();
  });

  it("run finalizers with a handle to the object, which may resurrect it", () => {
    const h = heap();
    const log: string[] = [];
    const saved = h.list();
    const R = h.defineClass("R", {
      fields: { n: "number" },
      finalize: (self) => {
        log.push(`del ${self.n}`);
        if (self.n === 2) saved.push(self);
      },
    });
    R.new({ n: 1 }).dispose();
    const r2 = R.new({ n: 2 });
    r2.dispose();
    expect(log).toEqual(["del 1", "del 2"]);
    expect(saved.length).toBe(1);
    const back = saved.get(0) as Handle;
    expect(h.gc.isFinalized(back)).toBe(true);
    back.dispose();
    saved.dispose(); // the resurrected object dies for good, without a second finalizer call
    expect(log).toEqual(["del 1", "del 2"]);
    sound(h);
    h.close();
  });

  it("give dynamic classes attributes in insertion order", () => {
    const h = heap();
    const P = h.defineClass("P", { dynamic: true });
    const p = P.new();
    p.setAttr("x", 1);
    p.setAttr("y", "why");
    expect(p.getAttr("x")).toBe(1);
    expect(p.getAttr("y")).toBe("why");
    expect(p.getAttr("z")).toBe(undefined);
    expect(p.delAttr("x")).toBe(true);
    expect(p.delAttr("x")).toBe(false);
    p.dispose();
    sound(h);
    h.close();
  });
});

describe("host values", () => {
  it("are closed exactly when replaced or when their object is deallocated", () => {
    const h = heap();
    const closed: string[] = [];
    const File = h.defineClass("File", {
      fields: { fd: hostField<string>((fd) => closed.push(fd)), next: "self" },
    });
    const a = File.new({ fd: "a.txt" });
    const b = File.new({ fd: "b.txt" });
    a.next = b;
    b.dispose(); // still referenced by a: nothing closed
    expect(closed).toEqual([]);
    a.fd = "a2.txt"; // replacing closes the old value
    expect(closed).toEqual(["a.txt"]);
    expect(a.fd).toBe("a2.txt");
    a.dispose(); // a dies, then b
    expect(closed).toEqual(["a.txt", "a2.txt", "b.txt"]);
    sound(h);
    h.close();
  });

  it("report a failing close through the unraisable hook and keep going", () => {
    const h = heap();
    const reports: string[] = [];
    h.engine.unraisableHook = (err, where) => reports.push(`${where}: ${(err as Error).message}`);
    const Sock = h.defineClass("Sock", {
      fields: {
        s: hostField<number>(() => {
          throw new Error("EBADF");
        }),
      },
    });
    Sock.new({ s: 3 }).dispose();
    expect(reports).toEqual([
      expect.stringMatching(/^<host value release of 'Sock' object at 0x[0-9a-f]+>: EBADF$/),
    ]);
    sound(h);
    h.close();
  });
});

describe("containers", () => {
  it("lists behave like arrays and follow Python's semantics", () => {
    const h = heap();
    const l = h.list([1, "two", true, null]);
    expect(l.length).toBe(4);
    expect(l.toArray()).toEqual([1, "two", true, null]);
    expect(l.get(-1)).toBe(null);
    l.set(0, 10);
    expect(l.push(5, 6)).toBe(6);
    l.append(7);
    expect(l.pop()).toBe(7);
    expect(l.pop()).toBe(6);
    expect(l.pop(0)).toBe(10);
    l.delete(0);
    expect([...l]).toEqual([true, null, 5]);
    expect(() => l.get(7)).toThrow(/out of range/);
    l.clear();
    expect(l.length).toBe(0);
    expect(() => l.pop()).toThrow(/pop from empty list/);
    l.dispose();
    sound(h);
    h.close();
  });

  it("tuples are read-only array-likes", () => {
    const h = heap();
    h.scope(() => {
      const t = h.tuple(1, "a", null);
      expect(t.length).toBe(3);
      expect(t.toArray()).toEqual([1, "a", null]);
      expect(h.tuple().is(h.tuple())).toBe(true); // the empty tuple is a singleton
    });
    sound(h);
    h.close();
  });

  it("dicts are Map-like, ordered, with Python's key equality", () => {
    const h = heap();
    h.scope(() => {
      const d = h.dict({ a: 1, b: "two" });
      d.set(1, "one");
      d.set(true, "true"); // True == 1: replaces the value
      expect(d.size).toBe(3);
      expect(d.get(1)).toBe("true");
      expect(d.get("missing")).toBe(undefined);
      expect(d.has("a")).toBe(true);
      expect([...d.keys()]).toEqual(["a", "b", 1]);
      expect(d.delete("a")).toBe(true);
      expect([...d.entries()]).toEqual([
        ["b", "two"],
        [1, "true"],
      ]);
      const k = h.tuple(1, 2);
      d.set(k, "pair");
      expect(d.get(h.tuple(1, 2))).toBe("pair"); // tuples compare by content
      expect(() => {
        for (const [key] of d) d.set(`${String(key)}!`, 0);
      }).toThrow(/dictionary changed size during iteration/);
      expect(() => d.set(h.list(), 1)).toThrow(/unhashable type: 'list'/);
    });
    sound(h);
    h.close();
  });
});

describe("scopes and calls", () => {
  it("a scope releases every handle made inside it, even when it throws", () => {
    const h = heap();
    const Node = h.defineClass("Node");
    const before = h.stats().sizeClasses.reduce((n, c) => n + c.blocksInUse, 0);
    h.scope(() => {
      for (let i = 0; i < 100; i++) Node.new();
    });
    expect(() =>
      h.scope(() => {
        Node.new();
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(h.stats().sizeClasses.reduce((n, c) => n + c.blocksInUse, 0)).toBe(before);
    const kept = h.scope((scope) => scope.escape(Node.new()));
    expect(kept.released).toBe(false);
    expect(h.sys.getRefCount(kept)).toBe(2);
    kept.dispose();
    sound(h);
    h.close();
  });

  it("a call holds a reference to each argument for its duration, as a CPython frame does", () => {
    const h = heap();
    const Node = h.defineClass("Node");
    const a = Node.new();
    const seen = h.call((p, q) => [h.sys.getRefCount(p as Handle), h.sys.getRefCount(q as Handle)], a, a);
    expect(seen).toEqual([4, 4]);
    expect(h.sys.getRefCount(a)).toBe(2);
    const returned = h.call(() => Node.new());
    expect(h.sys.getRefCount(returned)).toBe(2);
    returned.dispose();
    a.dispose();
    sound(h);
    h.close();
  });
});
