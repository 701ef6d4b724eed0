/**
 * The refheap runner of the differential oracle (docs/oracle.md): runs a scenario on a fresh
 * refheap Heap and returns its event log, line for line what oracle/runner.py prints when CPython
 * 3.11 runs the same scenario.
 *
 * The scenario's global names live in a heap dict, as in the python runner's globals dict (name
 * str → an object it holds a reference to, or an inline int). The weak containers are the Heap API's (`heap.weakref`), each
 * with a stand-in instance for the Python object (the name's value); everything else goes through
 * the engine API. Labels are kept exactly: a trace sink sees every block freed, so a freed
 * object's label is dropped at once.
 *
 * Where CPython's interpreter allocates GC objects that refheap's engine does not (argument
 * tuples, frames, tracebacks, exceptions, generators, the weak containers' Python machinery), the
 * runner allocates mirrors of the same kinds at the same moments (machine.ts), so that
 * `gc.get_count()` and the moments automatic collections start stay CPython's. The sequences
 * the runner's modules mirror come from CPython 3.11's sources (Lib/weakref.py, Lib/_weakrefset.py, Objects/, Python/)
 * and were checked against python3 with the gen-0 count and the freelists' occupancy read after
 * every line.
 *
 * This file is the runner's table of contents: runScenario, and the dispatch of each body line to
 * the module of its group of operations (src/oracle/runner/):
 *
 *   state.ts           the runner's state: heap, globals dict, labels, records, log, value helpers
 *   records.ts         the records of values, classes, weak containers, finalizers and iterators
 *   setup.ts           the private classes, the scenario's declarations, the baseline
 *   objects.ts         new, list, tuple, dict, set, unset, append, setitem, delitem, pop, clear, call
 *   weakcontainers.ts  WeakValueDictionary, WeakKeyDictionary and WeakSet, as Lib/weakref.py runs them
 *   callbacks.ts       ref, proxy; the weakref callbacks and the classes' finalizers
 *   finalize.ts        weakref.finalize
 *   collect.ts         collect, loop, gccb, and the gc.collect() of a finalizer or callback
 *   iteration.ts       iter, next, close
 *   generators.ts      the mirror of the weak containers' generators (weakref.py, _weakrefset.py)
 *   queries.ts         show
 *
 * The mirrors of CPython's frames, tracebacks, exceptions and code warmup are in machine.ts.
 */

import { type Engine, gc as gcm, listClear } from "../core.js";
import type { GcTraceEvent, TraceEvent } from "../index.js";
import { nameError, PyError } from "./pyerror.js";
import { opRef, opWeakMethod } from "./runner/callbacks.js";
import { gccbAdd, gccbClear, opCollect, opLoop, releaseAfterLoop } from "./runner/collect.js";
import { opFinalize } from "./runner/finalize.js";
import { closeAll, closed, opIter, opNext } from "./runner/iteration.js";
import {
  delattr,
  opAppend,
  opCall,
  opClear,
  opDelitem,
  opDict,
  opLet,
  opList,
  opNew,
  opPop,
  opSetitem,
  opSetMethod,
  opTuple,
  setattr,
} from "./runner/objects.js";
import { show } from "./runner/queries.js";
import { baseline, declare } from "./runner/setup.js";
import { RunnerState } from "./runner/state.js";
import { type Op, parseScenario } from "./scenario.js";

export interface RunOptions {
  /**
   * N, the objects CPython had in generation 2 at its baseline (the `baseline N` line of its
   * log): refheap starts from the same number of long-lived objects.
   */
  readonly longLived: number;
  /**
   * For debugging the mirrors, not part of the log format: after each body line, a line
   * `state LINE c0 lists dicts t1 t2 t3 t4 t5` with generation 0's count and the occupancy of the
   * freelists refheap counts (lists, dicts, tuples of 1..5 items).
   */
  readonly state?: boolean;
  /** Told about the run as it goes (the playground's recorder); changes nothing in it. */
  readonly observer?: ScenarioObserver;
}

/** What an observer of a run may read: the engine, the scenario's names and labels, the log so far. */
export interface ScenarioView {
  readonly engine: Engine;
  /** The log lines so far (the first is `baseline N`, once the baseline is made). */
  readonly log: readonly string[];
  /** The label the runner gives an object (its name at creation, `~` for a loop's), if any. */
  label(addr: number): string | undefined;
  /** The addresses of the labelled objects. */
  labelled(): IterableIterator<number>;
  /** The object a global name is bound to (null for an int, an unbound or an unknown name). */
  bound(name: string): number | null;
}

/**
 * Watches a run (runScenario's `observer`): `ready` after the declarations and the baseline,
 * `beforeLine` and `line` around each body line, `trace` for every trace event of the run's heap (called
 * synchronously, in the middle of allocations and collections: it must not change the heap).
 */
export interface ScenarioObserver {
  ready?(view: ScenarioView): void;
  beforeLine?(op: Op, view: ScenarioView): void;
  line?(op: Op, view: ScenarioView): void;
  trace?(event: TraceEvent | GcTraceEvent, view: ScenarioView): void;
}

