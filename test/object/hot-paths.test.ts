/**
 * The generated hot paths (each class's allocator and deallocator, src/object/specialize.ts and
 * src/refcount/specialize.ts; scripts/gen-hot.ts's weakref paths, item release and dictLookupStringFast; the list append,
 * which serves both heaps, has test/object/list-append.test.ts)
 * against the general paths they shortcut. The same random engine program runs on two unchecked
 * heaps, one served by the fast paths and one with them switched off; after every step the two
 * heaps must be byte for byte the same (every word: pool headers, free lists, object headers,
 * generation links, reuse tags) with the same counts and shared-keys budgets, the same finalizer,
 * callback and trace-event order (allocations and frees), and the fast heap must pass the
 * verifier. The classes cover every reason a fast path declines: finalizers, weakrefs, attribute
 * tables, host fields, instances larger than pymalloc serves, a freed class, automatic
 * collections and the trashcan's depth limit; and every layout the allocator writes (number
 * fields, a user kind's extra words).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";

const OPS = [
  "new",
  "new",
  "new",
  "drop",
  "drop",
  "link",
  "append",
  "appendref",
  "tuple",
  "chain",
  "weakref",
  "attr",
  "number",
  "collect",
  "dropclass",
] as const;
type Op = readonly [number, number, number];

const opsArb = fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)), {
  minLength: 5,
  maxLength: 120,
  size: "max",
});

/**
 * One heap and its program state; `fast` says whether the generated paths serve it, `traced`
 * whether it has a trace sink (the generated paths send their trace events or skip them).
 */
function world(fast: boolean, log: string[], traced: boolean) {
  const sink = (ev: core.TraceEvent | core.GcTraceEvent) => {
    if (ev.kind === "alloc" || ev.kind === "free") log.push(`${ev.kind} ${ev.addr}`);
  };
  const h = new core.Engine({
    checked: false,
    maxBytes: 64 * 1024 * 1024,
    ...(traced ? { trace: sink } : {}),
  });
  h.fastPaths = fast;
  core.gc.setThreshold(h, 50, 3, 3);
  const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: "any" as const }));
  const classes = [
    h.defineClass({ name: "Empty" }),
    h.defineClass({ name: "Node", fields: refs(1) }),
    h.defineClass({ name: "Pair", fields: [...refs(2), { name: "n", kind: "number" }] }),
    h.defineClass({ name: "Weak", fields: refs(1), weakrefable: true }),
    h.defineClass({ name: "Dyn", fields: refs(1), dynamic: true }),
    h.defineClass({
      name: "Del",
      fields: refs(1),
      finalize: (o) => log.push(`del ${core.reuseTagOf(h, o)}`),
    }),
    h.defineClass({ name: "Big", fields: refs(70) }), // 8 + 8 + 560 bytes: the large-block path
    h.defineClass({ name: "Host", fields: [{ name: "x", kind: "host" }] }),
    // A user kind: an item count, weakref list and data words between the header and its slots.
    h.defineKind({ name: "Kind", refs: ["a", "b"], data: ["d"], items: true, weakrefable: true }),
    // Dropped by "dropclass": once the collector frees its type object, newInstance refuses it.
    h.defineClass({ name: "Gone", fields: [...refs(1), { name: "n", kind: "number" }] }),
  ];
  /** How many leading fields of each class hold any value (what "link" may set). */
  const linkable = new Map(classes.map((c) => [c.id, c.fields.filter((f) => f.kind === "any").length]));
  const name = core.newStr(h, "attr");
  const held: number[] = [];
  return { h, classes, linkable, name, held };
}

type World = ReturnType<typeof world>;

