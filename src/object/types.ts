/**
 * The type table. A type names a kind (its layout family, see kinds.ts) and, for user classes,
 * the declared fields, whether instances carry dynamic attributes and a weakref list, and
 * the finalizer. A user class also has a type object in the heap that each instance references,
 * as CPython's heap types do, so `getrefcount(Class)` and `getReferents(instance)` behave alike.
 */
import { read32, SMALL_REQUEST_THRESHOLD, sizeClassOf } from "../memory/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import { GC_HEAD_SIZE, OB_HEAD_SIZE } from "./header.js";
import { type ObjectHeap, SHARED_KEYS_MAX_SIZE } from "./heap.js";
import {
  BUILTIN_TYPE_NAMES,
  DICT_BASIC_SIZE,
  FIRST_USER_TYPE,
  KEYED_REF_TYPE,
  Kind,
  kindIsGc,
  LIST_BASIC_SIZE,
  WEAK_METHOD_TYPE,
  WEAKREF_SIZE,
} from "./kinds.js";
import { SLOT_SIZE } from "./value.js";

/** What a declared field may hold. Checked heaps reject a write of the wrong kind of value. */
export const FieldKind = {
  /** Any value: a number or a reference. */
  Any: "any",
  /** A reference to an object (or None). */
  Ref: "ref",
  /** A number, stored inline. */
  Number: "number",
  /** True or False (references to the singletons). */
  Bool: "bool",
  /** A str object. */
  Str: "str",
  /**
   * A value owned by the host (a file descriptor, a GPU buffer): the slot holds a number that
   * names it in the host's table, and the heap's `hostRelease` hook is called for it when the
   * object is deallocated. Starts at 0 (nothing held).
   */
  Host: "host",
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** A declared field of a ClassSpec: its name and what it holds. */
export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
}

/**
 * A finalizer (`__del__`). Called with the object while it is still intact; it may store a new
 * reference to the object (resurrection). See src/refcount/refcount.ts (dealloc) for when it runs.
 */
export type Finalizer = (obj: number) => void;

/** What `engine.defineClass(spec)` takes. */
export interface ClassSpec {
  readonly name: string;
  /** Declared fields. Stored, cleared and traversed in alphabetical order, like CPython's __slots__. */
  readonly fields?: readonly FieldSpec[];
  /** Instances get a table of attributes added at run time (CPython's instance __dict__). */
  readonly dynamic?: boolean;
  /** Instances can be the target of weak references. */
  readonly weakrefable?: boolean;
  readonly finalize?: Finalizer;
  /**
   * A legacy finalizer (CPython's tp_del, from C extensions before PEP 442). On refcount death
   * it runs like `finalize`, but every time; the collector does not free a cycle containing
   * such an object: the object and everything it reaches go to gc.garbage as uncollectable.
   */
  readonly legacyFinalize?: Finalizer;
  /** `__call__`: what `callObject(h, obj, ...args)` runs for an instance (as a user kind's `call`). */
  readonly call?: (obj: number, ...args: unknown[]) => unknown;
  /**
   * The base class (its TypeInfo or id; single inheritance). The subclass extends the base's
   * layout: the base's fields keep their indexes and the subclass's own fields follow them, so code
   * written for the base (fieldSlot, setField by index) works on the subclass's instances. It
   * inherits `dynamic`, `weakrefable`, `finalize` and `call` unless it gives its own (not
   * `legacyFinalize`: CPython does not inherit tp_del). Its type object holds a reference to the
   * base's, and isInstance sees its instances as the base's.
   */
  readonly base?: TypeInfo | number;
}

/**
 * What a user kind may add to the built-in behaviour (engine.defineKind; docs/engine.md, "User
 * kinds"). Each is optional and none runs on the collector's or the deallocator's hot paths for
 * plain reference slots: those are learned from the kind's layout.
 */
