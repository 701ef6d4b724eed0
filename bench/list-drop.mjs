// W1's build and drop for a class with N reference fields (NULL, as W1's): 100,000 instances
// appended to a list (listAppendSteal), then the list dropped; 60 rounds, the last 40 timed.
// Prints the median build and drop in ns per object (process CPU time). Build dist/ first:
//   node --no-concurrent-recompilation bench/list-drop.mjs 2
import { decref, Engine, gc, listAppendSteal, newInstance, newList } from "../dist/core.js";

const fieldCount = Number(process.argv[2] ?? 1);
const e = new Engine({ checked: false });
gc.disable(e);
const fields = Array.from({ length: fieldCount }, (_, i) => ({ name: `f${i}`, kind: "ref" }));
const T = e.defineClass({ name: "C", fields }).id;
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const build = [];
const drop = [];
for (let r = 0; r < 60; r++) {
  const t0 = cpu();
  const l = newList(e);
  for (let i = 0; i < 100_000; i++) listAppendSteal(e, l, newInstance(e, T));
  const t1 = cpu();
  decref(e, l);
  const t2 = cpu();
  if (r >= 20) {
    build.push((t1 - t0) / 100); // µs per 100,000 objects → ns per object
    drop.push((t2 - t1) / 100);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
console.log(`${fieldCount} fields: build ${median(build)} drop ${median(drop)} ns per object`);
