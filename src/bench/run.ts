/**
 * `refheap bench` (and `npm run bench`): workload W1 (make 100,000 instances in a list, drop the
 * list) on refheap, plain V8 objects and CPython; W2 (the cycle collector: cyclic garbage, and the
 * pause of a full collection) on refheap and CPython; W3 (WeakValueDictionary get hit / miss /
 * set, and an object with one callback weakref dying) on refheap, CPython and a JavaScript
 * Map+WeakRef+FinalizationRegistry cache; W4 (bytes per object, w4.ts). Each is interleaved: every
 * repetition runs each variant once, in a rotating order, so machine drift (thermal, other load)
 * spreads over all variants alike.
 *
 * Every variant runs in a process of its own, started afresh for each repetition: CPython as
 * `python3 bench/python/w1.py` (w2.py, w3.py, w4.py), each JavaScript variant as child.ts with
 * `--child <id>`. In one shared process V8 would optimise refheap's hot functions with type
 * feedback from the checked and the unchecked engine at once (and from the V8 variants), which
 * makes the optimised code larger and slower than what a program using one engine mode gets.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeVariant, type RoundTime, refheapBlockSize, type Shape, type W1Spec, w1Specs } from "./w1.js";
import { type CollectTime, makeW2Variant, W2_CHILD_IDS, type W2Part } from "./w2.js";
import { makeW3Variant, W3_KEYS, W3_OPS, type W3Finalization, type W3Op, w3Specs } from "./w3.js";
import { refheapBytesPerObject, v8BytesPerObject, W4_CHILD_ID, W4_N, W4_SHAPES, type W4Shape } from "./w4.js";

export const WORKLOADS = ["w1", "w2", "w3", "w4"] as const;
export type Workload = (typeof WORKLOADS)[number];

/** What to run and how often; the CLI's flags map onto it one to one. */
export interface BenchConfig {
  readonly workloads: readonly Workload[];
  /** W1: repetitions, timed rounds per process, objects per round. */
  readonly reps: number;
  readonly rounds: number;
  readonly n: number;
  /** W2: repetitions, and how many of them also measure the 4,000,000-object pause. */
  readonly w2Reps: number;
  readonly w2BigReps: number;
  /** W3: repetitions, timed rounds per op, operations per round. */
  readonly w3Reps: number;
  readonly w3Rounds: number;
  readonly w3Ops: number;
  /** Children only: untimed rounds before the timed ones (W2, W3). */
  readonly warmup: number;
  /** The CPython to compare with (skipped, with a note, if it cannot be run). */
  readonly python: string;
}

export const DEFAULT_BENCH_CONFIG: BenchConfig = {
  workloads: WORKLOADS,
  reps: 7,
  rounds: 10,
  n: 100_000,
  w2Reps: 5,
  w2BigReps: 3,
  w3Reps: 5,
  w3Rounds: 3,
  w3Ops: 200_000,
  warmup: 1,
  python: "python3",
};

/** How a run reports what it is doing: one bar (or line) per workload, a step per process. */
export interface BenchProgress {
  begin(label: string, total: number): void;
  step(detail: string): void;
  end(): void;
}

const SILENT: BenchProgress = { begin() {}, step() {}, end() {} };

/** The run's configuration; set by runBench, or by a child from its arguments. */
let cfg: BenchConfig = DEFAULT_BENCH_CONFIG;
let progress: BenchProgress = SILENT;

const WARMUP_ROUNDS = 3;
/** bench/python/ of the package: two levels up from both src/bench/ and dist/bench/. */
const pyScript = (name: string): string =>
  fileURLToPath(new URL(`../../bench/python/${name}`, import.meta.url));
