/**
 * What a handle shows to console.log and util.inspect (type, address, refcount, contents; nothing
 * made, nothing counted), and writes of names a handle does not have being refused.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ErrorCode, Heap } from "../../src/index.js";

const hex = (n: number): string => `0x${n.toString(16)}`;

describe("util.inspect and console.log of a handle", () => {
  it("shows an instance's type, address, refcount and fields, and changes no count", () => {
    const heap = new Heap({ checked: true });
    const Node = heap.defineClass("Node", { fields: { next: "self", value: "number", label: "str" } });
    const a = Node.new({ value: 1, label: "a" }).own(); // kept: storing it in b does not take it
    const b = Node.new({ value: 2, next: a });
    const before = [heap.sys.getRefCount(a), heap.sys.getRefCount(b), heap.unreleasedHandles().length];
    expect(inspect(b)).toBe(
      `Node at ${hex(b.address)} (refcount 1) { label: null, next: <Node object at ${hex(a.address)}>, value: 2 }`,
    );
    expect(inspect(a)).toBe(`Node at ${hex(a.address)} (refcount 2) { label: "a", next: null, value: 1 }`);
    expect([heap.sys.getRefCount(a), heap.sys.getRefCount(b), heap.unreleasedHandles().length]).toEqual(
      before,
    );
    expect(inspect([a])).toContain(`Node at ${hex(a.address)}`); // nested, as console.log shows arrays
    b.dispose();
    a.dispose();
    heap.close();
  });

  it("shows a list's and a tuple's items and a dict's entries, the first 20", () => {
    const heap = new Heap({ checked: true });
    const C = heap.defineClass("C");
    const c = C.new();
    const list = heap.list([1.5, "x", c, null, true]);
    expect(inspect(list)).toBe(
      `list at ${hex(list.address)} (refcount 1) [1.5, "x", <C object at ${hex(c.address)}>, null, true]`,
    );
    const tuple = heap.tuple(...Array.from({ length: 23 }, (_, i) => i));
    expect(inspect(tuple)).toMatch(/^tuple at 0x[0-9a-f]+ \(refcount 1\) \[0, 1, .*, 19, … 3 more\]$/);
    const dict = heap.dict({ k: "y".repeat(100), j: c });
    expect(inspect(dict)).toBe(
      `dict at ${hex(dict.address)} (refcount 1) { "k" => "${"y".repeat(60)}…", "j" => <C object at ${hex(c.address)}> }`,
    );
    for (const h of [list, tuple, dict, c]) h.dispose();
    heap.close();
  });

  it("says so for a released handle and for a closed heap's handle", () => {
    const heap = new Heap({ leaks: "off" });
    const released = heap.list();
    released.dispose();
    expect(inspect(released)).toBe("<released handle>");
    const open = heap.list();
    const address = open.address;
    heap.close();
    expect(inspect(open)).toBe(`<handle to ${hex(address)} of a closed heap>`);
  });
});

describe("writing a name a handle does not have", () => {
  it("is refused with INVALID_ARGUMENT, naming it; declared fields and reads are unaffected", () => {
    const heap = new Heap({ checked: true });
    const Node = heap.defineClass("Node", { fields: { next: "self", value: "number" } });
    const a = Node.new();
    const list = heap.list();
    expect(() => {
      (a as unknown as { nxt: unknown }).nxt = a; // a misspelt field
    }).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/^cannot set 'nxt' on a Node handle: it has no such field/),
      }),
    );
    expect(() => {
      (list as unknown as { size: number }).size = 3;
    }).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/List handle/),
      }),
    );
    expect(Object.keys(a)).toEqual([]); // nothing was added
    a.value = 4;
    a.next = a;
    expect(a.value).toBe(4);
    expect((a as unknown as { nxt?: unknown }).nxt).toBeUndefined(); // a read of an unknown name is JS's
    a.next = null;
    a.dispose();
    list.dispose();
    heap.close();
  });
});
