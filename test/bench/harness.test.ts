/**
 * The benchmark harness's pure parts (src/bench/): the fragmented heap's shuffle — the same
 * permutation in TypeScript and in bench/python/w2.py — and the heap it builds on both sides,
 * the interleaving, the statistics and table layout, and the timing notes.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHILD_NODE_FLAGS, rotated } from "../../src/bench/children.js";
import { formatTable, MIN_TIMED_NS, summarize, timingJson, timingNotes } from "../../src/bench/report.js";
import { SHUFFLE_SEED, shuffledOrder, xorshift32 } from "../../src/bench/shuffle.js";
import { makeVariant, W1_GC_THRESHOLDS, w1Specs } from "../../src/bench/w1.js";
import { makeW2Variant, W2_CHILD_IDS } from "../../src/bench/w2.js";

const hasPython = spawnSync("python3", ["--version"]).status === 0;
const W2_PY = fileURLToPath(new URL("../../bench/python/w2.py", import.meta.url));

/** Runs bench/python/w2.py with `args`; its JSON. */
function w2py(args: string[]): Record<string, unknown> {
  const r = spawnSync("python3", [W2_PY, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`w2.py ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("the fragmented heap's shuffle", () => {
  it("xorshift32 is Marsaglia's (13, 17, 5): from 1, the outputs Python's integers compute too", () => {
    const outputs: number[] = [];
    let x = 1;
    for (let i = 0; i < 3; i++) {
      x = xorshift32(x);
      outputs.push(x);
    }
    expect(outputs).toEqual([270369, 67634689, 2647435461]);
    // Unsigned 32-bit throughout, even where the JavaScript operators go through signed values.
    let y = SHUFFLE_SEED;
    for (let i = 0; i < 10_000; i++) {
      y = xorshift32(y);
      expect(y >>> 0).toBe(y);
      expect(y).not.toBe(0);
    }
  });

  it("is a permutation of 0 … n−1, the same on every call, and another for another seed", () => {
    for (const n of [0, 1, 2, 7, 1000]) {
      const order = shuffledOrder(n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(shuffledOrder(n)).toEqual(order);
    }
    const order = shuffledOrder(1000);
    expect(order.filter((v, i) => v === i).length).toBeLessThan(10); // shuffled, not the identity
    expect(shuffledOrder(1000, 12345)).not.toEqual(order);
    expect(() => shuffledOrder(10, 0)).toThrow(/nonzero seed/);
    expect(() => shuffledOrder(-1)).toThrow(RangeError);
  });

  it.skipIf(!hasPython)("bench/python/w2.py draws the same permutation", () => {
    for (const n of [1, 10, 1000]) {
      const py = w2py(["shuffle", "--n", String(n)]);
      expect(py.seed).toBe(SHUFFLE_SEED);
      expect(py.order).toEqual([...shuffledOrder(n)]);
    }
  });

  it("refheap: every live object takes the block the shuffle meant for it; the pause finds no garbage", () => {
    const n = 20_000;
    const v = makeW2Variant(W2_CHILD_IDS.fragmented, n);
    expect(v.placed).toBe(n);
    v.warmUp();
    expect(v.round().returned).toBe(0);
    v.finish(); // throws if a block is left allocated
    expect(makeW2Variant(W2_CHILD_IDS.pause, 10).placed).toBeNull();
  });

  it.skipIf(!hasPython)("CPython: every live object takes the block the shuffle meant for it", () => {
    const py = w2py(["fragmented", "--n", "20000", "--rounds", "1", "--warmup", "1"]);
    expect(py).toMatchObject({ n: 20_000, seed: SHUFFLE_SEED, placed: 20_000, returned: [0] });
  });
});

describe("W1 with automatic collection on", () => {
  it("has a refheap row per class, unchecked, at CPython's default thresholds, and the floor's; the others have it off", () => {
    expect(W1_GC_THRESHOLDS).toEqual([700, 10, 10]);
    const on = w1Specs.filter((s) => s.automaticCollection === true);
    expect(on.map((s) => s.name)).toEqual([
      "refheap Empty (unchecked, steal, gc on)",
      "refheap Node (unchecked, steal, gc on)",
      "floor: hand-written exact work, gc on (this machine)",
    ]);
    expect(w1Specs.filter((s) => s.runtime === "V8").every((s) => s.automaticCollection === null)).toBe(true);
    expect(new Set(w1Specs.map((s) => s.id)).size).toBe(w1Specs.length);
  });

  it("its variants build and drop a list and leave nothing behind", () => {
    for (const spec of w1Specs.filter((s) => s.automaticCollection === true)) {
      const v = makeVariant(spec.id);
      const t = v.round(5000);
      expect(t.buildNs).toBeGreaterThanOrEqual(0);
      v.checkClean();
    }
  });
});

describe("the harness's plumbing", () => {
  it("rotated: each repetition runs every variant once, and each variant leads once per cycle", () => {
    const items = ["a", "b", "c"];
    const reps = [0, 1, 2].map((rep) => rotated(items, rep));
    expect(reps).toEqual([
      ["a", "b", "c"],
      ["b", "c", "a"],
      ["c", "a", "b"],
    ]);
    expect(rotated(items, 3)).toEqual(items);
  });

  it("summarize and formatTable", () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(
      formatTable([
        ["name", "value"],
        ["a", "1.0"],
        ["longer", "22.5"],
      ]),
    ).toEqual(["name    value", "a         1.0", "longer   22.5"]);
  });

  it("the timing notes name the clock and the children's flags, and flag regions under 1 ms", () => {
    expect(CHILD_NODE_FLAGS).toContain("--no-concurrent-recompilation");
    expect(CHILD_NODE_FLAGS).toContain("--expose-gc");
    const ok = timingNotes(MIN_TIMED_NS);
    expect(ok.join("\n")).toMatch(/CPU time, not wall-clock/);
    expect(ok.join("\n")).toContain("--no-concurrent-recompilation");
    expect(ok).toHaveLength(2);
    const short = timingNotes(250_000);
    expect(short).toHaveLength(3);
    expect(short[2]).toMatch(/only 250 µs of CPU time/);
    expect(timingJson(Number.POSITIVE_INFINITY).shortestTimedRegionNs).toBeNull();
    expect(timingJson(5e6)).toMatchObject({
      resolutionNs: { node: 1000, python: 1 },
      shortestTimedRegionNs: 5e6,
    });
  });
});
