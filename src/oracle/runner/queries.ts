/**
 * `show` lines: the queries of the gc module, of the weakref module and of the containers (len,
 * get, has, items), each run with the collector off, as runner.py's queries are.
 */

import {
  decref,
  dictGetSlot,
  dictSize,
  FALSE,
  gc as gcm,
  incref,
  Kind,
  listItemSlot,
  listSize,
  NONE,
  newList,
  setAttr,
  slotRef,
  strValue,
  sysGetrefcount,
  TRUE,
  tupleItemSlot,
  tupleSize,
  weakref as wrm,
} from "../../core.js";
import type {
  DictHandle,
  Handle,
  Value as HValue,
  WeakKeyDictionary,
  WeakSet as WeakSetContainer,
  WeakValueDictionary,
} from "../../index.js";
import { PyError, typeError } from "../pyerror.js";
import type { Op } from "../scenario.js";
import { genEnd, genStart, itemsCode } from "./generators.js";
import { call, getattr } from "./objects.js";
import { coreOf, newIterRec, type Val, VNONE } from "./records.js";
import type { RunnerState } from "./state.js";
import { basicRef, commitIfPending, scrubRemovals, wvdHasKey } from "./weakcontainers.js";

export function show(st: RunnerState, op: Op): void {
  const e = st.e;
  const [q, ...qa] = op.args as [string, ...string[]];
  const head = `${op.args.join(" ")} `;
  const wasEnabled = gcm.isEnabled(e);
  gcm.disable(e);
  try {
    query(st, q, qa, head, wasEnabled);
  } catch (err) {
    // handled inside the try, before the collector is switched back on
    if (!(err instanceof PyError)) throw err;
    st.caught(op.line, err);
  } finally {
    if (wasEnabled) gcm.enable(e);
  }
}

