/**
 * The mirror of the weak containers' generators: WeakValueDictionary.items and
 * WeakKeyDictionary.items (Lib/weakref.py), WeakSet.__iter__ (Lib/_weakrefset.py). The generator
 * is a heap object whose fields are its frame's locals; the runner steps refheap's walk over
 * `data` and mirrors what CPython allocates around it: the _IterationGuard and its `with`
 * statement, the data iterator, the unpacking (with its code object's warmup, Code in
 * machine.ts), the yielded pairs, the exceptions that end it, and gen_close when it dies
 * unfinished. Used by `iter`/`next` (iteration.ts) and `show X items` (queries.ts).
 */

import {
  clearField,
  decref,
  dictGetSlot,
  fieldItemSlot,
  getAttrSlot,
  incref,
  NONE,
  newInstance,
  newObject,
  newTuple,
  setField,
  slotRef,
  tupleSetItem,
  weakref as wrm,
} from "../../core.js";
import type { Code } from "../machine.js";
import { PyError } from "../pyerror.js";
import {
  type ContainerRec,
  coreOf,
  E_KEY,
  E_VALUE,
  ITERATING_SLOTS,
  type IterRec,
  type Val,
} from "./records.js";
import type { RunnerState } from "./state.js";
import { commitIfPending, commitRemovals } from "./weakcontainers.js";

/**
 * The locals of the weak containers' generators after `self` (generator fields 1..3), in
 * co_varnames order: WeakValueDictionary.items `k, wr, v`, WeakKeyDictionary.items
 * `wr, value, key`, WeakSet.__iter__ `itemref, item`.
 */
const GEN_LOCALS = 4;

const DICT_CHANGED = "dictionary changed size during iteration";
const SET_CHANGED = "Set changed size during iteration";

/**
 * The body of the weak containers' generators, run by the runner so that the generator's frame
 * locals are heap references held by the generator object (fields 1..3, GEN_LOCALS), rebound
 * as CPython rebinds them (Lib/weakref.py, Lib/_weakrefset.py; refheap's own generators hold
 * the same references from JS, with no generator object in the heap):
 *
 *     with _IterationGuard(self):            # WeakValueDictionary.items
 *         for k, wr in self.data.items():    # the dict iterator's result tuple takes k, wr
 *             v = wr()
 *             if v is not None:
 *                 yield k, v
 *
 * (WeakKeyDictionary.items: `for wr, value in ...: key = wr()`, WeakSet.__iter__:
 * `for itemref in self.data: item = itemref()`.) Every entry of `data` is visited, dead ones
 * too, so the frame holds the last entry's key and weakref while `__exit__` commits the
 * removals. The size check is refheap's (WeakCore); the guard is entered and left by
 * genStart and guardExit, around this loop, where CPython's `with` statement does. Yields
 * nothing: the runner reads the locals.
 */
export function* weakGen(st: RunnerState, c: ContainerRec, it: number): Generator<unknown, void, undefined> {
  const e = st.e;
  const core = coreOf(c);
  const op = c.kind === "wset" ? "__iter__" : "items";
  for (const entry of core.entries(op, c.kind === "wset" ? SET_CHANGED : DICT_CHANGED)) {
    const k = st.slotVal(entry + E_KEY);
    const rec = st.iters.get(it);
    if (c.kind === "wset") {
      // itemref = next(set iterator); item = itemref()
      setField(e, it, 1, k.v, k.r);
      const o = wrm.weakrefGet(e, k.v);
      setField(e, it, 2, o, true);
      if (o !== NONE) yield undefined;
      continue;
    }
    const v = st.slotVal(entry + E_VALUE);
    if (c.kind === "wvd" && dictGetSlot(e, core.data(op), k.v, k.r) !== entry + E_VALUE)
      throw new Error("oracle runner: refheap's dict entry layout changed (E_KEY, E_VALUE)");
    // FOR_ITER: the dict iterator reuses its result tuple (new items in, old ones released)
    if (rec !== undefined && rec.dataResult > 0) {
      tupleSetItem(e, rec.dataResult, 0, k.v, k.r);
      tupleSetItem(e, rec.dataResult, 1, v.v, v.r);
    }
    // UNPACK_SEQUENCE, STORE_FAST, STORE_FAST; then `v = wr()` / `key = wr()`
    const code = itemsCode(st, c.kind)!;
    st.m.unpack(code);
    setField(e, it, 1, k.v, k.r);
    setField(e, it, 2, v.v, v.r);
    const o = wrm.weakrefGet(e, c.kind === "wvd" ? v.v : k.v);
    setField(e, it, 3, o, true);
    if (o !== NONE) yield undefined; // the RESUME after it: nextGen
    code.tick(); // JUMP_BACKWARD
  }
}

