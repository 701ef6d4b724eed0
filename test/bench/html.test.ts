/**
 * The HTML benchmark report (`refheap bench --html`): a summary table first, each section's tables
 * as HTML tables with missing and negative values flagged, one colour per system on the charts,
 * "lower is better" on every chart, and none of the text report's internal target lines. A small
 * report made by hand stands in for a run (test/cli/bench-cli.test.ts writes a real one).
 */
import { describe, expect, it } from "vitest";
import { benchHtml, chartFlags, summaryRows, systemOf } from "../../src/bench/html.js";
import {
  type BenchReport,
  blockLines,
  type ChartSpec,
  internalLine,
  type Section,
  tableBlock,
} from "../../src/bench/report.js";

const walk: ChartSpec = {
  title: "W5 — walk a linked list",
  unit: "ns per node",
  labels: ["V8 objects (p = p.next)", "refheap handles", "refheap engine API (addresses)"],
  datasets: [{ label: "median", data: [2, 36, 11] }],
};
const bytes: ChartSpec = {
  title: "W4 — bytes per object",
  unit: "bytes",
  labels: ["empty", "3 attrs"],
  datasets: [
    { label: "refheap (allocator accounting)", data: [16, 208] },
    { label: "V8 (heap growth)", data: [12, null] },
    { label: "CPython 3.11 (tracemalloc)", data: [56, -3] },
  ],
};

function section(charts: ChartSpec[]): Section {
  const blocks = [
    "W5 — walk (p = p.next)",
    "a machine line",
    "",
    tableBlock([
      ["variant", "ns per node", "× V8"],
      ["V8 objects", "2.0", "1.00×"],
      ["refheap handles", "36.0", "—"],
      ["a negative row", "-0.4 (-1.0–0.2)", "n/a"],
    ]),
    internalLine("goal: walks ≤ 10× V8 — NOT MET"),
    "",
    "W5 part two",
    "2026-12-07T00:00:00.000Z  a machine",
    "note: a note",
  ];
  return { json: {}, lines: blockLines(blocks), blocks, charts };
}

const report: BenchReport = { date: "2026-12-07T00:00:00Z", sections: { w5: section([walk, bytes]) } };

describe("the HTML benchmark report", () => {
  const page = benchHtml(report);

  it("keeps the text report's lines (tables laid out, internal lines included)", () => {
    const lines = report.sections.w5!.lines;
    expect(lines).toContain("goal: walks ≤ 10× V8 — NOT MET");
    expect(lines.some((l) => /^refheap handles\s+36\.0\s+—$/.test(l))).toBe(true);
  });

  it("starts with a summary table: each system's best value per chart and per category", () => {
    expect(page.indexOf('<table class="summary">')).toBeLessThan(page.indexOf('<section id="w5">'));
    const rows = summaryRows([walk, bytes]);
    expect(rows.map((r) => r.what)).toEqual([walk.title, `${bytes.title}: empty`, `${bytes.title}: 3 attrs`]);
    expect(rows[0]!.best).toEqual({
      V8: { label: "V8 objects (p = p.next)", value: 2 },
      refheap: { label: "refheap engine API (addresses)", value: 11 },
    });
    // a missing or negative value is no one's best
    expect(rows[2]!.best).toEqual({ refheap: { label: "refheap (allocator accounting)", value: 208 } });
    expect(page).toContain('<td class="num">5.50×</td>'); // refheap ÷ V8 on the walk: 11 / 2
  });

  it("renders tables as HTML tables and flags missing and negative values", () => {
    expect(page).toContain("<th>variant</th>");
    expect(page).toMatch(/<td class="num missing" title="no value in this run">—<\/td>/);
    expect(page).toMatch(/<td class="num negative" title="negative: [^"]*">-0\.4 \(-1\.0–0\.2\)<\/td>/);
    expect(page).not.toContain("<pre>");
    expect(chartFlags(bytes)).toEqual([
      "no value: 3 attrs, V8 (heap growth)",
      "negative (-3.0): 3 attrs, CPython 3.11 (tracemalloc)",
    ]);
    expect(page).toContain("<li>no value: 3 attrs, V8 (heap growth)</li>");
  });

  it("says lower is better on every chart and colours bars by system", () => {
    const charts = JSON.parse(/const CHARTS = (.*);\n/.exec(page)![1]!) as {
      title: string;
      colours: string[];
    }[];
    expect(charts.map((c) => c.title)).toEqual([
      `${walk.title} (lower is better)`,
      `${bytes.title} (lower is better)`,
    ]);
    // one dataset: a colour per bar, refheap's second bar a lighter shade of the first's
    expect(charts[0]!.colours).toEqual(["#e0791a", "#2f6fb0", "#5b93cc"]);
    expect(charts[1]!.colours).toEqual(["#2f6fb0", "#e0791a", "#3d8b3d"]);
    expect(
      ["CPython 3.11 (tracemalloc)", "V8 class Empty {}", "floor (exact work)", "refheap Empty"].map(
        systemOf,
      ),
    ).toEqual(["CPython", "V8", "floor", "refheap"]);
  });

  it("gives a section's later parts headings of their own", () => {
    expect(page).toContain("<h2>W5 — walk (p = p.next)</h2>");
    expect(page).toContain("<h3>W5 part two</h3>");
    expect(page).toContain('<p class="line">a machine line</p>');
  });

  it("leaves out the internal target lines and keeps the notes", () => {
    expect(page).not.toMatch(/goal/i);
    expect(page).toContain("<li>a note</li>");
  });
});
