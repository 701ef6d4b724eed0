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
  heap.list([1, 2, 3]); // made outside any scope and never released
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
    expect((error as LeakError).leaks).toEqual([
      expect.stringMatching(/'list' object .* dropped/),
      "1 handle(s) were still unreleased at close()",
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
