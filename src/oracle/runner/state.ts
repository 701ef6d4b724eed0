/**
 * The refheap runner's state, shared by the modules of its groups of operations: the heap, its
 * engine and the mirrors' Machine, the scenario's globals dict, the labels and the records of the
 * scenario's objects, the runner's private classes, the log, and the helpers every group uses to
 * read names and values, format them (runner.py's _fmt), call the Heap API, and handle a line's
 * error. Its members are plain (not `#` private) so that the runner's modules can reach them; they
 * are internal to the oracle (src/oracle/index.ts exports none of them).
 */

import {
  decref,
  dictDelItem,
  dictGetSlot,
  dictSetItem,
  type Engine,
  FALSE,
  Kind,
  listItemSlot,
  listSize,
  NONE,
  newStr,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  TRUE,
  traverse,
  typeIdOf,
  weakref as wrm,
} from "../../core.js";
import {
  type GcTraceEvent,
  Handle,
  Heap,
  type Value as HValue,
  type TraceEvent,
  WeakRefHandle,
} from "../../index.js";
import { Code, Machine } from "../machine.js";
import { attributeError, fromRefheap, nameError, PyError, referenceError } from "../pyerror.js";
import {
  type ClassRec,
  type ContainerKind,
  type ContainerRec,
  coreOf,
  E_VALUE,
  type FinRec,
  type IterRec,
  type Val,
  VNONE,
} from "./records.js";

/** CPython's __name__ of the scenario-visible types that are not scenario classes. */
const WEAKREF_TYPE_NAMES: Readonly<Record<string, string>> = {
  "weakref.ReferenceType": "ReferenceType",
  "weakref.ProxyType": "ProxyType",
};

/** The runner's state and the helpers its groups of operations share (internal to the oracle). */
export class RunnerState {
  /** The event log, one line per event (see emit). */
  readonly log: string[] = [];
  readonly heap: Heap;
  readonly e: Engine;
  readonly m: Machine;
  /**
   * Runs the part of an engine function that CPython runs in a frame of weakref.py's Python code
   * (WeakMethod.__new__, __call__) in a mirrored frame: an exception leaving a Python function
   * called back meanwhile (a gc callback of a collection started there) materialises it, as
   * take_ownership does, and the frame object dies when the function returns.
   */
  readonly inFrame: wrm.InFrame = (body) => this.m.call(body);

  /**
   * The scenario's globals: a mirror of the python runner's globals dict (`S_name`), older
   * than every scenario object and tracked from the start (it holds the prelude's functions), so a
   * full collection that meets an object before it (after `freeze` and `unfreeze` merged the
   * young generations in front) finds that object only through it and moves it behind.
   */
  globals = 0;
  /** Object address → label, dropped when the object's memory is freed. */
  readonly labels = new Map<number, string>();
  readonly classes = new Map<string, ClassRec>();
  /** Type object address → class name. */
  readonly typeNames = new Map<number, string>();
  readonly containers = new Map<number, ContainerRec>();
  readonly fins = new Map<number, FinRec>();
  readonly iters = new Map<number, IterRec>();
  /** Names opened by `iter`, oldest first (runner.py's _OPEN). */
  readonly open: string[] = [];
  /** Interned strs (never freed, as the code object's constants). */
  readonly strs = new Map<string, number>();
  /** > 0 while the runner's own gc.collect() runs (and before the body): runner.py's _D. */
  explicit = 1;
  /**
   * Mirror of finalize._registry, the class-level dict (finalize object → its _Info) of the live
   * finalizers: empty, so untracked, at the baseline; a store tracks it again (generation 0).
   */
  registry = 0;
  /** The weak containers' selfrefs (runner.py's _WCR), never freed. */
  readonly selfRefs = new Set<number>();
  /** Weakrefs made by `ref`/`proxy` lines with a callback (runner.py's _cb). */
  readonly cbRefs = new Set<number>();
  /** A non-Python error thrown inside a finalizer or callback: rethrown after the line. */
  bug: unknown = null;
  stats0: { collections: number; collected: number; uncollectable: number }[] = [];

