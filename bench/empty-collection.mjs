// The fixed cost of one collection: `gc.collect(e, 0)` with nothing in generation 0, repeated
// (docs/performance.md, "Collections without closures"). W1 with collection on runs about 140
// young collections per 100,000 objects, so each 0.1 µs here is 0.14 ns per object there.
// Build dist/ first; prints µs per collection for the last three of six batches:
//   node --no-concurrent-recompilation bench/empty-collection.mjs
import { Engine, gc } from "../dist/core.js";

const e = new Engine({ checked: false });
gc.enable(e);
const N = 500_000;
const out = [];
for (let batch = 0; batch < 6; batch++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) gc.collect(e, 0);
  const t = process.cpuUsage(t0);
  if (batch >= 3) out.push(((t.user + t.system) / N).toFixed(3));
}
console.log(`µs per empty generation-0 collection: ${out.join(" ")}`);
