/**
 * W5's runs and report: walking a 1,000,000-node linked list (w5.ts), each variant in a node
 * child of its own, interleaved over the repetitions; ratios against plain V8 objects.
 */
import { numbers, rotated, spawnJsChild } from "./children.js";
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
import { isW5Id, timeW5, W5_VARIANTS, type W5Id } from "./w5.js";

/** Timed walks per process (each process builds the chain once; cfg.w5Reps processes per variant). */
const W5_ROUNDS = 5;

// --- the child's side ------------------------------------------------------------------------

interface W5ChildResult {
  id: W5Id;
  nsPerNode: number[];
}

/** The child's side of W5: build the chain, warm up, time the walks. */
export function runW5Child(cfg: BenchConfig, id: string): void {
  if (!isW5Id(id)) throw new Error(`bench child: unknown W5 variant ${id}`);
  const out: W5ChildResult = { id, nsPerNode: timeW5(id, cfg.w5Nodes, cfg.warmup, W5_ROUNDS) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Whether `id` names a W5 child. */
export const isW5ChildId = isW5Id;

function isW5ChildResult(json: unknown): json is W5ChildResult {
  const o = json as Partial<W5ChildResult> | null;
  return typeof o?.id === "string" && isW5Id(o.id) && numbers(o.nsPerNode).length > 0;
}

// --- the run and its report ------------------------------------------------------------------

/** W5 measured and reported: its section of the report. */
export function w5Section({ cfg, progress }: BenchContext): Section {
  const nodes = cfg.w5Nodes;
  const reps = cfg.w5Reps;
  const samples = new Map<W5Id, number[]>(W5_VARIANTS.map((v) => [v.id, []]));
  progress.begin(`W5: walk a ${nodes.toLocaleString("en-US")}-node linked list`, reps * W5_VARIANTS.length);
  for (let rep = 0; rep < reps; rep++) {
    for (const v of rotated(W5_VARIANTS, rep)) {
      const args = ["--child", v.id, "--w5-nodes", String(nodes)];
      const r = spawnJsChild(progress, `W5 ${v.name}`, args, isW5ChildResult);
      samples.get(v.id)!.push(...r.nsPerNode);
    }
  }
  const rows = W5_VARIANTS.map((v) => ({ id: v.id, name: v.name, ...summarize(samples.get(v.id)!) }));
  const v8 = rows.find((r) => r.id === "w5-v8")!.median;
  const shortest = Math.min(...rows.map((r) => r.min * nodes));
  const machine = machineInfo(null, true);
  const table = [
    ["variant", "ns per node median (min–max)", "× V8 objects"],
    ...rows.map((r) => [r.name, withRange(r), times(ratio(r.median, v8))]),
  ];
  const notes = [
    `each variant: ${reps} processes × ${W5_ROUNDS} timed walks of the whole chain, after one untimed ` +
      "walk; the chain is built once per process, untimed; every walk's sum is checked.",
    "refheap handles: the walk is ordinary TypeScript, `for (let p = head; p; p = p.next) s += p.n`: each " +
      "read is a borrowed handle (one JS object; no reference, no leak record, nothing to release; " +
      "docs/decisions.md §30).",
    ...timingNotes(shortest),
  ];
  const blocks: Block[] = [
    ...sectionHeader(
      `W5 — walk a ${nodes.toLocaleString("en-US")}-node linked list (p = p.next, reading p.n)`,
      machine,
      `${reps} processes × ${W5_ROUNDS} walks per variant`,
    ),
    "",
    tableBlock(table),
    "",
    ...noteLines(notes),
  ];
  const json = {
    machine,
    config: { n: nodes, processes: reps, walksPerProcess: W5_ROUNDS },
    timing: timingJson(shortest),
    results: rows.map((r) => ({ ...r, samples: samples.get(r.id), ratioVsV8: ratio(r.median, v8) })),
    notes,
  };
  const charts: ChartSpec[] = [
    {
      title: "W5 — walk a linked list (ns per node, lower is better)",
      unit: "ns per node",
      labels: rows.map((r) => r.name),
      datasets: [summaryDataset("median (min–max)", rows)],
      horizontal: true,
      log: true,
    },
  ];
  return { json, lines: blockLines(blocks), blocks, charts };
}
