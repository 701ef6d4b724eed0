import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

describe("smoke", () => {
  it("creates and frees", () => {
    const h = new core.Engine({ checked: true });
    const Node = h.defineClass({ name: "Node", fields: [{ name: "next", kind: "ref" }] });
    const l = core.newList(h);
    for (let i = 0; i < 1000; i++) {
      const o = core.newInstance(h, Node.id);
      core.listAppend(h, l, o, true);
      core.decref(h, o);
    }
    expect(core.verify(h).problems).toEqual([]);
    core.decref(h, l);
    expect(core.verify(h).problems).toEqual([]);
    expect(core.stats(h).sizeClasses.map((c) => c.blocksInUse)).toEqual([1]);
  });
});
