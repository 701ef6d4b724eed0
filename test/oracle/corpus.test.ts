/**
 * The golden corpus (docs/oracle.md): every scenario in oracle/corpus is replayed on refheap and
 * its log compared with the one CPython 3.11 printed when it was recorded (`npm run
 * oracle:record`). No python is needed here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { baselineOf, corpusEntries, recordedLog, runScenario } from "../../src/oracle/index.js";

const entries = corpusEntries();

describe("golden corpus", () => {
  it("holds at least 300 scenarios, each with its recorded CPython log", () => {
    expect(entries.length).toBeGreaterThanOrEqual(300);
    for (const e of entries) expect(recordedLog(e)[0]).toMatch(/^baseline \d+$/);
  });

  for (const e of entries) {
    it(e.name, () => {
      const expected = recordedLog(e);
      const text = readFileSync(e.scenarioPath, "utf8");
      expect(runScenario(text, { longLived: baselineOf(expected) })).toEqual(expected);
    });
  }
});
