/**
 * The report's shared parts: a workload's Section (its JSON, its text lines, its charts), the
 * statistics over repetitions, table layout, the machine description, and the whole report as
 * text or JSON. Each workload builds its own section (run-w1.ts … run-w4.ts); html.ts draws them.
 */
import os from "node:os";
import type { PythonInfo } from "./children.js";
import type { Workload } from "./config.js";

/** One workload's part of the output: its JSON section and its text lines. */
export interface Section {
  json: Record<string, unknown>;
  lines: string[];
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
