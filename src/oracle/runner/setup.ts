/**
 * Before the body: the runner's private classes (finalize, _Info, function, generator, the builtin
 * iterators, the weak containers' classes), the scenario's classes and weak containers, then the
 * baseline (the long-lived objects, and the runner's own gc callback that logs `auto` lines).
 */

import {
  classSetAttr,
  decref,
  dictDelItem,
  dictSetItem,
  dictSize,
  dropClass,
  type Engine,
  FALSE,
  FieldKind,
  gc as gcm,
  gcTrack,
  gcUntrack,
  Kind,
  listSize,
  NONE,
  newDict,
  newInstance,
  newMethod,
  newObject,
  newTuple,
  readyClass,
  setAttr,
  setField,
  type TypeInfo,
  tupleSetItem,
  typeIdOf,
  weakref as wrm,
} from "../../core.js";
import { BUILTIN_BASES, type ClassDecl, type ContainerDecl, type Scenario } from "../scenario.js";
import { finalizer, weakrefCallback } from "./callbacks.js";
import { finalizeCalled } from "./finalize.js";
import { genFinalize } from "./generators.js";
import { CONTAINER_CLASS, type ContainerRec, coreOf, ITERATING_SLOTS } from "./records.js";
import type { RunnerState } from "./state.js";
import { containerDealloc, keyGone } from "./weakcontainers.js";

