/**
 * W1's runs and report: make 100,000 instances in a list, drop the list, on refheap, plain V8
 * objects (w1.ts, each variant in a node child of its own) and CPython (bench/python/w1.py),
 * interleaved over the repetitions.
 */
import { PY_SCRIPTS, rotated, runPython, spawnJsChild } from "./children.js";
import { cpuNs } from "./clock.js";
import {
  type BenchConfig,
  type BenchContext,
  JS_WARMUP_ROUNDS,
  W1_WARMUP_BUDGET_NS,
  W1_WARMUP_MAX_ROUNDS,
} from "./config.js";
import {
  type Block,
  blockLines,
  type ChartSpec,
  machineInfo,
  noteLines,
  ratio,
  type Section,
  type Summary,
  sectionHeader,
  summarize,
  summaryDataset,
  tableBlock,
  times,
  timingJson,
  timingNotes,
  withRange,
} from "./report.js";
import {
  makeVariant,
  type RoundTime,
  refheapBlockSize,
  type Shape,
  W1_GC_THRESHOLDS,
  type W1Spec,
  w1Specs,
} from "./w1.js";

// With --expose-gc, collect during the warm-up so its garbage is not collected on the timed
// rounds' clock. V8's scavenges during its own builds stay timed.
const collect = (): void => globalThis.gc?.();

// --- the child's side ------------------------------------------------------------------------

/** What a W1 child prints on stdout: one entry per timed round. */
interface W1ChildResult {
  id: string;
  exposeGc: boolean;
  /** Untimed rounds run first (see runW1Child). */
  warmupRounds: number;
  rounds: RoundTime[];
}

