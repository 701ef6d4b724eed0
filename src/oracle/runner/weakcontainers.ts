/**
 * The weak containers, as Lib/weakref.py and Lib/_weakrefset.py run them: WeakValueDictionary,
 * WeakKeyDictionary and WeakSet operations on refheap's containers (the Heap API's), with mirrors
 * of what their Python code allocates (KeyedRef's __new__ and __init__, the `ref()` calls,
 * _commit_removals, popitem's frame, _scrub_removals) and of their instance's death. Their
 * generators are in generators.ts.
 */

import {
  decref,
  getAttrSlot,
  incref,
  Kind,
  listItemSlot,
  NONE,
  tupleSetItem,
  weakref as wrm,
} from "../../core.js";
import type {
  Handle,
  WeakKeyDictionary,
  WeakSet as WeakSetContainer,
  WeakValueDictionary,
} from "../../index.js";
import type { PyFrame } from "../machine.js";
import { fromRefheap, PyError, typeError } from "../pyerror.js";
import { type ContainerKind, type ContainerRec, coreOf, type Val } from "./records.js";
import type { RunnerState } from "./state.js";

/**
 * A removal found its key gone from `data` (WeakCore.onKeyGone). WeakValueDictionary's
 * _remove_dead_weakref raised a KeyError (its args 1-tuple) and cleared it, in C.
 * WeakKeyDictionary's `del self.data[k]` raised one that its Python code catches
 * (`except KeyError: pass`): in the `_remove` callback's own frame, or in _commit_removals'.
 */
export function keyGone(st: RunnerState, kind: ContainerKind, where: "remove" | "commit"): void {
  const m = st.m;
  if (kind === "wvd") m.tupleBlip(1);
  else if (where === "remove") m.call(() => m.caughtHere("key"));
  else m.caughtHere("key");
}

/** Whether a weak container has pending removals (an iteration is, or was, running). */
function pending(st: RunnerState, c: ContainerRec): boolean {
  return st.scoped(() => c.obj.pendingRemovals.length > 0);
}

/**
 * `if self._pending_removals: self._commit_removals()` (WeakValueDictionary, WeakSet): refheap's
 * commit runs inside the mirror of _commit_removals, before the refheap call that follows (a
 * WeakSet's `size` does not commit, and its add, discard, clear and pop would commit later, after
 * the IndexError and the stand-ins allocated between).
 */
export function commitIfPending(st: RunnerState, c: ContainerRec): void {
  if (!pending(st, c)) return;
  commitRemovals(st, c, () => coreOf(c).commit("_commit_removals"), "late");
}

/**
 * self._commit_removals(): `pop = self._pending_removals.pop` (a bound method; WeakSet's also
 * binds `discard = self.data.discard`), the removals (refheap's, when `commit` runs), then
 * `pop()` raises IndexError, caught there (normalized at once when raised while another
 * exception is handled). The local `key` (WeakSet: `item`) still holds the last key popped,
 * the first of the pending list, while the IndexError is raised and handled; the frame's
 * return frees its object, then its locals in co_varnames order: `pop`, (`discard`,) `key`.
 */
export function commitRemovals(
  st: RunnerState,
  c: ContainerRec,
  commit: () => void,
  norm: "late" | "early",
): void {
  const m = st.m;
  const e = st.e;
  const core = coreOf(c);
  let pop = 0;
  let discard = 0;
  let key = 0; // an object held as `key`, or 0
  const frame: PyFrame = {
    obj: 0,
    clearLocals: () => {
      m.free(pop);
      m.free(discard);
      if (key !== 0) decref(e, key);
    },
  };
  m.call(() => {
    pop = m.obj();
    discard = c.kind === "wset" ? m.obj() : 0;
    if (core.pendingCount("_commit_removals") > 0) {
      const k = st.slotVal(listItemSlot(e, core.pending("_commit_removals"), 0));
      if (k.r) {
        key = k.v;
        incref(e, key);
      }
    }
    commit();
    m.caughtHere(norm);
  }, frame);
}

