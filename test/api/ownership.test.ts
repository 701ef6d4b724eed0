/**
 * The ownership model (docs/decisions.md §30): reads give borrowed handles, constructors floating
 * ones that their first store sinks, own() owns explicitly. Code written as ordinary TypeScript —
 * walks, nested constructors, iteration, gc.garbage, getReferrers — leaves nothing to release, and
 * the counts it sees are CPython's for the same code written with temporaries.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode, type Handle, Heap, type InstanceOf } from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";

function nodes(leaks: "throw" | "off" = "throw") {
  const heap = new Heap({ checked: true, leaks });
  const Node = heap.defineClass("Node", {
    fields: { next: "self", n: "number", child: "ref" },
    weakrefable: true,
  });
  return { heap, Node };
}

/** A linked list head → … of `n` nodes built with nested constructors; returns the head (floating). */
function chain(Node: ReturnType<typeof nodes>["Node"], n: number) {
  let head: InstanceOf<typeof Node> | null = null;
  for (let i = n; i > 0; i--) {
    const next = head;
    head = Node.new({ n: i, next }); // the previous head is stored in the new one: sunk
  }
  return head!;
}

describe("reads are borrowed", () => {
  it("a walk over a list leaves no handle to release, and the counts are Python's", async () => {
    const { heap, Node } = nodes();
    const base = heap.verify().objects;
    const head = chain(Node, 5);
    let sum = 0;
    const seen: number[] = [];
    for (let p: InstanceOf<typeof Node> | null = head; p !== null; p = p.next) {
      sum += p.n;
      seen.push(heap.sys.getRefCount(p));
    }
    expect(sum).toBe(15);
    expect(heap.unreleasedHandles().map((r) => r.typeName)).toEqual(["Node"]); // the head only
    // Python: each node after the head is held by its predecessor only; a walk's variable adds one.
    const mid = heap.sys.getRefCount(head.next!.next!);
    expect(`${heap.sys.getRefCount(head)} ${mid}`).toBe(
      await python(
        [
          "import sys",
          "class Node:\n    def __init__(self, n, next): self.n = n; self.next = next",
          "head = None",
          "for i in range(5, 0, -1): head = Node(i, head)",
          "print(sys.getrefcount(head), sys.getrefcount(head.next.next))",
        ].join("\n"),
      ),
    );
    expect(seen.slice(1)).toEqual([2, 2, 2, 2]); // the predecessor's field and the argument
    head.dispose(); // frees the whole chain
    expect(heap.verify().objects).toBe(base);
    heap.close(); // "throw": nothing left
  });

  it("iteration, indexing, dict entries and attributes are borrowed too", () => {
    const { heap, Node } = nodes();
    const list = heap.list<InstanceOf<typeof Node>>([Node.new({ n: 1 }), Node.new({ n: 2 })]);
    const dict = heap.dict<string, Handle>([["a", Node.new({ n: 3 })]]);
    const total = [...list].reduce((s, x) => s + x.n, 0);
    expect(total).toBe(3);
    expect(list.get(0).ownership).toBe("borrowed");
    expect(dict.get("a")!.ownership).toBe("borrowed");
    for (const [, v] of dict) expect(v.ownership).toBe("borrowed");
    expect(heap.sys.getRefCount(list.get(1))).toBe(2); // the list's, the argument's
    expect(
      heap
        .unreleasedHandles()
        .map((r) => r.typeName)
        .sort(),
    ).toEqual(["dict", "list"]);
    list.dispose();
    dict.dispose();
    heap.close();
  });

  it("a borrowed handle whose object was freed says so and touches nothing", () => {
    const { heap, Node } = nodes("off");
    const list = heap.list<InstanceOf<typeof Node>>([Node.new({ n: 1 })]);
    const item = list.get(0);
    list.clear(); // frees the node
    expect(() => item.n).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    expect(() => item.n).toThrow(/borrowed handle .* own\(\)/s);
    // Its block reused by an object of another type, then by one of the same type: still stale.
    const other = heap.dict();
    const again = Node.new({ n: 9 });
    expect(() => item.n).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    item.dispose(); // releasing a borrowed handle does nothing, even a stale one
    expect(again.n).toBe(9);
    other.dispose();
    again.dispose();
    list.dispose();
    expect(heap.verify().problems).toEqual([]);
    heap.close();
  });

  it("gc.garbage and gc.getReferrers give borrowed handles, nothing to release", () => {
    const { heap, Node } = nodes();
    heap.gc.disable();
    const a = Node.new({ n: 1 });
    const holder = heap.list([a]);
    const referrers = heap.gc.getReferrers(a);
    expect(referrers.map((r) => r.typeName)).toEqual(["list"]);
    expect(referrers[0]!.ownership).toBe("borrowed");
    expect(heap.gc.garbage.ownership).toBe("borrowed");
    expect(heap.gc.garbage.length).toBe(0);
    holder.dispose();
    heap.close();
  });
});

