/**
 * The published package, as a user gets it: `npm pack` (whose `prepack` runs the build), then
 * `npm install <tarball>` into an empty ESM project, where the two entries ("refheap",
 * "refheap/core") must load and work, typecheck through their `types` conditions under
 * moduleResolution nodenext, and the `refheap` bin must run. The tarball's file list is checked
 * for what must and must not ship. Installing must run no script of the package: a `prepare`
 * script ran on consumers' installs (npm warned about it, and inside the installed copy it
 * deleted dist/ and failed with `tsc: not found`). The README's API tour is compiled there with
 * the compiler options the README gives, under the project's TypeScript and the newest one
 * (installed by the test), and run: `"module": "nodenext"` alone leaves `using` as is, which
 * Node 20 cannot parse.
 *
 * The pack runs in a copy of the repository without dist/ (node_modules linked), so the build
 * starts clean, and the repository's own dist/ is not rewritten while other test files (the
 * examples import "refheap", which resolves to it) run in parallel.
 *
 * The install resolves the dependencies from the npm cache when it can (--prefer-offline): after
 * `npm ci` the cache holds their tarballs, but not always their registry metadata, which a
 * fresh project needs to resolve version ranges, so a plain --offline can fail on a clean CI
 * cache (ENOTCACHED); the registry is asked only for what the cache lacks.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
/** Top-level entries not copied for the pack: dist/ is what the pack must rebuild. */
const NOT_COPIED = new Set(["node_modules", ".git", "dist"]);

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/** Runs a command to completion; throws with its output when it fails. */
function runBoth(cmd: string, args: readonly string[], cwd: string): { stdout: string; stderr: string } {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 170_000 });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${cwd}) failed: ${r.error?.message ?? `exit code ${r.status}`}\n` +
        `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command to completion and returns its stdout; throws with its output when it fails. */
function run(cmd: string, args: readonly string[], cwd: string): string {
  return runBoth(cmd, args, cwd).stdout;
}

/** The targets of a markdown file's inline links `[text](target)`, images included. */
function markdownLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^()\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** An ESM program using both entries the way the README does. Prints "ok" when every check passes. */
const USE_ENTRIES_MJS = `
import assert from "node:assert/strict";
import { Heap, ListHandle } from "refheap";
import { decref, Engine, getrefcount, incref, listAppend, listSize, newList, verify } from "refheap/core";

const heap = new Heap();
const Node = heap.defineClass("Node", { fields: { next: "self", value: "number" } });
const a = Node.new({ value: 1, next: Node.new({ value: 2 }) }); // the inner node is a's now
const b = a.next; // a read: borrowed, nothing to release
assert.equal(heap.sys.getRefCount(b), 2); // a.next, and the call's argument
assert.equal(getrefcount(heap.engine, b.address), 1); // the engine's true count: a.next only
assert.equal(b.ownership, "borrowed");
assert.equal(a.next.value, 2);
assert.ok(heap.list([1, 2]) instanceof ListHandle);

const e = new Engine();
const l = newList(e);
listAppend(e, l, 1.5, false);
assert.equal(listSize(e, l), 1);
incref(e, l);
assert.equal(getrefcount(e, l), 2);
decref(e, l);
decref(e, l);
assert.deepEqual(verify(e).problems, []);

// refheap/viz: a program's heap recorded as a playground trace.
const { Recorder, parseTrace } = await import("refheap/viz");
const rec = new Recorder();
const traced = new Heap({ trace: rec.sink });
rec.attach(traced.engine);
const x = traced.list([]).own();
x.append(x);
x.dispose();
traced.gc.collect();
const trace = parseTrace(JSON.stringify(rec.trace("pack")));
assert.equal(trace.steps.find((s) => s.label === "gc 2: end").collection.result.collected, 1);
traced.close();

// Only the entries in "exports" resolve.
await assert.rejects(import("refheap/dist/api/heap.js"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
console.log("ok");
`;

/** A TypeScript user of both entries; typechecks only if the entries' declarations resolve. */
const USE_ENTRIES_TS = `
import { Heap, type ListHandle, type Value } from "refheap";
import { decref, Engine, getrefcount, newList } from "refheap/core";

const heap = new Heap();
const list: ListHandle = heap.list([1, 2]);
export const first: Value = list.get(0);
export const count: number = getrefcount(heap.engine, list.address);
const e: Engine = new Engine();
const l: number = newList(e);
decref(e, l);
// @ts-expect-error getrefcount is declared to return a number
export const wrong: string = getrefcount(e, l);
// @ts-expect-error only the entries in "exports" resolve
export { Heap as Deep } from "refheap/dist/api/heap.js";
`;