  // Private classes.
  mirrorType = 0;
  finalizeType = 0;
  infoType = 0;
  /** The kind of `lambda` callbacks' function objects. */
  functionType = 0;
  /** The kind of the `cb` methods' functions (bound when read through an instance). */
  methodFunctionType = 0;
  /** The kinds of the descriptors a class's dict holds: member_descriptor, getset_descriptor (d_type). */
  descriptorTypes: number[] = [];
  /**
   * runner.py's module-level `_cb` as a heap function (a `function` object, made before the
   * classes when the scenario has a `wm` line with actions): a WeakMethod's callback must be one.
   */
  moduleCb: number | null = null;
  /**
   * The weakrefs a `wm` line's WeakMethod made (`_func_ref`, `self_wr`): runner.py's _lb labels
   * them None (their callback is WeakMethod's `_cb`, or they have none), not `~`.
   */
  readonly wmParts = new Set<number>();
  /** Per scenario class id: the basic weakref its base's __subclasses__ table holds (add_subclass). */
  readonly subclassRefs = new Map<number, number>();
  /** Per scenario class id with subclasses: its __subclasses__ table (tp_subclasses), a dict. */
  readonly subclassDicts = new Map<number, number>();
  /** A lambda callback's actions, by the weakref it was made for (runner.py's CBA by id(w)). */
  readonly lambdaActs = new Map<number, readonly string[]>();
  generatorType = 0;
  /** The code objects of Lib/weakref.py with an UNPACK_SEQUENCE: their warmup (see Code). */
  readonly code = {
    wvdPopitem: new Code(),
    wkdPopitem: new Code(),
    wvdItems: new Code(),
    wkdItems: new Code(),
  };
  dictIterType = 0;
  listIterType = 0;
  tupleIterType = 0;
  readonly containerTypes = new Map<ContainerKind, number>();
  /** The kind of a weak container's `_remove` function (its one reference: `__defaults__`). */
  removeFunctionType = 0;
  /** The kind of a weak container's `_iterating` set (its slots hold the running guards). */
  setType = 0;
  /** Lib/_weakrefset.py's `_IterationGuard` (its `weakcontainer`: the container's selfref). */
  guardType = 0;
  /** A bound method of a guard (`__enter__`, `__exit__`): it holds the guard. */
  boundMethodType = 0;
  /** A set's iterator (WeakSet.__iter__'s `for itemref in self.data`): it holds the set. */
  setIterType = 0;

  /** `_o = None` after a loop: released after the error (if any) is logged. */
  readonly afterLoop: number[] = [];

  /** `observe` also receives every trace event, after the runner's own handling. */
  constructor(observe: ((ev: TraceEvent | GcTraceEvent) => void) | null = null) {
    this.heap = new Heap({
      leaks: "off",
      trace:
        observe === null
          ? (ev) => this.onTrace(ev)
          : (ev) => {
              this.onTrace(ev);
              observe(ev);
            },
    });
    this.e = this.heap.engine;
    this.e.gcWrite = () => {};
    this.e.unraisableHook = (error) => {
      this.bug ??= error;
    };
    this.m = new Machine(this.e, this.defineMirrorType());
  }

  onTrace(ev: TraceEvent | { readonly kind: string }): void {
    if (ev.kind !== "free") return;
    const block = (ev as TraceEvent).addr;
    this.labels.delete(block);
    this.labels.delete(block + 8);
    this.cbRefs.delete(block + 8);
    this.lambdaActs.delete(block + 8);
    this.wmParts.delete(block + 8);
    const rec = this.iters.get(block + 8);
    if (rec !== undefined) {
      // A builtin iterator died (its fields released its sequence); its handle is forgotten.
      rec.dictHandle = null;
      rec.dictIt = null;
      this.iters.delete(block + 8);
    }
  }

  defineMirrorType(): number {
    this.mirrorType = this.e.defineClass({ name: "object" }).id;
    return this.mirrorType;
  }

  // --- the log ---

  emit(line: string): void {
    this.log.push(line);
  }

