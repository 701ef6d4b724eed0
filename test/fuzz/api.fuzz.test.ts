/**
 * Random sequences of public-API operations (seeded) on a checked heap of the smallest size
 * (2 MiB), so that memory runs out again and again. The operations include constructions with a
 * failing item (another heap's handle, a value of the wrong type, an unknown field, a malformed
 * entry, a string too big for the heap), weak proxies passed wherever a handle is accepted,
 * handles of a second heap, and a filler that exhausts the heap. After every step:
 *
 *  - whatever was thrown is a RefheapError (never a plain JS error);
 *  - the heap verifier finds no problem;
 *  - the references held from outside the heap are exactly those of the handles the test holds
 *    that own one (floating and owned handles: one each; a borrowed one owns none, and a floating
 *    one becomes borrowed when a store sinks it; a weak container holds two: its dict and its
 *    pending-removals list) plus the heap's own: so a failed or successful operation leaked
 *    nothing and released nothing it did not own;
 *  - `heap.unreleasedHandles()` lists exactly those handles.
 *
 * Borrowed handles stay in the test's hands after their objects may have died: using one then is a
 * STALE_HANDLE error, a RefheapError like the others.
 *
 * At the end everything is released, a collection leaves exactly the objects the heap began
 * with, and `close()` under the "throw" leak policy reports nothing.
 */
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Handle,
  Heap,
  type WeakSet as HeapWeakSet,
  type ListHandle,
  RefheapError,
  type Value,
  type WeakKeyDictionary,
  type WeakValueDictionary,
} from "../../src/index.js";

type Container = WeakValueDictionary | WeakKeyDictionary | HeapWeakSet;
type Op = readonly [number, number, number, number];

const opsArb = fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000)), {
  minLength: 10,
  maxLength: 80,
  size: "max",
});

const OPS = [
  "instance",
  "list",
  "tuple",
  "dict",
  "container",
  "setField",
  "listOp",
  "dictOp",
  "dispose",
  "dispose",
  "dup",
  "proxy",
  "ref",
  "call",
  "scope",
  "collect",
  "fill",
  "unfill",
  "containerOp",
  "bigStr",
  "gcLists",
] as const;

/** Across all runs: held handles found borrowed (sunk by a store) and stale, after a step. */
const seen = { sunk: 0, stale: 0 };

