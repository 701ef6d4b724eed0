/**
 * The collector's generated passes (scripts/hot-collector.ts: update_refs, subtract_refs, the two
 * fused for full collections, move_unreachable, flat over the heap's words) against the same passes written plainly over
 * `traverse` and the word accessors, as Modules/gcmodule.c writes them. A random program builds a
 * heap of every kind (slotted instances with reference, number and host fields, instances with
 * attribute tables, user kinds with data words and items, lists, tuples that can and cannot be untracked, dicts with str and general
 * keys, weakrefs and KeyedRefs), with cycles and outside references; then each pass runs on a
 * copy of the heap's words both ways, and the words (gc_refs, links, flags, the unreachable list
 * and its order), the survivor count, the dict count and the unreachable count must come out the
 * same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { moveUnreachable, subtractRefs, updateRefs, updateSubtractRefs } from "../../src/gc/deduce.js";
import { gcListInit, gcListMerge } from "../../src/gc/lists.js";
import { read32, write32 } from "../../src/memory/index.js";
import {
  GEN0_HEAD,
  GEN1_HEAD,
  GEN2_HEAD,
  NEXT_MASK_UNREACHABLE,
  PREV_MASK,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  SCRATCH_HEADS,
  tupleCanUntrack,
} from "../../src/object/index.js";

const FLAGS = PREV_MASK_COLLECTING | PREV_MASK_FINALIZED;
const ONE_REF = 1 << PREV_SHIFT;
type H = core.Engine;

// --- the reference passes: one traverse per object, a visitor per reference ---

function refUpdateRefs(h: H, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    write32(
      h,
      g + 4,
      (read32(h, g + 4) & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING | (read32(h, g + 8) << 2),
    );
  }
}

function refSubtractRefs(h: H, head: number): void {
  for (let g = read32(h, head); g !== head; g = read32(h, g)) {
    const n = core.traverse(h, g + 8);
    const edges = Array.from(h.edges.subarray(0, n));
    for (const op of edges) {
      if (h.typeIsGc[core.typeIdOf(h, op)] === 0) continue;
      const w = read32(h, op - 4);
      if ((w & PREV_MASK_COLLECTING) !== 0) write32(h, op - 4, w - ONE_REF);
    }
  }
}

function refVisitReachable(h: H, op: number, young: number): void {
  if (h.typeIsGc[core.typeIdOf(h, op)] === 0) return;
  const g = op - 8;
  const w = read32(h, g + 4);
  if ((w & PREV_MASK_COLLECTING) === 0) return;
  const next = read32(h, g);
  if ((next & NEXT_MASK_UNREACHABLE) !== 0) {
    const prev = w & PREV_MASK;
    const nextHead = next & ~NEXT_MASK_UNREACHABLE;
    write32(h, prev, next);
    write32(h, nextHead + 4, (read32(h, nextHead + 4) & FLAGS) | prev);
    const last = read32(h, young + 4);
    write32(h, last, g);
    write32(h, g, young);
    write32(h, young + 4, g);
    write32(h, g + 4, (w & FLAGS) | ONE_REF);
  } else if (w >>> PREV_SHIFT === 0) {
    write32(h, g + 4, w | ONE_REF);
  }
}

function refMoveUnreachable(h: H, young: number, unreachable: number, survivors: boolean): number[] {
  let prev = young;
  let kept = 0;
  let dicts = 0;
  let g = read32(h, young);
  while (g !== young) {
    const w = read32(h, g + 4);
    if (w >>> PREV_SHIFT !== 0) {
      const kind = h.typeKind[core.typeIdOf(h, g + 8)];
      const n = core.traverse(h, g + 8);
      for (const op of Array.from(h.edges.subarray(0, n))) refVisitReachable(h, op, young);
      if (survivors && kind === core.Kind.Tuple && tupleCanUntrack(h, g + 8)) {
        write32(h, prev, read32(h, g));
        write32(h, g, 0);
        write32(h, g + 4, read32(h, g + 4) & PREV_MASK_FINALIZED);
      } else {
        write32(h, g + 4, (read32(h, g + 4) & PREV_MASK_FINALIZED) | prev);
        prev = g;
        kept++;
        if (kind === core.Kind.Dict) dicts++;
      }
    } else {
      write32(h, prev, read32(h, g));
      const last = read32(h, unreachable + 4);
      write32(h, last, NEXT_MASK_UNREACHABLE | g);
      write32(h, g + 4, (w & FLAGS) | last);
      write32(h, g, NEXT_MASK_UNREACHABLE | unreachable);
      write32(h, unreachable + 4, g);
    }
    g = read32(h, prev);
  }
  write32(h, young + 4, prev);
  write32(h, unreachable, read32(h, unreachable) & ~NEXT_MASK_UNREACHABLE);
  let left = 0;
  for (let u = read32(h, unreachable); u !== unreachable; u = read32(h, u) & ~NEXT_MASK_UNREACHABLE) left++;
  return [kept, dicts, left];
}

// --- random heaps ---

const OPS = [
  "inst",
  "inst",
  "dyn",
  "list",
  "tuple",
  "numtuple",
  "dict",
  "link",
  "link",
  "link",
  "drop",
  "drop",
  "weak",
  "cycle",
  "env",
  "klass",
  "kinst",
] as const;
type Op = readonly [(typeof OPS)[number], number, number];
const opsArb = fc.array(fc.tuple(fc.constantFrom(...OPS), fc.nat(1000), fc.nat(1000)), {
  minLength: 1,
  maxLength: 150,
  size: "max",
});

function build(ops: readonly Op[], checked: boolean): H {
  const h = new core.Engine({ checked });
  core.gc.disable(h);
  const P = h.defineClass({
    name: "P",
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
      { name: "n", kind: "number" },
    ],
    weakrefable: true,
  });
  const E = h.defineClass({ name: "E" });
  const Host = h.defineClass({ name: "Host", fields: [{ name: "x", kind: "host" }] });
  const D = h.defineClass({ name: "D", fields: [{ name: "a", kind: "any" }], dynamic: true });
  // A user kind: data words before its reference slots, items after them (count at +8).
  const Env = h.defineKind({ name: "Env", refs: ["parent", "f"], data: ["n", "m", "k"], items: true });
  const key = core.newStr(h, "k");
  const names = Array.from({ length: 40 }, (_, i) => (i === 0 ? key : core.newStr(h, `a${i}`)));
  // The references we hold; only these objects are surely alive, so only these are picked.
  const held: number[] = [];
  // Classes the type table let go of (dropClass): only their instances, their mro tuple and dict
  // refer to them, so a collection's set can hold all of a class's references.
  const dropped: number[] = [];
  const pick = (n: number) => held[n % held.length]!;
  const keep = (o: number) => held.push(o);
  for (const [c, a, b] of ops) {
    switch (c) {
      case "inst":
        keep(core.newInstance(h, [P, E, Host][a % 3]!.id));
        break;
      case "dyn": {
        // Attributes in a values array: one to four names from a pool larger than the shared
        // keys' budget, stored in an order of their own, so arrays differ in capacity and order,
        // some slots are numbers, and once the budget is spent instances materialise a dict.
        const o = core.newInstance(h, D.id);
        for (let i = 0; i < 1 + (a % 4); i++) {
          const name = names[(a * 7 + b * (i + 1)) % names.length]!;
          if (held.length > 0 && (a + i) % 3 !== 0) core.setAttr(h, o, name, pick(b + i), true);
          else core.setAttr(h, o, name, i, false);
        }
        keep(o);
        break;
      }
      case "list": {
        const l = core.newList(h);
        for (let i = 0; i < a % 6; i++) {
          if (held.length > 0 && (b + i) % 3 !== 0) core.listAppend(h, l, pick(b + i), true);
          else core.listAppend(h, l, i / 2, false);
        }
        keep(l);
        break;
      }
      case "tuple": {
        const n = a % 4;
        const t = core.newTuple(h, n);
        for (let i = 0; i < n; i++) {
          if (held.length > 0) core.tupleSetItem(h, t, i, pick(b + i), true);
          else core.tupleSetItem(h, t, i, i, false);
        }
        keep(t);
        break;
      }
      case "numtuple": {
        // Numbers and a str only: move_unreachable untracks it as it passes (untrack_tuples).
        const t = core.newTuple(h, 2);
        core.tupleSetItem(h, t, 0, a, false);
        core.tupleSetItem(h, t, 1, key, true);
        keep(t);
        break;
      }
      case "dict": {
        const d = core.newDict(h);
        if (held.length > 0) {
          if (a % 2 === 0) core.dictSetItem(h, d, key, true, pick(b), true);
          else {
            // An instance key (hashed by identity) makes a general table, whose keys are visited.
            const ks = held.filter((o) => h.typeKind[core.typeIdOf(h, o)] === core.Kind.Instance);
            if (ks.length > 0) core.dictSetItem(h, d, ks[b % ks.length]!, true, pick(a), true);
          }
        }
        keep(d);
        break;
      }
      case "link": {
        if (held.length === 0) break;
        const o = pick(a);
        const v = pick(b);
        const kind = h.typeKind[core.typeIdOf(h, o)];
        if (o === v && kind !== core.Kind.Instance) break;
        if (core.typeIdOf(h, o) === P.id) core.setField(h, o, b % 2, v, true);
        else if (core.typeIdOf(h, o) === Env.id && core.objectSize(h, o) > 0)
          core.objectSetItem(h, o, b % core.objectSize(h, o), v, true);
        else if (kind === core.Kind.List) core.listAppend(h, o, v, true);
        else if (kind === core.Kind.Dict) core.dictSetItem(h, o, key, true, v, true);
        else if (core.typeIdOf(h, o) === D.id) core.setAttr(h, o, key, v, true);
        break;
      }
      case "cycle": {
        // Garbage: two instances that refer to each other (and maybe to something we hold).
        const x = core.newInstance(h, P.id);
        const y = core.newInstance(h, D.id);
        core.setField(h, x, 0, y, true);
        core.setField(h, y, 0, x, true);
        if (held.length > 0) core.setField(h, x, 1, pick(b), true);
        if (a % 3 === 0) keep(core.weakref.newRef(h, x, null));
        core.decref(h, x);
        core.decref(h, y);
        break;
      }
      case "drop":
        // Ours goes; the object lives on only if the heap refers to it (maybe only from a cycle).
        if (held.length > 0) core.decref(h, held.splice(a % held.length, 1)[0]!);
        break;
      case "env": {
        // A user kind's object: its reference slots and items (references and numbers), data words
        // that may hold an object's address (never a reference), sometimes in a cycle through itself.
        const o = core.newObject(h, Env.id, a % 5);
        core.setData(h, o, 0, held.length > 0 ? pick(b) : a);
        for (let i = 0; i < a % 5; i++) {
          if (held.length > 0 && (b + i) % 3 !== 0) core.objectSetItem(h, o, i, pick(b + i), true);
          else core.objectSetItem(h, o, i, i / 2, false);
        }
        if (held.length > 0) core.setField(h, o, 0, pick(a + b), true);
        if (b % 2 === 0) core.setField(h, o, 1, o, true);
        keep(o);
        break;
      }
      case "klass": {
        // A class defined, given an instance or two (held, or a garbage pair), then dropped: its
        // type object comes before those instances in the generation, after any made later.
        const K = h.defineClass({ name: `K${dropped.length}`, fields: [{ name: "a", kind: "any" }] });
        const x = core.newInstance(h, K.id);
        if (a % 2 === 0) {
          if (held.length > 0 && b % 2 === 0) core.setField(h, x, 0, pick(b), true);
          keep(x);
        } else {
          const y = core.newInstance(h, K.id);
          core.setField(h, x, 0, y, true);
          core.setField(h, y, 0, x, true);
          core.decref(h, x);
          core.decref(h, y);
        }
        core.dropClass(h, K.id);
        dropped.push(K.id);
        break;
      }
      case "kinst": {
        // An instance of a dropped class, after its type object (and maybe after other classes').
        if (dropped.length === 0) break;
        const x = core.newInstance(h, dropped[a % dropped.length]!);
        if (held.length > 0) core.setField(h, x, 0, pick(b), true);
        if (b % 3 !== 0) keep(x);
        else core.decref(h, x);
        break;
      }
      case "weak": {
        const ps = held.filter((o) => core.typeIdOf(h, o) === P.id);
        if (ps.length > 0) keep(core.weakref.newRef(h, ps[a % ps.length]!, null));
        break;
      }
    }
  }
  return h;
}

/** Runs `pass` on a copy of the heap's words; returns the words after and what the pass returned. */
function after<T>(h: H, words: Int32Array, pass: () => T): [Int32Array, T] {
  h.i32.set(words);
  const r = pass();
  return [h.i32.slice(), r];
}

