/**
 * The layering of README.md ("Layout of the code"), enforced. Each layer imports only from the layers listed for it;
 * nothing may form an import cycle. `npm run check` runs this over src/.
 */
const layer = (name, allowed) => ({
  name: `layer-${name}`,
  comment: `src/${name}/ may import only from: ${allowed.length ? allowed.join(", ") : "nothing in src"}`,
  severity: "error",
  from: { path: `^src/${name}/` },
  to: {
    path: "^src/",
    pathNot: [`^src/${name}/`, ...allowed.map((l) => `^src/${l}/`)],
  },
});

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    layer("util", []),
    layer("trace", ["util"]),
    layer("memory", ["util", "trace"]),
    layer("object", ["util", "trace", "memory"]),
    layer("refcount", ["util", "trace", "memory", "object"]),
    layer("weakref", ["util", "trace", "memory", "object", "refcount"]),
    layer("finalize", ["util", "trace", "memory", "object", "refcount"]),
    layer("gc", ["util", "trace", "memory", "object", "refcount", "weakref", "finalize"]),
    layer("api", ["util", "trace", "memory", "object", "refcount", "weakref", "finalize", "gc"]),
    {
      name: "oracle-uses-package-entries",
      comment: "src/oracle/ imports only the package entries (src/index.ts, src/core.ts), as a user would",
      severity: "error",
      from: { path: "^src/oracle/" },
      to: { path: "^src/", pathNot: ["^src/oracle/", "^src/index\\.ts$", "^src/core\\.ts$"] },
    },
    {
      name: "bench-uses-package-entries",
      comment: "src/bench/ imports only the package entries, so it measures what users get",
      severity: "error",
      from: { path: "^src/bench/" },
      to: { path: "^src/", pathNot: ["^src/bench/", "^src/index\\.ts$", "^src/core\\.ts$"] },
    },
    {
      name: "cli-uses-package-entries",
      comment:
        "src/cli/ imports only the package entries (src/index.ts, src/core.ts), the oracle and the bench",
      severity: "error",
      from: { path: "^src/cli/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/cli/",
          "^src/index\\.ts$",
          "^src/core\\.ts$",
          "^src/oracle/index\\.ts$",
          "^src/bench/index\\.ts$",
          "^src/viz/index\\.ts$",
        ],
      },
    },
    {
      name: "viz-uses-package-entries",
      comment:
        "src/viz/ (the playground's model, bundled for browsers) imports only the package entries and the oracle's browser entry",
      severity: "error",
      from: { path: "^src/viz/" },
      to: {
        path: "^src/",
        pathNot: ["^src/viz/", "^src/index\\.ts$", "^src/core\\.ts$", "^src/oracle/browser\\.ts$"],
      },
    },
    {
      name: "folders-export-through-index",
      comment: "across folders, import a folder's index.ts, not its files",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: {
        path: "^src/([^/]+)/.+",
        pathNot: ["^src/$1/", "^src/[^/]+/index\\.ts$", "^src/oracle/browser\\.ts$"],
      },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