export interface KindHooks {
  /**
   * CPython's tp_clear, which the collector calls to break a cycle of garbage. Omitted: every
   * reference slot and item is cleared (set to NULL, then released), as for a class. `false`: the
   * kind has no tp_clear (as tuple): a cycle through its objects is broken at another member. A
   * function replaces the default; it drops references with clearField / objectSetItem.
   */
  readonly clear?: ((obj: number) => void) | false;
  /**
   * `__hash__`: the hash used when an object of the kind is a dict key. Must return an integer
   * (as CPython, -1 becomes -2); it may throw, which fails the dict operation. Omitted: identity.
   */
  readonly hash?: (obj: number) => number;
  /**
   * `__eq__`, for dict keys with equal hashes: called as the stored key's (or, when only the probing
   * key has one, the probing key's) with the other key as `(other, otherIsRef)`. It may run any
   * code, even mutate the dict being probed: the lookup then starts again, as CPython's does.
   * Omitted: identity.
   */
  readonly eq?: (obj: number, other: number, otherIsRef: boolean) => boolean;
  /** `__call__` / tp_call: what `callObject(h, obj, ...args)` runs. Omitted: not callable. */
  readonly call?: (obj: number, ...args: unknown[]) => unknown;
}

/**
 * What `engine.defineKind(spec)` takes: a kind of object laid out as a C extension type is, with
 * reference slots, raw data words and optionally a variable-size part. See docs/engine.md.
 */
export interface KindSpec extends KindHooks {
  readonly name: string;
  /** Reference slots (NULL or an object), by name, in the order given: traversed and cleared in it. */
  readonly refs?: readonly string[];
  /** Raw 32-bit data words (start at 0), by name; the collector never looks at them. */
  readonly data?: readonly string[];
  /**
   * A variable-size part: `newObject(h, id, n)` gives each object n value slots after the
   * reference slots (refs or numbers, NULL at first), as a tuple's items; traversed after them.
   */
  readonly items?: boolean;
  /** Objects can be the target of weak references. */
  readonly weakrefable?: boolean;
  readonly finalize?: Finalizer;
  readonly legacyFinalize?: Finalizer;
  /**
   * The kind's objects are functions (a descriptor, as CPython's function type is): when
   * `loadAttr` finds one in an instance's class, it gives a bound method of it and the instance.
   */
  readonly bind?: boolean;
}

/** A class as the engine knows it (what defineClass returns); `id` is the type id for newInstance. */
export interface TypeInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: Kind;
  readonly gc: boolean;
  /** Fields in layout order (alphabetical). */
  readonly fields: readonly FieldSpec[];
  readonly fieldIndex: ReadonlyMap<string, number>;
  readonly dynamic: boolean;
  readonly weakrefable: boolean;
  readonly fieldsOffset: number;
  readonly attrsOffset: number;
  readonly weaklistOffset: number;
  /** Bytes from the object's address to its end (excluding the GC head). */
  readonly basicSize: number;
  readonly finalize: Finalizer | null;
  readonly legacyFinalize: Finalizer | null;
  /** A user kind's raw data words, by name (classes: none). */
  readonly data: readonly string[];
  /** Offset of data word 0 (−1 when there are none). */
  readonly dataOffset: number;
  /** Whether objects have a variable-size part (its length at +8: ITEMS_COUNT). */
  readonly items: boolean;
  /** A user kind's hooks (a class's `call` only); null for the built-in types and classes without one. */
  readonly hooks: KindHooks | null;
  /** The base class, for a subclass (ClassSpec.base); else null. */
  readonly base: TypeInfo | null;
  /** Whether this is a user kind (defineKind) rather than a class or a built-in type. */
  readonly isKind: boolean;
  /** A kind whose objects bind to instances as methods (KindSpec.bind). */
  readonly bind: boolean;
  /**
   * The field indexes in the order CPython visits a subclass's slots (subtype_traverse,
   * subtype_clear, subtype_dealloc's clear_slots): the class's own fields, then its base's own,
   * and so on down the chain; within a level, layout order. Null when that is layout order (no
   * base, or only one level with fields).
   */
  readonly visitOrder: Int32Array | null;
}

