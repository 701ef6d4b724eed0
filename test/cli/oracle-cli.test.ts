/**
 * `refheap oracle run|diff` and `refheap fuzz` through main(argv, io): outputs, JSON, and the exit
 * codes for good and bad arguments.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { CORPUS_DIR } from "../../src/oracle/index.js";
import { capture } from "./cli-helpers.js";

const SCENARIO = join(CORPUS_DIR, "hand-007-two-instance-cycle.txt");

describe("refheap oracle", () => {
  it("run prints refheap's events, which equal the recorded CPython log's, without an unexplained baseline line", async () => {
    const recorded = readFileSync(SCENARIO.replace(/\.txt$/, ".log"), "utf8");
    const c = capture();
    expect(await main(["oracle", "run", SCENARIO], c.io)).toBe(0);
    expect(recorded).toMatch(/^baseline \d+\n/);
    expect(c.out()).toBe(recorded.slice(recorded.indexOf("\n") + 1));
    expect(c.out()).not.toMatch(/^baseline/m);
    expect(c.out()).toMatch(/\nalive \[.*\]\n$/);
  });

  it("run --verbose also prints the baseline line: the output is the recorded log, line for line", async () => {
    const c = capture();
    expect(await main(["oracle", "run", "--verbose", SCENARIO], c.io)).toBe(0);
    expect(c.out()).toBe(readFileSync(SCENARIO.replace(/\.txt$/, ".log"), "utf8"));
    expect(c.out()).toMatch(/^baseline \d+\n/);
  });

  it("run --help says what the baseline line is", async () => {
    const c = capture();
    expect(await main(["oracle", "run", "--help"], c.io)).toBe(0);
    // Commander wraps the help to the terminal's width.
    expect(c.out().replace(/\s+/g, " ")).toContain(
      "--verbose also print the log's first line, `baseline N` (the N long-lived objects generation 2 starts with)",
    );
  });

  it("diff runs both and reports no divergence", async () => {
    const c = capture();
    expect(await main(["oracle", "diff", SCENARIO], c.io)).toBe(0);
    expect(c.out()).toMatch(/^no divergence \(\d+ events\)\n$/);
  });

  it("a missing file and a malformed scenario are errors with exit code 2", async () => {
    const c = capture();
    expect(await main(["oracle", "run", "no-such-file.txt"], c.io)).toBe(2);
    expect(c.err()).toContain("no such file: no-such-file.txt");
    const dir = mkdtempSync(join(tmpdir(), "refheap-oracle-"));
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, "new a\n");
    const d = capture();
    expect(await main(["oracle", "run", bad], d.io)).toBe(2);
    expect(d.err()).toContain("line 1");
  });

  it("diff of a scenario the python runner rejects is an error with exit code 2, not an unhandled rejection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refheap-oracle-"));
    const file = join(dir, "wm-throw.txt");
    // refheap's parser accepts a WeakMethod callback that throws; runner.py refuses it
    writeFileSync(file, "class A cb\nnew o A\nwm w o.cb throw\n");
    const c = capture();
    expect(await main(["oracle", "diff", file], c.io)).toBe(2);
    expect(c.err()).toContain("a WeakMethod's callback cannot throw");
    expect(c.out()).toBe("");
  });
});

describe("refheap fuzz", () => {
  it("--json prints {scenarios, divergences} for a seed whose scenarios all agree", async () => {
    const c = capture();
    const out = mkdtempSync(join(tmpdir(), "refheap-fuzz-"));
    expect(await main(["fuzz", "--count", "6", "--seed", "2026", "--json", "--out", out], c.io)).toBe(0);
    const report = JSON.parse(c.out()) as { scenarios: number; divergences: number; seed: number };
    expect(report).toMatchObject({ scenarios: 6, divergences: 0, seed: 2026 });
    expect(readdirSync(out)).toEqual([]);
  });

  it("--count is required and must be a positive integer", async () => {
    const c = capture();
    expect(await main(["fuzz"], c.io)).toBe(2);
    expect(c.err()).toContain("--count");
    const d = capture();
    expect(await main(["fuzz", "--count", "0"], d.io)).toBe(2);
    expect(d.err()).toContain("positive integer");
  });
});
