/**
 * The cycle collector, as a Python programmer knows it: cycles that refcounting cannot free,
 * __del__ order, resurrection, gc.garbage, callbacks and the debug flags.
 *
 * Run: npm run build && npx tsx examples/gc-tour.ts
 */
import assert from "node:assert/strict";
import { Heap } from "refheap";

const heap = new Heap({ checked: true });
heap.gc.disable(); // we decide when collections run
const log: string[] = [];
const saved: ReturnType<(typeof Node)["new"]>[] = [];
const Node = heap.defineClass("Node", {
  fields: { other: "self", name: "str", keep: "bool" },
  finalize: (self) => {
    log.push(`__del__ ${self.name}`);
    if (self.keep) saved.push(self.dup()); // resurrection: a new reference from outside
  },
});

console.log("1. a dropped cycle waits for the collector; finalizers run in list order");
heap.scope(() => {
  const a = Node.new({ name: "a" });
  const b = Node.new({ name: "b" });
  a.other = b;
  b.other = a;
});
assert.deepEqual(log, []);
assert.equal(heap.gc.collect(), 2);
assert.deepEqual(log, ["__del__ a", "__del__ b"]);
console.log(`  ${log.join(", ")}`);

console.log("2. a finalizer that saves its object saves what it reaches, nothing else");
log.length = 0;
heap.scope(() => {
  const c = Node.new({ name: "c", keep: true });
  c.other = c;
  const d = Node.new({ name: "d" });
  d.other = d;
});
const found = heap.gc.collect();
assert.equal(found, 1, "d is collected; c was resurrected and is not counted");
assert.equal(saved.length, 1);
assert.equal(heap.gc.isFinalized(saved[0]!), true);
console.log(`  collect() = ${found}; ${saved[0]!.name} survived, finalized once`);
const survivor = saved.pop()!;
survivor.other = null; // break its cycle: releasing the handle now frees it (no second __del__)
survivor.dispose();
assert.deepEqual(log, ["__del__ c", "__del__ d"]);

console.log("3. gc.callbacks and the debug flags");
const phases: string[] = [];
heap.gc.callbacks.push((phase, info) =>
  phases.push(`${phase} gen ${info.generation} collected ${info.collected}`),
);
let debug = "";
heap.gc.debugOutput = (text) => {
  debug += text;
};
heap.gc.setDebug(heap.gc.DEBUG_COLLECTABLE);
heap.scope(() => {
  const l = heap.list();
  l.push(l);
});
assert.equal(heap.gc.collect(0), 1);
heap.gc.setDebug(0);
heap.gc.callbacks.length = 0;
assert.deepEqual(phases, ["start gen 0 collected 0", "stop gen 0 collected 1"]);
assert.match(debug, /^gc: collectable <list 0x[0-9a-f]+>\n$/);
console.log(`  ${phases.join("; ")}`);
console.log(`  ${debug.trim()}`);

console.log("4. automatic collection: the 701st container allocation runs one");
heap.gc.enable();
heap.gc.collect();
const starts: number[] = [];
heap.gc.callbacks.push((phase, info) => {
  if (phase === "start") starts.push(info.generation);
});
heap.scope(() => {
  const keep = heap.list();
  for (let i = 0; i < 2000; i++) keep.append(Node.new());
});
heap.gc.callbacks.length = 0;
assert.deepEqual(starts, [0, 0]);
console.log(`  ${starts.length} generation-0 collections while making 2001 containers`);

assert.deepEqual(heap.verify().problems, []);
heap.close();
console.log("ok");
