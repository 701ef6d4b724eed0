/**
 * Running the python runner (oracle/runner.py, shipped with the package) on `python3`: one fresh,
 * isolated interpreter (`-I -S`) per scenario, because freelists, generation 2 and the gc
 * statistics must start from the same state every time.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** oracle/runner.py, found from this file in src/oracle/ or dist/oracle/. */
export const RUNNER_PATH = fileURLToPath(new URL("../../oracle/runner.py", import.meta.url));

/** The python the oracle uses: $REFHEAP_PYTHON, or python3. */
export function pythonCommand(): string {
  return process.env.REFHEAP_PYTHON ?? "python3";
}

/** Why the python runner cannot be used here, or null when it can (python 3.11 and the runner exist). */
export function pythonProblem(): string | null {
  if (!existsSync(RUNNER_PATH)) return `the python runner is missing (${RUNNER_PATH})`;
  const r = spawnSync(
    pythonCommand(),
    ["-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
    {
      encoding: "utf8",
    },
  );
  if (r.error !== undefined || r.status !== 0) return `${pythonCommand()} cannot be run`;
  const version = r.stdout.trim();
  if (version !== "3.11") {
    return `${pythonCommand()} is Python ${version}; the oracle compares with CPython 3.11 (set REFHEAP_PYTHON)`;
  }
  return null;
}

/** Thrown when the python runner rejects a scenario or fails. */
export class PythonRunnerError extends Error {
  override readonly name = "PythonRunnerError";
}

/** Runs one scenario on CPython and resolves to its event log; a run longer than `timeoutMs` is killed. */
export function runPython(text: string, timeoutMs = 60_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(pythonCommand(), ["-I", "-S", RUNNER_PATH, "-"], {
      stdio: ["pipe", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    child.on("error", reject);
    // A runner that exits before reading the whole scenario closes its stdin (EPIPE): its exit
    // code, reported below, says what happened.
    child.stdin.on("error", () => {});
    child.on("close", (code) => {
      if (code !== 0) {
        const why = code === null ? `was killed (more than ${timeoutMs / 1000} s?)` : `exited with ${code}`;
        reject(new PythonRunnerError(`the python runner ${why}: ${err.trim()}`));
        return;
      }
      resolve(out.split("\n").filter((l) => l !== ""));
    });
    child.stdin.end(text);
  });
}