describe("constructors float; the first store sinks", () => {
  it("nested constructors and appends leak nothing, with CPython's counts", async () => {
    const { heap, Node } = nodes();
    const root = Node.new({ n: 0, child: Node.new({ n: 1 }) });
    const list = heap.list<InstanceOf<typeof Node>>();
    for (let i = 0; i < 3; i++) list.append(Node.new({ n: i }));
    const counts = [heap.sys.getRefCount(root.child as Handle), heap.sys.getRefCount(list.get(0))];
    expect(counts.join(" ")).toBe(
      await python(
        [
          "import sys",
          "class Node:\n    def __init__(self, n, child=None): self.n = n; self.child = child",
          "root = Node(0, Node(1)); l = []",
          "for i in range(3): l.append(Node(i))",
          "print(sys.getrefcount(root.child), sys.getrefcount(l[0]))",
        ].join("\n"),
      ),
    );
    expect(
      heap
        .unreleasedHandles()
        .map((r) => r.typeName)
        .sort(),
    ).toEqual(["Node", "list"]);
    root.dispose();
    list.dispose();
    heap.close(); // "throw": the children went with their holders
  });

  it("a floating handle never stored is the program's: dispose, `using`, a scope, or a leak report", () => {
    const { heap, Node } = nodes();
    const n = Node.new();
    expect(n.ownership).toBe("floating");
    heap.scope(() => {
      Node.new(); // released with the scope
    });
    {
      using m = Node.new();
      expect(m.ownership).toBe("floating");
    }
    expect(heap.unreleasedHandles()).toHaveLength(1);
    expect(() => heap.close()).toThrow(expect.objectContaining({ code: ErrorCode.LeakedHandles }));
  });

  it("own() keeps an object past its container: a floating handle stops floating, a borrowed one gets an owner", () => {
    const { heap, Node } = nodes();
    const a = Node.new({ n: 1 }).own();
    expect(a.ownership).toBe("owned");
    const list = heap.list<InstanceOf<typeof Node>>([a]); // an owned handle is not sunk: both own a reference
    expect(heap.sys.getRefCount(a)).toBe(3);
    const kept = list.get(0).own();
    expect(kept.ownership).toBe("owned");
    list.dispose();
    expect(kept.n).toBe(1);
    expect(heap.sys.getRefCount(kept)).toBe(3); // a's, kept's, the argument's
    kept.dispose();
    a.dispose();
    heap.close();
  });

  it("a store of an object into itself does not sink it (it would be a cycle nothing outside holds)", () => {
    const { heap, Node } = nodes();
    const n = Node.new();
    n.next = n;
    expect(n.ownership).toBe("floating");
    expect(heap.gc.collect()).toBe(0); // the program's handle keeps it
    n.dispose();
    expect(heap.gc.collect()).toBe(1);
    heap.close();
  });

  it("a cycle of sunk handles is garbage once stored: own() what the program keeps", () => {
    const { heap, Node } = nodes();
    const a = Node.new();
    const b = Node.new();
    a.next = b; // b sunk into a
    b.next = a; // a sunk into b: nothing outside holds the pair
    expect([a.ownership, b.ownership]).toEqual(["borrowed", "borrowed"]);
    expect(heap.gc.collect()).toBe(2);
    expect(() => a.n).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    const c = Node.new().own();
    const d = Node.new().own();
    c.next = d;
    d.next = c;
    expect(heap.gc.collect()).toBe(0);
    c.dispose();
    d.dispose();
    expect(heap.gc.collect()).toBe(2);
    heap.close();
  });

  it("a constructor that fails leaves its arguments' floating handles floating", () => {
    const { heap, Node } = nodes();
    const other = new Heap({ leaks: "off" });
    const foreign = other.list();
    const n = Node.new({ n: 5 });
    expect(() => heap.list([n, foreign])).toThrow(expect.objectContaining({ code: ErrorCode.WrongHeap }));
    expect(n.ownership).toBe("floating");
    expect(n.n).toBe(5);
    expect(heap.sys.getRefCount(n)).toBe(2);
    n.dispose();
    heap.close();
    other.close();
  });

  it("a dict that keeps its existing equal key does not take the new key's reference", () => {
    const { heap } = nodes();
    const d = heap.dict();
    d.set(heap.tuple(1, 2), "x");
    const t2 = heap.tuple(1, 2);
    d.set(t2, "y"); // the dict keeps its first key object
    expect(t2.ownership).toBe("floating");
    expect(heap.sys.getRefCount(t2)).toBe(2);
    expect(d.get(t2)).toBe("y");
    t2.dispose();
    d.dispose();
    heap.close();
  });

  it("weakref.finalize holds its arguments: a floating argument sinks into it", () => {
    const { heap, Node } = nodes();
    const target = Node.new({ n: 1 });
    const seen: number[] = [];
    const arg = Node.new({ n: 7 });
    heap.weakref.finalize(target, (x: Handle) => seen.push((x as InstanceOf<typeof Node>).n), arg);
    expect(arg.ownership).toBe("borrowed");
    expect(heap.sys.getRefCount(arg)).toBe(2); // the finalizer's, the argument's
    target.dispose(); // the finalizer runs, then lets its argument go
    expect(seen).toEqual([7]);
    expect(() => arg.n).toThrow(expect.objectContaining({ code: ErrorCode.StaleHandle }));
    heap.close(); // "throw": nothing left
  });

  it("new references from pops and weak lookups float, so storing them moves them", () => {
    const { heap, Node } = nodes();
    const from = heap.list<InstanceOf<typeof Node>>([Node.new({ n: 1 })]);
    const to = heap.list<InstanceOf<typeof Node>>();
    to.append(from.pop());
    expect(heap.sys.getRefCount(to.get(0))).toBe(2);
    const target = to.get(0);
    const wr = heap.weakref.ref(target);
    const cache = heap.dict<string, Handle>();
    cache.set("k", wr.deref()!);
    expect(heap.sys.getRefCount(target)).toBe(3); // to, cache, the argument
    wr.dispose();
    for (const x of [from, to, cache]) x.dispose();
    heap.close();
  });
});

describe("proxies", () => {
  it("a popped proxy is a floating handle that keeps the proxy object alive", () => {
    const { heap, Node } = nodes();
    const target = Node.new({ n: 3 }).own();
    const list = heap.list([heap.weakref.proxy(target)]); // the proxy is the list's
    const popped = list.pop() as unknown as { n: number; ownership: string; dispose(): void };
    expect(popped.ownership).toBe("floating");
    expect(popped.n).toBe(3); // the proxy object is alive: the pop's reference is the handle's
    popped.dispose();
    list.dispose();
    target.dispose();
    heap.close();
  });
});

describe("async code", () => {
  it("a borrowed handle stays valid across an await while its container holds the object", async () => {
    const { heap, Node } = nodes();
    await using list = heap.list<InstanceOf<typeof Node>>([Node.new({ n: 7 })]);
    const item = list.get(0);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(item.n).toBe(7);
    const kept = item.own();
    list.clear();
    await Promise.resolve();
    expect(kept.n).toBe(7);
    kept.dispose();
  });
});