const PY_SCRIPT = pyScript("w1.py");
const PY_SCRIPT_W2 = pyScript("w2.py");
const PY_SCRIPT_W3 = pyScript("w3.py");
const PY_SCRIPT_W4 = pyScript("w4.py");
/** child.js next to this file (child.ts when run from source, under tsx or vitest). */
const CHILD = fileURLToPath(
  new URL(`./child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
/** Node flags of a child: tsx's loader for the TypeScript child, and gc() for every variant. */
const CHILD_FLAGS = [...(CHILD.endsWith(".ts") ? ["--import", "tsx"] : []), "--expose-gc"];

// With --expose-gc, collect before the timed rounds so the warm-up's garbage is not collected on
// their clock. V8's scavenges during its own builds stay timed.
const collect = (): void => globalThis.gc?.();

// --- JavaScript variants (child processes) ---------------------------------------------------

/** What a child prints on stdout: one entry per timed round. */
interface ChildResult {
  id: string;
  exposeGc: boolean;
  rounds: RoundTime[];
}

/** The child's side: warm up, time cfg.rounds rounds, print them. Nothing else runs in this process. */
function runChild(id: string): void {
  const v = makeVariant(id);
  for (let i = 0; i < WARMUP_ROUNDS; i++) v.round(cfg.n); // JIT tiers up; the heap reaches its size
  v.checkClean();
  collect();
  const rounds: RoundTime[] = [];
  for (let r = 0; r < cfg.rounds; r++) rounds.push(v.round(cfg.n));
  v.checkClean();
  const out: ChildResult = { id, exposeGc: globalThis.gc !== undefined, rounds };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function isRoundTime(x: unknown): x is RoundTime {
  const o = x as Partial<RoundTime> | null;
  return typeof o?.buildNs === "number" && typeof o.dropNs === "number";
}

function isChildResult(x: unknown): x is ChildResult {
  const o = x as Partial<ChildResult> | null;
  return (
    typeof o?.id === "string" &&
    typeof o.exposeGc === "boolean" &&
    Array.isArray(o.rounds) &&
    o.rounds.every(isRoundTime)
  );
}

/** Runs one JavaScript variant in a fresh node (see CHILD_FLAGS). */
function runJsChild(spec: W1Spec): ChildResult {
  return spawnJsChild(
    spec.name,
    ["--child", spec.id, "--n", String(cfg.n), "--rounds", String(cfg.rounds)],
    (json): json is ChildResult =>
      isChildResult(json) && json.id === spec.id && json.rounds.length === cfg.rounds,
  );
}

/** Runs child.ts/child.js in a fresh node with `args`; returns what it printed if `valid` accepts it. */
function spawnJsChild<T>(what: string, args: string[], valid: (json: unknown) => json is T): T {
  progress.step(what);
  const r = spawnSync(process.execPath, [...CHILD_FLAGS, CHILD, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  function fail(why: string): never {
    throw new Error(`${what}: child node ${why}\n${r.stderr.trim()}`);
  }
  if (r.error !== undefined) fail(`could not be run (${r.error.message})`);
  if (r.status !== 0) fail(`exited with ${r.status ?? r.signal}`);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  if (!valid(json)) fail(`printed no valid result: ${r.stdout.trim().slice(0, 200)}`);
  return json;
}

// --- CPython (child process) -----------------------------------------------------------------

interface PyRound {
  name: string;
  buildNs: number;
  dropNs: number;
}

interface PySize {
  name: string;
  getsizeof: number;
  block: number | null;
  tracedBytes: number;
}

type PyResult =
  | { ok: true; version: string; implementation: string; json: Record<string, unknown> }
  | { ok: false; why: string };

function runPython(args: string[], script = PY_SCRIPT): PyResult {
  progress.step(`CPython ${path.basename(script)} ${args.join(" ")}`);
  const python = cfg.python;
  const r = spawnSync(python, [script, ...args], { encoding: "utf8" });
  if (r.error !== undefined) return { ok: false, why: `${python} could not be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${python} exited with ${r.status}: ${r.stderr.trim()}` };
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  if (typeof json !== "object" || json === null) return { ok: false, why: "python printed no JSON object" };
  const o = json as Record<string, unknown>;
  return { ok: true, version: String(o.version), implementation: String(o.implementation), json: o };
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
};

// --- samples and statistics ------------------------------------------------------------------

interface Row {
  name: string;
  runtime: "refheap" | "V8" | "CPython";
  shape: Shape;
  /** Per repetition: ns per object over that repetition's rounds. */
  total: number[];
  drop: number[];
}

interface Summary {
  median: number;
  min: number;
  max: number;
}

function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

// --- the run ---------------------------------------------------------------------------------

interface Measured {
  /** In table order: the JavaScript variants as declared, then CPython's as it reports them. */
  rows: Map<string, Row>;
  python: { version: string; implementation: string } | null;
  pythonFailed: boolean;
  /** Whether every JavaScript child had globalThis.gc (it inherits this process's flags). */
  exposeGc: boolean;
  notes: string[];
}

function measureW1(): Measured {
  const rows = new Map<string, Row>();
  const rowFor = (name: string, runtime: Row["runtime"], shape: Shape): Row => {
    let row = rows.get(name);
    if (row === undefined) {
      row = { name, runtime, shape, total: [], drop: [] };
      rows.set(name, row);
    }
    return row;
  };
  for (const v of w1Specs) rowFor(v.name, v.runtime, v.shape); // table order = declaration order

  progress.begin(
    `W1: ${cfg.n} objects × ${cfg.rounds} rounds × ${cfg.reps} repetitions; ` +
      `${w1Specs.length} node processes + 1 python per repetition (${WARMUP_ROUNDS} warm-up rounds each)`,
    cfg.reps * (w1Specs.length + 1) + 1, // + CPython's sizes
  );
  let python: Measured["python"] = null;
  let pythonFailed = false;
  let exposeGc = true;
  const notes: string[] = [];
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (let k = 0; k < w1Specs.length; k++) {
      const spec = w1Specs[(rep + k) % w1Specs.length]!;
      const child = runJsChild(spec);
      exposeGc &&= child.exposeGc;
      let build = 0;
      let drop = 0;
      for (const t of child.rounds) {
        build += t.buildNs;
        drop += t.dropNs;
      }
      const row = rows.get(spec.name)!;
      row.total.push((build + drop) / (cfg.rounds * cfg.n));
      row.drop.push(drop / (cfg.rounds * cfg.n));
    }
    // CPython in its own process, once per repetition (startup and its warm-up round are untimed).
    if (!pythonFailed) {
      const py = runPython(["--n", String(cfg.n), "--rounds", String(cfg.rounds), "--warmup", "1"]);
      if (py.ok) {
        python = { version: py.version, implementation: py.implementation };
        const rounds = Array.isArray(py.json.variants) ? py.json.variants.filter(isPyRound) : [];
        for (const p of rounds) {
          const row = rowFor(`CPython ${p.name}`, "CPython", PY_SHAPES[p.name] ?? "empty");
          row.total.push((p.buildNs + p.dropNs) / (cfg.rounds * cfg.n));
          row.drop.push(p.dropNs / (cfg.rounds * cfg.n));
        }
      } else {
        notes.push(`CPython skipped from repetition ${rep + 1} on: ${py.why}`);
        pythonFailed = true;
      }
    }
  }
  return { rows, python, pythonFailed, exposeGc, notes };
}

// --- report ----------------------------------------------------------------------------------

/** One workload's part of the output: its JSON section and its text lines. */
interface Section {
  json: Record<string, unknown>;
  lines: string[];
  /** What the HTML report draws for this workload (html.ts). */
  charts: ChartSpec[];
}

/**
 * A bar chart: one bar per label in each dataset. `ranges` (min–max per bar) go into the
 * tooltips; `log` uses a logarithmic value axis (the W1 rows span three decades).
 */
export interface ChartSpec {
  title: string;
  unit: string;
  labels: string[];
  datasets: { label: string; data: (number | null)[]; ranges?: ([number, number] | null)[] }[];
  horizontal?: boolean;
  log?: boolean;
}

/** A dataset of medians with their min–max, from summaries (null where a bar is missing). */
function summaryDataset(
  label: string,
  summaries: readonly (Summary | null)[],
): ChartSpec["datasets"][number] {
  return {
    label,
    data: summaries.map((x) => x?.median ?? null),
    ranges: summaries.map((x) => (x === null ? null : [x.min, x.max])),
  };
}

interface Machine {
  cpu: string;
  cores: number;
  platform: string;
  node: string;
  python: string | null;
  exposeGc: boolean;
}

function machineInfo(python: { version: string; implementation: string } | null, exposeGc: boolean): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    python: python === null ? null : `${python.implementation} ${python.version}`,
    exposeGc,
  };
}

/** Lays out a table: the first `left` columns left-aligned, the others right-aligned. */
function formatTable(table: string[][], left = 1): string[] {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
  return table.map((line) =>
    line.map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
}

function reportW1({ rows, python, pythonFailed, exposeGc, notes }: Measured): Section {
  const refheapSizes = { Node: refheapBlockSize(["other"]), Empty: refheapBlockSize([]) };
  let pySizes: PySize[] = [];
  if (python !== null && !pythonFailed) {
    const py = runPython(["--sizes"]);
    if (py.ok && Array.isArray(py.json.sizes)) pySizes = py.json.sizes.filter(isPySize);
  }

  const results = [...rows.values()].map((row) => ({
    ...row,
    totalS: summarize(row.total),
    dropS: summarize(row.drop),
  }));
  const cpythonPlain = results.find((r) => r.name === "CPython plain class");
  const v8ByShape = new Map(results.filter((r) => r.runtime === "V8").map((r) => [r.shape, r]));

  const machine = machineInfo(python, exposeGc);
  notes.push(
    "each JS variant runs in a fresh node process per repetition (warm-up, then timed rounds), so V8's JIT " +
      "optimises refheap's shared functions with that variant's type feedback only, as in a program using one mode.",
    "steal rows append with listAppendSteal (the list takes over the new object's reference, as CPython's " +
      "LIST_APPEND does); the others use listAppend + decref, one extra incref/decref pair per object.",
    "V8 rows: dropping an array only forgets a reference; the collector frees the objects later, " +
      "mostly outside the timed region (scavenges during a build are timed).",
    "× V8 compares with the V8 variant of the same shape (empty class, or one reference field).",
  );
  if (python !== null) {
    notes.push(
      "CPython rows: gc.disable() while timing (refcounting + pymalloc only, as refheap here); " +
        "plain class = `class C: pass`, __slots__ class = `__slots__ = ('other',)`, unset.",
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
      warmupRounds: WARMUP_ROUNDS,
      processPerVariantPerRep: true,
    },
    results: results.map((r) => ({
      name: r.name,
      runtime: r.runtime,
      shape: r.shape,
      totalNsPerObj: { ...r.totalS, samples: r.total },
      dropNsPerObj: { ...r.dropS, samples: r.drop },
      ratioVsCPythonPlain: ratio(r.totalS.median, cpythonPlain?.totalS.median),
      ratioVsV8SameShape: ratio(r.totalS.median, v8ByShape.get(r.shape)?.totalS.median),
    })),
    bytesPerInstance: { refheap: refheapSizes, cpython: pySizes },
    notes,
  };
  const ns = (s: Summary): string => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  const table = [
    ["variant", "total ns/obj median (min–max)", "drop ns/obj median (min–max)", "× CPython plain", "× V8"],
    ...results.map((r) => [
      r.name,
      ns(r.totalS),
      ns(r.dropS),
      times(ratio(r.totalS.median, cpythonPlain?.totalS.median)),
      times(ratio(r.totalS.median, v8ByShape.get(r.shape)?.totalS.median)),
    ]),
  ];
  const charts: ChartSpec[] = [
    {
      title: `W1 — make ${cfg.n.toLocaleString("en-US")} instances in a list, drop the list`,
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
  const lines = [
    `W1 — make ${cfg.n.toLocaleString("en-US")} instances in a list, drop the list`,
    `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `node ${machine.node}, ${machine.python ?? "no CPython"}; ${cfg.reps} repetitions × ${cfg.rounds} rounds, interleaved`,
    "",
    ...formatTable(table),
    "",
    "Bytes per instance",
    `  refheap Node (one ref field): ${refheapSizes.Node} (size-class block, incl. GC head); Empty: ${refheapSizes.Empty}`,
    ...pySizes.map(
      (s) =>
        `  CPython ${s.name}: sys.getsizeof ${s.getsizeof} → pymalloc block ${s.block ?? "n/a"}; ` +
        `tracemalloc ${s.tracedBytes} B/instance`,
    ),
    "",
    ...notes.map((n) => `note: ${n}`),
  ];
  return { json, lines, charts };
}

