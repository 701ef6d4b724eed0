/** The README's engine tour, run as written. */
import { expect, it } from "vitest";
import {
  decref,
  Engine,
  listAppend,
  newInstance,
  newList,
  setField,
  sysGetrefcount,
  verify,
} from "../../src/core.js";

it("runs the README's engine example and frees l, then a (finalizer), then b", () => {
  const log: string[] = [];
  const h = new Engine({ checked: true });
  const Node = h.defineClass({
    name: "Node",
    fields: [{ name: "next", kind: "ref" }],
    finalize: (o) => log.push(`__del__ ${o}`),
  });
  const a = newInstance(h, Node.id);
  const b = newInstance(h, Node.id);
  setField(h, a, 0, b, true);
  decref(h, b);
  expect(sysGetrefcount(h, b)).toBe(2);
  const l = newList(h);
  listAppend(h, l, a, true);
  listAppend(h, l, 3.5, false);
  decref(h, a);
  decref(h, l);
  expect(log).toEqual([`__del__ ${a}`, `__del__ ${b}`]);
  expect(verify(h).problems).toEqual([]);
});