function step(w: World, [code, a, b]: Op, log: string[]): void {
  const { h, classes, held } = w;
  const pick = (n: number) => (held.length === 0 ? 0 : held[n % held.length]!);
  const instances = () => held.filter((o) => h.typeKind[core.typeIdOf(h, o)] === core.Kind.Instance);
  switch (OPS[code % OPS.length]!) {
    case "new": {
      const id = classes[a % classes.length]!.id;
      if (h.typeObject[id] === 0) {
        // A freed class: both paths refuse it with the same typed error.
        expect(() => core.newInstance(h, id)).toThrow(/freed/);
        break;
      }
      held.push(core.newInstance(h, id));
      break;
    }
    case "drop":
      if (held.length > 0) core.decref(h, held.splice(a % held.length, 1)[0]!);
      break;
    case "link": {
      const xs = instances();
      if (xs.length > 0) {
        const o = xs[a % xs.length]!;
        const nf = w.linkable.get(core.typeIdOf(h, o)) ?? 0;
        const v = pick(b);
        if (nf > 0 && v !== 0) core.setField(h, o, b % nf, v, true);
      }
      break;
    }
    case "append": {
      const l = held.find((o) => core.typeIdOf(h, o) === core.Kind.List) ?? core.newList(h);
      if (!held.includes(l)) held.push(l);
      for (let i = 0; i < 1 + (a % 40); i++)
        core.listAppendSteal(h, l, core.newInstance(h, classes[(b + i) % 3]!.id));
      break;
    }
    case "appendref": {
      // listAppend of held objects (any kind, finalizers too: the list's release runs them) and
      // numbers, into a held list or a new one
      const l = held.find((o) => core.typeIdOf(h, o) === core.Kind.List) ?? core.newList(h);
      if (!held.includes(l)) held.push(l);
      for (let i = 0; i < 1 + (a % 12); i++) {
        const v = pick(b + i);
        if (v === 0 || (a + i) % 5 === 0) core.listAppend(h, l, (b + i) / 7, false);
        else core.listAppend(h, l, v, true);
      }
      break;
    }
    case "tuple": {
      const n = a % 5;
      const t = core.newTuple(h, n);
      for (let i = 0; i < n; i++) {
        const o = core.newInstance(h, classes[(b + i) % (classes.length - 1)]!.id); // not Gone
        core.tupleSetItem(h, t, i, o, true);
        core.decref(h, o);
      }
      held.push(t);
      break;
    }
    case "chain": {
      // A chain deeper than the trashcan's limit (50), freed from its head when dropped.
      const head = core.newInstance(h, classes[1]!.id);
      let last = head;
      for (let i = 0; i < 60 + (a % 80); i++) {
        const n = core.newInstance(h, classes[(b + i) % 2 === 0 ? 1 : 5]!.id);
        core.setField(h, last, 0, n, true);
        core.decref(h, n);
        last = n;
      }
      held.push(head);
      break;
    }
    case "weakref": {
      const xs = instances().filter((o) => core.typeIdOf(h, o) === classes[3]!.id);
      if (xs.length > 0) {
        const o = xs[a % xs.length]!;
        // a basic ref, one with a callback, or a basic proxy (which a new basic ref goes before)
        if (b % 3 === 2) held.push(core.weakref.newProxy(h, o, null));
        else held.push(core.weakref.newRef(h, o, b % 3 === 0 ? null : () => log.push(`callback ${b}`)));
      }
      break;
    }
    case "attr": {
      const xs = instances().filter((o) => core.typeIdOf(h, o) === classes[4]!.id);
      if (xs.length > 0) core.setAttr(h, xs[a % xs.length]!, w.name, b, false);
      break;
    }
    case "number": {
      const xs = instances().filter((o) => core.typeIdOf(h, o) === classes[2]!.id);
      if (xs.length > 0) core.setField(h, xs[a % xs.length]!, 2, b / 3, false);
      break;
    }
    case "collect":
      core.gc.collect(h, a % 3);
      break;
    case "dropclass": {
      const gone = classes[classes.length - 1]!;
      if (h.typeDropped[gone.id] === 0) core.dropClass(h, gone.id);
      break;
    }
  }
}

function sameHeaps(fast: World, slow: World): void {
  const a = fast.h;
  const b = slow.h;
  expect(a.buffer.byteLength).toBe(b.buffer.byteLength);
  const diff = Buffer.compare(new Uint8Array(a.buffer), new Uint8Array(b.buffer));
  if (diff !== 0) {
    const i = a.u8.findIndex((x, k) => x !== b.u8[k]);
    expect.fail(`the heaps differ first at byte 0x${i.toString(16)}`);
  }
  expect([a.gcCount0, a.reuseCounter, a.trashNesting, a.trashLater]).toEqual([
    b.gcCount0,
    b.reuseCounter,
    b.trashNesting,
    b.trashLater,
  ]);
  expect(Array.from(a.usedPools)).toEqual(Array.from(b.usedPools));
  // A dynamic class's shared-keys budget, which each new instance lowers (init_inline_values).
  expect(Array.from(a.typeSharedUsable)).toEqual(Array.from(b.typeSharedUsable));
  expect(fast.held).toEqual(slow.held);
}

function run(ops: readonly Op[], traced: boolean): void {
  const fastLog: string[] = [];
  const slowLog: string[] = [];
  const fast = world(true, fastLog, traced);
  const slow = world(false, slowLog, traced);
  for (const op of ops) {
    step(fast, op, fastLog);
    step(slow, op, slowLog);
    sameHeaps(fast, slow);
    expect(fastLog).toEqual(slowLog);
    expect(core.verify(fast.h).problems).toEqual([]);
  }
  for (const w of [fast, slow]) for (const o of w.held.splice(0).reverse()) core.decref(w.h, o);
  core.gc.collect(fast.h);
  core.gc.collect(slow.h);
  sameHeaps(fast, slow);
  expect(fastLog).toEqual(slowLog);
}

