/**
 * `npm run bench`: workload W1 (make 100,000 instances in a list, drop the list) on refheap,
 * plain V8 objects and CPython, interleaved: every repetition runs each variant once, in a
 * rotating order, so machine drift (thermal, other load) spreads over all variants alike.
 *
 * Every variant runs in a process of its own, started afresh for each repetition: CPython as
 * `python3 bench/python/w1.py`, each JavaScript variant as this script with `--child <id>`. In
 * one shared process V8 would optimise refheap's hot functions with type feedback from the
 * checked and the unchecked engine at once (and from the V8 variants), which makes the
 * optimised code larger and slower than what a program using one engine mode gets.
 *
 * Flags: --json (machine-readable output), --reps R, --rounds K, --n N.
 * Internal: --child <id> (run one JavaScript variant, print its rounds as JSON on stdout).
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeVariant, type RoundTime, refheapBlockSize, type Shape, type W1Spec, w1Specs } from "./w1.js";

const { values: flags } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    reps: { type: "string", default: "7" },
    rounds: { type: "string", default: "10" },
    n: { type: "string", default: "100000" },
    child: { type: "string" },
  },
});
const REPS = Number(flags.reps);
const ROUNDS = Number(flags.rounds);
const N = Number(flags.n);
const WARMUP_ROUNDS = 3;
const PYTHON = "python3";
const PY_SCRIPT = fileURLToPath(new URL("./python/w1.py", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** Progress goes to stderr so that --json leaves stdout parseable. */
const progress = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

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

/** The child's side: warm up, time ROUNDS rounds, print them. Nothing else runs in this process. */
function runChild(id: string): void {
  const v = makeVariant(id);
  for (let i = 0; i < WARMUP_ROUNDS; i++) v.round(N); // JIT tiers up; the heap reaches its size
  v.checkClean();
  collect();
  const rounds: RoundTime[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(v.round(N));
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

/**
 * Runs one JavaScript variant in a fresh node. process.execArgv carries the flags this process
 * was started with: under tsx its loader (so the child can import TypeScript) and --expose-gc.
 */
function runJsChild(spec: W1Spec): ChildResult {
  const args = [...process.execArgv, SELF, "--child", spec.id, "--n", String(N), "--rounds", String(ROUNDS)];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  function fail(why: string): never {
    throw new Error(`${spec.name}: child node ${why}\n${r.stderr.trim()}`);
  }
  if (r.error !== undefined) fail(`could not be run (${r.error.message})`);
  if (r.status !== 0) fail(`exited with ${r.status ?? r.signal}`);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  if (!isChildResult(json) || json.id !== spec.id || json.rounds.length !== ROUNDS) {
    fail(`printed no valid result: ${r.stdout.trim().slice(0, 200)}`);
  }
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

function runPython(args: string[]): PyResult {
  const r = spawnSync(PYTHON, [PY_SCRIPT, ...args], { encoding: "utf8" });
  if (r.error !== undefined) return { ok: false, why: `${PYTHON} could not be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${PYTHON} exited with ${r.status}: ${r.stderr.trim()}` };
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

function measure(): Measured {
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

  progress(
    `W1: ${N} objects × ${ROUNDS} rounds × ${REPS} repetitions; ` +
      `${w1Specs.length} node processes + 1 python per repetition (${WARMUP_ROUNDS} warm-up rounds each)`,
  );
  let python: Measured["python"] = null;
  let pythonFailed = false;
  let exposeGc = true;
  const notes: string[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    progress(`repetition ${rep + 1}/${REPS}`);
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
      row.total.push((build + drop) / (ROUNDS * N));
      row.drop.push(drop / (ROUNDS * N));
    }
    // CPython in its own process, once per repetition (startup and its warm-up round are untimed).
    if (!pythonFailed) {
      const py = runPython(["--n", String(N), "--rounds", String(ROUNDS), "--warmup", "1"]);
      if (py.ok) {
        python = { version: py.version, implementation: py.implementation };
        const rounds = Array.isArray(py.json.variants) ? py.json.variants.filter(isPyRound) : [];
        for (const p of rounds) {
          const row = rowFor(`CPython ${p.name}`, "CPython", PY_SHAPES[p.name] ?? "empty");
          row.total.push((p.buildNs + p.dropNs) / (ROUNDS * N));
          row.drop.push(p.dropNs / (ROUNDS * N));
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

function report({ rows, python, pythonFailed, exposeGc, notes }: Measured): void {
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
  const ratio = (x: number, base: number | undefined): number | null =>
    base === undefined ? null : x / base;

  const machine = {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    python: python === null ? null : `${python.implementation} ${python.version}`,
    exposeGc,
  };
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

  if (flags.json) {
    const out = {
      date: new Date().toISOString(),
      machine,
      config: {
        n: N,
        reps: REPS,
        rounds: ROUNDS,
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
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const ns = (s: Summary): string => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
    const x = (r: number | null): string => (r === null ? "—" : `${r.toFixed(2)}×`);
    const table = [
      ["variant", "total ns/obj median (min–max)", "drop ns/obj median (min–max)", "× CPython plain", "× V8"],
      ...results.map((r) => [
        r.name,
        ns(r.totalS),
        ns(r.dropS),
        x(ratio(r.totalS.median, cpythonPlain?.totalS.median)),
        x(ratio(r.totalS.median, v8ByShape.get(r.shape)?.totalS.median)),
      ]),
    ];
    const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
    const fmt = (line: string[]): string =>
      line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
    const lines = [
      `W1 — make ${N.toLocaleString("en-US")} instances in a list, drop the list`,
      `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
      `node ${machine.node}, ${machine.python ?? "no CPython"}; ${REPS} repetitions × ${ROUNDS} rounds, interleaved`,
      "",
      fmt(table[0]!),
      ...table.slice(1).map(fmt),
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
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}

if (flags.child !== undefined) runChild(flags.child);
else report(measure());
