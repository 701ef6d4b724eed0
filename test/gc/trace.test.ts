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
    expect(gc[0]).toEqual({ kind: "gc-start", generation: 0, automatic: false });
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

  it("lists each phase's objects at its end only when traceGcRefs is on: the set, then the unreachable, then the garbage", () => {
    const { h, events } = traced();
    const keep = core.newList(h);
    /** Two lists referring to each other, dropped: a garbage cycle. */
    const cycle = (): [number, number] => {
      const a = core.newList(h);
      const b = core.newList(h);
      core.listAppend(h, a, b, true);
      core.listAppend(h, b, a, true);
      core.decref(h, a);
      core.decref(h, b);
      return [a, b];
    };
    cycle();
    core.gc.collect(h, 0);
    expect(events.some((e) => e.kind === "gc-phase-end" && e.members !== undefined)).toBe(false);
    const [c, d] = cycle();
    h.traceGcRefs = true;
    events.length = 0;
    expect(core.gc.collect(h, 1)).toBe(2);
    const members = (phase: string) =>
      events.flatMap((e) => (e.kind === "gc-phase-end" && e.phase === phase ? [e.members] : []))[0];
    expect(members("merge")).toEqual(expect.arrayContaining([keep, c, d]));
    expect(members("merge")).toHaveLength(
      events.flatMap((e) => (e.kind === "gc-phase-end" && e.phase === "merge" ? [e.objects] : []))[0]!,
    );
    expect(members("move-unreachable")).toEqual([c, d]);
    expect(members("resurrection")).toEqual([c, d]);
    expect(members("delete")).toEqual([]);
    core.decref(h, keep);
  });

  it("says whether the allocator started a collection (automatic) or gc.collect() did", () => {
    const { h, events } = traced();
    core.gc.setThreshold(h, 5);
    core.gc.enable(h);
    const l = core.newList(h);
    for (let i = 0; i < 8; i++) core.listAppendSteal(h, l, core.newList(h));
    const starts = events.filter((e) => e.kind === "gc-start");
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.every((e) => e.kind === "gc-start" && e.automatic)).toBe(true);
    events.length = 0;
    core.gc.collect(h);
    expect(events.find((e) => e.kind === "gc-start")).toEqual({
      kind: "gc-start",
      generation: 2,
      automatic: false,
    });
    core.decref(h, l);
  });
});

describe("gc.generationAddresses", () => {
  it("lists a generation's objects in gc.get_objects' order, making nothing and counting nothing", () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const xs = [core.newList(h), core.newList(h), core.newList(h)];
    const count = core.gc.getCount(h);
    const listed = core.gc.generationAddresses(h, 0);
    expect(core.gc.getCount(h)).toEqual(count);
    const objs = core.gc.getObjects(h, 0);
    const viaList = Array.from({ length: core.listSize(h, objs) }, (_, i) =>
      core.slotRef(h, core.listItemSlot(h, objs, i)),
    );
    core.decref(h, objs);
    expect(listed).toEqual(viaList);
    expect(listed.slice(-3)).toEqual(xs);
    core.gc.freeze(h);
    expect(core.gc.generationAddresses(h, 0)).toEqual([]);
    expect(core.gc.generationAddresses(h, 3)).toEqual(expect.arrayContaining(xs));
    expect(() => core.gc.generationAddresses(h, 4)).toThrow(/generation must be 0, 1, 2 or 3/);
    for (const x of xs) core.decref(h, x);
  });
});
