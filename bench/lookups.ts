/**
 * Micro-measurements behind docs/performance.md's "String lookups and basic refs": the engine's
 * dict lookup by a JS string (dictGetSlotString, as a weak container's or a dict handle's get
 * with a string key makes it), and weakref.ref(o) without and with a callback, made and freed
 * with their referent, against CPython 3.11 doing the same (`python3`, if it is on the PATH).
 * CPU time (process.cpuUsage / time.process_time_ns), medians of 21 rounds after 5 warm-up rounds.
 * Each measurement runs in a process of its own (this script starts them), so that V8 optimises
 * the engine's shared functions with that measurement's type feedback only.
 *
 * Run with: npm run build && node --import tsx bench/lookups.ts
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  decref,
  dictGetSlotString,
  dictSetItem,
  Engine,
  gc,
  newDict,
  newInstance,
  newStr,
  weakref,
} from "refheap/core";

const ROUNDS = 21;
const WARMUP = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** ns per operation of `round`, which does `ops` operations; the median round. */
function time(label: string, ops: number, round: () => number): void {
  let sink = 0;
  for (let r = 0; r < WARMUP; r++) sink += round();
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    sink += round();
    const t = process.cpuUsage(t0);
    xs.push(((t.user + t.system) * 1000) / ops);
  }
  if (sink === -1) console.log("(never)");
  console.log(`${label.padEnd(58)} ${median(xs).toFixed(1).padStart(6)} ns`);
}

const MEASUREMENTS: (() => void)[] = [];
const only = process.argv.indexOf("--only");

// A dict of `n` str keys `k0`…, looked up by the same JS strings, 1,000,000 lookups per round.
for (const n of [100, 1000])
  MEASUREMENTS.push(() => {
    const e = new Engine({ checked: false });
    gc.disable(e);
    const keys = Array.from({ length: n }, (_, i) => `k${i}`);
    const d = newDict(e);
    for (let i = 0; i < n; i++) {
      const k = newStr(e, keys[i]!);
      dictSetItem(e, d, k, true, i, false);
      decref(e, k);
    }
    const reps = 1_000_000 / n;
    time(`engine dict lookup by JS string, ${n} keys (hit)`, 1_000_000, () => {
      let found = 0;
      for (let r = 0; r < reps; r++)
        for (let i = 0; i < n; i++) if (dictGetSlotString(e, d, keys[i]!) !== 0) found++;
      return found;
    });
  });

// o = Img(); r = weakref.ref(o[, cb]); del o; del r — 200,000 per round.
for (const withCb of [false, true])
  MEASUREMENTS.push(() => {
    const e = new Engine({ checked: false });
    gc.disable(e);
    const Img = e.defineClass({ name: "Img", fields: [{ name: "n", kind: "number" }], weakrefable: true });
    let calls = 0;
    const cb = (): void => {
      calls++;
    };
    const N = 200_000;
    const label = withCb
      ? "engine: make, weakref.ref(o, cb), drop both (cb runs)"
      : "engine: make, weakref.ref(o), drop both";
    const callback = withCb ? cb : null;
    time(label, N, () => {
      for (let i = 0; i < N; i++) {
        const o = newInstance(e, Img.id);
        const r = weakref.newRef(e, o, callback);
        decref(e, o);
        decref(e, r);
      }
      return calls;
    });
  });

if (only >= 0) {
  MEASUREMENTS[Number(process.argv[only + 1])]!();
  process.exit(0);
}
const self = fileURLToPath(import.meta.url);
for (let i = 0; i < MEASUREMENTS.length; i++) {
  const r = spawnSync(
    process.execPath,
    ["--no-concurrent-recompilation", "--import", "tsx", self, "--only", String(i)],
    {
      encoding: "utf8",
    },
  );
  process.stdout.write(r.status === 0 ? r.stdout : `(measurement ${i} failed: ${r.stderr.trim()})\n`);
}

const PY = `
import gc, time, weakref
class Img:
    __slots__ = ("n", "__weakref__")
ref = weakref.ref
def cb(r): pass
gc.disable()
def one(with_cb):
    t0 = time.process_time_ns()
    if with_cb:
        for _ in range(200000):
            o = Img(); r = ref(o, cb); del o; del r
    else:
        for _ in range(200000):
            o = Img(); r = ref(o); del o; del r
    return (time.process_time_ns() - t0) / 200000
for with_cb, label in ((False, "CPython: make, weakref.ref(o), drop both"), (True, "CPython: make, weakref.ref(o, cb), drop both (cb runs)")):
    for _ in range(${WARMUP}):
        one(with_cb)
    xs = sorted(one(with_cb) for _ in range(${ROUNDS}))
    print("%-58s %6.1f ns" % (label, xs[len(xs) // 2]))
`;
const py = spawnSync("python3", ["-c", PY], { encoding: "utf8" });
if (py.status === 0) process.stdout.write(py.stdout);
else console.log(`(python3 not run: ${py.error?.message ?? py.stderr.trim()})`);
