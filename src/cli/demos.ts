/**
 * The demos: CPython programs from refheap's seed, run on refheap. Each prints what CPython 3.11
 * prints for the same program (test/cli checks that against python3 when it is installed).
 */
import {
  decref,
  Engine,
  gc,
  listAppend,
  listSize,
  newInstance,
  newList,
  setField,
  statsText,
} from "../core.js";
import { type Handle, Heap, type Instance } from "../index.js";
import type { Io } from "./io.js";

/**
 * The function-parameter demo. The Python it mirrors:
 *
 *     a = Node();                       print(sys.getrefcount(a))   # 2
 *     b = a;                            print(sys.getrefcount(a))   # 3
 *     del b;                            print(sys.getrefcount(a))   # 2
 *     def f(p, q): print(sys.getrefcount(p))
 *     f(a, a)                                                       # 4
 *     print(sys.getrefcount(a))                                     # 2
 *
 * A handle is a Python local: it owns one reference. `heap.call` holds a reference to each
 * argument while the function runs, as a CPython frame does. sys.getrefcount reports one more
 * than the references the program holds: its own argument. (Python 3.10 and older printed 4
 * for a one-argument call too: there the caller's stack kept its reference while the frame
 * held another. 3.11 moves it into the frame.)
 */
export function demoRefcount(io: Io): void {
  const heap = new Heap({ checked: true, leaks: "throw" });
  const Node = heap.defineClass("Node");
  const rows: [string, number][] = [];
  const a = Node.new();
  rows.push(["a = Node()", heap.sys.getRefCount(a)]);
  const b = a.dup();
  rows.push(["b = a", heap.sys.getRefCount(a)]);
  b.dispose();
  rows.push(["del b", heap.sys.getRefCount(a)]);
  heap.call((p: Handle, _q: Handle) => rows.push(["inside f(a, a)", heap.sys.getRefCount(p)]), a, a);
  rows.push(["after f(a, a) returns", heap.sys.getRefCount(a)]);
  a.dispose();
  heap.close();

  const out: string[] = [];
  out.push("refcount: sys.getrefcount(a) as references to one object come and go");
  out.push("(a call holds one reference per argument for its duration, as a CPython frame does;");
  out.push(" getrefcount counts its own argument too, so a lone binding shows 2)");
  out.push("");
  out.push(`  ${"step".padEnd(26)}sys.getrefcount(a)`);
  out.push(`  ${"─".repeat(26)}──────────────────`);
  for (const [step, n] of rows) out.push(`  ${step.padEnd(26)}${String(n).padStart(18)}`);
  out.push("");
  io.stdout.write(`${out.join("\n")}\n`);
}

export interface DeallocBenchResult {
  readonly runs: number;
  readonly objects: number;
  readonly buildMs: number;
  readonly dropMs: number;
}

/**
 * The dealloc benchmark: 100,000 instances of an empty class in a list, then drop the list
 * (which frees every instance), 100 times. Times the build and the drop separately.
 */
export function runDeallocBench(runs: number, objects: number): DeallocBenchResult {
  const h = new Engine();
  const Empty = h.defineClass({ name: "Empty" });
  let buildMs = 0;
  let dropMs = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const l = newList(h);
    for (let i = 0; i < objects; i++) {
      const o = newInstance(h, Empty.id);
      listAppend(h, l, o, true);
      decref(h, o);
    }
    const t1 = performance.now();
    decref(h, l);
    const t2 = performance.now();
    buildMs += t1 - t0;
    dropMs += t2 - t1;
  }
  return { runs, objects, buildMs, dropMs };
}