/** KeyedRef(value, self._remove, key): Python __new__ and __init__, around refheap's KeyedRef. */
function keyedRef(st: RunnerState, store: () => void): void {
  const m = st.m;
  const t3 = m.tuple(3); // type_call's argument tuple
  try {
    m.call(() => {
      // __new__: ref.__new__(type, ob, callback) — tp_new_wrapper's args, then its slice
      const n3 = m.tuple(3);
      const n2 = m.tuple(2);
      try {
        store();
      } finally {
        m.free(n2);
        m.free(n3);
      }
    });
    m.call(() => {
      // __init__: super().__init__(ob, callback)
      const sup = m.obj();
      const wrapper = m.obj();
      m.tupleBlip(2);
      m.free(wrapper);
      m.free(sup);
    });
  } finally {
    m.free(t3);
  }
}

/** The weakrefability check refheap does inside its containers, as CPython's TypeError. */
function checkWeakrefable(st: RunnerState, v: Val): void {
  if (!v.r || !wrm.isWeakrefable(st.e, v.v)) {
    throw st.m.raise(typeError(`cannot create weak reference to '${st.tpName(v)}' object`));
  }
}

/**
 * `self.data[key] = KeyedRef(value, self._remove, key)`. CPython stores once the KeyedRef is
 * built (after its __init__ and the call's argument tuple): only then is the KeyedRef it
 * replaces released, or an untracked `data` tracked (joining generation 0), and a collection
 * started while it is built still finds the old KeyedRef in `data`. The runner builds it with
 * refheap's newKeyedRef at __new__'s moment and stores it with storeKeyedRef at CPython's.
 */
export function wvdSetitem(st: RunnerState, c: ContainerRec, k: Val, v: Val): void {
  const w = c.obj as WeakValueDictionary;
  const e = st.e;
  st.m.call(() => {
    commitIfPending(st, c);
    let kr = 0;
    try {
      keyedRef(st, () => {
        checkWeakrefable(st, v);
        kr = st.api(() => w.newKeyedRef(v.v, k.v, k.r));
      });
      st.api(() => w.storeKeyedRef(coreOf(c).data("set"), k.v, k.r, kr));
    } finally {
      if (kr !== 0) decref(e, kr);
    }
  });
}

export function wkdSetitem(st: RunnerState, c: ContainerRec, k: Val, v: Val): void {
  const w = c.obj as WeakKeyDictionary;
  st.m.call(() => {
    // self.data[ref(key, self._remove)] = value
    withRefArgs(st, k, () => w.set(st.hv(k) as Handle, st.hv(v)));
  });
}

/**
 * A weak container's `ref(x, self._remove)` call: its argument 2-tuple (mirrored) lives while
 * `x` is checked and `store` runs through the Heap API.
 */
function withRefArgs(st: RunnerState, x: Val, store: () => void): void {
  const t2 = st.m.tuple(2);
  try {
    checkWeakrefable(st, x);
    st.scoped(() => st.api(store));
  } finally {
    st.m.free(t2);
  }
}

export function wvdDelitem(st: RunnerState, c: ContainerRec, k: Val): void {
  const w = c.obj as WeakValueDictionary;
  st.m.call(() => {
    commitIfPending(st, c);
    st.scoped(() =>
      st.api(() => {
        // del d[k]: the API's delete is Map's (false when absent); CPython raises KeyError.
        if (!w.delete(st.hv(k))) throw new PyError("KeyError", st.fmt(k), "key");
      }),
    );
  });
}

export function wkdDelitem(st: RunnerState, c: ContainerRec, k: Val): void {
  const w = c.obj as WeakKeyDictionary;
  st.m.call(() => {
    // del self.data[ref(key)]: a KeyError holds the ref (its argument) until it is handled
    const basic = basicRefLabel(st, k);
    const r = basicRef(st, k);
    try {
      st.scoped(() =>
        st.api(() => {
          if (!w.delete(st.hv(k) as Handle)) throw new PyError("KeyError", basic, "key");
        }),
      );
    } catch (err) {
      if (err instanceof PyError) {
        err.held.push(r);
        throw err;
      }
      st.m.free(r);
      throw err;
    }
    st.m.free(r);
  });
}

/**
 * `ref(o)` for a lookup: the type call's argument tuple, then the basic ref (shared; refheap's
 * containers look the same one up); CPython's TypeError for an object that cannot have one.
 * Returns an owned reference.
 */
export function basicRef(st: RunnerState, v: Val): number {
  const t1 = st.m.tuple(1);
  try {
    checkWeakrefable(st, v);
    return wrm.newRef(st.e, v.v);
  } finally {
    st.m.free(t1);
  }
}

