/**
 * User kinds: a runtime author's own objects in the heap, defined as a C extension type is
 * (reference slots, raw data words, a variable-size part, hooks). Here: environments and
 * closures of a small interpreter, and symbols interned by value in a dict.
 * Run: npm run build && npx tsx examples/user-kinds.ts
 */
import assert from "node:assert/strict";
import {
  callObject,
  decref,
  dictGetSlot,
  dictSetItem,
  dictSize,
  Engine,
  gc,
  getData,
  newDict,
  newObject,
  objectSetItem,
  objectSize,
  setData,
  setField,
  slotNumber,
  verify,
} from "refheap/core";

const h = new Engine({ checked: true });
gc.disable(h);

// An environment: a parent and one item per variable.
const Env = h.defineKind({ name: "Env", refs: ["parent"], items: true });
// A closure: its environment, its arity as a raw data word, and a call hook.
const finalized: string[] = [];
const Closure = h.defineKind({
  name: "Closure",
  refs: ["env"],
  data: ["arity"],
  call: (self, ...args) => {
    if (args.length !== getData(h, self, 0)) throw new Error(`expected ${getData(h, self, 0)} arguments`);
    return (args as number[]).reduce((a, b) => a + b, 0);
  },
  finalize: () => finalized.push("closure"),
});

const global = newObject(h, Env.id, 2);
const local = newObject(h, Env.id, 3);
setField(h, local, 0, global, true); // local.parent = global
const add = newObject(h, Closure.id);
setData(h, add, 0, 2);
setField(h, add, 0, local, true); // the closure captures `local` ...
objectSetItem(h, local, 0, add, true); // ... and is stored in it: a cycle
assert.equal(objectSize(h, local), 3);
assert.equal(callObject(h, add, 2, 3), 5);

decref(h, add);
decref(h, local);
assert.deepEqual(finalized, []); // the cycle keeps both alive
assert.equal(gc.collect(h), 2); // the closure and its environment
assert.deepEqual(finalized, ["closure"]);

// Symbols equal by their id (a data word), usable as dict keys.
const Sym = h.defineKind({
  name: "Sym",
  data: ["id"],
  hash: (o) => getData(h, o, 0),
  eq: (o, other, isRef) => isRef && getData(h, other, 0) === getData(h, o, 0),
});
const sym = (id: number): number => {
  const s = newObject(h, Sym.id);
  setData(h, s, 0, id);
  return s;
};
const table = newDict(h);
const a = sym(7);
const b = sym(7); // another object, equal to `a`
dictSetItem(h, table, a, true, 1, false);
dictSetItem(h, table, b, true, 2, false);
assert.equal(dictSize(h, table), 1);
assert.equal(slotNumber(h, dictGetSlot(h, table, a, true)), 2);
for (const o of [a, b, table, global]) decref(h, o);

assert.deepEqual(verify(h).problems, []);
console.log("ok");
