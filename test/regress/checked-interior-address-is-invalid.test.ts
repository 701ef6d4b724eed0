/**
 * Checked mode marked only a block's first 16-byte granule when allocating, so an address inside
 * a live block could carry a stale "freed" mark from an earlier, smaller block there and be
 * reported as a use after free (or a double free) instead of as an invalid address.
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";

it("reports an address inside a live block as invalid, not as freed", () => {
  const h = new core.Engine({ checked: true });
  // Fill a pool with 16-byte strs and free them all: every granule of the pool is marked freed.
  const small = Array.from({ length: 1021 }, () => core.newStr(h, ""));
  for (const s of small) core.decref(h, s);
  // The empty pool is reused for 48-byte blocks, which span three of those granules each.
  const big = core.newStr(h, "y".repeat(16));
  expect(small).toContain(big + 16); // an interior granule that used to start a freed str
  expect(() => core.incref(h, big + 16)).toThrow(
    expect.objectContaining({ code: core.ErrorCode.InvalidAddress }),
  );
  core.decref(h, big);
});
