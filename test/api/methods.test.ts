/**
 * Methods on classes: `methods: { area(self) { … } }` called as `r.area()`, typed, each call in a
 * scope of its own (what it makes is released at return, what it returns is the caller's).
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { ErrorCode, Heap, type InstanceOf, type TupleHandle } from "../../src/index.js";

function shapes() {
  const heap = new Heap({ checked: true, leaks: "throw" });
  const Rect = heap.defineClass("Rect", {
    fields: { w: "number", h: "number", label: "str" },
    methods: {
      area(self) {
        return self.w * self.h;
      },
      scale(self, k: number) {
        self.w *= k;
        self.h *= k;
        return self;
      },
      /** A new tuple, made inside the call and returned: the caller owns it. */
      size(self) {
        const scratch = heap.list([1, 2, 3]); // released when the call returns
        expect(scratch.length).toBe(3);
        return heap.tuple<number>(self.w, self.h);
      },
    },
  });
  return { heap, Rect };
}

describe("methods", () => {
  it("are called on instance handles with self bound, and typed as the caller sees them", () => {
    const { heap, Rect } = shapes();
    const r = Rect.new({ w: 2, h: 3, label: "r" });
    expectTypeOf(r.area).toEqualTypeOf<() => number>();
    expectTypeOf(r.scale).parameters.toEqualTypeOf<[k: number]>();
    expect(r.area()).toBe(6);
    expect(r.scale(2).is(r)).toBe(true); // self is the caller's handle itself
    expect(r.area()).toBe(24);
    // @ts-expect-error scale takes a number
    r.scale("x"); // JS arithmetic makes NaN, as the types forbade
    expect(Number.isNaN(r.w)).toBe(true);
    r.dispose();
    heap.close();
  });

  it("run in a scope of their own: what a call makes is released, what it returns is the caller's", () => {
    const { heap, Rect } = shapes();
    const r = Rect.new({ w: 1, h: 2, label: "r" });
    const c = r.size();
    expectTypeOf(c).toEqualTypeOf<TupleHandle<number>>();
    expect(c.toArray()).toEqual([1, 2]);
    expect(
      heap
        .unreleasedHandles()
        .map((h) => h.address)
        .sort(),
    ).toEqual([r.address, c.address].sort());
    const made = heap.scope(() => Rect.new({ w: 3, h: 3 }));
    expectTypeOf(made).toEqualTypeOf<InstanceOf<typeof Rect>>();
    expect(made.area()).toBe(9); // an instance made anywhere has the methods
    made.dispose();
    c.dispose();
    r.dispose();
    heap.close(); // "throw": the scratch list was released with the call
  });

  it("refuse a released handle before running; an async method is refused when defined", () => {
    const heap = new Heap({ checked: true });
    let ran = 0;
    const C = heap.defineClass("C", {
      methods: {
        run(_self) {
          ran++;
        },
      },
    });
    const c = C.new();
    c.dispose();
    expect(() => c.run()).toThrow(expect.objectContaining({ code: ErrorCode.HandleReleased }));
    // An async method could not keep its call's scope across an await.
    expect(() =>
      heap.defineClass("Later", {
        methods: {
          async later(_self) {
            ran++;
          },
        },
      }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/is async/),
      }),
    );
    expect(ran).toBe(0);
    heap.close();
  });

  it("cannot take a field's or a handle method's name, and must be functions", () => {
    const heap = new Heap();
    expect(() =>
      heap.defineClass("A", { fields: { n: "number" }, methods: { n: (_self: unknown) => 1 } }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/'n' \(a field\)/),
      }),
    );
    expect(() => heap.defineClass("B", { methods: { dispose: (_self: unknown) => 1 } })).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/handle method/),
      }),
    );
    expect(() => heap.defineClass("D", { methods: { f: 3 } as never })).toThrow(
      expect.objectContaining({ code: ErrorCode.WrongType }),
    );
    heap.close();
  });
});
