/**
 * Guards bpo-16602 (gh-60806, CPython's test_weakref.test_trashcan_16602): while a long chain is
 * being deallocated, the trashcan defers an object whose refcount already reached 0, and its
 * weakrefs are cleared only when its turn comes. Meanwhile every weakref to it must read as dead —
 * `deref()`, a proxy, a WeakValueDictionary lookup and the engine's weakrefGet — or a caller could
 * take a reference to an object that is being freed (and free it a second time).
 *
 * The chain: 100 nodes linked through field `a`; node 0's field `b` holds a probe whose finalizer
 * runs after the whole `a` chain was torn down as far as the trashcan allows. CPython 3.11 prints
 * that nodes 0..50 read as dead there (0..49 are mid-deallocation with their weakrefs cleared, 50
 * is the deferred one) and 51..99 alive (held by node 50's slot).
 */
import { expect, it } from "vitest";
import * as core from "../../src/core.js";
import { type Handle, Heap } from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";

const N = 100;

it("CPython 3.11 reads the trashcan-deferred node as dead (the reference for the tests below)", async () => {
  const out = await python(`
import weakref
class Node:
    __slots__ = ('a', 'b', '__weakref__')
class Probe:
    def __del__(self):
        print([i for i, w in enumerate(wrs) if w() is None])
nodes = [Node() for _ in range(${N})]
for i in range(${N - 1}):
    nodes[i].a = nodes[i + 1]
wrs = [weakref.ref(n) for n in nodes]
nodes[0].b = Probe()
head = nodes[0]
del nodes
del head
`);
  expect(out.trim()).toBe(`[${Array.from({ length: 51 }, (_, i) => i).join(", ")}]`);
});

it("deref(), proxies, WeakValueDictionary.get and weakrefGet see a deferred object as dead", () => {
  const heap = new Heap({ checked: true, leaks: "off" });
  const Node = heap.defineClass("Node", { fields: { a: "self", b: "ref" }, weakrefable: true });
  const seen: { deref: number[]; proxy: number[]; cache: number[]; engine: number[] } = {
    deref: [],
    proxy: [],
    cache: [],
    engine: [],
  };
  const refs: Handle[] = [];
  let probeRan = false;
  let deferredIncref: unknown;
  const Probe = heap.defineClass("Probe", {
    finalize: () => {
      probeRan = true;
      // The deferred node (index 50) itself: checked mode refuses a new reference to it.
      try {
        core.incref(heap.engine, addresses[50]!);
      } catch (e) {
        deferredIncref = e;
      }
      for (let i = 0; i < N; i++) {
        const r = refs[2 * i] as ReturnType<typeof heap.weakref.ref>;
        const target = r.deref();
        if (target === null) seen.deref.push(i);
        else target.dispose(); // taking and releasing a handle must be harmless
        try {
          const p = refs[2 * i + 1] as unknown as Record<string, unknown>;
          (p.a as Handle | null)?.dispose(); // reads the referent's field: throws once it is dead
        } catch (e) {
          expect((e as { code?: string }).code).toBe("DEAD_REFERENT");
          seen.proxy.push(i);
        }
        const cached = cache.get(i);
        if (cached === undefined) seen.cache.push(i);
        else cached.dispose();
        if (core.weakref.weakrefGet(heap.engine, r.address) === core.NONE) seen.engine.push(i);
      }
    },
  });
  using cache = heap.weakref.WeakValueDictionary<InstanceType>();
  type InstanceType = ReturnType<typeof Node.new>;
  const nodes = Array.from({ length: N }, () => Node.new());
  const addresses = nodes.map((n) => n.address);
  for (let i = 0; i < N - 1; i++) nodes[i]!.a = nodes[i + 1]!;
  for (let i = 0; i < N; i++) {
    refs.push(heap.weakref.ref(nodes[i]!), heap.weakref.proxy(nodes[i]!));
    cache.set(i, nodes[i]!);
  }
  using probe = Probe.new();
  nodes[0]!.b = probe;
  probe.dispose();
  // Only node 0's handle keeps the chain alive: releasing it frees all 100 nodes in one chain.
  for (let i = N - 1; i >= 0; i--) nodes[i]!.dispose();
  expect(probeRan).toBe(true);
  expect(deferredIncref).toMatchObject({ code: "USE_AFTER_FREE" });
  const dead = Array.from({ length: 51 }, (_, i) => i);
  expect(seen).toEqual({ deref: dead, proxy: dead, cache: dead, engine: dead });
  expect(heap.verify().problems).toEqual([]);
  for (let i = 0; i < N; i++) {
    expect((refs[2 * i] as ReturnType<typeof heap.weakref.ref>).deref()).toBeNull();
    refs[2 * i]!.dispose();
    refs[2 * i + 1]!.dispose();
  }
  expect(heap.verify().problems).toEqual([]);
  heap.close();
});
