/**
 * list.append's fast path (appendFloating, src/api/handle.ts): on an unchecked heap a floating
 * handle's reference passes to the list without the general path's checks, so every case that
 * path must decline is tested here, on unchecked heaps (a checked heap never takes it), with
 * lists that have room (an append that grows the list takes the general path).
 */
import { describe, expect, it } from "vitest";
import { ErrorCode, Heap } from "../../src/index.js";

function setup() {
  const heap = new Heap({ checked: false, leaks: "off" });
  const C = heap.defineClass("C", { fields: { x: "number" } });
  return { heap, C };
}

/** A list with room for more items: its first append allocated four slots. */
function roomy(heap: Heap) {
  const l = heap.list();
  l.append(0);
  return l;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe("list.append's fast path for floating handles", () => {
  it("sinks the handle: the list owns the reference, the handle is borrowed", () => {
    const { heap, C } = setup();
    const base = heap.verify().objects;
    const l = roomy(heap);
    const o = C.new();
    l.append(o);
    expect(o.ownership).toBe("borrowed");
    expect(heap.sys.getRefCount(o)).toBe(2); // the list's item and the argument
    expect(o.is(l.get(1))).toBe(true);
    l.dispose(); // frees the instance with the list: the handle owned nothing
    expect(o.released).toBe(false);
    expect(heap.verify().objects).toBe(base);
  });

  it("an owned or borrowed handle is not sunk: the list takes a reference of its own", () => {
    const { heap, C } = setup();
    const l = roomy(heap);
    const o = C.new().own();
    l.append(o);
    expect(o.ownership).toBe("owned");
    expect(heap.sys.getRefCount(o)).toBe(3); // the item, the handle, the argument
    const b = l.get(1) as typeof o; // borrowed
    l.append(b);
    expect(b.ownership).toBe("borrowed");
    expect(heap.sys.getRefCount(o)).toBe(4);
    o.dispose();
    expect(heap.sys.getRefCount(b)).toBe(3); // the two items, the argument
  });

  it("a list appended to itself keeps its handle's reference (no cycle that nothing holds)", () => {
    const { heap } = setup();
    const l = roomy(heap);
    l.append(l);
    expect(l.ownership).toBe("floating");
    expect(heap.sys.getRefCount(l)).toBe(3); // the item, the handle, the argument
    l.dispose();
    expect(heap.gc.collect()).toBe(1); // the list, in a cycle with itself
  });

  it("a constructor's pending stores: a failed heap.list() leaves the handle floating", () => {
    const { heap, C } = setup();
    const base = heap.verify().objects;
    const o = C.new();
    expect(codeOf(() => heap.list([0, o, {} as never]))).toBeDefined();
    expect(o.ownership).toBe("floating");
    expect(heap.sys.getRefCount(o)).toBe(2); // the handle's, and the argument
    o.x = 5; // still usable
    o.dispose();
    expect(heap.verify().objects).toBe(base);
  });

  it("a floating handle of another heap is refused (WRONG_HEAP), and stays floating", () => {
    // Two heaps built alike: `o` in the other heap has the same address and type word as `decoy`
    // here, so only the handle's heap tells them apart.
    const { heap, C } = setup();
    const other = setup();
    const l = roomy(heap);
    roomy(other.heap);
    const decoy = C.new();
    const o = other.C.new();
    expect(o.address).toBe(decoy.address);
    expect(codeOf(() => l.append(o))).toBe(ErrorCode.WrongHeap);
    expect(o.ownership).toBe("floating");
    expect(l.length).toBe(1);
  });

  it("a released value or list handle is refused (HANDLE_RELEASED), the list alive or not", () => {
    const { heap, C } = setup();
    const l = roomy(heap);
    const o = C.new();
    o.dispose();
    expect(codeOf(() => l.append(o))).toBe(ErrorCode.HandleReleased);
    const kept = l.dup(); // the list outlives the handle released next
    l.dispose();
    expect(codeOf(() => l.append(C.new()))).toBe(ErrorCode.HandleReleased);
    expect(kept.length).toBe(1);
  });

  it("a heap closed while a constructor iterates stays closed to the fast path", () => {
    const { heap, C } = setup();
    const l = roomy(heap);
    const o = C.new();
    function* items() {
      yield 1;
      heap.close();
    }
    codeOf(() => heap.list(items()));
    expect(codeOf(() => l.append(o))).toBe(ErrorCode.HeapClosed);
  });

  it("after close() nothing is appended (HEAP_CLOSED)", () => {
    const { heap, C } = setup();
    const l = roomy(heap);
    const o = C.new();
    heap.close();
    expect(codeOf(() => l.append(o))).toBe(ErrorCode.HeapClosed);
  });
});
