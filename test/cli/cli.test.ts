import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatDeallocBench, runDeallocBench, WEAK_CACHE_PY } from "../../src/cli/demos.js";
import { main } from "../../src/cli/main.js";
import { capture } from "./cli-helpers.js";

/** The Python program the refcount demo mirrors, printing one count per line. */
const REFCOUNT_PY = `
import sys
class Node: pass
a = Node(); print(sys.getrefcount(a))
b = a; print(sys.getrefcount(a))
del b; print(sys.getrefcount(a))
def f(p, q): print(sys.getrefcount(p))
f(a, a)
print(sys.getrefcount(a))
`;

function python3(): string | null {
  try {
    return execFileSync("python3", ["-c", "import sys; print(sys.version_info[:2] == (3, 11))"], {
      encoding: "utf8",
    });
  } catch {
    return null;
  }
}

describe("refheap demo refcount", () => {
  it("prints CPython 3.11's counts: 2, 3, 2, 4, 2", async () => {
    const c = capture();
    expect(await main(["demo", "refcount"], c.io)).toBe(0);
    const counts = [...c.out().matchAll(/ (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts).toEqual([2, 3, 2, 4, 2]);
    // When CPython 3.11 is installed, the same program must print the same numbers.
    if (python3()?.trim() === "True") {
      const py = execFileSync("python3", ["-c", REFCOUNT_PY], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map(Number);
      expect(counts).toEqual(py);
    }
  });
});

describe("refheap demo dealloc-bench", () => {
  it("times the build and the drop and computes per-object times in nanoseconds", () => {
    const r = runDeallocBench(2, 1000);
    expect(r.runs).toBe(2);
    expect(r.buildMs).toBeGreaterThan(0);
    const text = formatDeallocBench({ runs: 100, objects: 100_000, buildMs: 500, dropMs: 670 });
    // 670 ms over 10 million objects is 67 ns each (the seed's "0.1 ns" was a units slip).
    expect(text).toMatch(/6\.70 ms per run\s+67\.0 ns per object/);
    expect(text).toMatch(/total:\s+1\.170 s/);
  });
});

/** The per-run rows of the cycles demo: run, make ms, collect ms, what collect() returned. */
function cyclesRows(out: string): { run: number; makeMs: number; collectMs: number; returned: number }[] {
  return [...out.matchAll(/^ {2} *(\d+) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+)$/gm)].map((m) => ({
    run: Number(m[1]),
    makeMs: Number(m[2]),
    collectMs: Number(m[3]),
    returned: Number(m[4]),
  }));
}

describe("refheap demo cycles", () => {
  it("runs 20 × 50,000 cycles; every collect() returns the 100,000 objects that run made", async () => {
    const c = capture();
    expect(await main(["demo", "cycles"], c.io)).toBe(0);
    const out = c.out();
    expect(out).toMatch(/^cycles: 20 runs × 50,000 two-object cycles/);
    expect(out).toMatch(/automatic collection is disabled while the cycles are made/);
    const rows = cyclesRows(out);
    expect(rows.map((r) => r.run)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // 2 objects per cycle, all found by the timed collect(): none were freed while being made.
    for (const r of rows) expect(r.returned).toBe(100_000);
    for (const r of rows) expect(r.collectMs).toBeGreaterThan(0);
    // The summary is computed from the rows printed above it.
    const summary = out.match(
      /^summary: make median ([\d.]+) ms \(min ([\d.]+), max ([\d.]+)\); collect median ([\d.]+) ms \(min ([\d.]+), max ([\d.]+)\); collect\(\) returned 100000 every run$/m,
    );
    expect(summary).not.toBeNull();
    const [, , makeMin, makeMax, collectMedian, collectMin, collectMax] = summary!.map(Number);
    expect(makeMin).toBe(Math.min(...rows.map((r) => r.makeMs)));
    expect(makeMax).toBe(Math.max(...rows.map((r) => r.makeMs)));
    expect(collectMin).toBe(Math.min(...rows.map((r) => r.collectMs)));
    expect(collectMax).toBe(Math.max(...rows.map((r) => r.collectMs)));
    expect(collectMedian).toBeGreaterThanOrEqual(collectMin!);
    expect(collectMedian).toBeLessThanOrEqual(collectMax!);
  });

  it("takes hidden --runs and --cycles; more cycles than the gen-0 threshold are still all found by collect()", async () => {
    const c = capture();
    // 2,000 objects per run: with automatic collection on, gen-0 collections would free most first.
    expect(await main(["demo", "cycles", "--runs", "3", "--cycles", "1000"], c.io)).toBe(0);
    expect(c.out()).toMatch(/^cycles: 3 runs × 1,000 two-object cycles/);
    expect(cyclesRows(c.out()).map((r) => [r.run, r.returned])).toEqual([
      [1, 2000],
      [2, 2000],
      [3, 2000],
    ]);
    expect(c.out()).toMatch(/collect\(\) returned 2000 every run$/m);
  });

  it("rejects a --runs or --cycles that is not a positive integer", async () => {
    for (const argv of [
      ["demo", "cycles", "--runs", "0"],
      ["demo", "cycles", "--cycles", "1.5"],
    ]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err()).toMatch(/expected a positive integer/);
      expect(c.out()).toBe("");
    }
  });
});

describe("refheap demo weak-cache", () => {
  it("prints the lines CPython prints for the same image-cache program; the entry goes with the last strong reference", async () => {
    const c = capture();
    expect(await main(["demo", "weak-cache"], c.io)).toBe(0);
    const lines = c
      .out()
      .split("\n")
      .filter((l) => l.startsWith("  "))
      .map((l) => l.trim());
    expect(lines).toEqual([
      "miss: loading cat.png",
      "hit: cat.png",
      "img1 is img2? True",
      "keys before: ['cat.png']",
      "after del img1: ['cat.png']",
      "keys after: []",
    ]);
    if (python3()?.trim() === "True") {
      const py = execFileSync("python3", ["-c", WEAK_CACHE_PY], { encoding: "utf8" }).trim().split("\n");
      expect(lines).toEqual(py);
    }
  });
});

describe("refheap demo (no name)", () => {
  it("runs every demo in order: refcount, dealloc-bench, cycles, weak-cache", async () => {
    const c = capture();
    expect(await main(["demo", "--runs", "2", "--cycles", "100"], c.io)).toBe(0);
    const out = c.out();
    const starts = [
      /^refcount: /m,
      /dealloc-bench: /,
      /^cycles: 2 runs × 100 two-object cycles/m,
      /^weak-cache: /m,
    ].map((re) => out.search(re));
    for (const i of starts) expect(i).toBeGreaterThanOrEqual(0);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(cyclesRows(out).map((r) => r.returned)).toEqual([200, 200]);
  });
});

describe("command line", () => {
  it("rejects an unknown demo with a non-zero exit and a message naming the choices", async () => {
    const c = capture();
    expect(await main(["demo", "nope"], c.io)).toBe(2);
    expect(c.err()).toMatch(
      /unknown demo 'nope'; choose one of: refcount, dealloc-bench, cycles, weak-cache/,
    );
  });

  it("prints help for every command", async () => {
    const commands = ["demo", "stats", "bench", "oracle", "fuzz"];
    for (const argv of [["--help"], ...commands.map((name) => [name, "--help"])]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(0);
      expect(c.out()).toMatch(/Usage: refheap/);
    }
  });

  it("rejects an unknown command", async () => {
    const c = capture();
    expect(await main(["frobnicate"], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown command/);
  });

  it("stats prints the allocator statistics in _debugmallocstats' shape", async () => {
    const c = capture();
    expect(await main(["stats"], c.io)).toBe(0);
    expect(c.out()).toMatch(/^Small block threshold = 512, in 32 size classes\./);
    expect(c.out()).toMatch(/# arenas allocated current\s+=\s+1\n/);
    // 16-byte blocks hold exactly the 3,334 field-less instances (GC head 8 + header 8 bytes).
    expect(c.out()).toMatch(/^ {4}0 {5}16 +\d+ +3334 +\d+$/m);
  });

  it("stats then prints the collector's statistics: every one of the 3,000 dropped cycles was collected", async () => {
    const c = capture();
    expect(await main(["stats"], c.io)).toBe(0);
    const section = c.out().slice(c.out().indexOf("collector ("));
    const rows = [...section.matchAll(/^ +(\d) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$/gm)].map((m) =>
      m.slice(1).map(Number),
    );
    expect(rows.map((r) => r[0])).toEqual([0, 1, 2]);
    expect(rows.map((r) => r[1])).toEqual([700, 10, 10]); // CPython 3.11's default thresholds
    const collected = rows.reduce((sum, r) => sum + r[5]!, 0);
    expect(collected).toBe(6000);
    // After the final collect(), the survivors (the list and its 10,000 instances) are in generation 2.
    expect(rows[2]![3]).toBeGreaterThanOrEqual(10_001);
    expect(section).toMatch(/# found by the last collect\(\) += +\d+\n/);
  });
});