/** The child's side: warm up, time cfg.rounds rounds, print them. Nothing else runs in this process. */
export function runW1Child(cfg: BenchConfig, id: string, warmup: number | null = null): void {
  const v = makeVariant(id);
  // JIT tiers up; the heap reaches its size. `warmup` rounds if given (--warmup), else at least
  // JS_WARMUP_ROUNDS and more while the budget lasts (W1_WARMUP_MAX_ROUNDS, W1_WARMUP_BUDGET_NS).
  // The collection comes before the last two warm-up rounds: right before the timed rounds it
  // gave the dropped buffers' pages back to the OS, and the first two timed rounds paid for
  // faulting them in again (3-5x a later round's time; one warm-up round after it still left the
  // first timed round 2.5x slower).
  const start = cpuNs();
  let warmupRounds = 0;
  const more = (): boolean =>
    warmup !== null
      ? warmupRounds < warmup - 2
      : warmupRounds < JS_WARMUP_ROUNDS - 2 ||
        (warmupRounds < W1_WARMUP_MAX_ROUNDS - 2 && cpuNs() - start < W1_WARMUP_BUDGET_NS);
  while (more()) {
    v.round(cfg.n);
    warmupRounds++;
  }
  collect();
  v.round(cfg.n);
  v.round(cfg.n);
  warmupRounds += 2;
  v.checkClean();
  const rounds: RoundTime[] = [];
  for (let r = 0; r < cfg.rounds; r++) rounds.push(v.round(cfg.n));
  v.checkClean();
  const out: W1ChildResult = { id, exposeGc: globalThis.gc !== undefined, warmupRounds, rounds };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function isRoundTime(x: unknown): x is RoundTime {
  const o = x as Partial<RoundTime> | null;
  return typeof o?.buildNs === "number" && typeof o.dropNs === "number";
}

function isW1ChildResult(x: unknown): x is W1ChildResult {
  const o = x as Partial<W1ChildResult> | null;
  return (
    typeof o?.id === "string" &&
    typeof o.exposeGc === "boolean" &&
    typeof o.warmupRounds === "number" &&
    Array.isArray(o.rounds) &&
    o.rounds.every(isRoundTime)
  );
}

// --- CPython ---------------------------------------------------------------------------------

interface PyRound {
  name: string;
  /** Whether automatic collection was on (absent from older scripts: off). */
  gc?: boolean;
  buildNs: number;
  dropNs: number;
}

interface PySize {
  name: string;
  getsizeof: number;
  block: number | null;
  tracedBytes: number;
}

function isPyRound(x: unknown): x is PyRound {
  const o = x as Partial<PyRound> | null;
  return typeof o?.name === "string" && typeof o.buildNs === "number" && typeof o.dropNs === "number";
}

function isPySize(x: unknown): x is PySize {
  const o = x as Partial<PySize> | null;
  return typeof o?.name === "string" && typeof o.getsizeof === "number" && typeof o.tracedBytes === "number";
}

const PY_SHAPES: Record<string, Shape> = {
  "plain class": "empty",
  "__slots__ class": "one-field",
  "object()": "empty",
  "plain class (gc on)": "empty",
  "__slots__ class (gc on)": "one-field",
};

/** The row each row's "× CPython plain" compares with: CPython's plain class, automatic collection as the row's. */
const cpythonPlainName = (automaticCollection: boolean | null): string =>
  automaticCollection === true ? "CPython plain class (gc on)" : "CPython plain class";

// --- the run ---------------------------------------------------------------------------------

interface Row {
  name: string;
  runtime: "refheap" | "V8" | "floor" | "CPython";
  shape: Shape;
  /** Whether the heap's automatic cycle collection was on (null: V8, whose collector always is). */
  automaticCollection: boolean | null;
  /** Per repetition: ns per object over that repetition's rounds. */
  total: number[];
  drop: number[];
}

interface W1Measured {
  /** In table order: the JavaScript variants as declared, then CPython's as it reports them. */
  rows: Map<string, Row>;
  python: { version: string; implementation: string } | null;
  pythonFailed: boolean;
  /** Whether every JavaScript child had globalThis.gc (it inherits this process's flags). */
  exposeGc: boolean;
  /** The shortest region a node child timed (a build, or a refheap drop), in ns. */
  shortestJsNs: number;
  /** The fewest and the most warm-up rounds a node child ran (runW1Child). */
  warmup: { fewest: number; most: number };
  notes: string[];
}

function measureW1({ cfg, progress }: BenchContext): W1Measured {
  const rows = new Map<string, Row>();
  const rowFor = (
    name: string,
    runtime: Row["runtime"],
    shape: Shape,
    automaticCollection: boolean | null,
  ): Row => {
    let row = rows.get(name);
    if (row === undefined) {
      row = { name, runtime, shape, automaticCollection, total: [], drop: [] };
      rows.set(name, row);
    }
    return row;
  };
  // Table order = declaration order.
  for (const v of w1Specs) rowFor(v.name, v.runtime, v.shape, v.automaticCollection);

  progress.begin(
    `W1: ${cfg.n} objects × ${cfg.rounds} rounds × ${cfg.reps} repetitions; ` +
      `${w1Specs.length} node processes + 1 python per repetition (${JS_WARMUP_ROUNDS}–${W1_WARMUP_MAX_ROUNDS} ` +
      `warm-up rounds each, within ${W1_WARMUP_BUDGET_NS / 1e6} ms of CPU)`,
    cfg.reps * (w1Specs.length + 1) + 1, // + CPython's sizes
  );
  let python: W1Measured["python"] = null;
  let pythonFailed = false;
  let exposeGc = true;
  let shortestJsNs = Number.POSITIVE_INFINITY;
  let fewestWarmup = Number.POSITIVE_INFINITY;
  let mostWarmup = 0;
  const notes: string[] = [];
  const runJsChild = (spec: W1Spec): W1ChildResult =>
    spawnJsChild(
      progress,
      spec.name,
      ["--child", spec.id, "--n", String(cfg.n), "--rounds", String(cfg.rounds)],
      (json): json is W1ChildResult =>
        isW1ChildResult(json) && json.id === spec.id && json.rounds.length === cfg.rounds,
    );
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (const spec of rotated(w1Specs, rep)) {
      const child = runJsChild(spec);
      exposeGc &&= child.exposeGc;
      fewestWarmup = Math.min(fewestWarmup, child.warmupRounds);
      mostWarmup = Math.max(mostWarmup, child.warmupRounds);
      let build = 0;
      let drop = 0;
      for (const t of child.rounds) {
        build += t.buildNs;
        drop += t.dropNs;
        // A V8 drop only forgets a reference: nothing to time there.
        shortestJsNs = Math.min(shortestJsNs, t.buildNs, spec.runtime === "V8" ? t.buildNs : t.dropNs);
      }
      const row = rows.get(spec.name)!;
      row.total.push((build + drop) / (cfg.rounds * cfg.n));
      row.drop.push(drop / (cfg.rounds * cfg.n));
    }
    // CPython in its own process, once per repetition (startup and its warm-up round are untimed).
    if (!pythonFailed) {
      const py = runPython(progress, cfg.python, PY_SCRIPTS.w1, [
        "--n",
        String(cfg.n),
        "--rounds",
        String(cfg.rounds),
        "--warmup",
        "1",
        "--gc-threshold",
        W1_GC_THRESHOLDS.join(","),
      ]);
      if (py.ok) {
        python = { version: py.version, implementation: py.implementation };
        const rounds = Array.isArray(py.json.variants) ? py.json.variants.filter(isPyRound) : [];
        for (const p of rounds) {
          const row = rowFor(`CPython ${p.name}`, "CPython", PY_SHAPES[p.name] ?? "empty", p.gc === true);
          row.total.push((p.buildNs + p.dropNs) / (cfg.rounds * cfg.n));
          row.drop.push(p.dropNs / (cfg.rounds * cfg.n));
        }
      } else {
        notes.push(`CPython skipped from repetition ${rep + 1} on: ${py.why}`);
        pythonFailed = true;
      }
    }
  }
  return {
    rows,
    python,
    pythonFailed,
    exposeGc,
    shortestJsNs,
    warmup: { fewest: fewestWarmup, most: mostWarmup },
    notes,
  };
}

