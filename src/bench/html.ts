/**
 * `refheap bench --html FILE`: the report as one self-contained page. Chart.js (its UMD build,
 * read from the installed package) is inlined, so the page works offline and can be attached
 * to an issue. The page starts with a summary table (each chart's best refheap, CPython and V8
 * values side by side); then each workload gets its charts (Section.charts: one colour per system,
 * lower is better on every one) and its tables as HTML tables (Section.blocks), with missing and
 * negative values flagged rather than dropped. The text report's internal lines (the project's
 * own targets) are left out.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { BenchReport, Block, ChartSpec, Section } from "./report.js";

/** Chart.js's browser build: next to the file its package entry resolves to. */
function chartJsSource(): string {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  return readFileSync(path.join(path.dirname(entry), "chart.umd.min.js"), "utf8");
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON that is safe inside a <script> element (no "</script>" can close it early). */
const scriptJson = (x: unknown): string => JSON.stringify(x).replace(/</g, "\\u003c");

/** The systems a bar can belong to, each with its colour (shades for several bars of one system). */
export const SYSTEMS = {
  refheap: ["#2f6fb0", "#5b93cc", "#8ab4e0", "#b6d2ef", "#1d4b7a", "#3f82c4"],
  CPython: ["#3d8b3d", "#6fb26f", "#a1d3a1"],
  V8: ["#e0791a", "#f2a35e", "#f7c89a"],
  floor: ["#8c8c8c", "#b0b0b0"],
  other: ["#a05195", "#c47fba"],
} as const;
export type System = keyof typeof SYSTEMS;

/** Which system a bar's or dataset's label names. */
export function systemOf(label: string): System {
  if (/floor/i.test(label)) return "floor";
  if (/cpython|python/i.test(label)) return "CPython";
  if (/\bV8\b|plain JS|JS objects/i.test(label)) return "V8";
  if (/refheap|engine|handles/i.test(label)) return "refheap";
  return "other";
}

/** Colours for a list of labels: each its system's, the next shade for a system seen before. */
function coloursFor(labels: readonly string[]): string[] {
  const seen = new Map<System, number>();
  return labels.map((l) => {
    const sys = systemOf(l);
    const k = seen.get(sys) ?? 0;
    seen.set(sys, k + 1);
    const shades = SYSTEMS[sys];
    return shades[k % shades.length]!;
  });
}

const LOWER = "lower is better";

/** A chart as the page draws it: its title says lower is better, its bars have their colours. */
interface DrawnChart extends ChartSpec {
  /** One colour per dataset, or (one dataset) per bar. */
  colours: string[];
}

function drawn(spec: ChartSpec): DrawnChart {
  const title = spec.title.includes(LOWER) ? spec.title : `${spec.title} (${LOWER})`;
  const colours =
    spec.datasets.length === 1 ? coloursFor(spec.labels) : coloursFor(spec.datasets.map((d) => d.label));
  return { ...spec, title, colours };
}

/** The bars a chart cannot draw: a missing value, or a negative one. */
export function chartFlags(spec: ChartSpec): string[] {
  const flags: string[] = [];
  for (const d of spec.datasets) {
    d.data.forEach((v, i) => {
      const where = spec.datasets.length === 1 ? spec.labels[i]! : `${spec.labels[i]!}, ${d.label}`;
      if (v === null || Number.isNaN(v)) flags.push(`no value: ${where}`);
      else if (v < 0) flags.push(`negative (${v.toFixed(1)}): ${where}`);
    });
  }
  return flags;
}

/** The browser side: one Chart per spec; tooltips show the median and its min–max. */
const DRAW = `
for (const [i, spec] of CHARTS.entries()) {
  const canvas = document.getElementById("chart-" + i);
  const many = spec.labels.length;
  canvas.parentElement.style.height = (spec.horizontal ? Math.max(220, 28 * many * spec.datasets.length + 80) : 360) + "px";
  const one = spec.datasets.length === 1;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((d, k) => ({ label: d.label, data: d.data, backgroundColor: one ? spec.colours : spec.colours[k] })),
    },
    options: {
      indexAxis: spec.horizontal ? "y" : "x",
      maintainAspectRatio: false,
      animation: false,
      scales: { [spec.horizontal ? "x" : "y"]: { type: spec.log ? "logarithmic" : "linear", title: { display: true, text: spec.unit + " (lower is better)" } } },
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: !one },
        tooltip: {
          callbacks: {
            label(ctx) {
              const d = spec.datasets[ctx.datasetIndex];
              const v = d.data[ctx.dataIndex];
              const r = d.ranges ? d.ranges[ctx.dataIndex] : null;
              const range = r ? " (min " + r[0].toFixed(1) + ", max " + r[1].toFixed(1) + ")" : "";
              return d.label + ": " + (v === null ? "no value" : v.toFixed(1)) + range;
            },
          },
        },
      },
    },
  });
}
`;

// --- the summary --------------------------------------------------------------------------------

/** One row of the summary: a chart (or one of its categories) and each system's best bar. */
export interface SummaryRow {
  readonly what: string;
  readonly unit: string;
  readonly best: Partial<Record<System, { label: string; value: number }>>;
}

/**
 * The summary's rows: for a chart with one dataset, one row (its bars' systems from their
 * labels); for one with several, a row per category (the datasets' systems from their labels).
 * Each system's smallest non-negative value is its best.
 */
export function summaryRows(charts: readonly ChartSpec[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const keep = (best: SummaryRow["best"], label: string, v: number | null): void => {
    if (v === null || Number.isNaN(v) || v < 0) return;
    const sys = systemOf(label);
    const cur = best[sys];
    if (cur === undefined || v < cur.value) best[sys] = { label, value: v };
  };
  for (const spec of charts) {
    if (spec.datasets.length === 1) {
      const best: SummaryRow["best"] = {};
      for (const [i, l] of spec.labels.entries()) keep(best, l, spec.datasets[0]!.data[i] ?? null);
      rows.push({ what: spec.title, unit: spec.unit, best });
    } else {
      spec.labels.forEach((l, i) => {
        const best: SummaryRow["best"] = {};
        for (const d of spec.datasets) keep(best, d.label, d.data[i] ?? null);
        rows.push({ what: `${spec.title}: ${l}`, unit: spec.unit, best });
      });
    }
  }
  return rows;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

function summaryTable(rows: readonly SummaryRow[]): string {
  const cell = (b: { label: string; value: number } | undefined): string =>
    b === undefined
      ? `<td class="num missing" title="no such row in this run">—</td>`
      : `<td class="num" title="${escapeHtml(b.label)}">${fmt(b.value)}</td>`;
  const ratio = (a: { value: number } | undefined, b: { value: number } | undefined): string =>
    a === undefined || b === undefined || b.value === 0
      ? `<td class="num missing" title="a side is missing">—</td>`
      : `<td class="num">${(a.value / b.value).toFixed(2)}×</td>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.what)}</td><td>${escapeHtml(r.unit)}</td>` +
        `${cell(r.best.refheap)}${cell(r.best.CPython)}${cell(r.best.V8)}` +
        `${ratio(r.best.refheap, r.best.CPython)}${ratio(r.best.refheap, r.best.V8)}</tr>`,
    )
    .join("\n");
  return `<table class="summary">
<thead><tr><th>what</th><th>unit</th><th class="num refheap">refheap, best</th><th class="num cpython">CPython, best</th><th class="num v8">V8, best</th><th class="num">refheap ÷ CPython</th><th class="num">refheap ÷ V8</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

// --- a section ----------------------------------------------------------------------------------

/** A table cell: numbers right-aligned; a missing or negative value flagged. */
function tableCell(text: string, numeric: boolean, tag: "td" | "th"): string {
  const t = text.trim();
  const classes: string[] = [];
  let title = "";
  if (numeric) classes.push("num");
  if (tag === "td" && (t === "—" || t === "" || t === "n/a")) {
    classes.push("missing");
    title = "no value in this run";
  } else if (tag === "td" && /(^|[\s(])-\d/.test(t)) {
    classes.push("negative");
    title = "negative: below what this measurement can resolve";
  }
  const cls = classes.length > 0 ? ` class="${classes.join(" ")}"` : "";
  const tip = title === "" ? "" : ` title="${title}"`;
  return `<${tag}${cls}${tip}>${escapeHtml(t === "" ? "—" : t)}</${tag}>`;
}

function htmlTable(table: readonly string[][], left: number): string {
  const [head, ...rows] = table;
  const row = (cells: readonly string[], tag: "td" | "th"): string =>
    `<tr>${cells.map((c, i) => tableCell(c, i >= left, tag)).join("")}</tr>`;
  return `<table>
<thead>${row(head ?? [], "th")}</thead>
<tbody>
${rows.map((r) => row(r, "td")).join("\n")}
</tbody>
</table>`;
}

/** A list of `items` with class `cls`, or nothing when there are none. */
function htmlList(cls: string, items: readonly string[]): string {
  return items.length === 0
    ? ""
    : `<ul class="${cls}">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
}

/** A section's blocks as HTML: lines as paragraphs, notes as a list, tables as tables. */
function sectionBody(blocks: readonly Block[]): string {
  const out: string[] = [];
  let notes: string[] = [];
  const flushNotes = (): void => {
    out.push(htmlList("notes", notes));
    notes = [];
  };
  for (const [i, b] of blocks.entries()) {
    if (typeof b === "string") {
      if (b.startsWith("note: ")) {
        notes.push(b.slice(6));
        continue;
      }
      flushNotes();
      // a part's title: the line sectionHeader puts before its date line
      const next = blocks[i + 1];
      const title = typeof next === "string" && /^\d{4}-\d\d-\d\dT/.test(next);
      if (b.trim() !== "")
        out.push(title ? `<h3>${escapeHtml(b)}</h3>` : `<p class="line">${escapeHtml(b)}</p>`);
    } else if ("table" in b) {
      flushNotes();
      out.push(htmlTable(b.table, b.left));
    }
    // an internal line (the project's own targets) is the text report's only
  }
  flushNotes();
  return out.join("\n");
}

function sectionHtml(name: string, section: Section, charts: DrawnChart[]): string {
  const canvases = section.charts.map((spec) => {
    const chart = drawn(spec);
    charts.push(chart);
    return `<div class="chart"><canvas id="chart-${charts.length - 1}" aria-label="${escapeHtml(chart.title)}"></canvas></div>${htmlList("flags", chartFlags(spec))}`;
  });
  const [title, ...rest] = section.blocks;
  return `<section id="${name}">
<h2>${escapeHtml(typeof title === "string" ? title : name)}</h2>
${canvases.join("\n")}
${sectionBody(rest)}
</section>`;
}

export function benchHtml(report: BenchReport): string {
  const charts: DrawnChart[] = [];
  const sections = Object.entries(report.sections).map(([name, section]) =>
    sectionHtml(name, section, charts),
  );
  const summary = summaryRows(Object.values(report.sections).flatMap((s) => s.charts));
  const legend = (["refheap", "CPython", "V8", "floor"] as const)
    .map(
      (s) =>
        `<span class="key" style="background:${SYSTEMS[s][0]}"></span>${s === "floor" ? "exact-work floor" : s}`,
    )
    .join(" ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>refheap benchmark report, ${escapeHtml(report.date)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.missing { background: #fff4d6; color: #8a6d00; }
.negative { background: #fde2e2; color: #a40000; font-weight: 600; }
th.refheap { color: ${SYSTEMS.refheap[0]}; } th.cpython { color: ${SYSTEMS.CPython[0]}; } th.v8 { color: ${SYSTEMS.V8[0]}; }
.line { margin: 0.2rem 0; font-size: 0.9rem; }
.notes, .flags { font-size: 0.8rem; color: #555; }
.flags { color: #a40000; }
.chart { position: relative; width: 100%; margin: 1rem 0; }
.key { display: inline-block; width: 0.9rem; height: 0.9rem; margin: 0 0.3rem 0 0.8rem; vertical-align: middle; }
</style>
</head>
<body>
<h1>refheap benchmark report</h1>
<p>Run ${escapeHtml(report.date)} by <code>refheap bench</code>. Every number is a time or a size: <strong>lower is better</strong>. Bars are medians over the repetitions; hover a bar for its min–max. Colours: ${legend}.</p>
<h2>Summary</h2>
<p>Each system's best (lowest) median in each chart, and their ratios; hover a value for the row it comes from. The sections below have every row.</p>
${summaryTable(summary)}
${sections.join("\n")}
<script>${chartJsSource()}</script>
<script>
const CHARTS = ${scriptJson(charts)};
${DRAW}
</script>
</body>
</html>
`;
}
