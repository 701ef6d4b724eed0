import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatDeallocBench, runDeallocBench } from "../../src/cli/demos.js";
import { type Io, main } from "../../src/cli/main.js";

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

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

describe("command line", () => {
  it("rejects an unknown demo with a non-zero exit and a message naming the choices", async () => {
    const c = capture();
    expect(await main(["demo", "nope"], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown demo 'nope'; choose one of: refcount, dealloc-bench/);
  });

  it("prints help for every command", async () => {
    for (const argv of [["--help"], ["demo", "--help"], ["stats", "--help"]]) {
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
});
