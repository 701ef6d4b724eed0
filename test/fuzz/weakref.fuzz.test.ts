/**
 * Weak references against a model (seeded): random graphs of weakrefable instances (classes with
 * and without finalizers), random weakrefs, proxies and KeyedRefs to them (with recording
 * callbacks or none; held from outside, by another object, or by their own referent), then
 * external references dropped in random order, edges added, weakrefs made (some while an
 * automatic collection is due) and collections run. A trace sink records every freed block, so
 * the model knows exactly which objects died in each step. After every step:
 *
 *  - the heap verifier finds no problem (it checks every weakref list);
 *  - every live weakref whose referent was freed is dead; every other returns its referent, and
 *    each live object's getweakrefs is exactly its live weakrefs in CPython's order (basic ref,
 *    basic proxy, then the others newest first);
 *  - every callback ran at most once, received its own live, already dead weakref, and its
 *    referent was freed in the same step; a weakref still alive after a step whose referent died
 *    in it was called back; callbacks for one referent run newest first;
 *  - in a full collection, no weakref that was garbage itself calls back, every finalizer of the
 *    garbage sees its weakrefs already cleared, and everything the verifier called unreachable
 *    is freed; a finalizer run by refcount death sees all its weakrefs still alive.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

const { newRef, newProxy, newKeyedRef, weakrefGet, proxyReferent, getweakrefcount } = core.weakref;

const GC_HEAD = 8;

const scenarioArb = fc.record({
  /** Per object: 0 = plain class, 1 = class with a finalizer, 2 = declared fields only (+ weakrefable). */
  classes: fc.array(fc.nat(2), { minLength: 1, maxLength: 20, size: "max" }),
  /** (from, to, attribute) */
  edges: fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(2)), { maxLength: 40, size: "max" }),
  /** (target, kind, placement, holder) — see makeWeakref. */
  weakrefs: fc.array(fc.tuple(fc.nat(1000), fc.nat(5), fc.nat(3), fc.nat(1000)), {
    maxLength: 40,
    size: "max",
  }),
  /** (op, a, b, c) — see runStep. */
  steps: fc.array(fc.tuple(fc.nat(9), fc.nat(1000), fc.nat(1000), fc.nat(5)), {
    minLength: 5,
    maxLength: 50,
    size: "max",
  }),
  /** At the end, drop the external references oldest first, or newest first. */
  oldestFirst: fc.boolean(),
  /** Per object (index mod 16): its finalizer, run by a full collection, resurrects it. */
  resurrect: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

interface ObjRec {
  readonly addr: number;
  readonly cls: number;
  freed: boolean;
  freedStep: number;
  finalized: number;
}
interface WrRec {
  readonly addr: number;
  readonly target: ObjRec;
  /** 0 ref, 1 proxy, 2 KeyedRef */
  readonly type: number;
  readonly hasCallback: boolean;
  /** Its callback drops an external reference (cascading deaths inside callbacks). */
  readonly drops: boolean;
  /**
   * Its callback makes the basic proxy of the object whose weakref is being made when an
   * automatic collection runs (step 7): the maker must then return that proxy.
   */
  readonly makesProxy: boolean;
  readonly seq: number;
  freed: boolean;
  calls: number;
  /**
   * The step a full collection cleared it in while it survived (its referent, or itself, was
   * resurrected), or -1: it stays dead though its referent may live.
   */
  clearedStep: number;
}
type StepKind = "refcount" | "full" | "partial";

