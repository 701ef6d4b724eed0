/**
 * The report's shared parts: a workload's Section (its JSON, its text lines, its charts), the
 * statistics over repetitions, table layout, the machine description, and the whole report as
 * text or JSON. Each workload builds its own section (run-w1.ts … run-w4.ts); html.ts draws them.
 */
import os from "node:os";
import { CHILD_NODE_FLAGS, type PythonInfo } from "./children.js";
import { CPU_CLOCK_RESOLUTION_NS } from "./clock.js";
import type { Workload } from "./config.js";

/** One workload's part of the output: its JSON section and its text lines. */
export interface Section {
  json: Record<string, unknown>;
  lines: string[];
  /** The same text as `lines`, with its tables as tables (what the HTML report renders). */
  blocks: Block[];
  /** What the HTML report draws for this workload (html.ts). */
  charts: ChartSpec[];
}

/**
 * A bar chart: one bar per label in each dataset. `ranges` (min–max per bar) go into the
 * tooltips; `log` uses a logarithmic value axis (the W1 rows span three decades).
 */
export interface ChartSpec {
  title: string;
  unit: string;
  labels: string[];
  datasets: { label: string; data: (number | null)[]; ranges?: ([number, number] | null)[] }[];
  horizontal?: boolean;
  log?: boolean;
}

/** One finished run: the date, and each workload's section in run order. */
export interface BenchReport {
  readonly date: string;
  readonly sections: Partial<Record<Workload, Section>>;
}

// --- statistics over repetitions --------------------------------------------------------------

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** x / base, or null when there is no base row. */
export const ratio = (x: number, base: number | undefined): number | null =>
  base === undefined ? null : x / base;

/** "1.23×", or "—" for a missing ratio. */
export const times = (r: number | null): string => (r === null ? "—" : `${r.toFixed(2)}×`);

/** "12.3 (11.0–14.5)": a median with its min–max. */
export const withRange = (s: Summary, digits = 1): string =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

// --- layout -----------------------------------------------------------------------------------

/** A table of a section: its rows (the first is the header), the first `left` columns text. */
export interface TableBlock {
  readonly table: string[][];
  readonly left: number;
}

/**
 * A line of the text report that the HTML page leaves out: a check of the project's own targets
 * against the run (the text report keeps it for the developers who track them).
 */
export interface InternalLine {
  readonly internal: string;
}

/** A section's content in order: lines of text (`note: …` lines are notes), tables, internal lines. */
export type Block = string | TableBlock | InternalLine;

export const tableBlock = (table: string[][], left = 1): TableBlock => ({ table, left });
export const internalLine = (internal: string): InternalLine => ({ internal });

/** The text report's lines for `blocks`. */
export function blockLines(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) =>
    typeof b === "string" ? [b] : "table" in b ? formatTable(b.table, b.left) : [b.internal],
  );
}

/** Lays out a table: the first `left` columns left-aligned, the others right-aligned. */
export function formatTable(table: string[][], left = 1): string[] {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
  return table.map((line) =>
    line.map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
}

/** A dataset of medians with their min–max, from summaries (null where a bar is missing). */
export function summaryDataset(
  label: string,
  summaries: readonly (Summary | null)[],
): ChartSpec["datasets"][number] {
  return {
    label,
    data: summaries.map((x) => x?.median ?? null),
    ranges: summaries.map((x) => (x === null ? null : [x.min, x.max])),
  };
}

/** Notes as the text report prints them. */
export const noteLines = (notes: readonly string[]): string[] => notes.map((n) => `note: ${n}`);

// --- the machine ------------------------------------------------------------------------------

export interface Machine {
  cpu: string;
  cores: number;
  platform: string;
  node: string;
  python: string | null;
  exposeGc: boolean;
}

export function machineInfo(python: PythonInfo | null, exposeGc: boolean): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    python: python === null ? null : `${python.implementation} ${python.version}`,
    exposeGc,
  };
}

/** A section's heading: its title, the date and machine, the runtimes and how often it ran. */
export function sectionHeader(title: string, machine: Machine, reps: string): string[] {
  return [
    title,
    `${new Date().toISOString()}  ${machine.cpu} (${machine.cores} cores), ${machine.platform}`,
    `node ${machine.node}, ${machine.python ?? "no CPython"}${reps === "" ? "" : `; ${reps}`}`,
  ];
}

// --- how the times were taken ----------------------------------------------------------------

/**
 * The shortest timed region a figure may rest on: 1,000 times the node clock's resolution, so
 * that rounding to a microsecond moves it by at most 0.1 %.
 */
export const MIN_TIMED_NS = 1000 * CPU_CLOCK_RESOLUTION_NS;

/** A timed section's `timing` JSON: the clocks, the children's flags, the shortest region timed in node. */
export function timingJson(shortestJsNs: number) {
  return {
    clock: "process CPU time (user + system), not wall-clock",
    node: "process.cpuUsage()",
    python: "time.process_time_ns()",
    resolutionNs: { node: CPU_CLOCK_RESOLUTION_NS, python: 1 },
    childNodeFlags: [...CHILD_NODE_FLAGS],
    shortestTimedRegionNs: Number.isFinite(shortestJsNs) ? shortestJsNs : null,
  };
}

/**
 * The notes every timed section shares: what the clock is, the children's V8 flags, and a
 * warning when a node child timed a region too short for the clock (`shortestJsNs`).
 */
export function timingNotes(shortestJsNs: number): string[] {
  const notes = [
    "times are CPU time, not wall-clock time (the machine may be shared, and another process's load " +
      "does not count): node children read process.cpuUsage() (user + system of all the process's threads, " +
      "1 µs resolution), python time.process_time_ns(); V8's scavenges during a timed region are in its " +
      "time, and so is the CPU time V8's helper threads spend meanwhile.",
    `every node child runs with ${CHILD_NODE_FLAGS.join(" ")}: V8 compiles optimised code on the main ` +
      "thread when it asks for it, so which code a timed round runs does not depend on when a background " +
      "compile happens to finish.",
  ];
  if (shortestJsNs < MIN_TIMED_NS) {
    notes.push(
      `a node child timed a region of only ${(shortestJsNs / 1000).toFixed(0)} µs of CPU time, under the ` +
        `${MIN_TIMED_NS / 1e6} ms that keeps the clock's 1 µs resolution within 0.1 %: larger sizes ` +
        "(--n, --w3-ops) give figures to quote.",
    );
  }
  return notes;
}

// --- the whole report -------------------------------------------------------------------------

/** The report as text: each section's table and notes. */
export function benchText(report: BenchReport): string {
  return `${Object.values(report.sections)
    .map((s) => s.lines.join("\n"))
    .join("\n\n")}\n`;
}

/** The report for machines: the date and each section's JSON. */
export function benchJson(report: BenchReport): Record<string, unknown> {
  const out: Record<string, unknown> = { date: report.date };
  for (const [name, s] of Object.entries(report.sections)) out[name] = s.json;
  return out;
}
