import * as core from "refheap/core";
const h = new core.Engine({ checked: false });
const Node = h.defineClass({ name: "Node", fields: [{ name: "other", kind: "ref" }] });
core.gc.disable(h);
for (let rep = 0; rep < 2; rep++) {
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
  console.log(n, Number(process.hrtime.bigint() - t1) / 1e6);
}
