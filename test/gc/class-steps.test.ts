/**
 * The collector's steps compiled per class (src/gc/specialize.ts: subtract_refs, the fused pass,
 * move_unreachable over a run of one class's instances, and delete_garbage's step) against the
 * generic loops. The same random graphs of slotted instances (classes of one to three reference
 * fields, some with finalizers, in runs and interleaved) are built on two heaps, one with the
 * generated paths and one without; after each collection the heaps must be equal byte for byte,
 * with the same collection results and the same order of finalizers and frees.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

/** [class index, field, target index] edges among `n` objects, the objects' classes, which are dropped. */
const graphArb = fc.record({
  classes: fc.array(fc.nat(5), { minLength: 2, maxLength: 60 }),
  edges: fc.array(fc.tuple(fc.nat(59), fc.nat(2), fc.nat(59)), { maxLength: 120 }),
  kept: fc.array(fc.nat(59), { maxLength: 5 }),
  generation: fc.nat(2),
});

type Graph = typeof graphArb extends fc.Arbitrary<infer T> ? T : never;

function run(fast: boolean, g: Graph) {
  const log: string[] = [];
  const h = new core.Engine({
    checked: false,
    trace: (ev) => {
      if (ev.kind === "free") log.push(`free ${ev.addr}`);
    },
  });
  h.fastPaths = fast;
  core.gc.disable(h);
  const ref = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: "any" as const }));
  const classes = [1, 2, 3, 1, 2, 3].map((fields, k) =>
    h.defineClass({
      name: `C${k}`,
      fields: ref(fields),
      ...(k >= 3 ? { finalize: (o: number) => log.push(`del ${k} ${core.reuseTagOf(h, o)}`) } : {}),
    }),
  );
  const objs = g.classes.map((c) => core.newInstance(h, classes[c]!.id));
  for (const [from, field, to] of g.edges) {
    const o = objs[from % objs.length]!;
    const t = objs[to % objs.length]!;
    const nf = classes[g.classes[from % objs.length]!]!.fields.length;
    const f = field % nf;
    if (core.slotRef(h, core.fieldItemSlot(h, o, f)) === 0) core.setField(h, o, f, t, true);
  }
  const kept = new Set(g.kept.map((k) => objs[k % objs.length]!));
  for (const o of objs) if (!kept.has(o)) core.decref(h, o);
  const results = [core.gc.collect(h, g.generation), core.gc.collect(h)];
  for (const o of kept) core.decref(h, o);
  results.push(core.gc.collect(h));
  expect(core.verify(h).problems).toEqual([]);
  return { h, log, results };
}

/**
 * Two 2-cycles of a slotted class P (a0 ⇄ a1, b0 ⇄ b1), a0 also holding an instance of H, whose
 * host value's release runs user code when a0's clear frees it: it sets DEBUG_SAVEALL ("saveall";
 * CPython checks the flag per object, so b0 and b1 then go to gc.garbage uncleared), or takes a
 * reference to b0 ("keep": b0 survives its clear and moves to the older generation). Collected on
 * a heap with the compiled steps (`fast`) or without.
 */
function collectTwoCycles(fast: boolean, hook: "saveall" | "keep") {
  const h = new core.Engine({ checked: false });
  h.fastPaths = fast;
  core.gc.disable(h);
  const P = h.defineClass({
    name: "P",
    fields: [
      { name: "next", kind: "any" },
      { name: "extra", kind: "any" },
    ],
  });
  const H = h.defineClass({ name: "H", fields: [{ name: "x", kind: "host" }] });
  const [a0, a1, b0, b1] = [0, 1, 2, 3].map(() => core.newInstance(h, P.id)) as [
    number,
    number,
    number,
    number,
  ];
  h.hostRelease = () => {
    if (hook === "saveall") core.gc.setDebug(h, core.GcDebug.SAVEALL);
    else core.incref(h, b0);
  };
  const x = core.newInstance(h, H.id);
  core.setField(h, x, 0, 1, false);
  core.setField(h, a0, 0, a1, true);
  core.setField(h, a1, 0, a0, true);
  core.setField(h, a0, 1, x, true);
  core.setField(h, b0, 0, b1, true);
  core.setField(h, b1, 0, b0, true);
  for (const o of [a0, a1, b0, b1, x]) core.decref(h, o);
  const n = core.gc.collect(h);
  const garbage = Array.from({ length: core.listSize(h, h.garbage) }, (_, i) =>
    core.slotRef(h, core.listItemSlot(h, h.garbage, i)),
  );
  expect(core.verify(h).problems).toEqual([]);
  const b0Count = core.typeIdOf(h, b0) === P.id ? core.getrefcount(h, b0) : 0;
  return { h, n, garbage, b: [b0, b1], runs: h.gcRuns[P.id], b0Count };
}

describe("the collector's steps compiled per class", () => {
  it("leave the heap, the results and the order of finalizers and frees as the generic loops do (seeded)", () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const a = run(true, g);
        const b = run(false, g);
        expect(a.results).toEqual(b.results);
        expect(a.log).toEqual(b.log);
        expect(Buffer.compare(a.h.u8, b.h.u8)).toBe(0);
        expect(b.h.gcRuns.every((r) => r === null || r === undefined)).toBe(true);
      }),
      { seed: 34_2026, numRuns: 200 },
    );
  });

  it("stop deleting a run when DEBUG_SAVEALL is set during delete_garbage, as the generic loop does", () => {
    const fast = collectTwoCycles(true, "saveall");
    const slow = collectTwoCycles(false, "saveall");
    expect(fast.runs).toBeTruthy(); // the compiled steps served P
    expect(fast.garbage).toEqual(fast.b);
    expect([fast.n, fast.garbage]).toEqual([slow.n, slow.garbage]);
    expect(Buffer.compare(fast.h.u8, slow.h.u8)).toBe(0);
  });

  it("move an instance its clear left alive to the older generation, as the generic loop does", () => {
    const fast = collectTwoCycles(true, "keep");
    const slow = collectTwoCycles(false, "keep");
    expect(fast.runs).toBeTruthy();
    // b0's clear freed b1, whose release of b0 left it the reference the hook took.
    expect([fast.n, fast.garbage, fast.b0Count]).toEqual([slow.n, slow.garbage, 1]);
    expect(Buffer.compare(fast.h.u8, slow.h.u8)).toBe(0);
  });

  it("serve runs of a class's instances on the fast heap (the property above compares something)", () => {
    // 40 objects of C0 in a row, each pointing at the next and the last at the first: one cycle.
    const g = {
      classes: Array.from({ length: 40 }, () => 0),
      edges: Array.from({ length: 40 }, (_, i): [number, number, number] => [i, 0, (i + 1) % 40]),
      kept: [],
      generation: 0,
    };
    const a = run(true, g);
    expect(a.results[0]).toBe(40);
    expect(a.h.gcRuns.filter((r) => r !== null && r !== undefined)).toHaveLength(1);
  });
});
