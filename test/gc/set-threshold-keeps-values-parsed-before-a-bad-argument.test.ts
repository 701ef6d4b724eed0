/**
 * Regression: CPython 3.11's gc.set_threshold parses its arguments straight into the collector's
 * thresholds (PyArg_ParseTuple "i|ii" with the generations' threshold fields as targets), so the
 * values before a rejected argument are stored even though TypeError is raised:
 * gc.set_threshold(5, 'x') → TypeError, and get_threshold() is then (5, 10, 10).
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { newHeap, python } from "./gc-helpers.js";

it("set_threshold(5, 'x') raises but keeps threshold0 = 5, as CPython does", async () => {
  const h = newHeap();
  expect(() => core.gc.setThreshold(h, 5, "x")).toThrow("'str' object cannot be interpreted as an integer");
  const ours = `(${core.gc.getThreshold(h).join(", ")})`;
  expect(ours).toBe(
    await python(
      "import gc\ntry:\n    gc.set_threshold(5, 'x')\nexcept TypeError:\n    pass\nprint(gc.get_threshold())",
    ),
  );
  expect(ours).toBe("(5, 10, 10)");
});
