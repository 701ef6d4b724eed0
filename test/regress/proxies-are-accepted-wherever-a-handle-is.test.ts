/**
 * Guards that a weak proxy (its face, as heap.weakref.proxy returns it) is accepted wherever a
 * handle is, as the proxy object itself (CPython stores and passes the weakproxy object): heap.call
 * holds its own reference to it, scope.escape keeps it, "ref" fields store it like lists and "any"
 * fields do, and the gc, sys and weakref functions see the proxy object.
 */
import { expect, it } from "vitest";
import { ErrorCode, Heap, type WeakProxy } from "../../src/index.js";

function setup() {
  const heap = new Heap({ checked: true, leaks: "off" });
  const C = heap.defineClass("C", { fields: { r: "ref", a: "any", n: "number" }, weakrefable: true });
  const target = C.new({ n: 7 });
  const proxy = heap.weakref.proxy(target).own(); // kept: storing it does not take its reference
  return { heap, C, target, proxy };
}

it("heap.call gives the callee its own reference to a proxy argument", () => {
  const { heap, target, proxy } = setup();
  const before = heap.sys.getRefCount(proxy);
  const seen = heap.call((p: WeakProxy) => {
    const n = heap.sys.getRefCount(p);
    p.dispose(); // the callee releases its own handle, not the caller's
    return n;
  }, proxy);
  expect(seen).toBe(before + 1);
  expect(proxy.released).toBe(false);
  expect(heap.sys.getRefCount(proxy)).toBe(before);
  expect((proxy as unknown as { n: number }).n).toBe(7);
  proxy.dispose();
  target.dispose();
  expect(heap.verify().problems).toEqual([]);
});

it("scope.escape keeps a proxy made in the scope", () => {
  const { heap, target, proxy } = setup();
  const kept = heap.scope((s) => s.escape(heap.weakref.proxy(target)));
  expect(kept.is(proxy)).toBe(true); // the basic proxy is shared
  expect((kept as unknown as { n: number }).n).toBe(7);
  kept.dispose();
  proxy.dispose();
  target.dispose();
  expect(heap.verify().problems).toEqual([]);
});

it("a 'ref' field stores the proxy object, as an 'any' field and a list do", () => {
  const { heap, C, target, proxy } = setup();
  const holder = C.new();
  const before = heap.sys.getRefCount(proxy);
  holder.r = proxy;
  holder.a = proxy;
  using l = heap.list([proxy]);
  expect(heap.sys.getRefCount(proxy)).toBe(before + 3);
  const r = holder.r as WeakProxy;
  expect(r.is(proxy)).toBe(true);
  expect(String(r)).toMatch(/^<weakproxy at 0x[0-9a-f]+ to C at 0x[0-9a-f]+>$/);
  r.dispose();
  holder.dispose();
  l.dispose();
  expect(heap.sys.getRefCount(proxy)).toBe(before);
  proxy.dispose();
  target.dispose();
  expect(heap.verify().problems).toEqual([]);
});

it("gc, sys and weakref functions see the proxy object, with CPython's answers", () => {
  const { heap, target, proxy } = setup();
  expect(heap.gc.isTracked(proxy)).toBe(true); // gc.is_tracked(proxy): True
  expect(heap.weakref.getWeakRefCount(proxy)).toBe(0); // proxies have no weakrefs
  expect(heap.weakref.getWeakRefs(proxy)).toEqual([]);
  expect(() => heap.weakref.ref(proxy)).toThrow("cannot create weak reference to 'weakref.ProxyType' object");
  using d = heap.dict();
  expect(() => d.set(proxy, 1)).toThrow("unhashable type: 'weakref.ProxyType'");
  expect(heap.gc.getReferrers(proxy)).toEqual([]);
  expect(proxy.is(target)).toBe(false); // a proxy is not its referent
  expect(target.is(proxy)).toBe(false);
  proxy.dispose();
  target.dispose();
  expect(() => heap.call((p: WeakProxy) => p, proxy)).toThrow(
    expect.objectContaining({ code: ErrorCode.HandleReleased }),
  );
  expect(heap.verify().problems).toEqual([]);
});
