/**
 * The engine API ("refheap/core"): raw addresses and explicit references, like CPython's C API.
 * Run: npm run build && npx tsx examples/engine-tour.ts
 */
import assert from "node:assert/strict";
import {
  decref,
  Engine,
  listAppend,
  newInstance,
  newList,
  setField,
  sysGetrefcount,
  verify,
} from "refheap/core";

const h = new Engine({ checked: true }); // checked: every address is validated
const deleted: number[] = [];
const Node = h.defineClass({
  name: "Node",
  fields: [{ name: "next", kind: "ref" }], // like __slots__ = ('next',)
  finalize: (o) => deleted.push(o), // like __del__: runs before the fields are released
});

const a = newInstance(h, Node.id); // refcount 1: we own it
const b = newInstance(h, Node.id);
setField(h, a, 0, b, true); // a.next = b (takes its own reference to b)
decref(h, b); // drop ours: a now owns b
console.log(`sys.getrefcount(b) = ${sysGetrefcount(h, b)}`); // 2, as in Python
assert.equal(sysGetrefcount(h, b), 2);

const l = newList(h);
listAppend(h, l, a, true);
listAppend(h, l, 3.5, false); // a number, stored inline
decref(h, a);
decref(h, l); // frees l, then a (its finalizer runs), then b
assert.deepEqual(deleted, [a, b]);
assert.deepEqual(verify(h).problems, []);
console.log("freed: l, then a, then b");
console.log("ok");