const times = (r: number | null): string => (r === null ? "—" : `${r.toFixed(2)}×`);
const ratio = (x: number, base: number | undefined): number | null => (base === undefined ? null : x / base);

// --- W2: the cycle collector -----------------------------------------------------------------

/** Two-object cycles: 500,000 pairs. */
const W2_GARBAGE_OBJECTS = 1_000_000;
const W2_GARBAGE_ROUNDS = 3;
/** Untimed rounds first: node's as W1's (the JIT settles after two or three), CPython's one. */
const W2_GARBAGE_WARMUP = WARMUP_ROUNDS;
const W2_GARBAGE_WARMUP_PY = 1;
/** Live objects for the pause, and the timed collect(2) calls per repetition at each size. */
const W2_PAUSE: readonly { readonly objects: number; readonly rounds: number }[] = [
  { objects: 100_000, rounds: 5 },
  { objects: 1_000_000, rounds: 3 },
  { objects: 4_000_000, rounds: 2 },
];
const W2_PAUSE_SIZES = W2_PAUSE.map((p) => p.objects);
/** The pause size measured only in the first --w2-big-reps repetitions (it is the slow one). */
const W2_BIG = 4_000_000;
const w2BigReps = (): number => Math.min(cfg.w2BigReps, cfg.w2Reps);
/** Untimed collect(2) calls before the timed ones: at least 2, and about 2 million objects' worth (JIT). */
const pauseWarmup = (n: number): number => Math.max(2, Math.ceil(2_000_000 / n));