/**
 * How the log prints KeyError(ref(k)): the label of k's basic ref (a `ref` line without a
 * callback made it) if it has one, else the temporary ref's `?ReferenceType`. Found among the
 * labelled objects: listing k's weakrefs would allocate.
 */
function basicRefLabel(st: RunnerState, k: Val): string {
  const e = st.e;
  for (const [o, label] of st.labels) {
    if (st.kind(o) !== Kind.Weakref || st.isKeyedRef(o) || st.cbRefs.has(o)) continue;
    if (wrm.weakrefGet(e, o) === k.v) return label;
  }
  return "?ReferenceType";
}

/** MutableMapping.clear(): `while True: self.popitem()` until KeyError, which it catches. */
export function mappingClear(st: RunnerState, c: ContainerRec): void {
  const m = st.m;
  m.call(() => {
    for (;;) {
      let t = 0;
      try {
        t = popitem(st, c);
      } catch (err) {
        if (!(err instanceof PyError) || err.pyType !== "KeyError") throw err;
        m.catch(err);
        m.release(err);
        return;
      }
      m.free(t); // POP_TOP: the returned tuple dies
    }
  });
}

/**
 * d.popitem() of the weak dictionaries (Lib/weakref.py), run in its own frame:
 *
 *     while True:                             # WeakKeyDictionary: self._dirty_len = True first
 *         key, wr = self.data.popitem()       # WeakKeyDictionary: key, value = ...
 *         o = wr()                            # WeakKeyDictionary: o = key()
 *         if o is not None:
 *             return key, o                   # WeakKeyDictionary: return o, value
 *
 * The frame's locals (key, wr, o) are heap references the runner holds, rebound as STORE_FAST
 * rebinds them: a dead entry's stay until the next entry replaces them, or, when the dict runs
 * out, in the frame object the KeyError takes along. The unpacking is the generic instruction's
 * until popitem's code is quickened. Returns the mirror of the result tuple (which holds the
 * pair); throws the PyError KeyError when `data` is empty.
 */
function popitem(st: RunnerState, c: ContainerRec): number {
  const m = st.m;
  const e = st.e;
  const wvd = c.kind === "wvd";
  const core = coreOf(c);
  const code = wvd ? st.code.wvdPopitem : st.code.wkdPopitem;
  const locals = [0, 0, 0]; // key, wr, o (WeakKeyDictionary: key, value, o): references, or 0
  const store = (i: number, v: number, isRef: boolean): void => {
    const old = locals[i]!;
    locals[i] = isRef ? v : 0;
    if (old !== 0) decref(e, old);
  };
  const frame: PyFrame = {
    obj: 0,
    clearLocals: () => {
      for (let i = 0; i < locals.length; i++) store(i, 0, false);
    },
  };
  return m.call(() => {
    code.tick(); // RESUME
    if (wvd) commitIfPending(st, c);
    else core.dirtyLen = true;
    for (let turn = 0; ; turn++) {
      if (turn > 0) code.tick(); // JUMP_BACKWARD
      // dict.popitem makes its result tuple before it looks at the dict
      const res = m.tuple(2);
      const item = core.popEntry("popitem");
      if (item === null) {
        m.free(res);
        throw m.raise(new PyError("KeyError", "'popitem(): dictionary is empty'", "late"));
      }
      const [k, kIsRef, v, vIsRef] = item;
      m.unpack(code);
      m.free(res);
      store(0, k, kIsRef);
      store(1, v, vIsRef);
      const o = wrm.weakrefGet(e, wvd ? v : k);
      incref(e, o); // wr() returns a new reference (None for a dead referent)
      store(2, o, true);
      if (o === NONE) continue;
      // BUILD_TUPLE (key, o) / (o, value); the frame is cleared when it returns
      const t = m.tuple(2);
      tupleSetItem(e, t, 0, wvd ? k : o, wvd ? kIsRef : true);
      tupleSetItem(e, t, 1, wvd ? o : v, wvd ? true : vIsRef);
      return t;
    }
  }, frame);
}

export function wsetAdd(st: RunnerState, c: ContainerRec, v: Val): void {
  const w = c.obj as WeakSetContainer;
  st.m.call(() => {
    commitIfPending(st, c);
    withRefArgs(st, v, () => w.add(st.hv(v) as Handle));
  });
}

