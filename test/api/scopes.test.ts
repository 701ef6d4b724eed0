/**
 * Scopes hand their result to the caller; async functions are refused by scopes (with a message
 * that says what to do instead); `await using` releases handles in async code, and two async
 * tasks interleaving on one heap leave nothing behind.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode, type Handle, Heap } from "../../src/index.js";

function nodeHeap() {
  const heap = new Heap({ checked: true, leaks: "throw" });
  const Node = heap.defineClass("Node", { fields: { next: "self", n: "number" }, weakrefable: true });
  return { heap, Node };
}

describe("a scope's result", () => {
  it("is handed to the caller: the program owns it, everything else made inside is released", () => {
    const { heap, Node } = nodeHeap();
    let loose: ReturnType<typeof Node.new> | undefined;
    let inner: ReturnType<typeof Node.new> | undefined;
    const kept = heap.scope(() => {
      loose = Node.new({ n: 0 }); // never stored: the scope releases it
      inner = Node.new({ n: 1 });
      return Node.new({ n: 2, next: inner }); // inner is stored in it (sunk)
    });
    expect(loose!.released).toBe(true);
    expect(inner!.ownership).toBe("borrowed");
    expect(inner!.n).toBe(1); // alive: kept's next holds it
    expect(kept.released).toBe(false);
    expect(kept.n).toBe(2);
    expect(heap.sys.getRefCount(kept)).toBe(2); // the handle's reference, the argument's
    expect(heap.unreleasedHandles().map((r) => r.address)).toEqual([kept.address]);
    kept.dispose();
    heap.close(); // "throw": nothing is left
  });

  it("in a nested scope, belongs to the enclosing scope and is released when that one ends", () => {
    const { heap, Node } = nodeHeap();
    let fromInner: Handle | undefined;
    heap.scope(() => {
      fromInner = heap.scope(() => Node.new({ n: 1 }));
      expect(fromInner.released).toBe(false);
      expect(heap.unreleasedHandles()).toEqual([]); // owned by the outer scope, not the program
    });
    expect(fromInner!.released).toBe(true);
    heap.close();
  });

  it("keeps its owner when the scope did not make it, and a proxy's face survives too", () => {
    const { heap, Node } = nodeHeap();
    const outside = Node.new({ n: 7 });
    expect(heap.scope(() => outside)).toBe(outside);
    expect(heap.unreleasedHandles()).toHaveLength(1);
    const face = heap.scope(() => heap.weakref.proxy(outside));
    expect((face as unknown as { n: number }).n).toBe(7);
    expect(heap.unreleasedHandles()).toHaveLength(2);
    (face as unknown as Handle).dispose();
    outside.dispose();
    heap.close();
  });

  it("a handle released with its scope says how to keep one", () => {
    const { heap, Node } = nodeHeap();
    let made: Handle | undefined;
    heap.scope(() => {
      made = Node.new();
    });
    expect(() => made!.address).toThrow(
      expect.objectContaining({
        code: ErrorCode.HandleReleased,
        message: expect.stringMatching(/end of the heap\.scope it was made in.*return it from the scope/),
      }),
    );
    heap.close();
  });
});

describe("scopes and async code", () => {
  it("an async function is refused before it runs", () => {
    const { heap } = nodeHeap();
    let ran = false;
    const body = async (): Promise<void> => {
      ran = true;
    };
    for (const run of [() => heap.scope(body), () => heap.call(body)]) {
      expect(run).toThrow(
        expect.objectContaining({
          code: ErrorCode.InvalidArgument,
          message: expect.stringMatching(/await using/),
        }),
      );
    }
    expect(ran).toBe(false);
    heap.close();
  });

  it("a function that returns a promise ends its scope with an error, releasing what it made", async () => {
    const { heap, Node } = nodeHeap();
    let made: Handle | undefined;
    let later: Promise<void> | undefined;
    expect(() =>
      heap.scope(() => {
        made = Node.new();
        later = Promise.resolve();
        return later;
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
    await later;
    expect(made!.released).toBe(true);
    heap.close();
  });

  it("`await using` releases handles and heaps at the end of their block", async () => {
    let seen: Handle | undefined;
    let closed: Heap | undefined;
    {
      await using heap = new Heap({ checked: true, leaks: "throw" });
      closed = heap;
      const Node = heap.defineClass("Node", { fields: { n: "number" } });
      {
        await using n = Node.new({ n: 1 });
        await Promise.resolve();
        seen = n;
        expect(n.n).toBe(1); // still valid after the await
      }
      expect(seen.released).toBe(true);
      expect(heap.unreleasedHandles()).toEqual([]);
    }
    expect(() => closed!.list()).toThrow(expect.objectContaining({ code: ErrorCode.HeapClosed }));
  });

  it("two async tasks interleave making, storing and releasing handles on one heap", async () => {
    const { heap, Node } = nodeHeap();
    const shared = heap.list();
    const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const log: string[] = [];
    async function task(name: string, first: number, waits: number[]): Promise<void> {
      let prev: ReturnType<typeof Node.new> | null = null;
      for (const [i, ms] of waits.entries()) {
        await using node = Node.new({ n: first + i, next: prev });
        shared.append(node); // sinks it: the list owns it, node is borrowed (its disposal does nothing)
        log.push(`${name}${i}`);
        await pause(ms); // the other task runs meanwhile
        expect(node.n).toBe(first + i); // valid across the await
        expect(heap.verify().problems).toEqual([]);
        prev?.dispose();
        prev = node.dup(); // kept past this iteration's block
      }
      prev?.dispose();
    }
    await Promise.all([task("a", 100, [3, 1, 4, 1]), task("b", 200, [1, 5, 1, 2])]);
    expect(log.sort()).toEqual(["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]);
    expect(shared.length).toBe(8);
    // Each node is held by the list and by its successor's `next`, except each chain's last; the
    // iteration's handles are borrowed and add nothing.
    const counts = [...shared].map((n) => heap.sys.getRefCount(n as Handle) - 1); // without the argument's
    expect(counts.filter((c) => c === 2).length).toBe(6);
    expect(counts.filter((c) => c === 1).length).toBe(2);
    expect(heap.unreleasedHandles().map((r) => r.typeName)).toEqual(["list"]);
    shared.dispose();
    heap.gc.collect();
    expect(heap.verify().problems).toEqual([]);
    heap.close();
  });
});
