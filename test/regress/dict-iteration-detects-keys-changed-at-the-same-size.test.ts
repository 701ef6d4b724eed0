/**
 * Guards CPython's dict-iterator checks (dictiter_iternextitem) on DictHandle and the weak
 * dictionaries: a size change is "dictionary changed size during iteration", and keys replaced at
 * the same size are "dictionary keys changed during iteration" when the iterator meets more
 * entries than the dict had. Also dict(iterable)'s checks of each item: a non-sequence is a
 * TypeError, a sequence of another length than 2 a ValueError. Every expectation is what python3
 * prints for the same program.
 */
import { describe, expect, it } from "vitest";
import { type DictHandle, ErrorCode, Heap, type Value } from "../../src/index.js";
import { python } from "../gc/gc-helpers.js";

type Change = "del a, add c" | "del b, add c" | "del x, add c" | "add c";
const CHANGES: Change[] = ["del a, add c", "del b, add c", "del x, add c", "add c"];

function apply(
  change: Change,
  d: { delete(k: string): unknown; set(k: string, v: never): unknown },
  v: never,
) {
  if (change !== "add c") d.delete(change[4]!);
  d.set("c", v);
}

async function cpython(): Promise<string[]> {
  const out = await python(`
def run(f):
    d = {'a': 1, 'b': 2, 'x': 3}
    it = iter(d.items()); out = [next(it)[0]]
    f(d)
    try:
        for k, v in it: out.append(k)
    except RuntimeError as e: out.append(str(e))
    print(out)
run(lambda d: (d.__delitem__('a'), d.__setitem__('c', 9)))
run(lambda d: (d.__delitem__('b'), d.__setitem__('c', 9)))
run(lambda d: (d.__delitem__('x'), d.__setitem__('c', 9)))
run(lambda d: d.__setitem__('c', 9))
`);
  return out.trim().split("\n");
}

function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(", ")}]`;
}

function iterate(next: () => IteratorResult<string>): string[] {
  const out: string[] = [];
  try {
    for (let r = next(); !r.done; r = next()) out.push(r.value);
  } catch (e) {
    expect((e as { code?: string }).code).toBe(ErrorCode.InvalidArgument);
    out.push((e as Error).message);
  }
  return out;
}

describe("keys changed during an iteration", () => {
  it("DictHandle raises what CPython raises", async () => {
    const expected = await cpython();
    using heap = new Heap({ checked: true, leaks: "off" });
    const got = CHANGES.map((change) => {
      using d = heap.dict({ a: 1, b: 2, x: 3 });
      const it = d.entries();
      const out = [String(it.next().value![0])];
      apply(change, d as unknown as DictHandle & { set(k: string, v: never): unknown }, 9 as never);
      out.push(
        ...iterate(() => {
          const r = it.next();
          return r.done ? r : { done: false, value: String(r.value[0]) };
        }),
      );
      return pyList(out);
    });
    expect(got).toEqual(expected);
  });

  it("a WeakValueDictionary raises what CPython raises", async () => {
    const expected = await cpython();
    using heap = new Heap({ checked: true, leaks: "off" });
    const C = heap.defineClass("C", { weakrefable: true });
    const objs = ["a", "b", "x", "c"].map(() => C.new());
    const got = CHANGES.map((change) => {
      using w = heap.weakref.WeakValueDictionary();
      w.set("a", objs[0]!).set("b", objs[1]!).set("x", objs[2]!);
      const it = w.items();
      const first = it.next().value!;
      first[1].dispose();
      const out = [String(first[0])];
      apply(change, w as never, objs[3]! as never);
      out.push(
        ...iterate(() => {
          const r = it.next();
          if (r.done) return r;
          r.value[1].dispose();
          return { done: false, value: String(r.value[0]) };
        }),
      );
      return pyList(out);
    });
    expect(got).toEqual(expected);
    for (const o of objs) o.dispose();
    expect(heap.verify().problems).toEqual([]);
  });
});

describe("dict(iterable) checks each item as CPython does", () => {
  it("a pair of the wrong length is a ValueError, a non-sequence a TypeError, and nothing leaks", async () => {
    const expected = (
      await python(`
for arg in ([(1, 2, 3)], [(1, 2), 5], ['ab']):
    try: print(dict(arg))
    except Exception as e: print(type(e).__name__, e)
`)
    ).trim();
    const heap = new Heap({ checked: true, leaks: "throw" });
    const C = heap.defineClass("C", { weakrefable: true });
    const got: string[] = [];
    for (const arg of [[[1, 2, 3]], [[1, 2], 5], ["ab"]] as unknown as [Value, Value][][]) {
      try {
        // (no `using` here: esbuild's lowering of `using` in a loop rethrows an earlier error)
        const d = heap.dict(arg);
        got.push(`{${[...d].map(([k, v]) => `'${k}': '${v}'`).join(", ")}}`);
        d.dispose();
      } catch (e) {
        const name = (e as { code?: string }).code === ErrorCode.InvalidArgument ? "ValueError" : "TypeError";
        got.push(`${name} ${(e as Error).message.replace(/^dict: /, "")}`);
      }
    }
    expect(got.join("\n")).toBe(expected);
    const c = C.new();
    for (const make of [
      () => heap.weakref.WeakValueDictionary([["k", c, c]] as never),
      () => heap.weakref.WeakKeyDictionary([[c]] as never),
    ]) {
      expect(make).toThrow(/dictionary update sequence element #0 has length \d; 2 is required/);
    }
    c.dispose();
    expect(heap.verify().problems).toEqual([]);
    heap.close(); // "throw": nothing half-built was left owned by the program
  });
});
