/**
 * The refheap runner (src/oracle/run.ts): its logs for small scenarios, each checked against the
 * python runner on CPython 3.11 when python3 is there, and the parts that need no python (the
 * log's shape, labels, the error lines) checked directly.
 */
import { describe, expect, it } from "vitest";
import { pythonProblem, runPython } from "../../src/oracle/python.js";
import { runScenario } from "../../src/oracle/run.js";
import { parseScenario } from "../../src/oracle/scenario.js";

const N = 6940;

function run(lines: readonly string[], longLived = N): string[] {
  return runScenario(`${lines.join("\n")}\n`, { longLived });
}

/** The scenario on CPython, then on refheap with CPython's N: the two logs. */
async function both(lines: readonly string[]): Promise<[string[], string[]]> {
  const py = await runPython(`${lines.join("\n")}\n`);
  const n = Number(/^baseline (\d+)$/.exec(py[0] ?? "")?.[1]);
  return [py, run(lines, n)];
}

const noPython = pythonProblem() !== null;

/** Scenarios whose refheap log must equal CPython's, line for line (gen-0 counts included). */
const SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  "self cycles are collected (#1–#4, #6)": [
    "class C",
    "class S slots other",
    "list a",
    "append a a",
    "dict d 'd' 1",
    "setitem d 'd' d",
    "new c C",
    "set c.me c",
    "new s S",
    "set s.other s",
    "del a d c s",
    "show count",
    "collect",
    "show count",
    "show stats",
  ],
  "finalizer order, resurrection, SAVEALL (#8–#15, #29)": [
    "class D del log",
    "class R del log resurrect:K",
    "disable",
    "new b D",
    "new a D",
    "set a.o b",
    "set b.o a",
    "del a b",
    "collect",
    "new r R",
    "set r.me r",
    "del r",
    "collect",
    "show finalized K",
    "del K",
    "collect",
    "debug 32",
    "list l",
    "append l l",
    "del l",
    "collect",
    "show garbage",
    "debug 0",
    "cleargarbage",
    "collect",
  ],
  "legacy finalizers are uncollectable (#31)": [
    "class U tpdel log",
    "new u U",
    "set u.me u",
    "list x 1",
    "set u.x x",
    "del u x",
    "collect",
    "show garbage",
    "show stats",
  ],
  "a throwing __del__, weakref callback and gc callback (the frames CPython materialises)": [
    "class T del log throw",
    "class U del log new:T:z",
    "class V del collect throw",
    "new t T",
    "ref w t log throw",
    "del t",
    "new u U",
    "del u",
    "del z",
    "new v V",
    "set v.me v",
    "del v",
    "collect",
    "gccb add throw",
    "gccb add collect",
    "new y T",
    "set y.me y",
    "del y",
    "collect",
    "gccb clear",
    "show count",
  ],
  "automatic collections, freeze, tracking (#39, #41–#45)": [
    "class C",
    "threshold 5",
    "loop 30 C",
    "list keep",
    "loop 30 C keep keep",
    "show count",
    "tuple t 1 2",
    "show tracked t",
    "collect 0",
    "show tracked t",
    "dict d 'a' 1",
    "show tracked d",
    "freeze",
    "show freeze",
    "show count",
    "unfreeze",
    "show stats",
  ],
  "weakrefs and the collector (#53–#59)": [
    "class C",
    "class D del log",
    "wvd v",
    "disable",
    "new o C",
    "set o.me o",
    "ref r3 o log",
    "ref r2 o log",
    "ref r1 o log",
    "ref b o",
    "proxy p o",
    "show wrcount o",
    "show wrlist o",
    "del o",
    "collect",
    "new d D",
    "set d.me d",
    "ref w d log",
    "del d",
    "collect",
    "new x C",
    "set x.me x",
    "setitem v 'x' x",
    "del x",
    "show len v",
    "collect",
    "show len v",
  ],
  "finalize objects (#71, #72)": [
    "class C",
    "new a C",
    "new b C",
    "new c C",
    "finalize f1 a",
    "finalize f2 b",
    "finalize f3 c",
    "show refcount f1",
    "call f1",
    "call f1",
    "del a b c",
    "show count",
  ],
  "iterating the weak containers (#73)": [
    "class C",
    "wvd wv",
    "wkd wk",
    "wset ws",
    "new a C",
    "new b C",
    "setitem wv 'a' a",
    "setitem wv 'b' b",
    "setitem wk a 1",
    "setitem wk b 2",
    "add ws a",
    "iter i wv",
    "iter j wk",
    "iter k ws",
    "next i",
    "next j",
    "del b",
    "show len wk",
    "show items wv",
    "next i",
    "next j",
    "next i",
    "next k",
    "close k",
    "show count",
    "iter l wv",
    "next l",
    "clear wk",
    "show count",
  ],
  "errors: CPython's exception messages": [
    "class C",
    "class S slots a b",
    "wvd wv",
    "wkd wk",
    "wset ws",
    "new c C",
    "new s S",
    "del zz",
    "set s.q 1",
    "unset s.a",
    "unset c.x",
    "append c 1",
    "list L",
    "pop L",
    "setitem L 'k' 1",
    "dict D 'k' 1",
    "delitem D 'j'",
    "delitem D c",
    "setitem wv 'k' 1",
    "delitem wk c",
    "ref w c",
    "delitem wk c",
    "pop wv",
    "pop ws",
    "ref r s",
    "call c",
    "iter i c",
    "next c",
    "show len c",
    "show has c 1",
    "show items c",
    "show proxy c x",
    "collect 3",
    "show objects 3",
    "show count",
  ],
};

