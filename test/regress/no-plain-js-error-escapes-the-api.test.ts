/**
 * Guards the promise that every misuse of the public API is a typed RefheapError (with a stable
 * `code`) that names what was wrong — never a plain TypeError or RangeError from deep inside. Every
 * public method of the heap, its facades, handles, classes and weak containers is called with
 * each of a set of bad values in each argument position (generators are also advanced); whatever
 * it throws must be a RefheapError. A method may also accept a value: then it must not corrupt the
 * heap (the verifier runs after each method). A weak proxy whose referent died must not look like
 * a thenable, and must still serialise.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Handle, Heap, RefheapError } from "../../src/index.js";

const other = new Heap({ leaks: "off" });
const foreign = other.list();

function badValues(heap: Heap): [string, unknown][] {
  const released = heap.list();
  released.dispose();
  const C = heap.defineClass(`Dead${Math.random()}`, { weakrefable: true });
  const victim = C.new();
  const deadProxy = heap.weakref.proxy(victim);
  victim.dispose();
  return [
    ["3", 3],
    ["-1", -1],
    ["1.5", 1.5],
    ["NaN", Number.NaN],
    ["'x'", "x"],
    ["null", null],
    ["undefined", undefined],
    ["true", true],
    ["{}", {}],
    ["[]", []],
    ["[1, 2, 3]", [1, 2, 3]],
    ["a symbol", Symbol("s")],
    ["a function", () => 1],
    ["a bigint", 10n],
    ["a released handle", released],
    ["another heap's handle", foreign],
    ["a dead proxy", deadProxy],
  ];
}

/** Calls `fn` and, if it returns an iterator, advances it; returns the error thrown, if any. */
function attempt(fn: () => unknown): unknown {
  try {
    const r = fn();
    if (r !== null && typeof r === "object" && typeof (r as Iterator<unknown>).next === "function") {
      const it = r as Iterator<unknown>;
      for (let i = 0; i < 3 && !it.next().done; i++);
      (it as Generator).return?.(undefined);
    }
    if (r !== null && typeof r === "object" && typeof (r as Handle).dispose === "function")
      (r as Handle).dispose();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** Where a handle's own methods end: the guard over Object.prototype (src/api/handle.ts), whose members are JS's. */
const HANDLE_CHAIN_END: object = Object.getPrototypeOf(Handle.prototype);

function methodsOf(obj: object): string[] {
  const names = new Set<string>();
  for (
    let p = obj;
    p !== null && p !== Object.prototype && p !== HANDLE_CHAIN_END;
    p = Object.getPrototypeOf(p)
  ) {
    for (const n of Object.getOwnPropertyNames(p)) {
      if (n === "constructor" || n === "dispose" || n === "close" || n === "shutdown") continue;
      const d = Object.getOwnPropertyDescriptor(p, n);
      if (d !== undefined && typeof d.value === "function") names.add(n);
    }
  }
  return [...names];
}

function targets(heap: Heap): [string, object][] {
  const C = heap.defineClass(`C${Math.random()}`, {
    fields: { n: "number", r: "ref", s: "str" },
    weakrefable: true,
    dynamic: true,
  });
  const c = C.new();
  const l = heap.list([1, c]);
  const d = heap.dict({ a: 1 });
  const t = heap.tuple(1, c);
  const w = heap.weakref.ref(c);
  const p = heap.weakref.proxy(c);
  const wvd = heap.weakref.WeakValueDictionary([["k", c]]);
  const wkd = heap.weakref.WeakKeyDictionary([[c, 1]]);
  const ws = heap.weakref.WeakSet([c]);
  const f = heap.weakref.finalize(c, () => 0);
  return [
    ["heap", heap],
    ["heap.gc", heap.gc],
    ["heap.weakref", heap.weakref],
    ["heap.sys", heap.sys],
    ["class", C],
    ["instance", c],
    ["list", l],
    ["dict", d],
    ["tuple", t],
    ["weakref", w],
    ["proxy", p],
    ["WeakValueDictionary", wvd],
    ["WeakKeyDictionary", wkd],
    ["WeakSet", ws],
    ["finalize", f],
  ];
}

describe("every public method, called with bad arguments", () => {
  it("throws only RefheapErrors and keeps the heap sound", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const bad = badValues(heap);
    const failures: string[] = [];
    for (const [what, obj] of targets(heap)) {
      for (const name of methodsOf(obj)) {
        for (let position = 0; position < 3; position++) {
          for (const [label, value] of bad) {
            const args: unknown[] = [1, 1, 1];
            args[position] = value;
            const e = attempt(() =>
              (obj as Record<string, (...a: unknown[]) => unknown>)[name]!(...args.slice(0, position + 1)),
            );
            if (e !== undefined && !(e instanceof RefheapError)) {
              failures.push(`${what}.${name}(arg ${position + 1} = ${label}): ${String(e)}`);
            }
          }
        }
      }
    }
    // DUMP=FILE writes the failures to FILE, for a long list.
    if (process.env.DUMP) writeFileSync(process.env.DUMP, failures.join("\n"));
    expect(failures).toEqual([]);
    expect(heap.verify().problems).toEqual([]);
  });

  it("after the object's release, and after the heap's close, throws only RefheapErrors", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const failures: string[] = [];
    const all = targets(heap);
    const callAll = (when: string) => {
      for (const [what, obj] of all) {
        for (const name of methodsOf(obj)) {
          for (const args of [[], [1], ["k", 1], [obj, obj]]) {
            const e = attempt(() => (obj as Record<string, (...a: unknown[]) => unknown>)[name]!(...args));
            if (e !== undefined && !(e instanceof RefheapError)) {
              failures.push(`${when}: ${what}.${name}(${args.length} args): ${String(e)}`);
            }
          }
        }
      }
    };
    for (const [, obj] of all) {
      if (obj !== heap && typeof (obj as { dispose?: unknown }).dispose === "function") {
        (obj as { dispose(): void }).dispose();
      }
    }
    callAll("released");
    expect(heap.verify().problems).toEqual([]);
    heap.close();
    callAll("closed");
    expect(failures).toEqual([]);
  });

  it("field setters throw only RefheapErrors", () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const failures: string[] = [];
    const [, C] = targets(heap).find(([w]) => w === "class")! as [
      string,
      { "new"(): Record<string, unknown> },
    ];
    const c = C.new();
    for (const field of ["n", "r", "s"]) {
      for (const [label, value] of badValues(heap)) {
        const e = attempt(() => {
          c[field] = value;
        });
        if (e !== undefined && !(e instanceof RefheapError))
          failures.push(`c.${field} = ${label}: ${String(e)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(heap.verify().problems).toEqual([]);
  });
});

describe("a dead proxy", () => {
  it("is not a thenable and still serialises", async () => {
    const heap = new Heap({ checked: true, leaks: "off" });
    const C = heap.defineClass("C", { fields: { n: "number" }, weakrefable: true });
    const c = C.new({ n: 1 });
    const p = heap.weakref.proxy(c);
    c.dispose();
    expect((p as unknown as { then?: unknown }).then).toBeUndefined();
    await expect(Promise.resolve(p)).resolves.toBe(p);
    expect(() => JSON.stringify(p)).not.toThrow();
    expect(() => (p as unknown as { n: number }).n).toThrow(
      expect.objectContaining({ code: "DEAD_REFERENT" }),
    );
    p.dispose();
  });
});
