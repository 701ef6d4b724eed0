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
  "kobject",
  "kitem",
  "kdata",
  "kkey",
  "klass",
  "dinstance",
  "classattr",
  "classdel",
  "function",
  "loadattr",
  "dropclass",
  "collect",
] as const;
type Op = readonly [number, number, number, number];

/** How many D classes the runs saw freed, and bound methods made: the class ops are exercised. */
const seen = { freedClasses: 0, methods: 0, builtinSubclasses: 0 };

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
  // A user kind: two reference slots, a data word it hashes and compares by, and items. Its eq
  // hook, when `hostile` names a dict, first deletes a key of that dict (lookdict restarts).
  let hostile = 0;
  const K = h.defineKind({
    name: "K",
    refs: ["p", "q"],
    data: ["v"],
    items: true,
    hash: (o) => core.getData(h, o, 0) % 4,
    eq: (o, other, isRef) => {
      if (hostile !== 0) {
        const d = hostile;
        hostile = 0;
        core.dictDelItem(h, d, 1, false);
        core.dictDelItem(h, d, names[1]!, true);
      }
      return isRef && core.typeIdOf(h, other) === K.id && core.getData(h, other, 0) === core.getData(h, o, 0);
    },
  });
  // Classes as heap objects: a function kind that binds, and a family of classes D0, D1, … (each
  // maybe a subclass of a live one) that get class attributes and are dropped.
  const F = h.defineKind({ name: "function", refs: ["env"], weakrefable: true, bind: true, call: () => 0 });
  const dclasses: core.TypeInfo[] = [h.defineClass({ name: "D0", fields: [{ name: "r", kind: "any" }] })];
  const liveClass = (n: number): core.TypeInfo | undefined => {
    const c = dclasses.filter((d) => h.typeObject[d.id] !== 0);
    return c.length === 0 ? undefined : c[n % c.length];
  };
  /** The references the type table holds: one per class it has not let go of. */
  const tableRefs = (): number => {
    let n = 0;
    for (let id = 12; id < h.types.length; id++)
      if (h.types[id] !== undefined && h.typeObject[id] !== 0 && h.typeDropped[id] !== 1) n++;
    return n;
  };
  const attrNames = ["x", "y", "z", "r"];
  const ext: number[] = []; // one owned reference per entry
  const names = ["x", "y", "z"].map((s) => core.newStr(h, s));
  ext.push(...names);
  const kind = (o: number) => h.typeKind[core.typeIdOf(h, o)];
  const ofType = (n: number, ...ids: number[]): number => {
    const c = ext.filter((o) => ids.includes(core.typeIdOf(h, o)));
    return c.length === 0 ? 0 : c[n % c.length]!;
  };
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
        const [v, isRef] = value(b);
        const id = o === 0 ? 0 : core.typeIdOf(h, o);
        // A user kind's reference slots hold objects only; a method's slots are not the program's.
        const nf = o === 0 || id === core.METHOD_TYPE ? 0 : (h.types[id] as core.TypeInfo).fields.length;
        if (nf > 0 && (isRef || (id !== K.id && id !== F.id))) core.setField(h, o, c % nf, v, isRef);
        break;
      }
      case "setattr": {
        const o = ofType(a, C.id, M.id);
        if (o) core.setAttr(h, o, names[c % 3]!, ...value(b));
        break;
      }
      case "delattr": {
        const o = ofType(a, C.id, M.id);
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
      case "kobject": {
        const o = core.newObject(h, K.id, a % 4);
        core.setData(h, o, 0, b % 6);
        ext.push(o);
        break;
      }
      case "kitem": {
        const o = ofType(a, K.id);
        if (o && core.objectSize(h, o) > 0) core.objectSetItem(h, o, c % core.objectSize(h, o), ...value(b));
        break;
      }
      case "kdata": {
        const o = ofType(a, K.id);
        if (o) core.setData(h, o, 0, b % 6);
        break;
      }
      case "kkey": {
        // A K key: equal K objects share an entry; sometimes the probe's eq mutates the dict.
        const d = pick(a, core.Kind.Dict);
        const k = ofType(c, K.id);
        if (d && k) {
          if (b % 4 === 0) hostile = d;
          if (b % 3 === 0) core.dictDelItem(h, d, k, true);
          else core.dictSetItem(h, d, k, true, ...value(b));
          hostile = 0;
        }
        break;
      }
      case "klass": {
        // Sometimes a subclass of list, dict or ref (its instances are of that kind).
        const builtin = [core.Kind.List, core.Kind.Dict, core.Kind.Weakref][b % 3]!;
        const base = a % 2 === 0 ? liveClass(b) : a % 3 === 0 ? builtin : undefined;
        const n = dclasses.length;
        dclasses.push(
          h.defineClass({
            name: `D${n}`,
            fields: [{ name: `f${n}`, kind: "any" }],
            ...(base !== undefined && { base }),
            ...(c % 3 === 0 && { weakrefable: true }),
          }),
        );
        break;
      }
      case "dinstance": {
        const d = liveClass(a);
        if (d !== undefined) {
          let o = 0;
          if (d.kind === core.Kind.Weakref) {
            // R(x): a subclass of ref needs a weakrefable referent
            const x = ext.find((y, i) => i >= c % (ext.length + 1) && core.weakref.isWeakrefable(h, y));
            if (x !== undefined) o = core.weakref.newRef(h, x, null, d.id);
          } else {
            o = core.newInstance(h, d.id);
          }
          if (o !== 0) {
            core.setField(h, o, 0, ...value(b));
            if (d.kind !== core.Kind.Instance) seen.builtinSubclasses++;
            ext.push(o);
          }
        }
        break;
      }
      case "classattr": {
        const d = liveClass(a);
        if (d !== undefined) core.classSetAttr(h, d.id, names[c % 3]!, ...value(b));
        break;
      }
      case "classdel": {
        const d = liveClass(a);
        if (d !== undefined) core.classDelAttr(h, d.id, attrNames[c % 3]!);
        break;
      }
      case "function": {
        const f = core.newObject(h, F.id);
        const [v, isRef] = value(b);
        if (isRef) core.setField(h, f, 0, v, true);
        ext.push(f);
        break;
      }
      case "loadattr": {
        const o = pick(a, core.Kind.Instance);
        if (o) {
          try {
            const v = core.loadAttr(h, o, attrNames[c % 4]!);
            if (v !== 0) ext.push(v);
            if (v !== 0 && core.isMethod(h, v)) seen.methods++;
          } catch (error) {
            if (!(error instanceof core.HeapTypeError)) throw error; // a number in the slot
          }
        }
        break;
      }
      case "dropclass": {
        const d = liveClass(a);
        if (d !== undefined && h.typeDropped[d.id] !== 1) core.dropClass(h, d.id);
        break;
      }
      case "collect":
        core.gc.collect(h);
        break;
    }
    const report = core.verify(h);
    expect(report.problems).toEqual([]);
    // + None, True, False, (), gc.garbage, and the type table's references
    if (checked) expect(report.externalRefs).toBe(ext.length + 5 + tableRefs());
  }
  // Drop everything we hold: what remains is only reachable from other heap objects (cycles).
  for (const o of ext.splice(0)) core.decref(h, o);
  core.gc.collect(h);
  seen.freedClasses += dclasses.filter((d) => h.typeObject[d.id] === 0).length;
  const end = core.verify(h);
  expect(end.problems).toEqual([]);
  if (checked) expect(end.externalRefs).toBe(5 + tableRefs());
}

describe("random engine operations (seeded)", () => {
  it("keep invariants 1-3 after every step on a checked heap", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, true)),
      { seed: 424242, numRuns: 200 },
    );
    expect(seen.freedClasses).toBeGreaterThan(0);
    expect(seen.methods).toBeGreaterThan(0);
    expect(seen.builtinSubclasses).toBeGreaterThan(0);
  });

  it("keep the allocator and generation lists consistent on an unchecked heap", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, false)),
      { seed: 777, numRuns: 100 },
    );
  });
});
