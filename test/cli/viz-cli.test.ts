/**
 * `refheap viz`: the static site written by --out (the page's files, and FILE as trace.json,
 * recorded when it is a scenario), refusals of a missing or malformed FILE, and the page served
 * on localhost by bin/refheap.js as a process (it runs dist/, which `npm test` builds first).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { CORPUS_DIR, DEFAULT_LONG_LIVED, runScenario } from "../../src/oracle/index.js";
import { parseTrace } from "../../src/viz/index.js";
import { capture } from "./cli-helpers.js";

const BIN = fileURLToPath(new URL("../../bin/refheap.js", import.meta.url));
const SCENARIO = `${CORPUS_DIR}/hand-007-two-instance-cycle.txt`;

describe("refheap viz --out", () => {
  it("writes the page and FILE's trace (a scenario, recorded)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refheap-viz-"));
    const c = capture();
    expect(await main(["viz", "--out", dir, SCENARIO], c.io)).toBe(0);
    expect(c.out()).toMatch(/wrote \d+ files to .*index\.html\?trace=trace\.json/);
    for (const f of ["index.html", "main.js", "worker.js", "style.css", "trace.json"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const trace = parseTrace(readFileSync(join(dir, "trace.json"), "utf8"));
    const text = readFileSync(SCENARIO, "utf8");
    expect(trace.source).toBe(text);
    expect(trace.steps.flatMap((s) => s.log)).toEqual(runScenario(text, { longLived: DEFAULT_LONG_LIVED }));
  });

  it("takes a recorded trace as it is, and refuses a missing or malformed FILE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refheap-viz-"));
    const c = capture();
    await main(["viz", "--out", dir, SCENARIO], c.io);
    const again = mkdtempSync(join(tmpdir(), "refheap-viz-"));
    expect(await main(["viz", "--out", again, join(dir, "trace.json")], capture().io)).toBe(0);
    expect(readFileSync(join(again, "trace.json"), "utf8")).toBe(
      readFileSync(join(dir, "trace.json"), "utf8"),
    );

    const missing = capture();
    expect(await main(["viz", "--out", again, join(dir, "nope.txt")], missing.io)).toBe(2);
    expect(missing.err()).toMatch(/error: no such file: .*nope\.txt/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"format":"something else"}');
    const refused = capture();
    expect(await main(["viz", "--out", again, bad], refused.io)).toBe(2);
    expect(refused.err()).toMatch(/not a refheap trace: "format" must be "refheap-trace"/);
    const scenario = join(dir, "bad.txt");
    writeFileSync(scenario, "frobnicate x\n");
    const parse = capture();
    expect(await main(["viz", "--out", again, scenario], parse.io)).toBe(2);
    expect(parse.err()).toMatch(/error: .*frobnicate/);
  });
});

describe("refheap viz (serving)", () => {
  it("serves the page and the trace on localhost, and nothing else", async () => {
    const child = spawn(process.execPath, [BIN, "viz", "--port", "0", SCENARIO], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (s: string) => {
          out += s;
          const m = out.match(/refheap playground: (http:\/\/127\.0\.0\.1:\d+\/\S*)/);
          if (m !== null) resolve(m[1]!);
        });
        child.on("close", (code) =>
          reject(new Error(`refheap viz exited (${code}) before printing its address`)),
        );
      });
      expect(url).toMatch(/\?trace=trace\.json$/);
      const base = new URL("/", url);
      const page = await fetch(base);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(await page.text()).toContain('<script type="module" src="main.js">');
      const trace = parseTrace(await (await fetch(new URL("trace.json", base))).text());
      expect(trace.title).toBe("hand-007-two-instance-cycle.txt");
      expect((await fetch(new URL("main.js", base))).headers.get("content-type")).toMatch(/javascript/);
      expect((await fetch(new URL("%2e%2e/package.json", base))).status).toBe(404);
      expect((await fetch(new URL("nothing.js", base))).status).toBe(404);
      // a malformed escape is refused, and the server goes on serving
      expect((await fetch(new URL("%E0%A4%A", base))).status).toBe(404);
      expect((await fetch(base)).status).toBe(200);
    } finally {
      child.kill();
    }
  });
});
