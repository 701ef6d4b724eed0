/**
 * Instances of user classes, and the classes' type objects.
 *
 * Instance (a GC object; the attrs/weaklist word pair exists only if the class is dynamic or
 * weakrefable):
 *
 *   -8 [gc_next] -4 [gc_prev]
 *   >obj +0 [refcnt] +4 [type]
 *        +8 [attrs: values array, dict, or 0] +12 [weakref list head or 0]    (optional)
 *        then one 8-byte value slot per declared field, alphabetical
 *
 * A one-field instance of a class with neither option is 24 bytes, a 32-byte block (CPython: 48).
 *
 * Type object (a GC object; CPython's heap type, PyHeapTypeObject):
 *
 *   -8 [gc_next] -4 [gc_prev]
 *   >t +0 [refcnt] +4 [type = type] +8 [the class's type id] +12 [weakref list head or 0]
 *      +16 [dict]  +20 [mro]  +24 [base]  +28 [bases]
 *
 *   | word  | holds                                   | 0 means                 | CPython    |
 *   |-------|-----------------------------------------|-------------------------|------------|
 *   | dict  | a dict object: the class attributes     | none set yet            | tp_dict    |
 *   | mro   | a tuple (the class, its base, …)        | not readied yet         | tp_mro     |
 *   |       |                                         | (readyClass, dropClass) |            |
 *   | base  | the base class's type object            | no base                 | tp_base    |
 *   | bases | a tuple (the base,)                     | no base, or not readied | tp_bases   |
 *
 * Each non-zero word owns a reference. The dict and the tuples are made when first needed (the
 * tuples by readyClass, or when the type table lets go of the class: from then on the class is in
 * a cycle with its mro, as every CPython class is, and only the collector frees it). A class without a base has no
 * bases tuple: CPython's `(object,)` holds only an untracked object, so its collector stops
 * tracking it and does not count it. Traversed dict, mro, bases, base (type_traverse); tp_clear
 * clears the dict's contents and the mro (type_clear); released base, dict, bases, mro
 * (type_dealloc).
 */
