/**
 * W6's runs and report: a small Scheme interpreter (the repository's examples/scheme/) running an
 * allocation-heavy program — trees built and dropped, closures made in a loop, some in cycles
 * through their own environment — with every runtime object in refheap (user kinds, automatic
 * collection), against the same interpreter over plain JS objects (V8's GC). Each backend runs in
 * node children of its own (bench/scheme.ts `--child`), interleaved over the repetitions.
 *
 * The interpreter is an example, not part of the package: W6 runs only from a checkout of the
 * repository (with its dev dependencies, for tsx); elsewhere its section says it was skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CHILD_NODE_FLAGS, rotated } from "./children.js";
import type { BenchContext } from "./config.js";
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

/** The repository's root: two levels up from both src/bench/ and dist/bench/. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = `${ROOT}bench/scheme.ts`;
const INTERPRETER = `${ROOT}examples/scheme/interp.ts`;

const BACKENDS = [
  { id: "refheap", name: "Scheme on refheap (user kinds, automatic collection)" },
  { id: "js", name: "Scheme on plain JS objects (V8's GC)" },
] as const;

interface SchemeChildResult {
  backend: string;
  msPerRound: number[];
}

function isResult(json: unknown): json is SchemeChildResult {
  const o = json as Partial<SchemeChildResult> | null;
  return (
    typeof o?.backend === "string" &&
    Array.isArray(o.msPerRound) &&
    o.msPerRound.length > 0 &&
    o.msPerRound.every((x) => typeof x === "number")
  );
}

/** Why W6 cannot run here, or null when it can. */
function unavailable(): string | null {
  if (!existsSync(SCRIPT) || !existsSync(INTERPRETER)) {
    return "the Scheme interpreter is in the repository's examples/, which the package does not ship";
  }
  try {
    createRequire(SCRIPT).resolve("tsx");
  } catch {
    return "tsx (a dev dependency of the repository) is not installed";
  }
  return null;
}

/** W6 measured and reported: its section of the report. */
export function w6Section({ cfg, progress }: BenchContext): Section {
  const title = "W6 — a Scheme interpreter's runtime objects in refheap vs plain JS objects";
  const machine = machineInfo(null, true);
  const why = unavailable();
  if (why !== null) {
    const notes = [
      `skipped: ${why}. Run \`refheap bench --workloads w6\` from a checkout of the repository.`,
    ];
    const blocks = [title, "", ...noteLines(notes)];
    return { json: { machine, skipped: why, notes }, lines: blocks, blocks, charts: [] };
  }
  const reps = cfg.w6Reps;
  const rounds = cfg.w6Rounds;
  const samples = new Map<string, number[]>(BACKENDS.map((b) => [b.id, []]));
  progress.begin("W6: a Scheme interpreter on refheap and on plain JS objects", reps * BACKENDS.length);
  for (let rep = 0; rep < reps; rep++) {
    for (const b of rotated(BACKENDS, rep)) {
      progress.step(`W6 ${b.id}`);
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", ...CHILD_NODE_FLAGS, SCRIPT, "--child", b.id, "--rounds", String(rounds)],
        { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
      const last = r.stdout?.trim().split("\n").at(-1) ?? "";
      let json: unknown = null;
      try {
        json = JSON.parse(last);
      } catch {
        json = null;
      }
      if (r.status !== 0 || !isResult(json)) {
        throw new Error(`W6 ${b.id}: child node exited with ${r.status}\n${r.stderr.trim()}`);
      }
      samples.get(b.id)!.push(...json.msPerRound);
    }
  }
  const rows = BACKENDS.map((b) => ({ id: b.id, name: b.name, ...summarize(samples.get(b.id)!) }));
  const js = rows.find((r) => r.id === "js")!.median;
  const shortest = Math.min(...rows.map((r) => r.min)) * 1e6;
  const table = [
    ["backend", "ms per round median (min–max)", "× plain JS"],
    ...rows.map((r) => [r.name, withRange(r), times(ratio(r.median, js))]),
  ];
  const notes = [
    "a round is `(loop 200 0)`: 200 times, a depth-8 tree of pairs built, counted and dropped, a counter " +
      "closure made and called, and a closure that refers to itself through its environment (a cycle only " +
      "the collector frees on refheap); every round's result is checked.",
    `each backend: ${reps} processes × ${rounds} timed rounds, after three untimed ones; the interpreter is ` +
      "the same code over two backends (examples/scheme/backend.ts); refheap's is an unchecked engine with " +
      "automatic collection on.",
    ...timingNotes(shortest),
  ];
  const blocks: Block[] = [
    ...sectionHeader(title, machine, `${reps} processes × ${rounds} rounds per backend`),
    "",
    tableBlock(table),
    "",
    ...noteLines(notes),
  ];
  const json = {
    machine,
    config: { processes: reps, roundsPerProcess: rounds, round: "(loop 200 0)" },
    timing: timingJson(shortest),
    results: rows.map((r) => ({ ...r, samples: samples.get(r.id), ratioVsPlainJs: ratio(r.median, js) })),
    notes,
  };
  const charts: ChartSpec[] = [
    {
      title: "W6 — a Scheme interpreter's round (ms, lower is better)",
      unit: "ms per round",
      labels: rows.map((r) => r.name),
      datasets: [summaryDataset("median (min–max)", rows)],
      horizontal: true,
      log: false,
    },
  ];
  return { json, lines: blockLines(blocks), blocks, charts };
}
