/**
 * Iterators: `iter`, `next` and `close` on the builtin iterators (dict_itemiterator,
 * list_iterator, tuple_iterator) and the weak containers' generators (generators.ts), and the
 * closing of the iterator names still open at the end (runner.py's _close_all).
 */

import {
  clearField,
  decref,
  fieldItemSlot,
  incref,
  Kind,
  listItemSlot,
  listSize,
  newInstance,
  newTuple,
  setField,
  slotRef,
  tupleItemSlot,
  tupleSize,
} from "../../core.js";
import type { DictHandle, Value as HValue } from "../../index.js";
import { fromRefheap, PyError, typeError } from "../pyerror.js";
import { nextGen, weakGen } from "./generators.js";
import { type IterRec, newIterRec } from "./records.js";
import type { RunnerState } from "./state.js";

/** `iter I X`: a weak container's generator (not started), a builtin iterator, or X itself. */
export function opIter(st: RunnerState, iTok: string, xTok: string): void {
  const e = st.e;
  const m = st.m;
  const x0 = st.lookup(xTok);
  const x = st.deproxy(x0);
  const c = st.container(x);
  let it: number;
  if (c !== undefined) {
    // X.items() (or iter(X) for a WeakSet): a generator, not started
    it = newInstance(e, st.generatorType);
    setField(e, it, 0, x.v, true);
    st.iters.set(it, newIterRec(c.kind, c, weakGen(st, c, it), it));
  } else if (x.r && st.kind(x.v) === Kind.Dict) {
    // iter(X.items()): the view, the iterator and its result tuple, then the view dies
    const view = m.obj();
    it = newInstance(e, st.dictIterType);
    const result = newTuple(e, 2);
    setField(e, it, 0, x.v, true);
    setField(e, it, 1, result, true);
    decref(e, result);
    m.free(view);
    const rec = newIterRec("dict", null, null);
    // The iterator's reference to the dict is its di_dict field; the handle iterating it
    // borrows that reference (its own is given back at once, and taken again to dispose it).
    const h = st.heap.wrap(x.v) as DictHandle;
    decref(e, x.v);
    rec.dictHandle = h;
    rec.dictIt = h.entries();
    st.iters.set(it, rec);
  } else if (x.r && (st.kind(x.v) === Kind.List || st.kind(x.v) === Kind.Tuple)) {
    const isList = st.kind(x.v) === Kind.List;
    it = newInstance(e, isList ? st.listIterType : st.tupleIterType);
    setField(e, it, 0, x.v, true);
    st.iters.set(it, newIterRec(isList ? "list" : "tuple", null, null));
  } else if (x.r && st.iters.has(x.v)) {
    it = x.v;
    incref(e, it);
  } else {
    throw m.raise(typeError(`'${st.tpName(x)}' object is not iterable`));
  }
  st.create(iTok, () => it);
  const j = st.open.indexOf(iTok);
  if (j >= 0) st.open.splice(j, 1);
  st.open.push(iTok);
}

/** `close I` (I already unbound): I is no longer among the open names. */
export function closed(st: RunnerState, name: string): void {
  const j = st.open.indexOf(name);
  if (j >= 0) st.open.splice(j, 1);
}

/** `next I`: logs the next item, or `end`. */
export function opNext(st: RunnerState, iTok: string): void {
  const x = st.lookup(iTok);
  const rec = x.r ? st.iters.get(x.v) : undefined;
  if (rec === undefined) {
    if (x.r && st.kind(x.v) === Kind.WeakProxy) {
      const r = st.deproxy(x);
      throw st.m.raise(typeError(`Weakref proxy referenced a non-iterator '${st.tpName(r)}' object`));
    }
    throw st.m.raise(typeError(`'${st.tpName(x)}' object is not an iterator`));
  }
  const pre = `next ${iTok} `;
  switch (rec.kind) {
    case "list":
    case "tuple":
      nextSeq(st, x.v, rec, pre);
      return;
    case "dict":
      nextDict(st, x.v, rec, pre);
      return;
    default:
      nextGen(st, x.v, rec, pre);
      return;
  }
}

function nextSeq(st: RunnerState, it: number, rec: IterRec, pre: string): void {
  const e = st.e;
  const p = fieldItemSlot(e, it, 0);
  const seq = slotRef(e, p);
  if (seq === 0) {
    st.emit(`${pre}end`);
    return;
  }
  const n = rec.kind === "list" ? listSize(e, seq) : tupleSize(e, seq);
  if (rec.index >= n) {
    // exhausted: the iterator drops its sequence
    clearField(e, it, 0);
    st.emit(`${pre}end`);
    return;
  }
  const q = rec.kind === "list" ? listItemSlot(e, seq, rec.index) : tupleItemSlot(e, seq, rec.index);
  rec.index++;
  const v = st.slotVal(q);
  if (v.r) incref(e, v.v);
  st.emit(`${pre}${st.fmt(v)}`);
  if (v.r) decref(e, v.v);
}

function nextDict(st: RunnerState, it: number, rec: IterRec, pre: string): void {
  const e = st.e;
  if (rec.broken)
    throw st.m.raise(new PyError("RuntimeError", "dictionary changed size during iteration", "late"));
  if (rec.dictIt === null) {
    st.emit(`${pre}end`);
    return;
  }
  let r: IteratorResult<[HValue, HValue]>;
  try {
    r = st.scoped(() => {
      const step = rec.dictIt!.next();
      if (!step.done)
        st.emit(`${pre}(${st.fmt(st.fromHv(step.value[0]))}, ${st.fmt(st.fromHv(step.value[1]))})`);
      return step;
    });
  } catch (err) {
    const py = fromRefheap(err);
    if (py === null) throw err;
    rec.broken = true;
    throw st.m.raise(new PyError("RuntimeError", "dictionary changed size during iteration", "late"));
  }
  if (r.done === true) {
    // exhausted: di_dict = NULL
    rec.dictIt = null;
    const d = slotRef(e, fieldItemSlot(e, it, 0));
    incref(e, d);
    rec.dictHandle?.dispose();
    rec.dictHandle = null;
    clearField(e, it, 0);
    st.emit(`${pre}end`);
  }
}

/** At the end (runner.py's _close_all, a Python function): `del I` for every iterator name still open, oldest first. */
export function closeAll(st: RunnerState): void {
  st.m.call(() => {
    for (const name of st.open) st.unbind(name);
  });
  st.open.length = 0;
}
