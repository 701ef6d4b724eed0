/**
 * The main API and its ownership model: reads give borrowed handles (nothing to release), a
 * constructor's handle floats until its first store hands its reference to the container, and
 * own() keeps an object explicitly. Handles that own a reference are released by `using`,
 * dispose() or the scope they were made in.
 * Run: npm run build && npx tsx examples/handles-tour.ts
 */
import assert from "node:assert/strict";
import { Heap, type InstanceOf } from "refheap";

const heap = new Heap({ checked: true, leaks: "throw" });
const log: string[] = [];
const Node = heap.defineClass("Node", {
  fields: { next: "self", value: "number", label: "str" },
  finalize: (self) => log.push(`__del__ ${self.label}`),
});

{
  // b's handle floats until it is stored: a.next takes its reference, as `a.next = Node()` in Python.
  using a = Node.new({ value: 1, label: "a", next: Node.new({ value: 2, label: "b" }) });
  let sum = 0;
  for (let p: InstanceOf<typeof Node> | null = a; p !== null; p = p.next) sum += p.value; // reads borrow
  assert.equal(sum, 3);
  console.log(`sys.getrefcount(a.next) = ${heap.sys.getRefCount(a.next!)}`); // 2: a.next, the argument
  assert.equal(heap.sys.getRefCount(a.next!), 2);
  assert.deepEqual(heap.unreleasedHandles().length, 1); // only a's handle owns a reference
} // a's handle is released: a dies, then b
assert.deepEqual(log, ["__del__ a", "__del__ b"]);

// own(): a handle that keeps its object alive after the container lets go.
{
  using list = heap.list<InstanceOf<typeof Node>>([Node.new({ label: "kept" })]);
  using kept = list.get(0).own();
  list.clear();
  assert.equal(kept.label, "kept"); // still alive: kept owns a reference
}
assert.deepEqual(log.at(-1), "__del__ kept");

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
}); // the scope releases the list and the dict: they were never stored
assert.equal(total, 12.5);

// A call holds a reference to each argument while it runs, as a CPython frame does.
const n = Node.new({ label: "n" });
const inside = heap.call((p: typeof n) => heap.sys.getRefCount(p), n);
assert.equal(inside, heap.sys.getRefCount(n) + 1);
n.dispose();

heap.close(); // the "throw" policy: any handle still owning a reference would be reported here
console.log("ok");
