/**
 * `refheap bench` through main(argv, io): its help, its argument errors, and small real runs
 * (every workload's variants run in child processes, as in a full run, at a fraction of the size).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SHUFFLE_SEED } from "../../src/bench/shuffle.js";
import { refheapBytesPerObject, W4_SHAPES } from "../../src/bench/w4.js";
import { main } from "../../src/cli/main.js";
import { capture } from "./cli-helpers.js";

const hasPython = spawnSync("python3", ["--version"]).status === 0;

interface W1Json {
  config: { gcThresholds: number[] };
  timing: { clock: string; childNodeFlags: string[]; shortestTimedRegionNs: number | null };
  results: {
    name: string;
    runtime: string;
    automaticCollection: boolean | null;
    totalNsPerObj: { median: number; samples: number[] };
    ratioVsCPythonPlain: number | null;
  }[];
  notes: string[];
}
interface W2PauseJson {
  name: string;
  runtime: string;
  objects: number;
  collectNsPerObj: { median: number; samples: number[] };
  returned: number[];
  ratioVsCPython: number | null;
}
interface W2Json {
  config: { bigReps: number; fragmented: { seed: number; sizes: { objects: number }[] } };
  timing: { childNodeFlags: string[] };
  garbage: W2PauseJson[];
  pause: W2PauseJson[];
  fragmentedPause: (W2PauseJson & { placed: number[]; ratioVsInOrder: number | null })[];
  userKindVsClass: { garbage: number | null; pause: number | null };
  notes: string[];
}
interface W4Json {
  results: {
    shape: string;
    refheapUnchecked: number;
    cpythonTracemalloc: number | null;
    v8: { median: number };
  }[];
}

describe("refheap bench", () => {
  it("--help lists the workloads and the output options", async () => {
    const c = capture();
    expect(await main(["bench", "--help"], c.io)).toBe(0);
    for (const word of [
      "--workloads",
      "w1, w2, w3, w4, w5",
      "--json",
      "--html <file>",
      "--quick",
      "--python",
    ])
      expect(c.out()).toContain(word);
  });

  it("bad arguments are errors with exit code 2 and say what is expected", async () => {
    const cases: [string[], string][] = [
      [["bench", "--workloads", "w1,w9"], "unknown workload 'w9'"],
      [["bench", "--reps", "0"], "expected a positive integer"],
      [["bench", "--w3-ops", "1234"], "multiple of 2000"],
      [["bench", "--frobnicate"], "unknown option"],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err()).toContain(message);
      expect(c.out()).toBe("");
    }
  });

  it("a small W1 + W4 run prints JSON for every variant and writes an HTML page with its charts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refheap-bench-"));
    const html = join(dir, "report.html");
    const c = capture();
    const argv = ["bench", "--workloads", "w1,w4", "--reps", "1", "--rounds", "1", "--n", "2000", "--json"];
    expect(await main([...argv, "--html", html], c.io)).toBe(0);
    const out = JSON.parse(c.out()) as { date: string; w1: W1Json; w4: W4Json };

    const runtimes = new Set(out.w1.results.map((r) => r.runtime));
    expect(runtimes).toEqual(
      new Set(hasPython ? ["refheap", "floor", "V8", "CPython"] : ["refheap", "floor", "V8"]),
    );
    for (const r of out.w1.results) {
      expect(r.totalNsPerObj.samples).toHaveLength(1);
      expect(r.totalNsPerObj.median).toBeGreaterThan(0);
    }

    expect(out.w4.results.map((r) => r.shape)).toEqual([...W4_SHAPES]);
    for (const r of out.w4.results) {
      // The allocator's accounting is exact: the report shows what the engine measures itself.
      expect(r.refheapUnchecked).toBe(refheapBytesPerObject(r.shape as (typeof W4_SHAPES)[number], false));
      expect(r.v8.median).toBeGreaterThan(0);
      if (hasPython) expect(r.cpythonTracemalloc).toBeGreaterThan(0);
    }

    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("Chart.js"); // the inlined library's banner
    const charts = JSON.parse(/const CHARTS = (.*);\n/.exec(page)![1]!) as {
      title: string;
      labels: string[];
    }[];
    expect(charts.map((ch) => ch.title)).toEqual([
      expect.stringMatching(/^W1 /),
      expect.stringMatching(/^W4 /),
    ]);
    expect(charts[0]!.labels).toEqual(out.w1.results.map((r) => r.name));
    expect(c.err()).toContain(`wrote ${html}`);
  }, 120_000);

  it("--quick prints W1's gc on rows and W2b's fragmented pause, timed in CPU time", async () => {
    const c = capture();
    // --n after --quick: W1 small, to keep the test short; W2's sizes are fixed (1,000,000 here).
    const argv = ["bench", "--quick", "--workloads", "w1,w2", "--n", "2000", "--json"];
    expect(await main(argv, c.io)).toBe(0);
    const out = JSON.parse(c.out()) as { w1: W1Json; w2: W2Json };

    const gcOn = out.w1.results.filter((r) => r.automaticCollection === true);
    expect(gcOn.map((r) => r.name)).toEqual([
      "refheap Empty (unchecked, steal, gc on)",
      "refheap Node (unchecked, steal, gc on)",
      "floor: hand-written exact work, gc on (this machine)",
      ...(hasPython ? ["CPython plain class (gc on)", "CPython __slots__ class (gc on)"] : []),
    ]);
    for (const r of gcOn) {
      expect(r.totalNsPerObj.samples).toHaveLength(1);
      expect(r.totalNsPerObj.median).toBeGreaterThan(0);
      // Compared with CPython's plain class with automatic collection on too.
      if (hasPython) expect(r.ratioVsCPythonPlain).toBeGreaterThan(0);
    }
    expect(out.w1.results.find((r) => r.name === "CPython plain class (gc on)")?.ratioVsCPythonPlain).toBe(
      hasPython ? 1 : undefined,
    );
    expect(out.w1.config.gcThresholds).toEqual([700, 10, 10]);
    for (const section of [out.w1, out.w2]) {
      expect(section.timing.childNodeFlags).toEqual(["--expose-gc", "--no-concurrent-recompilation"]);
      expect(section.notes.join("\n")).toMatch(/CPU time, not wall-clock/);
    }
    expect(out.w1.timing.clock).toMatch(/CPU time/);
    expect(out.w1.timing.shortestTimedRegionNs).toBeGreaterThan(0);

    // --quick has no big repetition: W2b at 1,000,000 only.
    expect(out.w2.config.bigReps).toBe(0);
    expect(out.w2.config.fragmented.seed).toBe(SHUFFLE_SEED);
    const fragmented = out.w2.fragmentedPause;
    expect(fragmented.map((r) => [r.runtime, r.objects])).toEqual([
      ["refheap", 1_000_000],
      ["floor", 1_000_000],
      ...(hasPython ? [["CPython", 1_000_000]] : []),
    ]);
    for (const r of fragmented) {
      expect(r.placed).toEqual([1_000_000]);
      expect(r.returned.every((x) => x === 0)).toBe(true);
      expect(r.collectNsPerObj.median).toBeGreaterThan(0);
      expect(r.ratioVsInOrder).toBeGreaterThan(0);
      if (hasPython) expect(r.ratioVsCPython).toBeGreaterThan(0);
    }
    // The in-order pause is still there, as before.
    const nodeName = "refheap Node (unchecked)";
    expect(out.w2.pause.filter((r) => r.name === nodeName).map((r) => r.objects)).toEqual([
      100_000, 1_000_000,
    ]);
    // A user kind and a declared class with two reference slots, side by side, and their ratio.
    const pairNames = [
      "refheap Pair class, 2 ref fields (unchecked)",
      "refheap Pair user kind, 2 ref slots (unchecked)",
    ];
    for (const rows of [out.w2.garbage, out.w2.pause]) {
      const pairs = rows.filter((r) => pairNames.includes(r.name));
      expect(pairs.map((r) => [r.name, r.objects])).toEqual(pairNames.map((n) => [n, 1_000_000]));
      const expected = rows === out.w2.garbage ? 1_000_000 : 0;
      for (const r of pairs) expect(r.returned.every((x) => x === expected)).toBe(true);
    }
    expect(out.w2.userKindVsClass.garbage).toBeGreaterThan(0);
    expect(out.w2.userKindVsClass.pause).toBeGreaterThan(0);
    // The floor rows: W1's below refheap Node (unchecked, steal), W2's next to refheap's; not refheap.
    const w1Names = out.w1.results.map((r) => r.name);
    const floorName = "floor: hand-written exact work (this machine)";
    expect(w1Names[w1Names.indexOf("refheap Node (unchecked, steal)") + 1]).toBe(floorName);
    const w1Floor = out.w1.results.find((r) => r.runtime === "floor")!;
    expect(w1Floor.totalNsPerObj.median).toBeGreaterThan(0);
    if (hasPython) expect(w1Floor.ratioVsCPythonPlain).toBeGreaterThan(0);
    for (const rows of [out.w2.garbage, out.w2.pause, out.w2.fragmentedPause]) {
      const floor = rows.filter((r) => r.runtime === "floor");
      expect(floor.map((r) => [r.name, r.objects])).toEqual([[floorName, 1_000_000]]);
      expect(floor[0]!.collectNsPerObj.median).toBeGreaterThan(0);
      if (hasPython) expect(floor[0]!.ratioVsCPython).toBeGreaterThan(0);
    }
    expect(out.w2.garbage.find((r) => r.runtime === "floor")!.returned.every((x) => x === 1_000_000)).toBe(
      true,
    );
    for (const section of [out.w1, out.w2])
      expect(section.notes.join("\n")).toMatch(/floor rows?: NOT refheap/);
  }, 400_000);

  it("--quick W5 walks the chain in every variant and compares each with V8 objects", async () => {
    const c = capture();
    expect(await main(["bench", "--quick", "--workloads", "w5", "--json"], c.io)).toBe(0);
    const out = JSON.parse(c.out()) as {
      w5: {
        config: { n: number; processes: number };
        results: { id: string; median: number; samples: number[]; ratioVsV8: number }[];
      };
    };
    expect(out.w5.config).toMatchObject({ n: 100_000, processes: 1 });
    expect(out.w5.results.map((r) => r.id)).toEqual(["w5-v8", "w5-handles", "w5-handles-off", "w5-engine"]);
    for (const r of out.w5.results) {
      expect(r.samples).toHaveLength(5); // each child checked every walk's sum
      expect(r.median).toBeGreaterThan(0);
    }
    expect(out.w5.results[0]!.ratioVsV8).toBe(1);
  }, 120_000);

  it("--quick W6 runs the Scheme interpreter on both backends and compares refheap's with plain JS objects", async () => {
    const c = capture();
    expect(await main(["bench", "--quick", "--workloads", "w6", "--json"], c.io)).toBe(0);
    const out = JSON.parse(c.out()) as {
      w6: {
        config: { processes: number };
        results: { id: string; samples: number[]; ratioVsPlainJs: number }[];
      };
    };
    expect(out.w6.config.processes).toBe(1);
    expect(out.w6.results.map((r) => r.id)).toEqual(["refheap", "js"]);
    for (const r of out.w6.results) {
      expect(r.samples).toHaveLength(2); // each child checked every round's result
      expect(r.ratioVsPlainJs).toBeGreaterThan(0);
    }
    expect(out.w6.results[1]!.ratioVsPlainJs).toBe(1);
  }, 120_000);

  it("without CPython the tables say it was skipped, and refheap's rows are still there", async () => {
    const c = capture();
    const argv = ["bench", "--workloads", "w4", "--python", "no-such-python-3", "--json"];
    expect(await main(argv, c.io)).toBe(0);
    const out = JSON.parse(c.out()) as { w4: W4Json & { notes: string[] } };
    expect(out.w4.results.every((r) => r.cpythonTracemalloc === null && r.refheapUnchecked > 0)).toBe(true);
    expect(out.w4.notes[0]).toMatch(/^CPython skipped: no-such-python-3 could not be run/);
  }, 60_000);
});
