/**
 * Builds the playground (playground/) into dist/playground/: the page's script and the recording
 * worker bundled by esbuild (the library, the oracle's runner, CodeMirror and Cytoscape.js
 * inside), with index.html and style.css copied. `npm run build` runs it after tsc;
 * `refheap viz` serves the result.
 */
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "playground");
const out = join(root, "dist", "playground");
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  platform: "browser",
  target: "es2022",
  legalComments: "linked",
  logLevel: "warning",
} as const;
await build({ ...common, entryPoints: [join(src, "main.ts")], outfile: join(out, "main.js"), format: "esm" });
await build({
  ...common,
  entryPoints: [join(src, "worker.ts")],
  outfile: join(out, "worker.js"),
  format: "iife",
});
for (const f of ["index.html", "style.css"]) copyFileSync(join(src, f), join(out, f));

if (process.argv.includes("--sizes")) {
  for (const f of ["index.html", "style.css", "main.js", "worker.js"]) {
    console.log(`${f}: ${(statSync(join(out, f)).size / 1024).toFixed(1)} KiB`);
  }
}