/** The runner's private classes, then the scenario's classes and weak containers. */
export function declare(st: RunnerState, sc: Scenario): void {
  const e = st.e;
  st.globals = newDict(e);
  const prelude = st.m.obj();
  dictSetItem(e, st.globals, st.str("_prelude"), true, prelude, true);
  decref(e, prelude);
  const def = (name: string, extra: Partial<Parameters<Engine["defineClass"]>[0]> = {}): number => {
    const id = e.defineClass({ name, ...extra }).id;
    st.typeNames.set(e.typeObject[id]!, name);
    return id;
  };
  st.typeNames.set(e.typeObject[st.mirrorType]!, "object");
  // finalize.__call__, which its weakref calls back (a heap callable, held by the weakref)
  st.finalizeType = def("finalize", { call: (self) => finalizeCalled(st, self, false) });
  // Before the baseline, as CPython's function type exists before the program.
  st.functionType = e.defineKind({
    name: "function",
    refs: ["globals"],
    call: (_self, wr) => weakrefCallback(st, wr as number, st.lambdaActs.get(wr as number) ?? []),
  }).id;
  st.typeNames.set(e.typeObject[st.functionType]!, "function");
  // runner.py's `_cb`, which a `wm` line's WeakMethod calls back (with itself); a global.
  if (sc.body.some((op) => op.op === "wm" && op.args.length > 2)) {
    const cb = newObject(e, st.functionType);
    setField(e, cb, 0, st.globals, true);
    st.bind("<_cb>", { v: cb, r: true });
    decref(e, cb);
    st.moduleCb = cb;
  }
  // The functions a `cb` class's dict holds (`lambda self, w: _cb(w)`): bound when read through an
  // instance. One bound method made and dropped now registers the method type before the baseline,
  // as CPython's exists before the program.
  st.methodFunctionType = e.defineKind({
    name: "function",
    refs: ["globals"],
    bind: true,
    weakrefable: true, // a WeakMethod of O.cb refers to it weakly
    call: (_self, _o, wr) => weakrefCallback(st, wr as number, st.lambdaActs.get(wr as number) ?? []),
  }).id;
  st.typeNames.set(e.typeObject[st.methodFunctionType]!, "function");
  const f = newObject(e, st.methodFunctionType);
  const m = newMethod(e, f, f);
  // The first WeakMethod registers the cell type and WeakMethod's `_cb` function type, which
  // CPython has before the program: one made and dropped now, when a `wm` line will make some.
  if (sc.body.some((op) => op.op === "wm")) decref(e, wrm.newWeakMethod(e, m, null));
  decref(e, m);
  decref(e, f);
  // finalize._Info: __slots__ ("weakref", "func", "args", "kwargs", "atexit", "index"), which
  // CPython sorts: traversed and cleared in that order. func (a module-level function), kwargs
  // (None), atexit and index (untracked) are not modelled.
  st.infoType = def("_Info", {
    fields: [
      { name: "args", kind: FieldKind.Any },
      { name: "weakref", kind: FieldKind.Any },
    ],
  });
  // The generator's frame: its locals in co_varnames order (self, then GEN_LOCALS in
  // generators.ts), then its value stack (the bound __exit__, the data iterator), traversed in
  // that order, as _PyFrame_Traverse does, and the locals cleared in theirs (_PyFrame_Clear).
  // (Fields are laid out by name: f_local1..3 and gi_frame hold the locals, s_exit and s_iter
  // the stack.)
  st.generatorType = def("generator", {
    weakrefable: true,
    fields: [
      { name: "gi_frame", kind: FieldKind.Any },
      { name: "f_local1", kind: FieldKind.Any },
      { name: "f_local2", kind: FieldKind.Any },
      { name: "f_local3", kind: FieldKind.Any },
      { name: "s_exit", kind: FieldKind.Any },
      { name: "s_iter", kind: FieldKind.Any },
    ],
    finalize: (o) => genFinalize(st, o),
  });
  st.dictIterType = def("dict_itemiterator", {
    fields: [
      { name: "di_dict", kind: FieldKind.Any },
      { name: "di_result", kind: FieldKind.Any },
    ],
  });
  st.listIterType = def("list_iterator", { fields: [{ name: "it_seq", kind: FieldKind.Any }] });
  st.tupleIterType = def("tuple_iterator", { fields: [{ name: "it_seq", kind: FieldKind.Any }] });
  // The weak containers' classes: their instances hold their attributes as CPython's do (no
  // finalizer: CPython's have none). The host field, invisible to the collector and to
  // get_referents, marks a stand-in, so that its deallocation reaches containerDealloc (through
  // the engine's hostRelease) after its weakrefs are cleared and before its attributes are
  // released.
  for (const kind of ["wvd", "wkd", "wset"] as const) {
    st.containerTypes.set(
      kind,
      def(CONTAINER_CLASS[kind], {
        dynamic: true,
        weakrefable: true,
        fields: [{ name: "__container", kind: FieldKind.Host }],
      }),
    );
  }
  const hostRelease = e.hostRelease;
  e.hostRelease = (o, slot) => {
    if (st.containers.has(o)) containerDealloc(st, o);
    else if (!isStandIn(st, o)) hostRelease?.(o, slot);
  };
  // A container's `_remove` function (its `__defaults__` tuple holds `ref(self)`) and its
  // `_iterating` set: GC objects of CPython's type names.
  st.removeFunctionType = e.defineKind({ name: "function", refs: ["__defaults__"] }).id;
  st.typeNames.set(e.typeObject[st.removeFunctionType]!, "function");
  st.setType = e.defineKind({ name: "set", refs: ITERATING_SLOTS }).id;
  st.typeNames.set(e.typeObject[st.setType]!, "set");
  // A running iteration's `_IterationGuard`, its bound methods, and a WeakSet's set iterator.
  st.guardType = def("_IterationGuard", { fields: [{ name: "weakcontainer", kind: FieldKind.Any }] });
  st.boundMethodType = e.defineKind({ name: "method", refs: ["__self__"] }).id;
  st.typeNames.set(e.typeObject[st.boundMethodType]!, "method");
  st.setIterType = def("set_iterator", { fields: [{ name: "si_set", kind: FieldKind.Any }] });
  st.registry = newDict(e);
  // A slot's member descriptor and the `__dict__` / `__weakref__` getset descriptors (d_type).
  for (const name of ["member_descriptor", "getset_descriptor"] as const) {
    const id = e.defineKind({ name, refs: ["d_type"] }).id;
    st.typeNames.set(e.typeObject[id]!, name);
    st.descriptorTypes.push(id);
  }
  e.classDeallocHook = (id, t) => {
    const wr = st.subclassRefs.get(id);
    if (wr === undefined) return;
    st.subclassRefs.delete(id);
    const base = (e.types[id] as TypeInfo).base;
    const d = base === null ? undefined : st.subclassDicts.get(base.id);
    if (d === undefined) {
      decref(e, wr);
      return;
    }
    // remove_subclass: the entry goes, and an empty table is freed (Py_CLEAR(tp_subclasses))
    dictDelItem(e, d, t, false);
    if (dictSize(e, d) === 0) {
      st.subclassDicts.delete(base!.id);
      decref(e, d);
    }
  };
  for (const c of sc.classes) defineClass(st, c);
  for (const c of sc.containers) makeContainer(st, c);
}

/** Whether `o` is a weak container's stand-in. */
function isStandIn(st: RunnerState, o: number): boolean {
  const id = typeIdOf(st.e, o);
  for (const t of st.containerTypes.values()) if (t === id) return true;
  return false;
}

