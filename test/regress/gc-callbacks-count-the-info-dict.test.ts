/**
 * With a gc callback registered, CPython builds a dict for each phase's info: a full collection
 * empties the dict freelist, so its "stop" dict is a new, counted allocation, and get_count()
 * reads (1, 0, 0) afterwards; a young collection reuses the freelisted dict. Found by the oracle.
 */

import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { python } from "../gc/gc-helpers.js";

describe("regress: gc.callbacks count the info dict", () => {
  it("get_count after collections with a callback registered matches CPython", async () => {
    const h = new core.Engine();
    core.gc.disable(h);
    core.gc.collect(h);
    const lines: string[] = [String(core.gc.getCount(h))];
    h.gcCallbacks.push(() => {});
    for (const g of [2, 0, 2, 1]) {
      core.gc.collect(h, g);
      lines.push(String(core.gc.getCount(h)));
    }
    const py = await python(
      "import gc; gc.disable(); gc.collect(); L=['%d,%d,%d' % gc.get_count()]; gc.callbacks.append(lambda p,i: None)\nfor g in (2,0,2,1):\n    gc.collect(g); L.append('%d,%d,%d' % gc.get_count())\nprint(' '.join(L))",
    );
    expect(lines.join(" ")).toBe(py);
    expect(lines.join(" ")).toBe("0,0,0 1,0,0 0,1,0 1,0,0 0,0,1");
  });
});
