/** Handles dropped without being released are reported (FinalizationRegistry), per the heap's policy. */
import { describe, expect, it, vi } from "vitest";
import { ErrorCode, Heap, LeakError } from "../../src/index.js";

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs V8's collector until `done()` (FinalizationRegistry callbacks run as separate tasks). */
async function collectUntil(done: () => boolean): Promise<void> {
  if (gc === undefined) throw new Error("run the tests with --expose-gc (vitest.config.ts does)");
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function dropAList(heap: Heap): void {
  heap.list([1, 2, 3]).own(); // an owned handle made outside any scope and never released
}

function dropAFloatingList(heap: Heap): void {
  heap.list([1, 2, 3]); // a floating handle, never stored nor released
}

function blocks(heap: Heap): number {
  return heap.stats().sizeClasses.reduce((n, c) => n + c.blocksInUse, 0);
}

describe("leak reports", () => {
  it("warn (default): a process warning naming the type and, when checked, where it was made", async () => {
    const heap = new Heap({ checked: true });
    // Captured, not emitted: Node would print the warning, stack and all, into the test output,
    // where it reads like a failure.
    const emitWarning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let warnings: unknown[][] = [];
    try {
      dropAList(heap);
      await collectUntil(() => heap.leaks.length > 0 && emitWarning.mock.calls.length > 0);
    } finally {
      warnings = [...emitWarning.mock.calls]; // mockRestore() forgets the calls
      emitWarning.mockRestore();
    }
    expect(heap.leaks[0]).toMatch(
      /^a handle to a 'list' object at 0x[0-9a-f]+ was dropped without being released; it was made at\n.*dropAList/s,
    );
    expect(warnings).toEqual([
      [
        expect.stringMatching(
          /^refheap: a handle to a 'list' object at 0x[0-9a-f]+ was dropped .*dropAList.*leaked/s,
        ),
        { code: "REFHEAP_LEAKED_HANDLE" },
      ],
    ]);
    heap.close();
  });

  it("warn: heap.close() lists the unreleased handles and says how to release them, and how to see where they were made", () => {
    const heap = new Heap(); // unchecked: no stacks recorded
    const emitWarning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let warnings: unknown[][] = [];
    try {
      const open = heap.dict();
      void open;
      heap.close();
    } finally {
      warnings = [...emitWarning.mock.calls];
      emitWarning.mockRestore();
    }
    expect(warnings).toEqual([
      [
        expect.stringMatching(/^refheap: 1 handle\(s\) were still unreleased at heap\.close\(\):\n/),
        { code: "REFHEAP_LEAKED_HANDLE" },
      ],
    ]);
    const text = warnings[0]![0] as string;
    expect(text).toMatch(/'dict' object .* was not released before close\(\)/);
    expect(text).toMatch(/\nTo release a handle: dispose\(\) it .*heap\.scope.*trackStacks: true/s);
  });

  it("release: the dropped handle's reference is released, freeing the object", async () => {
    const heap = new Heap({ checked: true, leaks: "release" });
    const before = blocks(heap);
    dropAList(heap);
    expect(blocks(heap)).toBeGreaterThan(before);
    await collectUntil(() => heap.leaks.length > 0);
    expect(blocks(heap)).toBe(before);
    expect(heap.verify().problems).toEqual([]);
    heap.close();
  });

  it("release frees a dropped floating handle's object too; under warn it is reported at close, not when V8 collects", async () => {
    const released = new Heap({ checked: true, leaks: "release" });
    const before = blocks(released);
    dropAFloatingList(released);
    await collectUntil(() => released.leaks.length > 0);
    expect(blocks(released)).toBe(before);
    released.close();
    const warned = new Heap({ checked: true, leaks: "throw" });
    dropAFloatingList(warned);
    await collectUntil(() => false); // V8 collects the handle; nothing is reported yet
    expect(warned.leaks).toEqual([]);
    expect(warned.unreleasedHandles().map((r) => r.typeName)).toEqual(["list"]);
    expect(() => warned.close()).toThrow(/'list' object .* was not released before close\(\)/);
  });

  it("throw: heap.close() throws a LeakError listing the dropped and the still-open handles", async () => {
    const heap = new Heap({ checked: true, leaks: "throw" });
    dropAList(heap);
    await collectUntil(() => heap.leaks.length > 0);
    const open = heap.dict();
    let error: unknown;
    try {
      heap.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeakError);
    expect(error).toMatchObject({ code: ErrorCode.LeakedHandles });
    // says what to do (this heap records stacks already: checked mode's default)
    expect((error as Error).message).toMatch(/\nTo release a handle: dispose\(\) it .*heap\.scope/);
    expect((error as Error).message).not.toContain("trackStacks");
    expect((error as LeakError).leaks).toEqual([
      expect.stringMatching(/'list' object .* dropped/),
      expect.stringMatching(
        /^a handle to a 'dict' object at 0x[0-9a-f]+ \(refcount 1\) was not released before close\(\); it was made at\n/,
      ),
    ]);
    expect((error as LeakError).unreleased).toEqual([
      {
        typeName: "dict",
        address: expect.any(Number),
        refcount: 1,
        made: expect.stringContaining("leaks.test"),
      },
    ]);
    expect(() => open.size).toThrow(expect.objectContaining({ code: ErrorCode.HeapClosed }));
  });

  it("handles made inside a scope are never reported: the scope releases them", async () => {
    const heap = new Heap({ checked: true, leaks: "throw" });
    heap.scope(() => dropAList(heap));
    await collectUntil(() => false);
    expect(heap.leaks).toEqual([]);
    heap.close();
  });
});

describe("unreleased handles, listed deterministically", () => {
  /** A linked list a -> b -> c made through handles, every handle kept. */
  function chain(heap: Heap) {
    const Node = heap.defineClass("Node", { fields: { next: "self", n: "number" } });
    const c = Node.new({ n: 3 });
    const b = Node.new({ n: 2, next: c });
    const a = Node.new({ n: 1, next: b });
    return { Node, a, b, c };
  }

  it("unreleasedHandles() names each handle that owns a reference: its class, address and refcount", () => {
    const heap = new Heap({ checked: false, leaks: "warn" });
    const { a, b } = chain(heap); // c and b were stored (sunk into b and a); a was not
    expect(heap.unreleasedHandles()).toEqual([
      { typeName: "Node", address: a.address, refcount: 1, made: undefined },
    ]);
    const list = heap.list([a]); // now a is sunk too
    const kept = b.own(); // an owned handle, listed until disposed
    const byAddress = (r: { address: number }, s: { address: number }): number => r.address - s.address;
    expect(heap.unreleasedHandles().sort(byAddress)).toEqual(
      [
        { typeName: "list", address: list.address, refcount: 1, made: undefined },
        { typeName: "Node", address: b.address, refcount: 2, made: undefined }, // a.next and kept
      ].sort(byAddress),
    );
    const next = a.next; // a read owns nothing: not listed
    expect(next?.ownership).toBe("borrowed");
    expect(heap.unreleasedHandles()).toHaveLength(2);
    kept.dispose();
    expect(heap.unreleasedHandles().map((r) => r.address)).toEqual([list.address]);
    list.dispose();
    expect(heap.unreleasedHandles()).toEqual([]);
    heap.close();
  });

  it("handles a scope owns are not listed; trackStacks records where each one was made, unchecked too", () => {
    const heap = new Heap({ checked: false, trackStacks: true });
    heap.scope(() => {
      heap.list();
      expect(heap.unreleasedHandles()).toEqual([]);
    });
    const d = heap.dict();
    const [report] = heap.unreleasedHandles();
    expect(report).toMatchObject({ typeName: "dict", address: d.address, refcount: 1 });
    expect(report!.made).toMatch(/leaks\.test/);
    d.dispose();
    heap.close();
  });

  it("a tracked stack starts at the program's frame, however deep the heap's own calls go", () => {
    const heap = new Heap({ checked: false, trackStacks: true });
    const Point = heap.defineClass("Point", { fields: { x: "number" } });
    function makePointHere() {
      return Point.new({ x: 1 });
    }
    function makeListHere() {
      return heap.list();
    }
    const p = makePointHere();
    const l = makeListHere();
    const made = heap.unreleasedHandles().map((r) => r.made!.split("\n")[0]!);
    expect(made).toHaveLength(2);
    expect(made.find((line) => line.includes("makePointHere"))).toBeDefined();
    expect(made.find((line) => line.includes("makeListHere"))).toBeDefined();
    p.dispose();
    l.dispose();
    heap.close();
  });

  it("floating handles are listed until sunk, released or owned, in any order (steal path, checked, tracked stacks)", () => {
    for (const checked of [false, true]) {
      for (const trackStacks of [false, true]) {
        const heap = new Heap({ checked, leaks: "throw", trackStacks });
        const C = heap.defineClass("C");
        const listed = () => heap.unreleasedHandles().map((r) => r.address);
        const l = heap.list(); // floating itself
        const [a, b, c] = [C.new(), C.new(), C.new()];
        l.append(a); // sunk while b and c, made after it, still float
        expect(a.ownership).toBe("borrowed");
        expect(heap.sys.getRefCount(a)).toBe(2); // the list's reference and the argument's: no leftover
        expect(listed().sort()).toEqual([l.address, b.address, c.address].sort());
        c.dispose();
        expect(listed().sort()).toEqual([l.address, b.address].sort());
        const owned = b.own(); // now owned: listed once, as an owned handle
        expect(owned).toBe(b);
        l.append(b); // an owned handle is not sunk: the list takes a reference of its own
        expect(heap.sys.getRefCount(b)).toBe(3);
        expect(listed().sort()).toEqual([l.address, b.address].sort());
        b.dispose();
        expect(listed()).toEqual([l.address]);
        // More than the list's first capacity, sunk last to first and first to last.
        const many = Array.from({ length: 300 }, () => C.new());
        for (let i = many.length - 1; i >= 150; i--) l.append(many[i]!);
        expect(listed()).toHaveLength(151);
        for (let i = 0; i < 150; i++) l.append(many[i]!);
        expect(listed()).toEqual([l.address]);
        expect(l.length).toBe(302); // a, b and the 300
        const d = C.new();
        expect(listed().sort()).toEqual([l.address, d.address].sort());
        d.dispose();
        l.dispose();
        heap.close(); // throws if anything is still listed
      }
    }
  });

  it("close() under 'warn' lists them in one warning, without waiting for V8", () => {
    const heap = new Heap({ checked: true });
    const kept = Array.from({ length: 12 }, (_, i) => heap.list([i]));
    const emitWarning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let warnings: unknown[][] = [];
    try {
      heap.close();
    } finally {
      warnings = [...emitWarning.mock.calls];
      emitWarning.mockRestore();
    }
    expect(warnings).toHaveLength(1);
    const [message, options] = warnings[0] as [string, unknown];
    expect(options).toEqual({ code: "REFHEAP_LEAKED_HANDLE" });
    expect(message).toMatch(/^refheap: 12 handle\(s\) were still unreleased at heap\.close\(\):\n/);
    expect(message.match(/a handle to a 'list' object at 0x[0-9a-f]+ \(refcount 1\)/g)).toHaveLength(10);
    expect(message).toMatch(/… and 2 more \(heap\.unreleasedHandles\(\) lists them\)\nTo release a handle: /);
    expect(message).not.toContain("trackStacks"); // a checked heap records stacks already
    expect(kept[0]!.released).toBe(false);
  });

  it("close() under 'throw' reports the same list whether or not V8 has collected anything", () => {
    const heap = new Heap({ checked: false, leaks: "throw" });
    const { a } = chain(heap);
    const address = a.address;
    const listed = heap.unreleasedHandles();
    let error: unknown;
    try {
      heap.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeakError);
    expect((error as LeakError).unreleased).toEqual(listed);
    expect((error as LeakError).leaks).toHaveLength(1); // b and c were stored: only a owns a reference
    expect((error as LeakError).message).toContain(`'Node' object at 0x${address.toString(16)} (refcount 1)`);
  });

  it("a heap with leaks: 'off' tracks nothing and says so", () => {
    const heap = new Heap({ leaks: "off" });
    heap.list();
    expect(() => heap.unreleasedHandles()).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/leaks: "off"/),
      }),
    );
    heap.close();
  });
});
