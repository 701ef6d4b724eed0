/**
 * The gc module's functions over addresses (CPython's Modules/gcmodule.c): argument errors, statistics, callbacks, debug output,
 * freeze, and the introspection functions.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";
import {
  dictSetStr,
  drop,
  listRefs,
  newHeap,
  num,
  objects,
  python,
  ref,
  repr,
  setAttr,
  settle,
  str,
  takeRefs,
  tupleOf,
} from "./gc-helpers.js";

/** The exception a python3 snippet raises, as `Name: message`. */
async function pythonError(code: string): Promise<string> {
  return python(
    `try:\n    exec(${JSON.stringify(code)})\nexcept Exception as e:\n    print(f"{type(e).__name__}: {e}")`,
  );
}

/** The error a call throws, as `Name: message`, with refheap's error classes named as Python's. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const name =
      e instanceof core.HeapTypeError ? "TypeError" : e instanceof core.HeapValueError ? "ValueError" : "?";
    return `${name}: ${(e as Error).message}`;
  }
  return "no error";
}

/** A self-referencing list, already released by the caller: one object of cyclic garbage. */
function garbageList(h: core.Engine): number {
  const a = core.newList(h);
  core.listAppend(h, a, a, true);
  drop(h, a);
  return a;
}

describe("argument errors (#32–#38)", () => {
  it("collect() rejects generations outside 0..2 and non-integers with CPython's messages", async () => {
    const h = newHeap();
    expect(thrown(() => core.gc.collect(h, 3))).toBe(await pythonError("import gc; gc.collect(3)")); // #32
    expect(thrown(() => core.gc.collect(h, -1))).toBe(await pythonError("import gc; gc.collect(-1)")); // #33
    expect(thrown(() => core.gc.collect(h, "1"))).toBe(await pythonError("import gc; gc.collect('1')")); // #34
    expect(thrown(() => core.gc.collect(h, 1.5))).toBe(await pythonError("import gc; gc.collect(1.5)"));
    expect(thrown(() => core.gc.collect(h, null))).toBe(await pythonError("import gc; gc.collect(None)"));
    // CPython raises OverflowError, which refheap has no class for; the message is CPython's.
    expect(thrown(() => core.gc.collect(h, 2 ** 40))).toMatch(/: Python int too large to convert to C int$/);
    expect(thrown(() => core.gc.collect(h, 3))).toBe("ValueError: invalid generation");
    expect(core.gc.getStats(h).map((s) => s.collections)).toEqual([0, 0, 0]); // nothing ran
    // True is an int (1) in Python.
    core.gc.collect(h, true);
    expect(core.gc.getStats(h).map((s) => s.collections)).toEqual([0, 1, 0]);
    expectSound(h);
  });

  it("get_objects() validates its generation; -1 means all generations (#35–#37)", async () => {
    const h = newHeap();
    expect(thrown(() => core.gc.getObjects(h, 3))).toBe(await pythonError("import gc; gc.get_objects(3)")); // #35
    expect(thrown(() => core.gc.getObjects(h, -2))).toBe(await pythonError("import gc; gc.get_objects(-2)")); // #36
    expect(thrown(() => core.gc.getObjects(h, "x"))).toBe(
      await pythonError("import gc; gc.get_objects('x')"),
    );
    expect(thrown(() => core.gc.getObjects(h, 2 ** 40))).toBe(
      await pythonError("import gc; gc.get_objects(2**40)"),
    );
    const l = core.newList(h);
    expect(objects(h, -1)).toEqual(objects(h, null)); // #37
    expect(objects(h, -1)).toContain(l);
    drop(h, l);
    expectSound(h);
  });

  it("set_threshold() takes 1 to 3 integers (#38); set_debug() any integer, stored verbatim", async () => {
    const h = newHeap();
    expect(thrown(() => core.gc.setThreshold(h))).toBe(await pythonError("import gc; gc.set_threshold()")); // #38
    expect(thrown(() => core.gc.setThreshold(h, 1, 2, 3, 4))).toBe(
      await pythonError("import gc; gc.set_threshold(1, 2, 3, 4)"),
    );
    expect(thrown(() => core.gc.setThreshold(h, 1.5))).toBe(
      await pythonError("import gc; gc.set_threshold(1.5)"),
    );
    expect(thrown(() => core.gc.setDebug(h, "x"))).toBe(await pythonError("import gc; gc.set_debug('x')"));
    expect(core.gc.getThreshold(h)).toEqual([700, 10, 10]);
    core.gc.setThreshold(h, 5);
    expect(core.gc.getThreshold(h)).toEqual([5, 10, 10]);
    core.gc.setThreshold(h, 0, -3);
    expect(core.gc.getThreshold(h)).toEqual([0, -3, 10]);
    core.gc.setThreshold(h, 700, 10, 10);
    core.gc.setDebug(h, 1234);
    expect(core.gc.getDebug(h)).toBe(1234);
    expect(await python("import gc; gc.set_debug(1234); print(gc.get_debug()); gc.set_debug(0)")).toBe(
      "1234",
    );
    core.gc.setDebug(h, 0);
    expectSound(h);
  });
});

