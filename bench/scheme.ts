/**
 * The Scheme interpreter of examples/scheme/ on refheap (every runtime object a user kind, cycles
 * left to the collector) against the same interpreter over plain JS objects (V8's GC), on an
 * allocation-heavy program: trees built and dropped, and closures made in a loop, some of them in
 * cycles through their own environment. Each backend runs in node processes of its own with
 * `--no-concurrent-recompilation`, alternating; times are process CPU time.
 * Run with: npm run build && npx tsx bench/scheme.ts — or as workload W6 of `refheap bench`, run
 * from a checkout of the repository (src/bench/run-w6.ts starts this file's `--child` mode).
 */
import { execFileSync } from "node:child_process";
import { Engine } from "refheap/core";
import { jsScheme, refheapScheme } from "../examples/scheme/interp.js";

const PROGRAM = `
(define (tree d) (if (= d 0) '() (cons (tree (- d 1)) (tree (- d 1)))))
(define (count t) (if (null? t) 1 (+ (count (car t)) (count (cdr t)))))
(define (make-counter) (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
(define (self-ref) (define (me) me) me)
(define (loop i acc)
  (if (= i 0) acc
      (begin
        (count (tree 8))
        ((make-counter))
        (self-ref)
        (loop (- i 1) (+ acc 1)))))
`;
const ROUND = "(loop 200 0)";
const ROUNDS = Number(process.argv[5] ?? 12); // `--child BACKEND --rounds N` (W6 passes it)
const PROCESSES = 5;

interface ChildResult {
  backend: string;
  msPerRound: number[];
}

function child(backend: "refheap" | "js"): void {
  // An unchecked engine, as the bench's engine rows use, with automatic collection on.
  const scheme =
    backend === "refheap"
      ? refheapScheme({ engine: new Engine({ checked: false }), autoGc: true })
      : jsScheme();
  scheme.run(PROGRAM);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS + 3; r++) {
    const t0 = process.cpuUsage();
    const out = scheme.run(ROUND);
    const t = process.cpuUsage(t0);
    if (out.at(-1) !== "200") throw new Error(`${backend}: the round printed ${out.at(-1)}`);
    if (r >= 3) times.push((t.user + t.system) / 1000); // three untimed warm-up rounds
  }
  scheme.close();
  const result: ChildResult = { backend, msPerRound: times };
  console.log(JSON.stringify(result));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function main(): void {
  const samples: Record<string, number[]> = { refheap: [], js: [] };
  for (let p = 0; p < PROCESSES; p++) {
    for (const backend of p % 2 === 0 ? ["refheap", "js"] : ["js", "refheap"]) {
      const out = execFileSync(
        process.execPath,
        [
          "--no-concurrent-recompilation",
          "--import",
          "tsx",
          new URL(import.meta.url).pathname,
          "--child",
          backend,
        ],
        { encoding: "utf8" },
      );
      const r = JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult;
      samples[r.backend]!.push(median(r.msPerRound));
    }
  }
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(44)} ${median(xs).toFixed(1).padStart(7)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  console.log(
    `round: ${ROUND} (200 × a depth-8 tree counted, a counter closure, a self-referencing closure)`,
  );
  console.log(
    `${PROCESSES} processes per backend × ${ROUNDS} timed rounds; medians of the per-process medians, CPU time`,
  );
  console.log(row("refheap (user kinds, automatic collection)", samples.refheap!));
  console.log(row("plain JS objects (V8's GC)", samples.js!));
  console.log(`refheap ÷ plain JS: ${(median(samples.refheap!) / median(samples.js!)).toFixed(2)}×`);
}

if (process.argv[2] === "--child") child(process.argv[3] === "js" ? "js" : "refheap");
else main();
