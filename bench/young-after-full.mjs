// A program that runs one full collection over a long run of one class's instances, then many
// generation-0 collections (docs/performance.md, "What is next"): counts the deoptimisations of
// the class's compiled move step. Build dist/ first, then run it several times (the outcome
// differs between processes):
//   node --no-concurrent-recompilation --trace-deopt bench/young-after-full.mjs | grep -c "deoptimizing.*moveUnreachable_"
import { Engine, gc, listAppendSteal, newInstance, newList } from "../dist/core.js";

const e = new Engine({ checked: false });
gc.disable(e);
const T = e.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] }).id;
const old = newList(e);
for (let i = 0; i < 100_000; i++) listAppendSteal(e, old, newInstance(e, T));
gc.collect(e); // the step's first call: one run of 100,000 instances
const young = newList(e);
for (let k = 0; k < 1000; k++) {
  for (let i = 0; i < 700; i++) listAppendSteal(e, young, newInstance(e, T));
  gc.collect(e, 0); // 700 reachable instances each
}
console.log("done");