export function formatDeallocBench(r: DeallocBenchResult): string {
  const perRun = (ms: number) => ms / r.runs;
  const perObj = (ms: number) => (ms * 1e6) / (r.runs * r.objects);
  const lines = [
    `dealloc-bench: ${r.runs} runs × ${r.objects.toLocaleString("en-US")} instances of an empty class`,
    "",
    `build  (make + append):  ${perRun(r.buildMs).toFixed(2).padStart(8)} ms per run  ${perObj(r.buildMs).toFixed(1).padStart(7)} ns per object`,
    `drop   (del the list):   ${perRun(r.dropMs).toFixed(2).padStart(8)} ms per run  ${perObj(r.dropMs).toFixed(1).padStart(7)} ns per object`,
    `total:                   ${((r.buildMs + r.dropMs) / 1000).toFixed(3).padStart(8)} s`,
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const box = [
    `┌${"─".repeat(width + 2)}┐`,
    ...lines.map((l) => `│ ${l.padEnd(width)} │`),
    `└${"─".repeat(width + 2)}┘`,
  ];
  return `${box.join("\n")}\n`;
}

export function demoDeallocBench(io: Io): void {
  io.stdout.write(formatDeallocBench(runDeallocBench(100, 100_000)));
}

/** One run of the cycles demo. */
interface CyclesRun {
  readonly run: number;
  readonly makeMs: number;
  readonly collectMs: number;
  /** What collect() returned: the unreachable objects it found (2 per cycle). */
  readonly returned: number;
}

const CYCLES_DEFAULT_RUNS = 20;
const CYCLES_DEFAULT_CYCLES = 50_000;

/**
 * The classic cycle benchmark: per run, make `cycles` two-object cycles (a.other = b,
 * b.other = a, both dropped), then time collect(). Automatic collection is disabled while the
 * cycles are made — otherwise generation-0 collections (one per 700 allocations) would free most
 * of them outside the timed collect() — and enabled again at the end.
 */
function runCycles(runs: number, cycles: number): CyclesRun[] {
  const h = new Engine();
  const Node = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] });
  const results: CyclesRun[] = [];
  gc.disable(h);
  try {
    for (let run = 1; run <= runs; run++) {
      const t0 = performance.now();
      for (let i = 0; i < cycles; i++) {
        const a = newInstance(h, Node.id);
        const b = newInstance(h, Node.id);
        setField(h, a, 0, b, true); // a.other = b (field 0: `other`)
        setField(h, b, 0, a, true); // b.other = a
        decref(h, a);
        decref(h, b); // now only the cycle keeps them alive
      }
      const t1 = performance.now();
      const returned = gc.collect(h);
      const t2 = performance.now();
      results.push({ run, makeMs: t1 - t0, collectMs: t2 - t1, returned });
    }
  } finally {
    gc.enable(h);
  }
  return results;
}

