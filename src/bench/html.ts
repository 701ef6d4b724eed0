/**
 * `refheap bench --html FILE`: the report as one self-contained page. Chart.js (its UMD build,
 * read from the installed package) is inlined, so the page works offline and can be attached
 * to an issue; each workload gets its charts (Section.charts) and its text table.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { BenchReport, ChartSpec } from "./report.js";

/** Chart.js's browser build: next to the file its package entry resolves to. */
function chartJsSource(): string {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  return readFileSync(path.join(path.dirname(entry), "chart.umd.min.js"), "utf8");
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON that is safe inside a <script> element (no "</script>" can close it early). */
const scriptJson = (x: unknown): string => JSON.stringify(x).replace(/</g, "\\u003c");

/** The browser side: one Chart per spec; tooltips show the median and its min–max. */
const DRAW = `
const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
for (const [i, spec] of CHARTS.entries()) {
  const canvas = document.getElementById("chart-" + i);
  const many = spec.labels.length;
  canvas.parentElement.style.height = (spec.horizontal ? Math.max(220, 28 * many * spec.datasets.length + 80) : 360) + "px";
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((d, k) => ({ label: d.label, data: d.data, backgroundColor: palette[k % palette.length] })),
    },
    options: {
      indexAxis: spec.horizontal ? "y" : "x",
      maintainAspectRatio: false,
      animation: false,
      scales: { [spec.horizontal ? "x" : "y"]: { type: spec.log ? "logarithmic" : "linear", title: { display: true, text: spec.unit } } },
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: spec.datasets.length > 1 },
        tooltip: {
          callbacks: {
            label(ctx) {
              const d = spec.datasets[ctx.datasetIndex];
              const v = d.data[ctx.dataIndex];
              const r = d.ranges ? d.ranges[ctx.dataIndex] : null;
              const range = r ? " (min " + r[0].toFixed(1) + ", max " + r[1].toFixed(1) + ")" : "";
              return d.label + ": " + (v === null ? "—" : v.toFixed(1)) + range;
            },
          },
        },
      },
    },
  });
}
`;

export function benchHtml(report: BenchReport): string {
  const charts: ChartSpec[] = [];
  const sections = Object.entries(report.sections).map(([name, section]) => {
    const canvases = section.charts.map((spec) => {
      charts.push(spec);
      return `<div class="chart"><canvas id="chart-${charts.length - 1}" aria-label="${escapeHtml(spec.title)}"></canvas></div>`;
    });
    return `<section id="${name}">
<h2>${escapeHtml(section.lines[0] ?? name)}</h2>
${canvases.join("\n")}
<pre>${escapeHtml(section.lines.join("\n"))}</pre>
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>refheap benchmark report, ${escapeHtml(report.date)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
pre { font-size: 0.8rem; overflow-x: auto; background: #f6f6f6; padding: 0.75rem; }
.chart { position: relative; width: 100%; margin: 1rem 0; }
</style>
</head>
<body>
<h1>refheap benchmark report</h1>
<p>Run ${escapeHtml(report.date)} by <code>refheap bench</code>. Bars are medians over the repetitions; hover a bar for its min–max. The text under each chart is the same run's table and notes.</p>
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
