/**
 * The refheap command line. `main(argv, io)` runs one command and returns its exit code; the
 * streams are injected so tests can run it in-process. bin/refheap.js is a three-line shim that
 * passes the process's streams (processIo: a closed pipe ends the command quietly).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { addBenchCommand } from "./bench.js";
import {
  type CyclesOptions,
  demoCycles,
  demoDeallocBench,
  demoRefcount,
  demoStats,
  demoWeakCache,
} from "./demos.js";
import type { Io } from "./io.js";
import { addOracleCommands } from "./oracle.js";
import { positiveInt } from "./util.js";
import { addVizCommand } from "./viz.js";

export { type Io, processIo } from "./io.js";

/**
 * The package's version, from its package.json: two folders up both from src/cli/ (the repository)
 * and from dist/cli/ (the repository's build, or the installed package).
 */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  if (typeof manifest.version !== "string") throw new Error("refheap's package.json has no version");
  return manifest.version;
}

/** Options of `refheap demo`; the hidden --runs and --cycles size the cycles demo (for tests). */
type DemoOptions = CyclesOptions;

/** In the order `refheap demo` runs them. */
const DEMOS: Readonly<Record<string, (io: Io, options: DemoOptions) => void>> = {
  refcount: demoRefcount,
  "dealloc-bench": demoDeallocBench,
  cycles: demoCycles,
  "weak-cache": demoWeakCache,
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = new Command("refheap")
    .description(
      "CPython's memory management — refcounting, the cycle collector, pymalloc — as a TypeScript library",
    )
    .version(packageVersion(), "-V, --version", "print refheap's version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const demo = program
    .command("demo")
    .description(`run a demo (${Object.keys(DEMOS).join(", ")}); with no name, all of them in order`)
    .argument("[name]", "which demo")
    .addOption(new Option("--runs <n>", "cycles demo: runs").argParser(positiveInt).hideHelp())
    .addOption(new Option("--cycles <n>", "cycles demo: cycles per run").argParser(positiveInt).hideHelp())
    .action((name: string | undefined, options: DemoOptions) => {
      if (name === undefined) {
        for (const run of Object.values(DEMOS)) run(io, options);
        return;
      }
      const run = DEMOS[name];
      if (run === undefined) {
        // Commander writes the message through writeErr and throws, like its own usage errors.
        return demo.error(`error: unknown demo '${name}'; choose one of: ${Object.keys(DEMOS).join(", ")}`, {
          exitCode: 2,
          code: "refheap.unknownDemo",
        });
      }
      run(io, options);
    });

  addBenchCommand(program, io);

  program
    .command("stats")
    .description("allocator statistics of a demo workload, shaped like sys._debugmallocstats()")
    .action(() => demoStats(io));

  addVizCommand(program, io);

  let exitCode = 0;
  addOracleCommands(program, io, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
