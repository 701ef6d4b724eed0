/**
 * `refheap bench`: the benchmark report (W1–W6) as a table, `--json`, or `--html FILE`
 * (src/bench). Progress goes to stderr — a bar per workload on a terminal, a line otherwise —
 * so stdout stays parseable.
 */
import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  type BenchConfig,
  type BenchProgress,
  benchHtml,
  benchJson,
  benchText,
  DEFAULT_BENCH_CONFIG,
  runBench,
  WORKLOADS,
  type Workload,
} from "../bench/index.js";
import type { Io } from "./io.js";
import { nonNegativeInt, type ProgressBar, positiveInt, progressBar } from "./util.js";

interface BenchOptions {
  workloads?: Workload[];
  quick?: boolean;
  reps?: number;
  rounds?: number;
  n?: number;
  w2Reps?: number;
  w2BigReps?: number;
  w3Reps?: number;
  w3Rounds?: number;
  w3Ops?: number;
  w6Reps?: number;
  python?: string;
  json?: boolean;
  html?: string;
}

/** `--quick`: every workload once, small — to try the command, not to quote its figures. */
const QUICK: Partial<BenchConfig> = {
  reps: 1,
  rounds: 3,
  w2Reps: 1,
  w2BigReps: 0,
  w3Reps: 1,
  w3Rounds: 1,
  w3Ops: 20_000,
  w5Reps: 1,
  w5Nodes: 100_000,
  w6Reps: 1,
  w6Rounds: 2,
};

function workloadList(value: string): Workload[] {
  const names = value.split(",").map((w) => w.trim().toLowerCase());
  const known: readonly string[] = WORKLOADS;
  for (const w of names) {
    if (!known.includes(w))
      throw new InvalidArgumentError(`unknown workload '${w}'; choose from ${WORKLOADS.join(", ")}.`);
  }
  return names as Workload[];
}

function evenThousands(value: string): number {
  const n = positiveInt(value);
  if (n % 2000 !== 0)
    throw new InvalidArgumentError("expected a multiple of 2000 (two passes over 1,000 keys).");
  return n;
}

/** The configuration the flags ask for: defaults, then --quick, then each explicit flag. */
function configOf(o: BenchOptions): BenchConfig {
  const given: Partial<BenchConfig> = Object.fromEntries(
    Object.entries({
      workloads: o.workloads,
      reps: o.reps,
      rounds: o.rounds,
      n: o.n,
      w2Reps: o.w2Reps,
      w2BigReps: o.w2BigReps,
      w3Reps: o.w3Reps,
      w3Rounds: o.w3Rounds,
      w3Ops: o.w3Ops,
      w6Reps: o.w6Reps,
      python: o.python,
    }).filter(([, v]) => v !== undefined),
  );
  return { ...DEFAULT_BENCH_CONFIG, ...(o.quick === true ? QUICK : {}), ...given };
}

/** A bar per workload on a terminal; otherwise the workload's description, as a line. */
function benchProgress(io: Io): BenchProgress {
  let bar: ProgressBar | null = null;
  let started = 0;
  return {
    begin(label, total) {
      io.stderr.write(`${label}\n`);
      started = Date.now();
      bar = progressBar(io, total, label.slice(0, label.indexOf(":")) || "bench");
    },
    step(detail) {
      bar?.increment(detail.length > 40 ? `${detail.slice(0, 39)}…` : detail);
    },
    end() {
      bar?.stop();
      bar = null;
      io.stderr.write(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    },
  };
}

export function addBenchCommand(program: Command, io: Io): void {
  program
    .command("bench")
    .description(
      "benchmark W1–W6 on refheap, plain V8 objects and CPython (python3), interleaved; " +
        "prints a table (--json, --html FILE)",
    )
    .addOption(
      new Option("--workloads <list>", `comma-separated, from ${WORKLOADS.join(", ")}`)
        .argParser(workloadList)
        .default([...WORKLOADS], WORKLOADS.join(",")),
    )
    .option("--quick", "one small repetition of everything (to try it; not for quoting)")
    .option("--json", "print the results as JSON")
    .option("--html <file>", "also write a self-contained HTML page with charts")
    .option("--python <command>", "the CPython to compare with", DEFAULT_BENCH_CONFIG.python)
    .addOption(new Option("--reps <n>", "W1 repetitions").argParser(positiveInt))
    .addOption(new Option("--rounds <n>", "W1 timed rounds per process").argParser(positiveInt))
    .addOption(new Option("--n <n>", "W1 objects per round").argParser(positiveInt))
    .addOption(new Option("--w2-reps <n>", "W2 repetitions").argParser(positiveInt))
    .addOption(
      new Option(
        "--w2-big-reps <n>",
        "W2 repetitions that include the 4,000,000-object pauses (in order and fragmented)",
      ).argParser(nonNegativeInt),
    )
    .addOption(new Option("--w3-reps <n>", "W3 repetitions").argParser(positiveInt))
    .addOption(new Option("--w3-rounds <n>", "W3 timed rounds per op").argParser(positiveInt))
    .addOption(
      new Option("--w3-ops <n>", "W3 operations per round (a multiple of 2000)").argParser(evenThousands),
    )
    .addOption(new Option("--w6-reps <n>", "W6 processes per backend").argParser(positiveInt))
    .action((options: BenchOptions) => {
      const report = runBench(configOf(options), benchProgress(io));
      if (options.json === true) io.stdout.write(`${JSON.stringify(benchJson(report), null, 2)}\n`);
      else io.stdout.write(benchText(report));
      if (options.html !== undefined) {
        writeFileSync(options.html, benchHtml(report));
        io.stderr.write(`wrote ${options.html}\n`);
      }
    });
}
