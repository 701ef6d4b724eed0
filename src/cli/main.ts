/**
 * The refheap command line. `main(argv, io)` runs one command and returns its exit code; the
 * streams are injected so tests can run it in-process. bin/refheap.js is a three-line shim.
 */
import { Command, CommanderError } from "commander";
import { demoDeallocBench, demoRefcount, demoStats } from "./demos.js";
import type { Io } from "./io.js";

export type { Io } from "./io.js";

const DEMOS: Readonly<Record<string, (io: Io) => void>> = {
  refcount: demoRefcount,
  "dealloc-bench": demoDeallocBench,
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = new Command("refheap")
    .description("CPython's memory management — refcounting, pymalloc — as a TypeScript library")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program
    .command("demo")
    .description(`run a demo (${Object.keys(DEMOS).join(", ")}); with no name, all of them in order`)
    .argument("[name]", "which demo")
    .action((name?: string) => {
      if (name === undefined) {
        for (const run of Object.values(DEMOS)) run(io);
        return;
      }
      const run = DEMOS[name];
      if (run === undefined) {
        throw new CommanderError(
          2,
          "refheap.unknownDemo",
          `error: unknown demo '${name}'; choose one of: ${Object.keys(DEMOS).join(", ")}\n`,
        );
      }
      run(io);
    });

  program
    .command("stats")
    .description("allocator statistics of a demo workload, shaped like sys._debugmallocstats()")
    .action(() => demoStats(io));

  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "refheap.unknownDemo") io.stderr.write(e.message);
      return e.exitCode === 0 ? 0 : 2;
    }
    throw e;
  }
}
