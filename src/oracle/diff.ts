/**
 * Comparing two event logs, and the differential check of one scenario: CPython first (its log
 * starts with `baseline N`), then refheap given the same N.
 */
import { runPython } from "./python.js";
import { runScenario } from "./run.js";

export interface Divergence {
  /** 0-based index of the first line that differs. */
  readonly index: number;
  readonly cpython: string | undefined;
  readonly refheap: string | undefined;
}

/** The first line where the logs differ, or null when they are equal. */
export function firstDivergence(cpython: readonly string[], refheap: readonly string[]): Divergence | null {
  const n = Math.max(cpython.length, refheap.length);
  for (let i = 0; i < n; i++) {
    if (cpython[i] !== refheap[i]) return { index: i, cpython: cpython[i], refheap: refheap[i] };
  }
  return null;
}

/** The N of a log's first line, `baseline N`. */
export function baselineOf(log: readonly string[]): number {
  const m = /^baseline (\d+)$/.exec(log[0] ?? "");
  if (m === null) throw new Error(`a log starts with 'baseline N', not '${log[0] ?? ""}'`);
  return Number(m[1]);
}

/** Runs refheap on a scenario, turning a crash into a log line so that it shows as a divergence. */
export function runRefheapSafely(text: string, longLived: number): string[] {
  try {
    return runScenario(text, { longLived });
  } catch (e) {
    return [
      `baseline ${longLived}`,
      `refheap crashed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    ];
  }
}

export interface DiffResult {
  readonly cpython: string[];
  readonly refheap: string[];
  readonly divergence: Divergence | null;
}

/** Runs a scenario on both and compares. */
export async function diffScenario(text: string): Promise<DiffResult> {
  const cpython = await runPython(text);
  const refheap = runRefheapSafely(text, baselineOf(cpython));
  return { cpython, refheap, divergence: firstDivergence(cpython, refheap) };
}

/** The divergence as a few lines of text: the common lines before it, then both sides. */
export function formatDivergence(r: DiffResult, context = 3): string {
  const d = r.divergence;
  if (d === null) return `no divergence (${r.cpython.length} events)`;
  const lines = [`first divergence at event ${d.index + 1}:`];
  for (let i = Math.max(0, d.index - context); i < d.index; i++) lines.push(`  ${r.cpython[i]}`);
  lines.push(`- cpython: ${d.cpython ?? "(end of log)"}`, `+ refheap: ${d.refheap ?? "(end of log)"}`);
  return lines.join("\n");
}
