/**
 * CPython 3.11's Lib/test/test_finalization.py (PEP 442), test by test, on the engine API.
 *
 * The harness mirrors the CPython file's: every test object records its address in `delCalls`
 * when its finalizer (`__del__`) runs and in `tpDelCalls` when its legacy finalizer (`tp_del`,
 * `_testcapi.with_tp_del`) runs, checks it is sane (its links intact, as `check_sanity`), then
 * runs its side effect: resurrect itself into the heap list `survivors`, or break its own
 * cycle. Errors are collected and must be none. The collector is disabled (support.disable_gc);
 * at the end the harness sets `cleaning`, empties `survivors` and `gc.garbage` and collects
 * (`SimpleBase._cleanup`), and the heap is verified.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { drop, listRefs, newHeap, settle } from "../gc/gc-helpers.js";
import { expectSound } from "../helpers.js";

const { newRef, weakrefGet } = core.weakref;

type Shape = "plain" | "self" | "chain";
type SideEffect = "none" | "resurrect" | "suicide";

interface ClassOptions {
  readonly shape: Shape;
  readonly side: SideEffect;
  /** A legacy finalizer (tp_del) runs the side effect; __del__ only records and checks. */
  readonly legacy?: boolean;
  /** NonGC / NonGCResurrector: no id_, no fields, not weakrefable. */
  readonly bare?: boolean;
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`check_sanity: ${what}`);
}

/** SimpleBase and its subclasses on a checked engine with the collector disabled. */
function finalizationHeap() {
  const h = newHeap();
  settle(h);
  const delCalls: number[] = [];
  const tpDelCalls: number[] = [];
  const errors: unknown[] = [];
  const survivors = core.newList(h);
  let cleaning = false;

  const info = (o: number) => h.types[core.typeIdOf(h, o)] as core.TypeInfo;
  const index = (o: number, name: string) => info(o).fieldIndex.get(name)!;
  /** o.name: an object address (None is core.NONE) or a number. */
  const get = (o: number, name: string): number => {
    const p = core.fieldItemSlot(h, o, index(o, name));
    return core.slotIsRef(h, p) ? core.slotRef(h, p) : core.slotNumber(h, p);
  };
  const set = (o: number, name: string, v: number, isRef: boolean) =>
    core.setField(h, o, index(o, name), v, isRef);
  const isSuicided = (o: number) => get(o, "suicided") === 1;

  function checkSanity(o: number, shape: Shape): void {
    check(get(o, "id_") === o, "self.id_ == id(self)");
    if (shape === "self") check(get(o, "ref") === o, "self.ref is self");
    if (shape === "chain") {
      if (isSuicided(o)) {
        check(get(o, "left") === core.NONE && get(o, "right") === core.NONE, "a suicided node has no links");
      } else {
        const left = get(o, "left");
        check(get(left, "right") === (isSuicided(left) ? core.NONE : o), "left.right");
        const right = get(o, "right");
        check(get(right, "left") === (isSuicided(right) ? core.NONE : o), "right.left");
      }
    }
  }

  function sideEffect(o: number, shape: Shape, side: SideEffect): void {
    if (side === "resurrect") core.listAppend(h, survivors, o, true);
    if (side === "suicide" && shape === "self") set(o, "ref", core.NONE, true);
    if (side === "suicide" && shape === "chain") {
      set(o, "suicided", 1, false);
      set(o, "left", core.NONE, true);
      set(o, "right", core.NONE, true);
    }
  }

  function defineClass(name: string, opts: ClassOptions): core.TypeInfo {
    const fields: core.FieldSpec[] = [];
    if (!opts.bare) fields.push({ name: "id_", kind: "number" });
    if (opts.shape === "self") fields.push({ name: "ref", kind: "any" });
    if (opts.shape === "chain") {
      fields.push(
        { name: "left", kind: "any" },
        { name: "right", kind: "any" },
        { name: "suicided", kind: "number" },
      );
    }
    const run = (o: number, calls: number[], withSideEffect: boolean) => {
      try {
        if (!cleaning) {
          calls.push(o);
          if (!opts.bare) checkSanity(o, opts.shape);
          if (withSideEffect) sideEffect(o, opts.shape, opts.side);
        }
      } catch (e) {
        errors.push(e);
      }
    };
    return h.defineClass({
      name,
      fields,
      weakrefable: !opts.bare,
      finalize: (o) => run(o, delCalls, !opts.legacy),
      ...(opts.legacy ? { legacyFinalize: (o: number) => run(o, tpDelCalls, true) } : {}),
    });
  }

  /** cls(): a new instance (refcount 1) with id_ set and, for a self-cycle, self.ref = self. */
  function make(cls: core.TypeInfo): number {
    const o = core.newInstance(h, cls.id);
    if (cls.fieldIndex.has("id_")) set(o, "id_", o, false);
    if (cls.fieldIndex.has("ref")) set(o, "ref", o, true);
    return o;
  }

  /** ChainedBase.chain: self.suicided = False; self.left = left; left.right = self. */
  function chain(o: number, left: number): void {
    set(o, "suicided", 0, false);
    set(o, "left", left, true);
    set(left, "right", o, true);
  }

  const survivorIds = () => sorted(listRefs(h, survivors));
  const garbageSize = () => core.listSize(h, h.garbage);

  /**
   * The end of `with SimpleBase.test()` (no errors; _cleanup), then TestBase.tearDown for the
   * non-legacy tests (gc.garbage stayed empty), then `after` (the checks a test makes after its
   * `with` block), then the weakrefs are released and the heap is verified.
   */
  function finish(weakrefs: readonly number[], after?: () => void, expectEmptyGarbage = true): void {
    expect(errors).toEqual([]);
    cleaning = true;
    core.listClear(h, survivors);
    core.listClear(h, h.garbage);
    core.gc.collect(h);
    if (expectEmptyGarbage) expect(garbageSize()).toBe(0);
    after?.();
    drop(h, ...weakrefs, survivors);
    core.gc.collect(h);
    expectSound(h);
  }

  return {
    h,
    delCalls,
    tpDelCalls,
    survivors,
    errors,
    defineClass,
    make,
    chain,
    survivorIds,
    garbageSize,
    finish,
    deref: (wr: number) => weakrefGet(h, wr),
    clearSurvivors: () => core.listClear(h, survivors),
  };
}

