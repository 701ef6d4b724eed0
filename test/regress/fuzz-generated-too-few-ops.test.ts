/**
 * fast-check's default "size" capped generated arrays at about ten elements, so the engine fuzz
 * test ran only ~6 operations per sequence and missed a leaked reference in listSetItem. This
 * guards the generator settings: sequences must be long enough to reach deep states.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { opsArb } from "../fuzz/arbitraries.js";

it("the engine fuzz test's sequences average more than 50 operations", () => {
  const lengths = fc.sample(opsArb, { seed: 1, numRuns: 200 });
  const mean = lengths.reduce((n, a) => n + a.length, 0) / lengths.length;
  expect(mean).toBeGreaterThan(50);
});