/**
 * A typical N when no CPython log gives one: what oracle/runner.py reports for a small scenario
 * on CPython 3.11 (`python3 -I -S`; the runner's own prelude included).
 */
export const DEFAULT_LONG_LIVED = 6940;

/** Runs a scenario on refheap; returns its event log (the first line is `baseline N`). */
export function runScenario(text: string, options: RunOptions): string[] {
  const sc = parseScenario(text);
  const observer = options.observer;
  let view: ScenarioView | null = null;
  const st = new RunnerState(
    // Events of the heap's own construction (before the view exists) are not passed on.
    observer?.trace === undefined
      ? null
      : (ev) => {
          if (view !== null) observer.trace!(ev, view);
        },
  );
  view = viewOf(st);
  declare(st, sc);
  baseline(st, options.longLived);
  observer?.ready?.(view);
  for (const op of sc.body) {
    observer?.beforeLine?.(op, view);
    line(st, op);
    if (options.state === true) st.emitState(op.line);
    observer?.line?.(op, view);
  }
  closeAll(st);
  st.emit(`alive [${st.alive().join(", ")}]`);
  return st.log;
}

function viewOf(st: RunnerState): ScenarioView {
  return {
    engine: st.e,
    log: st.log,
    label: (addr) => st.labels.get(addr),
    labelled: () => st.labels.keys(),
    bound: (name) => st.boundObject(name),
  };
}

// ---------------------------------------------------------------------------------------------

/** One body line: its error, if any, is caught and logged (see RunnerState.caught). */
function line(st: RunnerState, op: Op): void {
  try {
    dispatch(st, op);
  } catch (err) {
    if (!(err instanceof PyError)) throw err;
    st.caught(op.line, err);
  }
  releaseAfterLoop(st);
  if (st.bug !== null) throw st.bug;
}

/** A body line's operation, each to its group's module. */
function dispatch(st: RunnerState, op: Op): void {
  const a = op.args;
  switch (op.op) {
    case "new":
      opNew(st, a[0]!, a[1]!, a[2]);
      return;
    case "list":
      opList(st, a[0]!, a.slice(1));
      return;
    case "tuple":
      opTuple(st, a[0]!, a.slice(1));
      return;
    case "dict":
      opDict(st, a[0]!, a.slice(1));
      return;
    case "let":
      opLet(st, a[0]!, a[1]!);
      return;
    case "del":
      for (const name of a) if (!st.unbind(name)) throw st.m.raise(nameError(name));
      return;
    case "set": {
      const [x, f] = a[0]!.split(".") as [string, string];
      const v = st.value(a[1]!);
      setattr(st, st.lookup(x), f, v);
      return;
    }
    case "unset": {
      const [x, f] = a[0]!.split(".") as [string, string];
      delattr(st, st.lookup(x), f);
      return;
    }
    case "append":
      opAppend(st, a[0]!, a[1]!);
      return;
    case "setitem":
      opSetitem(st, a[0]!, a[1]!, a[2]!);
      return;
    case "delitem":
      opDelitem(st, a[0]!, a[1]!);
      return;
    case "pop":
      opPop(st, st.lookup(a[0]!));
      return;
    case "clear":
      opClear(st, st.lookup(a[0]!));
      return;
    case "add":
    case "discard":
      opSetMethod(st, op.op, a[0]!, a[1]!);
      return;
    case "ref":
    case "proxy":
      opRef(st, op.op, a[0]!, a[1]!, a.slice(2));
      return;
    case "wm":
      opWeakMethod(st, a[0]!, a[1]!, a.slice(2));
      return;
    case "finalize":
      opFinalize(st, a[0]!, a[1]!);
      return;
    case "call":
      opCall(st, a[0]!);
      return;
    case "iter":
      opIter(st, a[0]!, a[1]!);
      return;
    case "next":
      opNext(st, a[0]!);
      return;
    case "close":
      if (!st.unbind(a[0]!)) throw st.m.raise(nameError(a[0]!));
      closed(st, a[0]!);
      return;
    case "loop":
      opLoop(st, Number(a[0]), a[1]!, a.length === 4 ? a[3]! : null);
      return;
    case "collect":
      opCollect(st, op.line, a.length > 0 ? Number(a[0]) : null);
      return;
    case "enable":
      gcm.enable(st.e);
      return;
    case "disable":
      gcm.disable(st.e);
      return;
    case "freeze":
      gcm.freeze(st.e);
      return;
    case "unfreeze":
      gcm.unfreeze(st.e);
      return;
    case "threshold": {
      // gc.set_threshold is METH_VARARGS: its arguments come as a tuple
      const t = st.m.tuple(a.length);
      try {
        st.api(() => gcm.setThreshold(st.e, ...a.map(Number)));
        return;
      } finally {
        st.m.free(t);
      }
    }
    case "debug":
      st.api(() => gcm.setDebug(st.e, Number(a[0])));
      return;
    case "gccb":
      if (a[0] === "add") gccbAdd(st, a.slice(1));
      else gccbClear(st);
      return;
    case "cleargarbage":
      listClear(st.e, st.e.garbage);
      return;
    case "show":
      show(st, op);
      return;
    default:
      throw new Error(`unknown operation ${op.op}`);
  }
}
