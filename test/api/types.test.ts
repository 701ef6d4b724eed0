/**
 * The types a TypeScript user gets without casts: typed containers, a weakref's referent, the
 * instance type of a class. These assertions are checked by the type checker (`npm run check`
 * type-checks test/); the runtime part checks the values agree.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type DictHandle,
  ErrorCode,
  Heap,
  type HeapClass,
  type InstanceOf,
  type ListHandle,
  type Value,
  type WeakRefHandle,
} from "../../src/index.js";

describe("types without casts", () => {
  it("heap.list<T>(), heap.dict<K, V>() and tuples hand back what they hold", () => {
    const heap = new Heap({ checked: true });
    const Node = heap.defineClass("Node", { fields: { next: "self", n: "number" } });
    type Node = InstanceOf<typeof Node>;
    const nodes = heap.list<Node>();
    const a = Node.new({ n: 1 });
    nodes.append(a);
    expectTypeOf(nodes).toEqualTypeOf<ListHandle<Node>>();
    expectTypeOf(nodes.get(0)).toEqualTypeOf<Node>();
    expectTypeOf([...nodes]).toEqualTypeOf<Node[]>();
    // @ts-expect-error a list of nodes takes nodes
    expect(() => nodes.append(3)).not.toThrow(); // the heap itself stores any value
    const first = nodes.get(0);
    expect(first.n).toBe(1); // a field of the class, typed number
    const prices = heap.dict<string, number>({ apple: 0.5 });
    expectTypeOf(prices).toEqualTypeOf<DictHandle<string, number>>();
    expectTypeOf(prices.get("apple")).toEqualTypeOf<number | undefined>();
    expectTypeOf([...prices.keys()]).toEqualTypeOf<string[]>();
    expect(prices.get("apple")).toBe(0.5);
    // Without a type argument, anything goes (literals are not inferred as the element type).
    const loose = heap.list([1, "two"]);
    expectTypeOf(loose).toEqualTypeOf<ListHandle<Value>>();
    loose.append(null);
    const t = heap.tuple<number>(1, 2);
    expectTypeOf(t.get(0)).toEqualTypeOf<number>();
    for (const h of [first, a, nodes, prices, loose, t]) h.dispose();
    heap.close();
  });

  it("heap.weakref.ref(img).deref() is the class's handle", () => {
    const heap = new Heap({ checked: true });
    const Image = heap.defineClass("Image", { fields: { name: "str" }, weakrefable: true });
    const img = Image.new({ name: "cat.png" });
    const r = heap.weakref.ref(img);
    expectTypeOf(r).toEqualTypeOf<WeakRefHandle<InstanceOf<typeof Image>>>();
    const back = r.deref();
    expectTypeOf(back).toEqualTypeOf<InstanceOf<typeof Image> | null>();
    expect(back?.name).toBe("cat.png");
    back?.dispose();
    img.dispose();
    expect(r.deref()).toBeNull();
    r.dispose();
    heap.close();
  });
});

describe("two classes whose fields refer to each other", () => {
  it("a field's class may be given as a function, called when the field is first written", () => {
    const heap = new Heap({ checked: true });
    // The annotation breaks TypeScript's circle (Dept's type needs Person's, which needs Dept's).
    const Dept: HeapClass<{ name: "str"; head: () => typeof Person }> = heap.defineClass("Dept", {
      fields: { name: "str", head: () => Person },
    });
    const Person = heap.defineClass("Person", { fields: { name: "str", dept: Dept } });
    const d = Dept.new({ name: "R&D" });
    const p = Person.new({ name: "Ada", dept: d });
    expectTypeOf(d.head).toEqualTypeOf<InstanceOf<typeof Person> | null>(); // before the write narrows it
    expectTypeOf(p.dept).toEqualTypeOf<InstanceOf<typeof Dept> | null>();
    d.head = p;
    const head = d.head;
    expect(head?.name).toBe("Ada");
    expect(() => {
      d.head = d as never; // a Dept is not a Person
    }).toThrow(
      expect.objectContaining({
        code: ErrorCode.WrongType,
        message: expect.stringMatching(/Person instances/),
      }),
    );
    const Bad = heap.defineClass("Bad", { fields: { x: (() => 3) as never } });
    expect(() => {
      Bad.new().x = d as never;
    }).toThrow(
      expect.objectContaining({ code: ErrorCode.WrongType, message: expect.stringMatching(/not a class/) }),
    );
    head?.dispose();
    d.head = null;
    for (const h of [p, d]) h.dispose();
    heap.close();
  });
});