describe("SimpleFinalizationTest", () => {
  it("test_simple: a plain object's __del__ runs once (refcount death); its weakref is dead; a second collection calls nothing", () => {
    const t = finalizationHeap();
    const Simple = t.defineClass("Simple", { shape: "plain", side: "none" });
    const s = t.make(Simple);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    t.finish([wr]);
  });

  it("test_simple_resurrect: __del__ resurrects at refcount death, the weakref still reads the object; the second death runs no __del__ and kills the weakref", () => {
    const t = finalizationHeap();
    const SimpleResurrector = t.defineClass("SimpleResurrector", { shape: "plain", side: "resurrect" });
    const s = t.make(SimpleResurrector);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual(ids);
    expect(t.deref(wr)).toBe(s);
    t.clearSurvivors();
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    t.finish([wr]);
  });

  it("test_non_gc: an object the collector does not track has its __del__ run once at refcount death, and never again", () => {
    const t = finalizationHeap();
    const NonGC = t.defineClass("NonGC", { shape: "plain", side: "none", bare: true });
    const s = core.newInstance(t.h, NonGC.id);
    core.gcUntrack(t.h, s); // refheap has no non-GC classes: an untracked instance stands in
    expect(core.gc.isTracked(t.h, s)).toBe(false);
    const ids = [s];
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    t.finish([]);
  });
});