function query(st: RunnerState, q: string, qa: readonly string[], head: string, wasEnabled: boolean): void {
  const e = st.e;
  const m = st.m;
  const x = (): Val => st.lookup(qa[0]!);
  switch (q) {
    case "count": {
      const [c0, c1, c2] = gcm.getCount(e);
      m.tupleBlip(3);
      st.emit(`count ${c0} ${c1} ${c2}`);
      return;
    }
    case "threshold": {
      const [t0, t1, t2] = gcm.getThreshold(e);
      m.tupleBlip(3);
      st.emit(`threshold ${t0} ${t1} ${t2}`);
      return;
    }
    case "enabled":
      st.emit(`enabled ${wasEnabled ? "True" : "False"}`);
      return;
    case "stats": {
      const l = m.list();
      const ds = [m.dict(), m.dict(), m.dict()];
      const s = gcm.getStats(e);
      const parts = s.map((g, i) => {
        const b = st.stats0[i]!;
        return `${g.collections - b.collections}/${g.collected - b.collected}/${g.uncollectable - b.uncollectable}`;
      });
      st.emit(`stats ${parts.join(" ")}`);
      for (let i = ds.length - 1; i >= 0; i--) m.free(ds[i]!);
      m.free(l);
      return;
    }
    case "freeze":
      st.emit(`freeze ${gcm.getFreezeCount(e)}`);
      return;
    case "tracked": {
      const v = x();
      st.emit(`${head}${v.r && gcm.isTracked(e, v.v) ? "True" : "False"}`);
      return;
    }
    case "finalized": {
      const v = x();
      st.emit(`${head}${v.r && gcm.isFinalized(e, v.v) ? "True" : "False"}`);
      return;
    }
    case "referents": {
      const v = x();
      const c = st.container(v);
      if (c?.kind === "wkd") {
        // `self._dirty_len = ...`: refheap's WeakKeyDictionary keeps the flag in its core
        setAttr(e, v.v, st.str("_dirty_len"), coreOf(c).dirtyLen ? TRUE : FALSE, true);
      }
      // gc.get_referents(*objs) is METH_VARARGS: an argument tuple during the call
      const t = m.tuple(1);
      const l = v.r ? gcm.getReferents(e, [v.v]) : newList(e);
      m.free(t);
      let text = st.fmtList(l);
      if (v.r && st.kind(v.v) === Kind.Weakref && st.typeNameOf(v.v) === "WeakMethod") {
        // subtype_traverse visits its slots sorted (_alive, _func_ref, _meth_type) and its class,
        // then gc_traverse the callback; refheap's traverse has _func_ref and the callback only
        const alive = wrm.weakMethodAlive(e, v.v) ? "True" : "False";
        text = text.replace(/^\[([^,\]]*)/, `[${alive}, $1, method, WeakMethod`);
      }
      if (v.r && hasOwnCallback(st, v.v)) {
        // the callback (a Python function in CPython) is outside refheap's heap
        text = text === "[]" ? "[?function]" : `[?function, ${text.slice(1)}`;
      }
      st.emit(`${head}${text}`);
      decref(e, l);
      return;
    }
    case "objects": {
      const g = Number(qa[0]);
      if (g >= 3 || g < -1) {
        // get_objects makes its result list before it checks the generation
        m.free(m.list());
      }
      const l = st.api(() => gcm.getObjects(e, g));
      const out: string[] = [];
      for (let i = 0; i < listSize(e, l); i++) {
        const s = st.lb(slotRef(e, listItemSlot(e, l, i)));
        if (s !== null) out.push(s);
      }
      st.emit(`${head}[${out.join(", ")}]`);
      decref(e, l);
      return;
    }
    case "garbage":
      st.emit(`garbage ${st.fmtList(e.garbage)}`);
      return;
    case "refcount": {
      const v = x();
      if (!v.r) {
        st.emit(`${head}?`);
        return;
      }
      st.emit(`${head}${sysGetrefcount(e, v.v)}`);
      return;
    }
    case "deref": {
      const r = call(st, x());
      st.emit(`${head}${st.fmt(r)}`);
      st.release(r);
      return;
    }
    case "wrcount": {
      const v = x();
      st.emit(`${head}${v.r ? wrm.getweakrefcount(e, v.v) : 0}`);
      return;
    }
    case "wrlist": {
      const v = x();
      const l = v.r ? wrm.getweakrefs(e, v.v) : newList(e);
      st.emit(`${head}${st.fmtList(l)}`);
      decref(e, l);
      return;
    }
    case "len":
      st.emit(`${head}${len(st, x())}`);
      return;
    case "get":
      queryGet(st, x(), qa[1]!, head);
      return;
    case "has":
      queryHas(st, x(), qa[1]!, head);
      return;
    case "items":
      queryItems(st, x(), head);
      return;
    case "proxy": {
      const v = getattr(st, x(), qa[1]!);
      if (v.r) incref(e, v.v);
      st.emit(`${head}${st.fmt(v)}`);
      if (v.r) decref(e, v.v);
      return;
    }
    default:
      throw new Error(`unknown query ${q}`);
  }
}

/**
 * Whether a weakref still has the module-level callback a `ref`/`proxy` line gave it (cleared at
 * its referent's death), which is outside refheap's heap.
 */
function hasOwnCallback(st: RunnerState, wr: number): boolean {
  // A lambda callback is a heap object: get_referents lists it already.
  return st.cbRefs.has(wr) && !st.lambdaActs.has(wr) && wrm.weakrefGet(st.e, wr) !== NONE;
}