/**
 * `NAME = weakref.WeakValueDictionary()` (WeakKeyDictionary, WeakSet): the instance, then what
 * its `__init__` makes, in CPython's order, each stored as an attribute as it is made, so the
 * generation lists, the instance's traversal (its attributes in their order, then its class) and
 * its deallocation are CPython's:
 *
 *     WeakValueDictionary: _remove (def remove(wr, selfref=ref(self), _atomic_removal=...)),
 *                          _pending_removals = [], _iterating = set(), data = {}
 *     WeakKeyDictionary:   data = {}, _remove (def remove(k, selfref=ref(self))),
 *                          _pending_removals = [], _iterating = set(), _dirty_len = False
 *     WeakSet:             data = set(), _remove (def _remove(item, selfref=ref(self))),
 *                          _pending_removals = [], _iterating = set()
 *
 * `data` and `_pending_removals` are the Heap API container's, made by its constructor (`data`
 * first, untracked while empty, except a WeakSet's, a set); the references its handles own are
 * lent to the attributes (each handle's reference is the attribute's), so nothing outside the
 * heap holds them. The pending list is tracked again where CPython makes it, after `_remove`.
 * The defaults' `_remove_dead_weakref` (a builtin function, older than the program) is None
 * here; `ref(self)` is also held by the runner for ever (runner.py's _WCR).
 */
function makeContainer(st: RunnerState, c: ContainerDecl): void {
  const e = st.e;
  const o = newInstance(e, st.containerTypes.get(c.kind)!);
  setField(e, o, 0, 1, false); // the host field: a stand-in (see declare)
  const obj =
    c.kind === "wvd"
      ? st.heap.weakref.WeakValueDictionary()
      : c.kind === "wkd"
        ? st.heap.weakref.WeakKeyDictionary()
        : st.heap.weakref.WeakSet();
  const selfref = wrm.newRef(e, o);
  st.selfRefs.add(selfref);
  const rec: ContainerRec = { kind: c.kind, name: c.name, obj, standIn: o, selfref, disposed: false };
  const core = coreOf(rec);
  core.onKeyGone = (where) => keyGone(st, c.kind, where);
  const data = core.data("__init__");
  const pending = core.pending("__init__");
  const attr = (name: string, v: number): void => setAttr(e, o, st.str(name), v, true);
  // the handle's reference becomes the attribute's
  const lend = (name: string, v: number): void => {
    attr(name, v);
    decref(e, v);
  };
  if (c.kind !== "wvd") lend("data", data);
  const defaults = newTuple(e, c.kind === "wvd" ? 2 : 1);
  tupleSetItem(e, defaults, 0, selfref, true);
  if (c.kind === "wvd") tupleSetItem(e, defaults, 1, NONE, true);
  const fn = newObject(e, st.removeFunctionType);
  setField(e, fn, 0, defaults, true);
  decref(e, defaults);
  attr("_remove", fn);
  decref(e, fn);
  gcUntrack(e, pending);
  gcTrack(e, pending);
  lend("_pending_removals", pending);
  const iterating = newObject(e, st.setType);
  attr("_iterating", iterating);
  decref(e, iterating);
  if (c.kind === "wvd") lend("data", data);
  if (c.kind === "wkd") attr("_dirty_len", FALSE);
  st.containers.set(o, rec);
  st.labels.set(o, c.name);
  st.bindSteal(c.name, o);
}

/** The built-in types a scenario class may subclass (scenario.ts: BUILTIN_BASES), as engine bases. */
const BUILTIN_KINDS: ReadonlyMap<string, number> = new Map([
  ["list", Kind.List],
  ["dict", Kind.Dict],
  ["ref", Kind.Weakref],
]);

/**
 * A scenario class as runner.py's `S_C = type('C', (base,), ns)` makes it: bound in the globals,
 * which own it from then on (dropClass: the type table lets go, so `del C` can free it, and the
 * class is in a cycle with its mro as every CPython class is), with the objects CPython's class
 * dict holds that the collector sees. Every object is made in CPython's order, because that order
 * is the order of the generation lists (and so of `gc.get_objects()`, of the collector's visits,
 * and of `gc.garbage`):
 *
 * 1. the arguments: the finalizer functions (module-level `def`s, so the globals keep them too),
 *    the bases tuple `(A,)` when the base is a scenario class (CPython's `(object,)` or `(list,)`
 *    holds untracked objects only, so its collector untracks it), the `cb` lambda;
 * 2. in type_new: the namespace's copy, the class's dict, tracked at once when it holds one of
 *    those functions (an empty or `__slots__`-only one is tracked by its first descriptor); then
 *    the type object;
 * 3. in type_ready: the mro tuple (readyClass), then a member descriptor per slot and the getset
 *    descriptors for `__dict__` and `__weakref__` when this class adds them (its bases have
 *    neither), each referring to the class (d_type); then add_subclass's weakref.
 *
 * The temporaries of type() (the namespace literal, type_new_set_names's copy of the dict,
 * init_subclass's super object) are freed before it returns and are not made.
 */
