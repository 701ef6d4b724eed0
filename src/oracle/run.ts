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
 * below come from CPython 3.11's sources (Lib/weakref.py, Lib/_weakrefset.py, Objects/, Python/)
 * and were checked against python3 with the gen-0 count and the freelists' occupancy read after
 * every line.
 */

import {
  clearField,
  decref,
  delAttr,
  dictClear,
  dictDelItem,
  dictGetSlot,
  dictSetItem,
  dictSize,
  EMPTY_TUPLE,
  type Engine,
  FALSE,
  FieldKind,
  fieldItemSlot,
  finalizeWeakref,
  type GcCallback,
  gc as gcm,
  getAttrSlot,
  incref,
  Kind,
  listAppend,
  listClear,
  listDelItem,
  listItemSlot,
  listSetItem,
  listSize,
  NONE,
  newDict,
  newInstance,
  newList,
  newObject,
  newStr,
  newTuple,
  setAttr,
  setField,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  sysGetrefcount,
  TRUE,
  type TypeInfo,
  tupleItemSlot,
  tupleSetItem,
  tupleSize,
  typeIdOf,
  weakref as wrm,
} from "../core.js";
import {
  type DictHandle,
  type Finalize,
  Handle,
  Heap,
  type Value as HValue,
  type TraceEvent,
  type WeakKeyDictionary,
  type WeakSet as WeakSetContainer,
  type WeakValueDictionary,
} from "../index.js";
import { Code, Machine, type PyFrame } from "./machine.js";
import { attributeError, fromRefheap, nameError, PyError, referenceError, typeError } from "./pyerror.js";
import { type ClassDecl, type Op, parseScenario, type Scenario } from "./scenario.js";

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
}

/**
 * A typical N when no CPython log gives one: what oracle/runner.py reports for a small scenario
 * on CPython 3.11 (`python3 -I -S`; the runner's own prelude included).
 */
export const DEFAULT_LONG_LIVED = 6940;

/** Runs a scenario on refheap; returns its event log (the first line is `baseline N`). */
export function runScenario(text: string, options: RunOptions): string[] {
  return new Runner(parseScenario(text), options).run();
}

// ---------------------------------------------------------------------------------------------

/** A value: an object address (`r`), or an int stored inline. */
interface Val {
  readonly v: number;
  readonly r: boolean;
}

const VNONE: Val = { v: NONE, r: true };

type ContainerKind = "wvd" | "wkd" | "wset";
type WeakContainer = WeakValueDictionary | WeakKeyDictionary | WeakSetContainer;

interface ClassRec {
  readonly decl: ClassDecl;
  readonly info: TypeInfo;
}

interface ContainerRec {
  readonly kind: ContainerKind;
  readonly name: string;
  readonly obj: WeakContainer;
  /**
   * Mirrors of the Python objects the container's instance holds besides its data: the `_remove`
   * function, its defaults tuple (`selfref`, and for WeakValueDictionary `_atomic_removal`), the
   * `_iterating` set.
   */
  readonly machinery: readonly [number, number, number];
  disposed: boolean;
}

/** A `finalize` object: its stand-in, the refheap finalizer, and the mirror of its _Info. */
interface FinRec {
  readonly name: string;
  readonly fin: Finalize;
  /**
   * Mirror of finalize._Info while the finalizer is alive (borrowed: the registry holds it): an
   * instance whose fields hold the `args` tuple and the finalizer's weakref (the reference
   * refheap's Finalize owns, taken over).
   */
  info: number;
}

type IterKind = "wvd" | "wkd" | "wset" | "dict" | "list" | "tuple";

/** An iterator made by `iter`: what it iterates and the mirrors of CPython's machinery. */
interface IterRec {
  readonly kind: IterKind;
  /** Yields (k, v) pairs. */
  readonly pairs: boolean;
  /** The weak containers' generator (refheap's), or null for the builtin iterators. */
  readonly gen: Generator<unknown, void, undefined> | null;
  /** The container (weak containers: its record). */
  readonly container: ContainerRec | null;
  /** A dict iterator's DictHandle and its entries, until exhausted. */
  dictHandle: DictHandle | null;
  dictIt: Iterator<[HValue, HValue]> | null;
  /** Set once a dict iterator saw its dict change size (sticky, as CPython's di_used = -1). */
  broken: boolean;
  /** A list or tuple iterator's index. */
  index: number;
  state: "new" | "suspended" | "done";
  /** The generator's frame. */
  readonly frame: PyFrame;
  /** Mirrors alive while the generator runs: the guard's __exit__ method (holding the guard), the guard, the data iterator, its result tuple. */
  exitMethod: number;
  guard: number;
  dataIter: number;
  dataResult: number;
}

/**
 * The locals of the weak containers' generators after `self` (generator fields 1..3), in
 * co_varnames order: WeakValueDictionary.items `k, wr, v`, WeakKeyDictionary.items
 * `wr, value, key`, WeakSet.__iter__ `itemref, item`.
 */
const GEN_LOCALS = 4;

/**
 * What the runner uses of refheap's WeakCore, the weak containers' protected `core`
 * (src/api/weakcore.ts; src/oracle/ may import only the package entries): the iteration guard
 * (the count of guards in `_iterating`, __enter__, and _commit_removals, which the runner calls
 * as the last guard's __exit__ does), the walk over
 * `data`'s entries (their addresses; throws `changed` when its size changes, as a dict iterator),
 * `data`'s address, dict.popitem on `data` (the key and the value, each owning a reference when it
 * is an object), how many removals are pending, WeakKeyDictionary's _dirty_len, and the hook
 * called when a removal finds its key gone.
 */
interface WeakCoreView {
  iterating: number;
  readonly alive: boolean;
  enter(): void;
  commit(op: string): void;
  entries(op: string, changed: string): Generator<number, void, undefined>;
  data(op: string): number;
  popEntry(op: string): [number, boolean, number, boolean] | null;
  pending(op: string): number;
  pendingCount(op: string): number;
  dirtyLen: boolean;
  onKeyGone: ((where: "remove" | "commit") => void) | null;
}

/** The weak container's `core` (see WeakCoreView). */
function coreOf(c: ContainerRec): WeakCoreView {
  return (c.obj as unknown as { readonly core: WeakCoreView }).core;
}

/**
 * The key's and the value's slots in a dict entry (refheap's layout, src/object/dicttable.ts),
 * checked against dictGetSlot at each step of a WeakValueDictionary generator.
 */
const E_KEY = 8;
const E_VALUE = 16;
const DICT_CHANGED = "dictionary changed size during iteration";
const SET_CHANGED = "Set changed size during iteration";

/** CPython's __name__ of the scenario-visible types that are not scenario classes. */
const WEAKREF_TYPE_NAMES: Readonly<Record<string, string>> = {
  "weakref.ReferenceType": "ReferenceType",
  "weakref.ProxyType": "ProxyType",
};

const CONTAINER_CLASS: Readonly<Record<ContainerKind, string>> = {
  wvd: "WeakValueDictionary",
  wkd: "WeakKeyDictionary",
  wset: "WeakSet",
};

class Runner {
  readonly #sc: Scenario;
  readonly #opts: RunOptions;
  readonly #log: string[] = [];
  readonly heap: Heap;
  readonly e: Engine;
  readonly m: Machine;

  /**
   * The scenario's globals: a mirror of the python runner's globals dict (`S_name`), older
   * than every scenario object and tracked from the start (it holds the prelude's functions), so a
   * full collection that meets an object before it (after `freeze` and `unfreeze` merged the
   * young generations in front) finds that object only through it and moves it behind.
   */
  #globals = 0;
  /** Object address → label, dropped when the object's memory is freed. */
  readonly #labels = new Map<number, string>();
  readonly #classes = new Map<string, ClassRec>();
  /** Type object address → class name. */
  readonly #typeNames = new Map<number, string>();
  readonly #containers = new Map<number, ContainerRec>();
  readonly #fins = new Map<number, FinRec>();
  readonly #iters = new Map<number, IterRec>();
  /** Names opened by `iter`, oldest first (runner.py's _OPEN). */
  readonly #open: string[] = [];
  /** Interned strs (never freed, as the code object's constants). */
  readonly #strs = new Map<string, number>();
  /** > 0 while the runner's own gc.collect() runs (and before the body): runner.py's _D. */
  #explicit = 1;
  /**
   * Mirror of finalize._registry, the class-level dict (finalize object → its _Info) of the live
   * finalizers: empty, so untracked, at the baseline; a store tracks it again (generation 0).
   */
  #registry = 0;
  /** The weak containers' selfrefs (runner.py's _WCR), never freed. */
  readonly #selfRefs = new Set<number>();
  /** Weakrefs made by `ref`/`proxy` lines with a callback (runner.py's _cb). */
  readonly #cbRefs = new Set<number>();
  /** A non-Python error thrown inside a finalizer or callback: rethrown after the line. */
  #bug: unknown = null;
  #stats0: { collections: number; collected: number; uncollectable: number }[] = [];