describe("SelfCycleFinalizationTest", () => {
  it("test_simple: a self-cycle is finalized once by the collector and freed; its weakref is dead", () => {
    const t = finalizationHeap();
    const SimpleSelfCycle = t.defineClass("SimpleSelfCycle", { shape: "self", side: "none" });
    const s = t.make(SimpleSelfCycle);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    expect(t.delCalls).toEqual([]);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    t.finish([wr]);
  });

  it("test_simple_resurrect: __del__ resurrects a self-cycle after its weakref was cleared; the next collection frees it without a second __del__", () => {
    const t = finalizationHeap();
    const SelfCycleResurrector = t.defineClass("SelfCycleResurrector", { shape: "self", side: "resurrect" });
    const s = t.make(SelfCycleResurrector);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual(ids);
    expect(t.deref(wr)).toBe(core.NONE); // "XXX is this desirable?"
    t.clearSurvivors();
    expect(core.gc.collect(t.h)).toBe(1);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    t.finish([wr]);
  });

  it("test_simple_suicide: a self-cycle whose __del__ drops its own last reference is finalized once and freed", () => {
    const t = finalizationHeap();
    const SuicidalSelfCycle = t.defineClass("SuicidalSelfCycle", { shape: "self", side: "suicide" });
    const s = t.make(SuicidalSelfCycle);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    t.finish([wr]);
  });
});

describe("CycleChainFinalizationTest", () => {
  type Node = "SimpleChained" | "ChainedResurrector" | "SuicidalChained";

  function chainHeap() {
    const t = finalizationHeap();
    const classes: Record<Node, core.TypeInfo> = {
      SimpleChained: t.defineClass("SimpleChained", { shape: "chain", side: "none" }),
      ChainedResurrector: t.defineClass("ChainedResurrector", { shape: "chain", side: "resurrect" }),
      SuicidalChained: t.defineClass("SuicidalChained", { shape: "chain", side: "suicide" }),
    };
    /** build_chain: nodes[i].chain(nodes[i-1]) for every i (nodes[-1] is the last). */
    const buildChain = (kinds: readonly Node[]) => {
      const nodes = kinds.map((k) => t.make(classes[k]));
      nodes.forEach((n, i) => {
        t.chain(n, nodes.at(i - 1)!);
      });
      return nodes;
    };
    return { t, buildChain };
  }

  function checkNonResurrectingChain(kinds: readonly Node[]): void {
    const { t, buildChain } = chainHeap();
    const nodes = buildChain(kinds);
    const ids = sorted(nodes);
    const wrs = nodes.map((s) => newRef(t.h, s));
    drop(t.h, ...nodes);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(wrs.map(t.deref)).toEqual(kinds.map(() => core.NONE));
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    t.finish(wrs);
  }

  function checkResurrectingChain(kinds: readonly Node[]): void {
    const { t, buildChain } = chainHeap();
    const nodes = buildChain(kinds);
    const ids = sorted(nodes);
    const survivorIds = sorted(nodes.filter((_, i) => kinds[i] === "ChainedResurrector"));
    const wrs = nodes.map((s) => newRef(t.h, s));
    drop(t.h, ...nodes);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual(survivorIds);
    expect(wrs.map(t.deref)).toEqual(kinds.map(() => core.NONE)); // "XXX desirable?"
    t.clearSurvivors();
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    t.finish(wrs);
  }

  const S: Node = "SimpleChained";
  const R: Node = "ChainedResurrector";
  const X: Node = "SuicidalChained";

  it("test_homogenous: a 3-cycle of SimpleChained is finalized once each and freed; every weakref dead", () => {
    checkNonResurrectingChain([S, S, S]);
  });

  it("test_homogenous_resurrect: a 3-cycle of ChainedResurrector: all finalized, all resurrected, weakrefs dead; then freed without a second __del__", () => {
    checkResurrectingChain([R, R, R]);
  });

  it("test_homogenous_suicidal: a 3-cycle whose members clear both links in __del__ is finalized once each and freed", () => {
    checkNonResurrectingChain([X, X, X]);
  });

  it("test_heterogenous_suicidal_one: [Suicidal, Simple] * 2 is finalized once each and freed", () => {
    checkNonResurrectingChain([X, S, X, S]);
  });

  it("test_heterogenous_suicidal_two: [Suicidal] * 2 + [Simple] * 2 is finalized once each and freed", () => {
    checkNonResurrectingChain([X, X, S, S]);
  });

  it("test_heterogenous_resurrect_one: [Resurrector, Simple] * 2: all finalized, the resurrectors survive, weakrefs dead; then freed", () => {
    checkResurrectingChain([R, S, R, S]);
  });

  it("test_heterogenous_resurrect_two: [Resurrector, Simple, Suicidal] * 2: all finalized, the resurrectors survive, weakrefs dead; then freed", () => {
    checkResurrectingChain([R, S, X, R, S, X]);
  });

  it("test_heterogenous_resurrect_three: [Resurrector] * 2 + [Simple] * 2 + [Suicidal] * 2: all finalized, the resurrectors survive; then freed", () => {
    checkResurrectingChain([R, R, S, S, X, X]);
  });
});

