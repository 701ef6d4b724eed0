/**
 * The values array (src/object/values.ts): a dynamic instance's attributes while they fit its
 * class's shared keys. Its size, its insertion order, and random setattr/delattr sequences checked
 * step by step against a model with a dict's semantics (a JS Map: a replaced value keeps its
 * place, a deleted and re-added name goes last), the verifier after every step, and the model's
 * final orders against CPython 3.11's `__dict__` for the same programs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { usableSize } from "../../src/memory/index.js";
import {
  attrsIsDict,
  attrsWord,
  dictTable,
  E_KEY,
  E_VALUE,
  entryIsLive,
  sharedKeyStr,
  tableEntry,
  tableNEntries,
  valuesBytes,
  valuesCapacity,
  valuesCount,
  valuesOrderAt,
  valuesSlot,
} from "../../src/object/index.js";
import { newHeap, python, str } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";

type Engine = core.Engine;

/** o's attributes in its own order, as [name, number] pairs (values are numbers in these tests). */
function attrs(h: Engine, o: number): [string, number][] {
  const w = attrsWord(h, o);
  const out: [string, number][] = [];
  if (w === 0) return out;
  if (attrsIsDict(w)) {
    const t = dictTable(h, w);
    if (t === 0) return out;
    for (let i = 0; i < tableNEntries(h, t); i++) {
      const e = tableEntry(h, t, i);
      if (entryIsLive(h, e))
        out.push([core.strValue(h, core.slotRef(h, e + E_KEY)), core.slotNumber(h, e + E_VALUE)]);
    }
    return out;
  }
  const id = core.typeIdOf(h, o);
  for (let j = 0; j < valuesCount(h, w); j++) {
    const ix = valuesOrderAt(h, w, j);
    out.push([core.strValue(h, sharedKeyStr(h, id, ix)), core.slotNumber(h, valuesSlot(h, w, ix))]);
  }
  return out;
}

describe("values array: size", () => {
  it("is 32 bytes for three attributes, so a plain instance with three is 64 (CPython 3.11: 96)", () => {
    const h = newHeap();
    const P = h.defineClass({ name: "P", dynamic: true });
    const names = ["a", "b", "c"].map((s) => str(h, s));
    const make = (): number => {
      const o = core.newInstance(h, P.id);
      for (const [i, n] of names.entries()) core.setAttr(h, o, n, i, false);
      return o;
    };
    const first = make(); // the class learns its names: the array grows to fit them
    const second = make(); // made knowing three names: sized once
    for (const o of [first, second]) {
      const w = attrsWord(h, o);
      expect(attrsIsDict(w)).toBe(false);
      expect(valuesCount(h, w)).toBe(3);
      expect(attrs(h, o)).toEqual([
        ["a", 0],
        ["b", 1],
        ["c", 2],
      ]);
    }
    const w = attrsWord(h, second);
    expect(valuesCapacity(h, w)).toBe(3);
    expect(valuesBytes(3)).toBe(32);
    expect(usableSize(h, w)).toBe(32);
    expect(usableSize(h, second - 8)).toBe(32); // the instance: GC head, header, attrs/weaklist words
    for (const o of [first, second]) core.decref(h, o);
    for (const n of names) core.decref(h, n);
    expectSound(h);
  });

  it("grows by reallocation when an old instance stores a name the class learned later", () => {
    const h = newHeap();
    const P = h.defineClass({ name: "P", dynamic: true });
    const [a, b] = [str(h, "a"), str(h, "b")];
    const old = core.newInstance(h, P.id);
    core.setAttr(h, old, a, 1, false);
    expect(valuesCapacity(h, attrsWord(h, old))).toBe(1);
    const other = core.newInstance(h, P.id);
    core.setAttr(h, other, b, 2, false); // the class's second name, at index 1
    expect(valuesCapacity(h, attrsWord(h, other))).toBe(2);
    core.setAttr(h, old, b, 3, false);
    expect(valuesCapacity(h, attrsWord(h, old))).toBe(2);
    expect(attrs(h, old)).toEqual([
      ["a", 1],
      ["b", 3],
    ]);
    expect(attrs(h, other)).toEqual([["b", 2]]);
    expectSound(h);
    for (const o of [old, other, a, b]) core.decref(h, o);
    expectSound(h);
  });
});

/** One step of a random program: o<i>.<name> = v, or del o<i>.<name>. */
type Op = { inst: number; name: number; del: boolean };

const NAMES = 36; // more than the 30 a class can share, so some instances materialise
const INSTANCES = 4;
const opArb = fc.record({ inst: fc.nat(INSTANCES - 1), name: fc.nat(NAMES - 1), del: fc.boolean() });
const programArb = fc.array(opArb, { minLength: 1, maxLength: 120 });

/** Runs a program on refheap, checking each step against a Map per instance; returns the final orders. */
function runProgram(ops: readonly Op[]): [string, number][][] {
  const h = newHeap();
  const C = h.defineClass({ name: "C", dynamic: true });
  const insts = Array.from({ length: INSTANCES }, () => core.newInstance(h, C.id));
  const model = insts.map(() => new Map<string, number>());
  ops.forEach((op, step) => {
    const o = insts[op.inst]!;
    const m = model[op.inst]!;
    const name = `n${op.name}`;
    const s = core.newStr(h, name);
    if (op.del) {
      expect(core.delAttr(h, o, s)).toBe(m.delete(name));
    } else {
      core.setAttr(h, o, s, step, false);
      m.set(name, step);
    }
    core.decref(h, s);
    expect(attrs(h, o)).toEqual([...m]);
    for (const [k, v] of m) expect(core.slotNumber(h, core.getAttrSlotString(h, o, k))).toBe(v);
    expectSound(h);
  });
  const orders = insts.map((o) => attrs(h, o));
  for (const o of insts) core.decref(h, o);
  expectSound(h);
  return orders;
}

/** The same program in Python: each instance's `__dict__` items at the end. */
function pyProgram(ops: readonly Op[]): string {
  const lines = [
    "class C: pass",
    `insts = [C() for _ in range(${INSTANCES})]`,
    ...ops.map((op, step) =>
      op.del
        ? `try:\n    del insts[${op.inst}].n${op.name}\nexcept AttributeError:\n    pass`
        : `insts[${op.inst}].n${op.name} = ${step}`,
    ),
    "print([[[k, v] for k, v in vars(o).items()] for o in insts])",
  ];
  return lines.join("\n");
}

describe("values array: random setattr and delattr", () => {
  it("keeps a dict's order and values through growth, deletion and materialisation (seed 4_2026)", () => {
    fc.assert(
      fc.property(programArb, (ops) => {
        runProgram(ops);
      }),
      { seed: 4_2026, numRuns: 150 },
    );
  });

  it("ends in the orders CPython 3.11's __dict__ shows for the same programs", async () => {
    const programs = fc.sample(programArb, { seed: 4_2027, numRuns: 6 });
    for (const ops of programs) {
      const ours = runProgram(ops);
      const py = JSON.parse((await python(pyProgram(ops))).replace(/'/g, '"')) as [string, number][][];
      expect(ours).toEqual(py);
    }
  });
});
