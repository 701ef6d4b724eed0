/**
 * Guards that a JS string stored in the heap reads back identical, unit for unit: lone surrogates
 * are kept at any length (a TextDecoder replaced them with U+FFFD above 16 code units), and a str
 * longer than a TextDecoder accepts (2^28 bytes: 134,217,728 code units) reads back instead of
 * failing with a plain TypeError.
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { Heap } from "../../src/index.js";

const SAMPLES = [
  "\ud800",
  "a\udfffb",
  `${"x".repeat(16)}\ud83d`, // 17 units: past the short-string loop
  `${"\udc00\ud800".repeat(40)}é€😀`,
  "plain ascii that is longer than sixteen units",
];

it("keeps lone surrogates through str objects, dict keys, fields and list items", () => {
  using heap = new Heap({ checked: true, leaks: "off" });
  const C = heap.defineClass("C", { fields: { s: "str" }, dynamic: true });
  for (const s of SAMPLES) {
    using str = heap.str(s);
    expect(core.strValue(heap.engine, str.address)).toBe(s);
    using d = heap.dict([[s, s]]);
    expect([...d.keys()]).toEqual([s]);
    expect(d.get(s)).toBe(s);
    using l = heap.list([s]);
    expect(l.get(0)).toBe(s);
    using c = C.new({ s });
    expect(c.s).toBe(s);
    c.setAttr(s, s);
    expect(c.getAttr(s)).toBe(s);
  }
  expect(heap.verify().problems).toEqual([]);
});

it("reads back a str of 140 million code units", () => {
  const h = new core.Engine({});
  const s = `${"ab".repeat(70_000_000 - 1)}\ud800z`;
  const o = core.newStr(h, s);
  const back = core.strValue(h, o);
  expect(back.length).toBe(s.length);
  expect(back === s).toBe(true);
  core.decref(h, o);
});
