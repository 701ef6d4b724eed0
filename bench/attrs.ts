/**
 * Attribute access on plain instances through the engine API (one Engine, unchecked): make an
 * instance of a dynamic class and set three attributes, read the three back, free the instance;
 * automatic collection off.
 * Behind docs/performance.md, "The values array". CPU time, medians of 30 rounds of 100,000 after
 * 10 warm-up rounds.
 * Run with: npm run build && node --no-concurrent-recompilation --import tsx bench/attrs.ts
 */
import { decref, Engine, gc, getAttrSlot, newInstance, newStr, setAttr } from "refheap/core";

const N = 100_000;
const WARMUP = 10;
const ROUNDS = 30;

const h = new Engine({ checked: false });
gc.disable(h); // the attribute work alone: no young collections during the make phase
const P = h.defineClass({ name: "P", dynamic: true });
const names = ["a", "b", "c"].map((s) => newStr(h, s)) as [number, number, number];
const objs = new Int32Array(N);
const cpu = (): number => process.cpuUsage().user / 1000;
const phases = { make: [] as number[], get: [] as number[], free: [] as number[] };
let found = 0;

for (let r = 0; r < WARMUP + ROUNDS; r++) {
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    const o = newInstance(h, P.id);
    setAttr(h, o, names[0], i, false);
    setAttr(h, o, names[1], i, false);
    setAttr(h, o, names[2], i, false);
    objs[i] = o;
  }
  const t1 = cpu();
  for (let i = 0; i < N; i++) {
    const o = objs[i]!;
    if (
      getAttrSlot(h, o, names[0]) !== 0 &&
      getAttrSlot(h, o, names[1]) !== 0 &&
      getAttrSlot(h, o, names[2]) !== 0
    )
      found++;
  }
  const t2 = cpu();
  for (let i = 0; i < N; i++) decref(h, objs[i]!);
  const t3 = cpu();
  if (r >= WARMUP) {
    phases.make.push(t1 - t0);
    phases.get.push(t2 - t1);
    phases.free.push(t3 - t2);
  }
}
if (found !== (WARMUP + ROUNDS) * N) throw new Error("an attribute was missing");
const median = (xs: number[]): string => ((xs.sort((a, b) => a - b)[xs.length >> 1]! * 1e6) / N).toFixed(1);
console.log(
  `make + 3 setattr ${median(phases.make)} ns, 3 getattr ${median(phases.get)} ns, free ${median(phases.free)} ns (per instance)`,
);
