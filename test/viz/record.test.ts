/**
 * The playground's model (src/viz/): scenarios recorded through the oracle's runner, the
 * recorder's pictures of the collector's phases, the trace format, and "why is this alive".
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Heap } from "../../src/index.js";
import { DEFAULT_LONG_LIVED, runScenario } from "../../src/oracle/index.js";
import {
  checkTrace,
  PRESETS,
  parseTrace,
  Recorder,
  recordScenario,
  type VizStep,
  type VizTrace,
  whyAlive,
} from "../../src/viz/index.js";

const preset = (id: string) => PRESETS.find((p) => p.id === id)!.text;
const stepNamed = (t: VizTrace, label: string): VizStep => {
  const s = t.steps.find((x) => x.label === label);
  if (s === undefined) throw new Error(`no step ${label} in ${t.steps.map((x) => x.label).join(", ")}`);
  return s;
};
const byLabel = (s: VizStep) => new Map((s.heap.objects ?? []).map((o) => [o.label, o]));

describe("recordScenario", () => {
  it("pictures a two-object cycle through every phase of the collection", () => {
    const t = recordScenario(preset("cycle"));
    const afterDel = byLabel(stepNamed(t, "del a b"));
    expect(afterDel.get("a")!.refcount).toBe(1);
    expect(afterDel.get("b")!.refcount).toBe(1);
    expect(stepNamed(t, "del a b").heap.roots).toEqual([]);
    expect(stepNamed(t, "set b.peer a").heap.roots.map((r) => r.name)).toEqual(["a", "b"]);
    // update_refs copies the counts; subtract_refs leaves what outside the set references: nothing
    const upd = byLabel(stepNamed(t, "gc 2: update_refs"));
    expect([upd.get("a")!.gcRefs, upd.get("b")!.gcRefs]).toEqual([1, 1]);
    const sub = byLabel(stepNamed(t, "gc 2: subtract_refs"));
    expect([sub.get("a")!.gcRefs, sub.get("b")!.gcRefs]).toEqual([0, 0]);
    expect(sub.get("a")!.mark).toBe("collecting");
    const moved = byLabel(stepNamed(t, "gc 2: move_unreachable"));
    expect([moved.get("a")!.mark, moved.get("b")!.mark]).toEqual(["unreachable", "unreachable"]);
    expect(byLabel(stepNamed(t, "gc 2: resurrection")).get("a")!.mark).toBe("garbage");
    expect(stepNamed(t, "gc 2: delete").heap.objects).toEqual([]);
    const end = stepNamed(t, "gc 2: end");
    expect(end.collection).toMatchObject({
      generation: 2,
      automatic: false,
      result: { collected: 2, uncollectable: 0 },
    });
    expect(stepNamed(t, "collect").log).toEqual(["collect 2 -> 2"]);
    // each object's edge is its peer
    const a = afterDel.get("a")!;
    expect(a.edges).toEqual([{ to: afterDel.get("b")!.addr, weak: false }]);
  });

  it("changes nothing in the run: the log is the runner's, line for line, for every preset and 30 corpus scenarios", () => {
    const dir = new URL("../../oracle/corpus/", import.meta.url);
    const corpus = readdirSync(dir)
      .filter((f) => f.endsWith(".txt"))
      .sort()
      .filter((_, i) => i % 14 === 0)
      .map((f) => readFileSync(new URL(f, dir), "utf8"));
    const texts = [...PRESETS.filter((p) => p.id !== "big").map((p) => p.text), ...corpus];
    for (const text of texts) {
      const log = runScenario(text, { longLived: DEFAULT_LONG_LIVED });
      const t = recordScenario(text, { maxObjects: 50 });
      expect(t.steps.flatMap((s) => s.log)).toEqual(log);
    }
  });

  it("marks automatic collections and says why they started", () => {
    const t = recordScenario(
      ["class A", "threshold 3", "new a A", "new b A", "new c A", "new d A"].join("\n"),
    );
    const start = t.steps.find((s) => s.collection?.phase === "start")!;
    expect(start.collection!.automatic).toBe(true);
    expect(start.explanation).toMatch(/generation 0's count .* is 4, over its threshold 3/);
    // The collection's steps belong to the line that allocated; that line's own step follows them.
    const i = t.steps.indexOf(start);
    const own = t.steps.findIndex((s) => s.collection === null && s.line === start.line);
    expect(t.steps[own]!.label).toMatch(/^new /);
    expect(own).toBeGreaterThan(i);
    expect(t.steps.slice(i, own).every((s) => s.line === start.line && s.collection !== null)).toBe(true);
  });

  it("shows weakrefs' referents as weak edges, and the finalized flag after __del__", () => {
    const t = recordScenario(preset("resurrection"));
    const saved = byLabel(stepNamed(t, "show finalized saved")).get("a")!;
    expect(saved.finalized).toBe(true);
    const w = byLabel(recordScenario(preset("callbacks")).steps.find((s) => s.label === "ref w1 a log")!);
    expect(w.get("w1")!.edges).toContainEqual({ to: w.get("a")!.addr, weak: true });
  });

  it("draws a weak-value cache with its attributes, whose data dict's KeyedRef points weakly at the image", () => {
    const s = recordScenario(preset("cache")).steps.find((x) => x.label === "setitem cache 'logo' img")!;
    const objs = s.heap.objects!;
    const at = (a: number) => objs.find((o) => o.addr === a)!;
    const cache = objs.find((o) => o.label === "cache")!;
    const img = objs.find((o) => o.label === "img")!;
    // CPython's instance: _remove, _pending_removals, _iterating, data (its class is not drawn)
    const parts = cache.edges.map((e) => at(e.to));
    expect(parts.map((o) => o.type)).toEqual(["function", "list", "set", "dict"]);
    const data = parts[3]!;
    const keyed = at(data.edges[0]!.to);
    expect(keyed.type).toBe("KeyedRef");
    expect(keyed.edges).toContainEqual({ to: img.addr, weak: true });
    expect(keyed.edges.map((e) => at(e.to).value)).toContain("'logo'");
  });

  it("draws counts instead of objects past maxObjects", () => {
    const t = recordScenario(
      ["class C slots v", "disable", "list l", "loop 300 C keep l", "collect"].join("\n"),
      {
        maxObjects: 100,
      },
    );
    const s = stepNamed(t, "loop 300 C keep l");
    expect(s.heap.objects).toBeNull();
    expect(s.heap.summary.total).toBe(301);
    expect(s.heap.summary.byType.C).toEqual([300, 0, 0, 0, 0, 0]);
    expect(stepNamed(t, "collect").heap.summary.byType.C).toEqual([0, 0, 300, 0, 0, 0]);
  });

  it("refuses a malformed scenario with the parser's message", () => {
    expect(() => recordScenario("frobnicate x")).toThrow(/unknown|frobnicate/);
  });
});

describe("Recorder on a program", () => {
  it("records a program's steps and its collections; the trace survives JSON", () => {
    let headAddress = 0;
    const rec = new Recorder({ roots: (): [string, number][] => [["head", headAddress]] });
    const heap = new Heap({ trace: rec.sink, leaks: "off" });
    rec.attach(heap.engine);
    heap.gc.disable();
    const Node = heap.defineClass("Node", { fields: { next: "self" } });
    const head = Node.new().own();
    headAddress = head.address;
    head.next = Node.new();
    rec.step("two nodes", "head and its next");
    const orphan = Node.new().own();
    orphan.next = orphan;
    orphan.dispose();
    heap.gc.collect();
    rec.step("after collect", "");
    const t = parseTrace(JSON.stringify(rec.trace("program")));
    const first = t.steps[0]!;
    const nodes = (first.heap.objects ?? []).filter((o) => o.type === "Node");
    expect(nodes).toHaveLength(2);
    // gc.garbage, the heap's own list, is left out while it is empty
    expect(first.heap.objects!.some((o) => o.addr === heap.engine.garbage)).toBe(false);
    expect(first.heap.roots).toEqual([{ name: "head", addr: head.address }]);
    expect(t.steps.map((s) => s.label)).toContain("gc 2: subtract_refs");
    expect(t.steps.find((s) => s.label === "gc 2: end")!.collection!.result).toEqual({
      collected: 1,
      uncollectable: 0,
    });
    expect((t.steps.at(-1)!.heap.objects ?? []).filter((o) => o.type === "Node")).toHaveLength(2);
    head.dispose();
    heap.close();
  });

  it("reads without changing: a recorded heap's counts and collections equal an unrecorded one's", () => {
    const runOnce = (record: boolean) => {
      const rec = new Recorder();
      const heap = new Heap({ leaks: "off", ...(record ? { trace: rec.sink } : {}) });
      if (record) rec.attach(heap.engine);
      heap.gc.setThreshold(50, 3, 3);
      const Node = heap.defineClass("Node", { fields: { next: "self" } });
      const keep = heap.list();
      for (let i = 0; i < 400; i++) {
        const n = Node.new();
        if (i % 3 === 0) n.next = n;
        if (i % 5 === 0) keep.append(n);
        if (record && i % 50 === 0) rec.step(`i=${i}`, "");
      }
      const out = [heap.gc.getCount(), heap.gc.getStats()];
      keep.dispose();
      heap.close();
      return out;
    };
    expect(runOnce(true)).toEqual(runOnce(false));
  });
});

describe("the trace format", () => {
  it("refuses what is not a trace, saying why", () => {
    expect(() => parseTrace("not json")).toThrow(/not JSON/);
    expect(() => parseTrace("{}")).toThrow(/"format" must be "refheap-trace"/);
    expect(() => parseTrace('{"format":"refheap-trace","version":2,"steps":[]}')).toThrow(/version 2/);
    expect(() => checkTrace({ format: "refheap-trace", version: 1, steps: [] })).toThrow(/non-empty/);
    expect(() => checkTrace({ format: "refheap-trace", version: 1, steps: [{ label: "x" }] })).toThrow(
      /step 0/,
    );
  });
});

describe("whyAlive", () => {
  it("finds the shortest chain of strong references from a name, and none for garbage", () => {
    const t = recordScenario(
      [
        "class A",
        "disable",
        "new a A",
        "new b A",
        "new c A",
        "set a.x b",
        "set b.x c",
        "set a.y c",
        "del b c",
        "new g A",
        "set g.me g",
        "del g",
      ].join("\n"),
    );
    const s = t.steps.at(-2)!; // after `del g`
    const o = byLabel(s);
    expect(whyAlive(s.heap, o.get("c")!.addr)).toEqual({
      root: "a",
      path: [o.get("a")!.addr, o.get("c")!.addr],
    });
    expect(whyAlive(s.heap, o.get("g")!.addr)).toBeNull();
  });
});
