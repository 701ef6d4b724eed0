/**
 * The fuzzer's handling of a python runner that fails on a scenario: a crash is a divergence to
 * shrink and save (with the runner's message), not the end of the run. The failing "python" here
 * is a stand-in script named by REFHEAP_PYTHON.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fuzz } from "../../src/oracle/index.js";

describe("fuzz", () => {
  const dirs: string[] = [];
  const saved = process.env.REFHEAP_PYTHON;
  afterEach(() => {
    if (saved === undefined) delete process.env.REFHEAP_PYTHON;
    else process.env.REFHEAP_PYTHON = saved;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("saves a scenario the python runner crashes on as a divergence, and goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refheap-fuzz-"));
    dirs.push(dir);
    const fake = join(dir, "python");
    writeFileSync(fake, "#!/bin/sh\necho 'Traceback: boom' >&2\nexit 1\n");
    chmodSync(fake, 0o755);
    process.env.REFHEAP_PYTHON = fake;
    const out = join(dir, "out");
    const report = await fuzz({ count: 2, seed: 3, outDir: out, concurrency: 1, shrinkMs: 200 });
    expect(report.scenarios).toBe(2);
    expect(report.divergences).toBe(2);
    expect(readdirSync(out)).toHaveLength(2);
    const text = readFileSync(report.saved[0]!, "utf8");
    expect(text).toMatch(
      /^# divergent scenario 0 of fuzz seed 3, shrunk\n# the python runner exited with 1: Traceback: boom\n/,
    );
  });
});
