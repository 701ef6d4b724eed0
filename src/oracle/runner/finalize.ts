/**
 * weakref.finalize: `finalize F X` (the finalize object, its _Info and finalize._registry,
 * mirrored), finalize.__call__ when X dies, and `F()`.
 */

import {
  decref,
  dictDelItem,
  dictSetItem,
  fieldItemSlot,
  finalizeWeakref,
  incref,
  newInstance,
  setField,
  slotRef,
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
          const fin = st.scoped(() =>
            st.heap.weakref.finalize(st.heap.wrap(x.v), () => finalizeCalled(st, f)),
          );
          // info.weakref = ref(obj, self): the weakref is held by _Info, not from outside the
          // heap (so a collection moves it as CPython's); the Finalize's reference is handed to
          // the mirror, and given back before the mirror dies (finalizeCalled). info.args = args
          const wr = finalizeWeakref(fin);
          setField(e, info, 1, wr, true);
          decref(e, wr);
          setField(e, info, 0, args, true);
          st.fins.set(f, { name: fTok, fin, info });
          // self._registry[self] = info (the registry dict is tracked again by the store); the
          // registry holds the only reference to info, as CPython's once __init__ returns
          dictSetItem(e, st.registry, f, true, info, true);
          decref(e, info);
          // ref(obj, self): the weakref holds its callback, the finalize object, until it calls
          // it (or dies); refheap's weakref calls a JS function, so the mirror holds that
          // reference for it, and finalizeCalled gives it back when the call has returned.
          incref(e, f);
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

/** finalize.__call__: the finalizer ran (called, or its object died); refheap calls `fn`. */
function finalizeCalled(st: RunnerState, f: number): void {
  const rec = st.fins.get(f)!;
  const m = st.m;
  st.fins.delete(f);
  // info = self._registry.pop(self, None): the registry's reference becomes the local's
  incref(st.e, rec.info);
  dictDelItem(st.e, st.registry, f, true);
  // As its weakref's callback, the finalize object is called with the weakref: an instance's
  // __call__ gets its arguments as a tuple (slot_tp_call); `F()` passes none.
  const args = st.finCalledDirectly ? 0 : m.tuple(1);
  st.finCalledDirectly = false;
  // `info` dies at the end of __call__: its slots (args first, then the weakref), then itself.
  // The weakref's reference goes back to refheap's Finalize first, which drops it after this.
  const dropInfo = (): void => {
    const info = rec.info;
    if (info === 0) return;
    rec.info = 0;
    incref(st.e, slotRef(st.e, fieldItemSlot(st.e, info, 1)));
    m.free(info);
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
  // PyObject_ClearWeakRefs (or __call__'s own weakref, dying with `info` when `F()` is called)
  // drops the callback reference last: a finalize object nothing else holds dies only now,
  // after the call, not when the registry let go of it.
  decref(st.e, f);
}

/** `F()` on a finalize object (a dead one returns None at once). */
export function callFinalize(st: RunnerState, f: number): void {
  const rec = st.fins.get(f);
  if (rec === undefined) return;
  st.finCalledDirectly = true;
  try {
    rec.fin.call();
  } finally {
    st.finCalledDirectly = false;
  }
}