  emitState(line: number): void {
    const fl = this.e.freelists;
    this.emit(
      `state ${line} ${this.e.gcCount0} ${fl[0]} ${fl[1]} ${fl[2]} ${fl[3]} ${fl[4]} ${fl[5]} ${fl[6]}`,
    );
  }

  /** The labels of the objects still allocated, loop objects (`~`) excepted, sorted. */
  alive(): string[] {
    return [...this.labels.values()].filter((l) => l !== "~").sort();
  }

  // --- names and values ---

  /** The interned str object for `s`. */
  str(s: string): number {
    let o = this.strs.get(s);
    if (o === undefined) {
      o = newStr(this.e, s);
      this.strs.set(s, o);
    }
    return o;
  }

  /**
   * The object `name` is bound to, read without making anything (null for an int, or for a name
   * never interned or not bound): for observers, which must not change the heap.
   */
  boundObject(name: string): number | null {
    const key = this.strs.get(name);
    if (key === undefined || this.globals === 0) return null;
    const p = dictGetSlot(this.e, this.globals, key, true);
    if (p === 0 || !slotIsRef(this.e, p)) return null;
    return slotRef(this.e, p);
  }

  lookup(name: string): Val {
    const p = dictGetSlot(this.e, this.globals, this.str(name), true);
    if (p === 0) throw this.m.raise(nameError(name));
    return this.slotVal(p);
  }

  /** A value token as a value (borrowed). */
  value(tok: string): Val {
    if (tok === "None") return VNONE;
    if (tok === "True") return { v: TRUE, r: true };
    if (tok === "False") return { v: FALSE, r: true };
    if (/^-?[0-9]+$/.test(tok)) return { v: Number(tok), r: false };
    if (tok.startsWith("'")) return { v: this.str(tok.slice(1, -1)), r: true };
    return this.lookup(tok);
  }

  /** name = value: a store into the globals dict (the new value is stored, then the old one released). */
  bind(name: string, val: Val): void {
    dictSetItem(this.e, this.globals, this.str(name), true, val.v, val.r);
  }

  /** Binds a new object, taking over the caller's reference. */
  bindSteal(name: string, o: number): void {
    this.bindOwned(name, { v: o, r: true });
  }

  /** Binds a value, taking over the caller's reference. */
  bindOwned(name: string, val: Val): void {
    this.bind(name, val);
    if (val.r) decref(this.e, val.v);
  }

  /** del name: false if it is not bound. */
  unbind(name: string): boolean {
    return dictDelItem(this.e, this.globals, this.str(name), true);
  }

  kind(o: number): number {
    return this.e.typeKind[typeIdOf(this.e, o)]!;
  }

  typeNameOf(o: number): string {
    return this.e.types[typeIdOf(this.e, o)]!.name;
  }

  /** CPython's tp_name of a value's type (error messages). */
  tpName(val: Val): string {
    if (!val.r) return "int";
    if (val.v === NONE) return "NoneType";
    if (val.v === TRUE || val.v === FALSE) return "bool";
    if (this.kind(val.v) === Kind.Type) return "type";
    return this.typeNameOf(val.v);
  }

  /** CPython's __name__ of a value's type (`?name` for unlabelled objects). */
  pyName(o: number): string {
    const n = this.typeNameOf(o);
    return WEAKREF_TYPE_NAMES[n] ?? n;
  }

  isKeyedRef(o: number): boolean {
    return this.typeNameOf(o) === "KeyedRef";
  }

  /** runner.py's _lb: the label of an object, `~` for the weak containers' machinery, or null. */
  lb(o: number): string | null {
    const kind = this.kind(o);
    const label = this.labels.get(o);
    if (kind !== Kind.Weakref || label !== undefined) return label ?? null;
    // The weak containers' and finalizers' weakrefs are `~`: a KeyedRef; a live weakref that is
    // not a container's selfref (it has their callback); a dead one waiting in a pending list.
    // A KeyedRef: `~` while it has its callback (a WeakValueDictionary's `_remove`); once called
    // back (its value died), only while a live WeakValueDictionary's data holds it (runner.py's
    // _inwvd: a removal pending while it iterates).
    if (this.isKeyedRef(o)) return this.hasJsCallback(o) || this.inLiveWvd(o) ? "~" : null;
    if (this.selfRefs.has(o) || this.wmParts.has(o)) return null;
    // A class's entry in its base's __subclasses__ (no callback, no label): runner.py's None.
    for (const wr of this.subclassRefs.values()) if (wr === o) return null;
    if (wrm.weakrefGet(this.e, o) !== NONE) return "~";
    // Dead: a collection cleared it but left its callback (_PyWeakref_ClearRef), a container's
    // `_remove` or a finalize object (a scenario's callbacks are labelled); or it waits in a
    // pending list.
    return this.keepsCallback(o) || this.inPending(o) ? "~" : null;
  }