function len(st: RunnerState, x0: Val): number {
  const e = st.e;
  const x = st.deproxy(x0);
  const c = st.container(x);
  if (c !== undefined) {
    if (c.kind === "wvd") {
      const w = c.obj as WeakValueDictionary;
      return st.m.call(() => {
        commitIfPending(st, c);
        return w.size;
      });
    }
    if (c.kind === "wkd") {
      const core = coreOf(c);
      return st.m.call(() => {
        if (core.dirtyLen && core.pendingCount("len") > 0) scrubRemovals(st, c);
        return st.scoped(() => c.obj.size);
      });
    }
    return st.m.call(() => st.scoped(() => c.obj.size));
  }
  if (x.r) {
    const k = st.kind(x.v);
    if (k === Kind.List) return listSize(e, x.v);
    if (k === Kind.Tuple) return tupleSize(e, x.v);
    if (k === Kind.Dict) return dictSize(e, x.v);
    if (k === Kind.Str) return strValue(e, x.v).length;
  }
  throw st.m.raise(typeError(`object of type '${st.tpName(x)}' has no len()`));
}

function queryGet(st: RunnerState, x0: Val, kTok: string, head: string): void {
  const e = st.e;
  const m = st.m;
  const x = st.deproxy(x0);
  const k = st.value(kTok);
  const c = st.container(x);
  let result: Val = VNONE;
  const out = (v: Val): void => st.emit(`${head}${st.fmt(v)}`);
  if (c !== undefined && c.kind === "wvd") {
    const w = c.obj as WeakValueDictionary;
    m.call(() => {
      commitIfPending(st, c);
      st.scoped(() => {
        const has = st.api(() => wvdHasKey(st, w, k));
        if (!has) m.caughtHere("key");
        const r = st.api(() => w.get(st.hv(k)));
        result = st.fromHv(r);
        out(result);
      });
    });
    return;
  }
  if (c !== undefined && c.kind === "wkd") {
    const w = c.obj as WeakKeyDictionary;
    m.call(() => {
      // self.data.get(ref(key), default)
      const r = basicRef(st, k);
      try {
        st.scoped(() => out(st.fromHv(st.api(() => w.get(st.hv(k) as Handle)))));
      } finally {
        m.free(r);
      }
    });
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict) {
    const p = st.api(() => dictGetSlot(e, x.v, k.v, k.r));
    result = p === 0 ? VNONE : st.slotVal(p);
    out(result);
    return;
  }
  throw st.noMethod(x, "get");
}

function queryHas(st: RunnerState, x0: Val, kTok: string, head: string): void {
  const e = st.e;
  const m = st.m;
  const x = st.deproxy(x0);
  const k = st.value(kTok);
  const c = st.container(x);
  const out = (b: boolean): void => st.emit(`${head}${b ? "True" : "False"}`);
  if (c !== undefined && c.kind === "wvd") {
    const w = c.obj as WeakValueDictionary;
    m.call(() => {
      commitIfPending(st, c);
      st.scoped(() => {
        const has = st.api(() => wvdHasKey(st, w, k));
        if (!has) m.caughtHere("key");
        out(st.api(() => w.has(st.hv(k))));
      });
    });
    return;
  }
  if (c !== undefined) {
    // try: wr = ref(key) except TypeError: return False; return wr in self.data
    m.call(() => {
      let r = 0;
      try {
        r = basicRef(st, k);
      } catch (err) {
        if (!(err instanceof PyError)) throw err;
        m.catch(err);
        m.release(err);
        out(false);
        return;
      }
      try {
        st.scoped(() => out(st.api(() => c.obj.has(st.hv(k)))));
      } finally {
        m.free(r);
      }
    });
    return;
  }
  if (x.r) {
    const kind = st.kind(x.v);
    if (kind === Kind.Dict) {
      out(st.api(() => dictGetSlot(e, x.v, k.v, k.r) !== 0));
      return;
    }
    if (kind === Kind.List || kind === Kind.Tuple) {
      const n = kind === Kind.List ? listSize(e, x.v) : tupleSize(e, x.v);
      for (let i = 0; i < n; i++) {
        const p = kind === Kind.List ? listItemSlot(e, x.v, i) : tupleItemSlot(e, x.v, i);
        if (st.keyEquals(st.slotVal(p), k)) {
          out(true);
          return;
        }
      }
      out(false);
      return;
    }
  }
  throw m.raise(typeError(`argument of type '${st.tpName(x)}' is not iterable`));
}