describe("debug flags and their output", () => {
  it("#30: the flag values", async () => {
    const ours = [
      core.GcDebug.STATS,
      core.GcDebug.COLLECTABLE,
      core.GcDebug.UNCOLLECTABLE,
      core.GcDebug.SAVEALL,
      core.GcDebug.LEAK,
    ].join(" ");
    expect(ours).toBe(
      await python(
        "import gc; print(gc.DEBUG_STATS, gc.DEBUG_COLLECTABLE, gc.DEBUG_UNCOLLECTABLE, gc.DEBUG_SAVEALL, gc.DEBUG_LEAK)",
      ),
    );
  });

  it("#78: DEBUG_STATS prints the generation sizes before merging and a summary line", async () => {
    const h = newHeap();
    settle(h);
    const gen2 = objects(h, 2).length;
    let text = "";
    h.gcWrite = (s) => {
      text += s;
    };
    core.gc.setDebug(h, core.GcDebug.STATS);
    garbageList(h);
    core.gc.collect(h, 0);
    core.gc.setDebug(h, 0);
    const normalize = (s: string) =>
      s
        .trim()
        .replace(/generation: (\d+) (\d+) \d+$/m, "generation: $1 $2 N")
        .replace(/\d+\.\d{4}s elapsed/, "T.TTTTs elapsed");
    expect(text).toMatch(/^gc: done, 1 unreachable, 0 uncollectable, \d+\.\d{4}s elapsed$/m);
    expect(text).toContain(`gc: objects in each generation: 1 0 ${gen2}\n`);
    expect(normalize(text)).toBe(
      normalize(
        await python(
          "import gc, sys; sys.stderr = sys.stdout; gc.disable(); gc.collect(); gc.set_debug(gc.DEBUG_STATS); a=[]; a.append(a); del a; gc.collect(0); gc.set_debug(0)",
        ),
      ),
    );
    // A full collection lists each generation's size as it was before the merge.
    text = "";
    const young = core.newList(h);
    core.gc.collect(h, 0);
    const younger = core.newList(h);
    core.gc.setDebug(h, core.GcDebug.STATS);
    core.gc.collect(h);
    core.gc.setDebug(h, 0);
    expect(text).toContain(`gc: collecting generation 2...\ngc: objects in each generation: 1 1 ${gen2}\n`);
    drop(h, young, younger);
    expectSound(h);
  });

  it("#79: DEBUG_COLLECTABLE names each unreachable object, resurrected ones included", async () => {
    const h = newHeap();
    const K = h.defineClass({ name: "K", dynamic: true });
    const saved = core.newList(h);
    const R = h.defineClass({
      name: "R",
      dynamic: true,
      finalize: (o) => core.listAppend(h, saved, o, true),
    });
    settle(h);
    let text = "";
    h.gcWrite = (s) => {
      text += s;
    };
    const k = core.newInstance(h, K.id);
    setAttr(h, k, "me", k);
    const r = core.newInstance(h, R.id);
    setAttr(h, r, "me", r);
    drop(h, k, r);
    core.gc.setDebug(h, core.GcDebug.COLLECTABLE);
    expect(core.gc.collect(h)).toBe(1);
    core.gc.setDebug(h, 0);
    expect(text).toBe(`gc: collectable <K 0x${k.toString(16)}>\ngc: collectable <R 0x${r.toString(16)}>\n`);
    const py = await python(
      "import gc, sys; sys.stderr = sys.stdout; gc.disable(); gc.collect(); K=type('K',(),{}); k=K(); k.me=k; del k; gc.set_debug(gc.DEBUG_COLLECTABLE); print(gc.collect()); gc.set_debug(0)",
    );
    expect(py).toMatch(/^gc: collectable <K 0x[0-9a-f]+>\n1$/);
    core.listClear(h, saved);
    drop(h, saved);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });

  it("DEBUG_UNCOLLECTABLE names every object kept by a legacy finalizer, in list order; COLLECTABLE then prints nothing", async () => {
    const h = newHeap();
    const U = h.defineClass({ name: "U", dynamic: true, legacyFinalize: () => {} });
    settle(h);
    let text = "";
    h.gcWrite = (s) => {
      text += s;
    };
    const u = core.newInstance(h, U.id);
    setAttr(h, u, "me", u);
    const x = core.newList(h);
    core.listAppend(h, x, 1, false);
    setAttr(h, u, "x", x);
    drop(h, x, u);
    core.gc.setDebug(h, core.GcDebug.UNCOLLECTABLE | core.GcDebug.COLLECTABLE);
    const n = core.gc.collect(h);
    core.gc.setDebug(h, 0);
    const addr = /0x[0-9a-f]+/g;
    const py = await python(
      "import gc, sys, _testcapi; sys.stderr = sys.stdout; gc.disable(); gc.collect(); U=_testcapi.with_tp_del(type('U',(),{'__tp_del__':lambda s: None})); u=U(); u.me=u; u.x=[1]; del u; gc.set_debug(gc.DEBUG_UNCOLLECTABLE|gc.DEBUG_COLLECTABLE); n=gc.collect(); gc.set_debug(0); print(n)",
    );
    expect(`${text}${n}`.replace(addr, "0x…")).toBe(py.replace(addr, "0x…"));
    expect(text).toBe(
      `gc: uncollectable <U 0x${u.toString(16)}>\ngc: uncollectable <list 0x${x.toString(16)}>\n`,
    );
    // Release: break the cycle and empty gc.garbage.
    core.incref(h, u);
    const me = str(h, "me");
    core.delAttr(h, u, me);
    core.listClear(h, h.garbage);
    drop(h, me, u);
    expectSound(h);
  });

  it("DEBUG_LEAK prints collectable objects and saves them", () => {
    const h = newHeap();
    settle(h);
    let text = "";
    h.gcWrite = (s) => {
      text += s;
    };
    const a = garbageList(h);
    core.gc.setDebug(h, core.GcDebug.LEAK);
    expect(core.gc.collect(h)).toBe(1);
    core.gc.setDebug(h, 0);
    expect(text).toBe(`gc: collectable <list 0x${a.toString(16)}>\n`);
    expect(takeRefs(h, core.gc.getReferents(h, [h.garbage]))).toEqual([a]);
    core.listClear(h, h.garbage);
    expect(core.gc.collect(h)).toBe(1);
    expectSound(h);
  });
});