interface W2ChildResult {
  id: string;
  exposeGc: boolean;
  rounds: CollectTime[];
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
function runW2Child(id: string): void {
  const v = makeW2Variant(id, cfg.n);
  collect();
  const warmup = cfg.warmup;
  for (let i = 0; i < warmup; i++) v.warmUp();
  const rounds: CollectTime[] = [];
  for (let r = 0; r < cfg.rounds; r++) rounds.push(v.round());
  v.finish();
  const out: W2ChildResult = { id, exposeGc: globalThis.gc !== undefined, rounds };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

interface W2Row {
  name: string;
  runtime: "refheap" | "CPython";
  part: W2Part;
  /** Objects made per round (garbage) or live objects (pause). */
  objects: number;
  /** Per repetition: the mean over its rounds. */
  collectNs: number[];
  makeNs: number[];
  /** Every round's collect() result. */
  returned: number[];
}

interface W2Measured {
  rows: Map<string, W2Row>;
  python: { version: string; implementation: string } | null;
  pythonBaseline: number | null;
  exposeGc: boolean;
  notes: string[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** What one task of a repetition measured, for one row. */
interface W2Sample {
  name: string;
  runtime: W2Row["runtime"];
  part: W2Part;
  objects: number;
  rounds: readonly CollectTime[];
}

function measureW2(): W2Measured {
  const rows = new Map<string, W2Row>();
  const key = (part: W2Part, objects: number, name: string): string => `${part} ${objects} ${name}`;
  const add = ({ name, runtime, part, objects, rounds }: W2Sample): void => {
    const k = key(part, objects, name);
    let row = rows.get(k);
    if (row === undefined) {
      row = { name, runtime, part, objects, collectNs: [], makeNs: [], returned: [] };
      rows.set(k, row);
    }
    row.collectNs.push(mean(rounds.map((r) => r.collectNs)));
    row.makeNs.push(mean(rounds.map((r) => r.makeNs)));
    row.returned.push(...rounds.map((r) => r.returned));
  };
  // Table order: per part and size, refheap first (CPython's rows follow as they first report).
  const jsName = "refheap Node (unchecked)";
  const seeds: [W2Part, number][] = [
    ["garbage", W2_GARBAGE_OBJECTS],
    ...W2_PAUSE_SIZES.map((n) => ["pause", n] as [W2Part, number]),
  ];
  for (const [part, objects] of seeds) {
    rows.set(key(part, objects, jsName), {
      name: jsName,
      runtime: "refheap",
      part,
      objects,
      collectNs: [],
      makeNs: [],
      returned: [],
    });
  }

  interface Task {
    part: W2Part;
    objects: number;
    rounds: number;
    warmup: number;
  }
  const tasksFor = (rep: number): Task[] => [
    { part: "garbage", objects: W2_GARBAGE_OBJECTS, rounds: W2_GARBAGE_ROUNDS, warmup: W2_GARBAGE_WARMUP },
    ...W2_PAUSE.filter((p) => p.objects < W2_BIG || rep < w2BigReps()).map(
      ({ objects, rounds }): Task => ({ part: "pause", objects, rounds, warmup: pauseWarmup(objects) }),
    ),
  ];

  let processes = 0;
  for (let rep = 0; rep < cfg.w2Reps; rep++) processes += 2 * tasksFor(rep).length;
  progress.begin(
    `W2: cyclic garbage (${W2_GARBAGE_OBJECTS} objects) and full-collection pauses ` +
      `(${W2_PAUSE_SIZES.join(", ")} live objects); ${cfg.w2Reps} repetitions ` +
      `(${w2BigReps()} for ${W2_BIG}), one node and one python process per part per repetition`,
    processes,
  );
  let python: W2Measured["python"] = null;
  let pythonBaseline: number | null = null;
  let pythonFailed = false;
  let exposeGc = true;
  const notes: string[] = [];
  for (let rep = 0; rep < cfg.w2Reps; rep++) {
    const tasks = tasksFor(rep);
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[(rep + k) % tasks.length]!;
      const id = W2_CHILD_IDS[t.part];
      const args = ["--child", id, "--n", String(t.objects), "--rounds", String(t.rounds)];
      const child = spawnJsChild(
        `W2 ${t.part} ${t.objects}`,
        [...args, "--warmup", String(t.warmup)],
        (json): json is W2ChildResult => {
          const o = json as Partial<W2ChildResult> | null;
          return (
            o?.id === id &&
            typeof o.exposeGc === "boolean" &&
            Array.isArray(o.rounds) &&
            o.rounds.length === t.rounds &&
            o.rounds.every(isCollectTime)
          );
        },
      );
      exposeGc &&= child.exposeGc;
      add({ name: jsName, runtime: "refheap", part: t.part, objects: t.objects, rounds: child.rounds });
    }
    // CPython: the same parts, each in a process of its own (startup and warm-up untimed).
    for (const t of tasks) {
      if (pythonFailed) break;
      const py =
        t.part === "garbage"
          ? runPython(
              [
                "garbage",
                "--pairs",
                String(t.objects / 2),
                "--rounds",
                String(t.rounds),
                "--warmup",
                String(W2_GARBAGE_WARMUP_PY),
              ],
              PY_SCRIPT_W2,
            )
          : runPython(
              ["pause", "--n", String(t.objects), "--rounds", String(t.rounds), "--warmup", String(t.warmup)],
              PY_SCRIPT_W2,
            );
      if (!py.ok) {
        notes.push(`CPython skipped from repetition ${rep + 1} on: ${py.why}`);
        pythonFailed = true;
        break;
      }
      python = { version: py.version, implementation: py.implementation };
      if (typeof py.json.baselineTracked === "number") pythonBaseline = py.json.baselineTracked;
      const samples = t.part === "garbage" ? pyGarbageSamples(py.json) : pyPauseSamples(py.json);
      for (const s of samples) add({ ...s, objects: t.objects });
    }
  }
  return { rows, python, pythonBaseline, exposeGc, notes };
}

const numbers = (x: unknown): number[] =>
  Array.isArray(x) && x.every((v) => typeof v === "number") ? (x as number[]) : [];

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
  }));
}

function pyPauseSamples(json: Record<string, unknown>): Omit<W2Sample, "objects">[] {
  return [
    {
      name: "CPython __slots__ class",
      runtime: "CPython",
      part: "pause",
      rounds: zipRounds([], numbers(json.collectNs), numbers(json.returned)),
    },
  ];
}

/** "1,000,000 ✓" when every round returned `expected`; otherwise the values seen, marked ✗. */
function returnedCell(returned: readonly number[], expected: number): { text: string; ok: boolean } {
  const seen = [...new Set(returned)];
  const fmt = (v: number): string => v.toLocaleString("en-US");
  const ok = seen.length === 1 && seen[0] === expected;
  return { text: ok ? `${fmt(expected)} ✓` : `${seen.map(fmt).join("/")} ✗ (expected ${fmt(expected)})`, ok };
}

