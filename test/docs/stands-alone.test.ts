/**
 * The documentation stands alone: a reader of the repository or of the installed package can
 * follow every reference. Nothing cites the team's research notes (a notebook outside the
 * package) or a path outside the repository; docs/api.md names every public member of Heap; and
 * no entry re-exports only the type side of an `as const` object, which made TypeDoc list the name
 * twice (two type aliases, GcPhase and GcPhase-1) while leaving users without the value.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { Heap } from "../../src/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url))
  .split(sep)
  .join("/");
/** Generated or installed, not written: skipped by the walk. */
const SKIPPED = new Set(["node_modules", ".git", "dist", "docs/api-reference", "coverage"]);

/** Every file of the repository that people write, as paths relative to ROOT with "/". */
function sourceFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path).split(sep).join("/");
    if (SKIPPED.has(rel)) continue;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/**
 * References a reader cannot follow: the notebook by name, its numbered sections (§8 #N was its
 * catalogue of behaviours), the team's folder, and the design notes kept there.
 */
const UNFOLLOWABLE: readonly RegExp[] = [
  /cpython-memory\.md/,
  /§8 #\d/,
  /section-8 items/,
  /\.\.\/shared\//,
  /\/work\//,
  /\b(DESIGN|PEERS|STYLE)\.md\b/,
];

describe("the documentation stands alone", () => {
  it("no file cites the team's notebook, its sections, or a path outside the repository", () => {
    const found: string[] = [];
    for (const file of sourceFiles()) {
      if (file === THIS_FILE) continue;
      const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (UNFOLLOWABLE.some((re) => re.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("docs/api.md names every public member of Heap (heap.str, heap.wrap, heap.verify, heap.stats, …)", () => {
    const api = readFileSync(join(ROOT, "docs", "api.md"), "utf8");
    const heap = new Heap();
    const members = [
      ...Object.getOwnPropertyNames(Heap.prototype).filter((n) => n !== "constructor"),
      ...Object.keys(heap),
    ];
    heap.close();
    expect(members).toEqual(expect.arrayContaining(["str", "wrap", "verify", "stats", "gc", "weakref"]));
    const missing = members.filter((m) => !new RegExp(`\\bheap\\.${m}\\b`).test(api));
    expect(missing).toEqual([]);
  });

  it("no entry re-exports only the type side of an as-const object (TypeDoc listed GcPhase twice)", () => {
    const entries = ["src/index.ts", "src/core.ts"].map((e) => join(ROOT, e));
    const program = ts.createProgram(entries, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const typeOnlyValues: string[] = [];
    for (const entry of entries) {
      const source = program.getSourceFile(entry);
      const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
      expect(module, entry).toBeDefined();
      for (const exported of checker.getExportsOfModule(module!)) {
        const specifier = exported.declarations?.find(ts.isExportSpecifier);
        if (specifier === undefined) continue;
        const typeOnly = specifier.isTypeOnly || specifier.parent.parent.isTypeOnly;
        const target = checker.getAliasedSymbol(exported);
        // A const and a type alias of one name (the `as const` pattern); a class exported as a type
        // only (GcFacade, Scope: users get them from the heap) is one symbol and documented once.
        const isConst = (target.flags & ts.SymbolFlags.Variable) !== 0;
        const isAlias = (target.flags & ts.SymbolFlags.TypeAlias) !== 0;
        if (typeOnly && isConst && isAlias) typeOnlyValues.push(`${relative(ROOT, entry)}: ${exported.name}`);
      }
    }
    expect(typeOnlyValues).toEqual([]);
  });
});
