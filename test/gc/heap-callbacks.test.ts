/**
 * gc.callbacks entries that are heap callables (gc.addHeapCallback): held by the callbacks list as
 * CPython's list holds them, so a callable that is otherwise garbage is kept, called in its turn
 * among JS entries, and released when removed.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/core.js";
import { expectSound } from "../helpers.js";

describe("gc.callbacks with heap callables", () => {
  it("a callable held only by gc.callbacks is kept, called in order, and released on removal", () => {
    const h = new core.Engine({ checked: true });
    core.gc.disable(h);
    const log: string[] = [];
    const F = h.defineKind({
      name: "function",
      refs: ["me"],
      call: (_f, phase, info) => log.push(`heap ${String(phase)} ${(info as core.GcCallbackInfo).collected}`),
    });
    const f = core.newObject(h, F.id);
    core.setField(h, f, 0, f, true); // a self-cycle: garbage once the program drops it
    h.gcCallbacks.push((phase) => log.push(`js1 ${phase}`));
    core.gc.addHeapCallback(h, f);
    h.gcCallbacks.push((phase) => log.push(`js2 ${phase}`));
    core.decref(h, f);
    expect(core.gc.collect(h)).toBe(0); // the callbacks list holds it
    expect(log).toEqual(["js1 start", "heap start 0", "js2 start", "js1 stop", "heap stop 0", "js2 stop"]);
    expect(core.getrefcount(h, f)).toBe(2);
    expect(core.gc.removeHeapCallback(h, f)).toBe(true);
    expect(core.gc.removeHeapCallback(h, f)).toBe(false);
    log.length = 0;
    expect(core.gc.collect(h)).toBe(1);
    expect(log).toEqual(["js1 start", "js2 start", "js1 stop", "js2 stop"]);
    expectSound(h);
  });

  it("refuses what cannot be called; a callable that throws goes to the unraisable hook", () => {
    const h = new core.Engine({ checked: true });
    const C = h.defineClass({ name: "C" });
    const c = core.newInstance(h, C.id);
    expect(() => core.gc.addHeapCallback(h, c)).toThrow(/'C' object is not callable/);
    const F = h.defineKind({
      name: "function",
      call: () => {
        throw new Error("boom");
      },
    });
    const f = core.newObject(h, F.id);
    core.gc.addHeapCallback(h, f);
    const seen: string[] = [];
    h.unraisableHook = (error, where) => seen.push(`${(error as Error).message} in ${where}`);
    core.gc.collect(h);
    expect(seen).toEqual(["boom in <gc callback function object>", "boom in <gc callback function object>"]);
    core.gc.removeHeapCallback(h, f);
    for (const o of [f, c]) core.decref(h, o);
    expectSound(h);
  });
});