function growTypeArrays(h: ObjectHeap, id: number): void {
  if (id < h.typeKind.length) return;
  const n = Math.max(id + 1, h.typeKind.length * 2);
  const grow8 = (a: Uint8Array): Uint8Array => {
    const b = new Uint8Array(n);
    b.set(a);
    return b;
  };
  const grow32 = (a: Int32Array): Int32Array => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  h.typeKind = grow8(h.typeKind);
  h.typeIsGc = grow8(h.typeIsGc);
  h.typeHasLegacyFinalizer = grow8(h.typeHasLegacyFinalizer);
  h.typeHasFinalizer = grow8(h.typeHasFinalizer);
  h.typeHasNumberFields = grow8(h.typeHasNumberFields);
  h.typeHasHostFields = grow8(h.typeHasHostFields);
  h.typeFastDealloc = grow8(h.typeFastDealloc);
  h.typeAllocSize = grow32(h.typeAllocSize);
  h.typeSizeClass = grow32(h.typeSizeClass);
  h.typeObject = grow32(h.typeObject);
  h.typeFieldsOffset = grow32(h.typeFieldsOffset);
  h.typeFieldCount = grow32(h.typeFieldCount);
  h.typeAttrsOffset = grow32(h.typeAttrsOffset);
  h.typeSharedUsable = grow32(h.typeSharedUsable);
  h.typeSharedCount = grow32(h.typeSharedCount);
  const strs = new Int32Array(n * SHARED_KEYS_MAX_SIZE);
  strs.set(h.sharedKeyStrs);
  h.sharedKeyStrs = strs;
  h.typeWeaklistOffset = grow32(h.typeWeaklistOffset);
  h.typeHasItems = grow8(h.typeHasItems);
  h.typeFieldsReordered = grow8(h.typeFieldsReordered);
  h.typeDropped = grow8(h.typeDropped);
}

function register(h: ObjectHeap, info: TypeInfo): void {
  growTypeArrays(h, info.id);
  h.types[info.id] = info;
  h.typeKind[info.id] = info.kind;
  h.typeIsGc[info.id] = info.gc ? 1 : 0;
  h.typeHasLegacyFinalizer[info.id] = info.legacyFinalize === null ? 0 : 1;
  h.typeFieldsOffset[info.id] = info.fieldsOffset;
  h.typeFieldCount[info.id] = info.fields.length;
  h.typeAttrsOffset[info.id] = info.attrsOffset;
  if (info.dynamic) {
    // A new class's shared keys (_PyDict_NewKeysForClass): empty, with the largest budget.
    h.typeSharedUsable[info.id] = SHARED_KEYS_MAX_SIZE;
  }
  h.typeWeaklistOffset[info.id] = info.weaklistOffset;
  h.typeHasFinalizer[info.id] = info.finalize === null ? 0 : 1;
  h.typeHasNumberFields[info.id] = info.fields.some(
    (f) => f.kind === FieldKind.Number || f.kind === FieldKind.Host,
  )
    ? 1
    : 0;
  h.typeHasHostFields[info.id] = info.fields.some((f) => f.kind === FieldKind.Host) ? 1 : 0;
  h.typeHasItems[info.id] = info.items ? 1 : 0;
  h.typeFieldsReordered[info.id] = info.visitOrder === null ? 0 : 1;
  h.typeAllocSize[info.id] = (info.gc ? GC_HEAD_SIZE : 0) + info.basicSize;
  const size = h.typeAllocSize[info.id]!;
  // A subclass of ref, list or dict is made by newRef or newInstance's general path, never by
  // the generated fast path, which must decline it.
  h.typeSizeClass[info.id] =
    size <= SMALL_REQUEST_THRESHOLD && info.kind === Kind.Instance ? sizeClassOf(size) : -1;
  h.typeFastDealloc[info.id] =
    h.fastPaths &&
    info.kind === Kind.Instance &&
    info.finalize === null &&
    info.legacyFinalize === null &&
    h.typeHasHostFields[info.id] === 0 &&
    !info.items &&
    info.visitOrder === null &&
    size <= SMALL_REQUEST_THRESHOLD
      ? 1
      : 0;
}