/**
 * The generator's frame is cleared (_PyFrame_Clear, or the frame object that took it over
 * dies): its locals are released in co_varnames order, `self` first.
 */
function genClearLocals(st: RunnerState, it: number): void {
  for (let i = 0; i < GEN_LOCALS; i++) clearField(st.e, it, i);
}

/** The code object of a weak dictionary's items() (WeakSet.__iter__ unpacks nothing: null). */
export function itemsCode(st: RunnerState, kind: IterRec["kind"]): Code | null {
  return kind === "wvd" ? st.code.wvdItems : kind === "wkd" ? st.code.wkdItems : null;
}

/** The weak containers' generators: items() of the dictionaries, __iter__ of WeakSet. */
export function nextGen(st: RunnerState, it: number, rec: IterRec, pre: string): void {
  const m = st.m;
  const e = st.e;
  if (rec.state === "done") {
    st.emit(`${pre}end`);
    return;
  }
  m.call(
    () => {
      if (rec.state === "new") genStart(st, rec);
      else itemsCode(st, rec.kind)?.tick(); // RESUME after the yield
      rec.state = "suspended";
      const step = st.scoped(() => {
        let s: IteratorResult<unknown, void>;
        try {
          s = st.api(() => rec.gen!.next());
        } catch (err) {
          if (err instanceof PyError) genRaised(st, it, rec, err);
          throw err;
        }
        if (s.done !== true) {
          // yield k, v: the tuple, formatted and dropped by the runner
          const t = rec.pairs ? m.tuple(2) : 0;
          const local = (i: number): Val => st.slotVal(fieldItemSlot(e, it, i));
          st.emit(
            rec.kind === "wvd"
              ? `${pre}(${st.fmt(local(1))}, ${st.fmt(local(3))})`
              : rec.kind === "wkd"
                ? `${pre}(${st.fmt(local(3))}, ${st.fmt(local(2))})`
                : `${pre}${st.fmt(local(2))}`,
          );
          m.free(t);
        }
        return s;
      });
      if (step.done === true) {
        rec.state = "done";
        genEnd(st, rec);
      }
    },
    rec.frame,
    true,
  );
  if ((rec.state as IterRec["state"]) === "done") {
    // returned: gen_send_ex2 clears the frame (its object, then the locals), then `end`
    m.releaseFrame(rec.frame);
    genClearLocals(st, it);
    st.emit(`${pre}end`);
  }
}

/**
 * The generator's first run up to its loop: `if self._pending_removals: self._commit_removals()`
 * (WeakValueDictionary.items), `with _IterationGuard(self):` (the guard, the `ref(self)` call,
 * the bound __enter__ and __exit__, then __enter__ adds the guard to `_iterating`), then the
 * data's iterator (dict: the items view, dropped at once, the iterator and its result tuple;
 * WeakSet: the set iterator). The guard is entered before those are allocated
 * (Lib/_weakrefset.py `_IterationGuard.__enter__`), so a collection one of them starts only
 * records a dying entry in `_pending_removals`.
 */