function run(ops: readonly Op[]): void {
  const heap = new Heap({ checked: true, leaks: "throw", trackStacks: false, maxBytes: 2 * 1024 * 1024 });
  const other = new Heap({ leaks: "off" });
  const foreign = other.defineClass("F", { weakrefable: true }).new();
  const C = heap.defineClass("C", {
    fields: { n: "number", r: "ref", a: "any", s: "str" },
    weakrefable: true,
    dynamic: true,
  });
  const baseline = heap.verify();
  const held: Handle[] = []; // floating and owned ones own one reference each; borrowed ones none
  const owning = () => held.filter((h) => h.ownership !== "borrowed");
  const containers: Container[] = [];
  const filler = heap.list();
  held.push(filler);
  const huge = "h".repeat(1_200_000); // 2.4 MB: never fits

  const pick = (n: number): Handle | undefined => (held.length === 0 ? undefined : held[n % held.length]);
  const instances = () => held.filter((h) => h.ownership !== "borrowed" && C.isInstance(h));
  /** A value to store: a number, a string, a held handle (maybe a proxy), or null. */
  const value = (n: number): Value => {
    switch (n % 5) {
      case 0:
        return n;
      case 1:
        return `s${n % 7}`;
      case 2:
        return null;
      default:
        return pick(n) ?? n;
    }
  };
  /** Sometimes a value that makes the operation fail part way. */
  const maybeBad = (n: number): unknown => {
    switch (n % 9) {
      case 0:
        return foreign;
      case 1:
        return {};
      case 2:
        return huge;
      default:
        return value(n);
    }
  };
  const keep = (h: unknown) => {
    if (h !== null && typeof h === "object" && typeof (h as Handle).dispose === "function") {
      held.push(h as Handle);
    }
  };
  const drop = (v: unknown) => {
    if (v !== null && typeof v === "object" && typeof (v as Handle).dispose === "function") {
      (v as Handle).dispose();
    }
  };

  const step = (op: (typeof OPS)[number], a: number, b: number, c: number): void => {
    switch (op) {
      case "instance": {
        const init: Record<string, unknown> = { n: a, r: b % 3 === 0 ? maybeBad(c) : (pick(c) ?? null) };
        if (b % 7 === 1) init.nope = 1; // an unknown field
        if (b % 5 === 2) init.s = huge; // too big
        keep(C.new(init as never));
        break;
      }
      case "list":
        keep(heap.list([value(a), value(b), maybeBad(c) as Value]));
        break;
      case "tuple":
        keep(heap.tuple(value(a), maybeBad(b) as Value, value(c)));
        break;
      case "dict": {
        const entries: unknown[] = [[`k${a % 5}`, value(b)]];
        if (c % 4 === 0)
          entries.push(["x", 1, 2]); // not a pair
        else entries.push([`k${c % 5}`, maybeBad(c)]);
        keep(heap.dict(entries as never));
        break;
      }
      case "container": {
        const insts = instances();
        const x = insts[a % Math.max(1, insts.length)] ?? foreign;
        const bad = maybeBad(c);
        const kind = b % 3;
        const made =
          kind === 0
            ? heap.weakref.WeakValueDictionary([
                ["a", x],
                ["b", bad],
              ] as never)
            : kind === 1
              ? heap.weakref.WeakKeyDictionary([
                  [x, 1],
                  [bad, 2],
                ] as never)
              : heap.weakref.WeakSet([x, bad] as never);
        containers.push(made);
        break;
      }
      case "setField": {
        const insts = instances();
        if (insts.length === 0) return;
        const o = insts[a % insts.length] as unknown as Record<string, unknown>;
        const field = ["r", "a", "s", "n"][b % 4]!;
        o[field] = b % 3 === 0 ? maybeBad(c) : field === "s" ? `t${c}` : field === "n" ? c : value(c);
        break;
      }
      case "listOp": {
        const lists = owning().filter((h) => h.typeName === "list") as ListHandle[];
        if (lists.length === 0) return;
        const l = lists[a % lists.length]!;
        if (b % 3 === 0) l.append(maybeBad(c) as Value);
        else if (b % 3 === 1 && l.length > 0) l.set(c % l.length, value(c));
        else if (l.length > 0) drop(l.pop(c % l.length));
        break;
      }
      case "dictOp": {
        const dicts = owning().filter((h) => h.typeName === "dict") as unknown as {
          set(k: Value, v: Value): void;
          get(k: Value): Value | undefined;
          delete(k: Value): boolean;
        }[];
        if (dicts.length === 0) return;
        const d = dicts[a % dicts.length]!;
        const k = `k${b % 5}`;
        if (c % 3 === 0) d.set(k, maybeBad(c) as Value);
        else if (c % 3 === 1) drop(d.get(k));
        else d.delete(k);
        break;
      }
      case "dispose": {
        if (held.length <= 1) return;
        const i = 1 + (a % (held.length - 1)); // the filler stays
        const h = held[i]!;
        held.splice(i, 1);
        h.dispose();
        if (b % 4 === 0 && containers.length > 0) containers.splice(b % containers.length, 1)[0]!.dispose();
        break;
      }
      case "dup": {
        const h = pick(a);
        if (h !== undefined) keep(h.dup());
        break;
      }
      case "proxy":
      case "ref": {
        const insts = instances();
        const target = b % 6 === 0 ? foreign : insts[a % Math.max(1, insts.length)];
        if (target === undefined) return;
        keep(op === "proxy" ? heap.weakref.proxy(target) : heap.weakref.ref(target));
        break;
      }
      case "call": {
        const x = b % 5 === 0 ? foreign : (pick(a) ?? 1);
        const y = pick(b) ?? 2;
        keep(
          heap.call(
            (p: Value, q: Value) => {
              drop(p); // the callee releases its own handles
              return c % 2 === 0 ? q : 1;
            },
            x as Value,
            y,
          ),
        );
        break;
      }
      case "scope": {
        keep(
          heap.scope((s) => {
            const insts = instances();
            const made = C.new({ n: a });
            const p = insts.length > 0 && b % 2 === 0 ? heap.weakref.proxy(insts[c % insts.length]!) : made;
            return s.escape(c % 7 === 0 ? (foreign as Handle) : p);
          }),
        );
        break;
      }
      case "collect":
        heap.gc.collect(a % 3);
        break;
      case "fill":
        for (;;) filler.append(`${"f".repeat(200 + (a % 300))}${filler.length}`);
      case "unfill":
        for (let i = 0; i < 1 + (a % 50) && filler.length > 0; i++) drop(filler.pop());
        break;
      case "containerOp": {
        if (containers.length === 0) return;
        const w = containers[a % containers.length]!;
        const insts = instances();
        const x = insts[b % Math.max(1, insts.length)] ?? foreign;
        if ("add" in w) {
          if (c % 2 === 0) w.add(x as never);
          else w.discard(x as never);
        } else if ("setdefault" in w && w.toString().includes("WeakValue")) {
          const wv = w as WeakValueDictionary;
          if (c % 3 === 0) wv.set(`k${c % 4}`, x);
          else if (c % 3 === 1) drop(wv.get(`k${c % 4}`));
          else if (wv.has(`k${c % 4}`)) wv.delete(`k${c % 4}`);
        } else {
          const wk = w as WeakKeyDictionary;
          if (c % 2 === 0) wk.set(x, value(c));
          else drop(wk.get(x));
        }
        break;
      }
      case "bigStr":
        keep(heap.str(a % 2 === 0 ? huge : "small"));
        break;
      case "gcLists": {
        // Arrays of borrowed handles: the lists the gc module built are already freed.
        if (b % 2 === 0) heap.gc.getObjects();
        else heap.gc.getReferrers(...owning().slice(0, 3));
        break;
      }
    }
  };

  for (const [code, a, b, c] of ops) {
    const op = OPS[code % OPS.length]!;
    try {
      step(op, a, b, c);
    } catch (e) {
      if (!(e instanceof RefheapError)) throw new Error(`${op} threw a plain ${String(e)}`);
    }
    const report = heap.verify();
    expect(report.problems, op).toEqual([]);
    const owners = owning();
    for (const h of held) {
      if (h.ownership !== "borrowed") continue;
      seen.sunk++;
      if (inspect(h).startsWith("<stale")) seen.stale++;
    }
    expect(report.externalRefs, op).toBe(baseline.externalRefs + owners.length + 2 * containers.length);
    // The heap's own list of the handles the program owns: the test's, and two per container.
    const listed = heap.unreleasedHandles().map((r) => r.address);
    expect(listed.length, op).toBe(owners.length + 2 * containers.length);
    for (const h of owners) {
      const i = listed.indexOf(h.address);
      expect(i, op).toBeGreaterThanOrEqual(0);
      listed.splice(i, 1);
    }
  }
  for (const h of held.splice(0)) h.dispose();
  for (const w of containers.splice(0)) w.dispose();
  heap.gc.collect();
  const end = heap.verify();
  expect(end.problems).toEqual([]);
  expect(end.externalRefs).toBe(baseline.externalRefs);
  expect(end.objects).toBe(baseline.objects);
  expect(heap.unreleasedHandles()).toEqual([]);
  heap.close(); // "throw": a handle the program lost track of would fail here
}

describe("random public-API operations on a small heap (seeded)", () => {
  it("throw only typed errors, leak nothing, and keep the heap sound after every step", () => {
    fc.assert(
      fc.property(opsArb, (ops) => run(ops)),
      { seed: 15_2026, numRuns: 100 },
    );
    // Evidence that stores sank floating handles the test held, and that some of those went stale.
    expect(seen.sunk).toBeGreaterThan(0);
    expect(seen.stale).toBeGreaterThan(0);
  });
});
