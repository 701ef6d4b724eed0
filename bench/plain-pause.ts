/**
 * The pause of a full collection over plain instances (a dynamic class, two attributes each: a
 * number and a reference), 1,000,000 of them in a list, nothing to collect: what the collector's
 * generated passes do with a values array. Engine API, unchecked, automatic collection off; CPU
 * time, median of 15 collections after one untimed. Behind docs/performance.md, "The values
 * array in the collector's passes".
 * Run with: npm run build && node --no-concurrent-recompilation --import tsx bench/plain-pause.ts
 */
import { Engine, gc, listAppendSteal, newInstance, newList, newStr, setAttr } from "refheap/core";

const N = 1_000_000;
const h = new Engine({ checked: false });
gc.disable(h);
const P = h.defineClass({ name: "P", dynamic: true });
const [a, b] = [newStr(h, "a"), newStr(h, "b")] as [number, number];
const shared = newList(h);
const l = newList(h);
for (let i = 0; i < N; i++) {
  const o = newInstance(h, P.id);
  setAttr(h, o, a, i, false);
  setAttr(h, o, b, shared, true);
  listAppendSteal(h, l, o);
}
gc.collect(h, 2);
const pauses: number[] = [];
for (let k = 0; k < 15; k++) {
  const t0 = process.cpuUsage();
  const found = gc.collect(h, 2);
  const t = process.cpuUsage(t0);
  if (found !== 0) throw new Error(`collect() found ${found} objects; there is no garbage`);
  pauses.push(((t.user + t.system) * 1000) / N);
}
pauses.sort((x, y) => x - y);
console.log(
  `full-collection pause, ${N.toLocaleString("en-US")} plain instances: ${pauses[7]!.toFixed(1)} ns per object`,
);
