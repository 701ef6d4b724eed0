/**
 * Where there is no `process` (a browser), the default reports — an exception a finalizer throws
 * (CPython's "Exception ignored in"), the collector's debug output, a leak warning at close — go to
 * console.error / console.warn. They used to call process.stderr.write or process.emitWarning,
 * so a finalizer that threw made dispose() fail with "ReferenceError: process is not defined".
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Heap } from "../../src/index.js";

const realProcess = globalThis.process;

/** Runs `fn` with globalThis.process undefined (restored before anything is asserted). */
function withoutProcess(fn: () => void): void {
  vi.stubGlobal("process", undefined);
  try {
    fn();
  } finally {
    vi.unstubAllGlobals();
  }
}

afterEach(() => {
  expect(globalThis.process).toBe(realProcess);
  vi.restoreAllMocks();
});

describe("default reports without a process global", () => {
  it("a finalizer that throws is reported on console.error, and dispose() still works", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const C = heap.defineClass("C", {
      finalize: () => {
        throw new Error("boom");
      },
    });
    const c = C.new();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    let thrown: unknown;
    withoutProcess(() => {
      try {
        c.dispose();
      } catch (e) {
        thrown = e;
      }
    });
    expect(thrown).toBeUndefined();
    expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([
      expect.stringMatching(/^Exception ignored in: <finalizer of 'C' object at 0x[0-9a-f]+>\nError: boom/),
    ]);
    heap.close();
  });

  it("the collector's debug output and the leak warning at close go to the console", () => {
    const heap = new Heap({ checked: true });
    heap.gc.setDebug(heap.gc.DEBUG_STATS);
    heap.list(); // never released: reported at close
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    withoutProcess(() => {
      heap.gc.collect();
      heap.close();
    });
    expect(
      errors.mock.calls.some((call) => String(call[0]).startsWith("gc: collecting generation 2...")),
    ).toBe(true);
    expect(warnings.mock.calls.map((call) => String(call[0]))).toEqual([
      expect.stringMatching(/^refheap: 1 handle\(s\) were still unreleased at heap\.close\(\):\n.*'list'/s),
    ]);
  });
});