describe("LegacyFinalizationTest", () => {
  it("test_legacy: at refcount death both __del__ and tp_del run once and the weakref dies; a collection calls neither again", () => {
    const t = finalizationHeap();
    const Legacy = t.defineClass("Legacy", { shape: "plain", side: "none", legacy: true });
    const s = t.make(Legacy);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(sorted(t.tpDelCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual([]);
    expect(t.deref(wr)).toBe(core.NONE);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(sorted(t.tpDelCalls)).toEqual(ids);
    t.finish([wr]);
  });

  it("test_legacy_resurrect: tp_del resurrects after the weakref was cleared; at the second death tp_del runs (and resurrects) again but __del__ does not", () => {
    const t = finalizationHeap();
    const LegacyResurrector = t.defineClass("LegacyResurrector", {
      shape: "plain",
      side: "resurrect",
      legacy: true,
    });
    const s = t.make(LegacyResurrector);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(sorted(t.tpDelCalls)).toEqual(ids);
    expect(t.survivorIds()).toEqual(ids);
    expect(t.deref(wr)).toBe(core.NONE); // weakrefs are cleared before tp_del is called
    t.clearSurvivors();
    core.gc.collect(t.h);
    expect(sorted(t.delCalls)).toEqual(ids);
    expect(sorted(t.tpDelCalls)).toEqual([s, s]);
    expect(t.survivorIds()).toEqual(ids);
    t.finish([wr], () => expect(t.deref(wr)).toBe(core.NONE));
  });

  it("test_legacy_self_cycle: a self-cycle with a legacy finalizer goes to gc.garbage, neither finalizer runs and its weakref stays alive; breaking the cycle frees it", () => {
    const t = finalizationHeap();
    const LegacySelfCycle = t.defineClass("LegacySelfCycle", { shape: "self", side: "none", legacy: true });
    const s = t.make(LegacySelfCycle);
    const ids = [s];
    const wr = newRef(t.h, s);
    drop(t.h, s);
    core.gc.collect(t.h);
    expect(t.delCalls).toEqual([]);
    expect(t.tpDelCalls).toEqual([]);
    expect(t.survivorIds()).toEqual([]);
    expect(sorted(listRefs(t.h, t.h.garbage))).toEqual(ids);
    expect(t.deref(wr)).toBe(s);
    // gc.garbage[0].ref = None
    const g = core.slotRef(t.h, core.listItemSlot(t.h, t.h.garbage, 0));
    core.setField(t.h, g, LegacySelfCycle.fieldIndex.get("ref")!, core.NONE, true);
    // _cleanup empties gc.garbage: s dies by refcount
    t.finish(
      [wr],
      () => {
        expect(t.garbageSize()).toBe(0);
        expect(t.deref(wr)).toBe(core.NONE);
      },
      false,
    );
  });
});