export function wsetDiscard(st: RunnerState, c: ContainerRec, v: Val): void {
  const w = c.obj as WeakSetContainer;
  st.m.call(() => {
    commitIfPending(st, c);
    // self.data.discard(ref(item))
    const r = basicRef(st, v);
    try {
      st.scoped(() => st.api(() => w.discard(st.hv(v) as Handle)));
    } finally {
      st.m.free(r);
    }
  });
}

export function wsetClear(st: RunnerState, c: ContainerRec): void {
  const w = c.obj as WeakSetContainer;
  st.m.call(() => {
    commitIfPending(st, c);
    w.clear();
  });
}

/**
 * WeakSet.pop(): an empty set's KeyError is caught and replaced: `raise KeyError('pop from
 * empty WeakSet') from None`, raised in the handler (the first exception is its context).
 */
export function wsetPop(st: RunnerState, c: ContainerRec): void {
  const w = c.obj as WeakSetContainer;
  const m = st.m;
  m.call(() => {
    commitIfPending(st, c);
    st.scoped(() => {
      let item: Handle;
      try {
        item = w.pop();
      } catch (err) {
        if (fromRefheap(err)?.pyType !== "KeyError") throw err;
        // set.pop(): PyErr_SetString(KeyError, ...), caught here
        const first = new PyError("KeyError", "'pop from an empty set'", "late");
        m.catch(first);
        // KeyError('pop from empty WeakSet'): its argument tuple and instance, made by a call
        const second = new PyError("KeyError", "'pop from empty WeakSet'", "early");
        m.raise(second);
        // its __context__: released after its own traceback (args, traceback, instance)
        second.context.push(first.args, ...first.held, first.instance);
        for (const [f, clearLocals] of first.frames) second.frames.set(f, clearLocals);
        first.args = 0;
        first.instance = 0;
        first.held.length = 0;
        first.frames.clear();
        m.traceback(second, m.top);
        throw second;
      }
      item.dispose();
    });
  });
}

/**
 * A weak container's stand-in is deallocated (the engine's hostRelease, called after its weakrefs
 * are cleared and before its attributes are released). The Heap API's container is retired: if
 * the attributes still hold `data` and `_pending_removals`, its handles take their references
 * back (one more each) and its dispose() releases them, so the attributes' releases that follow
 * free the objects in CPython's order (subtype_dealloc: the values in attribute order). If the
 * collector's tp_clear released the attributes already (the stand-in was garbage), `data` and the
 * pending list died with them: the container, whose references those were, is left undisposed
 * and unused (its weakrefs were garbage too, cleared before any could call it back).
 */
export function containerDealloc(st: RunnerState, o: number): void {
  const c = st.containers.get(o);
  if (c === undefined) return;
  st.containers.delete(o);
  c.disposed = true;
  const e = st.e;
  if (getAttrSlot(e, o, st.str("data")) === 0) return;
  const core = coreOf(c);
  incref(e, core.data("__del__"));
  incref(e, core.pending("__del__"));
  c.obj.dispose();
}

/**
 * WeakKeyDictionary._scrub_removals, which len() runs after a delete, pop or popitem while
 * removals are pending:
 *
 *     d = self.data                                   # a cell: the comprehension uses it
 *     self._pending_removals = [k for k in self._pending_removals if k in d]
 *     self._dirty_len = False
 *
 * The cell, the closure 1-tuple, the comprehension's function and the pending list's iterator,
 * then its frame: the new list (BUILD_LIST). It returns: the iterator dies with its frame, then
 * the function (its closure tuple with it). The store drops the old list, its dead weakrefs
 * first (refheap scrubs its own list in place: the mirror list dies in its place), and the
 * frame's return drops the cell.
 */
export function scrubRemovals(st: RunnerState, c: ContainerRec): void {
  const m = st.m;
  m.call(() => {
    const cell = m.obj();
    const closure = m.tuple(1);
    const fn = m.obj();
    const it = m.obj();
    const fresh = m.call(() => m.list());
    m.free(it);
    m.free(closure);
    m.free(fn);
    st.scoped(() => void c.obj.size);
    m.free(fresh);
    m.free(cell);
  });
}

/** Whether a WeakValueDictionary's data has `k` (dead or not): `self.data[key]` succeeds. */
export function wvdHasKey(st: RunnerState, w: WeakValueDictionary, k: Val): boolean {
  for (const r of w.valueRefs()) {
    const key = st.fromHv(r.key);
    r.dispose();
    if (st.keyEquals(key, k)) return true;
  }
  return false;
}