/** Registers the built-in types. Called once per heap. */
export function registerBuiltinTypes(h: ObjectHeap): void {
  const builtin = (id: number, kind: Kind, weaklistOffset: number): void => {
    register(h, {
      id,
      name: BUILTIN_TYPE_NAMES[id]!,
      kind,
      gc: kindIsGc(kind),
      fields: [],
      fieldIndex: new Map(),
      dynamic: false,
      weakrefable: weaklistOffset >= 0,
      fieldsOffset: OB_HEAD_SIZE,
      attrsOffset: -1,
      weaklistOffset,
      basicSize: OB_HEAD_SIZE,
      finalize: null,
      legacyFinalize: null,
      data: [],
      dataOffset: -1,
      items: false,
      hooks: null,
      base: null,
      isKind: false,
      visitOrder: null,
      bind: false,
    });
  };
  for (const kind of Object.values(Kind)) {
    if (kind === Kind.Instance) continue;
    // Type objects keep their weakref list in the word after the class id (instance.ts), as
    // CPython's types are weakrefable; no other built-in type is.
    builtin(kind, kind, kind === Kind.Type ? TYPE_OBJECT_WEAKLIST : -1);
  }
  builtin(KEYED_REF_TYPE, Kind.Weakref, -1);
  // WeakMethod's __slots__ include __weakref__ (weakref.ts: WM_WEAKLIST).
  builtin(WEAK_METHOD_TYPE, Kind.Weakref, 40);
}

/** Offset of a type object's weakref list (see instance.ts). */
export const TYPE_OBJECT_WEAKLIST = 12;

const FIELD_KINDS: ReadonlySet<string> = new Set(Object.values(FieldKind));

/**
 * Lays out and registers a user class; returns its TypeInfo. The caller creates the type object
 * (see instance.ts: defineClass), because that needs the allocator's object helpers.
 *
 * Instance layout: [refcnt][type] then, if dynamic or weakrefable, [attrs table ptr][weaklist]
 * (8 bytes), then one 8-byte value slot per field in alphabetical order (a base's fields first).
 * A subclass of ref, list or dict has that type's words in place of [refcnt][type] alone.
 */