function defineClass(st: RunnerState, c: ClassDecl): void {
  const e = st.e;
  const del = c.del;
  const tpdel = c.tpdel;
  const base = c.base === null ? undefined : (BUILTIN_KINDS.get(c.base) ?? st.classes.get(c.base)!.info);
  const ns: [string, number][] = [];
  for (const [name, acts] of [
    ["__del__", del],
    ["__tp_del__", tpdel],
  ] as const) {
    if (acts === null) continue;
    const fn = st.m.obj();
    // runner.py's module-level `_del_C` / `_tpdel_C` (a key no scenario name can be)
    st.bind(`<_${name.replaceAll("_", "")}_${c.name}>`, { v: fn, r: true });
    ns.push([name, fn]);
  }
  let bases = 0;
  if (typeof base === "object") {
    bases = newTuple(e, 1);
    tupleSetItem(e, bases, 0, e.typeObject[base.id]!, true);
  }
  if (c.cb) {
    // `lambda self, w: _cb(w)`: a function only the class dict holds, as a `def` in a class body
    const fn = newObject(e, st.methodFunctionType);
    setField(e, fn, 0, st.globals, true);
    ns.push(["cb", fn]);
  }
  let dict = 0;
  if (ns.length > 0) {
    dict = newDict(e);
    for (const [name, fn] of ns) {
      dictSetItem(e, dict, st.str(name), true, fn, true);
      decref(e, fn);
    }
  }
  const info = e.defineClass({
    name: c.name,
    fields: (c.slots ?? []).map((name) => ({ name, kind: FieldKind.Any })),
    dynamic: c.slots === null,
    weakrefable: c.weak,
    ...(base === undefined ? {} : { base }),
    ...(del === null ? {} : { finalize: (o: number) => finalizer(st, del, o, false) }),
    ...(tpdel === null ? {} : { legacyFinalize: (o: number) => finalizer(st, tpdel, o, true) }),
  });
  readyClass(e, info.id, { dict, bases });
  if (dict !== 0) decref(e, dict);
  if (bases !== 0) decref(e, bases);
  st.classes.set(c.name, { decl: c, info });
  const t = e.typeObject[info.id]!;
  st.typeNames.set(t, c.name);
  descriptors(st, c, info);
  // add_subclass: the base's (or object's) __subclasses__ table holds a basic weakref to the
  // class, so `weakref.ref(C)` returns it and `getweakrefcount(C)` counts it; type_dealloc_common
  // releases it (the engine's classDeallocHook, installed in declare). A scenario class's table
  // is a dict made for its first subclass (tracked once it holds the weakref, under the class's
  // address) and freed when its last subclass leaves it (remove_subclass); object's, list's,
  // dict's and ref's tables exist before the program (the runner's module subclasses list).
  const wr = wrm.newRef(e, t);
  st.subclassRefs.set(info.id, wr);
  if (typeof base === "object") {
    let d = st.subclassDicts.get(base.id);
    if (d === undefined) {
      d = newDict(e);
      st.subclassDicts.set(base.id, d);
    }
    dictSetItem(e, d, t, false, wr, true);
    decref(e, wr); // the table's now
  }
  st.bind(c.name, { v: t, r: true });
  dropClass(e, info.id);
}

/** type_ready's descriptors for class `c` (defineClass, step 3), stored in its dict. */
function descriptors(st: RunnerState, c: ClassDecl, info: TypeInfo): void {
  const e = st.e;
  const chain: ClassDecl[] = [];
  for (let b = c.base; b !== null && !BUILTIN_BASES.includes(b); b = st.classes.get(b)!.decl.base) {
    chain.push(st.classes.get(b)!.decl);
  }
  const names = [...(c.slots ?? [])];
  const members = names.length;
  if (c.slots === null && !chain.some((d) => d.slots === null)) names.push("__dict__");
  if (c.weak && !chain.some((d) => d.weak)) names.push("__weakref__");
  for (const [i, name] of names.entries()) {
    const d = newObject(e, st.descriptorTypes[i < members ? 0 : 1]!);
    setField(e, d, 0, e.typeObject[info.id]!, true);
    classSetAttr(e, info.id, st.str(name), d, true);
    decref(e, d);
  }
}

/**
 * The baseline: the runner's own gc callback (it logs the automatic collections), a full
 * collection, then long-lived objects until `longLived` (CPython's N) are collected into
 * generation 2; then `baseline N`.
 */
export function baseline(st: RunnerState, longLived: number): void {
  const e = st.e;
  e.gcCallbacks.unshift((phase, info) => {
    if (st.explicit === 0 && phase === "stop") {
      st.emit(`auto ${info.generation} collected=${info.collected} uncollectable=${info.uncollectable}`);
    }
  });
  gcm.collect(e);
  const l = gcm.getObjects(e, 2);
  const own = listSize(e, l);
  decref(e, l);
  // Long-lived objects standing for the interpreter's, owned by the runner for ever.
  for (let i = own; i < longLived; i++) newInstance(e, st.mirrorType);
  gcm.collect(e);
  st.stats0 = gcm.getStats(e);
  st.explicit = 0;
  st.emit(`baseline ${longLived}`);
}