/**
 * `list(X.items())` (dicts and the weak dictionaries: (k, v) pairs), `list(X)` sorted by label
 * (WeakSet, whose order is its hash table's in CPython), `list(X)` (lists, tuples). list(...)
 * allocates its list outright, not from the freelist.
 */
function queryItems(st: RunnerState, x0: Val, head: string): void {
  const e = st.e;
  const m = st.m;
  const x = st.deproxy(x0);
  const c = st.container(x);
  const pair = (k: HValue, v: HValue): string => `(${st.fmt(st.fromHv(k))}, ${st.fmt(st.fromHv(v))})`;
  if (c !== undefined) {
    // list(X.items()): the generator, then the list; list(X): the list, then iter(X)'s
    // generator; then the generator's run to the end (refheap's own walk takes a guard inside
    // the runner's, so the removals are committed at guardExit, as CPython's __exit__ does)
    const wset = c.kind === "wset";
    const first = wset ? m.list(false) : m.obj();
    const second = wset ? m.obj() : m.list(false);
    const gen = wset ? second : first;
    const l = wset ? first : second;
    const rec = newIterRec(c.kind, c, null);
    const parts: string[] = [];
    const tuples: number[] = [];
    m.call(() => {
      genStart(st, rec);
      st.scoped(() => {
        if (c.kind === "wset") {
          for (const it of c.obj as WeakSetContainer) parts.push(st.fmt(st.fromHv(it)));
        } else {
          // with the collector off (a query), the unpacking's iterators change no count: only
          // the code's warmup is mirrored, a JUMP_BACKWARD per entry and a RESUME per yield
          const entries = dictSize(e, coreOf(c).data("items"));
          for (const [k, v] of (c.obj as WeakValueDictionary | WeakKeyDictionary).items()) {
            tuples.push(m.tuple(2)); // yield k, v
            parts.push(pair(k, v));
          }
          itemsCode(st, c.kind)!.tick(entries + tuples.length);
        }
      });
      genEnd(st, rec);
    });
    m.free(gen);
    if (c.kind === "wset") parts.sort();
    st.emit(`${head}[${parts.join(", ")}]`);
    for (let i = tuples.length - 1; i >= 0; i--) m.free(tuples[i]!);
    m.free(l);
    return;
  }
  if (x.r && st.kind(x.v) === Kind.Dict) {
    // the items view, the list, the view's iterator and its result tuple (the first item's)
    const view = m.obj();
    const l = m.list(false);
    const it = m.obj();
    const tuples = [m.tuple(2)];
    const parts: string[] = [];
    st.scoped(() => {
      let first = true;
      for (const [k, v] of (st.heap.wrap(x.v) as DictHandle).entries()) {
        if (!first) tuples.push(m.tuple(2));
        first = false;
        parts.push(pair(k, v));
      }
    });
    m.free(it);
    m.free(view);
    st.emit(`${head}[${parts.join(", ")}]`);
    for (let i = tuples.length - 1; i >= 0; i--) m.free(tuples[i]!);
    m.free(l);
    return;
  }
  if (x.r && (st.kind(x.v) === Kind.List || st.kind(x.v) === Kind.Tuple)) {
    const isList = st.kind(x.v) === Kind.List;
    const l = m.list(false);
    const n = isList ? listSize(e, x.v) : tupleSize(e, x.v);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      parts.push(st.fmt(st.slotVal(isList ? listItemSlot(e, x.v, i) : tupleItemSlot(e, x.v, i))));
    }
    st.emit(`${head}[${parts.join(", ")}]`);
    m.free(l);
    return;
  }
  // list(X): the list is made before X's iterator is asked for
  m.free(m.list(false));
  throw m.raise(typeError(`'${st.tpName(x)}' object is not iterable`));
}