// --- report ----------------------------------------------------------------------------------

function reportW1(
  { cfg, progress }: BenchContext,
  { rows, python, pythonFailed, exposeGc, shortestJsNs, warmup, notes }: W1Measured,
): Section {
  const refheapSizes = { Node: refheapBlockSize(["other"]), Empty: refheapBlockSize([]) };
  let pySizes: PySize[] = [];
  if (python !== null && !pythonFailed) {
    const py = runPython(progress, cfg.python, PY_SCRIPTS.w1, ["--sizes"]);
    if (py.ok && Array.isArray(py.json.sizes)) pySizes = py.json.sizes.filter(isPySize);
  }

  const results = [...rows.values()].map((row) => ({
    ...row,
    totalS: summarize(row.total),
    dropS: summarize(row.drop),
  }));
  const cpythonPlain = (r: Row): number | undefined =>
    results.find((p) => p.name === cpythonPlainName(r.automaticCollection))?.totalS.median;
  const v8ByShape = new Map(results.filter((r) => r.runtime === "V8").map((r) => [r.shape, r]));

  const machine = machineInfo(python, exposeGc);
  notes.push(
    ...timingNotes(shortestJsNs),
    "each JS variant runs in a fresh node process per repetition (warm-up, then timed rounds), so V8's JIT " +
      "optimises refheap's shared functions with that variant's type feedback only, as in a program using one mode.",
    `warm-up: at least ${JS_WARMUP_ROUNDS} untimed rounds per child, and more while they take under ` +
      `${W1_WARMUP_BUDGET_NS / 1e6} ms of CPU, up to ${W1_WARMUP_MAX_ROUNDS} (here ${warmup.fewest}–${warmup.most}): ` +
      "V8 compiles the rarer paths (pool transitions, the list's reallocation) only after tens of rounds, on the " +
      "main thread, which inside a timed round doubled it.",
    "steal rows append with listAppendSteal (the list takes over the new object's reference, as CPython's " +
      "LIST_APPEND does); the others use listAppend + decref, one extra incref/decref pair per object.",
    "handles rows: new Heap({ checked, leaks }) with its defaults otherwise, so the checked rows record where " +
      "each handle is made (trackStacks defaults to checked): capturing that stack is most of their time.",
    "V8 rows: dropping an array only forgets a reference; the collector frees the objects later, " +
      "mostly outside the timed region (scavenges during a build are timed).",
    "× V8 compares with the V8 variant of the same shape (empty class, or one reference field); " +
      "× CPython plain with CPython's plain class under the same collection setting (gc on or off).",
    `gc on rows: automatic cycle collection on, at thresholds ${W1_GC_THRESHOLDS.join(", ")} (CPython's ` +
      "default), on refheap's heap (gc.enable) and in CPython (gc.enable() for those rounds only): every 700 net " +
      "allocations a young collection walks the new objects, all alive in the list, and older generations " +
      "follow at their thresholds; CPython's full collections also walk the interpreter's own objects, " +
      "which refheap's heap does not have. The other rows have it off.",
  );
  notes.push(
    "floor row: NOT refheap. Hand-written flat TypeScript (src/bench/floor-flat.ts) over an Int32Array of its " +
      "own, laid out as refheap's heap, doing the work of the refheap Node (unchecked, steal) row and nothing " +
      "else: pymalloc allocation and free with the pool and arena transitions, the header, the NULL field, the " +
      "type's refcount, the generation-0 link and count, the list's appends (list_resize's growth copies the " +
      "items), then list_dealloc last to first. It knows its one class: no API, handles, checked mode, trace " +
      "hooks, weakref or finalizer tests, per-type tables or trashcan. It shows how fast an exact " +
      "implementation can be on this machine; each round checks its heap is back where it started.",
    "floor, gc on row: the same with automatic collection on (src/bench/floor-gc.ts): at 700, 10, 10 it runs " +
      "the collections refheap's Node (unchecked, steal, gc on) row runs, when that row runs them (a test " +
      "compares the counts, collections and long-lived totals round by round): the younger generations " +
      "merged, update_refs, subtract_refs, move_unreachable (nothing is garbage), the survivors promoted; it " +
      "also keeps the dead list on a freelist and has refheap's empty gc.garbage list in generation 2.",
  );
  if (python !== null) {
    notes.push(
      "CPython rows: gc.disable() while timing (refcounting + pymalloc only, as refheap here), except the gc on " +
        "rows; plain class = `class C: pass`, __slots__ class = `__slots__ = ('other',)`, unset.",
    );
  }
  if (!machine.exposeGc)
    notes.push("node ran without --expose-gc: no collection between warm-up and timed rounds.");

  const json = {
    machine,
    config: {
      n: cfg.n,
      reps: cfg.reps,
      rounds: cfg.rounds,
      // Each child warms up until its budget is spent (runW1Child): the fewest and most any ran.
      warmupRounds: warmup,
      gcThresholds: [...W1_GC_THRESHOLDS],
      processPerVariantPerRep: true,
    },
    timing: timingJson(shortestJsNs),
    results: results.map((r) => ({
      name: r.name,
      runtime: r.runtime,
      shape: r.shape,
      automaticCollection: r.automaticCollection,
      totalNsPerObj: { ...r.totalS, samples: r.total },
      dropNsPerObj: { ...r.dropS, samples: r.drop },
      ratioVsCPythonPlain: ratio(r.totalS.median, cpythonPlain(r)),
      ratioVsV8SameShape: ratio(r.totalS.median, v8ByShape.get(r.shape)?.totalS.median),
    })),
    bytesPerInstance: { refheap: refheapSizes, cpython: pySizes },
    notes,
  };
  const ns = (s: Summary): string => withRange(s);
  const table = [
    ["variant", "total ns/obj median (min–max)", "drop ns/obj median (min–max)", "× CPython plain", "× V8"],
    ...results.map((r) => [
      r.name,
      ns(r.totalS),
      ns(r.dropS),
      times(ratio(r.totalS.median, cpythonPlain(r))),
      times(ratio(r.totalS.median, v8ByShape.get(r.shape)?.totalS.median)),
    ]),
  ];
  const title = `W1 — make ${cfg.n.toLocaleString("en-US")} instances in a list, drop the list`;
  const charts: ChartSpec[] = [
    {
      title,
      unit: "ns per object (build + drop), median",
      labels: results.map((r) => r.name),
      datasets: [
        summaryDataset(
          "total ns/obj",
          results.map((r) => r.totalS),
        ),
      ],
      horizontal: true,
      log: true,
    },
  ];
  const blocks: Block[] = [
    ...sectionHeader(title, machine, `${cfg.reps} repetitions × ${cfg.rounds} rounds, interleaved`),
    "",
    tableBlock(table),
    "",
    "Bytes per instance",
    `  refheap Node (one ref field): ${refheapSizes.Node} (size-class block, incl. GC head); Empty: ${refheapSizes.Empty}`,
    ...pySizes.map(
      (s) =>
        `  CPython ${s.name}: sys.getsizeof ${s.getsizeof} → pymalloc block ${s.block ?? "n/a"}; ` +
        `tracemalloc ${s.tracedBytes} B/instance`,
    ),
    "",
    ...noteLines(notes),
  ];
  return { json, lines: blockLines(blocks), blocks, charts };
}

/** W1 measured and reported: its section of the report. */
export function w1Section(ctx: BenchContext): Section {
  return reportW1(ctx, measureW1(ctx));
}
