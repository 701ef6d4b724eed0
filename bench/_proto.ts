import * as core from "refheap/core";
const h = new core.Engine({ checked: false });
const Node = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] });
core.gc.disable(h);
for (let rep = 0; rep < 4; rep++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 500_000; i++) {
    const a = core.newInstance(h, Node.id);
    const b = core.newInstance(h, Node.id);
    core.setField(h, a, 0, b, true);
    core.setField(h, b, 0, a, true);
    core.decref(h, a);
    core.decref(h, b);
  }
  const t1 = process.hrtime.bigint();
  const n = core.gc.collect(h);
  const t2 = process.hrtime.bigint();
  console.log(rep, n, Number(t1 - t0) / 1e6, "ms make", Number(t2 - t1) / 1e6, "ms collect", Number(t2 - t1) / 1e6, "ns/obj");
}
// full pause
for (const N of [1e5, 1e6, 4e6]) {
  const l = core.newList(h);
  for (let i = 0; i < N; i++) { const o = core.newInstance(h, Node.id); core.listAppend(h, l, o, true); core.decref(h, o); }
  core.gc.collect(h, 2);
  const t0 = process.hrtime.bigint();
  const n = core.gc.collect(h, 2);
  const t1 = process.hrtime.bigint();
  console.log(N, n, Number(t1 - t0) / 1e6, "ms", Number(t1 - t0) / N, "ns/obj");
  core.decref(h, l);
}