describe("runScenario", () => {
  it("starts with the baseline and ends with the labels still alive", () => {
    const log = run(["class C", "new a C", "new b C", "list l a", "del a", "loop 3 C keep l"]);
    expect(log[0]).toBe(`baseline ${N}`);
    expect(log.at(-1)).toBe("alive [a, b, l]");
  });

  it("logs errors with CPython's type and message, and goes on", () => {
    expect(run(["class C", "del x", "new c C", "append c 1", "show items c"])).toEqual([
      `baseline ${N}`,
      "error 2 NameError: name 'x' is not defined",
      "error 4 AttributeError: 'C' object has no attribute 'append'",
      "error 5 TypeError: 'C' object is not iterable",
      "alive [c]",
    ]);
  });

  it("prints values as the python runner does: labels, ~ for loop objects, ?type for the rest", () => {
    const log = run(["class C", "list l 1 'k' None True", "loop 1 C keep l", "append l C", "show items l"]);
    expect(log).toContain("items l [1, 'k', None, True, ~, C]");
  });

  it("accepts the python runner's grammar and rejects what it rejects", () => {
    expect(() => parseScenario("class C\nref w c log\n")).not.toThrow();
    expect(() => parseScenario("setitem d None 1\n")).toThrow(/not a key/);
    expect(() => parseScenario("class C\nnew c C\nset c.if 1\n")).toThrow(/keyword/);
    expect(() => parseScenario("class C\nclass C\n")).toThrow(/declared twice/);
    expect(() => parseScenario("class C weak\nnew c C\nref w c lambda collect drop:c\n")).not.toThrow();
    expect(() => parseScenario("class C weak\nnew c C\nref w c lambda throw\n")).toThrow(
      /lambda or method callback cannot throw/,
    );
    // slots at several levels of a chain, each declared once (CPython visits them own level first)
    expect(() => parseScenario("class A slots a b\nclass B base A slots c\n")).not.toThrow();
    expect(() => parseScenario("class A slots a b\nclass B base A slots b\n")).toThrow(
      /slot b is declared by A, a base of B, already/,
    );
    // subclasses of list and dict: no finalizer (refheap refuses one), and no class named list
    expect(() => parseScenario("class L base list\nclass D base dict slots a\n")).not.toThrow();
    expect(() => parseScenario("class L base list\nclass M base L del log\n")).toThrow(
      /M subclasses list: no del or tpdel/,
    );
    expect(() => parseScenario("class list\n")).toThrow(/'list' names a built-in type/);
    // a subclass of ref is made by `new W R X`, and only it takes a referent
    expect(() => parseScenario("class A\nclass R base ref\nnew a A\nnew w R a\n")).not.toThrow();
    expect(() => parseScenario("class A\nclass R base ref\nnew w R\n")).toThrow(/R subclasses ref/);
    expect(() => parseScenario("class A\nnew a A\nnew b A a\n")).toThrow(
      /needs R to be a class declared with base ref/,
    );
  });

  it.skipIf(noPython)(
    "a lambda callback garbage with its weakref is collected: collect() returns 3, as CPython's",
    async () => {
      const lines = [
        "class A weak",
        "disable",
        "new a A",
        "set a.me a",
        "ref w a lambda",
        "set a.wr w",
        "del w a",
        "collect",
      ];
      const [py, ts] = await both(lines);
      expect(ts).toEqual(py);
      expect(ts).toContain("collect 2 -> 3");
    },
  );

  for (const [name, lines] of Object.entries(SCENARIOS)) {
    it.skipIf(noPython)(`matches CPython: ${name}`, async () => {
      const [py, ts] = await both(lines);
      expect(ts).toEqual(py);
    });
  }
});