function medianMinMax(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

function formatCycles(results: readonly CyclesRun[], cycles: number): string {
  const out: string[] = [];
  out.push(
    `cycles: ${results.length} runs × ${cycles.toLocaleString("en-US")} two-object cycles ` +
      "(a.other = b, b.other = a, both dropped), then collect()",
  );
  out.push("(automatic collection is disabled while the cycles are made, so only the timed collect() frees");
  out.push(" them; collect() returns the unreachable objects it found: 2 per cycle)");
  out.push("");
  out.push("  run   make ms   collect ms   collect() returned");
  out.push("  ───   ───────   ──────────   ──────────────────");
  for (const r of results) {
    out.push(
      `  ${String(r.run).padStart(3)}   ${r.makeMs.toFixed(2).padStart(7)}   ` +
        `${r.collectMs.toFixed(2).padStart(10)}   ${String(r.returned).padStart(18)}`,
    );
  }
  if (results.length > 0) {
    const make = medianMinMax(results.map((r) => r.makeMs));
    const coll = medianMinMax(results.map((r) => r.collectMs));
    const returned = [...new Set(results.map((r) => r.returned))];
    const mmm = (s: typeof make): string =>
      `median ${s.median.toFixed(2)} ms (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
    out.push("");
    out.push(
      `summary: make ${mmm(make)}; collect ${mmm(coll)}; ` +
        (returned.length === 1
          ? `collect() returned ${returned[0]} every run`
          : `collect() returned ${returned.join(", ")} (not the same every run)`),
    );
  }
  out.push("");
  return `${out.join("\n")}\n`;
}

export interface CyclesOptions {
  readonly runs?: number;
  readonly cycles?: number;
}

export function demoCycles(io: Io, options: CyclesOptions = {}): void {
  const cycles = options.cycles ?? CYCLES_DEFAULT_CYCLES;
  io.stdout.write(formatCycles(runCycles(options.runs ?? CYCLES_DEFAULT_RUNS, cycles), cycles));
}

/**
 * The weak-cache demo: an image cache in a WeakValueDictionary, which keeps an image only while
 * the program holds it. The Python it mirrors (WEAK_CACHE_PY, which test/cli runs on python3 and
 * compares line for line):
 *
 *     class Image:
 *         def __init__(self, name): self.name = name
 *     cache = weakref.WeakValueDictionary()
 *     def get_image(name):
 *         img = cache.get(name)
 *         if img is None:
 *             print(f"miss: loading {name}"); img = Image(name); cache[name] = img
 *         else:
 *             print(f"hit: {name}")
 *         return img
 *     img1 = get_image("cat.png"); img2 = get_image("cat.png")
 *     print("img1 is img2?", img1 is img2)
 *     print("keys before:", list(cache.keys()))
 *     del img1;  print("after del img1:", list(cache.keys()))
 *     del img2;  print("keys after:", list(cache.keys()))
 *
 * The entry goes at the `del` that drops the last strong reference, not at some later
 * collection: that is what a JS WeakRef cache cannot do.
 */
export function demoWeakCache(io: Io): void {
  const heap = new Heap({ checked: true, leaks: "throw" });
  const Image = heap.defineClass("Image", { fields: { name: "str" }, weakrefable: true });
  const cache = heap.weakref.WeakValueDictionary<Instance<{ name: "str" }>>();
  const lines: string[] = [];
  const getImage = (name: string): Instance<{ name: "str" }> => {
    const img = cache.get(name);
    if (img !== undefined) {
      lines.push(`hit: ${name}`);
      return img;
    }
    lines.push(`miss: loading ${name}`);
    const made = Image.new({ name });
    cache.set(name, made);
    return made;
  };
  const keys = (): string => `[${[...cache.keys()].map((k) => `'${String(k)}'`).join(", ")}]`;
  const img1 = getImage("cat.png");
  const img2 = getImage("cat.png");
  lines.push(`img1 is img2? ${img1.is(img2) ? "True" : "False"}`);
  lines.push(`keys before: ${keys()}`);
  img1.dispose();
  lines.push(`after del img1: ${keys()}`);
  img2.dispose();
  lines.push(`keys after: ${keys()}`);
  cache.dispose();
  heap.close();
  io.stdout.write(
    `weak-cache: an image cache in a WeakValueDictionary (CPython's output, line for line)\n\n${lines.map((l) => `  ${l}`).join("\n")}\n\n`,
  );
}

/** The Python program demoWeakCache mirrors (test/cli runs it on python3). */
export const WEAK_CACHE_PY = `import weakref
class Image:
    def __init__(self, name): self.name = name
cache = weakref.WeakValueDictionary()
def get_image(name):
    img = cache.get(name)
    if img is None:
        print(f"miss: loading {name}"); img = Image(name); cache[name] = img
    else:
        print(f"hit: {name}")
    return img
img1 = get_image("cat.png"); img2 = get_image("cat.png")
print("img1 is img2?", img1 is img2)
print("keys before:", list(cache.keys()))
del img1;  print("after del img1:", list(cache.keys()))
del img2;  print("keys after:", list(cache.keys()))
`;

/** Allocator statistics after a demo workload (a list of 10,000 instances of three sizes). */
/**
 * `refheap stats`: a demo workload, then the allocator's statistics in the shape of CPython's
 * sys._debugmallocstats(), then the collector's (gc.get_threshold, get_count, get_stats, the
 * tracked objects per generation). The workload keeps 10,000 instances of three sizes in a list
 * and makes and drops 3,000 two-object cycles with automatic collection on, then collect()s.
 */
export function demoStats(io: Io): void {
  const h = new Engine();
  const classes = [0, 1, 4].map((n) =>
    h.defineClass({
      name: `C${n}`,
      fields: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: "any" as const })),
    }),
  );
  const l = newList(h);
  for (let i = 0; i < 10_000; i++) {
    const o = newInstance(h, classes[i % 3]!.id);
    listAppend(h, l, o, true);
    decref(h, o);
  }
  const pair = classes[1]!.id;
  for (let i = 0; i < 3_000; i++) {
    const a = newInstance(h, pair);
    const b = newInstance(h, pair);
    setField(h, a, 0, b, true);
    setField(h, b, 0, a, true);
    decref(h, a);
    decref(h, b);
  }
  const found = gc.collect(h);
  io.stdout.write(statsText(h));
  io.stdout.write(`\n${collectorStatsText(h, found)}`);
  decref(h, l);
}

/** The collector's half of `refheap stats`: one row per generation, then the totals. */
function collectorStatsText(h: Engine, lastCollect: number): string {
  const thresholds = gc.getThreshold(h);
  const counts = gc.getCount(h);
  const stats = gc.getStats(h);
  const tracked = [0, 1, 2].map((g) => {
    const objs = gc.getObjects(h, g);
    const n = listSize(h, objs);
    decref(h, objs);
    return n;
  });
  const rows = [
    ["generation", "threshold", "count", "tracked objects", "collections", "collected", "uncollectable"],
    ...[0, 1, 2].map((g) => [
      String(g),
      String(thresholds[g]),
      String(counts[g]),
      String(tracked[g]),
      String(stats[g]!.collections),
      String(stats[g]!.collected),
      String(stats[g]!.uncollectable),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows.map((r) => r.map((cell, c) => cell.padStart(widths[c]!)).join("  "));
  const line = (label: string, value: number): string =>
    `${label.padEnd(35)}= ${value.toLocaleString("en-US").padStart(20)}`;
  return [
    "collector (gc.get_threshold, gc.get_count, gc.get_stats, gc.get_objects(g))",
    "",
    table[0]!,
    widths.map((w) => "-".repeat(w)).join("  "),
    ...table.slice(1),
    "",
    line("# automatic collection enabled", gc.isEnabled(h) ? 1 : 0),
    line("# frozen objects", gc.getFreezeCount(h)),
    line("# found by the last collect()", lastCollect),
    "",
  ].join("\n");
}