describe("statistics", () => {
  it("#25: each collection counts one collection for its generation", async () => {
    const h = newHeap();
    settle(h);
    const s0 = core.gc.getStats(h);
    core.gc.collect(h, 0);
    const s1 = core.gc.getStats(h);
    core.gc.collect(h);
    const s2 = core.gc.getStats(h);
    const delta = (a: core.GcGenerationStats[], b: core.GcGenerationStats[]) =>
      `[${b.map((s, i) => s.collections - a[i]!.collections).join(", ")}]`;
    expect(`True\n${delta(s0, s1)}\n${delta(s1, s2)}`).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); print(gc.get_stats()[0]['collections'] >= 0); s0=gc.get_stats(); gc.collect(0); s1=gc.get_stats(); print([s1[i]['collections']-s0[i]['collections'] for i in range(3)]); gc.collect(); s2=gc.get_stats(); print([s2[i]['collections']-s1[i]['collections'] for i in range(3)])",
      ),
    );
    expectSound(h);
  });

  it("accumulates collected and uncollectable per generation; get_stats() is a snapshot", () => {
    const h = newHeap();
    const U = h.defineClass({ name: "U", dynamic: true, legacyFinalize: () => {} });
    settle(h);
    const before = core.gc.getStats(h);
    garbageList(h);
    garbageList(h);
    core.gc.collect(h, 1);
    const u = core.newInstance(h, U.id);
    setAttr(h, u, "me", u);
    drop(h, u);
    garbageList(h);
    core.gc.collect(h, 0);
    const after = core.gc.getStats(h);
    expect(after[1]!.collected - before[1]!.collected).toBe(2);
    expect(after[0]!.collected - before[0]!.collected).toBe(1);
    expect(after[0]!.uncollectable - before[0]!.uncollectable).toBe(1);
    after[0]!.collections = 999;
    expect(core.gc.getStats(h)[0]!.collections).not.toBe(999);
    core.incref(h, u);
    const me = str(h, "me");
    core.delAttr(h, u, me);
    core.listClear(h, h.garbage);
    drop(h, me, u);
    expectSound(h);
  });
});

