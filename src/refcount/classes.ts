/**
 * Classes as heap objects: class attributes in the type object's dict, lookup through the bases
 * (_PyType_Lookup), attribute reads that bind functions to instances, isinstance, and dropClass,
 * which lets a class die. The type object's words are drawn in src/object/instance.ts.
 *
 * A class starts owned by the heap's type table (as a module-level `class` statement's name owns
 * it). dropClass is `del C`: the table lets go, and from then on the class lives as long as
 * something refers to it: its instances, its subclasses, handles, containers, weakref callbacks.
 * Like every CPython class it is then in a cycle with its mro tuple, so only the collector frees
 * it (with its dict), even when nothing else refers to it.
 */
import { read32, write32 } from "../memory/index.js";
import {
  checkKind,
  FIRST_USER_TYPE,
  fieldSlot,
  increfRaw,
  Kind,
  newDict,
  newMethod,
  slotIsNull,
  slotIsRef,
  slotNumber,
  slotRef,
  TYPE_OBJECT_BASES,
  TYPE_OBJECT_DICT,
  TYPE_OBJECT_MRO,
  type TypeInfo,
  tupleOf,
  tupleSize,
  tupleSlot,
  typeIdOf,
  typeInfo,
  typeObjectClass,
} from "../object/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import { dictDelItemString, dictGetSlotString, dictSetItem, getAttrSlotString } from "./containers.js";
import type { RefcountHeap } from "./heap.js";
import { decref } from "./refcount.js";

/** The type object of class (or user kind) `id`; a clear error for anything else or a freed class. */
export function classObject(h: RefcountHeap, id: number, op = "classObject"): number {
  const info = typeof id === "number" ? h.types[id] : undefined;
  // Every type id from FIRST_USER_TYPE on is a class or a user kind (of any built-in base's kind).
  if (info === undefined || id < FIRST_USER_TYPE) {
    throw new HeapTypeError(
      `${op}: ${String(id)} is not a class id (use the id defineClass or defineKind returned)`,
    );
  }
  const t = h.typeObject[id]!;
  if (t === 0) throw new HeapValueError(`${op}: class ${info.name} was freed`);
  return t;
}

/** The class's dict (tp_dict), made when first needed. */
function classDict(h: RefcountHeap, t: number): number {
  let d = read32(h, t + TYPE_OBJECT_DICT);
  if (d === 0) {
    d = newDict(h);
    write32(h, t + TYPE_OBJECT_DICT, d);
  }
  return d;
}

/**
 * `C.name = v` (type_setattro): stores `v` in class `id`'s dict under `name` (a str object). A
 * value it replaces is released, which may run any code.
 */
export function classSetAttr(h: RefcountHeap, id: number, name: number, v: number, isRef: boolean): void {
  const t = classObject(h, id, "classSetAttr");
  if (h.checked) checkKind(h, name, Kind.Str, "a str name", "classSetAttr");
  dictSetItem(h, classDict(h, t), name, true, v, isRef);
}

/** `del C.name`: removes `name` from class `id`'s own dict; false when it has no such attribute. */
export function classDelAttr(h: RefcountHeap, id: number, name: string): boolean {
  const d = read32(h, classObject(h, id, "classDelAttr") + TYPE_OBJECT_DICT);
  return d !== 0 && dictDelItemString(h, d, name);
}

/**
 * The slot of `name` found in class `id`'s dict or, failing that, its bases' (_PyType_Lookup:
 * the first along the mro), or 0. Allocates nothing.
 */
export function classLookupSlot(h: RefcountHeap, id: number, name: string): number {
  classObject(h, id, "classLookup");
  // A built-in base (weakref.ref) has no type object here, and no attributes the engine knows.
  for (let c: TypeInfo | null = typeInfo(h, id); c !== null && c.id >= FIRST_USER_TYPE; c = c.base) {
    const d = read32(h, h.typeObject[c.id]! + TYPE_OBJECT_DICT);
    if (d === 0) continue;
    const p = dictGetSlotString(h, d, name);
    if (p !== 0) return p;
  }
  return 0;
}

/**
 * `o.name` as Python reads it (PyObject_GenericGetAttr), as a new reference, or 0 when `o` has
 * no such attribute (AttributeError): a declared field (an unset one is absent, as an unset slot
 * is), then `o`'s own attributes, then its class's through its bases. A function found in the
 * class (an object of a kind defined with `bind: true`) comes back bound to `o`, as a new method
 * (newMethod); other class attributes come back as they are. For a class's type object, the
 * lookup is the class's, and nothing is bound. A number is not an object: reading one throws.
 */
export function loadAttr(h: RefcountHeap, o: number, name: string): number {
  if (typeof name !== "string")
    throw new HeapTypeError(`loadAttr: the name must be a string; got a ${typeof name}`);
  const id = typeIdOf(h, o);
  if (h.typeKind[id] === Kind.Type)
    return ownedValue(h, classLookupSlot(h, typeObjectClass(h, o), name), name);
  if (h.typeKind[id] !== Kind.Instance && id < FIRST_USER_TYPE) return 0;
  const info = typeInfo(h, id);
  const field = info.fieldIndex.get(name);
  if (field !== undefined) {
    const p = fieldSlot(h, o, field);
    return slotIsNull(h, p) ? 0 : ownedValue(h, p, name);
  }
  if (info.dynamic) {
    const p = getAttrSlotString(h, o, name);
    if (p !== 0) return ownedValue(h, p, name);
  }
  if (id < FIRST_USER_TYPE) return 0;
  const p = classLookupSlot(h, id, name);
  if (p === 0 || !slotIsRef(h, p)) return ownedValue(h, p, name);
  const v = slotRef(h, p);
  if (typeInfo(h, typeIdOf(h, v)).bind) return newMethod(h, v, o);
  increfRaw(h, v);
  return v;
}