export function layoutClass(h: ObjectHeap, spec: ClassSpec): TypeInfo {
  if (typeof spec.name !== "string" || spec.name.length === 0) {
    throw new HeapValueError("a class needs a non-empty name");
  }
  if (spec.call !== undefined && typeof spec.call !== "function") {
    throw new HeapTypeError(`class ${spec.name}: 'call' must be a function`);
  }
  const base = spec.base === undefined ? null : baseClass(h, spec.name, spec.base);
  const own = [...(spec.fields ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // The base's fields first, at the indexes they have in the base (a C struct's prefix).
  const fields = [...(base?.fields ?? []), ...own];
  const fieldIndex = new Map<string, number>();
  fields.forEach((f, i) => {
    if (fieldIndex.has(f.name)) {
      const where = base !== null && i >= base.fields.length && base.fieldIndex.has(f.name);
      throw new HeapValueError(
        `class ${spec.name}: field '${f.name}' is declared ${where ? `by its base ${base.name} already` : "twice"}`,
      );
    }
    if (!FIELD_KINDS.has(f.kind)) {
      throw new HeapTypeError(
        `class ${spec.name}: field '${f.name}' has kind '${String(f.kind)}'; use one of ${[...FIELD_KINDS].join(", ")}`,
      );
    }
    fieldIndex.set(f.name, i);
  });
  const dynamic = (spec.dynamic ?? false) || (base?.dynamic ?? false);
  const weakrefable = (spec.weakrefable ?? false) || (base?.weakrefable ?? false);
  // A subclass of weakref.ref, list or dict extends that type's words; every other class, the
  // object header.
  const kind = base === null ? Kind.Instance : base.kind;
  const head = builtinHead(kind);
  if (kind !== Kind.Instance && (spec.finalize !== undefined || spec.legacyFinalize !== undefined)) {
    throw new HeapTypeError(
      `class ${spec.name}: a subclass of ${BUILTIN_TYPE_NAMES[kind]} cannot have a finalizer here`,
    );
  }
  const extra = dynamic || weakrefable ? 8 : 0;
  const fieldsOffset = head + extra;
  const id = Math.max(FIRST_USER_TYPE, h.types.length);
  if (id > 0xffff)
    throw new HeapValueError(`too many classes in one heap (at most ${0x10000 - FIRST_USER_TYPE})`);
  const call = spec.call ?? base?.hooks?.call;
  const info: TypeInfo = {
    id,
    name: spec.name,
    kind,
    gc: true,
    fields,
    fieldIndex,
    dynamic,
    weakrefable,
    fieldsOffset,
    attrsOffset: dynamic ? head : -1,
    weaklistOffset: weakrefable ? head + 4 : -1,
    basicSize: fieldsOffset + SLOT_SIZE * fields.length,
    finalize: spec.finalize ?? base?.finalize ?? null,
    // tp_del is not inherited (inherit_slots does not copy it): python3 runs an
    // `_testcapi.with_tp_del` class's tp_del for its own instances only.
    legacyFinalize: spec.legacyFinalize ?? null,
    data: [],
    dataOffset: -1,
    items: false,
    hooks: call === undefined ? null : { call },
    base,
    isKind: false,
    bind: false,
    visitOrder: levelOrder(base, fields.length),
  };
  register(h, info);
  return info;
}

/**
 * A subclass's fields level by level, most derived first (see TypeInfo.visitOrder); null when
 * that is layout order.
 */
function levelOrder(base: TypeInfo | null, count: number): Int32Array | null {
  const order: number[] = [];
  let end = count;
  for (let c = base; ; c = c.base) {
    const start = c === null ? 0 : c.fields.length;
    for (let i = start; i < end; i++) order.push(i);
    if (c === null) break;
    end = start;
  }
  return order.every((f, i) => f === i) ? null : Int32Array.from(order);
}

/** The built-in types a class may subclass (by their type ids, which equal their kinds). */
const BUILTIN_BASES: ReadonlySet<number> = new Set([Kind.Weakref, Kind.List, Kind.Dict]);

/**
 * Where a class's own part starts in objects of kind `kind`: after the object header for an
 * instance; after a ref's, list's or dict's words (rounded to 8, so value slots stay aligned) for
 * a subclass of one.
 */
function builtinHead(kind: Kind): number {
  const size =
    kind === Kind.Weakref
      ? WEAKREF_SIZE
      : kind === Kind.List
        ? LIST_BASIC_SIZE
        : kind === Kind.Dict
          ? DICT_BASIC_SIZE
          : OB_HEAD_SIZE;
  return (size + 7) & ~7;
}

/**
 * ClassSpec.base, checked: a live class defined with defineClass (not a user kind), or one of
 * the built-in types weakref.ref, list and dict (`Kind.Weakref`, `Kind.List`, `Kind.Dict`).
 */
function baseClass(h: ObjectHeap, name: string, b: TypeInfo | number): TypeInfo {
  const id = typeof b === "number" ? b : b?.id;
  const info = typeof id === "number" ? (h.types[id] as TypeInfo | undefined) : undefined;
  if (info !== undefined && BUILTIN_BASES.has(info.id)) return info;
  if (
    info === undefined ||
    (info.kind !== Kind.Instance && !BUILTIN_BASES.has(info.kind)) ||
    info.isKind ||
    info.id < FIRST_USER_TYPE
  ) {
    throw new HeapTypeError(
      `class ${name}: its base must be a class defined with defineClass, or weakref.ref, list or dict (Kind.Weakref, Kind.List, Kind.Dict)`,
    );
  }
  if (h.typeObject[info.id] === 0) {
    throw new HeapValueError(`class ${name}: its base ${info.name} was freed`);
  }
  return info;
}

/** Offset of the item count in objects of a kind with a variable-size part. */
export const ITEMS_COUNT = 8;

function checkNames(kind: string, what: string, names: unknown): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string" || n.length === 0)) {
    throw new HeapTypeError(`kind ${kind}: '${what}' must be an array of non-empty names`);
  }
  return names as string[];
}

const HOOKS = ["clear", "hash", "eq", "call"] as const;

