/**
 * Random sequences of engine operations (seeded), checking the heap's invariants after every
 * step: the allocator is consistent, every block holds one live object or storage owned by one,
 * every reference points at a live object, and the references held from outside the heap are
 * exactly the ones the test holds (plus the heap's own: the static singletons and type objects).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { opsArb } from "./arbitraries.js";

const OPS = [
  "instance",
  "list",
  "dict",
  "tuple",
  "str",
  "append",
  "setitem",
  "delitem",
  "dictset",
  "dictdel",
  "setfield",
  "setattr",
  "delattr",
  "dup",
  "drop",
  "drop",
  "clear",
] as const;
type Op = readonly [number, number, number, number];

function run(ops: readonly Op[], checked: boolean): void {
  const h = new core.Engine({ checked, maxBytes: 64 * 1024 * 1024 });
  const C = h.defineClass({
    name: "C",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
    ],
    dynamic: true,
  });
  // A second class whose shared keys have room for one more name (29 instances were made): its
  // instances' attributes soon move to dict objects, plain and split (src/object/sharedkeys.ts).
  const M = h.defineClass({
    name: "M",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
    ],
    dynamic: true,
  });
  for (let i = 0; i < 29; i++) core.decref(h, core.newInstance(h, M.id));
  const classes = 2;
  const ext: number[] = []; // one owned reference per entry
  const names = ["x", "y", "z"].map((s) => core.newStr(h, s));
  ext.push(...names);
  const kind = (o: number) => h.typeKind[core.typeIdOf(h, o)];
  const pick = (n: number, k?: number): number => {
    const c = k === undefined ? ext : ext.filter((o) => kind(o) === k);
    return c.length === 0 ? 0 : c[n % c.length]!;
  };
  /** A value to store: an object we hold, or a number. */
  const value = (n: number): [number, boolean] =>
    n % 3 === 0 || ext.length === 0 ? [n / 7, false] : [pick(n), true];
  const key = (n: number): [number, boolean] => (n % 2 === 0 ? [n % 5, false] : [names[n % 3]!, true]);

  for (const [code, a, b, c] of ops) {
    const op = OPS[code % OPS.length]!;
    switch (op) {
      case "instance":
        ext.push(core.newInstance(h, a % 2 === 0 ? C.id : M.id));
        break;
      case "list":
        ext.push(core.newList(h));
        break;
      case "dict":
        ext.push(core.newDict(h));
        break;
      case "tuple": {
        const n = a % 4;
        const t = core.newTuple(h, n);
        for (let i = 0; i < n; i++) core.tupleSetItem(h, t, i, ...value(b + i));
        ext.push(t);
        break;
      }
      case "str":
        ext.push(core.newStr(h, "s".repeat(a % 300)));
        break;
      case "append": {
        const l = pick(a, core.Kind.List);
        if (l) core.listAppend(h, l, ...value(b));
        break;
      }
      case "setitem": {
        const l = pick(a, core.Kind.List);
        if (l && core.listSize(h, l) > 0) core.listSetItem(h, l, c % core.listSize(h, l), ...value(b));
        break;
      }
      case "delitem": {
        const l = pick(a, core.Kind.List);
        if (l && core.listSize(h, l) > 0) core.listDelItem(h, l, c % core.listSize(h, l));
        break;
      }
      case "dictset": {
        const d = pick(a, core.Kind.Dict);
        if (d) core.dictSetItem(h, d, ...key(c), ...value(b));
        break;
      }
      case "dictdel": {
        const d = pick(a, core.Kind.Dict);
        if (d) core.dictDelItem(h, d, ...key(c));
        break;
      }
      case "setfield": {
        const o = pick(a, core.Kind.Instance);
        if (o) core.setField(h, o, c % 2, ...value(b));
        break;
      }
      case "setattr": {
        const o = pick(a, core.Kind.Instance);
        if (o) core.setAttr(h, o, names[c % 3]!, ...value(b));
        break;
      }
      case "delattr": {
        const o = pick(a, core.Kind.Instance);
        if (o) core.delAttr(h, o, names[c % 3]!);
        break;
      }
      case "dup": {
        const o = pick(a);
        if (o) {
          core.incref(h, o);
          ext.push(o);
        }
        break;
      }
      case "drop": {
        if (ext.length > names.length) {
          const i = names.length + (a % (ext.length - names.length));
          core.decref(h, ext[i]!);
          ext.splice(i, 1);
        }
        break;
      }
      case "clear": {
        const l = pick(a, core.Kind.List);
        if (l) core.listClear(h, l);
        const d = pick(b, core.Kind.Dict);
        if (d) core.dictClear(h, d);
        break;
      }
    }
    const report = core.verify(h);
    expect(report.problems).toEqual([]);
    if (checked) expect(report.externalRefs).toBe(ext.length + 5 + classes); // + None, True, False, (), gc.garbage
  }
  // Drop everything we hold: what remains is only reachable from other heap objects (cycles).
  for (const o of ext.splice(0)) core.decref(h, o);
  const end = core.verify(h);
  expect(end.problems).toEqual([]);
  if (checked) expect(end.externalRefs).toBe(5 + classes);
}

describe("random engine operations (seeded)", () => {
  it("keep invariants 1-3 after every step on a checked heap", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, true)),
      { seed: 424242, numRuns: 200 },
    );
  });

  it("keep the allocator and generation lists consistent on an unchecked heap", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, false)),
      { seed: 777, numRuns: 100 },
    );
  });
});
