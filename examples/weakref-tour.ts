/**
 * A tour of heap.weakref: weak references and proxies die, with their callbacks, at the very
 * decrement that frees their object; a WeakValueDictionary drops its entry at the same moment;
 * a cycle's weakrefs die in the collector before any finalizer runs; finalize runs once, or at
 * heap.shutdown(). Run it with `npx tsx examples/weakref-tour.ts`.
 */
import assert from "node:assert/strict";
import { Heap, HeapReferenceError } from "refheap";

const heap = new Heap({ checked: true, leaks: "throw" });
const Image = heap.defineClass("Image", { fields: { name: "str", other: "ref" }, weakrefable: true });
const said: string[] = [];

console.log("1. a weakref, a proxy, a cache entry and a finalizer, all ended by one dispose()");
{
  using cache = heap.weakref.WeakValueDictionary();
  const img = Image.new({ name: "cat.png" });
  cache.set("cat.png", img);
  using r = heap.weakref.ref(img, () => said.push("ref callback"));
  using p = heap.weakref.proxy(img);
  heap.weakref.finalize(img, (what: string) => said.push(what), "finalized");
  assert.equal(cache.size, 1);
  assert.equal(p.name, "cat.png"); // the proxy reads the referent's field
  img.dispose(); // the last strong reference
  assert.deepEqual(said, ["finalized", "ref callback"]); // newest callback first
  assert.equal(cache.size, 0);
  assert.equal(r.deref(), null);
  assert.throws(() => p.name, HeapReferenceError);
  console.log(`  callbacks: ${said.join(", ")}; cache size ${cache.size}; ${String(r)}`);
}

console.log("2. in a garbage cycle: the weakref is dead before the collector runs any finalizer");
said.length = 0;
const Node = heap.defineClass("Node", {
  fields: { other: "self" },
  weakrefable: true,
  finalize: (self) => said.push(`__del__ sees ${heap.weakref.getWeakRefCount(self)} weakrefs`),
});
heap.gc.disable();
const wr = heap.scope((scope) => {
  const a = Node.new();
  const b = Node.new({ other: a });
  a.other = b;
  // The weakref must outlive the scope: a weakref that dies first never calls back.
  return scope.escape(heap.weakref.ref(a, () => said.push("callback")));
}); // a and b are released here: only their cycle holds them
assert.equal(heap.gc.collect(), 2);
assert.deepEqual(said, ["callback", "__del__ sees 0 weakrefs", "__del__ sees 0 weakrefs"]);
console.log(`  ${said.join("; ")}`);
wr.dispose();
heap.gc.enable();

console.log("3. finalize at shutdown: newest first");
said.length = 0;
const keep = [0, 1, 2].map((i) => {
  const img = Image.new({ name: `img${i}` });
  heap.weakref.finalize(img, (n: number) => said.push(`fin ${n}`), i);
  return img;
});
heap.shutdown();
assert.deepEqual(said, ["fin 2", "fin 1", "fin 0"]);
console.log(`  ${said.join(", ")}`);
for (const img of keep) img.dispose();

assert.deepEqual(heap.verify().problems, []);
heap.close();
console.log("ok");
