/**
 * What a benchmark run measures and how often (the CLI's flags map onto BenchConfig one to one),
 * and how it reports its progress. Every workload's parent side (run-w1.ts … run-w5.ts) takes a
 * BenchContext; a child process rebuilds the part of the configuration it needs from its
 * arguments (child.ts).
 */

export const WORKLOADS = ["w1", "w2", "w3", "w4", "w5", "w6"] as const;
export type Workload = (typeof WORKLOADS)[number];

/** What to run and how often; the CLI's flags map onto it one to one. */
export interface BenchConfig {
  readonly workloads: readonly Workload[];
  /** W1: repetitions, timed rounds per process, objects per round. */
  readonly reps: number;
  readonly rounds: number;
  readonly n: number;
  /** W2: repetitions, and how many of them also measure the 4,000,000-object pauses. */
  readonly w2Reps: number;
  readonly w2BigReps: number;
  /** W3: repetitions, timed rounds per op, operations per round. */
  readonly w3Reps: number;
  readonly w3Rounds: number;
  readonly w3Ops: number;
  /** W5: processes per variant, and nodes in the walked chain. */
  readonly w5Reps: number;
  readonly w5Nodes: number;
  /** W6: processes per backend, and timed rounds per process. */
  readonly w6Reps: number;
  readonly w6Rounds: number;
  /** Children only: untimed rounds before the timed ones (W2, W3, W5). */
  readonly warmup: number;
  /** The CPython to compare with (skipped, with a note, if it cannot be run). */
  readonly python: string;
}

export const DEFAULT_BENCH_CONFIG: BenchConfig = {
  workloads: WORKLOADS,
  reps: 7,
  rounds: 10,
  n: 100_000,
  w2Reps: 5,
  w2BigReps: 3,
  w3Reps: 5,
  w3Rounds: 3,
  w3Ops: 200_000,
  w5Reps: 3,
  w5Nodes: 1_000_000,
  w6Reps: 3,
  w6Rounds: 8,
  warmup: 1,
  python: "python3",
};

/**
 * Untimed rounds a node child runs before its timed ones (W1, and W2's garbage part): V8's JIT
 * compiles the hot paths within two or three, and the heap reaches its size.
 */
export const JS_WARMUP_ROUNDS = 3;

/**
 * W1's warm-up goes on past JS_WARMUP_ROUNDS, up to this many rounds, while it has used less than
 * W1_WARMUP_BUDGET_NS of CPU time. V8 compiles the rarer paths (a pool's transitions, the list's
 * large-block reallocation, the free-block tree) only after tens of rounds, 1–8 ms each on the main
 * thread (--no-concurrent-recompilation): inside a timed round of 5–10 ms such a compile doubled
 * it (node --trace-opt shows them; docs/performance.md, "How `refheap bench` measures").
 */
export const W1_WARMUP_MAX_ROUNDS = 40;
export const W1_WARMUP_BUDGET_NS = 400e6;

/** How a run reports what it is doing: one bar (or line) per workload, a step per process. */
export interface BenchProgress {
  begin(label: string, total: number): void;
  step(detail: string): void;
  end(): void;
}

export const SILENT_PROGRESS: BenchProgress = { begin() {}, step() {}, end() {} };

/** What a workload's parent side runs with. */
export interface BenchContext {
  readonly cfg: BenchConfig;
  readonly progress: BenchProgress;
}
