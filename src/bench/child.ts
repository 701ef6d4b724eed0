/**
 * One benchmark variant in a process of its own: `node --expose-gc … child.js --child <id> …`,
 * started by children.ts. Prints the variant's measurements as one line of JSON on stdout.
 */
import { parseArgs } from "node:util";
import { type BenchConfig, DEFAULT_BENCH_CONFIG } from "./config.js";
import { runW1Child } from "./run-w1.js";
import { isW2ChildId, runW2Child } from "./run-w2.js";
import { isW3ChildId, runW3Child } from "./run-w3.js";
import { isW4ChildId, runW4Child } from "./run-w4.js";
import { isW5ChildId, runW5Child } from "./run-w5.js";

/** `--child <id>` and the sizes the parent passed; the rest of the configuration is the default. */
function childArgs(argv: readonly string[]): { id: string; cfg: BenchConfig; warmup: number | null } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      child: { type: "string" },
      n: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      "w3-ops": { type: "string" },
      "w3-rounds": { type: "string" },
      "w5-nodes": { type: "string" },
    },
  });
  const id = values.child;
  if (id === undefined) throw new Error("bench child: --child <id> is required");
  const num = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v));
  const d = DEFAULT_BENCH_CONFIG;
  const cfg: BenchConfig = {
    ...d,
    n: num(values.n, d.n),
    rounds: num(values.rounds, d.rounds),
    warmup: num(values.warmup, d.warmup),
    w3Ops: num(values["w3-ops"], d.w3Ops),
    w3Rounds: num(values["w3-rounds"], d.w3Rounds),
    w5Nodes: num(values["w5-nodes"], d.w5Nodes),
  };
  return { id, cfg, warmup: values.warmup === undefined ? null : Number(values.warmup) };
}

async function runChildProcess(argv: readonly string[]): Promise<void> {
  const { id, cfg, warmup } = childArgs(argv);
  if (isW2ChildId(id)) runW2Child(cfg, id);
  else if (isW3ChildId(id)) await runW3Child(cfg, id);
  else if (isW4ChildId(id)) runW4Child();
  else if (isW5ChildId(id)) runW5Child(cfg, id);
  else runW1Child(cfg, id, warmup); // W1's makeVariant rejects an unknown id
}

try {
  await runChildProcess(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
