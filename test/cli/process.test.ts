/**
 * bin/refheap.js as a process (it runs dist/, which `npm test` builds first): `--version`, and a
 * reader that closes the pipe early. Node ignores SIGPIPE, so a write to a closed pipe fails with
 * EPIPE; `refheap stats | head -1` died with an uncaught EPIPE error and its stack trace. Now every
 * command ends quietly with exit code 0, as a Unix tool does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { CORPUS_DIR } from "../../src/oracle/index.js";
import { capture } from "./cli-helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/refheap.js", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
const SCENARIO = `${CORPUS_DIR}/hand-007-two-instance-cycle.txt`;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `refheap ...args`; `closeStdout` decides when the parent closes its (the only) reading end of
 * the child's stdout pipe, after which the child's next write fails with EPIPE.
 */
function runBin(args: readonly string[], closeStdout?: (child: ChildProcess) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    closeStdout?.(child);
  });
}

describe("refheap --version", () => {
  it("prints package.json's version (in-process)", async () => {
    const c = capture();
    expect(await main(["--version"], c.io)).toBe(0);
    expect(c.out()).toBe(`${VERSION}\n`);
    const d = capture();
    expect(await main(["-V"], d.io)).toBe(0);
    expect(d.out()).toBe(`${VERSION}\n`);
  });

  it("prints package.json's version from bin/refheap.js (dist/cli reads ../../package.json)", async () => {
    const r = await runBin(["--version"]);
    expect(r).toEqual({ code: 0, signal: null, stdout: `${VERSION}\n`, stderr: "" });
  });
});

describe("a closed stdout pipe ends the command quietly with exit code 0", () => {
  // The parent closes the pipe before the child has written anything: its first write fails.
  for (const args of [
    ["stats"],
    ["demo", "refcount"],
    ["oracle", "run", SCENARIO],
    ["--help"],
    ["--version"],
  ]) {
    it(`refheap ${args.join(" ").replace(ROOT, "")}, the pipe closed before its first write`, async () => {
      const r = await runBin(args, (child) => child.stdout?.destroy());
      expect(r.stderr).toBe("");
      expect(r).toMatchObject({ code: 0, signal: null });
    });
  }

  it("refheap demo, the pipe closed after its first output (head -1)", async () => {
    // The refcount demo's lines come first, then the dealloc benchmark computes for a while before
    // it writes again, into the closed pipe.
    const r = await runBin(["demo"], (child) => {
      child.stdout?.once("data", () => child.stdout?.destroy());
    });
    expect(r.stdout).toMatch(/^refcount: /);
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ code: 0, signal: null });
  });
});
