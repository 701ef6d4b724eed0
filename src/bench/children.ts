/**
 * The benchmark's child processes, from the parent's side: a JavaScript variant runs as
 * child.ts/child.js in a fresh node (`--child <id>`), a CPython one as a script of
 * bench/python/; each prints one JSON object on stdout, which is parsed and checked here.
 *
 * Every variant runs in a process of its own, started afresh for each repetition: in one shared
 * process V8 would optimise refheap's hot functions with type feedback from the checked and the
 * unchecked engine at once (and from the V8 variants), which makes the optimised code larger and
 * slower than what a program using one engine mode gets. `rotated` interleaves them.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchProgress } from "./config.js";

/** bench/python/ of the package: two levels up from both src/bench/ and dist/bench/. */
const pyScript = (name: string): string =>
  fileURLToPath(new URL(`../../bench/python/${name}`, import.meta.url));

/** The CPython side of each workload. */
export const PY_SCRIPTS = {
  w1: pyScript("w1.py"),
  w2: pyScript("w2.py"),
  w3: pyScript("w3.py"),
  w4: pyScript("w4.py"),
} as const;

/** child.js next to this file (child.ts when run from source, under tsx or vitest). */
const CHILD = fileURLToPath(
  new URL(`./child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/**
 * The V8 flags of every node child. --expose-gc: the children collect between their warm-up and
 * their timed rounds (and W4 measures across collections). --no-concurrent-recompilation: V8
 * optimises a hot function on the main thread, when it asks for it, instead of on a background
 * thread whose result is installed whenever it is ready; otherwise when that happens decides
 * which code a round runs, and processes of the same variant settle in faster or slower states.
 */
export const CHILD_NODE_FLAGS = ["--expose-gc", "--no-concurrent-recompilation"] as const;

/** Node flags of a child: tsx's loader for the TypeScript child, then CHILD_NODE_FLAGS. */
const CHILD_FLAGS = [...(CHILD.endsWith(".ts") ? ["--import", "tsx"] : []), ...CHILD_NODE_FLAGS];

/**
 * Repetition `rep`'s order of `items`: rotated by `rep`, so every variant runs first, second, …
 * equally often and machine drift (thermal, other load) spreads over all variants alike.
 */
export function rotated<T>(items: readonly T[], rep: number): T[] {
  const n = items.length;
  return items.map((_, k) => items[(rep + k) % n]!);
}

/** The one JSON value a child printed, or null. */
function parseJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return null;
  }
}

/**
 * Runs child.ts/child.js in a fresh node with `args`; returns what it printed if `valid` accepts
 * it, and throws (with the child's stderr) otherwise: a JavaScript variant that fails is a bug.
 */
export function spawnJsChild<T>(
  progress: BenchProgress,
  what: string,
  args: readonly string[],
  valid: (json: unknown) => json is T,
): T {
  progress.step(what);
  const r = spawnSync(process.execPath, [...CHILD_FLAGS, CHILD, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  function fail(why: string): never {
    throw new Error(`${what}: child node ${why}\n${r.stderr.trim()}`);
  }
  if (r.error !== undefined) fail(`could not be run (${r.error.message})`);
  if (r.status !== 0) fail(`exited with ${r.status ?? r.signal}`);
  const json = parseJson(r.stdout);
  if (!valid(json)) fail(`printed no valid result: ${r.stdout.trim().slice(0, 200)}`);
  return json;
}

/** CPython's name and version, as its scripts print them. */
export interface PythonInfo {
  version: string;
  implementation: string;
}

export type PyResult =
  | ({ ok: true; json: Record<string, unknown> } & PythonInfo)
  | { ok: false; why: string };

/**
 * Runs `python script args…`; a CPython that cannot be run, or fails, is a result (the workload
 * skips CPython with a note), not an error.
 */
export function runPython(
  progress: BenchProgress,
  python: string,
  script: string,
  args: readonly string[],
): PyResult {
  progress.step(`CPython ${path.basename(script)} ${args.join(" ")}`);
  const r = spawnSync(python, [script, ...args], { encoding: "utf8" });
  if (r.error !== undefined) return { ok: false, why: `${python} could not be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${python} exited with ${r.status}: ${r.stderr.trim()}` };
  const json = parseJson(r.stdout);
  if (typeof json !== "object" || json === null) return { ok: false, why: "python printed no JSON object" };
  const o = json as Record<string, unknown>;
  return { ok: true, version: String(o.version), implementation: String(o.implementation), json: o };
}

/** `x` if it is an array of numbers, else []. */
export const numbers = (x: unknown): number[] =>
  Array.isArray(x) && x.every((v) => typeof v === "number") ? (x as number[]) : [];
