/**
 * weakref.finalize: `finalize F X` (the finalize object, its _Info and finalize._registry,
 * mirrored), finalize.__call__ when X dies, and `F()`.
 *
 * The finalize object is a heap callable: its weakref to X holds it as the callback, an
 * internal reference the collector sees (so a finalize object nothing else holds can be
 * garbage, and its weakref's callback reference counts as CPython's does).
 */

import {
  decref,
  dictDelItem,
  dictSetItem,
  incref,
  newInstance,
  setField,
  tupleSetItem,
  weakref as wrm,
} from "../../core.js";
import { typeError } from "../pyerror.js";
import type { RunnerState } from "./state.js";

/** `finalize F X`: `F = weakref.finalize(X, _fin, 'F')`. */
export function opFinalize(st: RunnerState, fTok: string, xTok: string): void {
  const m = st.m;
  const e = st.e;
  const x = st.lookup(xTok);
  // weakref.finalize(x, _fin, 'F'): type_call's argument tuple, the finalize object, __init__
  const t3 = m.tuple(3);
  let f = 0;
  try {
    f = newInstance(e, st.finalizeType);
    m.call(() => {
      const kwargs = m.dict();
      // *args: ('F',), untracked by its first collection (an item is a str)
      const args = m.tuple(1);
      tupleSetItem(e, args, 0, st.str(fTok), true);
      let info = 0;
      try {
        info = newInstance(e, st.infoType); // self._Info()
        const t2 = m.tuple(2); // ref(obj, self)
        try {
          if (!x.r || !wrm.isWeakrefable(e, x.v)) {
            throw m.raise(typeError(`cannot create weak reference to '${st.tpName(x)}' object`));
          }
          // info.weakref = ref(obj, self): the weakref holds the finalize object as its
          // callback, and _Info holds the weakref. info.args = args
          const wr = wrm.newRef(e, x.v, f);
          setField(e, info, 1, wr, true);
          decref(e, wr);
          setField(e, info, 0, args, true);
          st.fins.set(f, { name: fTok, info });
          // self._registry[self] = info (the registry dict is tracked again by the store); the
          // registry holds the only reference to info, as CPython's once __init__ returns
          dictSetItem(e, st.registry, f, true, info, true);
          decref(e, info);
        } finally {
          m.free(t2);
        }
      } finally {
        m.free(info === 0 || st.fins.has(f) ? 0 : info);
        m.free(args);
        m.free(kwargs);
      }
    });
  } catch (err) {
    m.free(f);
    throw err;
  } finally {
    m.free(t3);
  }
  st.create(fTok, () => f);
}

/**
 * finalize.__call__(self, _=None): as its weakref's callback (`calledDirectly` false: the weakref
 * machinery holds the weakref and the finalize object for the call) or as `F()`. A finalize
 * object that already ran returns None at once.
 */
export function finalizeCalled(st: RunnerState, f: number, calledDirectly: boolean): void {
  const rec = st.fins.get(f);
  if (rec === undefined) return;
  const m = st.m;
  st.fins.delete(f);
  // info = self._registry.pop(self, None): the registry's reference becomes the local's
  incref(st.e, rec.info);
  dictDelItem(st.e, st.registry, f, true);
  // An instance's __call__ gets its arguments as a tuple (slot_tp_call): the weakref when called
  // back, none (the shared empty tuple) for `F()`.
  const args = calledDirectly ? 0 : m.tuple(1);
  // `info` dies at the end of __call__: its slots (args first, then the weakref), then itself.
  // Called as `F()`, nothing else holds the weakref, which dies with it and drops its callback
  // reference to the finalize object.
  let info = rec.info;
  const dropInfo = (): void => {
    if (info === 0) return;
    const dying = info;
    info = 0;
    m.free(dying);
  };
  try {
    m.call(() => {
      try {
        // info.func(*info.args, **(info.kwargs or {})): two dicts
        const d1 = m.dict();
        const d2 = m.dict();
        m.call(() => st.emit(`finalize ${rec.name}`));
        m.free(d2);
        m.free(d1);
      } finally {
        dropInfo();
      }
    });
  } finally {
    dropInfo();
  }
  m.free(args);
}
