/**
 * `refheap bench` (and `npm run bench`): workload W1 (make 100,000 instances in a list, drop the
 * list) on refheap, plain V8 objects and CPython; W2 (the cycle collector: cyclic garbage, and the
 * pause of a full collection) on refheap and CPython; W3 (WeakValueDictionary get hit / miss /
 * set, and an object with one callback weakref dying) on refheap, CPython and a JavaScript
 * Map+WeakRef+FinalizationRegistry cache; W4 (bytes per object); W5 (walking a linked list through
 * handles, against plain V8 objects and the engine API); W6 (a Scheme interpreter whose runtime
 * objects live in refheap, against the same interpreter over plain JS objects; from a repository
 * checkout only). Each is interleaved: every
 * repetition runs each variant once, in a rotating order, so machine drift (thermal, other load)
 * spreads over all variants alike. W1 and W2 also have a floor row: hand-written flat code over a
 * heap of its own doing exactly the workload's work (floor.ts, floor-flat.ts), not refheap.
 *
 * The parts: config.ts (what to run), children.ts (the child processes: node children running
 * child.ts with `--child <id>`, python3 running bench/python/), run-w1.ts … run-w6.ts (each
 * workload's runs and its section of the report, over the in-process code of w1.ts … w5.ts),
 * report.ts (statistics, tables, the report as text and JSON) and html.ts (the HTML page).
 */
import { type BenchConfig, type BenchProgress, SILENT_PROGRESS, type Workload } from "./config.js";
import type { BenchReport, Section } from "./report.js";
import { w1Section } from "./run-w1.js";
import { w2Section } from "./run-w2.js";
import { w3Section } from "./run-w3.js";
import { w4Section } from "./run-w4.js";
import { w5Section } from "./run-w5.js";
import { w6Section } from "./run-w6.js";

const SECTIONS: Record<Workload, typeof w1Section> = {
  w1: w1Section,
  w2: w2Section,
  w3: w3Section,
  w4: w4Section,
  w5: w5Section,
  w6: w6Section,
};

/**
 * Runs the configured workloads, each with its own progress bar, and returns the report. With
 * the defaults this takes about a quarter of an hour on two cores.
 */
export function runBench(cfg: BenchConfig, progress: BenchProgress = SILENT_PROGRESS): BenchReport {
  const date = new Date().toISOString();
  const sections: Partial<Record<Workload, Section>> = {};
  for (const w of cfg.workloads) {
    sections[w] = SECTIONS[w]({ cfg, progress });
    progress.end();
  }
  return { date, sections };
}
