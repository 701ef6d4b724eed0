/**
 * The main API: handles own one reference each and are released by `using`, dispose() or the
 * scope they were made in.
 * Run: npm run build && npx tsx examples/handles-tour.ts
 */
import assert from "node:assert/strict";
import { Heap } from "refheap";

const heap = new Heap({ checked: true, leaks: "throw" });
const log: string[] = [];
const Node = heap.defineClass("Node", {
  fields: { next: "self", value: "number", label: "str" },
  finalize: (self) => log.push(`__del__ ${self.label}`),
});

{
  using a = Node.new({ value: 1, label: "a" });
  using b = Node.new({ value: 2, label: "b" });
  a.next = b; // a takes a reference to b
  console.log(`sys.getrefcount(b) = ${heap.sys.getRefCount(b)}`); // 3: b's handle, a.next, the argument
  assert.equal(heap.sys.getRefCount(b), 3);
} // b's handle is released first (a still holds b), then a's: a dies, then b
assert.deepEqual(log, ["__del__ a", "__del__ b"]);

// Containers with JS idioms; numbers, booleans, strings and null convert both ways.
const total = heap.scope(() => {
  const items = heap.list([1, 2, 3]);
  items.push(4);
  const prices = heap.dict({ apple: 0.5, pear: 0.75 });
  prices.set("plum", 1.25);
  let sum = 0;
  for (const x of items) sum += x as number;
  for (const [, p] of prices) sum += p as number;
  return sum;
}); // every handle made inside the scope is released here
assert.equal(total, 12.5);

// A call holds a reference to each argument while it runs, as a CPython frame does.
const n = Node.new({ label: "n" });
const inside = heap.call((p: typeof n) => heap.sys.getRefCount(p), n);
assert.equal(inside, heap.sys.getRefCount(n) + 1);
n.dispose();

heap.close(); // the "throw" policy: any handle still unreleased would be reported here
console.log("ok");