export function genStart(st: RunnerState, rec: IterRec): void {
  const m = st.m;
  const e = st.e;
  const c = rec.container!;
  itemsCode(st, c.kind)?.tick(); // RESUME
  if (c.kind === "wvd") commitIfPending(st, c);
  const args = m.tuple(1); // _IterationGuard(self): type_call's argument tuple
  const guard = newInstance(e, st.guardType);
  // __init__: self.weakcontainer = ref(weakcontainer), the container's basic ref (its selfref)
  m.call(() => {
    m.tupleBlip(1);
    setField(e, guard, 0, c.selfref, true);
  });
  m.free(args);
  // BEFORE_WITH: the bound __enter__ and __exit__ (each holds the guard), the manager dropped,
  // then __enter__: w._iterating.add(self)
  const enter = boundMethod(st, guard);
  push(st, rec, S_EXIT, boundMethod(st, guard));
  decref(e, guard);
  rec.guard = guard;
  m.call(() => {
    coreOf(c).enter();
    iteratingAdd(st, c, guard);
  });
  m.free(enter);
  const data = coreOf(c).data("items");
  if (c.kind === "wset") {
    // GET_ITER: the set's iterator
    const it = newInstance(e, st.setIterType);
    setField(e, it, 0, data, true);
    push(st, rec, S_ITER, it);
  } else {
    // self.data.items() (the view, dropped once GET_ITER made the iterator and its result tuple)
    const view = m.obj();
    const it = newInstance(e, st.dictIterType);
    const result = newTuple(e, 2);
    setField(e, it, 0, data, true);
    setField(e, it, 1, result, true);
    decref(e, result);
    rec.dataResult = result;
    push(st, rec, S_ITER, it);
    m.free(view);
  }
}

/** The generator's value stack: its fields after the locals (GEN_LOCALS). */
const S_EXIT = GEN_LOCALS;
const S_ITER = GEN_LOCALS + 1;

/**
 * Pushes `o` (the caller's reference) on the generator's stack: into the generator object's
 * field, or kept by the record when there is no generator object (`show items`).
 */
function push(st: RunnerState, rec: IterRec, slot: number, o: number): void {
  if (rec.obj !== 0) {
    setField(st.e, rec.obj, slot, o, true);
    decref(st.e, o);
  }
  if (slot === S_EXIT) rec.exitMethod = o;
  else rec.dataIter = o;
}

/** Pops the stack's `slot` (the object dies unless something else holds it). */
function pop(st: RunnerState, rec: IterRec, slot: number): void {
  const o = slot === S_EXIT ? rec.exitMethod : rec.dataIter;
  if (slot === S_EXIT) rec.exitMethod = 0;
  else {
    rec.dataIter = 0;
    rec.dataResult = 0;
  }
  if (o === 0) return;
  if (rec.obj !== 0) clearField(st.e, rec.obj, slot);
  else decref(st.e, o);
}

/** A bound method of `self` (a new reference; it holds `self`). */
function boundMethod(st: RunnerState, self: number): number {
  const meth = newObject(st.e, st.boundMethodType);
  setField(st.e, meth, 0, self, true);
  return meth;
}

/** The container's `_iterating` set (the stand-in's attribute; borrowed). */
function iteratingSet(st: RunnerState, c: ContainerRec): number {
  return slotRef(st.e, getAttrSlot(st.e, c.standIn, st.str("_iterating")));
}

/** `w._iterating.add(guard)` */
function iteratingAdd(st: RunnerState, c: ContainerRec, guard: number): void {
  const set = iteratingSet(st, c);
  for (let i = 0; i < ITERATING_SLOTS.length; i++) {
    if (slotRef(st.e, fieldItemSlot(st.e, set, i)) === 0) {
      setField(st.e, set, i, guard, true);
      return;
    }
  }
  throw new Error(`refheap runner: more than ${ITERATING_SLOTS.length} iterations of ${c.name} at once`);
}

/** `s.remove(guard)` on the container's `_iterating` set. */
function iteratingRemove(st: RunnerState, c: ContainerRec, guard: number): void {
  const set = iteratingSet(st, c);
  for (let i = 0; i < ITERATING_SLOTS.length; i++) {
    if (slotRef(st.e, fieldItemSlot(st.e, set, i)) === guard) {
      clearField(st.e, set, i);
      return;
    }
  }
}

