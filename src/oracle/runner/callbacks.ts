/**
 * `ref` and `proxy` lines, and the Python functions of the runner that refheap calls back: the
 * weakref callbacks (runner.py's _cb, and the function objects of `lambda w: _cb(w)`) and the
 * scenario classes' finalizers (`__del__`, and the legacy tp_del of _testcapi.with_tp_del).
 */

import { decref, loadAttr, methodSelf, newObject, setField, traverse, weakref as wrm } from "../../core.js";
import { attributeError, typeError } from "../pyerror.js";
import { METHOD_CALLBACK } from "../scenario.js";
import { innerCollect } from "./collect.js";
import { call, setattr } from "./objects.js";
import { VNONE } from "./records.js";
import type { RunnerState } from "./state.js";

/**
 * `ref W X [ACTS]`, `proxy W X [ACTS]`: weakref.ref or weakref.proxy of X, with `_cb` as its
 * callback when actions are given (`lambda ACTS`: a `lambda w: _cb(w)` function object; `O.cb
 * ACTS`: the bound method O.cb, whose function runs `_cb(w)` likewise).
 */
export function opRef(
  st: RunnerState,
  kind: "ref" | "proxy",
  wTok: string,
  xTok: string,
  words: readonly string[],
): void {
  const x = st.lookup(xTok);
  const withCallback = words.length > 0;
  const method = words[0] !== undefined && METHOD_CALLBACK.test(words[0]);
  const lambda = words[0] === "lambda" || method;
  const acts = lambda ? words.slice(1) : words;
  // `lambda w: _cb(w)`: MAKE_FUNCTION makes a function object before the call, held by the
  // weakref alone once the statement ends (so it can be garbage with it). `O.cb`: LOAD_ATTR makes
  // a bound method of O's class's function cb at the same moment.
  const fn = method ? boundCb(st, words[0]!.slice(0, -3)) : lambda ? newLambda(st) : 0;
  // weakref.ref is a type: calling it builds an argument tuple; weakref.proxy is a fastcall function
  const t = kind === "ref" ? st.m.tuple(withCallback ? 2 : 1) : 0;
  let w: number;
  try {
    if (!x.r || !wrm.isWeakrefable(st.e, x.v)) {
      throw st.m.raise(typeError(`cannot create weak reference to '${st.tpName(x)}' object`));
    }
    const cb = !withCallback ? null : lambda ? fn : (wr: number) => weakrefCallback(st, wr, acts);
    w = kind === "ref" ? wrm.newRef(st.e, x.v, cb) : wrm.newProxy(st.e, x.v, cb);
    if (withCallback) st.cbRefs.add(w);
    if (lambda) st.lambdaActs.set(w, acts);
  } finally {
    st.m.free(t);
    if (fn !== 0) decref(st.e, fn);
  }
  st.create(wTok, () => w);
}

/**
 * `wm W O.cb [ACTS]`: weakref.WeakMethod(O.cb), with runner.py's module-level `_cb` as its
 * callback when actions are given (called with the WeakMethod, so its actions are looked up by
 * it). LOAD_ATTR makes the bound method O.cb first; the call drops it once it returns.
 */
export function opWeakMethod(st: RunnerState, wTok: string, mTok: string, acts: readonly string[]): void {
  const e = st.e;
  const m = boundCb(st, mTok.slice(0, -3));
  let w: number;
  try {
    const self = methodSelf(e, m);
    // (CPython makes the call's cells, closure and _cb before ref.__new__ refuses; not mirrored)
    if (!wrm.isWeakrefable(e, self)) {
      throw st.m.raise(
        typeError(`cannot create weak reference to '${st.tpName({ v: self, r: true })}' object`),
      );
    }
    w = wrm.newWeakMethod(e, m, acts.length > 0 ? st.moduleCb : null, st.inFrame);
    if (acts.length > 0) st.lambdaActs.set(w, acts);
    st.wmParts.add(wrm.weakMethodFuncRef(e, w));
    // self_wr, through the objects (traverse allocates nothing): W's callback _cb, its closure
    // (callback, self_wr: a tuple is visited last item first), the cell's contents.
    const edge = (x: number, i: number): number => {
      traverse(e, x);
      return e.edges[i]!;
    };
    st.wmParts.add(edge(edge(edge(edge(w, 1), 0), 0), 0));
  } finally {
    decref(e, m);
  }
  st.create(wTok, () => w);
}

/**
 * A new function object for a `lambda w: _cb(w)` callback: a user kind whose call hook is the
 * lambda's body, looking its actions up by the weakref it is called with, as `_cb` looks them up
 * in CBA by id(w). It references the module's globals, as a function's func_globals does.
 */
/** `O.cb` for a `ref W X O.cb` line: a new bound method, or CPython's NameError / AttributeError. */
function boundCb(st: RunnerState, oTok: string): number {
  const o = st.lookup(oTok);
  const m = o.r ? loadAttr(st.e, o.v, "cb") : 0;
  if (m === 0) throw st.m.raise(attributeError(st.tpName(o), "cb"));
  return m;
}

function newLambda(st: RunnerState): number {
  const e = st.e;
  const fn = newObject(e, st.functionType);
  setField(e, fn, 0, st.globals, true);
  return fn;
}

/**
 * A finalizer (`__del__`, or the legacy `tp_del` of _testcapi.with_tp_del) running its actions,
 * in its own frame. slot_tp_del looks `__tp_del__` up as a bound method (a new object) first;
 * slot_tp_finalize calls `__del__` unbound.
 */
export function finalizer(st: RunnerState, acts: readonly string[], o: number, legacy: boolean): void {
  const label = st.labels.get(o) ?? "?";
  const method = legacy ? st.m.obj() : 0;
  try {
    finalizerBody(st, acts, o, label);
  } finally {
    st.m.free(method);
  }
}

function finalizerBody(st: RunnerState, acts: readonly string[], o: number, label: string): void {
  st.pyFunction(`del ${label}`, () => {
    let thr = false;
    for (const a of acts) {
      if (a === "log") st.emit(`del ${label}`);
      else if (a === "collect") innerCollect(st);
      else if (a === "throw") thr = true;
      else if (a.startsWith("resurrect:")) st.bind(a.slice(10), { v: o, r: true });
      else if (a.startsWith("clear:")) setattr(st, { v: o, r: true }, a.slice(6), VNONE);
      else if (a.startsWith("new:")) {
        // y = C(); _lab(y, X); X = y
        const [, c, x] = a.split(":") as [string, string, string];
        const y = call(st, st.lookup(c));
        if (y.r) st.labels.set(y.v, x);
        st.bindOwned(x, y);
      }
    }
    if (thr) throw st.throwE();
  });
}

/** A weakref callback made by a `ref`/`proxy` line (runner.py's _cb). */
export function weakrefCallback(st: RunnerState, wr: number, acts: readonly string[]): void {
  const label = st.labels.get(wr) ?? "?";
  st.pyFunction(`cb ${label}`, () => {
    st.emit(`cb ${label}`);
    let thr = false;
    for (const a of acts) {
      if (a === "collect") innerCollect(st);
      else if (a === "throw") thr = true;
      else if (a.startsWith("drop:")) st.unbind(a.slice(5));
    }
    if (thr) throw st.throwE();
  });
}
