/**
 * The golden corpus: oracle/corpus/NAME.txt scenarios, each with NAME.log, the event log CPython
 * 3.11 printed for it. Replaying needs no python (the log's `baseline N` line gives refheap the
 * starting state); recording runs the python runner.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPython } from "./python.js";

/** oracle/corpus, found from this file in src/oracle/ or dist/oracle/. */
export const CORPUS_DIR = fileURLToPath(new URL("../../oracle/corpus", import.meta.url));

export interface CorpusEntry {
  readonly name: string;
  readonly scenarioPath: string;
  readonly logPath: string;
}

/** The corpus's scenarios, sorted by name. */
export function corpusEntries(dir: string = CORPUS_DIR): CorpusEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      return { name, scenarioPath: join(dir, f), logPath: join(dir, `${name}.log`) };
    });
}

/** The recorded log of an entry, as lines. */
export function recordedLog(entry: CorpusEntry): string[] {
  return readFileSync(entry.logPath, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** Re-records every log with python3, `concurrency` interpreters at a time; returns how many changed. */
export async function recordCorpus(
  dir: string = CORPUS_DIR,
  concurrency = 2,
  onProgress?: (done: number, total: number) => void,
): Promise<{ recorded: number; changed: string[] }> {
  const entries = corpusEntries(dir);
  const changed: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const e = entries[next++]!;
      const log = `${(await runPython(readFileSync(e.scenarioPath, "utf8"))).join("\n")}\n`;
      const old = existsSync(e.logPath) ? readFileSync(e.logPath, "utf8") : null;
      if (old !== log) {
        writeFileSync(e.logPath, log);
        changed.push(e.name);
      }
      onProgress?.(++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { recorded: entries.length, changed: changed.sort() };
}