/**
 * Lays out and registers a user kind (engine.defineKind); returns its TypeInfo. A kind is an
 * instance layout the collector, the deallocator and the verifier already know, so every fast
 * path that serves classes serves it: its reference slots are fields of kind `ref`.
 *
 *   >obj +0 [refcnt] +4 [type]
 *        +8 [item count] +12 [weakref list head or 0]       (if items or weakrefable)
 *        data words, 4 bytes each, padded to 8              (if any)
 *        one 8-byte value slot per reference slot, in the order given
 *        one 8-byte value slot per item                     (if items)
 */
export function layoutKind(h: ObjectHeap, spec: KindSpec, builtinId = 0): TypeInfo {
  if (spec === null || typeof spec !== "object") throw new HeapTypeError("defineKind takes a spec object");
  const name = spec.name;
  if (typeof name !== "string" || name.length === 0)
    throw new HeapValueError("a kind needs a non-empty name");
  const refs = checkNames(name, "refs", spec.refs);
  const data = checkNames(name, "data", spec.data);
  const seen = new Set<string>();
  for (const n of [...refs, ...data]) {
    if (seen.has(n)) throw new HeapValueError(`kind ${name}: '${n}' is declared twice`);
    seen.add(n);
  }
  for (const hook of HOOKS) {
    const f: unknown = spec[hook];
    if (f !== undefined && typeof f !== "function" && !(hook === "clear" && f === false)) {
      throw new HeapTypeError(`kind ${name}: '${hook}' must be a function`);
    }
  }
  const items = spec.items ?? false;
  const weakrefable = spec.weakrefable ?? false;
  const extra = items || weakrefable ? 8 : 0;
  const dataOffset = data.length === 0 ? -1 : OB_HEAD_SIZE + extra;
  const fieldsOffset = OB_HEAD_SIZE + extra + 8 * Math.ceil((4 * data.length) / 8);
  // A built-in type laid out as a kind (method.ts) has a reserved id below the user types'.
  const id = builtinId !== 0 ? builtinId : Math.max(FIRST_USER_TYPE, h.types.length);
  if (id > 0xffff)
    throw new HeapValueError(`too many types in one heap (at most ${0x10000 - FIRST_USER_TYPE})`);
  const fields: FieldSpec[] = refs.map((n) => ({ name: n, kind: FieldKind.Ref }));
  const hooks: KindHooks = {
    ...(spec.clear !== undefined && { clear: spec.clear }),
    ...(spec.hash !== undefined && { hash: spec.hash }),
    ...(spec.eq !== undefined && { eq: spec.eq }),
    ...(spec.call !== undefined && { call: spec.call }),
  };
  const info: TypeInfo = {
    id,
    name,
    kind: Kind.Instance,
    gc: true,
    fields,
    fieldIndex: new Map(refs.map((n, i) => [n, i])),
    dynamic: false,
    weakrefable,
    fieldsOffset,
    attrsOffset: -1,
    weaklistOffset: weakrefable ? OB_HEAD_SIZE + 4 : -1,
    basicSize: fieldsOffset + SLOT_SIZE * fields.length,
    finalize: spec.finalize ?? null,
    legacyFinalize: spec.legacyFinalize ?? null,
    data,
    dataOffset,
    items,
    hooks,
    base: null,
    isKind: builtinId === 0,
    visitOrder: null,
    bind: spec.bind ?? false,
  };
  register(h, info);
  return info;
}

/**
 * The `call` hook of `o`'s class or user kind (tp_call); throws CPython's TypeError
 * "'X' object is not callable" when it has none.
 */
export function callHookOf(h: ObjectHeap, o: number): (obj: number, ...args: unknown[]) => unknown {
  const id = read32(h, o + 4) & 0xffff;
  const kind = h.typeKind[id];
  const call = kind === Kind.Instance || kind === Kind.Weakref ? typeInfo(h, id).hooks?.call : undefined;
  if (call === undefined) throw new HeapTypeError(`'${typeInfo(h, id).name}' object is not callable`);
  return call;
}

/** The TypeInfo of a type id. */
export function typeInfo(h: ObjectHeap, id: number): TypeInfo {
  return h.types[id] as TypeInfo;
}