describe("gc.callbacks", () => {
  it("#26: start and stop, with generation, collected and uncollectable", async () => {
    const h = newHeap();
    settle(h);
    const lines: string[] = [];
    h.gcCallbacks.push((phase, info) => {
      const items = Object.entries(info).sort(([a], [b]) => (a < b ? -1 : 1));
      lines.push(`${phase} [${items.map(([k, v]) => `('${k}', ${v})`).join(", ")}]`);
    });
    garbageList(h);
    lines.push(String(core.gc.collect(h, 1)));
    expect(lines.join("\n")).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); gc.callbacks.append(lambda p,i: print(p, sorted(i.items()))); a=[]; a.append(a); del a; print(gc.collect(1))",
      ),
    );
    expect(lines.join("\n")).toBe(
      "start [('collected', 0), ('generation', 1), ('uncollectable', 0)]\nstop [('collected', 1), ('generation', 1), ('uncollectable', 0)]\n1",
    );
    expectSound(h);
  });

  it("the info keys come in CPython's order, and one info object is shared by all callbacks of a phase", async () => {
    const h = newHeap();
    settle(h);
    const infos: [string, core.GcCallbackInfo][] = [];
    h.gcCallbacks.push((phase, info) => infos.push([phase, info]));
    h.gcCallbacks.push((phase, info) => infos.push([phase, info]));
    core.gc.collect(h);
    expect(infos.map(([p]) => p)).toEqual(["start", "start", "stop", "stop"]);
    expect(infos[0]![1]).toBe(infos[1]![1]);
    expect(infos[2]![1]).toBe(infos[3]![1]);
    expect(Object.keys(infos[0]![1])).toEqual(["generation", "collected", "uncollectable"]);
    expect(
      await python("import gc; gc.disable(); gc.callbacks.append(lambda p,i: print(list(i))); gc.collect()"),
    ).toBe("['generation', 'collected', 'uncollectable']\n['generation', 'collected', 'uncollectable']");
    expectSound(h);
  });

  it("callbacks are read from the live list: one removed or added during a phase shifts the rest", async () => {
    const h = newHeap();
    settle(h);
    const log: string[] = [];
    const A: core.GcCallback = (p) => {
      log.push(`A ${p}`);
      h.gcCallbacks.splice(h.gcCallbacks.indexOf(A), 1);
    };
    const B: core.GcCallback = (p) => log.push(`B ${p}`);
    const C: core.GcCallback = (p) => {
      log.push(`C ${p}`);
      if (p === "start") h.gcCallbacks.push(B);
    };
    h.gcCallbacks.push(A, B);
    core.gc.collect(h);
    const first = `[${log.map((l) => `'${l}'`).join(", ")}]`;
    log.length = 0;
    h.gcCallbacks.splice(0, h.gcCallbacks.length, C);
    core.gc.collect(h);
    const second = `[${log.map((l) => `'${l}'`).join(", ")}]`;
    expect(`${first}\n${second}`).toBe(
      await python(
        "import gc; gc.disable(); L=[]\ndef A(p,i): L.append('A '+p); gc.callbacks.remove(A)\ndef B(p,i): L.append('B '+p)\ndef C(p,i):\n    L.append('C '+p)\n    if p=='start': gc.callbacks.append(B)\ngc.callbacks.extend([A,B]); gc.collect(); print(L); L.clear(); gc.callbacks[:]=[C]; gc.collect(); print(L)",
      ),
    );
    expectSound(h);
  });

  it("#27: collect() inside a callback returns 0", async () => {
    const h = newHeap();
    const r: number[] = [];
    h.gcCallbacks.push((phase) => {
      if (phase === "start") r.push(core.gc.collect(h));
    });
    core.gc.collect(h);
    expect(`[${r.join(", ")}]`).toBe(
      await python(
        "import gc; r=[]; gc.callbacks.append(lambda p,i: r.append(gc.collect()) if p=='start' else None); gc.collect(); print(r)",
      ),
    );
    expect(core.gc.getStats(h)[2]!.collections).toBe(1);
    expectSound(h);
  });

  it("#28: a raising callback is reported for each phase; the others still run and the collection happens", async () => {
    const h = newHeap();
    settle(h);
    const lines: string[] = [];
    const reports: string[] = [];
    h.unraisableHook = (err) => reports.push((err as Error).message);
    h.gcCallbacks.push((phase, info) => lines.push(`A ${phase} ${info.generation}`));
    h.gcCallbacks.push(() => {
      throw new Error("division by zero");
    });
    h.gcCallbacks.push((phase, info) => lines.push(`C ${phase} ${info.collected}`));
    garbageList(h);
    lines.push(String(core.gc.collect(h)));
    expect(reports).toEqual(["division by zero", "division by zero"]);
    const py = await python(
      "import gc, sys; sys.stderr = sys.stdout; gc.disable(); gc.collect()\na=[]; a.append(a); del a\ngc.callbacks.append(lambda p,i: print('A', p, i['generation']))\ngc.callbacks.append(lambda p,i: 1/0)\ngc.callbacks.append(lambda p,i: print('C', p, i['collected']))\nprint(gc.collect())",
    );
    const pyLines = py.split("\n").filter((l) => /^(A|C|\d)/.test(l));
    expect(lines).toEqual(pyLines);
    expect(py.split("\n").filter((l) => l === "ZeroDivisionError: division by zero").length).toBe(2);
    expect(
      await python(
        "import gc; gc.disable(); gc.collect(); gc.callbacks.append(lambda p,i: 1/0); print(gc.collect())",
      ),
    ).toBe("0");
    expectSound(h);
  });

  it("stop reports uncollectable objects separately from collected ones", () => {
    const h = newHeap();
    const U = h.defineClass({ name: "U", dynamic: true, legacyFinalize: () => {} });
    settle(h);
    const stops: core.GcCallbackInfo[] = [];
    h.gcCallbacks.push((phase, info) => {
      if (phase === "stop") stops.push({ ...info });
    });
    const u = core.newInstance(h, U.id);
    setAttr(h, u, "me", u);
    drop(h, u);
    garbageList(h);
    expect(core.gc.collect(h)).toBe(2);
    expect(stops).toEqual([{ generation: 2, collected: 1, uncollectable: 1 }]);
    core.incref(h, u);
    const me = str(h, "me");
    core.delAttr(h, u, me);
    core.listClear(h, h.garbage);
    drop(h, me, u);
    expectSound(h);
  });
});

