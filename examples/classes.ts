/**
 * Classes as heap objects (engine API): a subclass that extends its base's layout, class
 * attributes, methods read through an instance as bound methods, a WeakMethod, and a class that
 * dies once dropped — by the collector, because every class is in a cycle with its mro tuple.
 * Run: npm run build && npx tsx examples/classes.ts
 */
import assert from "node:assert/strict";
import {
  callObject,
  classLookupSlot,
  classSetAttr,
  decref,
  dropClass,
  Engine,
  gc,
  isInstance,
  isMethod,
  Kind,
  listAppend,
  listSize,
  loadAttr,
  methodSelf,
  NONE,
  newInstance,
  newObject,
  newStr,
  setField,
  typeIdOf,
  verify,
  weakref,
} from "refheap/core";

const h = new Engine({ checked: true });
gc.disable(h);

// A function kind: `bind: true` makes loadAttr bind it to the instance it is read through.
const Fn = h.defineKind({
  name: "function",
  weakrefable: true,
  bind: true,
  call: (_f, self) => `hello from ${h.types[typeIdOf(h, self as number)]!.name}`,
});

// Shape has a field `name`; Circle extends it (Shape's field keeps index 0) and adds `r`.
const Shape = h.defineClass({ name: "Shape", fields: [{ name: "name", kind: "ref" }], weakrefable: true });
const Circle = h.defineClass({ name: "Circle", base: Shape, fields: [{ name: "r", kind: "number" }] });
assert.deepEqual(
  Circle.fields.map((f) => f.name),
  ["name", "r"],
);

// Shape.greet = a function; Shape.kind = 'shape' (a class attribute)
const attr = (cls: number, name: string, value: number) => {
  const key = newStr(h, name);
  classSetAttr(h, cls, key, value, true);
  decref(h, key);
  decref(h, value);
};
attr(Shape.id, "greet", newObject(h, Fn.id));
attr(Shape.id, "kind", newStr(h, "shape"));

const c = newInstance(h, Circle.id);
setField(h, c, 0, NONE, true); // code written for Shape (index 0) works on a Circle
assert.equal(isInstance(h, c, Shape.id), true);
assert.notEqual(classLookupSlot(h, Circle.id, "kind"), 0); // found through the base

// c.greet: a new bound method of the function and c
const m = loadAttr(h, c, "greet");
assert.equal(methodSelf(h, m), c);
assert.equal(callObject(h, m), "hello from Circle");

// A WeakMethod does not keep c alive; calling it gives a new bound method while c lives.
const wm = weakref.newWeakMethod(h, m);
decref(h, m);
const again = weakref.weakMethodGet(h, wm);
assert.equal(callObject(h, again), "hello from Circle");
decref(h, again);

// c.name = c: a cycle through the instance; then drop everything, classes included (`del`).
setField(h, c, 0, c, true);
decref(h, c);
dropClass(h, Circle.id);
dropClass(h, Shape.id);
const still = weakref.weakMethodGet(h, wm); // c is still alive: only the collector frees it
assert.equal(isMethod(h, still), true);
decref(h, still);
const freed = gc.collect(h);
// c; Circle (type, mro, bases); Shape (type, mro, dict); the function; the 'kind' str is not a
// container, so it is freed but not counted
assert.equal(freed, 8);
assert.equal(weakref.weakMethodGet(h, wm), NONE); // a new reference to None
decref(h, NONE);
decref(h, wm);

// class Stack(list): __slots__ = ("name",) — a list with the class's slot after the list's words.
const Stack = h.defineClass({ name: "Stack", base: Kind.List, fields: [{ name: "name", kind: "any" }] });
const s = newInstance(h, Stack.id);
listAppend(h, s, s, true); // s.append(s): a cycle through an item
assert.equal(listSize(h, s), 1);
decref(h, s);
assert.equal(gc.collect(h), 1);
assert.deepEqual(verify(h).problems, []);
console.log("ok");
