/**
 * W3's runs and report: a weak-value cache (get hit / miss / set) and an object with a callback
 * weakref dying, on refheap (handles and engine API), CPython (bench/python/w3.py) and a
 * JavaScript Map+WeakRef+FinalizationRegistry cache (w3.ts), interleaved over the repetitions.
 */
import { numbers, PY_SCRIPTS, rotated, runPython, spawnJsChild } from "./children.js";
import type { BenchConfig, BenchContext } from "./config.js";
import {
  type Block,
  blockLines,
  type ChartSpec,
  machineInfo,
  noteLines,
  ratio,
  type Section,
  sectionHeader,
  summarize,
  summaryDataset,
  tableBlock,
  times,
  timingJson,
  timingNotes,
  withRange,
} from "./report.js";
import { makeW3Variant, W3_KEYS, W3_OPS, type W3Finalization, type W3Op, w3Specs } from "./w3.js";

/** Passes over the 1,000 keys per timed round: even, so "set" alternates between two values. */
const w3OpsPerRound = (cfg: BenchConfig): number =>
  Math.max(2, 2 * Math.ceil(cfg.w3Ops / (2 * W3_KEYS))) * W3_KEYS;
/** Untimed rounds of every op before the timed ones (one round is 200,000 calls: the JIT has tiered up). */
const W3_WARMUP = 1;

// --- the child's side ------------------------------------------------------------------------

interface W3ChildResult {
  id: string;
  exposeGc: boolean;
  /** Per op: ns per operation, one entry per timed round. */
  nsPerOp: Partial<Record<W3Op, number[]>>;
  finalization: W3Finalization | null;
}

