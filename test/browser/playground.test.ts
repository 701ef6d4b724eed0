/**
 * The playground page (playground/, built into dist/playground/ by `npm run build`, served as
 * `refheap viz` serves it) driven in Chromium: every number the page shows for the cycle preset,
 * step by step through the collection, equals the engine's own trace of the same scenario
 * recorded here in Node; "why is this alive" names the chain; the 100,000-object heap is recorded
 * off the page's thread and shown as counts while the page keeps answering.
 *
 * The README's screenshot is taken here: REFHEAP_UPDATE_SCREENSHOT=1 writes docs/playground.png.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveViz, type VizServer } from "../../src/cli/viz.js";
import { PRESETS, recordScenario, type VizStep, type VizTrace } from "../../src/viz/index.js";
import { found, launch, suiteTitle } from "./chromium.js";

const preset = (id: string) => PRESETS.find((p) => p.id === id)!;

/**
 * The page's reading of the current step: its label, counts line, table rows and whole log. A
 * string, not a function: tsx would wrap a function's inner arrows in a helper the page lacks.
 */
const READ_PAGE = `(() => {
  const rows = [...document.querySelectorAll("#objects tbody tr")].map((tr) =>
    Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.dataset.col, td.textContent ?? ""])),
  );
  return {
    label: document.getElementById("step-label").textContent,
    counts: document.getElementById("counts").textContent,
    rows,
    log: [...document.querySelectorAll("#log li.event code")].map((c) => c.textContent ?? ""),
    gc: [...document.querySelectorAll("#log li.gc")].map((li) => li.textContent ?? ""),
  };
})()`;

interface Shown {
  label: string;
  counts: string;
  rows: Record<string, string>[];
  log: string[];
  gc: string[];
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(READ_PAGE) as Promise<Shown>;
}

/** The table rows the page must show for a step, from the trace recorded in Node. */
function expectedRows(step: VizStep): Record<string, string>[] {
  return (step.heap.objects ?? []).map((o) => ({
    label: o.label ?? "",
    type: o.type,
    addr: `0x${o.addr.toString(16)}`,
    refcount: String(o.refcount),
    generation:
      o.generation === null ? "untracked" : o.generation === "collecting" ? "in gc" : String(o.generation),
    gcRefs: o.gcRefs === null ? "" : String(o.gcRefs),
    mark: [o.mark ?? "", o.finalized ? "finalized" : ""].filter((s) => s !== "").join(", "),
  }));
}

async function ready(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    'document.body.dataset.state === "ready" || document.body.dataset.state === "error"',
    null,
    {
      timeout,
    },
  );
  const state = (await page.evaluate(
    '[document.body.dataset.state, document.getElementById("status").textContent]',
  )) as string[];
  if (state[0] !== "ready") throw new Error(`the page failed: ${state[1]}`);
}