function run(s: Scenario): void {
  // --- the model ---
  const blocks = new Map<number, ObjRec | WrRec>();
  const wrByAddr = new Map<number, WrRec>();
  let step = 0;
  // Every freed block: the model learns which of its objects and weakrefs died, and when.
  const h = new core.Engine({
    checked: true,
    trace: (ev) => {
      if (ev.kind !== "free") return;
      const rec = blocks.get(ev.addr);
      if (rec === undefined) return;
      blocks.delete(ev.addr);
      rec.freed = true;
      if ("freedStep" in rec) rec.freedStep = step;
      else wrByAddr.delete(rec.addr);
    },
  });
  core.gc.disable(h);
  const Plain = h.defineClass({ name: "Plain", dynamic: true, weakrefable: true });
  const Fin = h.defineClass({
    name: "Fin",
    dynamic: true,
    weakrefable: true,
    finalize: (o) => onFinalize(o),
  });
  const Slots = h.defineClass({
    name: "Slots",
    weakrefable: true,
    fields: [
      { name: "a", kind: "any" },
      { name: "b", kind: "any" },
      { name: "w", kind: "any" },
    ],
  });
  const names = ["a", "b", "c", "w0", "w1", "w2"].map((n) => core.newStr(h, n));

  const objs: ObjRec[] = [];
  const wrs: WrRec[] = [];
  /** Owned references held from outside (objects and weakrefs), dropped in random order. */
  const ext: number[] = [];
  let stepKind: StepKind = "refcount";
  let garbageBefore = new Set<number>();
  let droppedInStep = false;
  let seq = 0;
  const calls: WrRec[] = [];
  /** Whether dropping callbacks drop (not while the graph is built, which indexes every object). */
  let dropsEnabled = false;
  /** The object a weakref is being made to while an automatic collection is due (step 7). */
  let racing: ObjRec | null = null;

  /** The weakrefs on o's list: alive, and not cleared by a collection that resurrected o. */
  const liveWeakrefsTo = (o: ObjRec) => wrs.filter((w) => !w.freed && w.clearedStep < 0 && w.target === o);
  /** Objects resurrected by their finalizer in this step. */
  const resurrected = new Set<ObjRec>();

  function onFinalize(o: number): void {
    const rec = objs.find((r) => r.addr === o && !r.freed)!;
    rec.finalized++;
    expect(rec.finalized).toBe(1); // __del__ runs at most once per object
    if (stepKind === "full" && garbageBefore.has(o)) {
      expect(getweakrefcount(h, o)).toBe(0); // cleared before any finalizer of the collection
      if (s.resurrect[objs.indexOf(rec) % 16]) {
        core.incref(h, o); // stored outside: resurrected, with whatever it reaches
        ext.push(o);
        resurrected.add(rec);
      }
    } else if (stepKind !== "partial" && !garbageBefore.has(o)) {
      // Refcount death: the finalizer runs first and sees every weakref alive.
      expect(getweakrefcount(h, o)).toBe(liveWeakrefsTo(rec).length);
      for (const w of liveWeakrefsTo(rec)) expect(weakrefGet(h, w.addr)).toBe(o);
    }
  }

  const callback = (rec: () => WrRec) => (wr: number) => {
    const w = rec();
    expect(wr).toBe(w.addr);
    expect(w.freed).toBe(false);
    expect(weakrefGet(h, wr)).toBe(core.NONE);
    w.calls++;
    expect(w.calls).toBe(1);
    if (stepKind === "full") expect(garbageBefore.has(wr)).toBe(false);
    calls.push(w);
    if (w.drops && dropsEnabled && ext.length > 0) {
      droppedInStep = true;
      core.decref(h, ext.pop()!);
    }
    if (w.makesProxy && racing !== null) {
      const p = newProxy(h, racing.addr);
      track(p, racing, 1, false, 0, seq++);
      ext.push(p);
    }
  };

  const setRef = (holder: number, name: number, v: number) => {
    if (core.typeIdOf(h, holder) === Slots.id) core.setField(h, holder, name % 3, v, true);
    else core.setAttr(h, holder, names[name]!, v, true);
  };

  /** The model's record of a weakref just made (`addr` may be the shared basic ref or proxy). */
  function track(
    addr: number,
    target: ObjRec,
    type: number,
    cb: boolean,
    salt: number,
    mySeq: number,
  ): WrRec {
    const existing = wrByAddr.get(addr);
    if (existing !== undefined) {
      // The shared basic ref or proxy: another reference to the same weakref.
      expect(cb || type === 2).toBe(false);
      expect(existing.hasCallback).toBe(false);
      expect(existing.type).toBe(type);
      return existing;
    }
    const rec: WrRec = {
      addr,
      target,
      type,
      hasCallback: cb,
      drops: cb && salt % 3 === 0,
      makesProxy: cb && salt % 3 === 1,
      seq: mySeq,
      freed: false,
      calls: 0,
      clearedStep: -1,
    };
    wrs.push(rec);
    wrByAddr.set(addr, rec);
    blocks.set(addr - GC_HEAD, rec);
    return rec;
  }

  /** Makes a weakref of `kind` to `target` and places it: 0/3 outside, 1 on `holder`, 2 on the target. */
  function makeWeakref(target: ObjRec, kind: number, placement: number, holder: ObjRec, salt: number): void {
    const type = kind <= 1 ? 0 : kind <= 3 ? 1 : 2;
    const hasCallback = kind === 1 || kind === 3 || kind === 4;
    const mySeq = seq++;
    let rec: WrRec | undefined;
    const cb = hasCallback ? callback(() => rec!) : null;
    const o = target.addr;
    const addr =
      type === 0 ? newRef(h, o, cb) : type === 1 ? newProxy(h, o, cb) : newKeyedRef(h, o, cb, salt, false);
    rec = track(addr, target, type, hasCallback, salt, mySeq);
    if (placement === 1 || placement === 2) {
      setRef(placement === 1 ? holder.addr : o, 3 + (salt % 3), addr);
      core.decref(h, addr);
    } else {
      ext.push(addr);
    }
  }

  // --- the graph ---
  /** A new instance of class `c` (0 plain, 1 with a finalizer, 2 declared fields); the caller owns it. */
  const newObject = (c: number): ObjRec => {
    const addr = core.newInstance(h, [Plain.id, Fin.id, Slots.id][c]!);
    const rec: ObjRec = { addr, cls: c, freed: false, freedStep: -1, finalized: 0 };
    objs.push(rec);
    blocks.set(addr - GC_HEAD, rec);
    return rec;
  };
  for (const c of s.classes) ext.push(newObject(c).addr);
  for (const [from, to, name] of s.edges)
    setRef(objs[from % objs.length]!.addr, name, objs[to % objs.length]!.addr);
  for (const [t, kind, placement, holder] of s.weakrefs) {
    makeWeakref(objs[t % objs.length]!, kind, placement, objs[holder % objs.length]!, holder);
  }
  check([]);
  dropsEnabled = true;

  /**
   * Runs `f` holding a reference to each object, as a Python caller's arguments are held: the
   * call may run callbacks (which drop external references) or a collection.
   */
  const holding = (held: number[], f: () => void) => {
    for (const o of held) core.incref(h, o);
    f();
    for (const o of held) core.decref(h, o);
  };

  // --- the steps ---
  const beginStep = () => {
    step++;
    calls.length = 0;
    droppedInStep = false;
    garbageBefore = new Set();
    resurrected.clear();
    stepKind = "refcount";
  };

  /** Collects `generation`; a full collection is checked against the model (see the header). */
  const collectStep = (generation: number) => {
    stepKind = generation === 2 ? "full" : "partial";
    garbageBefore = new Set(core.verify(h).unreachable);
    const linked = wrs.filter((w) => !w.freed && !w.target.freed && w.clearedStep < 0);
    // The weakrefs that must call back: linked, not garbage, their referent garbage.
    const due = linked.filter(
      (w) => w.hasCallback && garbageBefore.has(w.target.addr) && !garbageBefore.has(w.addr),
    );
    core.gc.collect(h, generation);
    if (generation !== 2) return;
    for (const w of due) {
      expect(w.calls).toBe(1);
      expect(calls).toContain(w);
    }
    // A weakref to the garbage, or in it, that survived (resurrection) is dead all the same.
    for (const w of linked) {
      if (w.freed || w.target.freed) continue;
      if (garbageBefore.has(w.target.addr) || garbageBefore.has(w.addr)) w.clearedStep = step;
    }
    if (!droppedInStep) {
      expect(core.verify(h).unreachable).toEqual([]);
      for (const o of objs) if (o.freed && o.freedStep === step) expect(garbageBefore.has(o.addr)).toBe(true);
    }
  };

  for (const [op, a, b, c] of s.steps) {
    beginStep();
    const alive = objs.filter((r) => !r.freed);
    if (op <= 4) {
      if (ext.length === 0) continue;
      const i = a % ext.length;
      const o = ext[i]!;
      ext.splice(i, 1);
      core.decref(h, o);
    } else if (op === 5 || op === 9) {
      collectStep(op === 9 ? 2 : c % 3);
    } else if (op === 6 || op === 7) {
      if (alive.length === 0) continue;
      stepKind = op === 7 ? "partial" : "refcount";
      const target = alive[a % alive.length]!;
      const holder = alive[b % alive.length]!;
      let kind = c;
      if (op === 7) {
        // A fresh garbage cycle whose weakref (held outside) makes the target's basic proxy when
        // it calls back; then an automatic collection is made due, and the weakref being made
        // runs it from its allocation. Half the time that weakref is the basic proxy itself.
        const g = newObject(c % 3);
        setRef(g.addr, 0, g.addr);
        makeWeakref(g, 1, 0, g, 1);
        core.decref(h, g.addr);
        core.gc.setThreshold(h, 1);
        core.gc.enable(h);
        racing = target;
        if (c % 2 === 0) kind = 2;
      }
      holding([target.addr, holder.addr], () => makeWeakref(target, kind, b % 3 === 1 ? 1 : 0, holder, b));
      racing = null;
      core.gc.disable(h);
    } else {
      if (alive.length === 0) continue;
      const from = alive[a % alive.length]!.addr;
      const to = alive[b % alive.length]!.addr;
      holding([from, to], () => setRef(from, c % 3, to));
    }
    check(calls);
  }

  // --- the end: the objects go, then a collection (the weakrefs held outside call back), then the rest ---
  const isObject = (a: number) => !wrByAddr.has(a);
  beginStep();
  const objRefs = ext.filter(isObject);
  ext.splice(0, ext.length, ...ext.filter((a) => !isObject(a)));
  if (!s.oldestFirst) objRefs.reverse();
  for (const o of objRefs) core.decref(h, o);
  check(calls);
  beginStep();
  collectStep(2);
  check(calls);
  beginStep();
  while (ext.length > 0) core.decref(h, (s.oldestFirst ? ext.shift() : ext.pop())!);
  check(calls);
  beginStep();
  collectStep(2);
  check(calls);
  for (const o of objs) expect(o.freed).toBe(true);
  for (const w of wrs) expect(w.freed).toBe(true);
  for (const n of names) core.decref(h, n);
  expect(core.verify(h).problems).toEqual([]);

  function check(stepCalls: readonly WrRec[]): void {
    expect(core.verify(h).problems).toEqual([]);
    for (const w of wrs) {
      if (w.freed) continue;
      if (w.target.freed || w.clearedStep >= 0) {
        expect(weakrefGet(h, w.addr)).toBe(core.NONE);
        if (w.type === 1) expect(() => proxyReferent(h, w.addr)).toThrow(core.HeapReferenceError);
        // Alive after the step its referent died in, and on its list then (not cleared by an
        // earlier collection, not garbage in this one): it was called back.
        const linked = w.clearedStep < 0 || w.clearedStep === step;
        const trash = stepKind === "full" && garbageBefore.has(w.addr);
        if (w.hasCallback && w.target.freedStep === step && linked && !trash) expect(w.calls).toBe(1);
      } else {
        expect(weakrefGet(h, w.addr)).toBe(w.target.addr);
        if (w.type === 1) expect(proxyReferent(h, w.addr)).toBe(w.target.addr);
        expect(w.calls).toBe(0);
      }
    }
    // Each live object's list: the basic ref, the basic proxy, then the rest newest first.
    for (const o of objs) {
      if (o.freed) continue;
      const live = liveWeakrefsTo(o);
      const basicRef = live.filter((w) => w.type === 0 && !w.hasCallback);
      const basicProxy = live.filter((w) => w.type === 1 && !w.hasCallback);
      expect(basicRef.length).toBeLessThanOrEqual(1);
      expect(basicProxy.length).toBeLessThanOrEqual(1);
      const rest = live
        .filter((w) => !basicRef.includes(w) && !basicProxy.includes(w))
        .sort((x, y) => y.seq - x.seq);
      const expected = [...basicRef, ...basicProxy, ...rest].map((w) => w.addr);
      expect(getweakrefcount(h, o.addr)).toBe(expected.length);
      const l = core.weakref.getweakrefs(h, o.addr);
      const got: number[] = [];
      for (let i = 0; i < core.listSize(h, l); i++) got.push(core.slotRef(h, core.listItemSlot(h, l, i)));
      core.decref(h, l);
      expect(got).toEqual(expected);
    }
    // The callbacks of this step: each for a referent that died in it (or was garbage in this
    // full collection and resurrected), newest first per referent.
    const lastSeq = new Map<ObjRec, number>();
    for (const w of stepCalls) {
      if (w.target.freed) expect(w.target.freedStep).toBe(step);
      else expect(stepKind === "full" && garbageBefore.has(w.target.addr)).toBe(true);
      const prev = lastSeq.get(w.target);
      if (prev !== undefined) expect(w.seq).toBeLessThan(prev);
      lastSeq.set(w.target, w.seq);
    }
  }
}

describe("weakrefs against the model (seeded property)", () => {
  it("random graphs, weakrefs, drops and collections", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => run(s)),
      { seed: 20260310, numRuns: 200 },
    );
  });
});