/** The child's side of W3: warm every op up, then time the rounds, op after op, then check. */
export async function runW3Child(cfg: BenchConfig, id: string): Promise<void> {
  const v = makeW3Variant(id);
  const loops = cfg.w3Ops / W3_KEYS;
  if (!Number.isInteger(loops) || loops < 2 || loops % 2 !== 0)
    throw new Error(`W3 child: --w3-ops must be an even multiple of ${W3_KEYS}`);
  for (let w = 0; w < cfg.warmup; w++) {
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

/** Whether `id` names a W3 child. */
export const isW3ChildId = (id: string): boolean => w3Specs.some((s) => s.id === id);

// --- the run ---------------------------------------------------------------------------------

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
  runtime: "refheap" | "floor" | "CPython" | "JS";
  /** Per repetition: the median of its rounds' ns per op. */
  samples: number[];
}

interface W3Measured {
  rows: W3Row[];
  python: { version: string; implementation: string } | null;
  exposeGc: boolean;
  finalization: { dropped: number; atDrop: number; afterGc: number };
  /** The shortest round a node child timed (one op's round), in ns. */
  shortestJsNs: number;
  notes: string[];
}

const CPYTHON_W3 = "CPython";

function measureW3({ cfg, progress }: BenchContext): W3Measured {
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
  // Table order: per op, the refheap variants, the floor, CPython, then the JS cache.
  const measures = (s: (typeof w3Specs)[number], op: W3RowOp): boolean =>
    op === "weakref" ? s.ops.includes("death") && s.ops.includes("create") : s.ops.includes(op);
  for (const op of [...W3_OPS, "weakref" as const]) {
    for (const s of w3Specs.filter((s) => s.runtime === "refheap" || s.runtime === "floor")) {
      if (measures(s, op)) rowFor(op, s.name, s.runtime);
    }
    rowFor(op, CPYTHON_W3, "CPython");
    for (const s of w3Specs.filter((s) => s.runtime === "JS")) rowFor(op, s.name, s.runtime);
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

  const opsPerRound = w3OpsPerRound(cfg);
  const tasks = [...w3Specs.map((s) => s.id), "python"];
  progress.begin(
    `W3: weak-value cache (${W3_KEYS} str keys) and weakref death; ${cfg.w3Rounds} rounds × ` +
      `${opsPerRound.toLocaleString("en-US")} ops per op × ${cfg.w3Reps} repetitions; ` +
      `${w3Specs.length} node processes + 1 python per repetition (${W3_WARMUP} warm-up round each)`,
    cfg.w3Reps * tasks.length,
  );
  let python: W3Measured["python"] = null;
  let pythonFailed = false;
  let exposeGc = true;
  let shortestJsNs = Number.POSITIVE_INFINITY;
  const finalization = { dropped: 0, atDrop: 0, afterGc: 0 };
  const notes: string[] = [];
  const common = ["--w3-ops", String(opsPerRound), "--w3-rounds", String(cfg.w3Rounds)];
  for (let rep = 0; rep < cfg.w3Reps; rep++) {
    for (const id of rotated(tasks, rep)) {
      if (id === "python") {
        if (pythonFailed) continue;
        const py = runPython(progress, cfg.python, PY_SCRIPTS.w3, [
          "--ops",
          String(opsPerRound),
          "--rounds",
          String(cfg.w3Rounds),
          "--warmup",
          String(W3_WARMUP),
        ]);
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
        progress,
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
      for (const op of spec.ops) {
        for (const nsPerOp of child.nsPerOp[op] ?? [])
          shortestJsNs = Math.min(shortestJsNs, nsPerOp * opsPerRound);
      }
      add(spec.name, spec.runtime, child.nsPerOp);
      if (child.finalization !== null) {
        finalization.dropped += child.finalization.dropped;
        finalization.atDrop += child.finalization.atDrop;
        finalization.afterGc += child.finalization.afterGc;
      }
    }
  }
  return { rows: [...rows.values()], python, exposeGc, finalization, shortestJsNs, notes };
}

// --- report ----------------------------------------------------------------------------------

function reportW3(
  { cfg }: BenchContext,
  { rows, python, exposeGc, finalization, shortestJsNs, notes }: W3Measured,
): Section {
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
  const table = [
    ["op", "variant", "ns/op median (min–max)", "× CPython", "× JS cache"],
    ...results.map((r, i) => [
      i > 0 && results[i - 1]!.op === r.op ? "" : W3_OP_LABELS[r.op],
      `${r.name}${later(r) ? " †" : ""}`,
      withRange(r.s),
      times(r.vsCPython),
      times(r.vsJs),
    ]),
  ];
  const fin = finalization;
  notes.push(
    ...timingNotes(shortestJsNs),
    'refheap (handles): new Heap({ leaks: "off" }) (unchecked, no leak registry), automatic collection off; ' +
      "heap.weakref.WeakValueDictionary() with JS string keys (stored as str objects); get() of a hit returns a " +
      "new handle, disposed at once (inside the timed loop); death = Img.new(), heap.weakref.ref(o, cb), " +
      "o.dispose() (the callback runs here, with a handle to the dead weakref), wr.dispose().",
    "refheap (engine API): newInstance, weakref.newRef(h, o, cb), decref(o) (callback), decref(wr).",
    "floor row: NOT refheap. Hand-written flat TypeScript (src/bench/floor-w3.ts) over an Int32Array laid out " +
      "as refheap's heap, doing the engine API rows' work in CPython's steps (pymalloc, headers, generation 0, " +
      "the type's and the callback's references, the weak list, PyObject_ClearWeakRefs with one callback, " +
      "the frees) and nothing else: what an exact implementation costs on this machine.",
    "refheap's keys are JS strings: get() hashes the string and compares it with the entry's str object, " +
      "making nothing; set() makes a new heap str (allocated and hashed) for the KeyedRef's key; CPython's are " +
      "existing str objects whose hash is cached, and the JS cache's are V8 strings (hash cached).",
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
      opsPerRound: w3OpsPerRound(cfg),
      warmupRounds: W3_WARMUP,
      processPerVariantPerRep: true,
    },
    timing: timingJson(shortestJsNs),
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
  const blocks: Block[] = [
    ...sectionHeader(
      "W3 — weak-value cache: get hit / get miss / set (1,000 str keys, values: instances of a weakrefable " +
        "class); an object with one callback weakref dying",
      machine,
      `${cfg.w3Reps} repetitions × ${cfg.w3Rounds} rounds × ` +
        `${w3OpsPerRound(cfg).toLocaleString("en-US")} ops, interleaved`,
    ),
    "",
    tableBlock(table, 2),
    "",
    ...noteLines(notes),
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
  return { json, lines: blockLines(blocks), blocks, charts };
}

/** W3 measured and reported: its section of the report. */
export function w3Section(ctx: BenchContext): Section {
  return reportW3(ctx, measureW3(ctx));
}