/** A new reference to the object in slot `p` (0 for none); a number is refused. */
function ownedValue(h: RefcountHeap, p: number, name: string): number {
  if (p === 0) return 0;
  if (!slotIsRef(h, p)) {
    throw new HeapTypeError(
      `loadAttr: '${name}' holds the number ${slotNumber(h, p)}, not an object; read its slot instead`,
    );
  }
  const v = slotRef(h, p);
  increfRaw(h, v);
  return v;
}

/** isinstance(o, C) for class `id`: `o`'s class is `id` or has it among its bases. */
export function isInstance(h: RefcountHeap, o: number, id: number): boolean {
  return isSubclass(h, typeIdOf(h, o), id);
}

/** issubclass(A, B) for type ids: A is B or has B among its bases. */
export function isSubclass(h: RefcountHeap, a: number, b: number): boolean {
  for (let c: TypeInfo | null = typeInfo(h, a); c !== null; c = c.base) if (c.id === b) return true;
  return false;
}

/** The type objects of class `info` and its bases that are classes (its mro as the heap holds it). */
function classChain(h: RefcountHeap, info: TypeInfo): number[] {
  const chain: number[] = [];
  // weakref.ref, list and dict, built-in bases, have no type object here: the chain holds classes.
  for (let c: TypeInfo | null = info; c !== null && c.id >= FIRST_USER_TYPE; c = c.base) {
    chain.push(h.typeObject[c.id]!);
  }
  return chain;
}

/** What CPython's type() made before the class that readyClass installs (each one is copied). */
export interface ReadyClassOptions {
  /** The class's dict, made before the class (type()'s copy of the namespace): an exact dict. */
  readonly dict?: number;
  /** The bases tuple `(Base,)` type() was given, made before the class; only for a class with a base class. */
  readonly bases?: number;
}

/**
 * type_ready for class `id`: it gets its mro tuple (the class, then its bases) and, if its base
 * is a class, its bases tuple now, rather than when it is dropped. A runtime that builds classes
 * as CPython's `type(name, bases, ns)` does calls it right after defineClass, so the class's
 * objects are made (and so tracked, and so listed by `gc.get_objects` and visited by the
 * collector) in CPython's order: the bases tuple and the namespace's copy before the type object
 * (`options`, each taking a new reference), then the mro, then whatever the class's dict gets.
 * The class stays owned by the type table until dropClass, which keeps these. Once per class,
 * before it is dropped.
 */
export function readyClass(h: RefcountHeap, id: number, options: ReadyClassOptions = {}): void {
  const t = classObject(h, id, "readyClass");
  const info = typeInfo(h, id);
  if (h.typeDropped[id] === 1 || read32(h, t + TYPE_OBJECT_MRO) !== 0) {
    throw new HeapValueError(
      `readyClass: class ${info.name} is ready already (call it once, before dropClass, which readies a class itself)`,
    );
  }
  const chain = classChain(h, info);
  const { dict = 0, bases = 0 } = options;
  if (dict !== 0) {
    if (h.checked) checkKind(h, dict, Kind.Dict, "a dict", "readyClass");
    if (typeIdOf(h, dict) !== Kind.Dict) {
      throw new HeapTypeError(
        `readyClass: the class's dict must be an exact dict, not a subclass's instance`,
      );
    }
    if (read32(h, t + TYPE_OBJECT_DICT) !== 0) {
      throw new HeapValueError(
        `readyClass: class ${info.name} has a dict already (give readyClass the dict before setting class attributes)`,
      );
    }
  }
  if (bases !== 0) {
    if (h.checked) checkKind(h, bases, Kind.Tuple, "a tuple", "readyClass");
    const p = tupleSize(h, bases) === 1 ? tupleSlot(bases, 0) : 0;
    if (chain.length < 2 || p === 0 || !slotIsRef(h, p) || slotRef(h, p) !== chain[1]) {
      throw new HeapValueError(
        `readyClass: the bases tuple must be (${info.base?.name ?? "its base class"},), and only a class whose base is a class has one`,
      );
    }
  }
  if (dict !== 0) {
    increfRaw(h, dict);
    write32(h, t + TYPE_OBJECT_DICT, dict);
  }
  write32(h, t + TYPE_OBJECT_MRO, tupleOf(h, chain));
  if (bases !== 0) increfRaw(h, bases);
  if (chain.length > 1) write32(h, t + TYPE_OBJECT_BASES, bases !== 0 ? bases : tupleOf(h, [chain[1]!]));
}

/**
 * `del C` where the module held the only name for class `id`: the type table lets go of the
 * class. The class gets its dict, its mro tuple (the class, then its bases) and, if it has a base,
 * its bases tuple, unless readyClass made them, as every CPython class has them, so it is in a
 * cycle from now on: the collector frees it once nothing else refers to it, and then
 * `newInstance` on its id fails. Its weakrefs die with it (their callbacks run). Twice for one
 * class is an error.
 */
export function dropClass(h: RefcountHeap, id: number): void {
  const t = classObject(h, id, "dropClass");
  const info = typeInfo(h, id);
  if (h.typeDropped[id] === 1) {
    throw new HeapValueError(`dropClass: class ${info.name} was dropped already (drop a class once)`);
  }
  classDict(h, t);
  if (read32(h, t + TYPE_OBJECT_MRO) === 0) readyClass(h, id);
  h.typeDropped[id] = 1;
  decref(h, t);
}