  /**
   * Whether weakref `wr` still has a callback: a heap callable (a finalize object: traverse visits
   * it), or a JS one the Heap API made (a weak container's `_remove`: `__callback__`).
   */
  keepsCallback(wr: number): boolean {
    return traverse(this.e, wr) > 0 || this.hasJsCallback(wr);
  }

  /** Whether weakref `wr` has a callback the Heap API made (a weak container's `_remove`). */
  hasJsCallback(wr: number): boolean {
    return this.scoped(() => {
      const h = this.heap.wrap(wr);
      return h instanceof WeakRefHandle && h.callback !== null;
    });
  }

  /** Whether KeyedRef `kr` is a value of a live WeakValueDictionary's data (runner.py's _inwvd). */
  inLiveWvd(kr: number): boolean {
    for (const c of this.containers.values()) {
      if (c.kind !== "wvd" || !this.live(c)) continue;
      for (const entry of coreOf(c).entries("_inwvd", "")) {
        if (slotIsRef(this.e, entry + E_VALUE) && slotRef(this.e, entry + E_VALUE) === kr) return true;
      }
    }
    return false;
  }

  /** Whether weakref `wr` waits in a weak container's pending removals (runner.py's _inpend). */
  inPending(wr: number): boolean {
    return this.scoped(() => {
      for (const c of this.containers.values()) {
        if (c.kind === "wvd" || !this.live(c)) continue;
        for (const p of c.obj.pendingRemovals) if (p instanceof Handle && p.address === wr) return true;
      }
      return false;
    });
  }

  /** runner.py's _fmt. */
  fmt(val: Val): string {
    if (!val.r) return String(val.v);
    const o = val.v;
    if (o === NONE) return "None";
    if (o === TRUE) return "True";
    if (o === FALSE) return "False";
    const kind = this.kind(o);
    if (kind === Kind.Str) return `'${strValue(this.e, o)}'`;
    const l = this.lb(o);
    if (l !== null) return l;
    if (kind === Kind.Type) return this.typeNames.get(o) ?? this.typeNameOf(o);
    // A WeakSet's data is a set in CPython (refheap: a dict marked as one)
    if (kind === Kind.Dict && this.e.setDicts.has(o)) return "?set";
    return `?${this.pyName(o)}`;
  }

  slotVal(p: number): Val {
    const e = this.e;
    return slotIsRef(e, p) ? { v: slotRef(e, p), r: true } : { v: slotNumber(e, p), r: false };
  }

  /** The items of a heap list, formatted (runner.py's _fl). */
  fmtList(l: number): string {
    const out: string[] = [];
    for (let i = 0; i < listSize(this.e, l); i++)
      out.push(this.fmt(this.slotVal(listItemSlot(this.e, l, i))));
    return `[${out.join(", ")}]`;
  }

  // --- handles (the weak containers' API) ---

  /** A value for the Heap API (objects as new handles in the current scope). */
  hv(val: Val): HValue {
    if (!val.r) return val.v;
    const o = val.v;
    if (o === NONE) return null;
    if (o === TRUE) return true;
    if (o === FALSE) return false;
    if (this.kind(o) === Kind.Str) return strValue(this.e, o);
    return this.heap.wrap(o);
  }

  /** A value from the Heap API (borrowed: valid while its handle lives). */
  fromHv(x: HValue | undefined): Val {
    if (x === undefined || x === null) return VNONE;
    if (typeof x === "number") return { v: x, r: false };
    if (typeof x === "boolean") return { v: x ? TRUE : FALSE, r: true };
    if (typeof x === "string") return { v: this.str(x), r: true };
    return { v: (x as Handle).address, r: true };
  }

