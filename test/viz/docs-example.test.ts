/**
 * docs/playground.md's "Recording your own program" runs as written (its imports pointed at the
 * sources), and the trace it writes is one the page reads: the collection of the cycle it makes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { parseTrace } from "../../src/viz/index.js";

it("the recorder example of docs/playground.md writes a trace of its collection", () => {
  const doc = readFileSync(new URL("../../docs/playground.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Recording your own program"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const dir = mkdtempSync(join(tmpdir(), "refheap-doc-"));
  const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));
  const program = code
    .replace('from "refheap/viz"', `from ${JSON.stringify(src("viz/index.ts"))}`)
    .replace('from "refheap"', `from ${JSON.stringify(src("index.ts"))}`)
    .replace('writeFileSync("trace.json"', `writeFileSync(${JSON.stringify(join(dir, "trace.json"))}`);
  writeFileSync(join(dir, "example.ts"), program);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, "example.ts")], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const trace = parseTrace(readFileSync(join(dir, "trace.json"), "utf8"));
  expect(trace.title).toBe("my program");
  const two = trace.steps.find((s) => s.label === "two nodes")!;
  expect(two.heap.roots.map((x) => x.name)).toEqual(["head"]);
  expect((two.heap.objects ?? []).filter((o) => o.type === "Node")).toHaveLength(2);
  expect(trace.steps.find((s) => s.label === "gc 2: end")!.collection!.result).toEqual({
    collected: 2,
    uncollectable: 0,
  });
});
