/**
 * W2's runs and report: the cycle collector on refheap (w2.ts, in node children) and CPython
 * (bench/python/w2.py) — one collect() of cyclic garbage, the pause of a full collection with N
 * live objects, and (W2b) that pause on a fragmented heap — interleaved over the repetitions.
 */
import { numbers, PY_SCRIPTS, type PyResult, rotated, runPython, spawnJsChild } from "./children.js";
import { type BenchConfig, type BenchContext, JS_WARMUP_ROUNDS } from "./config.js";
import {
  type Block,
  blockLines,
  type ChartSpec,
  internalLine,
  machineInfo,
  mean,
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
import { SHUFFLE_SEED } from "./shuffle.js";
import { FLOOR_NAME } from "./w1.js";
import {
  type CollectTime,
  makeW2Variant,
  W2_CHILD_IDS,
  W2_FLOOR_CHILD_IDS,
  W2_PAIR_CHILD_IDS,
  type W2Part,
} from "./w2.js";

/** Two-object cycles: 500,000 pairs. */
const W2_GARBAGE_OBJECTS = 1_000_000;
const W2_GARBAGE_ROUNDS = 3;
/** Untimed rounds first: node's as W1's (the JIT settles after two or three), CPython's one. */
const W2_GARBAGE_WARMUP = JS_WARMUP_ROUNDS;
const W2_GARBAGE_WARMUP_PY = 1;
/** Live objects for the pause, and the timed collect(2) calls per repetition at each size. */
const W2_PAUSE: readonly { readonly objects: number; readonly rounds: number }[] = [
  { objects: 100_000, rounds: 5 },
  { objects: 1_000_000, rounds: 3 },
  { objects: 4_000_000, rounds: 2 },
];
const W2_PAUSE_SIZES = W2_PAUSE.map((p) => p.objects);
/** W2b: the same pause on a fragmented heap (w2.ts's fragmentedList), at these sizes. */
const W2_FRAGMENTED: readonly { readonly objects: number; readonly rounds: number }[] = [
  { objects: 1_000_000, rounds: 3 },
  { objects: 4_000_000, rounds: 2 },
];
const W2_FRAGMENTED_SIZES = W2_FRAGMENTED.map((p) => p.objects);
/** The pause size measured only in the first --w2-big-reps repetitions (it is the slow one). */
const W2_BIG = 4_000_000;
const w2BigReps = (cfg: BenchConfig): number => Math.min(cfg.w2BigReps, cfg.w2Reps);
/** Untimed collect(2) calls before the timed ones: at least 2, and about 2 million objects' worth (JIT). */
const pauseWarmup = (n: number): number => Math.max(2, Math.ceil(2_000_000 / n));

// --- the child's side ------------------------------------------------------------------------

interface W2ChildResult {
  id: string;
  exposeGc: boolean;
  rounds: CollectTime[];
  /** "fragmented" only: live objects that took the block the shuffle meant for them. */
  placed: number | null;
}

function isCollectTime(x: unknown): x is CollectTime {
  const o = x as Partial<CollectTime> | null;
  return typeof o?.makeNs === "number" && typeof o.collectNs === "number" && typeof o.returned === "number";
}

/**
 * The child's side of W2: build, warm up, time the rounds, check nothing is left, print. V8's
 * own GC runs once, before the warm-up: the workload allocates next to nothing on V8's heap, and
 * a forced V8 collection between rounds made the next two or so collect() calls 1.2–4× slower
 * (measured at 100,000 and 1,000,000 objects), as if V8 had to re-optimise the collector's code.
 */
export function runW2Child(cfg: BenchConfig, id: string): void {
  const v = makeW2Variant(id, cfg.n);
  globalThis.gc?.();
  for (let i = 0; i < cfg.warmup; i++) v.warmUp();
  const rounds: CollectTime[] = [];
  for (let r = 0; r < cfg.rounds; r++) rounds.push(v.round());
  v.finish();
  const out: W2ChildResult = { id, exposeGc: globalThis.gc !== undefined, rounds, placed: v.placed };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Whether `id` names a W2 child. */
export const isW2ChildId = (id: string): boolean =>
  [
    ...Object.values(W2_CHILD_IDS),
    ...Object.values(W2_FLOOR_CHILD_IDS),
    ...Object.values(W2_PAIR_CHILD_IDS).flatMap((p) => [p.class, p.kind]),
  ].includes(id);

/** The pause size at which a user kind and a declared class with two slots run side by side. */
const PAIR_PAUSE = 1_000_000;
/** The part's user-kind and class variants, where they run (garbage, and the 1M pause). */
const pairIds = (t: { part: W2Part; objects: number }) =>
  t.part === "garbage" || (t.part === "pause" && t.objects === PAIR_PAUSE) ? W2_PAIR_CHILD_IDS[t.part] : null;
const CLASS2_NAME = "refheap Pair class, 2 ref fields (unchecked)";
const KIND2_NAME = "refheap Pair user kind, 2 ref slots (unchecked)";

/** The floor runs next to refheap for the garbage and for the pauses of at least this many objects. */
const FLOOR_MIN_PAUSE = 1_000_000;
const hasFloor = (t: { part: W2Part; objects: number }): boolean =>
  t.part === "garbage" || t.objects >= FLOOR_MIN_PAUSE;

// --- the run ---------------------------------------------------------------------------------

interface W2Row {
  name: string;
  runtime: "refheap" | "floor" | "CPython";
  part: W2Part;
  /** Objects made per round (garbage) or live objects (pause, fragmented). */
  objects: number;
  /** Per repetition: the mean over its rounds. */
  collectNs: number[];
  makeNs: number[];
  /** Every round's collect() result. */
  returned: number[];
  /** Fragmented only, per repetition: live objects at the address the shuffle meant for them. */
  placed: number[];
}

interface W2Measured {
  rows: Map<string, W2Row>;
  python: { version: string; implementation: string } | null;
  pythonBaseline: number | null;
  exposeGc: boolean;
  /** The shortest region a node child timed (making cycles, or a collection), in ns. */
  shortestJsNs: number;
  notes: string[];
}

/** What one task of a repetition measured, for one row. */
interface W2Sample {
  name: string;
  runtime: W2Row["runtime"];
  part: W2Part;
  objects: number;
  rounds: readonly CollectTime[];
  placed: number | null;
}

interface W2Task {
  part: W2Part;
  objects: number;
  rounds: number;
  warmup: number;
}

/** Repetition `rep`'s tasks: every part and size, the big pauses only in the first big reps. */
function tasksFor(cfg: BenchConfig, rep: number): W2Task[] {
  const pauses = (part: W2Part, sizes: typeof W2_PAUSE): W2Task[] =>
    sizes
      .filter((p) => p.objects < W2_BIG || rep < w2BigReps(cfg))
      .map(({ objects, rounds }) => ({ part, objects, rounds, warmup: pauseWarmup(objects) }));
  return [
    { part: "garbage", objects: W2_GARBAGE_OBJECTS, rounds: W2_GARBAGE_ROUNDS, warmup: W2_GARBAGE_WARMUP },
    ...pauses("pause", W2_PAUSE),
    ...pauses("fragmented", W2_FRAGMENTED),
  ];
}

const JS_NAME = "refheap Node (unchecked)";

function measureW2({ cfg, progress }: BenchContext): W2Measured {
  const rows = new Map<string, W2Row>();
  const key = (part: W2Part, objects: number, name: string): string => `${part} ${objects} ${name}`;
  const rowFor = (name: string, runtime: W2Row["runtime"], part: W2Part, objects: number): W2Row => {
    const k = key(part, objects, name);
    let row = rows.get(k);
    if (row === undefined) {
      row = { name, runtime, part, objects, collectNs: [], makeNs: [], returned: [], placed: [] };
      rows.set(k, row);
    }
    return row;
  };
  const add = ({ name, runtime, part, objects, rounds, placed }: W2Sample): void => {
    const row = rowFor(name, runtime, part, objects);
    row.collectNs.push(mean(rounds.map((r) => r.collectNs)));
    row.makeNs.push(mean(rounds.map((r) => r.makeNs)));
    row.returned.push(...rounds.map((r) => r.returned));
    if (placed !== null) row.placed.push(placed);
  };
  // Table order: per part and size, refheap first (CPython's rows follow as they first report).
  // The floor's row right after refheap's, where it runs.
  const declare = (part: W2Part, objects: number): void => {
    rowFor(JS_NAME, "refheap", part, objects);
    if (hasFloor({ part, objects })) rowFor(FLOOR_NAME, "floor", part, objects);
    if (pairIds({ part, objects }) !== null) {
      rowFor(CLASS2_NAME, "refheap", part, objects);
      rowFor(KIND2_NAME, "refheap", part, objects);
    }
  };
  for (const objects of [W2_GARBAGE_OBJECTS]) declare("garbage", objects);
  for (const objects of W2_PAUSE_SIZES) declare("pause", objects);
  for (const objects of W2_FRAGMENTED_SIZES) declare("fragmented", objects);

  let processes = 0;
  for (let rep = 0; rep < cfg.w2Reps; rep++)
    for (const t of tasksFor(cfg, rep)) processes += (hasFloor(t) ? 3 : 2) + (pairIds(t) === null ? 0 : 2);
  progress.begin(
    `W2: cyclic garbage (${W2_GARBAGE_OBJECTS} objects) and full-collection pauses ` +
      `(${W2_PAUSE_SIZES.join(", ")} live objects; fragmented: ${W2_FRAGMENTED_SIZES.join(", ")}); ` +
      `${cfg.w2Reps} repetitions ` +
      `(${w2BigReps(cfg)} for ${W2_BIG}), one node process per variant (refheap, and the floor where it runs) and one python process per part per repetition`,
    processes,
  );
  let python: W2Measured["python"] = null;
  let pythonBaseline: number | null = null;
  let pythonFailed = false;
  let exposeGc = true;
  let shortestJsNs = Number.POSITIVE_INFINITY;
  const notes: string[] = [];
  for (let rep = 0; rep < cfg.w2Reps; rep++) {
    const tasks = tasksFor(cfg, rep);
    for (const t of rotated(tasks, rep)) {
      // refheap, then the floor (where it runs); the other way round in odd repetitions.
      const variants: [string, W2Row["runtime"], string][] = [[JS_NAME, "refheap", W2_CHILD_IDS[t.part]]];
      if (hasFloor(t)) variants.push([FLOOR_NAME, "floor", W2_FLOOR_CHILD_IDS[t.part]]);
      const pair = pairIds(t);
      if (pair !== null)
        variants.push([CLASS2_NAME, "refheap", pair.class], [KIND2_NAME, "refheap", pair.kind]);
      for (const [name, runtime, id] of rep % 2 === 0 ? variants : variants.reverse()) {
        const args = ["--child", id, "--n", String(t.objects), "--rounds", String(t.rounds)];
        const child = spawnJsChild(
          progress,
          `W2 ${runtime === "floor" ? "floor " : ""}${t.part} ${t.objects}`,
          [...args, "--warmup", String(t.warmup)],
          (json): json is W2ChildResult => {
            const o = json as Partial<W2ChildResult> | null;
            return (
              o?.id === id &&
              typeof o.exposeGc === "boolean" &&
              Array.isArray(o.rounds) &&
              o.rounds.length === t.rounds &&
              o.rounds.every(isCollectTime) &&
              (t.part === "fragmented" ? typeof o.placed === "number" : o.placed === null)
            );
          },
        );
        exposeGc &&= child.exposeGc;
        for (const r of child.rounds)
          shortestJsNs = Math.min(
            shortestJsNs,
            r.collectNs,
            t.part === "garbage" && runtime === "refheap" ? r.makeNs : r.collectNs,
          );
        const { rounds, placed } = child;
        add({ name, runtime, part: t.part, objects: t.objects, rounds, placed });
      }
    }
    // CPython: the same parts, each in a process of its own (startup and warm-up untimed).
    for (const t of tasks) {
      if (pythonFailed) break;
      const py = runW2Python(cfg, progress, t);
      if (!py.ok) {
        notes.push(`CPython skipped from repetition ${rep + 1} on: ${py.why}`);
        pythonFailed = true;
        break;
      }
      python = { version: py.version, implementation: py.implementation };
      if (typeof py.json.baselineTracked === "number") pythonBaseline = py.json.baselineTracked;
      const samples = t.part === "garbage" ? pyGarbageSamples(py.json) : pyPauseSamples(py.json, t.part);
      for (const s of samples) add({ ...s, objects: t.objects });
    }
  }
  return { rows, python, pythonBaseline, exposeGc, shortestJsNs, notes };
}

// --- CPython ---------------------------------------------------------------------------------

function runW2Python(cfg: BenchConfig, progress: BenchContext["progress"], t: W2Task): PyResult {
  const args =
    t.part === "garbage"
      ? ["garbage", "--pairs", String(t.objects / 2), "--rounds", String(t.rounds)]
      : [t.part, "--n", String(t.objects), "--rounds", String(t.rounds)];
  const warmup = t.part === "garbage" ? W2_GARBAGE_WARMUP_PY : t.warmup;
  return runPython(progress, cfg.python, PY_SCRIPTS.w2, [...args, "--warmup", String(warmup)]);
}

function zipRounds(makeNs: number[], collectNs: number[], returned: number[]): CollectTime[] {
  if (collectNs.length === 0 || returned.length !== collectNs.length)
    throw new Error("w2.py: malformed rounds");
  return collectNs.map((c, i) => ({ makeNs: makeNs[i] ?? 0, collectNs: c, returned: returned[i]! }));
}

function pyGarbageSamples(json: Record<string, unknown>): Omit<W2Sample, "objects">[] {
  const variants = Array.isArray(json.variants) ? (json.variants as Record<string, unknown>[]) : [];
  return variants.map((v) => ({
    name: `CPython ${String(v.name)}`,
    runtime: "CPython",
    part: "garbage",
    rounds: zipRounds(numbers(v.makeNs), numbers(v.collectNs), numbers(v.returned)),
    placed: null,
  }));
}

function pyPauseSamples(json: Record<string, unknown>, part: W2Part): Omit<W2Sample, "objects">[] {
  if (part === "fragmented" && (typeof json.placed !== "number" || json.seed !== SHUFFLE_SEED))
    throw new Error("w2.py: a fragmented pause without its placement count, or with another seed");
  return [
    {
      name: "CPython __slots__ class",
      runtime: "CPython",
      part,
      rounds: zipRounds([], numbers(json.collectNs), numbers(json.returned)),
      placed: part === "fragmented" ? (json.placed as number) : null,
    },
  ];
}

// --- report ----------------------------------------------------------------------------------

/** "1,000,000 ✓" when every round returned `expected`; otherwise the values seen, marked ✗. */
function returnedCell(returned: readonly number[], expected: number): { text: string; ok: boolean } {
  const seen = [...new Set(returned)];
  const fmt = (v: number): string => v.toLocaleString("en-US");
  const ok = seen.length === 1 && seen[0] === expected;
  return { text: ok ? `${fmt(expected)} ✓` : `${seen.map(fmt).join("/")} ✗ (expected ${fmt(expected)})`, ok };
}

function reportW2(
  { cfg }: BenchContext,
  { rows, python, pythonBaseline, exposeGc, shortestJsNs, notes }: W2Measured,
): Section {
  const machine = machineInfo(python, exposeGc);
  const perObj = (row: W2Row): Summary => summarize(row.collectNs.map((ns) => ns / row.objects));
  const ms = (row: W2Row): Summary => summarize(row.collectNs.map((ns) => ns / 1e6));
  let allReturnedOk = true;
  const returned = (row: W2Row): string => {
    const c = returnedCell(row.returned, row.part === "garbage" ? row.objects : 0);
    allReturnedOk &&= c.ok;
    return c.text;
  };
  const all = [...rows.values()].filter((r) => r.collectNs.length > 0);
  const median = (row: W2Row | undefined): number | undefined =>
    row === undefined ? undefined : perObj(row).median;

  // Cyclic garbage.
  const garbage = all.filter((r) => r.part === "garbage");
  const pySlots = garbage.find((r) => r.name === "CPython __slots__ class");
  const pyPlain = garbage.find((r) => r.name === "CPython plain class");
  const garbageTable = [
    [
      "variant",
      "collect ns/obj median (min–max)",
      "collect ms",
      "make ns/obj",
      "collect() returned",
      "× CPython __slots__",
      "× CPython plain",
    ],
    ...garbage.map((r) => [
      r.name,
      withRange(perObj(r)),
      ms(r).median.toFixed(1),
      r.runtime === "floor" ? "—" : (summarize(r.makeNs).median / r.objects).toFixed(1),
      returned(r),
      times(ratio(perObj(r).median, median(pySlots))),
      times(ratio(perObj(r).median, median(pyPlain))),
    ]),
  ];
  const refGarbage = garbage.find((r) => r.runtime === "refheap");
  const GARBAGE_GOAL = 1 / 5;
  /** "2.46× (goal ≤ 0.20×: not met)". */
  const goalText = (r: number | null, goal: number): string =>
    r === null
      ? "— (no CPython row)"
      : `${times(r)} (goal ≤ ${times(goal)}: ${r <= goal ? "met" : "NOT MET"})`;
  const garbageGoal =
    refGarbage === undefined
      ? "goal: cyclic garbage at least 5× cheaper per object than CPython — no refheap row"
      : "goal: cyclic garbage at least 5× cheaper per object than CPython — refheap's time is " +
        `${goalText(ratio(perObj(refGarbage).median, median(pySlots)), GARBAGE_GOAL)} of CPython __slots__'s, ` +
        `${goalText(ratio(perObj(refGarbage).median, median(pyPlain)), GARBAGE_GOAL)} of CPython plain class's`;

  // Full-collection pause.
  const pause = all.filter((r) => r.part === "pause").sort((a, b) => a.objects - b.objects);
  const pyPause = (n: number): W2Row | undefined =>
    pause.find((r) => r.runtime === "CPython" && r.objects === n);
  const pauseTable = [
    [
      "variant",
      "live objects",
      "reps",
      "pause ms median (min–max)",
      "ns/live obj median (min–max)",
      "collect(2) returned",
      "× CPython",
    ],
    ...pause.map((r) => [
      r.name,
      r.objects.toLocaleString("en-US"),
      String(r.collectNs.length),
      withRange(ms(r), 2),
      withRange(perObj(r)),
      returned(r),
      times(ratio(perObj(r).median, median(pyPause(r.objects)))),
    ]),
  ];
  const PAUSE_GOAL = 1 / 4;
  const pauseGoal =
    "goal: full-collection pause at least 4× shorter per live object than CPython — refheap's pause is " +
    pause
      .filter((r) => r.name === JS_NAME)
      .map(
        (r) =>
          `${goalText(ratio(perObj(r).median, median(pyPause(r.objects))), PAUSE_GOAL)} of CPython's ` +
          `at ${r.objects.toLocaleString("en-US")}`,
      )
      .join(", ");

  // A user kind against a declared class with the same two reference slots (same run).
  const kindVsClass = (rows: readonly W2Row[]): number | null => {
    const k = rows.find((r) => r.name === KIND2_NAME);
    const c = rows.find((r) => r.name === CLASS2_NAME);
    return k === undefined || c === undefined ? null : ratio(perObj(k).median, perObj(c).median);
  };
  const userKind = { garbage: kindVsClass(garbage), pause: kindVsClass(pause) };
  const kindLine = (r: number | null): string => (r === null ? "—" : `${r.toFixed(2)}×`);
  const userKindLine =
    `user kind ÷ declared class, two reference slots each (lower is better): garbage ${kindLine(userKind.garbage)}, ` +
    `pause at ${PAIR_PAUSE.toLocaleString("en-US")} ${kindLine(userKind.pause)}`;

  // W2b: the full-collection pause on a fragmented heap.
  const fragmented = all.filter((r) => r.part === "fragmented").sort((a, b) => a.objects - b.objects);
  const pyFragmented = (n: number): W2Row | undefined =>
    fragmented.find((r) => r.runtime === "CPython" && r.objects === n);
  const inOrder = (r: W2Row): W2Row | undefined =>
    pause.find((p) => p.name === r.name && p.objects === r.objects);
  let allPlaced = true;
  const placed = (row: W2Row): string => {
    const c = returnedCell(row.placed, row.objects);
    allPlaced &&= c.ok;
    return c.text;
  };
  const fragmentedTable = [
    [
      "variant",
      "live objects",
      "reps",
      "pause ms median (min–max)",
      "ns/live obj median (min–max)",
      "collect(2) returned",
      "placed as shuffled",
      "× CPython",
      "× in order",
    ],
    ...fragmented.map((r) => [
      r.name,
      r.objects.toLocaleString("en-US"),
      String(r.collectNs.length),
      withRange(ms(r), 2),
      withRange(perObj(r)),
      returned(r),
      placed(r),
      times(ratio(perObj(r).median, median(pyFragmented(r.objects)))),
      times(ratio(perObj(r).median, median(inOrder(r)))),
    ]),
  ];

  if (!allReturnedOk) {
    process.exitCode = 1;
    notes.push("CHECK FAILED: some collect() call did not return what the workload leaves (marked ✗).");
  }
  notes.push(
    ...timingNotes(shortestJsNs),
    "refheap rows: the engine API on an unchecked heap, automatic collection off (gc.disable); each part runs in a " +
      "fresh node process per repetition, whose one heap is reused for the warm-up and the timed rounds " +
      "(its arenas are already in place); V8's own GC runs once, before the warm-up (a forced V8 GC between " +
      "rounds slowed the next collect() calls).",
    "floor rows: NOT refheap. Hand-written flat TypeScript (src/bench/floor-flat.ts) over an Int32Array of " +
      "its own, laid out as refheap's heap, doing the work the collection must do and nothing else, in a node " +
      "child of its own like refheap's: garbage = the younger generations merged, update_refs, subtract_refs, " +
      "move_unreachable, the unreachable tags cleared, delete_garbage (each head cleared, its partner and then " +
      "itself deallocated, blocks freed to pymalloc); pause = merge, update_refs, subtract_refs, " +
      "move_unreachable over the same heap (built the same way, the fragmented one with the same shuffle). It " +
      "knows its one class and the list: no per-type tables, traverse dispatch, weakref, finalizer or " +
      "legacy-finalizer passes, statistics, callbacks or trace hooks. Its cycles are made (untimed) by plain " +
      "helpers, so its make column is empty; after every timed collection it checks its heap (all blocks freed, " +
      "or every link and count restored) and throws if not. Run at " +
      `${FLOOR_MIN_PAUSE.toLocaleString("en-US")} live objects and more only.`,
    "CPython rows: gc.disable() (automatic collection off), the same parts each in its own python3 process; " +
      `its collect() also walks the interpreter's own live tracked objects (${pythonBaseline ?? "?"} of them ` +
      "at start), which refheap's heap does not have.",
    `garbage: ${(W2_GARBAGE_OBJECTS / 2).toLocaleString("en-US")} pairs of a one-field class, a.other = b, ` +
      `b.other = a, both dropped; ns/obj = one collect() / ${W2_GARBAGE_OBJECTS.toLocaleString("en-US")} objects freed; make = making the cycles (not in collect's time); ` +
      `untimed warm-up rounds (node ${W2_GARBAGE_WARMUP}, CPython ${W2_GARBAGE_WARMUP_PY}), then ` +
      `${W2_GARBAGE_ROUNDS} timed rounds per repetition, averaged.`,
    "pause: the same structure in both, one list holding N instances of the one-field class (field unset), so N + 1 " +
      "tracked objects; untimed collect(2) calls first (the first moves everything to generation 2), then " +
      `timed collect(2) calls that find no garbage (${W2_PAUSE.map(
        (p) => `${p.rounds} for ${p.objects.toLocaleString("en-US")}`,
      ).join(", ")}), averaged per repetition; ns per live object = pause / N.`,
    `Pair rows (refheap only): the same garbage and ${PAIR_PAUSE.toLocaleString("en-US")}-object pause parts on ` +
      "a declared class with two reference fields and on a user kind (engine.defineKind) with two reference " +
      "slots, each in its own process: garbage cycles refer to each other from both slots, and each live " +
      "object of the pause refers to the one made before it. The line under the pause table divides the " +
      "kind's median by the class's.",
    "fragmented (W2b): the pause's heap and timing, but its N live instances were allocated in a shuffled " +
      "address order, the same way in both: first N instances, which fresh pools hand out in address order; " +
      "then, for i = 0 … N−1, the one at position order[i] is freed and at once a new instance is made and " +
      "appended to the list, where order is a permutation of 0 … N−1 drawn by a Fisher–Yates shuffle from " +
      `xorshift32 (seed 0x${SHUFFLE_SEED.toString(16).toUpperCase()}), the same code in src/bench/shuffle.ts ` +
      "and bench/python/w2.py. pymalloc's free lists are LIFO and a full pool that regains a block goes to the " +
      "front of its class's used pools, so each new instance takes the block just freed: the i-th object on " +
      "the list and on the collector's generation list sits at the order[i]-th block. The heap is as densely " +
      "packed as the in-order pause's (N blocks filling the same number of pools); only the order the " +
      "collector walks them in is random. placed as shuffled = live objects found at their intended address (id() in CPython), per " +
      `repetition; timed collect(2) calls: ${W2_FRAGMENTED.map(
        (p) => `${p.rounds} for ${p.objects.toLocaleString("en-US")}`,
      ).join(", ")}; × in order = this pause ÷ the same runtime's in-order pause at the same N, same run.`,
  );
  if (!allPlaced)
    notes.push("some live objects of a fragmented heap were not where the shuffle put them (marked ✗).");
  if (!machine.exposeGc) notes.push("node ran without --expose-gc: no V8 collection before the warm-up.");

  const rowJson = (r: W2Row, base: W2Row | undefined) => ({
    name: r.name,
    runtime: r.runtime,
    objects: r.objects,
    collectNsPerObj: { ...perObj(r), samples: r.collectNs.map((ns) => ns / r.objects) },
    collectMs: ms(r),
    makeNsPerObj:
      r.part === "garbage" && r.runtime !== "floor" ? summarize(r.makeNs.map((ns) => ns / r.objects)) : null,
    returned: r.returned,
    ratioVsCPython: ratio(perObj(r).median, median(base)),
  });
  const json = {
    machine,
    config: {
      reps: cfg.w2Reps,
      bigReps: w2BigReps(cfg),
      garbage: {
        objects: W2_GARBAGE_OBJECTS,
        rounds: W2_GARBAGE_ROUNDS,
        warmupRounds: W2_GARBAGE_WARMUP,
        warmupRoundsCPython: W2_GARBAGE_WARMUP_PY,
      },
      pause: W2_PAUSE.map((p) => ({ ...p, warmupCollections: pauseWarmup(p.objects) })),
      fragmented: {
        sizes: W2_FRAGMENTED.map((p) => ({ ...p, warmupCollections: pauseWarmup(p.objects) })),
        shuffle: "Fisher–Yates, xorshift32",
        seed: SHUFFLE_SEED,
      },
      processPerVariantPerRep: true,
    },
    timing: timingJson(shortestJsNs),
    garbage: garbage.map((r) => ({
      ...rowJson(r, pySlots),
      ratioVsCPythonPlain: ratio(perObj(r).median, median(pyPlain)),
    })),
    pause: pause.map((r) => rowJson(r, pyPause(r.objects))),
    fragmentedPause: fragmented.map((r) => ({
      ...rowJson(r, pyFragmented(r.objects)),
      placed: r.placed,
      ratioVsInOrder: ratio(perObj(r).median, median(inOrder(r))),
    })),
    goals: [garbageGoal, pauseGoal],
    userKindVsClass: userKind,
    notes,
  };
  const blocks: Block[] = [
    ...sectionHeader(
      `W2 cyclic garbage — ${(W2_GARBAGE_OBJECTS / 2).toLocaleString("en-US")} two-object cycles, ` +
        "automatic collection off, ONE collect() timed per round",
      machine,
      `${cfg.w2Reps} repetitions × ${W2_GARBAGE_ROUNDS} rounds, interleaved`,
    ),
    "",
    tableBlock(garbageTable),
    internalLine(garbageGoal),
    "",
    ...sectionHeader(
      "W2 full-collection pause — collect(2) with N live tracked objects (one list of N one-field instances) " +
        "and no garbage",
      machine,
      `${cfg.w2Reps} repetitions (${w2BigReps(cfg)} for ${W2_BIG.toLocaleString("en-US")}), interleaved`,
    ),
    "",
    tableBlock(pauseTable),
    internalLine(pauseGoal),
    userKindLine,
    "",
    ...sectionHeader(
      "W2b full-collection pause on a fragmented heap — collect(2) with N live one-field instances " +
        "allocated in a shuffled address order (see the note) and no garbage",
      machine,
      `${cfg.w2Reps} repetitions (${w2BigReps(cfg)} for ${W2_BIG.toLocaleString("en-US")}), interleaved`,
    ),
    "",
    tableBlock(fragmentedTable),
    "",
    ...noteLines(notes),
  ];
  /** One bar per size, one dataset per variant: ns per live object. */
  const pauseChart = (title: string, rows: readonly W2Row[]): ChartSpec => {
    const sizes = [...new Set(rows.map((r) => r.objects))];
    return {
      title,
      unit: "ns per live object, median",
      labels: sizes.map((n) => `${n.toLocaleString("en-US")} live`),
      datasets: [...new Set(rows.map((r) => r.name))].map((name) =>
        summaryDataset(
          name,
          sizes.map((n) => {
            const row = rows.find((r) => r.name === name && r.objects === n);
            return row === undefined ? null : perObj(row);
          }),
        ),
      ),
    };
  };
  const charts: ChartSpec[] = [
    {
      title: `W2 cyclic garbage — one collect() freeing ${W2_GARBAGE_OBJECTS.toLocaleString("en-US")} objects in 2-cycles`,
      unit: "ns per object freed, median",
      labels: garbage.map((r) => r.name),
      datasets: [summaryDataset("collect ns/obj", garbage.map(perObj))],
      horizontal: true,
    },
    pauseChart("W2 full-collection pause — collect(2) with N live objects", pause),
    pauseChart("W2b full-collection pause on a fragmented heap — collect(2) with N live objects", fragmented),
  ];
  return { json, lines: blockLines(blocks), blocks, charts };
}

/** W2 measured and reported: its section of the report. */
export function w2Section(ctx: BenchContext): Section {
  return reportW2(ctx, measureW2(ctx));
}
