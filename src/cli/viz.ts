/**
 * `refheap viz [FILE]`: the playground (docs/playground.md). Serves the built page on localhost
 * and prints its address, or with `--out DIR` writes the static site. FILE, if given, is a trace
 * (the JSON a Recorder writes) or a scenario, recorded here first; the page opens with it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { parseTrace, recordScenario, type VizTrace } from "../viz/index.js";
import type { Io } from "./io.js";
import { nonNegativeInt } from "./util.js";

/** The built page: two folders up from src/cli/ and from dist/cli/ is the package's root. */
export function playgroundDir(): string {
  return fileURLToPath(new URL("../../dist/playground/", import.meta.url));
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** FILE as a trace: read as one when it is JSON, else recorded as a scenario. Throws a message. */
export function traceOfFile(file: string): VizTrace {
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const text = readFileSync(file, "utf8");
  if (text.trimStart().startsWith("{")) return parseTrace(text);
  return recordScenario(text, { title: basename(file) });
}

function pageFiles(): string[] {
  const dir = playgroundDir();
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`the playground is not built (no ${join(dir, "index.html")}): run npm run build`);
  }
  return readdirSync(dir).filter((f) => TYPES[extname(f)] !== undefined);
}

export interface VizServer {
  /** The page's address (with ?trace=trace.json when a trace is served). */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves the page (and `trace`, as /trace.json) on host:port (port 0: any free one). */
export async function serveViz(trace: VizTrace | null, host: string, port: number): Promise<VizServer> {
  const dir = playgroundDir();
  const files = new Set(pageFiles());
  const traceJson = trace === null ? null : JSON.stringify(trace);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    let name: string;
    try {
      name = path === "/" ? "index.html" : decodeURIComponent(path.slice(1));
    } catch {
      // A malformed escape (`/%E0%A4`): refused, not thrown out of the server.
      name = "";
    }
    if (name === "trace.json" && traceJson !== null) {
      res.writeHead(200, { "content-type": TYPES[".json"]!, "cache-control": "no-store" });
      res.end(traceJson);
      return;
    }
    // Only the page's own files: a name is looked up, never joined from the request's path.
    if (!files.has(name)) {
      res.writeHead(404, { "content-type": TYPES[".txt"]! });
      res.end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(name)] ?? TYPES[".txt"]! });
    res.end(readFileSync(join(dir, name)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}/${traceJson === null ? "" : "?trace=trace.json"}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Writes the static site to `out` (and `trace` as trace.json); returns the files written. */
export function writeViz(trace: VizTrace | null, out: string): string[] {
  const dir = playgroundDir();
  const files = pageFiles();
  mkdirSync(out, { recursive: true });
  for (const f of files) copyFileSync(join(dir, f), join(out, f));
  if (trace !== null) {
    writeFileSync(join(out, "trace.json"), JSON.stringify(trace));
    files.push("trace.json");
  }
  return files;
}

interface VizCliOptions {
  out?: string;
  port: number;
  host: string;
}

export function addVizCommand(program: Command, io: Io): void {
  const viz = program
    .command("viz")
    .description(
      "the playground: serve it on localhost (or write it with --out); FILE, a scenario or a trace, opens in it",
    )
    .argument("[file]", "a scenario (docs/oracle.md) or a trace recorded by a Recorder (docs/playground.md)")
    .option("--out <dir>", "write the static site to DIR instead of serving it")
    .option("--port <n>", "the port to serve on (0: any free one)", nonNegativeInt, 8765)
    .option("--host <host>", "the address to serve on", "127.0.0.1")
    .action(async (file: string | undefined, options: VizCliOptions) => {
      let trace: VizTrace | null = null;
      try {
        if (file !== undefined) trace = traceOfFile(file);
        if (options.out !== undefined) {
          const written = writeViz(trace, options.out);
          io.stdout.write(
            `wrote ${written.length} files to ${options.out}; serve that folder with any static file server and open ` +
              `index.html${trace === null ? "" : "?trace=trace.json"}\n`,
          );
          return;
        }
        const s = await serveViz(trace, options.host, options.port);
        io.stdout.write(`refheap playground: ${s.url}\n(Ctrl+C stops it)\n`);
      } catch (e) {
        viz.error(`error: ${e instanceof Error ? e.message : String(e)}`, {
          exitCode: 2,
          code: "refheap.viz",
        });
      }
    });
}