function reportW2({ rows, python, pythonBaseline, exposeGc, notes }: W2Measured): Section {
  const machine = machineInfo(python, exposeGc);
  const perObj = (row: W2Row): Summary => summarize(row.collectNs.map((ns) => ns / row.objects));
  const ms = (row: W2Row): Summary => summarize(row.collectNs.map((ns) => ns / 1e6));
  const f = (s: Summary, digits: number): string =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
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
      f(perObj(r), 1),
      ms(r).median.toFixed(1),
      (summarize(r.makeNs).median / r.objects).toFixed(1),
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
      f(ms(r), 2),
      f(perObj(r), 1),
      returned(r),
      times(ratio(perObj(r).median, median(pyPause(r.objects)))),
    ]),
  ];
  const PAUSE_GOAL = 1 / 4;
  const pauseGoal =
    "goal: full-collection pause at least 4× shorter per live object than CPython — refheap's pause is " +
    pause
      .filter((r) => r.runtime === "refheap")
      .map(
        (r) =>
          `${goalText(ratio(perObj(r).median, median(pyPause(r.objects))), PAUSE_GOAL)} of CPython's ` +
          `at ${r.objects.toLocaleString("en-US")}`,
      )
      .join(", ");

  if (!allReturnedOk) {
    process.exitCode = 1;
    notes.push("CHECK FAILED: some collect() call did not return what the workload leaves (marked ✗).");
  }
  notes.push(
    "refheap rows: the engine API on an unchecked heap, automatic collection off (gc.disable); each part runs in a " +
      "fresh node process per repetition, whose one heap is reused for the warm-up and the timed rounds " +
      "(its arenas are already in place); V8's own GC runs once, before the warm-up (a forced V8 GC between " +
      "rounds slowed the next collect() calls).",
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
  );
  if (!machine.exposeGc) notes.push("node ran without --expose-gc: no V8 collection before the warm-up.");

  const rowJson = (r: W2Row, base: W2Row | undefined) => ({
    name: r.name,
    runtime: r.runtime,
    objects: r.objects,
    collectNsPerObj: { ...perObj(r), samples: r.collectNs.map((ns) => ns / r.objects) },
    collectMs: ms(r),
    makeNsPerObj: r.part === "garbage" ? summarize(r.makeNs.map((ns) => ns / r.objects)) : null,
    returned: r.returned,
    ratioVsCPython: ratio(perObj(r).median, median(base)),
  });
  const json = {
    machine,
    config: {
      reps: cfg.w2Reps,
      bigReps: w2BigReps(),
      garbage: {
        objects: W2_GARBAGE_OBJECTS,
        rounds: W2_GARBAGE_ROUNDS,
        warmupRounds: W2_GARBAGE_WARMUP,
        warmupRoundsCPython: W2_GARBAGE_WARMUP_PY,
      },
      pause: W2_PAUSE.map((p) => ({ ...p, warmupCollections: pauseWarmup(p.objects) })),
      processPerVariantPerRep: true,
    },
    garbage: garbage.map((r) => ({
      ...rowJson(r, pySlots),
      ratioVsCPythonPlain: ratio(perObj(r).median, median(pyPlain)),
    })),
    pause: pause.map((r) => rowJson(r, pyPause(r.objects))),
    goals: [garbageGoal, pauseGoal],
    notes,
  };
  const header = (title: string, reps: string): string[] => [
    title,
    `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `node ${machine.node}, ${machine.python ?? "no CPython"}; ${reps}, interleaved`,
  ];
  const lines = [
    ...header(
      `W2 cyclic garbage — ${(W2_GARBAGE_OBJECTS / 2).toLocaleString("en-US")} two-object cycles, ` +
        "automatic collection off, ONE collect() timed per round",
      `${cfg.w2Reps} repetitions × ${W2_GARBAGE_ROUNDS} rounds`,
    ),
    "",
    ...formatTable(garbageTable),
    garbageGoal,
    "",
    ...header(
      "W2 full-collection pause — collect(2) with N live tracked objects (one list of N one-field instances) " +
        "and no garbage",
      `${cfg.w2Reps} repetitions (${w2BigReps()} for ${W2_BIG.toLocaleString("en-US")})`,
    ),
    "",
    ...formatTable(pauseTable),
    pauseGoal,
    "",
    ...notes.map((n) => `note: ${n}`),
  ];
  const pauseSizes = [...new Set(pause.map((r) => r.objects))];
  const pauseNames = [...new Set(pause.map((r) => r.name))];
  const charts: ChartSpec[] = [
    {
      title: `W2 cyclic garbage — one collect() freeing ${W2_GARBAGE_OBJECTS.toLocaleString("en-US")} objects in 2-cycles`,
      unit: "ns per object freed, median",
      labels: garbage.map((r) => r.name),
      datasets: [summaryDataset("collect ns/obj", garbage.map(perObj))],
      horizontal: true,
    },
    {
      title: "W2 full-collection pause — collect(2) with N live objects",
      unit: "ns per live object, median",
      labels: pauseSizes.map((n) => `${n.toLocaleString("en-US")} live`),
      datasets: pauseNames.map((name) =>
        summaryDataset(
          name,
          pauseSizes.map((n) => {
            const row = pause.find((r) => r.name === name && r.objects === n);
            return row === undefined ? null : perObj(row);
          }),
        ),
      ),
    },
  ];
  return { json, lines, charts };
}

// --- W3: weak-value caches and weakref callbacks -------------------------------------------

/** Passes over the 1,000 keys per timed round: even, so "set" alternates between two values. */
const w3OpsPerRound = (): number => Math.max(2, 2 * Math.ceil(cfg.w3Ops / (2 * W3_KEYS))) * W3_KEYS;
/** Untimed rounds of every op before the timed ones (one round is 200,000 calls: the JIT has tiered up). */
const W3_WARMUP = 1;

interface W3ChildResult {
  id: string;
  exposeGc: boolean;
  /** Per op: ns per operation, one entry per timed round. */
  nsPerOp: Partial<Record<W3Op, number[]>>;
  finalization: W3Finalization | null;
}

/** The child's side of W3: warm every op up, then time the rounds, op after op, then check. */
async function runW3Child(id: string): Promise<void> {
  const v = makeW3Variant(id);
  const loops = cfg.w3Ops / W3_KEYS;
  if (!Number.isInteger(loops) || loops < 2 || loops % 2 !== 0)
    throw new Error(`W3 child: --w3-ops must be an even multiple of ${W3_KEYS}`);
  const warmup = cfg.warmup;
  for (let w = 0; w < warmup; w++) {
    for (const op of v.ops) {
      v.time(op, loops);
      await v.between(op);
    }
  }
  const nsPerOp: Partial<Record<W3Op, number[]>> = Object.fromEntries(v.ops.map((op) => [op, []]));
  for (let r = 0; r < cfg.w3Rounds; r++) {
    for (const op of v.ops) {
      const ns = v.time(op, loops);
      nsPerOp[op]!.push(ns / (loops * W3_KEYS));
      await v.between(op);
    }
  }
  const finalization = await v.finish();
  const out: W3ChildResult = { id, exposeGc: globalThis.gc !== undefined, nsPerOp, finalization };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** A row's op: a measured one, or "weakref" = death − create per repetition (the weakref's own). */
type W3RowOp = W3Op | "weakref";

const W3_OP_LABELS: Record<W3RowOp, string> = {
  hit: "get hit",
  miss: "get miss",
  set: "set (replacing)",
  death: "death: make + weakref with callback + drop",
  create: "make + drop, no weakref",
  weakref: "the weakref's own (death − make)",
};

interface W3Row {
  op: W3RowOp;
  name: string;
  runtime: "refheap" | "CPython" | "JS";
  /** Per repetition: the median of its rounds' ns per op. */
  samples: number[];
}

interface W3Measured {
  rows: W3Row[];
  python: { version: string; implementation: string } | null;
  exposeGc: boolean;
  finalization: { dropped: number; atDrop: number; afterGc: number };
  notes: string[];
}

const CPYTHON_W3 = "CPython";

function measureW3(): W3Measured {
  const rows = new Map<string, W3Row>();
  const rowFor = (op: W3RowOp, name: string, runtime: W3Row["runtime"]): W3Row => {
    const k = `${op} ${name}`;
    let row = rows.get(k);
    if (row === undefined) {
      row = { op, name, runtime, samples: [] };
      rows.set(k, row);
    }
    return row;
  };
  // Table order: per op, the refheap variants, CPython, then the JS cache.
  for (const op of [...W3_OPS, "weakref" as const]) {
    for (const s of w3Specs.filter((s) => s.runtime === "refheap")) {
      if (op === "weakref" || s.ops.includes(op)) rowFor(op, s.name, s.runtime);
    }
    rowFor(op, CPYTHON_W3, "CPython");
    for (const s of w3Specs.filter((s) => s.runtime !== "refheap")) rowFor(op, s.name, s.runtime);
  }
  const add = (name: string, runtime: W3Row["runtime"], nsPerOp: Partial<Record<W3Op, number[]>>): void => {
    for (const op of W3_OPS) {
      const xs = nsPerOp[op];
      if (xs !== undefined && xs.length > 0) rowFor(op, name, runtime).samples.push(summarize(xs).median);
    }
    const death = nsPerOp.death;
    const create = nsPerOp.create;
    if (death !== undefined && create !== undefined && death.length > 0 && create.length > 0)
      rowFor("weakref", name, runtime).samples.push(summarize(death).median - summarize(create).median);
  };

  const tasks = [...w3Specs.map((s) => s.id), "python"];
  progress.begin(
    `W3: weak-value cache (${W3_KEYS} str keys) and weakref death; ${cfg.w3Rounds} rounds × ` +
      `${w3OpsPerRound().toLocaleString("en-US")} ops per op × ${cfg.w3Reps} repetitions; ` +
      `${w3Specs.length} node processes + 1 python per repetition (${W3_WARMUP} warm-up round each)`,
    cfg.w3Reps * tasks.length,
  );
  let python: W3Measured["python"] = null;
  let pythonFailed = false;
  let exposeGc = true;
  const finalization = { dropped: 0, atDrop: 0, afterGc: 0 };
  const notes: string[] = [];
  const common = ["--w3-ops", String(w3OpsPerRound()), "--w3-rounds", String(cfg.w3Rounds)];
  for (let rep = 0; rep < cfg.w3Reps; rep++) {
    for (let k = 0; k < tasks.length; k++) {
      const id = tasks[(rep + k) % tasks.length]!;
      if (id === "python") {
        if (pythonFailed) continue;
        const py = runPython(
          ["--ops", String(w3OpsPerRound()), "--rounds", String(cfg.w3Rounds), "--warmup", String(W3_WARMUP)],
          PY_SCRIPT_W3,
        );
        const ns = py.ok ? (py.json.nsPerOp as Partial<Record<W3Op, unknown>> | undefined) : undefined;
        const valid = ns !== undefined && W3_OPS.every((op) => numbers(ns[op]).length === cfg.w3Rounds);
        if (!py.ok || !valid) {
          notes.push(
            `CPython skipped from repetition ${rep + 1} on: ${py.ok ? "w3.py printed malformed rounds" : py.why}`,
          );
          pythonFailed = true;
          continue;
        }
        python = { version: py.version, implementation: py.implementation };
        add(CPYTHON_W3, "CPython", ns as Partial<Record<W3Op, number[]>>);
        continue;
      }
      const spec = w3Specs.find((s) => s.id === id)!;
      const child = spawnJsChild(
        `W3 ${spec.name}`,
        ["--child", id, ...common, "--warmup", String(W3_WARMUP)],
        (json): json is W3ChildResult => {
          const o = json as Partial<W3ChildResult> | null;
          return (
            o?.id === id &&
            typeof o.exposeGc === "boolean" &&
            typeof o.nsPerOp === "object" &&
            o.nsPerOp !== null &&
            spec.ops.every((op) => numbers(o.nsPerOp?.[op]).length === cfg.w3Rounds)
          );
        },
      );
      exposeGc &&= child.exposeGc;
      add(spec.name, spec.runtime, child.nsPerOp);
      if (child.finalization !== null) {
        finalization.dropped += child.finalization.dropped;
        finalization.atDrop += child.finalization.atDrop;
        finalization.afterGc += child.finalization.afterGc;
      }
    }
  }
  return { rows: [...rows.values()], python, exposeGc, finalization, notes };
}

function reportW3({ rows, python, exposeGc, finalization, notes }: W3Measured): Section {
  const machine = machineInfo(python, exposeGc);
  const measured = rows.filter((r) => r.samples.length > 0);
  const median = (op: W3RowOp, runtime: W3Row["runtime"]): number | undefined => {
    const row = measured.find((r) => r.op === op && r.runtime === runtime);
    return row === undefined ? undefined : summarize(row.samples).median;
  };
  const results = measured.map((r) => {
    const s = summarize(r.samples);
    return {
      ...r,
      s,
      vsCPython: ratio(s.median, median(r.op, "CPython")),
      vsJs: ratio(s.median, median(r.op, "JS")),
    };
  });
  /** The JS cache's death rows: its callbacks run later, outside the timed loop. */
  const later = (r: { op: W3RowOp; runtime: W3Row["runtime"] }): boolean =>
    r.runtime === "JS" && (r.op === "death" || r.op === "weakref");
  const f = (s: Summary): string => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  const table = [
    ["op", "variant", "ns/op median (min–max)", "× CPython", "× JS cache"],
    ...results.map((r, i) => [
      i > 0 && results[i - 1]!.op === r.op ? "" : W3_OP_LABELS[r.op],
      `${r.name}${later(r) ? " †" : ""}`,
      f(r.s),
      times(r.vsCPython),
      times(r.vsJs),
    ]),
  ];
  const fin = finalization;
  notes.push(
    'refheap (handles): new Heap({ leaks: "off" }) (unchecked, no leak registry), automatic collection off; ' +
      "heap.weakref.WeakValueDictionary() with JS string keys (stored as str objects); get() of a hit returns a " +
      "new handle, disposed at once (inside the timed loop); death = Img.new(), heap.weakref.ref(o, cb), " +
      "o.dispose() (the callback runs here, with a handle to the dead weakref), wr.dispose().",
    "refheap (engine API): newInstance, weakref.newRef(h, o, cb), decref(o) (callback), decref(wr).",
    "refheap's keys are JS strings, encoded as a new heap str (allocated and hashed) on every get and set; " +
      "CPython's are existing str objects whose hash is cached, and the JS cache's are V8 strings (hash cached).",
    "CPython: weakref.WeakValueDictionary, d.get(k) and d[k] = v, class Img with __slots__ = ('n', '__weakref__'); " +
      "death = o = Img(); r = weakref.ref(o, cb); del o (callback), r freed at its rebinding; gc.disable() while " +
      "timing, as timeit does; the loop's own overhead is included, as in every variant.",
    "JS cache: a Map<string, WeakRef> whose dead entries a FinalizationRegistry deletes; set() unregisters the " +
      "replaced value's registration (token: its WeakRef), as CPython's dict drops the old KeyedRef.",
    `† the JS cache cannot say when an entry goes: its "death" is make + register + drop, and the callback runs ` +
      "at some later V8 collection, as a separate task, outside the timed loop (its cost is not in the figure, " +
      `and until then get() and size still see the entry). Callbacks run by the end of the death loops: ` +
      `${fin.atDrop.toLocaleString("en-US")} of ${fin.dropped.toLocaleString("en-US")} objects dropped; after ` +
      `forced V8 collections and a few event-loop turns: ${fin.afterGc.toLocaleString("en-US")}. refheap and ` +
      "CPython run the callback at the drop, inside the timed loop (checked: one call per object dropped).",
    "each JS variant runs in a fresh node process per repetition; in each process (and in python) every op " +
      `has ${W3_WARMUP} untimed warm-up round, then the rounds alternate between the ops; a repetition's sample ` +
      "is the median of its rounds; the weakref's own row is death − make per repetition.",
    "hits, misses, entry count and callback counts are checked inside each process (it fails loudly otherwise), " +
      "and the refheap processes check that no heap block is left allocated at the end.",
  );
  if (!machine.exposeGc)
    notes.push("node ran without --expose-gc: the JS cache's registry was not forced to catch up.");

  const json = {
    machine,
    config: {
      keys: W3_KEYS,
      reps: cfg.w3Reps,
      rounds: cfg.w3Rounds,
      opsPerRound: w3OpsPerRound(),
      warmupRounds: W3_WARMUP,
      processPerVariantPerRep: true,
    },
    results: results.map((r) => ({
      op: r.op,
      variant: r.name,
      runtime: r.runtime,
      nsPerOp: { ...r.s, samples: r.samples },
      ratioVsCPython: r.vsCPython,
      ratioVsJsCache: r.vsJs,
      callbackAtDrop: !later(r),
    })),
    jsFinalization: finalization,
    notes,
  };
  const lines = [
    "W3 — weak-value cache: get hit / get miss / set (1,000 str keys, values: instances of a weakrefable " +
      "class); an object with one callback weakref dying",
    `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `node ${machine.node}, ${machine.python ?? "no CPython"}; ${cfg.w3Reps} repetitions × ${cfg.w3Rounds} rounds × ` +
      `${w3OpsPerRound().toLocaleString("en-US")} ops, interleaved`,
    "",
    ...formatTable(table, 2),
    "",
    ...notes.map((n) => `note: ${n}`),
  ];
  const ops = [...new Set(results.map((r) => r.op))];
  const variants = [...new Set(results.map((r) => r.name))];
  const charts: ChartSpec[] = [
    {
      title: "W3 — weak-value cache operations and a weakref with a callback dying",
      unit: "ns per operation, median",
      labels: ops.map((op) => W3_OP_LABELS[op]),
      datasets: variants.map((name) =>
        summaryDataset(
          name,
          ops.map((op) => results.find((r) => r.op === op && r.name === name)?.s ?? null),
        ),
      ),
      log: true,
    },
  ];
  return { json, lines, charts };
}

// --- W4: bytes per object --------------------------------------------------------------------

/** V8's figures come from child processes (memory, not time: three agree closely). */
const W4_V8_REPS = 3;

interface W4ChildResult {
  id: string;
  bytes: Record<W4Shape, number>;
}

/** The child's side of W4: V8's bytes per object for each shape. */
function runW4Child(): void {
  const bytes = Object.fromEntries(W4_SHAPES.map((s) => [s, v8BytesPerObject(s)])) as Record<W4Shape, number>;
  const out: W4ChildResult = { id: W4_CHILD_ID, bytes };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

interface W4Row {
  shape: W4Shape;
  refheapUnchecked: number;
  refheapChecked: number;
  v8: Summary & { samples: number[] };
  cpythonTracemalloc: number | null;
  cpythonGetsizeof: number | null;
}

function isW4ChildResult(json: unknown): json is W4ChildResult {
  const o = json as Partial<W4ChildResult> | null;
  return o?.id === W4_CHILD_ID && W4_SHAPES.every((s) => typeof o.bytes?.[s] === "number");
}

/** CPython's figures per shape name, from bench/python/w4.py's JSON. */
function pyW4Shapes(json: Record<string, unknown>): Map<string, { tracedBytes: number; getsizeof: number }> {
  const shapes = new Map<string, { tracedBytes: number; getsizeof: number }>();
  const list: unknown[] = Array.isArray(json.shapes) ? json.shapes : [];
  for (const x of list) {
    const o = x as { name?: unknown; tracedBytes?: unknown; getsizeof?: unknown };
    if (typeof o.name === "string" && typeof o.tracedBytes === "number" && typeof o.getsizeof === "number")
      shapes.set(o.name, { tracedBytes: o.tracedBytes, getsizeof: o.getsizeof });
  }
  return shapes;
}

function measureAndReportW4(): Section {
  progress.begin(`W4: bytes per object, ${W4_N.toLocaleString("en-US")} of each shape`, W4_V8_REPS + 1);
  const v8 = new Map<W4Shape, number[]>(W4_SHAPES.map((s) => [s, []]));
  for (let r = 0; r < W4_V8_REPS; r++) {
    const child = spawnJsChild("W4 V8", ["--child", W4_CHILD_ID], isW4ChildResult);
    for (const s of W4_SHAPES) v8.get(s)!.push(child.bytes[s]);
  }
  const py = runPython(["--n", String(W4_N)], PY_SCRIPT_W4);
  const notes: string[] = [];
  if (!py.ok) notes.push(`CPython skipped: ${py.why}`);
  const pyShapes = py.ok
    ? pyW4Shapes(py.json)
    : new Map<string, { tracedBytes: number; getsizeof: number }>();
  const rows: W4Row[] = W4_SHAPES.map((shape) => {
    const samples = v8.get(shape)!;
    return {
      shape,
      refheapUnchecked: refheapBytesPerObject(shape, false),
      refheapChecked: refheapBytesPerObject(shape, true),
      v8: { ...summarize(samples), samples },
      cpythonTracemalloc: pyShapes.get(shape)?.tracedBytes ?? null,
      cpythonGetsizeof: pyShapes.get(shape)?.getsizeof ?? null,
    };
  });
  const pyInfo = py.ok ? { version: py.version, implementation: py.implementation } : null;
  const machine = machineInfo(pyInfo, true);
  notes.push(
    "refheap: the growth of the allocator's bytes in allocated blocks (small blocks at their size class's " +
      "size, large blocks at theirs) while the objects are made; exact, the same on every run.",
    "CPython: tracemalloc's traced bytes over the same loop (the size each allocation asked for, GC header " +
      "included, before pymalloc rounds it up to a multiple of 16); sys.getsizeof for comparison.",
    `V8: growth of process.memoryUsage().heapUsed across forced collections, median of ${W4_V8_REPS} processes ` +
      "(min–max in brackets); the shapes are a class with one field, a class with three fields, an array of null.",
    "shapes: a class with one reference field, unset (CPython: __slots__ = ('other',)); a dynamic class whose " +
      "instances get attributes a, b, c = None (CPython: a plain class); a list built by n appends of None, per item.",
    "refheap keeps a plain instance's attributes in a small hash table of its own (key, value and shared-key " +
      "index per entry), where CPython 3.11 keeps a values array indexed by the class's shared keys: hence " +
      "that row's ratio.",
  );
  const b = (x: number | null): string => (x === null ? "—" : x.toFixed(1));
  const table = [
    [
      "shape",
      "refheap unchecked",
      "refheap checked",
      "V8 median (min–max)",
      "CPython tracemalloc",
      "CPython getsizeof",
      "refheap × CPython",
    ],
    ...rows.map((r) => [
      r.shape,
      b(r.refheapUnchecked),
      b(r.refheapChecked),
      `${b(r.v8.median)} (${b(r.v8.min)}–${b(r.v8.max)})`,
      b(r.cpythonTracemalloc),
      b(r.cpythonGetsizeof),
      times(r.cpythonTracemalloc === null ? null : r.refheapUnchecked / r.cpythonTracemalloc),
    ]),
  ];
  const lines = [
    `W4 — bytes per object (${W4_N.toLocaleString("en-US")} of each shape)`,
    `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `node ${machine.node}, ${machine.python ?? "no CPython"}`,
    "",
    ...formatTable(table),
    "",
    ...notes.map((n) => `note: ${n}`),
  ];
  const json = {
    machine,
    config: { n: W4_N, v8Processes: W4_V8_REPS },
    results: rows.map((r) => ({
      ...r,
      ratioVsCPython: r.cpythonTracemalloc === null ? null : r.refheapUnchecked / r.cpythonTracemalloc,
    })),
    notes,
  };
  const charts: ChartSpec[] = [
    {
      title: "W4 — bytes per object",
      unit: "bytes",
      labels: rows.map((r) => r.shape),
      datasets: [
        { label: "refheap (allocator accounting)", data: rows.map((r) => r.refheapUnchecked) },
        summaryDataset(
          "V8 (heap growth)",
          rows.map((r) => r.v8),
        ),
        { label: "CPython 3.11 (tracemalloc)", data: rows.map((r) => r.cpythonTracemalloc) },
      ],
    },
  ];
  return { json, lines, charts };
}

