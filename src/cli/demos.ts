/**
 * The demos: CPython programs from refheap's seed, run on refheap. Each prints what CPython 3.11
 * prints for the same program (test/cli checks that against python3 when it is installed).
 */
import { decref, Engine, listAppend, newInstance, newList, statsText } from "../core.js";
import { type Handle, Heap } from "../index.js";
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
  rows.push(["a = Node()", heap.sys.getrefcount(a)]);
  const b = a.dup();
  rows.push(["b = a", heap.sys.getrefcount(a)]);
  b.dispose();
  rows.push(["del b", heap.sys.getrefcount(a)]);
  heap.call((p: Handle, _q: Handle) => rows.push(["inside f(a, a)", heap.sys.getrefcount(p)]), a, a);
  rows.push(["after f(a, a) returns", heap.sys.getrefcount(a)]);
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
export function runDeallocBench(runs: number, objects: number, checked = false): DeallocBenchResult {
  const h = new Engine({ checked });
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

/** Allocator statistics after a demo workload (a list of 10,000 instances of three sizes). */
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
  io.stdout.write(statsText(h));
  decref(h, l);
}
