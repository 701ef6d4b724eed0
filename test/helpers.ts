/** Shared test helpers: a checked engine with a recording class, and readable value access. */
import { expect } from "vitest";
import * as core from "../src/core.js";

export type Engine = core.Engine;

/** A checked engine plus a class `X` whose instances record their `i` (a number) when finalized. */
export function recordingHeap(options: core.EngineOptions = { checked: true }) {
  const h = new core.Engine(options);
  const order: (number | string)[] = [];
  const X = h.defineClass({
    name: "X",
    fields: [{ name: "i", kind: "any" }],
    finalize: (o) => {
      const p = core.fieldItemSlot(h, o, 0);
      order.push(core.slotIsRef(h, p) ? core.strValue(h, core.slotRef(h, p)) : core.slotNumber(h, p));
    },
  });
  /** A new X (refcount 1) labelled with a number or a string. */
  const x = (label: number | string): number => {
    const o = core.newInstance(h, X.id);
    if (typeof label === "number") {
      core.setField(h, o, 0, label, false);
    } else {
      const s = core.newStr(h, label);
      core.setField(h, o, 0, s, true);
      core.decref(h, s);
    }
    return o;
  };
  return { h, order, X, x };
}

/** Asserts the heap verifier finds nothing wrong. */
export function expectSound(h: Engine): core.VerifyReport {
  const report = core.verify(h);
  expect(report.problems).toEqual([]);
  return report;
}

/** Appends an object to a list and drops the caller's reference (the list becomes the owner). */
export function appendOwned(h: Engine, list: number, o: number): void {
  core.listAppend(h, list, o, true);
  core.decref(h, o);
}

/** Blocks in use across all size classes. */
export function blocksInUse(h: Engine): number {
  const s = core.stats(h);
  return s.sizeClasses.reduce((n, c) => n + c.blocksInUse, 0) + s.large.blocksInUse;
}

/**
 * `describe.each` rows: a checked engine (general paths) and an unchecked one (the generated fast
 * paths), each with automatic collection off.
 */
export function checkedAndUnchecked(): [string, () => Engine][] {
  const make = (checked: boolean) => () => {
    const h = new core.Engine({ checked });
    core.gc.disable(h);
    return h;
  };
  return [
    ["checked", make(true)],
    ["unchecked", make(false)],
  ];
}
