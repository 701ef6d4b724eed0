/**
 * docs/conformance.md stays true: it lists every test of CPython 3.11's test_gc.py,
 * test_finalization.py and test_weakref.py exactly once (checked against python3's unittest
 * loader when python3 is there), every equivalent it names exists (a test title in its file, or a
 * corpus scenario with its recorded log; `npm test` runs them all), and its summary counts are the
 * table's.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pythonProblem } from "../../src/oracle/index.js";

const root = new URL("../../", import.meta.url);
const doc = readFileSync(new URL("docs/conformance.md", root), "utf8");

const STATUSES = ["passes", "not applicable", "not yet"] as const;
type Status = (typeof STATUSES)[number];
interface Row {
  readonly id: string;
  readonly status: Status;
  readonly text: string;
}

const ROW = /^\| `(test_\w+\.[\w.]+)` \| (passes|not applicable|not yet) \| (.+) \|$/;
const rows: Row[] = doc
  .split("\n")
  .map((line) => ROW.exec(line))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ id: m[1]!, status: m[2] as Status, text: m[3]! }));

/** The CPython tests per module, as python3 -m unittest would run them (3.11.7). */
const EXPECTED_COUNTS: Readonly<Record<string, number>> = {
  test_gc: 48,
  test_finalization: 18,
  test_weakref: 133,
};

function cpythonTestIds(): string[] {
  const code = [
    "import sys, unittest, test.test_gc, test.test_finalization, test.test_weakref as w",
    "def ids(s):",
    "    for t in s:",
    "        yield from (ids(t) if isinstance(t, unittest.TestSuite) else [t.id()])",
    "for m in (test.test_gc, test.test_finalization, w):",
    "    for i in ids(unittest.defaultTestLoader.loadTestsFromModule(m)): print(i[len('test.'):])",
  ].join("\n");
  return execFileSync("python3", ["-c", code], { encoding: "utf8" }).trim().split("\n");
}

type Equivalent = { kind: "test"; path: string; title: string } | { kind: "scenario"; path: string };

/**
 * The equivalents a `passes` row names, in order: `test/FILE.test.ts: "TITLE"` or
 * `oracle/corpus/NAME`, separated by "; ", optionally followed by " — " and a note. A title runs to
 * the first `"` that ends the text or comes before one of those separators. Null if unreadable.
 */
function equivalents(text: string): Equivalent[] | null {
  const out: Equivalent[] = [];
  let pos = 0;
  for (;;) {
    const rest = text.slice(pos);
    const t = /^(test\/[\w./-]+\.test\.ts): "/.exec(rest);
    const c = /^oracle\/corpus\/[\w-]+/.exec(rest);
    if (t !== null) {
      const start = pos + t[0].length;
      let end = -1;
      for (let j = start; j < text.length; j++) {
        if (text[j] !== '"') continue;
        const after = text.slice(j + 1);
        if (after === "" || after.startsWith("; ") || after.startsWith(" — ")) {
          end = j;
          break;
        }
      }
      if (end < 0) return null;
      out.push({ kind: "test", path: t[1]!, title: text.slice(start, end) });
      pos = end + 1;
    } else if (c !== null) {
      out.push({ kind: "scenario", path: c[0] });
      pos += c[0].length;
    } else {
      return null;
    }
    if (text.startsWith("; ", pos)) pos += 2;
    else return pos === text.length || text.startsWith(" — ", pos) ? out : null;
  }
}

describe("docs/conformance.md", () => {
  it("lists each of the 199 CPython tests once, 48 + 18 + 133 by module", () => {
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const perModule: Record<string, number> = {};
    for (const r of rows) {
      const m = r.id.split(".")[0]!;
      perModule[m] = (perModule[m] ?? 0) + 1;
    }
    expect(perModule).toEqual(EXPECTED_COUNTS);
  });

  it.skipIf(pythonProblem() !== null)("lists exactly the tests python3's unittest loader finds", () => {
    expect(rows.map((r) => r.id).sort()).toEqual(cpythonTestIds().sort());
  });

  it("names equivalents that exist: a test title in its file, or a corpus scenario with its log", () => {
    const missing: string[] = [];
    for (const r of rows.filter((x) => x.status === "passes")) {
      const names = equivalents(r.text);
      if (names === null || names.length === 0) {
        missing.push(`${r.id}: cannot read "${r.text}"`);
        continue;
      }
      for (const n of names) {
        if (n.kind === "test") {
          const file = new URL(n.path, root);
          const src = existsSync(file) ? readFileSync(file, "utf8") : "";
          if (![`"${n.title}"`, `'${n.title}'`, `\`${n.title}\``].some((q) => src.includes(q)))
            missing.push(`${r.id}: ${n.path}: "${n.title}"`);
        } else if (
          !existsSync(new URL(`${n.path}.txt`, root)) ||
          !existsSync(new URL(`${n.path}.log`, root))
        ) {
          missing.push(`${r.id}: ${n.path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("gives a reason for every test without an equivalent, and its summary counts are the table's", () => {
    for (const r of rows.filter((x) => x.status !== "passes"))
      expect(r.text.trim().length, r.id).toBeGreaterThan(3);
    const count = (s: Status) => rows.filter((r) => r.status === s).length;
    const summary = /\*\*(\d+)\*\* pass, \*\*(\d+)\*\* not applicable, \*\*(\d+)\*\* not yet/.exec(doc);
    expect(summary, "the summary line").not.toBeNull();
    expect(summary!.slice(1, 4).map(Number)).toEqual([
      count("passes"),
      count("not applicable"),
      count("not yet"),
    ]);
  });
});