function expectSameWords(a: Int32Array, b: Int32Array, what: string): void {
  const i = a.findIndex((x, k) => x !== b[k]);
  if (i >= 0) expect.fail(`${what}: the words differ first at 0x${(4 * i).toString(16)}: ${a[i]} vs ${b[i]}`);
}

function compare(h: H, survivors: boolean): void {
  // A full collection's set: every generation spliced onto the oldest, as collectMain merges them
  // (the permanent generation is empty), so the fused pass may assume every tracked object is in it.
  gcListMerge(h, GEN0_HEAD, GEN2_HEAD);
  gcListMerge(h, GEN1_HEAD, GEN2_HEAD);
  const young = GEN2_HEAD;
  const unreachable = SCRATCH_HEADS;
  const start = h.i32.slice();
  const [u1] = after(h, start, () => updateRefs(h, young));
  const [u2] = after(h, start, () => refUpdateRefs(h, young));
  expectSameWords(u1, u2, "update_refs");
  const [s1] = after(h, u1, () => subtractRefs(h, young));
  const [s2] = after(h, u1, () => refSubtractRefs(h, young));
  expectSameWords(s1, s2, "subtract_refs");
  const [f1] = after(h, start, () => updateSubtractRefs(h, young));
  expectSameWords(f1, s2, "update_refs and subtract_refs fused");
  const [m1, r1] = after(h, s1, () => {
    gcListInit(h, unreachable);
    return [moveUnreachable(h, young, unreachable, survivors), h.gcDictSurvivors, h.gcUnreachable];
  });
  const [m2, r2] = after(h, s1, () => {
    gcListInit(h, unreachable);
    return refMoveUnreachable(h, young, unreachable, survivors);
  });
  expectSameWords(m1, m2, "move_unreachable");
  expect(r1).toEqual(r2);
}

describe("the collector's generated passes", () => {
  it("leave the heap's words as the passes over traverse do, on random heaps (seeded)", () => {
    let unreachableSeen = 0;
    fc.assert(
      fc.property(opsArb, fc.boolean(), fc.boolean(), (ops, checked, survivors) => {
        const h = build(ops, checked);
        compare(h, survivors);
        if (read32(h, SCRATCH_HEADS) !== SCRATCH_HEADS) unreachableSeen++;
      }),
      { seed: 16_2027, numRuns: 200 },
    );
    // The programs do make garbage cycles, so the unreachable list's order is compared too.
    expect(unreachableSeen).toBeGreaterThan(20);
  });
});