describe.skipIf(!found)(`the playground ${suiteTitle}`, () => {
  let browser: Browser;
  let server: VizServer;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await serveViz(null, "127.0.0.1", 0);
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`${server.url}${query}`);
    await ready(page);
    return page;
  }

  it("shows, step by step, the engine's numbers for the cycle preset: refcounts, gc_refs, the result, the log", async () => {
    const expected: VizTrace = recordScenario(preset("cycle").text, { title: preset("cycle").title });
    const page = await open("?preset=cycle");
    const log: string[] = [];
    for (let i = 0; i < expected.steps.length; i++) {
      const step = expected.steps[i]!;
      log.push(...step.log);
      const s = await shown(page);
      expect(s.label).toBe(step.label);
      expect(s.rows).toEqual(expectedRows(step));
      expect(s.log).toEqual(log);
      expect(s.counts).toContain(`gc.get_count() = (${step.heap.counts.join(", ")})`);
      if (step.collection?.result != null) {
        expect(s.counts).toContain(`collected ${step.collection.result.collected}, uncollectable 0`);
      }
      if (i + 1 < expected.steps.length) await page.click("#next");
    }
    // The collector's report in the log, in DEBUG_STATS's words, with why it started.
    expect((await shown(page)).gc).toEqual([
      "gc: collecting generation 2... — gc.collect(2) starts a collection of generation 2 and every younger one.",
      "gc: done, 2 unreachable, 0 uncollectable — the collection of generation 2 ended",
    ]);
    // The numbers the issue names, checked by value as well: gc_refs after subtract_refs, the result.
    const sub = expected.steps.find((s) => s.label === "gc 2: subtract_refs")!;
    expect((sub.heap.objects ?? []).map((o) => [o.label, o.gcRefs])).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
    expect(log).toContain("collect 2 -> 2");
    // Stepping back shows the earlier step again.
    await page.click("#first");
    for (let i = 0; i < expected.steps.indexOf(sub); i++) await page.click("#next");
    expect((await shown(page)).rows.map((r) => r.gcRefs)).toEqual(["0", "0"]);
    await page.click("#next"); // move_unreachable: both marked
    await page.click("#objects tbody tr[data-addr] >> nth=0");
    expect(await page.textContent("#why-alive")).toMatch(/No name reaches it/);
    await page.screenshot({
      path:
        process.env.REFHEAP_UPDATE_SCREENSHOT === "1"
          ? fileURLToPath(new URL("../../docs/playground.png", import.meta.url))
          : join(mkdtempSync(join(tmpdir(), "refheap-shot-")), "playground.png"),
    });
    await page.close();
    expect(errors).toEqual([]);
  });

  it("answers why an object is alive with the chain from a name", async () => {
    const page = await open("?preset=list");
    const expected = recordScenario(preset("list").text);
    const at = expected.steps.findIndex((s) => s.label === "del x y z");
    for (let i = 0; i < at; i++) await page.click("#next");
    const x = expected.steps[at]!.heap.objects!.find((o) => o.label === "x")!;
    const l = expected.steps[at]!.heap.objects!.find((o) => o.label === "l")!;
    await page.click(`#objects tbody tr[data-addr="${x.addr}"]`);
    expect(await page.textContent("#why-alive")).toBe(
      `Why alive: l → l (list 0x${l.addr.toString(16)}) → x (Item 0x${x.addr.toString(16)})`,
    );
    await page.close();
    expect(errors).toEqual([]);
  });

  it("abandons a recording still running when another scenario is run", async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}?preset=big`);
    await page.selectOption("#preset", "cycle"); // while the big heap records
    await ready(page);
    expect(await page.textContent("#status")).toBe(`${preset("cycle").title}: 21 steps`);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("records the 100,000-object heap off the page's thread and shows counts, staying responsive", async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on("pageerror", (e) => errors.push(e.message));
    const started = Date.now();
    await page.goto(`${server.url}?preset=big`);
    // While the worker records, the page answers: the longest round trip of a trivial evaluation.
    let longest = 0;
    while ((await page.evaluate("document.body.dataset.state")) !== "ready") {
      const t = Date.now();
      await page.evaluate("new Promise((r) => requestAnimationFrame(() => r(null)))");
      longest = Math.max(longest, Date.now() - t);
      if (Date.now() - started > 120_000) throw new Error("the big heap did not load in 2 minutes");
    }
    const loadMs = Date.now() - started;
    console.log(
      `playground: the 100,000-object preset loaded in ${loadMs} ms; longest frame wait ${longest} ms`,
    );
    expect(longest).toBeLessThan(1000);
    const expected = recordScenario(preset("big").text);
    const at = expected.steps.findIndex((s) => s.label === "loop 100000 C keep l");
    for (let i = 0; i < at; i++) await page.click("#next");
    expect(await page.isVisible("#summary")).toBe(true);
    expect(await page.isVisible("#graph")).toBe(false);
    const row = (await page.evaluate(
      `[...document.querySelectorAll("#summary-table tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent))`,
    )) as string[][];
    expect(row).toContainEqual(["C", "100,000", "0", "0", "0", "0", "0"]);
    const t = Date.now();
    await page.click("#next");
    await page.click("#last");
    expect(Date.now() - t).toBeLessThan(3000);
    await page.close();
    expect(errors).toEqual([]);
  }, 180_000);
});