// --- running it ------------------------------------------------------------------------------

/** One finished run: the date, and each workload's section in run order. */
export interface BenchReport {
  readonly date: string;
  readonly sections: Partial<Record<Workload, Section>>;
}

export type { Section };

const MEASURE: Record<Workload, () => Section> = {
  w1: () => reportW1(measureW1()),
  w2: () => reportW2(measureW2()),
  w3: () => reportW3(measureW3()),
  w4: measureAndReportW4,
};

/**
 * Runs the configured workloads, each with its own progress bar, and returns the report. With
 * the defaults this takes about a quarter of an hour on two cores.
 */
export function runBench(config: BenchConfig, sink: BenchProgress): BenchReport {
  cfg = config;
  progress = sink;
  const date = new Date().toISOString();
  const sections: Partial<Record<Workload, Section>> = {};
  try {
    for (const w of config.workloads) {
      sections[w] = MEASURE[w]();
      progress.end();
    }
  } finally {
    progress = SILENT;
  }
  return { date, sections };
}

/** The report as text: each section's table and notes. */
export function benchText(report: BenchReport): string {
  return `${Object.values(report.sections)
    .map((s) => s.lines.join("\n"))
    .join("\n\n")}\n`;
}

/** The report for machines: the date and each section's JSON. */
export function benchJson(report: BenchReport): Record<string, unknown> {
  const out: Record<string, unknown> = { date: report.date };
  for (const [name, s] of Object.entries(report.sections)) out[name] = s.json;
  return out;
}

// --- the child's side ------------------------------------------------------------------------

/**
 * The entry of a child process (child.ts): `--child <id>` and the sizes the parent passed.
 * Prints the variant's measurements as one line of JSON on stdout.
 */
export async function runChildProcess(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      child: { type: "string" },
      n: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      "w3-ops": { type: "string" },
      "w3-rounds": { type: "string" },
    },
  });
  const id = values.child;
  if (id === undefined) throw new Error("bench child: --child <id> is required");
  const num = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v));
  const d = DEFAULT_BENCH_CONFIG;
  cfg = {
    ...d,
    n: num(values.n, d.n),
    rounds: num(values.rounds, d.rounds),
    warmup: num(values.warmup, d.warmup),
    w3Ops: num(values["w3-ops"], d.w3Ops),
    w3Rounds: num(values["w3-rounds"], d.w3Rounds),
  };
  if ((Object.values(W2_CHILD_IDS) as string[]).includes(id)) runW2Child(id);
  else if (w3Specs.some((s) => s.id === id)) await runW3Child(id);
  else if (id === W4_CHILD_ID) runW4Child();
  else runChild(id);
}