import { BlockState, free, malloc, read32, setBlockState, write32 } from "../memory/index.js";
import { HeapValueError } from "../util/index.js";
import { allocGcObject, gcLink, gcLinkUndo } from "./alloc.js";
import { GC_HEAD_SIZE, gcTrackNew, increfRaw, initHeader, OB_HEAD_SIZE, typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { FIRST_USER_TYPE, Kind } from "./kinds.js";
import { instanceAllocator } from "./specialize.js";
import {
  type ClassSpec,
  FieldKind,
  ITEMS_COUNT,
  type KindSpec,
  layoutClass,
  layoutKind,
  TYPE_OBJECT_WEAKLIST,
  type TypeInfo,
  typeInfo,
} from "./types.js";
import { SLOT_SIZE, setSlotNull, setSlotNumber } from "./value.js";

export const TYPE_OBJECT_CLASS = 8;
/** The type object's words (see the table above). */
export const TYPE_OBJECT_DICT = 16;
export const TYPE_OBJECT_MRO = 20;
export const TYPE_OBJECT_BASE = 24;
export const TYPE_OBJECT_BASES = 28;
const TYPE_OBJECT_SIZE = 32;

/** Registers a class and creates its type object, which the type table keeps alive until dropClass. */
export function defineClass(h: ObjectHeap, spec: ClassSpec): TypeInfo {
  return defineType(h, () => layoutClass(h, spec));
}

/** Registers a user kind (see types.ts: layoutKind) and creates its type object, as defineClass. */
export function defineKind(h: ObjectHeap, spec: KindSpec, builtinId = 0): TypeInfo {
  return defineType(h, () => layoutKind(h, spec, builtinId));
}

function defineType(h: ObjectHeap, layout: () => TypeInfo): TypeInfo {
  // The type object first: if there is no memory for it, no type was registered.
  const link = gcLink(h);
  const t = allocGcObject(h, TYPE_OBJECT_SIZE, Kind.Type, -1, link);
  let info: TypeInfo;
  try {
    info = layout();
  } catch (e) {
    free(h, t - GC_HEAD_SIZE); // never tracked, never seen: as if it had not been allocated
    gcLinkUndo(h, -1, link);
    throw e;
  }
  write32(h, t + TYPE_OBJECT_CLASS, info.id);
  write32(h, t + TYPE_OBJECT_WEAKLIST, 0);
  write32(h, t + TYPE_OBJECT_DICT, 0);
  write32(h, t + TYPE_OBJECT_MRO, 0);
  const base = info.base === null ? 0 : h.typeObject[info.base.id]!;
  if (base !== 0) increfRaw(h, base);
  write32(h, t + TYPE_OBJECT_BASE, base);
  write32(h, t + TYPE_OBJECT_BASES, 0);
  gcTrackNew(h, t);
  h.typeObject[info.id] = t;
  // Only a heap with the generated fast paths gets the class's allocator (newInstance).
  if (h.fastPaths) h.typeNew[info.id] = instanceAllocator(h, info, ALLOCATOR_HELPERS);
  return info;
}

/**
 * Creates an instance (refcount 1, tracked, holding a reference to its type object). Reference
 * fields start NULL and number fields 0.
 */
export function newInstance(h: ObjectHeap, typeId: number): number {
  // The class's own generated allocator (specialize.ts): undefined for an id that is no class,
  // and for every class of a heap without the generated fast paths (checked heaps, and the tests'
  // reference heaps). Testing for it, not for `h.fastPaths`, keeps a field test out of the
  // hot loop (W1's build 0.5 ns per object faster in alternating pairs).
  const alloc = h.typeNew[typeId];
  if (alloc !== undefined) {
    const o = alloc(h);
    if (o !== 0) return o;
  }
  if (h.checked) checkInstanceType(h, typeId);
  return newInstanceGeneral(h, typeId);
}

/**
 * newInstance's general path, which serves every request (and is the fast path's reference);
 * `items` is the length of a user kind's variable-size part (newObject).
 */
function newInstanceGeneral(h: ObjectHeap, typeId: number, items = 0): number {
  // The hot path of every program: per-type data comes from typed arrays, not the TypeInfo.
  if (h.typeKind[typeId] !== Kind.Instance) return newBuiltinSubclassInstance(h, typeId);
  if (h.typeObject[typeId] === 0) classFreed(h, typeId);
  const link = gcLink(h);
  let block: number;
  try {
    block = malloc(h, h.typeAllocSize[typeId]! + SLOT_SIZE * items);
  } catch (e) {
    gcLinkUndo(h, -1, link);
    throw e;
  }
  if (h.checked) setBlockState(h, block, BlockState.GcObject);
  const o = block + GC_HEAD_SIZE;
  initHeader(h, o, typeId);
  initInstanceParts(h, o, typeId, OB_HEAD_SIZE, items);
  gcTrackNew(h, o);
  return o;
}

/**
 * `L()` for a subclass of list or dict: an empty one (list: no items; dict: no table), with the
 * class's part after the list's or dict's words. Allocated as PyType_GenericAlloc does — no
 * freelist, and tracked from the start, even a dict (an exact dict starts untracked). Anything
 * else that is not a class (a subclass of ref needs a referent) is refused.
 */
function newBuiltinSubclassInstance(h: ObjectHeap, typeId: number): number {
  checkInstanceType(h, typeId);
  if (h.typeObject[typeId] === 0) classFreed(h, typeId);
  const link = gcLink(h);
  const o = allocGcObject(h, h.typeAllocSize[typeId]! - GC_HEAD_SIZE, typeId, -1, link);
  // All words after the header 0: an empty list (size, items, allocated) or dict (no table, keys
  // kind DICT_KEYS_STR), then the class's part.
  initInstanceParts(h, o, typeId, OB_HEAD_SIZE, 0);
  gcTrackNew(h, o);
  return o;
}

/**
 * Initialises what a class's object has after its `head` bytes (the object header, or a ref
 * subclass's ref words, which allocWeakref wrote): the attrs and weakref-list words (or a user kind's item count, weakref
 * list and data words) 0, fields NULL (number fields 0), and the object's reference to its type.
 */
export function initInstanceParts(
  h: ObjectHeap,
  o: number,
  typeId: number,
  head: number,
  items: number,
): void {
  const fieldsOffset = h.typeFieldsOffset[typeId]!;
  if (fieldsOffset !== head) {
    for (let p = o + head; p < o + fieldsOffset; p += 4) write32(h, p, 0);
    // init_inline_values: many instances predict few names (0 for classes without shared keys).
    // A subclass of ref, list or dict gets no inline values (only object.__new__ makes them).
    const usable = h.typeSharedUsable[typeId]!;
    if (usable > 1 && h.typeKind[typeId] === Kind.Instance) h.typeSharedUsable[typeId] = usable - 1;
  }
  if (items !== 0) write32(h, o + ITEMS_COUNT, items);
  const nf = h.typeFieldCount[typeId]! + items;
  for (let i = 0, p = o + fieldsOffset; i < nf; i++, p += SLOT_SIZE) setSlotNull(h, p);
  if (h.typeHasNumberFields[typeId] === 1) zeroNumberFields(h, o, typeId);
  increfRaw(h, h.typeObject[typeId]!);
}

/**
 * Creates an object of a class or user kind, as newInstance; `items` is the length of a kind's
 * variable-size part (its slots start NULL). Its size is fixed for the object's life, as a tuple's.
 */
export function newObject(h: ObjectHeap, typeId: number, items = 0): number {
  if (items === 0) return newInstance(h, typeId);
  if (h.checked) checkInstanceType(h, typeId);
  if (!(h.typeHasItems[typeId] === 1 && Number.isInteger(items) && items > 0 && items <= MAX_ITEMS)) {
    const name =
      typeof typeId === "number" && h.types[typeId] !== undefined ? h.types[typeId]!.name : String(typeId);
    throw new HeapValueError(
      h.typeHasItems[typeId] === 1
        ? `newObject: ${String(items)} is not a valid item count for ${name} (0 to ${MAX_ITEMS})`
        : `newObject: ${name} has no variable-size part; define the kind with items: true`,
    );
  }
  return newInstanceGeneral(h, typeId, items);
}

/** The most items one object may have (its block stays below 2 GiB). */
const MAX_ITEMS = 0x0fffffff;

/**
 * A class whose type object was freed (dropClass, then nothing referred to it) makes no more
 * instances. (Its allocator declines from then on, so the fast path comes here: deallocType.)
 */
function classFreed(h: ObjectHeap, typeId: number): never {
  throw new HeapValueError(
    `newInstance: class ${h.types[typeId]!.name} was freed (it was dropped and nothing referred to it); ` +
      "keep a reference to its type object to keep the class",
  );
}

/** Checked heaps: `typeId` must be a class defined with defineClass (TypeInfo.id). */
function checkInstanceType(h: ObjectHeap, typeId: unknown): void {
  if (
    typeof typeId !== "number" ||
    !Number.isInteger(typeId) ||
    typeId < 0 ||
    typeId >= h.types.length ||
    !(
      h.typeKind[typeId] === Kind.Instance ||
      (typeId >= FIRST_USER_TYPE && (h.typeKind[typeId] === Kind.List || h.typeKind[typeId] === Kind.Dict))
    )
  ) {
    const info = typeof typeId === "number" ? h.types[typeId] : undefined;
    if (
      info !== undefined &&
      h.typeKind[typeId as number] === Kind.Weakref &&
      (typeId as number) >= FIRST_USER_TYPE
    ) {
      throw new HeapValueError(
        `newInstance: ${info.name} is a subclass of weakref.ref; make one with weakref.newRef(h, o, callback, ${info.id})`,
      );
    }
    const what = info !== undefined ? `the built-in type '${info.name}'` : String(typeId);
    throw new HeapValueError(`newInstance: ${what} is not a class id (use the id defineClass returned)`);
  }
}

// #region generated: carveNextBlock (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * The pool's free list ran dry (extendPool): hand out its next never-used block, or return false,
 * changing nothing, when the pool would become full (the general path then retires it).
 */
export function carveNextBlock(h: ObjectHeap, pool: number, c: number): boolean {
  const i32 = h.i32;
  const pw = pool >> 2;
  const off = i32[pw + 6]!;
  if (off > i32[pw + 7]!) return false;
  const fb = pool + off;
  i32[pw + 1] = fb;
  i32[pw + 6] = off + ((c + 1) << 4);
  i32[fb >> 2] = 0;
  return true;
}

/** The trace event malloc sends for the block. */
function traceAlloc(h: ObjectHeap, bp: number, t: number): void {
  h.trace!({ kind: "alloc", addr: bp, size: h.typeAllocSize[t]! });
}
// #endregion generated: carveNextBlock

/** What the classes' generated allocators call (specialize.ts). */
const ALLOCATOR_HELPERS = { carve: carveNextBlock, traceAlloc };

function zeroNumberFields(h: ObjectHeap, o: number, typeId: number): void {
  const fields = typeInfo(h, typeId).fields;
  const first = o + h.typeFieldsOffset[typeId]!;
  for (let i = 0; i < fields.length; i++) {
    const kind = fields[i]!.kind;
    if (kind === FieldKind.Number || kind === FieldKind.Host) setSlotNumber(h, first + SLOT_SIZE * i, 0);
  }
}

/** The length of an object's variable-size part (0 for types without one). */
export function itemsCount(h: ObjectHeap, o: number): number {
  return h.typeHasItems[read32(h, o + 4) & 0xffff] === 1 ? read32(h, o + ITEMS_COUNT) : 0;
}

/** Address of item `i`'s slot (a user kind's items follow its reference slots). */
export function itemSlot(h: ObjectHeap, o: number, i: number): number {
  const id = read32(h, o + 4) & 0xffff;
  return o + h.typeFieldsOffset[id]! + SLOT_SIZE * (h.typeFieldCount[id]! + i);
}

/** Address of field `i`'s slot. */
export function fieldSlot(h: ObjectHeap, o: number, i: number): number {
  return o + h.typeFieldsOffset[read32(h, o + 4) & 0xffff]! + SLOT_SIZE * i;
}

/*
 * The attrs word (+8) of an instance of a dynamic class: where its attributes live (master copy:
 * docs/layout.md, "The attrs word"). CPython 3.11 keeps them in a values array indexed by the
 * class's shared keys until a name does not fit (sharedkeys.ts), then materialises a dict.
 *
 *             3                   2                   1
 *           1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
 *          ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┼─┼─┴─┴─┤
 *       +8 │      values array address (raw block: 16-aligned)     │0│0 0 0│  values state
 *          ├───────────────────────────────────────────────────────┼─┼─────┤
 *       +8 │      dict object address (GC object: block + 8)       │1│0 0 0│  materialised
 *          └───────────────────────────────────────────────────────┴─┴─────┘
 *
 * Bit 3 (ATTRS_DICT_BIT) is a tag the allocator provides: raw blocks are 16-aligned and a GC
 * object's address is its block + 8, so the word is used as an address without masking.
 *
 *   | word        | state        | attributes live in                   | CPython 3.11             |
 *   |-------------|--------------|--------------------------------------|--------------------------|
 *   | 0           | values       | nowhere: none stored yet, or         | values array, dict NULL  |
 *   |             |              | released by dealloc / clear          |                          |
 *   | array       | values       | the instance's values array          | values array indexed by  |
 *   | (bit 3 = 0) |              | (values.ts), slot i = shared name i  | the shared keys          |
 *   | dict        | materialised | a dict object the instance owns one  | values NULL, managed     |
 *   | (bit 3 = 1) |              | reference to (a split dict at first) | dict pointer set         |
 *
 * Transitions: 0 → array at the first setAttr of a shared name; array → bigger array when the
 * instance stores a name the class learned after the array was made; 0 or array → dict when
 * setAttr or delAttr meets a name that does not fit (the dict's table is built from the array in
 * insertion order: make_dict_from_instance_attributes); array or dict → 0 when dealloc or the
 * collector's clear releases them. A dict never goes back to an array.
 */

/** Offset of the attrs word in instances of dynamic classes (their typeAttrsOffset). */
export const INSTANCE_ATTRS = 8;
/** Set in the attrs word when it holds a dict object rather than a values array. */
export const ATTRS_DICT_BIT = 8;

/**
 * The attrs word: 0, a values array, or (ATTRS_DICT_BIT set) a dict object. Dynamic classes only;
 * at typeAttrsOffset (INSTANCE_ATTRS for instances; after the built-in type's words for a subclass
 * of ref, list or dict).
 */
export function attrsWord(h: ObjectHeap, o: number): number {
  return read32(h, o + h.typeAttrsOffset[typeIdOf(h, o)]!);
}
/** True if attrs word `w` holds a dict object (the instance's attributes were materialised). */
export function attrsIsDict(w: number): boolean {
  return (w & ATTRS_DICT_BIT) !== 0;
}
export function setAttrsWord(h: ObjectHeap, o: number, w: number): void {
  write32(h, o + h.typeAttrsOffset[typeIdOf(h, o)]!, w);
}
/** The class a type object describes. */
export function typeObjectClass(h: ObjectHeap, t: number): number {
  return read32(h, t + TYPE_OBJECT_CLASS);
}
