/**
 * `refheap oracle run|diff|record` and `refheap fuzz`: the differential oracle from the command
 * line (docs/oracle.md).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  baselineOf,
  CORPUS_DIR,
  DEFAULT_LONG_LIVED,
  diffScenario,
  formatDivergence,
  fuzz,
  pythonProblem,
  recordCorpus,
  runScenario,
} from "../oracle/index.js";
import type { Io } from "./io.js";
import { nonNegativeInt, positiveInt, progressBar } from "./util.js";

/** The N for `oracle run FILE`: the baseline of FILE's recorded log (FILE.log) if there is one. */
function longLivedFor(file: string, given: number | undefined): number {
  if (given !== undefined) return given;
  const log = file.replace(/\.txt$/, ".log");
  if (log !== file && existsSync(log)) return baselineOf(readFileSync(log, "utf8").split("\n"));
  return DEFAULT_LONG_LIVED;
}

function fail(cmd: Command, message: string): never {
  return cmd.error(`error: ${message}`, { exitCode: 2, code: "refheap.oracle" });
}

function readScenario(cmd: Command, file: string): string {
  if (!existsSync(file)) fail(cmd, `no such file: ${file}`);
  return readFileSync(file, "utf8");
}

function requirePython(cmd: Command): void {
  const problem = pythonProblem();
  if (problem !== null) fail(cmd, problem);
}

interface FuzzCliOptions {
  count: number;
  seed: number;
  json?: boolean;
  out: string;
  jobs?: number;
  shrinkSeconds: number;
}

/** Registers `oracle` and `fuzz` on the program; `setExit` records a non-zero result. */
export function addOracleCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const oracle = program
    .command("oracle")
    .description("run scenarios of the differential oracle on refheap and CPython (docs/oracle.md)");

  const run = oracle
    .command("run")
    .description("print refheap's event log for a scenario file")
    .argument("<file>", "a scenario (.txt)")
    .option(
      "--long-lived <n>",
      "CPython's generation-2 size to start from (default: FILE.log's baseline)",
      nonNegativeInt,
    )
    .option(
      "--verbose",
      "also print the log's first line, `baseline N` (the N long-lived objects generation 2 starts " +
        "with), so the output compares line for line with a recorded FILE.log",
    )
    .action((file: string, options: { longLived?: number; verbose?: boolean }) => {
      const text = readScenario(run, file);
      let log: string[];
      try {
        log = runScenario(text, { longLived: longLivedFor(file, options.longLived) });
      } catch (e) {
        fail(run, e instanceof Error ? e.message : String(e));
      }
      // The baseline is the runners' common starting state, not an event of the scenario.
      const events = options.verbose === true ? log : log.slice(1);
      io.stdout.write(`${events.join("\n")}\n`);
    });

  const diff = oracle
    .command("diff")
    .description("run a scenario on CPython and on refheap; show the first divergence (exit 1 if any)")
    .argument("<file>", "a scenario (.txt)")
    .action(async (file: string) => {
      const text = readScenario(diff, file);
      requirePython(diff);
      let r: Awaited<ReturnType<typeof diffScenario>>;
      try {
        r = await diffScenario(text);
      } catch (e) {
        // A scenario one of the runners rejects (the python runner's parse errors are stricter
        // in places: a WeakMethod's callback cannot throw), or a runner that failed.
        fail(diff, e instanceof Error ? e.message : String(e));
      }
      io.stdout.write(`${formatDivergence(r)}\n`);
      if (r.divergence !== null) setExit(1);
    });

  const record = oracle
    .command("record")
    .description("re-record the golden corpus's CPython logs with python3")
    .argument("[dir]", "the corpus folder", CORPUS_DIR)
    .action(async (dir: string) => {
      requirePython(record);
      const bar = { current: null as ReturnType<typeof progressBar> | null };
      const r = await recordCorpus(dir, undefined, (done, total) => {
        bar.current ??= progressBar(io, total, "recording");
        bar.current.update(done);
      });
      bar.current?.stop();
      io.stdout.write(`recorded ${r.recorded} scenarios; ${r.changed.length} logs changed\n`);
      for (const name of r.changed) io.stdout.write(`  changed: ${name}\n`);
    });

  const fuzzCmd = program
    .command("fuzz")
    .description("run random scenarios on CPython and refheap; save each divergent one, shrunk")
    .requiredOption("--count <n>", "how many scenarios", positiveInt)
    .option("--seed <s>", "the generator's seed", nonNegativeInt, 1)
    .option("--json", "print {scenarios, divergences, seed, seconds, saved} as JSON")
    .option("--out <dir>", "where divergent scenarios are saved", "oracle-divergences")
    .option("--jobs <k>", "python processes at a time (default: the number of cores)", positiveInt)
    .option("--shrink-seconds <s>", "time allowed to shrink each divergent scenario", positiveInt, 60)
    .action(async (options: FuzzCliOptions) => {
      requirePython(fuzzCmd);
      const bar = progressBar(io, options.count, `fuzz seed ${options.seed}`);
      const report = await fuzz({
        count: options.count,
        seed: options.seed,
        outDir: options.out,
        ...(options.jobs === undefined ? {} : { concurrency: options.jobs }),
        shrinkMs: options.shrinkSeconds * 1000,
        onProgress: (done, divergences) => bar.update(done, `${divergences} divergent`),
      });
      bar.stop();
      if (options.json === true) {
        io.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        io.stdout.write(
          `${report.scenarios} scenarios, ${report.divergences} divergences (seed ${report.seed}, ${report.seconds.toFixed(1)} s)\n`,
        );
        for (const f of report.saved) io.stdout.write(`  saved: ${f}\n`);
      }
      if (report.divergences > 0) setExit(1);
    });
}