describe("freeze", () => {
  it("#39: frozen objects are never collected, until unfreeze()", async () => {
    const h = newHeap();
    settle(h);
    const lines = [String(core.gc.getFreezeCount(h))];
    const a = core.newList(h);
    core.listAppend(h, a, a, true);
    core.gc.freeze(h);
    lines.push(`(${core.gc.getCount(h).join(", ")})`);
    drop(h, a);
    lines.push(String(core.gc.collect(h)));
    core.gc.unfreeze(h);
    lines.push(`${core.gc.getFreezeCount(h)} ${core.gc.collect(h)}`);
    expect(lines.join("\n")).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); print(gc.get_freeze_count()); a=[]; a.append(a); gc.freeze(); print(gc.get_count()); del a; print(gc.collect()); gc.unfreeze(); print(gc.get_freeze_count(), gc.collect())",
      ),
    );
    expectSound(h);
  });

  it("freeze() zeroes the counts and moves generations 0, 1, 2 (in that order) to the permanent one; unfreeze() appends it to generation 2", async () => {
    const h = newHeap();
    const D = h.defineClass({ name: "D", fields: [{ name: "n", kind: "str" }] });
    settle(h);
    const named = (n: string) => {
      const o = core.newInstance(h, D.id);
      const s = str(h, n);
      core.setField(h, o, 0, s, true);
      drop(h, s);
      return o;
    };
    const names = (gen: number | null) =>
      objects(h, gen)
        .filter((o) => core.typeIdOf(h, o) === D.id)
        .map((o) => core.strValue(h, core.slotRef(h, core.fieldItemSlot(h, o, 0))));
    const a = named("a");
    core.gc.collect(h);
    const b = named("b");
    core.gc.collect(h, 0);
    const c = named("c");
    const total = objects(h).length;
    core.gc.freeze(h);
    expect(core.gc.getCount(h)).toEqual([0, 0, 0]);
    expect(core.gc.getFreezeCount(h)).toBe(total);
    const frozen = names(null);
    core.gc.unfreeze(h);
    const line = `[${frozen.join(", ")}]\n[${names(2)
      .map((n) => `'${n}'`)
      .join(", ")}] ${core.gc.getFreezeCount(h)}`;
    expect(line).toBe(
      await python(
        "import gc; gc.disable(); gc.collect(); D=type('D',(),{}); a=D(); a.n='a'; gc.collect(); b=D(); b.n='b'; gc.collect(0); c=D(); c.n='c'; gc.freeze(); print([o.n for o in gc.get_objects() if type(o) is D]); gc.unfreeze(); print([o.n for o in gc.get_objects(2) if type(o) is D], gc.get_freeze_count())",
      ),
    );
    drop(h, a, b, c);
    expectSound(h);
  });

  it("#40: frozen objects are not reported by get_referrers", async () => {
    const h = newHeap();
    const x = str(h, "x"); // a non-container, as object() is
    const holder = core.newList(h);
    core.listAppend(h, holder, x, true);
    // CPython's second referrer is the module's globals dict, which holds h (a list): tracked.
    const globals = core.newDict(h);
    dictSetStr(h, globals, "x", x);
    dictSetStr(h, globals, "h", holder);
    core.gc.freeze(h);
    const r1 = core.gc.getReferrers(h, [x]);
    expect(core.listSize(h, r1)).toBe(0);
    core.gc.unfreeze(h);
    const r2 = core.gc.getReferrers(h, [x]);
    expect(`${core.listSize(h, r1)}\n${core.listSize(h, r2)}`).toBe(
      await python(
        "import gc; x=object(); h=[x]; gc.freeze(); print(len(gc.get_referrers(x))); gc.unfreeze(); print(len(gc.get_referrers(x)))",
      ),
    );
    drop(h, r1, r2, x, holder, globals);
    expectSound(h);
  });
});

