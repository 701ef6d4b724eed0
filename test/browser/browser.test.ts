/**
 * The library in a real browser: the package's build (dist/) bundled for the browser with
 * esbuild (a Node built-in anywhere in it fails the bundle), loaded into Chromium through
 * playwright-core, running test/browser/fixture.ts. Its events must equal those of the same code
 * run in Node, and the reports that go to `process.stderr` and process warnings under Node must
 * arrive on the browser's console instead, failing nothing.
 *
 * Chromium is Debian's (`apt-get install chromium`; REFHEAP_CHROMIUM names another binary). Where
 * there is none, these tests are skipped and say so; `.ci/run` installs it and sets
 * REFHEAP_BROWSER=require, under which a missing Chromium fails instead.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { found, launch, suiteTitle } from "./chromium.js";
import { run } from "./fixture.js";

describe.skipIf(!found)(suiteTitle, () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("./fixture.ts", import.meta.url))],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "refheapFixture",
      target: "es2022",
      write: false,
      logLevel: "silent",
    });
    bundle = result.outputFiles[0]!.text;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("the bundle holds no Node built-in and no reference to process beyond feature tests", () => {
    expect(bundle).not.toMatch(/require\(["']node:/);
    expect(bundle.length).toBeGreaterThan(10_000);
  });

  it("runs the classic examples as in Node; the default reports go to the console", async () => {
    const page = await browser.newPage();
    const console: { type: string; text: string }[] = [];
    const errors: string[] = [];
    page.on("console", (m) => console.push({ type: m.type(), text: m.text() }));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setContent("<!doctype html><title>refheap</title>");
    await page.addScriptTag({ content: bundle });
    const inBrowser = await page.evaluate(() =>
      (globalThis as unknown as { refheapFixture: { run(): string[] } }).refheapFixture.run(),
    );
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe("undefined");
    // The same in Node, where the reports go to process.stderr and process.emitWarning instead.
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let inNode: string[];
    try {
      inNode = run();
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(
        /Exception ignored in: [\s\S]*boom/,
      );
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/'Bad' object/);
    } finally {
      stderr.mockRestore();
      warn.mockRestore();
    }
    expect(inBrowser).toEqual(inNode);
    expect(inBrowser).toContain("collect 2");
    expect(inBrowser).toContain("engine collect 2000");
    const errorText = console
      .filter((m) => m.type === "error")
      .map((m) => m.text)
      .join("\n");
    expect(errorText).toMatch(/Exception ignored in: .*\n[\s\S]*boom in __del__/);
    const warnText = console
      .filter((m) => m.type === "warning")
      .map((m) => m.text)
      .join("\n");
    expect(warnText).toMatch(/'Bad' object .* was not released before close\(\).*REFHEAP_LEAKED_HANDLE/s);
    await page.close();
  }, 60_000);
});
