/** The benchmark suite (W1–W4) for the CLI's `refheap bench`: run it, then format the report. */

export { benchHtml } from "./html.js";
export {
  type BenchConfig,
  type BenchProgress,
  type BenchReport,
  benchJson,
  benchText,
  DEFAULT_BENCH_CONFIG,
  runBench,
  WORKLOADS,
  type Workload,
} from "./run.js";
