/**
 * The differential fuzzer: N random scenarios (seeded, so a run can be repeated exactly), each run
 * on CPython and on refheap; a divergent one is shrunk by fast-check to a minimal scenario that
 * still diverges and saved to a file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { diffScenario, formatDivergence } from "./diff.js";
import { render, type ScenarioModel, sampleModels, scenarioModel } from "./generate.js";
import { PythonRunnerError } from "./python.js";

export interface FuzzOptions {
  readonly count: number;
  readonly seed: number;
  /** Where shrunk divergent scenarios are saved (created if missing). */
  readonly outDir: string;
  /** Python processes at a time (default: the number of cores). */
  readonly concurrency?: number;
  /** How long shrinking one divergent scenario may take (default 60 s). */
  readonly shrinkMs?: number;
  /** Called after each scenario. */
  readonly onProgress?: (done: number, divergences: number) => void;
}

export interface FuzzReport {
  readonly scenarios: number;
  readonly divergences: number;
  readonly seed: number;
  readonly seconds: number;
  /** The files the shrunk divergent scenarios were saved to. */
  readonly saved: readonly string[];
}

/**
 * Whether a model's scenario diverges. A python runner that fails on it (a crash, a rejected
 * scenario, a run killed for taking too long) counts as a divergence, to be shrunk and saved like
 * one, rather than ending the whole run; python that cannot be started still ends it.
 */
async function diverges(model: ScenarioModel): Promise<boolean> {
  try {
    return (await diffScenario(render(model))).divergence !== null;
  } catch (error) {
    if (error instanceof PythonRunnerError) return true;
    throw error;
  }
}

/** What a saved divergence says about itself: the diff, or the python runner's failure. */
async function describeDivergence(text: string): Promise<string> {
  try {
    return formatDivergence(await diffScenario(text));
  } catch (error) {
    if (error instanceof PythonRunnerError) return error.message;
    throw error;
  }
}

/**
 * The smallest model fast-check finds, starting from a divergent one, that still diverges. Each
 * step runs python, so shrinking stops after `timeLimitMs` with the smallest found so far.
 */
export async function shrink(model: ScenarioModel, timeLimitMs = 60_000): Promise<ScenarioModel> {
  let smallest = model;
  await fc.check(
    fc.asyncProperty(scenarioModel, async (m) => {
      const ok = !(await diverges(m));
      if (!ok && m.ops.length <= smallest.ops.length) smallest = m;
      return ok;
    }),
    { examples: [[model]], numRuns: 1, interruptAfterTimeLimit: timeLimitMs },
  );
  return smallest;
}

function savedText(index: number, seed: number, text: string, detail: string): string {
  const header = [
    `# divergent scenario ${index} of fuzz seed ${seed}, shrunk`,
    ...detail.split("\n").map((l) => `# ${l}`),
  ];
  return `${header.join("\n")}\n${text}`;
}

/** Runs the fuzzer. */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const start = performance.now();
  const models = sampleModels(options.seed, options.count);
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const divergent: number[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < models.length) {
      const i = next++;
      if (await diverges(models[i]!)) divergent.push(i);
      done++;
      options.onProgress?.(done, divergent.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, models.length) }, worker));
  const saved: string[] = [];
  if (divergent.length > 0) mkdirSync(options.outDir, { recursive: true });
  for (const i of divergent.sort((a, b) => a - b)) {
    const small = await shrink(models[i]!, options.shrinkMs);
    const text = render(small);
    const file = join(options.outDir, `divergence-seed${options.seed}-${i}.txt`);
    writeFileSync(file, savedText(i, options.seed, text, await describeDivergence(text)));
    saved.push(file);
  }
  return {
    scenarios: models.length,
    divergences: divergent.length,
    seed: options.seed,
    seconds: (performance.now() - start) / 1000,
    saved,
  };
}