  // Private classes.
  #mirrorType = 0;
  #finalizeType = 0;
  #infoType = 0;
  /** The kind of `lambda` callbacks' function objects. */
  #functionType = 0;
  /** A lambda callback's actions, by the weakref it was made for (runner.py's CBA by id(w)). */
  readonly #lambdaActs = new Map<number, readonly string[]>();
  #generatorType = 0;
  /** The code objects of Lib/weakref.py with an UNPACK_SEQUENCE: their warmup (see Code). */
  readonly #code = {
    wvdPopitem: new Code(),
    wkdPopitem: new Code(),
    wvdItems: new Code(),
    wkdItems: new Code(),
  };
  #dictIterType = 0;
  #listIterType = 0;
  #tupleIterType = 0;
  readonly #containerTypes = new Map<ContainerKind, number>();

  constructor(sc: Scenario, opts: RunOptions) {
    this.#sc = sc;
    this.#opts = opts;
    this.heap = new Heap({ leaks: "off", trace: (ev) => this.#onTrace(ev) });
    this.e = this.heap.engine;
    this.e.gcWrite = () => {};
    this.e.unraisableHook = (error) => {
      this.#bug ??= error;
    };
    this.m = new Machine(this.e, this.#defineMirrorType());
  }

  #onTrace(ev: TraceEvent | { readonly kind: string }): void {
    if (ev.kind !== "free") return;
    const block = (ev as TraceEvent).addr;
    this.#labels.delete(block);
    this.#labels.delete(block + 8);
    this.#cbRefs.delete(block + 8);
    this.#lambdaActs.delete(block + 8);
    const rec = this.#iters.get(block + 8);
    if (rec !== undefined) {
      // A builtin iterator died (its fields released its sequence); its handle is forgotten.
      rec.dictHandle = null;
      rec.dictIt = null;
      this.#iters.delete(block + 8);
    }
  }

  #defineMirrorType(): number {
    this.#mirrorType = this.e.defineClass({ name: "object" }).id;
    return this.#mirrorType;
  }

  // --- the log ---

  #emit(line: string): void {
    this.#log.push(line);
  }

  run(): string[] {
    this.#declare();
    this.#baseline();
    for (const op of this.#sc.body) {
      this.#line(op);
      if (this.#opts.state === true) this.#emitState(op.line);
    }
    this.#closeAll();
    this.#emit(`alive [${this.#alive().join(", ")}]`);
    return this.#log;
  }

  #emitState(line: number): void {
    const fl = this.e.freelists;
    this.#emit(
      `state ${line} ${this.e.gcCount0} ${fl[0]} ${fl[1]} ${fl[2]} ${fl[3]} ${fl[4]} ${fl[5]} ${fl[6]}`,
    );
  }

  // --- declarations and the baseline ---

  #declare(): void {
    const e = this.e;
    this.#globals = newDict(e);
    const prelude = this.m.obj();
    dictSetItem(e, this.#globals, this.#str("_prelude"), true, prelude, true);
    decref(e, prelude);
    const def = (name: string, extra: Partial<Parameters<Engine["defineClass"]>[0]> = {}): number => {
      const id = e.defineClass({ name, ...extra }).id;
      this.#typeNames.set(e.typeObject[id]!, name);
      return id;
    };
    this.#typeNames.set(e.typeObject[this.#mirrorType]!, "object");
    this.#finalizeType = def("finalize");
    // Before the baseline, as CPython's function type exists before the program.
    this.#functionType = e.defineKind({
      name: "function",
      refs: ["globals"],
      call: (_self, wr) => this.#weakrefCallback(wr as number, this.#lambdaActs.get(wr as number) ?? []),
    }).id;
    this.#typeNames.set(e.typeObject[this.#functionType]!, "function");
    // finalize._Info: __slots__ ("weakref", "func", "args", "kwargs", "atexit", "index"), which
    // CPython sorts: traversed and cleared in that order. func (a module-level function), kwargs
    // (None), atexit and index (untracked) are not modelled.
    this.#infoType = def("_Info", {
      fields: [
        { name: "args", kind: FieldKind.Any },
        { name: "weakref", kind: FieldKind.Any },
      ],
    });
    // The generator's frame: its locals in co_varnames order (self, then GEN_LOCALS), traversed
    // and cleared in that order, as _PyFrame_Traverse and _PyFrame_Clear do.
    this.#generatorType = def("generator", {
      weakrefable: true,
      fields: [
        { name: "gi_frame", kind: FieldKind.Any },
        { name: "f_local1", kind: FieldKind.Any },
        { name: "f_local2", kind: FieldKind.Any },
        { name: "f_local3", kind: FieldKind.Any },
      ],
      finalize: (o) => this.#genFinalize(o),
    });
    this.#dictIterType = def("dict_itemiterator", {
      fields: [
        { name: "di_dict", kind: FieldKind.Any },
        { name: "di_result", kind: FieldKind.Any },
      ],
    });
    this.#listIterType = def("list_iterator", { fields: [{ name: "it_seq", kind: FieldKind.Any }] });
    this.#tupleIterType = def("tuple_iterator", { fields: [{ name: "it_seq", kind: FieldKind.Any }] });
    for (const kind of ["wvd", "wkd", "wset"] as const) {
      this.#containerTypes.set(
        kind,
        def(CONTAINER_CLASS[kind], {
          dynamic: true,
          weakrefable: true,
          finalize: (o) => this.#containerDied(o),
        }),
      );
    }
    this.#registry = newDict(e);
    for (const c of this.#sc.classes) this.#defineClass(c);
    for (const c of this.#sc.containers) {
      const obj =
        c.kind === "wvd"
          ? this.heap.weakref.WeakValueDictionary()
          : c.kind === "wkd"
            ? this.heap.weakref.WeakKeyDictionary()
            : this.heap.weakref.WeakSet();
      const o = newInstance(e, this.#containerTypes.get(c.kind)!);
      // `ref(self)`, the selfref its `_remove` function keeps (and runner.py's _WCR), for ever
      this.#selfRefs.add(wrm.newRef(e, o));
      const machinery = [this.m.obj(), this.m.tuple(c.kind === "wvd" ? 2 : 1), this.m.obj()] as const;
      const rec: ContainerRec = { kind: c.kind, name: c.name, obj, machinery, disposed: false };
      this.#containers.set(o, rec);
      coreOf(rec).onKeyGone = (where) => this.#keyGone(c.kind, where);
      this.#labels.set(o, c.name);
      this.#bindSteal(c.name, o);
    }
  }

  /**
   * A removal found its key gone from `data` (WeakCore.onKeyGone). WeakValueDictionary's
   * _remove_dead_weakref raised a KeyError (its args 1-tuple) and cleared it, in C.
   * WeakKeyDictionary's `del self.data[k]` raised one that its Python code catches
   * (`except KeyError: pass`): in the `_remove` callback's own frame, or in _commit_removals'.
   */
  #keyGone(kind: ContainerKind, where: "remove" | "commit"): void {
    const m = this.m;
    if (kind === "wvd") m.tupleBlip(1);
    else if (where === "remove") m.call(() => m.caughtHere("key"));
    else m.caughtHere("key");
  }

  #defineClass(c: ClassDecl): void {
    const e = this.e;
    const del = c.del;
    const tpdel = c.tpdel;
    const info = e.defineClass({
      name: c.name,
      fields: (c.slots ?? []).map((name) => ({ name, kind: FieldKind.Any })),
      dynamic: c.slots === null,
      weakrefable: c.weak,
      ...(del === null ? {} : { finalize: (o: number) => this.#finalizer(del, o, false) }),
      ...(tpdel === null ? {} : { legacyFinalize: (o: number) => this.#finalizer(tpdel, o, true) }),
    });
    this.#classes.set(c.name, { decl: c, info });
    const t = e.typeObject[info.id]!;
    this.#typeNames.set(t, c.name);
    this.#bind(c.name, { v: t, r: true });
  }

  #baseline(): void {
    const e = this.e;
    e.gcCallbacks.unshift((phase, info) => {
      if (this.#explicit === 0 && phase === "stop") {
        this.#emit(`auto ${info.generation} collected=${info.collected} uncollectable=${info.uncollectable}`);
      }
    });
    gcm.collect(e);
    const l = gcm.getObjects(e, 2);
    const own = listSize(e, l);
    decref(e, l);
    // Long-lived objects standing for the interpreter's, owned by the runner for ever.
    for (let i = own; i < this.#opts.longLived; i++) newInstance(e, this.#mirrorType);
    gcm.collect(e);
    this.#stats0 = gcm.getStats(e);
    this.#explicit = 0;
    this.#emit(`baseline ${this.#opts.longLived}`);
  }

  // --- names and values ---

  /** The interned str object for `s`. */
  #str(s: string): number {
    let o = this.#strs.get(s);
    if (o === undefined) {
      o = newStr(this.e, s);
      this.#strs.set(s, o);
    }
    return o;
  }

  #lookup(name: string): Val {
    const p = dictGetSlot(this.e, this.#globals, this.#str(name), true);
    if (p === 0) throw this.m.raise(nameError(name));
    return this.#slotVal(p);
  }

  /** A value token as a value (borrowed). */
  #value(tok: string): Val {
    if (tok === "None") return VNONE;
    if (tok === "True") return { v: TRUE, r: true };
    if (tok === "False") return { v: FALSE, r: true };
    if (/^-?[0-9]+$/.test(tok)) return { v: Number(tok), r: false };
    if (tok.startsWith("'")) return { v: this.#str(tok.slice(1, -1)), r: true };
    return this.#lookup(tok);
  }

  /** name = value: a store into the globals dict (the new value is stored, then the old one released). */
  #bind(name: string, val: Val): void {
    dictSetItem(this.e, this.#globals, this.#str(name), true, val.v, val.r);
  }

  /** Binds a new object, taking over the caller's reference. */
  #bindSteal(name: string, o: number): void {
    this.#bindOwned(name, { v: o, r: true });
  }

  /** Binds a value, taking over the caller's reference. */
  #bindOwned(name: string, val: Val): void {
    this.#bind(name, val);
    if (val.r) decref(this.e, val.v);
  }

  /** del name: false if it is not bound. */
  #unbind(name: string): boolean {
    return dictDelItem(this.e, this.#globals, this.#str(name), true);
  }

  #kind(o: number): number {
    return this.e.typeKind[typeIdOf(this.e, o)]!;
  }

  #typeNameOf(o: number): string {
    return this.e.types[typeIdOf(this.e, o)]!.name;
  }

  /** CPython's tp_name of a value's type (error messages). */
  #tpName(val: Val): string {
    if (!val.r) return "int";
    if (val.v === NONE) return "NoneType";
    if (val.v === TRUE || val.v === FALSE) return "bool";
    if (this.#kind(val.v) === Kind.Type) return "type";
    return this.#typeNameOf(val.v);
  }

  /** CPython's __name__ of a value's type (`?name` for unlabelled objects). */
  #pyName(o: number): string {
    const n = this.#typeNameOf(o);
    return WEAKREF_TYPE_NAMES[n] ?? n;
  }

  #isKeyedRef(o: number): boolean {
    return this.#typeNameOf(o) === "KeyedRef";
  }

  /** runner.py's _lb: the label of an object, `~` for the weak containers' machinery, or null. */
  #lb(o: number): string | null {
    const kind = this.#kind(o);
    const label = this.#labels.get(o);
    if (kind !== Kind.Weakref || label !== undefined) return label ?? null;
    // The weak containers' and finalizers' weakrefs are `~`: a KeyedRef; a live weakref that is
    // not a container's selfref (it has their callback); a dead one waiting in a pending list.
    if (this.#isKeyedRef(o)) return "~";
    if (this.#selfRefs.has(o)) return null;
    if (wrm.weakrefGet(this.e, o) !== NONE) return "~";
    return this.#inPending(o) ? "~" : null;
  }

  /** Whether weakref `wr` waits in a weak container's pending removals (runner.py's _inpend). */
  #inPending(wr: number): boolean {
    return this.#scoped(() => {
      for (const c of this.#containers.values()) {
        if (c.kind === "wvd") continue;
        for (const p of c.obj.pendingRemovals) if (p instanceof Handle && p.address === wr) return true;
      }
      return false;
    });
  }

  /** runner.py's _fmt. */
  #fmt(val: Val): string {
    if (!val.r) return String(val.v);
    const o = val.v;
    if (o === NONE) return "None";
    if (o === TRUE) return "True";
    if (o === FALSE) return "False";
    const kind = this.#kind(o);
    if (kind === Kind.Str) return `'${strValue(this.e, o)}'`;
    const l = this.#lb(o);
    if (l !== null) return l;
    if (kind === Kind.Type) return this.#typeNames.get(o) ?? this.#typeNameOf(o);
    return `?${this.#pyName(o)}`;
  }

  #slotVal(p: number): Val {
    const e = this.e;
    return slotIsRef(e, p) ? { v: slotRef(e, p), r: true } : { v: slotNumber(e, p), r: false };
  }

  /** The items of a heap list, formatted (runner.py's _fl). */
  #fmtList(l: number): string {
    const out: string[] = [];
    for (let i = 0; i < listSize(this.e, l); i++)
      out.push(this.#fmt(this.#slotVal(listItemSlot(this.e, l, i))));
    return `[${out.join(", ")}]`;
  }

  // --- handles (the weak containers' API) ---

  /** A value for the Heap API (objects as new handles in the current scope). */
  #hv(val: Val): HValue {
    if (!val.r) return val.v;
    const o = val.v;
    if (o === NONE) return null;
    if (o === TRUE) return true;
    if (o === FALSE) return false;
    if (this.#kind(o) === Kind.Str) return strValue(this.e, o);
    return this.heap.wrap(o);
  }

  /** A value from the Heap API (borrowed: valid while its handle lives). */
  #fromHv(x: HValue | undefined): Val {
    if (x === undefined || x === null) return VNONE;
    if (typeof x === "number") return { v: x, r: false };
    if (typeof x === "boolean") return { v: x ? TRUE : FALSE, r: true };
    if (typeof x === "string") return { v: this.#str(x), r: true };
    return { v: (x as Handle).address, r: true };
  }

  /** Runs `fn` in a heap scope: the handles made inside are released when it ends. */
  #scoped<T>(fn: () => T): T {
    return this.heap.scope(() => fn());
  }

  /** Calls into a weak container's API, turning a refheap error into its Python exception. */
  #api<T>(fn: () => T, keyText?: () => string): T {
    try {
      return fn();
    } catch (err) {
      const py = fromRefheap(err, err instanceof PyError ? undefined : keyText?.());
      if (py === null) throw err;
      throw this.m.raise(py);
    }
  }

  // --- running body lines ---

  #line(op: Op): void {
    try {
      this.#op(op);
    } catch (err) {
      if (!(err instanceof PyError)) throw err;
      this.#caught(op.line, err);
    }
    this.#releaseAfterLoop();
    if (this.#bug !== null) throw this.#bug;
  }

  /** The body's `except Exception as _e: _err(LINE, _e)`: the error is logged and dropped. */
  #caught(line: number, err: PyError): void {
    this.m.catch(err);
    this.#emit(`error ${line} ${err.pyType}: ${err.text}`);
    this.m.release(err);
  }

  #op(op: Op): void {
    const a = op.args;
    switch (op.op) {
      case "new":
        this.#opNew(a[0]!, a[1]!);
        return;
      case "list":
        this.#opList(a[0]!, a.slice(1));
        return;
      case "tuple":
        this.#opTuple(a[0]!, a.slice(1));
        return;
      case "dict":
        this.#opDict(a[0]!, a.slice(1));
        return;
      case "let":
        this.#bind(a[0]!, this.#value(a[1]!));
        return;
      case "del":
        for (const name of a) if (!this.#unbind(name)) throw this.m.raise(nameError(name));
        return;
      case "set": {
        const [x, f] = a[0]!.split(".") as [string, string];
        const v = this.#value(a[1]!);
        this.#setattr(this.#lookup(x), f, v);
        return;
      }
      case "unset": {
        const [x, f] = a[0]!.split(".") as [string, string];
        this.#delattr(this.#lookup(x), f);
        return;
      }
      case "append":
        this.#opAppend(a[0]!, a[1]!);
        return;
      case "setitem":
        this.#opSetitem(a[0]!, a[1]!, a[2]!);
        return;
      case "delitem":
        this.#opDelitem(a[0]!, a[1]!);
        return;
      case "pop":
        this.#opPop(this.#lookup(a[0]!));
        return;
      case "clear":
        this.#opClear(this.#lookup(a[0]!));
        return;
      case "add":
      case "discard":
        this.#opSetMethod(op.op, a[0]!, a[1]!);
        return;
      case "ref":
      case "proxy":
        this.#opRef(op.op, a[0]!, a[1]!, a.slice(2));
        return;
      case "finalize":
        this.#opFinalize(a[0]!, a[1]!);
        return;
      case "call":
        this.#opCall(a[0]!);
        return;
      case "iter":
        this.#opIter(a[0]!, a[1]!);
        return;
      case "next":
        this.#opNext(a[0]!);
        return;
      case "close":
        if (!this.#unbind(a[0]!)) throw this.m.raise(nameError(a[0]!));
        this.#closed(a[0]!);
        return;
      case "loop":
        this.#opLoop(Number(a[0]), a[1]!, a.length === 4 ? a[3]! : null);
        return;
      case "collect":
        this.#opCollect(op.line, a.length > 0 ? Number(a[0]) : null);
        return;
      case "enable":
        gcm.enable(this.e);
        return;
      case "disable":
        gcm.disable(this.e);
        return;
      case "freeze":
        gcm.freeze(this.e);
        return;
      case "unfreeze":
        gcm.unfreeze(this.e);
        return;
      case "threshold": {
        // gc.set_threshold is METH_VARARGS: its arguments come as a tuple
        const t = this.m.tuple(a.length);
        try {
          this.#api(() => gcm.setThreshold(this.e, ...a.map(Number)));
          return;
        } finally {
          this.m.free(t);
        }
      }
      case "debug":
        this.#api(() => gcm.setDebug(this.e, Number(a[0])));
        return;
      case "gccb":
        if (a[0] === "add") this.#gccbAdd(a.slice(1));
        else this.#gccbClear();
        return;
      case "cleargarbage":
        listClear(this.e, this.e.garbage);
        return;
      case "show":
        this.#show(op);
        return;
      default:
        throw new Error(`unknown operation ${op.op}`);
    }
  }

  /** `_t = expr; _lab(_t, NAME); NAME = _t; _t = None` for a new object (the reference is taken over). */
  #create(name: string, make: () => number): void {
    const o = make();
    this.#labels.set(o, name);
    this.#bindSteal(name, o);
  }

  #opList(name: string, toks: readonly string[]): void {
    const vals = toks.map((t) => this.#value(t));
    this.#create(name, () => {
      const l = newList(this.e);
      for (const v of vals) listAppend(this.e, l, v.v, v.r);
      return l;
    });
  }

  #opTuple(name: string, toks: readonly string[]): void {
    const vals = toks.map((t) => this.#value(t));
    if (vals.length === 0) {
      // () is a shared singleton: bound, not created, so not labelled.
      this.#bind(name, { v: EMPTY_TUPLE, r: true });
      return;
    }
    this.#create(name, () => {
      const t = newTuple(this.e, vals.length);
      vals.forEach((v, i) => {
        tupleSetItem(this.e, t, i, v.v, v.r);
      });
      return t;
    });
  }

  #opDict(name: string, toks: readonly string[]): void {
    const vals = toks.map((t) => this.#value(t));
    const d = newDict(this.e);
    try {
      for (let i = 0; i < vals.length; i += 2) {
        const k = vals[i]!;
        const v = vals[i + 1]!;
        this.#api(() => dictSetItem(this.e, d, k.v, k.r, v.v, v.r));
      }
    } catch (err) {
      decref(this.e, d);
      throw err;
    }
    this.#create(name, () => d);
  }

  // --- attributes ---

  /** A proxy's referent (ReferenceError once dead); any other value as it is. */
  #deproxy(val: Val): Val {
    if (!val.r || this.#kind(val.v) !== Kind.WeakProxy) return val;
    try {
      return { v: wrm.proxyReferent(this.e, val.v), r: true };
    } catch {
      throw this.m.raise(referenceError());
    }
  }

  /** The class record of an instance of a scenario class, or undefined. */
  #classOf(o: number): ClassRec | undefined {
    if (this.#kind(o) !== Kind.Instance) return undefined;
    return this.#classes.get(this.#typeNameOf(o));
  }

  /** Whether `o` is an instance with dynamic attributes (ordinary classes, weak containers). */
  #isDynamic(o: number): boolean {
    if (this.#kind(o) !== Kind.Instance) return false;
    const id = typeIdOf(this.e, o);
    return this.e.typeAttrsOffset[id]! >= 0;
  }

  #setattr(target: Val, f: string, val: Val): void {
    const x = this.#deproxy(target);
    if (x.r && this.#isDynamic(x.v)) {
      setAttr(this.e, x.v, this.#str(f), val.v, val.r);
      return;
    }
    const c = x.r ? this.#classOf(x.v) : undefined;
    const i = c?.info.fieldIndex.get(f);
    if (c !== undefined && i !== undefined) {
      setField(this.e, x.v, i, val.v, val.r);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Type)
      throw new Error("refheap runner: class attributes are not modelled");
    throw this.m.raise(
      new PyError("AttributeError", `'${this.#tpName(x)}' object has no attribute '${f}'`, "late"),
    );
  }

  #delattr(target: Val, f: string): void {
    const x = this.#deproxy(target);
    if (x.r && this.#isDynamic(x.v)) {
      if (!delAttr(this.e, x.v, this.#str(f))) {
        throw this.m.raise(
          new PyError("AttributeError", `'${this.#tpName(x)}' object has no attribute '${f}'`, "late"),
        );
      }
      return;
    }
    const c = x.r ? this.#classOf(x.v) : undefined;
    const i = c?.info.fieldIndex.get(f);
    if (c !== undefined && i !== undefined) {
      const p = fieldItemSlot(this.e, x.v, i);
      if (slotIsRef(this.e, p) && slotRef(this.e, p) === 0) {
        throw this.m.raise(new PyError("AttributeError", f, "late"));
      }
      clearField(this.e, x.v, i);
      return;
    }
    throw this.m.raise(
      new PyError("AttributeError", `'${this.#tpName(x)}' object has no attribute '${f}'`, "late"),
    );
  }

  /** getattr(x, f) (borrowed). */
  #getattr(target: Val, f: string): Val {
    const x = this.#deproxy(target);
    if (x.r && this.#isDynamic(x.v)) {
      const p = getAttrSlot(this.e, x.v, this.#str(f));
      if (p !== 0) return this.#slotVal(p);
    } else {
      const c = x.r ? this.#classOf(x.v) : undefined;
      const i = c?.info.fieldIndex.get(f);
      if (c !== undefined && i !== undefined) {
        const p = fieldItemSlot(this.e, x.v, i);
        if (!(slotIsRef(this.e, p) && slotRef(this.e, p) === 0)) return this.#slotVal(p);
      }
    }
    if (x.r && this.#kind(x.v) === Kind.Type) {
      throw this.m.raise(
        new PyError("AttributeError", `type object '${this.#fmt(x)}' has no attribute '${f}'`, "early"),
      );
    }
    throw this.m.raise(attributeError(this.#tpName(x), f));
  }

  /** `x.method` for a method the value's type lacks: the AttributeError LOAD_METHOD raises. */
  #noMethod(x: Val, method: string): PyError {
    return this.m.raise(attributeError(this.#tpName(x), method));
  }

  #container(val: Val): ContainerRec | undefined {
    return val.r ? this.#containers.get(val.v) : undefined;
  }

  // --- lists, dicts and the weak containers ---

  #opAppend(xTok: string, vTok: string): void {
    const x = this.#deproxy(this.#lookup(xTok));
    if (!(x.r && this.#kind(x.v) === Kind.List)) throw this.#noMethod(x, "append");
    const v = this.#value(vTok);
    listAppend(this.e, x.v, v.v, v.r);
  }

  /** A list index from a key value: TypeError for a non-int, IndexError out of range. */
  #listIndex(l: number, k: Val): number {
    let i: number;
    if (!k.r) i = k.v;
    else if (k.v === TRUE) i = 1;
    else if (k.v === FALSE) i = 0;
    else {
      throw this.m.raise(typeError(`list indices must be integers or slices, not ${this.#tpName(k)}`));
    }
    const n = listSize(this.e, l);
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) {
      throw this.m.raise(new PyError("IndexError", "list assignment index out of range", "late"));
    }
    return j;
  }

  #opSetitem(xTok: string, kTok: string, vTok: string): void {
    const v = this.#value(vTok);
    const x0 = this.#lookup(xTok);
    const k = this.#value(kTok);
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    if (c !== undefined && c.kind !== "wset") {
      if (c.kind === "wvd") this.#wvdSetitem(c, k, v);
      else this.#wkdSetitem(c, k, v);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.List) {
      listSetItem(this.e, x.v, this.#listIndex(x.v, k), v.v, v.r);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict) {
      this.#api(() => dictSetItem(this.e, x.v, k.v, k.r, v.v, v.r));
      return;
    }
    throw this.m.raise(typeError(`'${this.#tpName(x)}' object does not support item assignment`));
  }

  #opDelitem(xTok: string, kTok: string): void {
    const x0 = this.#lookup(xTok);
    const k = this.#value(kTok);
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    if (c !== undefined && c.kind !== "wset") {
      if (c.kind === "wvd") this.#wvdDelitem(c, k);
      else this.#wkdDelitem(c, k);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.List) {
      listDelItem(this.e, x.v, this.#listIndex(x.v, k));
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict) {
      const found = this.#api(() => dictDelItem(this.e, x.v, k.v, k.r));
      if (!found) throw this.m.raise(new PyError("KeyError", this.#fmt(k), "key"));
      return;
    }
    throw this.m.raise(typeError(`'${this.#tpName(x)}' object doesn't support item deletion`));
  }

  #opPop(x0: Val): void {
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    if (x.r && this.#kind(x.v) === Kind.List) {
      if (listSize(this.e, x.v) === 0) {
        throw this.m.raise(new PyError("IndexError", "pop from empty list", "late"));
      }
      listDelItem(this.e, x.v, -1);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict)
      throw this.m.raise(typeError("pop expected at least 1 argument, got 0"));
    if (c !== undefined && c.kind !== "wset") {
      // the call's argument check lists the missing names in a list (ceval's missing_arguments)
      this.m.free(this.m.list());
      throw this.m.raise(
        typeError(`${CONTAINER_CLASS[c.kind]}.pop() missing 1 required positional argument: 'key'`),
      );
    }
    if (c !== undefined) {
      this.#wsetPop(c);
      return;
    }
    throw this.#noMethod(x, "pop");
  }

  #opClear(x0: Val): void {
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    if (c !== undefined) {
      if (c.kind === "wset") this.#wsetClear(c);
      else this.#mappingClear(c);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.List) {
      listClear(this.e, x.v);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict) {
      dictClear(this.e, x.v);
      return;
    }
    throw this.#noMethod(x, "clear");
  }

  #opSetMethod(method: "add" | "discard", xTok: string, vTok: string): void {
    const x = this.#deproxy(this.#lookup(xTok));
    const c = this.#container(x);
    if (c === undefined || c.kind !== "wset") throw this.#noMethod(x, method);
    const v = this.#value(vTok);
    if (method === "add") this.#wsetAdd(c, v);
    else this.#wsetDiscard(c, v);
  }

  // --- the weak containers, as Lib/weakref.py and Lib/_weakrefset.py run them ---

  /** Whether a weak container has pending removals (an iteration is, or was, running). */
  #pending(c: ContainerRec): boolean {
    return this.#scoped(() => c.obj.pendingRemovals.length > 0);
  }

  /**
   * `if self._pending_removals: self._commit_removals()` (WeakValueDictionary, WeakSet): refheap's
   * commit runs inside the mirror of _commit_removals, before the refheap call that follows (a
   * WeakSet's `size` does not commit, and its add, discard, clear and pop would commit later, after
   * the IndexError and the stand-ins allocated between).
   */
  #commitIfPending(c: ContainerRec): void {
    if (!this.#pending(c)) return;
    this.#commitRemovals(c, () => coreOf(c).commit("_commit_removals"), "late");
  }

  /**
   * self._commit_removals(): `pop = self._pending_removals.pop` (a bound method; WeakSet's also
   * binds `discard = self.data.discard`), the removals (refheap's, when `commit` runs), then
   * `pop()` raises IndexError, caught there (normalized at once when raised while another
   * exception is handled). The local `key` (WeakSet: `item`) still holds the last key popped,
   * the first of the pending list, while the IndexError is raised and handled; the frame's
   * return frees its object, then its locals in co_varnames order: `pop`, (`discard`,) `key`.
   */
  #commitRemovals(c: ContainerRec, commit: () => void, norm: "late" | "early"): void {
    const m = this.m;
    const e = this.e;
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
        const k = this.#slotVal(listItemSlot(e, core.pending("_commit_removals"), 0));
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
  #keyedRef(store: () => void): void {
    const m = this.m;
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
  #checkWeakrefable(v: Val): void {
    if (!v.r || !wrm.isWeakrefable(this.e, v.v)) {
      throw this.m.raise(typeError(`cannot create weak reference to '${this.#tpName(v)}' object`));
    }
  }

  /**
   * `self.data[key] = KeyedRef(value, self._remove, key)`. CPython stores once the KeyedRef is
   * built (after its __init__ and the call's argument tuple): only then is the KeyedRef it
   * replaces released, or an untracked `data` tracked (joining generation 0), and a collection
   * started while it is built still finds the old KeyedRef in `data`. The runner builds it with
   * refheap's newKeyedRef at __new__'s moment and stores it with storeKeyedRef at CPython's.
   */
  #wvdSetitem(c: ContainerRec, k: Val, v: Val): void {
    const w = c.obj as WeakValueDictionary;
    const e = this.e;
    this.m.call(() => {
      this.#commitIfPending(c);
      let kr = 0;
      try {
        this.#keyedRef(() => {
          this.#checkWeakrefable(v);
          kr = this.#api(() => w.newKeyedRef(v.v, k.v, k.r));
        });
        this.#api(() => w.storeKeyedRef(coreOf(c).data("set"), k.v, k.r, kr));
      } finally {
        if (kr !== 0) decref(e, kr);
      }
    });
  }

  #wkdSetitem(c: ContainerRec, k: Val, v: Val): void {
    const w = c.obj as WeakKeyDictionary;
    this.m.call(() => {
      // self.data[ref(key, self._remove)] = value
      this.#withRefArgs(k, () => w.set(this.#hv(k) as Handle, this.#hv(v)));
    });
  }

  /**
   * A weak container's `ref(x, self._remove)` call: its argument 2-tuple (mirrored) lives while
   * `x` is checked and `store` runs through the Heap API.
   */
  #withRefArgs(x: Val, store: () => void): void {
    const t2 = this.m.tuple(2);
    try {
      this.#checkWeakrefable(x);
      this.#scoped(() => this.#api(store));
    } finally {
      this.m.free(t2);
    }
  }

  #wvdDelitem(c: ContainerRec, k: Val): void {
    const w = c.obj as WeakValueDictionary;
    this.m.call(() => {
      this.#commitIfPending(c);
      this.#scoped(() =>
        this.#api(() => {
          // del d[k]: the API's delete is Map's (false when absent); CPython raises KeyError.
          if (!w.delete(this.#hv(k))) throw new PyError("KeyError", this.#fmt(k), "key");
        }),
      );
    });
  }

  #wkdDelitem(c: ContainerRec, k: Val): void {
    const w = c.obj as WeakKeyDictionary;
    this.m.call(() => {
      // del self.data[ref(key)]: a KeyError holds the ref (its argument) until it is handled
      const basic = this.#basicRefLabel(k);
      const r = this.#basicRef(k);
      try {
        this.#scoped(() =>
          this.#api(() => {
            if (!w.delete(this.#hv(k) as Handle)) throw new PyError("KeyError", basic, "key");
          }),
        );
      } catch (err) {
        if (err instanceof PyError) {
          err.held.push(r);
          throw err;
        }
        this.m.free(r);
        throw err;
      }
      this.m.free(r);
    });
  }

  /**
   * `ref(o)` for a lookup: the type call's argument tuple, then the basic ref (shared; refheap's
   * containers look the same one up); CPython's TypeError for an object that cannot have one.
   * Returns an owned reference.
   */
  #basicRef(v: Val): number {
    const t1 = this.m.tuple(1);
    try {
      this.#checkWeakrefable(v);
      return wrm.newRef(this.e, v.v);
    } finally {
      this.m.free(t1);
    }
  }

  /**
   * How the log prints KeyError(ref(k)): the label of k's basic ref (a `ref` line without a
   * callback made it) if it has one, else the temporary ref's `?ReferenceType`. Found among the
   * labelled objects: listing k's weakrefs would allocate.
   */
  #basicRefLabel(k: Val): string {
    const e = this.e;
    for (const [o, label] of this.#labels) {
      if (this.#kind(o) !== Kind.Weakref || this.#isKeyedRef(o) || this.#cbRefs.has(o)) continue;
      if (wrm.weakrefGet(e, o) === k.v) return label;
    }
    return "?ReferenceType";
  }

  /** MutableMapping.clear(): `while True: self.popitem()` until KeyError, which it catches. */
  #mappingClear(c: ContainerRec): void {
    const m = this.m;
    m.call(() => {
      for (;;) {
        let t = 0;
        try {
          t = this.#popitem(c);
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
  #popitem(c: ContainerRec): number {
    const m = this.m;
    const e = this.e;
    const wvd = c.kind === "wvd";
    const core = coreOf(c);
    const code = wvd ? this.#code.wvdPopitem : this.#code.wkdPopitem;
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
      if (wvd) this.#commitIfPending(c);
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

  #wsetAdd(c: ContainerRec, v: Val): void {
    const w = c.obj as WeakSetContainer;
    this.m.call(() => {
      this.#commitIfPending(c);
      this.#withRefArgs(v, () => w.add(this.#hv(v) as Handle));
    });
  }

  #wsetDiscard(c: ContainerRec, v: Val): void {
    const w = c.obj as WeakSetContainer;
    this.m.call(() => {
      this.#commitIfPending(c);
      // self.data.discard(ref(item))
      const r = this.#basicRef(v);
      try {
        this.#scoped(() => this.#api(() => w.discard(this.#hv(v) as Handle)));
      } finally {
        this.m.free(r);
      }
    });
  }

  #wsetClear(c: ContainerRec): void {
    const w = c.obj as WeakSetContainer;
    this.m.call(() => {
      this.#commitIfPending(c);
      w.clear();
    });
  }

  /**
   * WeakSet.pop(): an empty set's KeyError is caught and replaced: `raise KeyError('pop from
   * empty WeakSet') from None`, raised in the handler (the first exception is its context).
   */
  #wsetPop(c: ContainerRec): void {
    const w = c.obj as WeakSetContainer;
    const m = this.m;
    m.call(() => {
      this.#commitIfPending(c);
      this.#scoped(() => {
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

  /** A weak container whose stand-in died (its finalizer): released at the next safe point. */
  /**
   * A weak container's instance dies (its stand-in's finalizer): its attributes are released —
   * the `_iterating` set, the data and the pending removals (refheap's), then the `_remove`
   * function (the data's weakrefs held it as their callback) and its defaults.
   */
  #containerDied(o: number): void {
    const c = this.#containers.get(o);
    if (c === undefined || c.disposed) return;
    c.disposed = true;
    this.#containers.delete(o);
    const [fn, defaults, iterating] = c.machinery;
    this.m.free(iterating);
    c.obj.dispose();
    this.m.free(fn);
    this.m.free(defaults);
  }

  // --- weak references and finalize ---

  #opRef(kind: "ref" | "proxy", wTok: string, xTok: string, words: readonly string[]): void {
    const x = this.#lookup(xTok);
    const withCallback = words.length > 0;
    const lambda = words[0] === "lambda";
    const acts = lambda ? words.slice(1) : words;
    // `lambda w: _cb(w)`: MAKE_FUNCTION makes a function object before the call, held by the
    // weakref alone once the statement ends (so it can be garbage with it).
    const fn = lambda ? this.#newLambda() : 0;
    // weakref.ref is a type: calling it builds an argument tuple; weakref.proxy is a fastcall function
    const t = kind === "ref" ? this.m.tuple(withCallback ? 2 : 1) : 0;
    let w: number;
    try {
      if (!x.r || !wrm.isWeakrefable(this.e, x.v)) {
        throw this.m.raise(typeError(`cannot create weak reference to '${this.#tpName(x)}' object`));
      }
      const cb = !withCallback ? null : lambda ? fn : (wr: number) => this.#weakrefCallback(wr, acts);
      w = kind === "ref" ? wrm.newRef(this.e, x.v, cb) : wrm.newProxy(this.e, x.v, cb);
      if (withCallback) this.#cbRefs.add(w);
      if (lambda) this.#lambdaActs.set(w, acts);
    } finally {
      this.m.free(t);
      if (fn !== 0) decref(this.e, fn);
    }
    this.#create(wTok, () => w);
  }

  /**
   * A new function object for a `lambda w: _cb(w)` callback: a user kind whose call hook is the
   * lambda's body, looking its actions up by the weakref it is called with, as `_cb` looks them up
   * in CBA by id(w). It references the module's globals, as a function's func_globals does.
   */
  #newLambda(): number {
    const e = this.e;
    const fn = newObject(e, this.#functionType);
    setField(e, fn, 0, this.#globals, true);
    return fn;
  }

  #opFinalize(fTok: string, xTok: string): void {
    const m = this.m;
    const e = this.e;
    const x = this.#lookup(xTok);
    // weakref.finalize(x, _fin, 'F'): type_call's argument tuple, the finalize object, __init__
    const t3 = m.tuple(3);
    let f = 0;
    try {
      f = newInstance(e, this.#finalizeType);
      m.call(() => {
        const kwargs = m.dict();
        // *args: ('F',), untracked by its first collection (an item is a str)
        const args = m.tuple(1);
        tupleSetItem(e, args, 0, this.#str(fTok), true);
        let info = 0;
        try {
          info = newInstance(e, this.#infoType); // self._Info()
          const t2 = m.tuple(2); // ref(obj, self)
          try {
            if (!x.r || !wrm.isWeakrefable(e, x.v)) {
              throw m.raise(typeError(`cannot create weak reference to '${this.#tpName(x)}' object`));
            }
            const fin = this.#scoped(() =>
              this.heap.weakref.finalize(this.heap.wrap(x.v), () => this.#finalizeCalled(f)),
            );
            // info.weakref = ref(obj, self): the weakref is held by _Info, not from outside the
            // heap (so a collection moves it as CPython's); the Finalize's reference is handed to
            // the mirror, and given back before the mirror dies (#finalizeCalled). info.args = args
            const wr = finalizeWeakref(fin);
            setField(e, info, 1, wr, true);
            decref(e, wr);
            setField(e, info, 0, args, true);
            this.#fins.set(f, { name: fTok, fin, info });
            // self._registry[self] = info (the registry dict is tracked again by the store); the
            // registry holds the only reference to info, as CPython's once __init__ returns
            dictSetItem(e, this.#registry, f, true, info, true);
            decref(e, info);
            // ref(obj, self): the weakref holds its callback, the finalize object, until it calls
            // it (or dies); refheap's weakref calls a JS function, so the mirror holds that
            // reference for it, and #finalizeCalled gives it back when the call has returned.
            incref(e, f);
          } finally {
            m.free(t2);
          }
        } finally {
          m.free(info === 0 || this.#fins.has(f) ? 0 : info);
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
    this.#create(fTok, () => f);
  }

  /** finalize.__call__: the finalizer ran (called, or its object died); refheap calls `fn`. */
  #finalizeCalled(f: number): void {
    const rec = this.#fins.get(f)!;
    const m = this.m;
    this.#fins.delete(f);
    // info = self._registry.pop(self, None): the registry's reference becomes the local's
    incref(this.e, rec.info);
    dictDelItem(this.e, this.#registry, f, true);
    // As its weakref's callback, the finalize object is called with the weakref: an instance's
    // __call__ gets its arguments as a tuple (slot_tp_call); `F()` passes none.
    const args = this.#finCalledDirectly ? 0 : m.tuple(1);
    this.#finCalledDirectly = false;
    // `info` dies at the end of __call__: its slots (args first, then the weakref), then itself.
    // The weakref's reference goes back to refheap's Finalize first, which drops it after this.
    const dropInfo = (): void => {
      const info = rec.info;
      if (info === 0) return;
      rec.info = 0;
      incref(this.e, slotRef(this.e, fieldItemSlot(this.e, info, 1)));
      m.free(info);
    };
    try {
      m.call(() => {
        try {
          // info.func(*info.args, **(info.kwargs or {})): two dicts
          const d1 = m.dict();
          const d2 = m.dict();
          m.call(() => this.#emit(`finalize ${rec.name}`));
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
    decref(this.e, f);
  }

  /** `F()` on a finalize object (a dead one returns None at once). */
  #callFinalize(f: number): void {
    const rec = this.#fins.get(f);
    if (rec === undefined) return;
    this.#finCalledDirectly = true;
    try {
      rec.fin.call();
    } finally {
      this.#finCalledDirectly = false;
    }
  }

  /** Set while `F()` runs: otherwise a finalizer runs as its weakref's callback. */
  #finCalledDirectly = false;

  /**
   * `x()` for the values a scenario can call: a class makes an instance (type_call: no argument
   * tuple), a weakref returns its referent (or None), a finalize object runs (returns None).
   * Returns a new reference.
   */
  #call(x: Val): Val {
    const e = this.e;
    if (x.r) {
      const kind = this.#kind(x.v);
      if (kind === Kind.Type) {
        const cls = this.#classes.get(this.#typeNames.get(x.v) ?? "");
        if (cls !== undefined) return { v: newInstance(e, cls.info.id), r: true };
      } else if (kind === Kind.Weakref) {
        const o = wrm.weakrefGet(e, x.v);
        incref(e, o);
        return { v: o, r: true };
      } else if (kind === Kind.Instance && typeIdOf(e, x.v) === this.#finalizeType) {
        this.#callFinalize(x.v);
        incref(e, NONE);
        return VNONE;
      }
    }
    throw this.m.raise(typeError(`'${this.#tpName(x)}' object is not callable`));
  }

  #release(v: Val): void {
    if (v.r) decref(this.e, v.v);
  }

  /** `_r = F(); log; _r = None`. */
  #opCall(fTok: string): void {
    const r = this.#call(this.#lookup(fTok));
    this.#emit(`call ${fTok} ${this.#fmt(r)}`);
    this.#release(r);
  }

  /** `_t = C(); _lab(_t, X); X = _t` (C is whatever the name is bound to). */
  #opNew(xTok: string, cTok: string): void {
    const r = this.#call(this.#lookup(cTok));
    if (r.r) this.#labels.set(r.v, xTok);
    this.#bindOwned(xTok, r);
  }

  // --- callbacks and finalizers (Python functions of the runner) ---

  /**
   * A finalizer (`__del__`, or the legacy `tp_del` of _testcapi.with_tp_del) running its actions,
   * in its own frame. slot_tp_del looks `__tp_del__` up as a bound method (a new object) first;
   * slot_tp_finalize calls `__del__` unbound.
   */
  #finalizer(acts: readonly string[], o: number, legacy: boolean): void {
    const label = this.#labels.get(o) ?? "?";
    const method = legacy ? this.m.obj() : 0;
    try {
      this.#finalizerBody(acts, o, label);
    } finally {
      this.m.free(method);
    }
  }

  #finalizerBody(acts: readonly string[], o: number, label: string): void {
    this.#pyFunction(`del ${label}`, () => {
      let thr = false;
      for (const a of acts) {
        if (a === "log") this.#emit(`del ${label}`);
        else if (a === "collect") this.#innerCollect();
        else if (a === "throw") thr = true;
        else if (a.startsWith("resurrect:")) this.#bind(a.slice(10), { v: o, r: true });
        else if (a.startsWith("clear:")) this.#setattr({ v: o, r: true }, a.slice(6), VNONE);
        else if (a.startsWith("new:")) {
          // y = C(); _lab(y, X); X = y
          const [, c, x] = a.split(":") as [string, string, string];
          const y = this.#call(this.#lookup(c));
          if (y.r) this.#labels.set(y.v, x);
          this.#bindOwned(x, y);
        }
      }
      if (thr) throw this.#throwE();
    });
  }

  /** A weakref callback made by a `ref`/`proxy` line (runner.py's _cb). */
  #weakrefCallback(wr: number, acts: readonly string[]): void {
    const label = this.#labels.get(wr) ?? "?";
    this.#pyFunction(`cb ${label}`, () => {
      this.#emit(`cb ${label}`);
      let thr = false;
      for (const a of acts) {
        if (a === "collect") this.#innerCollect();
        else if (a === "throw") thr = true;
        else if (a.startsWith("drop:")) this.#unbind(a.slice(5));
      }
      if (thr) throw this.#throwE();
    });
  }

  /** `raise E`: the runner's one pre-made exception. */
  #throwE(): PyError {
    return new PyError("ZeroDivisionError", "throw", "premade");
  }

  /**
   * Runs `body` as a Python function called from C: an exception leaving it is reported through
   * the unraisable hook (`unraisable WHAT`), as PyErr_WriteUnraisable does.
   */
  #pyFunction(what: string, body: () => void): void {
    try {
      this.m.call(body);
    } catch (err) {
      if (!(err instanceof PyError)) throw err;
      this.m.unraisable(err, () => this.#emit(`unraisable ${what}`));
    }
  }

  /** `y = gc.collect()` run by a finalizer or callback. */
  #innerCollect(): void {
    this.#explicit++;
    let n: number;
    try {
      n = gcm.collect(this.e);
    } finally {
      this.#explicit--;
    }
    this.#emit(`collect 2 -> ${n}`);
  }

  #gccbAdd(acts: readonly string[]): void {
    const cb: GcCallback = (phase, info) => {
      this.#pyFunction("gccb", () => {
        this.#emit(`gccb ${phase} ${info.generation} ${info.collected} ${info.uncollectable}`);
        for (const a of acts) if (a === "collect") this.#innerCollect();
        if (acts.includes("throw")) throw this.#throwE();
      });
    };
    this.e.gcCallbacks.push(cb);
  }

  #gccbClear(): void {
    // while len(gc.callbacks) > 1: gc.callbacks.pop()
    this.e.gcCallbacks.splice(1);
  }

  // --- collections and loops ---

  /**
   * `_D = 1; _n = gc.collect(G); _D = 0; log`: an error (invalid generation) is handled while
   * `_D` is still 1, so a collection its handling starts is not logged as automatic.
   */
  #opCollect(line: number, g: number | null): void {
    this.#explicit = 1;
    let n: number;
    try {
      n = this.#api(() => (g === null ? gcm.collect(this.e) : gcm.collect(this.e, g)));
    } catch (err) {
      if (!(err instanceof PyError)) throw err;
      this.#caught(line, err);
      return;
    } finally {
      this.#explicit = 0;
    }
    this.#emit(`collect ${g ?? 2} -> ${n}`);
  }

  #opLoop(n: number, cls: string, keep: string | null): void {
    const e = this.e;
    let prev: Val | null = null; // runner.py's `_o`
    try {
      for (let i = 0; i < n; i++) {
        const o = this.#call(this.#lookup(cls));
        const old = prev;
        prev = o;
        if (old !== null) this.#release(old);
        if (o.r) this.#labels.set(o.v, "~");
        if (keep !== null) {
          const x = this.#deproxy(this.#lookup(keep));
          if (!(x.r && this.#kind(x.v) === Kind.List)) throw this.#noMethod(x, "append");
          listAppend(e, x.v, o.v, o.r);
        }
      }
    } finally {
      // `_o = None` after the loop: after the error (if any) is logged
      if (prev?.r === true) this.#afterLoop.push(prev.v);
    }
  }

  /** `_o = None` after a loop: released after the error (if any) is logged. */
  readonly #afterLoop: number[] = [];

  #releaseAfterLoop(): void {
    while (this.#afterLoop.length > 0) decref(this.e, this.#afterLoop.pop()!);
  }

  // --- iterators ---

  #newIterRec(kind: IterKind, container: ContainerRec | null, gen: IterRec["gen"]): IterRec {
    return {
      kind,
      pairs: kind === "wvd" || kind === "wkd" || kind === "dict",
      gen,
      container,
      dictHandle: null,
      dictIt: null,
      broken: false,
      index: 0,
      state: "new",
      frame: { obj: 0 },
      exitMethod: 0,
      guard: 0,
      dataIter: 0,
      dataResult: 0,
    };
  }

  #opIter(iTok: string, xTok: string): void {
    const e = this.e;
    const m = this.m;
    const x0 = this.#lookup(xTok);
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    let it: number;
    if (c !== undefined) {
      // X.items() (or iter(X) for a WeakSet): a generator, not started
      it = newInstance(e, this.#generatorType);
      setField(e, it, 0, x.v, true);
      this.#iters.set(it, this.#newIterRec(c.kind, c, this.#weakGen(c, it)));
    } else if (x.r && this.#kind(x.v) === Kind.Dict) {
      // iter(X.items()): the view, the iterator and its result tuple, then the view dies
      const view = m.obj();
      it = newInstance(e, this.#dictIterType);
      const result = newTuple(e, 2);
      setField(e, it, 0, x.v, true);
      setField(e, it, 1, result, true);
      decref(e, result);
      m.free(view);
      const rec = this.#newIterRec("dict", null, null);
      // The iterator's reference to the dict is its di_dict field; the handle iterating it
      // borrows that reference (its own is given back at once, and taken again to dispose it).
      const h = this.heap.wrap(x.v) as DictHandle;
      decref(e, x.v);
      rec.dictHandle = h;
      rec.dictIt = h.entries();
      this.#iters.set(it, rec);
    } else if (x.r && (this.#kind(x.v) === Kind.List || this.#kind(x.v) === Kind.Tuple)) {
      const isList = this.#kind(x.v) === Kind.List;
      it = newInstance(e, isList ? this.#listIterType : this.#tupleIterType);
      setField(e, it, 0, x.v, true);
      this.#iters.set(it, this.#newIterRec(isList ? "list" : "tuple", null, null));
    } else if (x.r && this.#iters.has(x.v)) {
      it = x.v;
      incref(e, it);
    } else {
      throw m.raise(typeError(`'${this.#tpName(x)}' object is not iterable`));
    }
    this.#create(iTok, () => it);
    const j = this.#open.indexOf(iTok);
    if (j >= 0) this.#open.splice(j, 1);
    this.#open.push(iTok);
  }

  #closed(name: string): void {
    const j = this.#open.indexOf(name);
    if (j >= 0) this.#open.splice(j, 1);
  }

  #opNext(iTok: string): void {
    const x = this.#lookup(iTok);
    const rec = x.r ? this.#iters.get(x.v) : undefined;
    if (rec === undefined) {
      if (x.r && this.#kind(x.v) === Kind.WeakProxy) {
        const r = this.#deproxy(x);
        throw this.m.raise(typeError(`Weakref proxy referenced a non-iterator '${this.#tpName(r)}' object`));
      }
      throw this.m.raise(typeError(`'${this.#tpName(x)}' object is not an iterator`));
    }
    const pre = `next ${iTok} `;
    switch (rec.kind) {
      case "list":
      case "tuple":
        this.#nextSeq(x.v, rec, pre);
        return;
      case "dict":
        this.#nextDict(x.v, rec, pre);
        return;
      default:
        this.#nextGen(x.v, rec, pre);
        return;
    }
  }

  #nextSeq(it: number, rec: IterRec, pre: string): void {
    const e = this.e;
    const p = fieldItemSlot(e, it, 0);
    const seq = slotRef(e, p);
    if (seq === 0) {
      this.#emit(`${pre}end`);
      return;
    }
    const n = rec.kind === "list" ? listSize(e, seq) : tupleSize(e, seq);
    if (rec.index >= n) {
      // exhausted: the iterator drops its sequence
      clearField(e, it, 0);
      this.#emit(`${pre}end`);
      return;
    }
    const q = rec.kind === "list" ? listItemSlot(e, seq, rec.index) : tupleItemSlot(e, seq, rec.index);
    rec.index++;
    const v = this.#slotVal(q);
    if (v.r) incref(e, v.v);
    this.#emit(`${pre}${this.#fmt(v)}`);
    if (v.r) decref(e, v.v);
  }

  #nextDict(it: number, rec: IterRec, pre: string): void {
    const e = this.e;
    if (rec.broken)
      throw this.m.raise(new PyError("RuntimeError", "dictionary changed size during iteration", "late"));
    if (rec.dictIt === null) {
      this.#emit(`${pre}end`);
      return;
    }
    let r: IteratorResult<[HValue, HValue]>;
    try {
      r = this.#scoped(() => {
        const step = rec.dictIt!.next();
        if (!step.done)
          this.#emit(
            `${pre}(${this.#fmt(this.#fromHv(step.value[0]))}, ${this.#fmt(this.#fromHv(step.value[1]))})`,
          );
        return step;
      });
    } catch (err) {
      const py = fromRefheap(err);
      if (py === null) throw err;
      rec.broken = true;
      throw this.m.raise(new PyError("RuntimeError", "dictionary changed size during iteration", "late"));
    }
    if (r.done === true) {
      // exhausted: di_dict = NULL
      rec.dictIt = null;
      const d = slotRef(e, fieldItemSlot(e, it, 0));
      incref(e, d);
      rec.dictHandle?.dispose();
      rec.dictHandle = null;
      clearField(e, it, 0);
      this.#emit(`${pre}end`);
    }
  }

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
   * #genStart and #guardExit, around this loop, where CPython's `with` statement does. Yields
   * nothing: the runner reads the locals.
   */
  *#weakGen(c: ContainerRec, it: number): Generator<unknown, void, undefined> {
    const e = this.e;
    const core = coreOf(c);
    const op = c.kind === "wset" ? "__iter__" : "items";
    for (const entry of core.entries(op, c.kind === "wset" ? SET_CHANGED : DICT_CHANGED)) {
      const k = this.#slotVal(entry + E_KEY);
      const rec = this.#iters.get(it);
      if (c.kind === "wset") {
        // itemref = next(set iterator); item = itemref()
        setField(e, it, 1, k.v, k.r);
        const o = wrm.weakrefGet(e, k.v);
        setField(e, it, 2, o, true);
        if (o !== NONE) yield undefined;
        continue;
      }
      const v = this.#slotVal(entry + E_VALUE);
      if (c.kind === "wvd" && dictGetSlot(e, core.data(op), k.v, k.r) !== entry + E_VALUE)
        throw new Error("oracle runner: refheap's dict entry layout changed (E_KEY, E_VALUE)");
      // FOR_ITER: the dict iterator reuses its result tuple (new items in, old ones released)
      if (rec !== undefined && rec.dataResult > 0) {
        tupleSetItem(e, rec.dataResult, 0, k.v, k.r);
        tupleSetItem(e, rec.dataResult, 1, v.v, v.r);
      }
      // UNPACK_SEQUENCE, STORE_FAST, STORE_FAST; then `v = wr()` / `key = wr()`
      const code = this.#itemsCode(c.kind)!;
      this.m.unpack(code);
      setField(e, it, 1, k.v, k.r);
      setField(e, it, 2, v.v, v.r);
      const o = wrm.weakrefGet(e, c.kind === "wvd" ? v.v : k.v);
      setField(e, it, 3, o, true);
      if (o !== NONE) yield undefined; // the RESUME after it: #nextGen
      code.tick(); // JUMP_BACKWARD
    }
  }

  /**
   * The generator's frame is cleared (_PyFrame_Clear, or the frame object that took it over
   * dies): its locals are released in co_varnames order, `self` first.
   */
  #genClearLocals(it: number): void {
    for (let i = 0; i < GEN_LOCALS; i++) clearField(this.e, it, i);
  }

  /** The code object of a weak dictionary's items() (WeakSet.__iter__ unpacks nothing: null). */
  #itemsCode(kind: IterRec["kind"]): Code | null {
    return kind === "wvd" ? this.#code.wvdItems : kind === "wkd" ? this.#code.wkdItems : null;
  }

  /** The weak containers' generators: items() of the dictionaries, __iter__ of WeakSet. */
  #nextGen(it: number, rec: IterRec, pre: string): void {
    const m = this.m;
    const e = this.e;
    if (rec.state === "done") {
      this.#emit(`${pre}end`);
      return;
    }
    m.call(
      () => {
        if (rec.state === "new") this.#genStart(rec);
        else this.#itemsCode(rec.kind)?.tick(); // RESUME after the yield
        rec.state = "suspended";
        const step = this.#scoped(() => {
          let s: IteratorResult<unknown, void>;
          try {
            s = this.#api(() => rec.gen!.next());
          } catch (err) {
            if (err instanceof PyError) this.#genRaised(it, rec, err);
            throw err;
          }
          if (s.done !== true) {
            // yield k, v: the tuple, formatted and dropped by the runner
            const t = rec.pairs ? m.tuple(2) : 0;
            const local = (i: number): Val => this.#slotVal(fieldItemSlot(e, it, i));
            this.#emit(
              rec.kind === "wvd"
                ? `${pre}(${this.#fmt(local(1))}, ${this.#fmt(local(3))})`
                : rec.kind === "wkd"
                  ? `${pre}(${this.#fmt(local(3))}, ${this.#fmt(local(2))})`
                  : `${pre}${this.#fmt(local(2))}`,
            );
            m.free(t);
          }
          return s;
        });
        if (step.done === true) {
          rec.state = "done";
          this.#genEnd(rec);
        }
      },
      rec.frame,
      true,
    );
    if ((rec.state as IterRec["state"]) === "done") {
      // returned: gen_send_ex2 clears the frame (its object, then the locals), then `end`
      m.releaseFrame(rec.frame);
      this.#genClearLocals(it);
      this.#emit(`${pre}end`);
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
  #genStart(rec: IterRec): void {
    const m = this.m;
    const c = rec.container!;
    this.#itemsCode(c.kind)?.tick(); // RESUME
    if (c.kind === "wvd") this.#commitIfPending(c);
    const args = m.tuple(1); // _IterationGuard(self): type_call's argument tuple
    rec.guard = m.obj();
    m.call(() => m.tupleBlip(1)); // __init__: self.weakcontainer = ref(weakcontainer)
    m.free(args);
    const enter = m.obj();
    rec.exitMethod = m.obj();
    m.call(() => coreOf(c).enter()); // __enter__: w._iterating.add(self)
    m.free(enter);
    if (c.kind === "wset") {
      rec.dataIter = m.obj();
    } else {
      const view = m.obj();
      rec.dataIter = m.obj();
      rec.dataResult = m.tuple(2);
      m.free(view);
    }
  }

  /**
   * The end of the generator's `with` block when its loop ended: the data iterator dies, then
   * __exit__ (#guardExit).
   */
  #genEnd(rec: IterRec): void {
    const m = this.m;
    m.free(rec.dataResult);
    m.free(rec.dataIter);
    rec.dataResult = 0;
    rec.dataIter = 0;
    this.#guardExit(rec, "late");
  }

  /**
   * `_IterationGuard.__exit__` (Lib/_weakrefset.py): `s.remove(self)`, then `if not s:
   * w._commit_removals()`: only the last guard to leave commits, and `_iterating` is already
   * empty while `_commit_removals` binds `pop` (a collection that allocation starts removes a
   * dying entry at once), which it does before the removals. Its IndexError is normalized at once
   * (`early`) when GeneratorExit or another exception is being handled. Then the bound __exit__
   * and the guard die.
   */
  #guardExit(rec: IterRec, norm: "late" | "early"): void {
    const m = this.m;
    const c = rec.container!;
    const core = coreOf(c);
    m.call(() => {
      core.iterating--;
      if (core.iterating === 0 && core.alive) this.#commitRemovals(c, () => core.commit("__exit__"), norm);
    });
    m.free(rec.exitMethod);
    m.free(rec.guard);
    rec.exitMethod = 0;
    rec.guard = 0;
  }

  /**
   * An exception raised inside the generator's loop (RuntimeError: the dict changed size): its
   * traceback entry, the stack unwound to the `with` handler (the data iterator dies), the
   * exception normalized there, __exit__ (its _commit_removals' IndexError is raised while the
   * exception is handled), then RERAISE ends the generator.
   */
  #genRaised(it: number, rec: IterRec, err: PyError): void {
    const m = this.m;
    rec.state = "done";
    // the frame object the traceback took over holds the locals until the error dies
    incref(this.e, it);
    err.onRelease.push(() => {
      this.#genClearLocals(it);
      decref(this.e, it);
    });
    m.traceback(err, rec.frame, true);
    m.free(rec.dataResult);
    m.free(rec.dataIter);
    rec.dataResult = 0;
    rec.dataIter = 0;
    m.normalize(err);
    this.#guardExit(rec, "early");
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
  #genFinalize(o: number): void {
    const rec = this.#iters.get(o);
    if (rec === undefined) return;
    this.#iters.delete(o);
    const m = this.m;
    if (rec.state === "done") {
      m.releaseFrame(rec.frame);
      return;
    }
    const err = new PyError("GeneratorExit", "", "noargs");
    m.frames.push(rec.frame);
    m.traceback(err, rec.frame, true);
    if (rec.state === "suspended") {
      m.free(rec.dataResult);
      m.free(rec.dataIter);
      rec.dataResult = 0;
      rec.dataIter = 0;
      m.normalize(err);
      this.#scoped(() => rec.gen?.return(undefined));
      this.#guardExit(rec, "early");
    } else {
      this.#scoped(() => rec.gen?.return(undefined));
    }
    rec.state = "done";
    m.frames.pop();
    m.release(err);
    // the frame object (take_ownership) dies with the traceback: then the locals, self first
    this.#genClearLocals(o);
  }

  /** At the end (runner.py's _close_all, a Python function): `del I` for every iterator name still open, oldest first. */
  #closeAll(): void {
    this.m.call(() => {
      for (const name of this.#open) this.#unbind(name);
    });
    this.#open.length = 0;
  }

  /** The labels of the objects still allocated, loop objects (`~`) excepted, sorted. */
  #alive(): string[] {
    return [...this.#labels.values()].filter((l) => l !== "~").sort();
  }

  // --- queries ---

  #show(op: Op): void {
    const e = this.e;
    const [q, ...qa] = op.args as [string, ...string[]];
    const head = `${op.args.join(" ")} `;
    const wasEnabled = gcm.isEnabled(e);
    gcm.disable(e);
    try {
      this.#query(q, qa, head, wasEnabled);
    } catch (err) {
      // handled inside the try, before the collector is switched back on
      if (!(err instanceof PyError)) throw err;
      this.#caught(op.line, err);
    } finally {
      if (wasEnabled) gcm.enable(e);
    }
  }

  #query(q: string, qa: readonly string[], head: string, wasEnabled: boolean): void {
    const e = this.e;
    const m = this.m;
    const x = (): Val => this.#lookup(qa[0]!);
    switch (q) {
      case "count": {
        const [c0, c1, c2] = gcm.getCount(e);
        m.tupleBlip(3);
        this.#emit(`count ${c0} ${c1} ${c2}`);
        return;
      }
      case "threshold": {
        const [t0, t1, t2] = gcm.getThreshold(e);
        m.tupleBlip(3);
        this.#emit(`threshold ${t0} ${t1} ${t2}`);
        return;
      }
      case "enabled":
        this.#emit(`enabled ${wasEnabled ? "True" : "False"}`);
        return;
      case "stats": {
        const l = m.list();
        const ds = [m.dict(), m.dict(), m.dict()];
        const s = gcm.getStats(e);
        const parts = s.map((g, i) => {
          const b = this.#stats0[i]!;
          return `${g.collections - b.collections}/${g.collected - b.collected}/${g.uncollectable - b.uncollectable}`;
        });
        this.#emit(`stats ${parts.join(" ")}`);
        for (let i = ds.length - 1; i >= 0; i--) m.free(ds[i]!);
        m.free(l);
        return;
      }
      case "freeze":
        this.#emit(`freeze ${gcm.getFreezeCount(e)}`);
        return;
      case "tracked": {
        const v = x();
        this.#emit(`${head}${v.r && gcm.isTracked(e, v.v) ? "True" : "False"}`);
        return;
      }
      case "finalized": {
        const v = x();
        this.#emit(`${head}${v.r && gcm.isFinalized(e, v.v) ? "True" : "False"}`);
        return;
      }
      case "referents": {
        const v = x();
        // gc.get_referents(*objs) is METH_VARARGS: an argument tuple during the call
        const t = m.tuple(1);
        const l = v.r ? gcm.getReferents(e, [v.v]) : newList(e);
        m.free(t);
        let text = this.#fmtList(l);
        if (v.r && this.#hasOwnCallback(v.v)) {
          // the callback (a Python function in CPython) is outside refheap's heap
          text = text === "[]" ? "[?function]" : `[?function, ${text.slice(1)}`;
        }
        this.#emit(`${head}${text}`);
        decref(e, l);
        return;
      }
      case "objects": {
        const g = Number(qa[0]);
        if (g >= 3 || g < -1) {
          // get_objects makes its result list before it checks the generation
          m.free(m.list());
        }
        const l = this.#api(() => gcm.getObjects(e, g));
        const out: string[] = [];
        for (let i = 0; i < listSize(e, l); i++) {
          const s = this.#lb(slotRef(e, listItemSlot(e, l, i)));
          if (s !== null) out.push(s);
        }
        this.#emit(`${head}[${out.join(", ")}]`);
        decref(e, l);
        return;
      }
      case "garbage":
        this.#emit(`garbage ${this.#fmtList(e.garbage)}`);
        return;
      case "refcount": {
        const v = x();
        if (!v.r) {
          this.#emit(`${head}?`);
          return;
        }
        this.#emit(`${head}${sysGetrefcount(e, v.v)}`);
        return;
      }
      case "deref": {
        const r = this.#call(x());
        this.#emit(`${head}${this.#fmt(r)}`);
        this.#release(r);
        return;
      }
      case "wrcount": {
        const v = x();
        this.#emit(`${head}${v.r ? wrm.getweakrefcount(e, v.v) : 0}`);
        return;
      }
      case "wrlist": {
        const v = x();
        const l = v.r ? wrm.getweakrefs(e, v.v) : newList(e);
        this.#emit(`${head}${this.#fmtList(l)}`);
        decref(e, l);
        return;
      }
      case "len":
        this.#emit(`${head}${this.#len(x())}`);
        return;
      case "get":
        this.#queryGet(x(), qa[1]!, head);
        return;
      case "has":
        this.#queryHas(x(), qa[1]!, head);
        return;
      case "items":
        this.#queryItems(x(), head);
        return;
      case "proxy": {
        const v = this.#getattr(x(), qa[1]!);
        if (v.r) incref(e, v.v);
        this.#emit(`${head}${this.#fmt(v)}`);
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
  #hasOwnCallback(wr: number): boolean {
    // A lambda callback is a heap object: get_referents lists it already.
    return this.#cbRefs.has(wr) && !this.#lambdaActs.has(wr) && wrm.weakrefGet(this.e, wr) !== NONE;
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
  #scrubRemovals(c: ContainerRec): void {
    const m = this.m;
    m.call(() => {
      const cell = m.obj();
      const closure = m.tuple(1);
      const fn = m.obj();
      const it = m.obj();
      const fresh = m.call(() => m.list());
      m.free(it);
      m.free(closure);
      m.free(fn);
      this.#scoped(() => void c.obj.size);
      m.free(fresh);
      m.free(cell);
    });
  }

  #len(x0: Val): number {
    const e = this.e;
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    if (c !== undefined) {
      if (c.kind === "wvd") {
        const w = c.obj as WeakValueDictionary;
        return this.m.call(() => {
          this.#commitIfPending(c);
          return w.size;
        });
      }
      if (c.kind === "wkd") {
        const core = coreOf(c);
        return this.m.call(() => {
          if (core.dirtyLen && core.pendingCount("len") > 0) this.#scrubRemovals(c);
          return this.#scoped(() => c.obj.size);
        });
      }
      return this.m.call(() => this.#scoped(() => c.obj.size));
    }
    if (x.r) {
      const k = this.#kind(x.v);
      if (k === Kind.List) return listSize(e, x.v);
      if (k === Kind.Tuple) return tupleSize(e, x.v);
      if (k === Kind.Dict) return dictSize(e, x.v);
      if (k === Kind.Str) return strValue(e, x.v).length;
    }
    throw this.m.raise(typeError(`object of type '${this.#tpName(x)}' has no len()`));
  }

  #queryGet(x0: Val, kTok: string, head: string): void {
    const e = this.e;
    const m = this.m;
    const x = this.#deproxy(x0);
    const k = this.#value(kTok);
    const c = this.#container(x);
    let result: Val = VNONE;
    const out = (v: Val): void => this.#emit(`${head}${this.#fmt(v)}`);
    if (c !== undefined && c.kind === "wvd") {
      const w = c.obj as WeakValueDictionary;
      m.call(() => {
        this.#commitIfPending(c);
        this.#scoped(() => {
          const has = this.#api(() => this.#wvdHasKey(w, k));
          if (!has) m.caughtHere("key");
          const r = this.#api(() => w.get(this.#hv(k)));
          result = this.#fromHv(r);
          out(result);
        });
      });
      return;
    }
    if (c !== undefined && c.kind === "wkd") {
      const w = c.obj as WeakKeyDictionary;
      m.call(() => {
        // self.data.get(ref(key), default)
        const r = this.#basicRef(k);
        try {
          this.#scoped(() => out(this.#fromHv(this.#api(() => w.get(this.#hv(k) as Handle)))));
        } finally {
          m.free(r);
        }
      });
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict) {
      const p = this.#api(() => dictGetSlot(e, x.v, k.v, k.r));
      result = p === 0 ? VNONE : this.#slotVal(p);
      out(result);
      return;
    }
    throw this.#noMethod(x, "get");
  }

  /** Whether a WeakValueDictionary's data has `k` (dead or not): `self.data[key]` succeeds. */
  #wvdHasKey(w: WeakValueDictionary, k: Val): boolean {
    for (const r of w.valueRefs()) {
      const key = this.#fromHv(r.key);
      r.dispose();
      if (this.#keyEquals(key, k)) return true;
    }
    return false;
  }

  /** Python's == for the keys of the scenario language (ints, strs, objects by identity). */
  #keyEquals(a: Val, b: Val): boolean {
    const e = this.e;
    const num = (v: Val): number | null => (!v.r ? v.v : v.v === TRUE ? 1 : v.v === FALSE ? 0 : null);
    const na = num(a);
    const nb = num(b);
    if (na !== null || nb !== null) return na === nb;
    if (a.v === b.v) return true;
    if (this.#kind(a.v) === Kind.Str && this.#kind(b.v) === Kind.Str) {
      return strValue(e, a.v) === strValue(e, b.v);
    }
    return false;
  }

  #queryHas(x0: Val, kTok: string, head: string): void {
    const e = this.e;
    const m = this.m;
    const x = this.#deproxy(x0);
    const k = this.#value(kTok);
    const c = this.#container(x);
    const out = (b: boolean): void => this.#emit(`${head}${b ? "True" : "False"}`);
    if (c !== undefined && c.kind === "wvd") {
      const w = c.obj as WeakValueDictionary;
      m.call(() => {
        this.#commitIfPending(c);
        this.#scoped(() => {
          const has = this.#api(() => this.#wvdHasKey(w, k));
          if (!has) m.caughtHere("key");
          out(this.#api(() => w.has(this.#hv(k))));
        });
      });
      return;
    }
    if (c !== undefined) {
      // try: wr = ref(key) except TypeError: return False; return wr in self.data
      m.call(() => {
        let r = 0;
        try {
          r = this.#basicRef(k);
        } catch (err) {
          if (!(err instanceof PyError)) throw err;
          m.catch(err);
          m.release(err);
          out(false);
          return;
        }
        try {
          this.#scoped(() => out(this.#api(() => c.obj.has(this.#hv(k)))));
        } finally {
          m.free(r);
        }
      });
      return;
    }
    if (x.r) {
      const kind = this.#kind(x.v);
      if (kind === Kind.Dict) {
        out(this.#api(() => dictGetSlot(e, x.v, k.v, k.r) !== 0));
        return;
      }
      if (kind === Kind.List || kind === Kind.Tuple) {
        const n = kind === Kind.List ? listSize(e, x.v) : tupleSize(e, x.v);
        for (let i = 0; i < n; i++) {
          const p = kind === Kind.List ? listItemSlot(e, x.v, i) : tupleItemSlot(e, x.v, i);
          if (this.#keyEquals(this.#slotVal(p), k)) {
            out(true);
            return;
          }
        }
        out(false);
        return;
      }
    }
    throw m.raise(typeError(`argument of type '${this.#tpName(x)}' is not iterable`));
  }

  /**
   * `list(X.items())` (dicts and the weak dictionaries: (k, v) pairs), `list(X)` sorted by label
   * (WeakSet, whose order is its hash table's in CPython), `list(X)` (lists, tuples). list(...)
   * allocates its list outright, not from the freelist.
   */
  #queryItems(x0: Val, head: string): void {
    const e = this.e;
    const m = this.m;
    const x = this.#deproxy(x0);
    const c = this.#container(x);
    const pair = (k: HValue, v: HValue): string =>
      `(${this.#fmt(this.#fromHv(k))}, ${this.#fmt(this.#fromHv(v))})`;
    if (c !== undefined) {
      // list(X.items()): the generator, then the list; list(X): the list, then iter(X)'s
      // generator; then the generator's run to the end (refheap's own walk takes a guard inside
      // the runner's, so the removals are committed at #guardExit, as CPython's __exit__ does)
      const wset = c.kind === "wset";
      const first = wset ? m.list(false) : m.obj();
      const second = wset ? m.obj() : m.list(false);
      const gen = wset ? second : first;
      const l = wset ? first : second;
      const rec = this.#newIterRec(c.kind, c, null);
      const parts: string[] = [];
      const tuples: number[] = [];
      m.call(() => {
        this.#genStart(rec);
        this.#scoped(() => {
          if (c.kind === "wset") {
            for (const it of c.obj as WeakSetContainer) parts.push(this.#fmt(this.#fromHv(it)));
          } else {
            // with the collector off (a query), the unpacking's iterators change no count: only
            // the code's warmup is mirrored, a JUMP_BACKWARD per entry and a RESUME per yield
            const entries = dictSize(e, coreOf(c).data("items"));
            for (const [k, v] of (c.obj as WeakValueDictionary | WeakKeyDictionary).items()) {
              tuples.push(m.tuple(2)); // yield k, v
              parts.push(pair(k, v));
            }
            this.#itemsCode(c.kind)!.tick(entries + tuples.length);
          }
        });
        this.#genEnd(rec);
      });
      m.free(gen);
      if (c.kind === "wset") parts.sort();
      this.#emit(`${head}[${parts.join(", ")}]`);
      for (let i = tuples.length - 1; i >= 0; i--) m.free(tuples[i]!);
      m.free(l);
      return;
    }
    if (x.r && this.#kind(x.v) === Kind.Dict) {
      // the items view, the list, the view's iterator and its result tuple (the first item's)
      const view = m.obj();
      const l = m.list(false);
      const it = m.obj();
      const tuples = [m.tuple(2)];
      const parts: string[] = [];
      this.#scoped(() => {
        let first = true;
        for (const [k, v] of (this.heap.wrap(x.v) as DictHandle).entries()) {
          if (!first) tuples.push(m.tuple(2));
          first = false;
          parts.push(pair(k, v));
        }
      });
      m.free(it);
      m.free(view);
      this.#emit(`${head}[${parts.join(", ")}]`);
      for (let i = tuples.length - 1; i >= 0; i--) m.free(tuples[i]!);
      m.free(l);
      return;
    }
    if (x.r && (this.#kind(x.v) === Kind.List || this.#kind(x.v) === Kind.Tuple)) {
      const isList = this.#kind(x.v) === Kind.List;
      const l = m.list(false);
      const n = isList ? listSize(e, x.v) : tupleSize(e, x.v);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        parts.push(this.#fmt(this.#slotVal(isList ? listItemSlot(e, x.v, i) : tupleItemSlot(e, x.v, i))));
      }
      this.#emit(`${head}[${parts.join(", ")}]`);
      m.free(l);
      return;
    }
    // list(X): the list is made before X's iterator is asked for
    m.free(m.list(false));
    throw m.raise(typeError(`'${this.#tpName(x)}' object is not iterable`));
  }
}