/**
 * The end of the generator's `with` block when its loop ended: the data iterator dies, then
 * __exit__ (guardExit).
 */
export function genEnd(st: RunnerState, rec: IterRec): void {
  pop(st, rec, S_ITER);
  guardExit(st, rec, "late");
}

/**
 * `_IterationGuard.__exit__` (Lib/_weakrefset.py): `w = self.weakcontainer()`; if it is alive,
 * `s.remove(self)`, then `if not s:
 * w._commit_removals()`: only the last guard to leave commits, and `_iterating` is already
 * empty while `_commit_removals` binds `pop` (a collection that allocation starts removes a
 * dying entry at once), which it does before the removals. Its IndexError is normalized at once
 * (`early`) when GeneratorExit or another exception is being handled. Then the bound __exit__
 * and the guard die.
 */
function guardExit(st: RunnerState, rec: IterRec, norm: "late" | "early"): void {
  const m = st.m;
  const c = rec.container!;
  const core = coreOf(c);
  m.call(() => {
    // `w = self.weakcontainer()`: None once the container's selfref is cleared (a collection
    // found it garbage along with its generator): nothing more, the guard stays in `_iterating`
    if (!st.live(c)) return;
    core.iterating--;
    iteratingRemove(st, c, rec.guard);
    if (core.iterating === 0 && core.alive) commitRemovals(st, c, () => core.commit("__exit__"), norm);
  });
  // the bound __exit__ is popped: it dies, and with it the guard, unless `_iterating` holds it
  pop(st, rec, S_EXIT);
  rec.guard = 0;
}

/**
 * An exception raised inside the generator's loop (RuntimeError: the dict changed size): its
 * traceback entry, the stack unwound to the `with` handler (the data iterator dies), the
 * exception normalized there, __exit__ (its _commit_removals' IndexError is raised while the
 * exception is handled), then RERAISE ends the generator.
 */
function genRaised(st: RunnerState, it: number, rec: IterRec, err: PyError): void {
  const m = st.m;
  rec.state = "done";
  // the frame object the traceback took over holds the locals until the error dies
  incref(st.e, it);
  err.onRelease.push(() => {
    genClearLocals(st, it);
    decref(st.e, it);
  });
  m.traceback(err, rec.frame, true);
  pop(st, rec, S_ITER);
  m.normalize(err);
  guardExit(st, rec, "early");
}

/**
 * The generator stand-in dies: CPython closes the generator (gen_close) unless it finished.
 * GeneratorExit is thrown into its frame, which gets a traceback entry (a generator's frame
 * is never "incomplete": one that never ran gets one too). A suspended one unwinds its stack to
 * the `with` handler (the data iterator dies), normalizes the exception (no args), runs
 * __exit__ (whose _commit_removals raises IndexError while GeneratorExit is handled), then
 * re-raises, dropping the bound __exit__ and the guard. The frame exits (its caller is not
 * linked: a generator's frame forgets it first), and gen_close clears the error.
 */
export function genFinalize(st: RunnerState, o: number): void {
  const rec = st.iters.get(o);
  if (rec === undefined) return;
  st.iters.delete(o);
  const m = st.m;
  if (rec.state === "done") {
    m.releaseFrame(rec.frame);
    return;
  }
  const err = new PyError("GeneratorExit", "", "noargs");
  m.frames.push(rec.frame);
  m.traceback(err, rec.frame, true);
  if (rec.state === "suspended") {
    pop(st, rec, S_ITER);
    m.normalize(err);
    st.scoped(() => rec.gen?.return(undefined));
    guardExit(st, rec, "early");
  } else {
    st.scoped(() => rec.gen?.return(undefined));
  }
  rec.state = "done";
  m.frames.pop();
  m.release(err);
  // the frame object (take_ownership) dies with the traceback: then the locals, self first
  genClearLocals(st, o);
}
