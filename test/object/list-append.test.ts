/**
 * The list append's generated fast path (scripts/gen-hot.ts: listAppendStealFast,
 * listAppendRefFast), which serves every unchecked heap, against list_resize's general steps
 * (listResize, then the item written with setSlotRef or setSlotNumber, and the new reference
 * taken with increfRaw), done by hand on a second heap. The same random program of appends
 * (stolen new instances, held objects, numbers), deletions and lists made with room to spare
 * (where the fast path's room test has its second half: list_resize shrinks a list less than half
 * full) runs on both; after every step the two
 * heaps must be the same byte for byte.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import {
  increfRaw,
  listItems,
  listResize,
  SLOT_SIZE,
  setSlotNumber,
  setSlotRef,
} from "../../src/object/index.js";

/** [operation, list, argument] */
const opsArb = fc.array(
  fc.tuple(fc.constantFrom("steal", "ref", "number", "del", "many", "fresh"), fc.nat(3), fc.nat(1000)),
  {
    minLength: 1,
    maxLength: 150,
  },
);

type Op = readonly [string, number, number];

/** The general steps of list.append, written out (as listAppend and listAppendSteal did before their fast path). */
function appendByHand(h: core.Engine, l: number, v: number, kind: "steal" | "ref" | "number"): void {
  const n = core.listSize(h, l);
  listResize(h, l, n + 1);
  const p = listItems(h, l) + SLOT_SIZE * n;
  if (kind === "number") {
    setSlotNumber(h, p, v);
    return;
  }
  if (kind === "ref") increfRaw(h, v);
  setSlotRef(h, p, v);
}

function run(ops: readonly Op[]): void {
  const heaps = [true, false].map((fast) => {
    const h = new core.Engine({ checked: false });
    core.gc.disable(h);
    const C = h.defineClass({ name: "C", fields: [{ name: "x", kind: "any" }] });
    const lists = [0, 1, 2, 3].map(() => core.newList(h));
    return { h, C, lists, fast };
  });
  for (const [op, li, arg] of ops) {
    for (const { h, C, lists, fast } of heaps) {
      const l = lists[li]!;
      const append = (v: number, kind: "steal" | "ref" | "number") => {
        if (!fast) appendByHand(h, l, v, kind);
        else if (kind === "steal") core.listAppendSteal(h, l, v);
        else core.listAppend(h, l, v, kind === "ref");
      };
      switch (op) {
        case "steal":
          append(core.newInstance(h, C.id), "steal");
          break;
        case "ref": {
          // another list's object, or the list itself
          const other = lists[(li + 1 + (arg % 3)) % 4]!;
          append(arg % 5 === 0 ? l : other, "ref");
          break;
        }
        case "number":
          append(arg / 7, "number");
          break;
        case "many":
          for (let i = 0; i < 1 + (arg % 60); i++) append(core.newInstance(h, C.id), "steal");
          break;
        case "fresh":
          // A new list made with room for up to 64 items (as a list copy or list(iterable) is):
          // its first appends find it less than half full, and list_resize shrinks it.
          core.decref(h, l);
          lists[li] = core.newList(h, 1 + (arg % 64));
          break;
        case "del": {
          // Deleting shrinks the allocation once the size falls below half of it.
          const n = core.listSize(h, l);
          for (let i = 0; i < Math.min(n, 1 + (arg % 40)); i++) core.listDelItem(h, l, -1);
          break;
        }
      }
    }
    const [a, b] = heaps;
    expect(Buffer.compare(a!.h.u8, b!.h.u8)).toBe(0);
  }
  for (const { h, lists } of heaps) {
    for (const l of lists) core.decref(h, l);
    core.gc.collect(h);
    expect(core.verify(h).problems).toEqual([]);
  }
  expect(Buffer.compare(heaps[0]!.h.u8, heaps[1]!.h.u8)).toBe(0);
}

describe("the list append's fast path", () => {
  it("leaves the heap as list_resize's general steps do, through growth and shrinking (seeded)", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops)),
      { seed: 35_2026, numRuns: 150 },
    );
  });

  it("serves checked heaps not at all: their appends are validated first", () => {
    const h = new core.Engine({ checked: true });
    const l = core.newList(h);
    expect(() => core.listAppendSteal(h, l, 12345)).toThrow();
    expect(core.listSize(h, l)).toBe(0);
  });
});
