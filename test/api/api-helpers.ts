/** Helpers shared by the handle-API tests: a checked heap, its final soundness check, Python's str(). */
import { expect } from "vitest";
import { Heap } from "../../src/index.js";

/** A checked heap without leak reports (tests release what they must and check soundness). */
export function heap(): Heap {
  return new Heap({ checked: true, leaks: "off" });
}

/** Asserts the heap verifier finds nothing wrong, then closes the heap. */
export function sound(h: Heap): void {
  expect(h.verify().problems).toEqual([]);
  h.close();
}

/** Python's str() of what the tests print: True/False/None, lists as [a, b]. */
export function py(v: unknown): string {
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === undefined || v === null) return "None";
  if (Array.isArray(v)) return `[${v.map(py).join(", ")}]`;
  return String(v);
}
