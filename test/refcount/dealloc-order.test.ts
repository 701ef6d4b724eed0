/**
 * Deallocation order: each expectation below is what CPython 3.11.7 prints for the same
 * program (each type's tp_dealloc and the trashcan, Include/cpython/object.h
 * Py_TRASHCAN_BEGIN; the programs are quoted beside each test).
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { appendOwned, expectSound, recordingHeap } from "../helpers.js";

describe("child release order", () => {
  it("list items last to first: `del [X(0), X(1), X(2)]` → 2, 1, 0", () => {
    const { h, order, x } = recordingHeap();
    const l = core.newList(h);
    for (let i = 0; i < 3; i++) appendOwned(h, l, x(i));
    core.decref(h, l);
    expect(order).toEqual([2, 1, 0]);
    expectSound(h);
  });

  it("tuple items last to first: `del (X(0), X(1), X(2))` → 2, 1, 0", () => {
    const { h, order, x } = recordingHeap();
    const t = core.newTuple(h, 3);
    for (let i = 0; i < 3; i++) {
      const o = x(i);
      core.tupleSetItem(h, t, i, o, true);
      core.decref(h, o);
    }
    core.decref(h, t);
    expect(order).toEqual([2, 1, 0]);
  });

  it("dict entries in insertion order, key before value: `{X('k1'): X('v1'), X('k2'): X('v2')}`", () => {
    const { h, order, x } = recordingHeap();
    const d = core.newDict(h);
    for (const n of [1, 2]) {
      const k = x(`k${n}`);
      const v = x(`v${n}`);
      core.dictSetItem(h, d, k, true, v, true);
      core.decref(h, k);
      core.decref(h, v);
    }
    core.decref(h, d);
    expect(order).toEqual(["k1", "v1", "k2", "v2"]);
    expectSound(h);
  });

  it("declared fields in alphabetical order, like __slots__ = ('zeta', 'alpha', 'mid')", () => {
    const { h, order, x } = recordingHeap();
    const S = h.defineClass({
      name: "S",
      fields: [
        { name: "zeta", kind: "ref" },
        { name: "alpha", kind: "ref" },
        { name: "mid", kind: "ref" },
      ],
    });
    expect(S.fields.map((f) => f.name)).toEqual(["alpha", "mid", "zeta"]);
    const s = core.newInstance(h, S.id);
    for (const name of ["zeta", "alpha", "mid"]) {
      const o = x(name);
      core.setField(h, s, S.fieldIndex.get(name)!, o, true);
      core.decref(h, o);
    }
    core.decref(h, s);
    expect(order).toEqual(["alpha", "mid", "zeta"]);
  });

  it("dynamic attributes in shared-key order (here the insertion order): p.b, p.a, p.c → b, a, c", () => {
    const { h, order, x } = recordingHeap();
    const P = h.defineClass({ name: "P", dynamic: true });
    const p = core.newInstance(h, P.id);
    for (const name of ["b", "a", "c"]) {
      const key = core.newStr(h, name);
      const o = x(name);
      core.setAttr(h, p, key, o, true);
      core.decref(h, o);
      core.decref(h, key);
    }
    core.decref(h, p);
    expect(order).toEqual(["b", "a", "c"]);
    expectSound(h);
  });
});

describe("the trashcan", () => {
  // CPython 3.11.7:
  //   l = None
  //   for i in reversed(range(200)): l = [X(i), l]
  //   del l
  const CPYTHON_NESTED_LISTS = [
    ...range(48, -1),
    49,
    ...range(97, 49),
    98,
    ...range(146, 98),
    147,
    ...range(195, 147),
    196,
    199,
    198,
    197,
  ];

  it("defers past 50 levels and reproduces CPython's finalizer order for 200 nested lists", () => {
    const { h, order, x } = recordingHeap();
    let l = core.NONE;
    core.incref(h, l);
    for (let i = 199; i >= 0; i--) {
      const next = core.newList(h);
      appendOwned(h, next, x(i));
      core.listAppend(h, next, l, true);
      core.decref(h, l);
      l = next;
    }
    core.decref(h, l);
    expect(order).toEqual(CPYTHON_NESTED_LISTS);
    expectSound(h);
  });

  it("keeps a linked chain of instances in perfect order 0..199", () => {
    const { h, order } = recordingHeap();
    const N = h.defineClass({
      name: "N",
      fields: [
        { name: "i", kind: "number" },
        { name: "nxt", kind: "ref" },
      ],
      finalize: (o) => order.push(core.slotNumber(h, core.fieldItemSlot(h, o, 0))),
    });
    let head = 0;
    for (let i = 199; i >= 0; i--) {
      const n = core.newInstance(h, N.id);
      core.setField(h, n, 0, i, false);
      if (head !== 0) {
        core.setField(h, n, 1, head, true);
        core.decref(h, head);
      }
      head = n;
    }
    core.decref(h, head);
    expect(order).toEqual([...range(0, 200)]);
  });
});

/** Integers from `from` toward `to` (exclusive), stepping by ±1. */
function range(from: number, to: number): number[] {
  const out: number[] = [];
  if (from <= to) for (let i = from; i < to; i++) out.push(i);
  else for (let i = from; i > to; i--) out.push(i);
  return out;
}
