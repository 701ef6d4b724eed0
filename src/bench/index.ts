/** The benchmark suite (W1–W5) for the CLI's `refheap bench`: run it, then format the report. */

export {
  type BenchConfig,
  type BenchProgress,
  DEFAULT_BENCH_CONFIG,
  WORKLOADS,
  type Workload,
} from "./config.js";
export { benchHtml } from "./html.js";
export { type BenchReport, benchJson, benchText } from "./report.js";
export { runBench } from "./run.js";
