/** The collector's phase-level trace (src/trace/): every step reported in order, gc_refs on demand. */
import { describe, expect, it } from "vitest";
import type { GcTraceEvent, TraceEvent } from "../../src/core.js";
import * as core from "../../src/core.js";

function traced(): { h: core.Engine; events: (TraceEvent | GcTraceEvent)[] } {
  const events: (TraceEvent | GcTraceEvent)[] = [];
  const h = new core.Engine({ checked: true, trace: (e) => events.push(e) });
  core.gc.disable(h);
  return { h, events };
}

const gcOnly = (events: (TraceEvent | GcTraceEvent)[]) => events.filter((e) => e.kind.startsWith("gc-"));

describe("collector trace", () => {
  it("reports start, every phase in order with the size it produced, and the result (regression: sizing the tagged unreachable list looped forever)", () => {
    const { h, events } = traced();
    const l = core.newList(h);
    core.listAppend(h, l, l, true);
    core.decref(h, l);
    const keep = core.newList(h);
    events.length = 0;
    expect(core.gc.collect(h, 0)).toBe(1);
    const gc = gcOnly(events);
    expect(gc[0]).toEqual({ kind: "gc-start", generation: 0 });
    const ends = gc
      .filter((e) => e.kind === "gc-phase-end")
      .map((e) => (e.kind === "gc-phase-end" ? e.phase : ""));
    expect(ends).toEqual([
      "merge",
      "update-refs",
      "subtract-refs",
      "move-unreachable",
      "survivors",
      "legacy-finalizers",
      "weakrefs",
      "finalize",
      "resurrection",
      "delete",
    ]);
    const moved = gc.find((e) => e.kind === "gc-phase-end" && e.phase === "move-unreachable");
    expect(moved).toEqual({ kind: "gc-phase-end", phase: "move-unreachable", objects: 1 });
    expect(gc.at(-1)).toEqual({ kind: "gc-end", generation: 0, collected: 1, uncollectable: 0 });
    core.decref(h, keep);
  });

  it("gives each object's gc_refs after subtract-refs only when traceGcRefs is on", () => {
    const { h, events } = traced();
    const held = core.newList(h); // referenced from outside: gc_refs 1
    const inner = core.newList(h);
    core.listAppend(h, held, inner, true); // inner: referenced only by held
    core.decref(h, inner);
    core.gc.collect(h, 0);
    expect(events.some((e) => e.kind === "gc-refs")).toBe(false);
    h.traceGcRefs = true;
    events.length = 0;
    core.gc.collect(h, 1);
    const refs = new Map(events.flatMap((e) => (e.kind === "gc-refs" ? [[e.addr, e.refs] as const] : [])));
    expect(refs.get(held)).toBe(1);
    expect(refs.get(inner)).toBe(0);
    core.decref(h, held);
  });
});