describe("introspection", () => {
  it("gcUntrack and gcTrack (PyObject_GC_UnTrack/Track): a re-tracked container joins generation 0 at its end", () => {
    const h = newHeap();
    const a = core.newList(h);
    const b = core.newList(h);
    expect(objects(h, 0).slice(-2)).toEqual([a, b]);
    core.gcUntrack(h, a);
    expect(core.gc.isTracked(h, a)).toBe(false);
    expect(objects(h, 0)).not.toContain(a);
    core.gcTrack(h, a);
    core.gcTrack(h, a); // tracked already: nothing
    expect(core.gc.isTracked(h, a)).toBe(true);
    expect(objects(h, 0).slice(-2)).toEqual([b, a]);
    drop(h, a);
    drop(h, b);
    expectSound(h);
  });

  it("#46: get_referents visits in CPython's traverse order", async () => {
    const h = newHeap();
    const outerList = core.newList(h);
    core.listAppend(h, outerList, 1, false);
    const inner = core.newList(h);
    core.listAppend(h, inner, 2, false);
    core.listAppend(h, outerList, inner, true);
    const t3 = tupleOf(h, num(3));
    const general = core.newDict(h);
    const v = str(h, "v");
    const k = str(h, "k");
    core.dictSetItem(h, general, 1, false, v, true);
    core.dictSetItem(h, general, k, true, 2, false);
    const strKeys = core.newDict(h);
    core.dictSetItem(h, strKeys, k, true, v, true);
    const a = str(h, "a");
    const t = tupleOf(h, num(1), ref(a), ref(core.NONE));
    const referents = (objs: number[]) => {
      const l = core.gc.getReferents(h, objs);
      const s = repr(h, l);
      drop(h, l);
      return s;
    };
    const ours = [
      referents([outerList, t3]),
      referents([general]),
      referents([strKeys]),
      referents([a, v]), // non-containers contribute nothing (CPython: get_referents(1, 'a'))
      referents([t]),
    ].join(" ");
    expect(ours).toBe(
      await python(
        "import gc; print(gc.get_referents([1, [2]], (3,)), gc.get_referents({1: 'v', 'k': 2}), gc.get_referents({'k': 'v'}), gc.get_referents(1, 'a'), gc.get_referents((1, 'a', None)))",
      ),
    );
    drop(h, outerList, inner, t3, general, v, k, strKeys, a, t);
    expectSound(h);
  });

  it("an instance's referents: declared fields alphabetically, then attributes in shared-key order, then its class", async () => {
    const h = newHeap();
    const S = h.defineClass({
      name: "S",
      dynamic: true,
      fields: [
        { name: "b", kind: "ref" },
        { name: "a", kind: "ref" },
      ],
    });
    const s = core.newInstance(h, S.id);
    const [A, B, Z, Y] = ["A", "B", "Z", "Y"].map((x) => str(h, x)) as [number, number, number, number];
    core.setField(h, s, 1, B, true); // b
    core.setField(h, s, 0, A, true); // a
    setAttr(h, s, "z", Z);
    setAttr(h, s, "y", Y);
    const l = core.gc.getReferents(h, [s]);
    const refs = takeRefs(h, l);
    expect(refs.slice(0, 4).map((o) => core.strValue(h, o))).toEqual(["A", "B", "Z", "Y"]);
    expect(refs[4]).toBe(h.typeObject[S.id]);
    expect(refs.length).toBe(5);
    expect(
      await python(
        "import gc; S=type('S',(),{'__slots__':('b','a')}); s=S(); s.b='B'; s.a='A'; r=gc.get_referents(s); print(r[:2], r[2] is S, len(r)); A=type('A',(),{}); a=A(); a.z='Z'; a.y='Y'; r=gc.get_referents(a); print(r[:2], r[2] is A, len(r))",
      ),
    ).toBe("['A', 'B'] True 3\n['Z', 'Y'] True 3");
    drop(h, s, A, B, Z, Y);
    expectSound(h);
  });

  it("get_referrers walks generations 0, 1, 2 and never returns its own result or untracked objects", async () => {
    const h = newHeap();
    const C = h.defineClass({ name: "C", dynamic: true });
    settle(h);
    const x = core.newInstance(h, C.id);
    const old = core.newList(h);
    core.listAppend(h, old, x, true);
    core.gc.collect(h); // old → generation 2
    const mid = tupleOf(h, ref(x));
    core.gc.collect(h, 0); // mid → generation 1
    const young = core.newInstance(h, C.id);
    setAttr(h, young, "x", x);
    const keyed = core.newDict(h);
    core.dictSetItem(h, keyed, x, true, 1, false); // a general key is visited
    const strKeyed = core.newDict(h);
    const name = str(h, "key");
    const l = core.newList(h);
    core.dictSetItem(h, strKeyed, name, true, l, true); // a str key is not
    expect(takeRefs(h, core.gc.getReferrers(h, [x]))).toEqual([young, keyed, mid, old]);
    expect(takeRefs(h, core.gc.getReferrers(h, [name]))).toEqual([]);
    expect(
      await python("import gc; x='ke'+'y'; d={x: []}; print(gc.is_tracked(d), d in gc.get_referrers(x))"),
    ).toBe("True False");
    drop(h, x, old, mid, young, keyed, strKeyed, name, l);
    expectSound(h);
  });

  it("get_objects lists generations 0, 1, 2 in list order, never the result list itself", () => {
    const h = newHeap();
    settle(h);
    const before = objects(h);
    const a = core.newList(h);
    core.gc.collect(h, 0);
    const b = core.newList(h);
    const c = core.newList(h);
    const result = core.gc.getObjects(h);
    const all = listRefs(h, result);
    expect(all).not.toContain(result);
    expect(all).toEqual([b, c, a, ...before]);
    drop(h, result, a, b, c);
    expectSound(h);
  });
});