/** The README's compiler options (its "Quick start"), for a program that runs (outDir set by the test). */
const README_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "ESNext.Disposable"],
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    // The tour imports node:fs; the repository's @types/node stands in for the user's.
    typeRoots: [join(ROOT, "node_modules", "@types")],
    types: ["node"],
  },
  files: ["tour.ts"],
};

/**
 * The newest TypeScript when this test was written, installed by the test into a directory of its
 * own: as a devDependency of the repository its `tsc` bin would replace the project's in
 * node_modules/.bin (both packages are named typescript).
 */
const NEWEST_TYPESCRIPT = "7.0.2";

/** The README's first ```ts block under "## API tour". */
function readmeTour(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const tour = readme.slice(readme.indexOf("## API tour"));
  const m = /```ts\n([\s\S]*?)```/.exec(tour);
  if (m === null) throw new Error("README.md: no ```ts block under ## API tour");
  return m[1]!;
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "ESNext.Disposable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    // Check the package's own .d.ts files too, with no @types packages around.
    skipLibCheck: false,
    types: [],
  },
  files: ["check.ts"],
};

describe("npm pack", () => {
  let tmp = "";
  let project = "";
  let pack: PackResult;
  /** What `npm install <tarball>` printed, stdout and stderr. */
  let installOutput = "";
  /** The newest TypeScript's tsc (NEWEST_TYPESCRIPT), installed in beforeAll. */
  let newestTsc = "";

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "refheap-pack-"));
    const repo = join(tmp, "repo");
    cpSync(ROOT, repo, {
      recursive: true,
      filter: (from) => !NOT_COPIED.has(relative(ROOT, from).split(sep)[0]!),
    });
    symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"), "dir");
    const out = run("npm", ["pack", "--pack-destination", tmp, "--json"], repo);
    // --json prints the result as a JSON array; anything a lifecycle script printed comes first.
    const results = JSON.parse(out.slice(out.indexOf("[\n"))) as PackResult[];
    expect(results).toHaveLength(1);
    pack = results[0]!;

    project = join(tmp, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
    const install = runBoth(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", join(tmp, pack.filename)],
      project,
    );
    installOutput = `${install.stdout}${install.stderr}`;

    const newest = join(tmp, "ts-newest");
    mkdirSync(newest);
    writeFileSync(join(newest, "package.json"), "{}\n");
    run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", `typescript@${NEWEST_TYPESCRIPT}`],
      newest,
    );
    newestTsc = join(newest, "node_modules", "typescript", "bin", "tsc");
  }, 240_000);

  afterAll(() => {
    if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
  });

  it("ships the build, the bin and the docs, and no sources or tests", () => {
    const paths = pack.files.map((f) => f.path);
    for (const p of [
      "package.json",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/core.js",
      "dist/core.d.ts",
      "bin/refheap.js",
      "LICENSE",
      "README.md",
      "CHANGELOG.md",
    ]) {
      expect(paths, `the tarball should contain ${p}`).toContain(p);
    }
    // Every file package.json points users at is in the tarball.
    const manifest = JSON.parse(
      readFileSync(join(project, "node_modules", "refheap", "package.json"), "utf8"),
    ) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const targets = [
      ...Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t))),
      ...Object.values(manifest.bin),
    ];
    for (const t of targets) expect(paths, `package.json refers to ${t}`).toContain(t.replace(/^\.\//, ""));

    const misplaced = paths.filter(
      (p) =>
        p.startsWith("src/") ||
        p.startsWith("test/") ||
        p.split("/").includes("node_modules") ||
        (/\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p)),
    );
    expect(misplaced).toEqual([]);
  });

  it("installs without running a script of the package, and the installed copy has its dist/", () => {
    const installed = join(project, "node_modules", "refheap");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    // The scripts npm runs when a package is installed (prepare too, for some install sources).
    const installScripts = ["preinstall", "install", "postinstall", "prepare"].filter(
      (s) => manifest.scripts?.[s] !== undefined,
    );
    expect(installScripts).toEqual([]);
    // npm 11 lists a dependency's install scripts ("refheap@0.1.0 (prepare: npm run build)").
    expect(installOutput).not.toMatch(/refheap@\S+ \(/);
    expect(installOutput).not.toMatch(/prepare/);
    for (const f of ["dist/index.js", "dist/core.js", "dist/cli/main.js"]) {
      expect(existsSync(join(installed, f)), `${f} is installed`).toBe(true);
    }
  });

  it("every relative link in a shipped markdown file (README, CHANGELOG, docs) reaches a shipped file", () => {
    const paths = new Set(pack.files.map((f) => f.path));
    const shippedMarkdown = [...paths].filter((p) => p.endsWith(".md"));
    expect(shippedMarkdown).toEqual(expect.arrayContaining(["README.md", "CHANGELOG.md", "docs/api.md"]));
    const broken: string[] = [];
    for (const md of shippedMarkdown) {
      const text = readFileSync(join(project, "node_modules", "refheap", md), "utf8");
      for (const target of markdownLinks(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue; // absolute, or this page
        const file = posix.normalize(posix.join(posix.dirname(md), target.split("#")[0]!));
        if (!paths.has(file)) broken.push(`${md}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("installs: both entries load and work from an ESM program", () => {
    writeFileSync(join(project, "use-entries.mjs"), USE_ENTRIES_MJS);
    expect(run(process.execPath, ["use-entries.mjs"], project)).toBe("ok\n");
  });

  it("installs: both entries typecheck through their types conditions (nodenext)", () => {
    writeFileSync(join(project, "check.ts"), USE_ENTRIES_TS);
    writeFileSync(join(project, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    expect(run(TSC, ["-p", "tsconfig.json"], project)).toBe("");
  });

  for (const [which, version] of [
    ["the project's TypeScript", "5.9"],
    ["the newest TypeScript", NEWEST_TYPESCRIPT],
  ] as const) {
    it(`installs: the README's tour compiles with its compiler options under ${which} (${version}), and runs`, () => {
      const tsc = version === NEWEST_TYPESCRIPT ? newestTsc : TSC;
      expect(run(tsc, ["--version"], project).startsWith(`Version ${version}`)).toBe(true);
      const dir = join(project, `tour-${version}`);
      mkdirSync(dir);
      // Inside the project, so that "refheap" resolves to the installed package.
      writeFileSync(join(dir, "tour.ts"), readmeTour());
      const config = {
        ...README_TSCONFIG,
        compilerOptions: { ...README_TSCONFIG.compilerOptions, outDir: "out" },
      };
      writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify(config, null, 2)}\n`);
      expect(run(tsc, ["-p", "tsconfig.json"], dir)).toBe("");
      expect(readFileSync(join(dir, "out", "tour.js"), "utf8")).not.toMatch(/^\s*using /m); // lowered
      // What the tour's comments say it prints, in that order; "__del__ n" when the module ends.
      expect(run(process.execPath, [join("out", "tour.js")], dir).split("\n")).toEqual([
        "__del__ a",
        "__del__ b",
        "__del__ x",
        "__del__ y",
        "finalized",
        "gone",
        "__del__ n",
        "",
      ]);
    });
  }

  it("installs: the refheap bin runs, and --version reads the installed package.json", () => {
    const bin = join(project, "node_modules", ".bin", "refheap");
    const out = run(bin, ["--help"], project);
    expect(out).toMatch(/^Usage: refheap /);
    expect(out).toContain("demo");
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run(bin, ["--version"], project)).toBe(`${version}\n`);
  });

  it("installs: refheap viz --out writes the playground from the package", () => {
    const out = join(project, "site");
    const bin = join(project, "node_modules", ".bin", "refheap");
    expect(run(bin, ["viz", "--out", out], project)).toMatch(/wrote \d+ files to/);
    for (const f of ["index.html", "main.js", "worker.js", "style.css"]) {
      expect(existsSync(join(out, f)), `${f} is written`).toBe(true);
    }
  });

  it("installs: refheap bench runs from the package (its child processes and CPython scripts ship)", () => {
    const bin = join(project, "node_modules", ".bin", "refheap");
    const out = JSON.parse(run(bin, ["bench", "--workloads", "w4", "--json"], project)) as {
      w4: { results: { shape: string; refheapUnchecked: number; v8: { median: number } }[]; notes: string[] };
    };
    expect(out.w4.results).toHaveLength(3);
    for (const r of out.w4.results) {
      expect(r.refheapUnchecked).toBeGreaterThan(0);
      expect(r.v8.median).toBeGreaterThan(0); // measured in dist/bench/child.js, a child process
    }
    // The CPython side is bench/python/w4.py inside the package: if python3 runs, so must the script.
    const python = spawnSync("python3", ["--version"]).status === 0;
    if (python) expect(out.w4.notes.some((n) => n.startsWith("CPython skipped"))).toBe(false);
  });

  it("installs: W6 (the Scheme example) says it was skipped, since the examples do not ship", () => {
    const bin = join(project, "node_modules", ".bin", "refheap");
    const out = JSON.parse(run(bin, ["bench", "--workloads", "w6", "--json"], project)) as {
      w6: { skipped: string; notes: string[] };
    };
    expect(out.w6.skipped).toMatch(/examples\/, which the package does not ship/);
    expect(out.w6.notes[0]).toMatch(/^skipped: .* from a checkout of the repository/);
  });
});
