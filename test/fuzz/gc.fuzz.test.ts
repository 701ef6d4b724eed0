/**
 * The collector against the verifier's own reachability walk (seeded): random object graphs of
 * every container kind with random external references; then `collect(2)` must free exactly the
 * objects no external reference reaches, report exactly the tracked ones among them, and leave
 * everything reachable alive and unchanged.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

// "instance" has an attribute table (traverse's path); "slotted" has only declared fields (the
// collector's direct path, see plainInstanceEdge in src/gc/deduce.ts): both must agree with the
// verifier's walk, which uses traverse. "materialised" instances belong to a class whose shared
// keys are full, so their attributes live in dict objects (src/object/sharedkeys.ts).
const KINDS = ["instance", "slotted", "list", "dict", "tuple", "materialised"] as const;

const graphArb = fc.record({
  kinds: fc.array(fc.nat(KINDS.length - 1), { minLength: 1, maxLength: 60, size: "max" }),
  edges: fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)), { maxLength: 150, size: "max" }),
  keep: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
  preCollect: fc.array(fc.nat(2), { maxLength: 3 }),
});

/** What each object references (the objects reachable from outside must not change). */
function edgesOf(h: core.Engine, o: number): number[] {
  return Array.from(h.edges.subarray(0, core.traverse(h, o)));
}

type Graph = typeof graphArb extends fc.Arbitrary<infer T> ? T : never;

function run(g: Graph): void {
  const h = new core.Engine({ checked: true });
  core.gc.disable(h);
  const C = h.defineClass({
    name: "C",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
    ],
    dynamic: true,
  });
  const S = h.defineClass({
    name: "S",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
      { name: "n", kind: "number" },
    ],
  });
  const M = h.defineClass({
    name: "M",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
    ],
    dynamic: true,
  });
  // Fill M's shared keys: 29 instances leave room for one name, which "pre" takes.
  const spent = Array.from({ length: 29 }, () => core.newInstance(h, M.id));
  const pre = core.newStr(h, "pre");
  core.setAttr(h, spent[0]!, pre, 0, false);
  for (const o of spent) core.decref(h, o);
  core.decref(h, pre);
  const name = core.newStr(h, "attr");
  // Two names, stored in either order: C's instances disagree on the order (split tables whose
  // entry order is not the shared-key order).
  const names = [name, core.newStr(h, "other")];
  const objs: number[] = [];
  for (const k of g.kinds) {
    const kind = KINDS[k]!;
    if (kind === "instance") objs.push(core.newInstance(h, C.id));
    else if (kind === "materialised") objs.push(core.newInstance(h, M.id));
    else if (kind === "slotted") objs.push(core.newInstance(h, S.id));
    else if (kind === "list") objs.push(core.newList(h));
    else if (kind === "dict") objs.push(core.newDict(h));
    else {
      // A tuple is filled when made, from objects made before it.
      const n = objs.length === 0 ? 0 : 1 + (objs.length % 3);
      const t = core.newTuple(h, n);
      for (let i = 0; i < n; i++)
        core.tupleSetItem(h, t, i, objs[(objs.length * 7 + i) % objs.length]!, true);
      objs.push(t);
    }
  }
  for (const [from, to, how] of g.edges) {
    const a = objs[from % objs.length]!;
    const b = objs[to % objs.length]!;
    const kind = h.typeKind[core.typeIdOf(h, a)];
    if (kind === core.Kind.Instance && core.typeIdOf(h, a) === S.id) {
      core.setField(h, a, how % 2, b, true);
    } else if (kind === core.Kind.Instance) {
      if (how % 3 === 2) core.setAttr(h, a, names[(how >> 2) % 2]!, b, true);
      else core.setField(h, a, how % 2, b, true);
    } else if (kind === core.Kind.List) core.listAppend(h, a, b, true);
    else if (kind === core.Kind.Dict) {
      if (how % 2 === 0) core.dictSetItem(h, a, how % 5, false, b, true);
      else core.dictSetItem(h, a, name, true, b, true);
    }
  }
  // Some collections first, so the graph is spread over generations (and tuples/dicts untracked).
  for (const pre of g.preCollect) core.gc.collect(h, pre);
  // Drop the references we do not keep.
  const kept: number[] = [];
  objs.forEach((o, i) => {
    if (g.keep[i]) kept.push(o);
    else core.decref(h, o);
  });

  const before = core.verify(h);
  expect(before.problems).toEqual([]);
  // What the kept references reach (our own walk) must survive unchanged.
  const reachable = new Map<number, number[]>();
  const stack = [...kept];
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (reachable.has(o)) continue;
    const edges = edgesOf(h, o);
    reachable.set(o, edges);
    stack.push(...edges);
  }
  for (const o of before.unreachable) expect(reachable.has(o)).toBe(false);
  // A full collection frees every unreachable object; it reports the tracked ones.
  const expected = before.unreachable.filter((o) => core.gc.isTracked(h, o)).length;
  const found = core.gc.collect(h, 2);
  const after = core.verify(h);
  expect(after.problems).toEqual([]);
  expect(after.unreachable).toEqual([]);
  expect(found).toBe(expected);
  expect(after.objects).toBe(before.objects - before.unreachable.length);
  expect(after.externalRefs).toBe(before.externalRefs);
  for (const [o, edges] of reachable) expect(edgesOf(h, o)).toEqual(edges);
  for (const o of kept) core.decref(h, o);
}

describe("the collector frees exactly the unreachable (seeded property)", () => {
  it("random graphs with random external references", () => {
    fc.assert(
      fc.property(graphArb, (g) => run(g)),
      { seed: 20261124, numRuns: 300 },
    );
  });
});
