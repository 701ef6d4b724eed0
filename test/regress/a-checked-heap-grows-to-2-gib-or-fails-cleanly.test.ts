/**
 * Guards growth at the top of the address space: a checked heap with maxBytes 2 GiB grows its
 * buffer to exactly 2^31 bytes (its block-state map to 2^27 entries: the size was computed with a
 * signed shift, which went negative and threw a plain RangeError after the buffer was already
 * swapped), and the allocation that finds no more room throws HEAP_EXHAUSTED with the heap
 * exactly as it was: same statistics, verifier clean, and still usable.
 *
 * Two lists with room for 1.9 GiB of items reach 2 GiB without writing it all (their storage is
 * never freed here: checked mode would poison every freed byte).
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";

const MiB = 1024 * 1024;

it("grows to 2 GiB, then fails with HEAP_EXHAUSTED leaving the heap as it was", () => {
  const h = new core.Engine({ checked: true, maxBytes: 2 ** 31 });
  const keep = core.newStr(h, "still here");
  const a = core.newList(h, (1200 * MiB) / 8);
  const b = core.newList(h, (700 * MiB) / 8); // the buffer doubles, capped at maxBytes: 2^31
  expect(h.buffer.byteLength).toBe(2 ** 31);
  expect(h.blockState.length).toBe(2 ** 27);
  const before = JSON.stringify(core.stats(h));
  const counts = core.gc.getCount(h);
  expect(() => core.newList(h, (200 * MiB) / 8)).toThrow(expect.objectContaining({ code: "HEAP_EXHAUSTED" }));
  expect(() => core.newStr(h, "x".repeat(100 * MiB))).toThrow(
    expect.objectContaining({ code: "HEAP_EXHAUSTED" }),
  );
  expect(JSON.stringify(core.stats(h))).toBe(before);
  expect(core.gc.getCount(h)).toEqual(counts);
  expect(core.verify(h).problems).toEqual([]);
  // Still usable: the top list's storage ends at 2^31 and its granules were marked correctly.
  for (let i = 0; i < 1000; i++) core.listAppend(h, b, i, false);
  core.listAppend(h, a, keep, true);
  expect(core.strValue(h, core.slotRef(h, core.listItemSlot(h, a, 0)))).toBe("still here");
  expect(core.verify(h).problems).toEqual([]);
});