/** A chain of `length` instances of class `id` (field 0 the next), returning its head's reference. */
function chainOf(h: core.Engine, id: number, length: number): number {
  let head = 0;
  for (let i = 0; i < length; i++) {
    const o = core.newInstance(h, id);
    if (head !== 0) {
      core.setField(h, o, 0, head, true);
      core.decref(h, head);
    }
    head = o;
  }
  return head;
}

describe("the generated hot paths", () => {
  it("leave the heap exactly as the general paths do, on random programs (seeded)", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, true)),
      { seed: 16_2026, numRuns: 150 },
    );
  });

  it("do the same on heaps without a trace sink", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops, false)),
      { seed: 17_2026, numRuns: 100 },
    );
  });

  it("serve plain instances on unchecked heaps only", () => {
    const unchecked = new core.Engine({ checked: false });
    const checked = new core.Engine({ checked: true });
    expect([unchecked.fastPaths, checked.fastPaths]).toEqual([true, false]);
    const plain = unchecked.defineClass({ name: "P", fields: [{ name: "a", kind: "any" }] });
    const del = unchecked.defineClass({ name: "D", finalize: () => {} });
    const big = unchecked.defineClass({
      name: "B",
      fields: Array.from({ length: 70 }, (_, i) => ({ name: `f${i}`, kind: "any" as const })),
    });
    expect([plain, del, big].map((c) => unchecked.typeFastDealloc[c.id])).toEqual([1, 0, 0]);
    expect(checked.typeFastDealloc[checked.defineClass({ name: "P" }).id]).toBe(0);
  });

  it("free an instance whose weakref callback grows the heap into the new buffer", () => {
    // A field-less weakrefable instance: nothing but the callback runs between clearing its
    // weakrefs and freeing its block, so the free must write through the grown heap's view.
    const run = (fast: boolean) => {
      const h = new core.Engine({ checked: false });
      h.fastPaths = fast;
      const W = h.defineClass({ name: "W", weakrefable: true });
      const grown: number[] = [];
      const o = core.newInstance(h, W.id);
      const wr = core.weakref.newRef(h, o, () => {
        const l = core.newList(h);
        for (let i = 0; i < 300_000; i++) core.listAppend(h, l, i, false);
        grown.push(l, h.buffer.byteLength);
      });
      const before = h.buffer.byteLength;
      core.decref(h, o);
      expect(grown[1]).toBeGreaterThan(before);
      expect(core.verify(h).problems).toEqual([]);
      core.decref(h, grown[0]!);
      core.decref(h, wr);
      return h;
    };
    const fast = run(true);
    const slow = run(false);
    expect(Buffer.compare(fast.u8, slow.u8)).toBe(0);
  });

  it("run a trace sink that frees or verifies inside the deallocation's trashcan level", () => {
    // The generated deallocator enters the trashcan's level only before a step that runs other
    // code; free's trace event is one. A sink that calls verify() there must find the heap in a
    // deallocation (an instance at refcount 0 is still allocated), and a chain the sink releases
    // must be deferred at the same depth as on the general path.
    const run = (fast: boolean) => {
      const log: string[] = [];
      const problems: string[] = [];
      let h: core.Engine | null = null;
      let chain = 0;
      const sink = (ev: core.TraceEvent | core.GcTraceEvent) => {
        if (h === null || ev.kind !== "free") return;
        log.push(`free ${ev.addr}`);
        problems.push(...core.verify(h).problems);
        if (chain !== 0) {
          const c = chain;
          chain = 0;
          core.decref(h, c);
        }
      };
      h = new core.Engine({ checked: false, trace: sink });
      h.fastPaths = fast;
      const N = h.defineClass({ name: "N", fields: [{ name: "next", kind: "any" }] });
      // A 60-long chain (deeper than the trashcan's limit of 50), freed from the sink.
      chain = chainOf(h, N.id, 60);
      const lone = core.newInstance(h, N.id);
      core.decref(h, lone);
      expect(chain).toBe(0);
      return { h, log, problems };
    };
    const fast = run(true);
    const slow = run(false);
    expect(fast.problems).toEqual([]);
    expect(fast.log).toEqual(slow.log);
    expect(fast.log.length).toBe(61);
    expect(Buffer.compare(fast.h.u8, slow.h.u8)).toBe(0);
  });

  it("run weakref callbacks and free fields inside the deallocation's trashcan level", () => {
    // A weakrefable instance with two fields (the deallocator's loop over the slots) whose weakref
    // callback, and whose second field, each release a chain deeper than the trashcan's limit:
    // the chains must be deferred at the same depths, so freed in the same order, as on the
    // general path.
    const run = (fast: boolean) => {
      const log: string[] = [];
      const sink = (ev: core.TraceEvent | core.GcTraceEvent) => {
        if (ev.kind === "free") log.push(`free ${ev.addr}`);
      };
      const h = new core.Engine({ checked: false, trace: sink });
      h.fastPaths = fast;
      const N = h.defineClass({ name: "N", fields: [{ name: "next", kind: "any" }] });
      const W = h.defineClass({
        name: "W",
        weakrefable: true,
        fields: [
          { name: "a", kind: "any" },
          { name: "b", kind: "any" },
        ],
      });
      const w = core.newInstance(h, W.id);
      const viaField = chainOf(h, N.id, 60);
      core.setField(h, w, 1, viaField, true);
      core.decref(h, viaField);
      let viaCallback = chainOf(h, N.id, 60);
      const wr = core.weakref.newRef(h, w, () => {
        const c = viaCallback;
        viaCallback = 0;
        core.decref(h, c);
      });
      core.decref(h, w);
      expect(viaCallback).toBe(0);
      core.decref(h, wr);
      expect(core.verify(h).problems).toEqual([]);
      return { h, log };
    };
    const fast = run(true);
    const slow = run(false);
    expect(fast.log.length).toBeGreaterThan(121);
    expect(fast.log).toEqual(slow.log);
    expect(Buffer.compare(fast.h.u8, slow.h.u8)).toBe(0);
  });

  it("decline an unknown type id, which the general path refuses with a typed error", () => {
    const h = new core.Engine({ checked: false });
    const P = h.defineClass({ name: "P" });
    const kept = core.newInstance(h, P.id);
    core.decref(h, core.newInstance(h, P.id)); // size class 0 now has a used pool with a free block
    expect(h.usedPools[h.typeSizeClass[P.id]!]).not.toBe(0);
    const before = h.u8.slice();
    const count = h.gcCount0;
    for (const id of [9999, -1, 2.5]) {
      expect(() => core.newInstance(h, id)).toThrow(core.RefheapError);
    }
    expect(Buffer.compare(before, h.u8)).toBe(0);
    expect(h.gcCount0).toBe(count);
    expect(core.verify(h).problems).toEqual([]);
    core.decref(h, kept);
  });

  it("look a str key up as the general path does: present, absent, deleted, non-str and colliding keys (seeded)", () => {
    // dictGetSlotString's generated path (dictLookupStringFast) against the general one, on the
    // same dicts: the same value slot or 0 for every probe, with keys of every kind around it.
    const keyArb = fc.oneof(
      fc.string({ maxLength: 6 }),
      // "bgpvu" and "b13ea": the same length and the same hash (FNV-1a), different code units
      fc.constantFrom("", "a", "aa", "\u00e9", "\ud83d\ude00", "k1", "k10", "bgpvu", "b13ea"),
      fc.integer({ min: -50, max: 50 }),
    );
    const stepArb = fc.tuple(fc.constantFrom("set", "set", "del", "tuple"), keyArb);
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 80 }),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 20 }),
        (steps, probes) => {
          const fast = new core.Engine({ checked: false });
          const slow = new core.Engine({ checked: false });
          slow.fastPaths = false;
          const dicts = [fast, slow].map((h) => {
            const d = core.newDict(h);
            for (const [op, key] of steps) {
              const k = typeof key === "string" ? core.newStr(h, key) : key;
              const isRef = typeof key === "string";
              if (op === "set") core.dictSetItem(h, d, k as number, isRef, 1, false);
              else if (op === "del") core.dictDelItem(h, d, k as number, isRef);
              else {
                // a tuple key whose hash may equal a str's: it must never match a string
                const t = core.newTuple(h, 0);
                core.dictSetItem(h, d, t, true, 2, false);
                core.decref(h, t);
              }
              if (isRef) core.decref(h, k as number);
            }
            return d;
          });
          const keys = [
            ...steps.map(([, k]) => k).filter((k): k is string => typeof k === "string"),
            ...probes,
          ];
          for (const k of keys) {
            const a = core.dictGetSlotString(fast, dicts[0]!, k);
            const b = core.dictGetSlotString(slow, dicts[1]!, k);
            expect(a).toBe(b);
          }
          expect(Buffer.compare(fast.u8, slow.u8)).toBe(0);
        },
      ),
      { seed: 16_2027, numRuns: 200 },
    );
  });

  it("are what scripts/gen-hot.ts writes (the regions are up to date)", async () => {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/gen-hot.ts", "--check"], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