  /** Runs `fn` in a heap scope: the handles made inside are released when it ends. */
  scoped<T>(fn: () => T): T {
    return this.heap.scope(() => fn());
  }

  /** Calls into a weak container's API, turning a refheap error into its Python exception. */
  api<T>(fn: () => T, keyText?: () => string): T {
    try {
      return fn();
    } catch (err) {
      const py = fromRefheap(err, err instanceof PyError ? undefined : keyText?.());
      if (py === null) throw err;
      throw this.m.raise(py);
    }
  }

  // --- errors ---

  /** The body's `except Exception as _e: _err(LINE, _e)`: the error is logged and dropped. */
  caught(line: number, err: PyError): void {
    this.m.catch(err);
    this.emit(`error ${line} ${err.pyType}: ${err.text}`);
    this.m.release(err);
  }

  /** `_t = expr; _lab(_t, NAME); NAME = _t; _t = None` for a new object (the reference is taken over). */
  create(name: string, make: () => number): void {
    const o = make();
    this.labels.set(o, name);
    this.bindSteal(name, o);
  }

  /** A proxy's referent (ReferenceError once dead); any other value as it is. */
  deproxy(val: Val): Val {
    if (!val.r || this.kind(val.v) !== Kind.WeakProxy) return val;
    try {
      return { v: wrm.proxyReferent(this.e, val.v), r: true };
    } catch {
      throw this.m.raise(referenceError());
    }
  }

  /** `x.method` for a method the value's type lacks: the AttributeError LOAD_METHOD raises. */
  noMethod(x: Val, method: string): PyError {
    return this.m.raise(attributeError(this.tpName(x), method));
  }

  /** The weak container `val` is, or undefined. */
  container(val: Val): ContainerRec | undefined {
    const c = val.r ? this.containers.get(val.v) : undefined;
    if (c !== undefined && !this.live(c)) {
      // Its selfref was cleared by a collection that a finalizer then resurrected it from: in
      // CPython it still works, but its `_remove` does nothing; refheap's container cannot do that.
      throw new Error(
        `refheap runner: ${c.name} was resurrected after its selfref was cleared (not modelled)`,
      );
    }
    return c;
  }

  /**
   * Whether a weak container's Python code still acts: its selfref (`ref(self)`) lives. Once a
   * collection or its deallocation has cleared it, its `_remove` callbacks and its iteration
   * guards' `__exit__` do nothing, runner.py's _inpend skips it, and the runner no longer uses its
   * Heap API container (whose `data` may be freed already).
   */
  live(c: ContainerRec): boolean {
    return !c.disposed && wrm.weakrefGet(this.e, c.selfref) !== NONE;
  }

  release(v: Val): void {
    if (v.r) decref(this.e, v.v);
  }

  /** `raise E`: the runner's one pre-made exception. */
  throwE(): PyError {
    return new PyError("ZeroDivisionError", "throw", "premade");
  }

  /**
   * Runs `body` as a Python function called from C: an exception leaving it is reported through
   * the unraisable hook (`unraisable WHAT`), as PyErr_WriteUnraisable does.
   */
  pyFunction(what: string, body: () => void): void {
    try {
      this.m.call(body);
    } catch (err) {
      if (!(err instanceof PyError)) throw err;
      this.m.unraisable(err, () => this.emit(`unraisable ${what}`));
    }
  }

  /** Python's == for the keys of the scenario language (ints, strs, objects by identity). */
  keyEquals(a: Val, b: Val): boolean {
    const e = this.e;
    const num = (v: Val): number | null => (!v.r ? v.v : v.v === TRUE ? 1 : v.v === FALSE ? 0 : null);
    const na = num(a);
    const nb = num(b);
    if (na !== null || nb !== null) return na === nb;
    if (a.v === b.v) return true;
    if (this.kind(a.v) === Kind.Str && this.kind(b.v) === Kind.Str) {
      return strValue(e, a.v) === strValue(e, b.v);
    }
    return false;
  }
}
