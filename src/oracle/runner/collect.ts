/**
 * Collections: `collect`, `loop` (and its `_o = None`), `gccb` (gc.callbacks), and the
 * `gc.collect()` a finalizer or callback runs.
 */

import { decref, type GcCallback, gc as gcm, Kind, listAppend } from "../../core.js";
import { PyError } from "../pyerror.js";
import { call } from "./objects.js";
import type { Val } from "./records.js";
import type { RunnerState } from "./state.js";

/** `y = gc.collect()` run by a finalizer or callback. */
export function innerCollect(st: RunnerState): void {
  st.explicit++;
  let n: number;
  try {
    n = gcm.collect(st.e);
  } finally {
    st.explicit--;
  }
  st.emit(`collect 2 -> ${n}`);
}

/** `gccb add ACTS`: a Python function of the runner appended to gc.callbacks. */
export function gccbAdd(st: RunnerState, acts: readonly string[]): void {
  const cb: GcCallback = (phase, info) => {
    st.pyFunction("gccb", () => {
      st.emit(`gccb ${phase} ${info.generation} ${info.collected} ${info.uncollectable}`);
      for (const a of acts) if (a === "collect") innerCollect(st);
      if (acts.includes("throw")) throw st.throwE();
    });
  };
  st.e.gcCallbacks.push(cb);
}

export function gccbClear(st: RunnerState): void {
  // while len(gc.callbacks) > 1: gc.callbacks.pop()
  st.e.gcCallbacks.splice(1);
}

/**
 * `_D = 1; _n = gc.collect(G); _D = 0; log`: an error (invalid generation) is handled while
 * `_D` is still 1, so a collection its handling starts is not logged as automatic.
 */
export function opCollect(st: RunnerState, line: number, g: number | null): void {
  st.explicit = 1;
  let n: number;
  try {
    n = st.api(() => (g === null ? gcm.collect(st.e) : gcm.collect(st.e, g)));
  } catch (err) {
    if (!(err instanceof PyError)) throw err;
    st.caught(line, err);
    return;
  } finally {
    st.explicit = 0;
  }
  st.emit(`collect ${g ?? 2} -> ${n}`);
}

/** `loop N C [keep X]`: N calls of C, each result held in `_o` (and appended to X) until the next. */
export function opLoop(st: RunnerState, n: number, cls: string, keep: string | null): void {
  const e = st.e;
  let prev: Val | null = null; // runner.py's `_o`
  try {
    for (let i = 0; i < n; i++) {
      const o = call(st, st.lookup(cls));
      const old = prev;
      prev = o;
      if (old !== null) st.release(old);
      if (o.r) st.labels.set(o.v, "~");
      if (keep !== null) {
        const x = st.deproxy(st.lookup(keep));
        if (!(x.r && st.kind(x.v) === Kind.List)) throw st.noMethod(x, "append");
        listAppend(e, x.v, o.v, o.r);
      }
    }
  } finally {
    // `_o = None` after the loop: after the error (if any) is logged
    if (prev?.r === true) st.afterLoop.push(prev.v);
  }
}

/** The `_o = None` after a line's loop (RunnerState.afterLoop), once its error (if any) is logged. */
export function releaseAfterLoop(st: RunnerState): void {
  while (st.afterLoop.length > 0) decref(st.e, st.afterLoop.pop()!);
}
