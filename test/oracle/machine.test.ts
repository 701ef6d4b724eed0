/**
 * The CPython machinery the refheap runner mirrors (src/oracle/machine.ts): code warmup and the
 * generic UNPACK_SEQUENCE, and the locals of a frame whose object an exception takes along.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { Code, Machine, type PyFrame } from "../../src/oracle/machine.js";
import { PyError } from "../../src/oracle/pyerror.js";
import { expectSound } from "../helpers.js";

function machine(): { e: core.Engine; m: Machine } {
  const e = new core.Engine();
  return { e, m: new Machine(e, e.defineClass({ name: "object" }).id) };
}

/** How many automatic collections `fn` starts, with the threshold at 1 and count 1 before it. */
function collectionsDuring(e: core.Engine, cls: number, fn: () => void): number {
  core.gc.collect(e, 0);
  core.gc.setThreshold(e, 1);
  const keep = core.newInstance(e, cls); // count 1
  const total = (): number => core.gc.getStats(e).reduce((n, s) => n + s.collections, 0);
  const before = total();
  fn();
  const after = total();
  core.gc.setThreshold(e, 700);
  core.decref(e, keep);
  return after - before;
}

describe("Code: CPython 3.11's warmup (_PyCode_Warmup)", () => {
  it("is quickened by its eighth RESUME or JUMP_BACKWARD, not before", () => {
    const c = new Code();
    c.tick(7);
    expect(c.quickened).toBe(false);
    c.tick();
    expect(c.quickened).toBe(true);
  });

  it("unpacks through an allocated iterator until quickened (measured: popitem's first 7 calls)", () => {
    const { e, m } = machine();
    const cls = e.defineClass({ name: "K" }).id;
    const code = new Code();
    const starts: number[] = [];
    for (let call = 0; call < 9; call++) {
      code.tick(); // RESUME
      starts.push(collectionsDuring(e, cls, () => m.unpack(code)));
    }
    expect(starts).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(core.gc.getCount(e)[0]).toBe(0);
    expectSound(e);
  });
});

describe("frame locals", () => {
  it("a returning frame frees its object, then its locals in order", () => {
    const { e, m } = machine();
    const order: string[] = [];
    const frame: PyFrame = { obj: 0, clearLocals: () => order.push("locals") };
    m.call(() => {
      m.materialise(frame);
      order.push(`obj ${frame.obj > 0}`);
    }, frame);
    expect(order).toEqual(["obj true", "locals"]);
    expect(frame.obj).toBe(0);
    expectSound(e);
  });

  it("an exception's frame object keeps the locals until the exception dies", () => {
    const { e, m } = machine();
    const cls = e.defineClass({ name: "L" }).id;
    const local = core.newInstance(e, cls);
    const freed: number[] = [];
    const frame: PyFrame = {
      obj: 0,
      clearLocals: () => {
        freed.push(local);
        core.decref(e, local);
      },
    };
    let caught: PyError | null = null;
    m.call(() => {
      try {
        m.call(() => {
          throw m.raise(new PyError("KeyError", "'k'", "late"));
        }, frame);
      } catch (err) {
        if (!(err instanceof PyError)) throw err;
        caught = err;
      }
    });
    const err = caught as PyError | null;
    expect(err).not.toBeNull();
    expect(freed).toEqual([]); // held by the traceback's frame object
    expect(core.getrefcount(e, local)).toBe(1);
    m.catch(err!);
    expect(freed).toEqual([]);
    m.release(err!);
    expect(freed).toHaveLength(1);
    expectSound(e);
  });
});
