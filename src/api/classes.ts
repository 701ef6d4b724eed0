/**
 * User classes with typed fields. `heap.defineClass("Node", { fields: { next: "self", n: "number" } })`
 * returns a class whose `new()` makes instances with generated accessors: `a.next = b` takes a
 * reference to b and releases the old value, `a.next` returns a borrowed handle (or null), `a.n` is a
 * number stored inline. Field types:
 *
 *   | type            | JS value            | stored as                                   |
 *   |-----------------|---------------------|---------------------------------------------|
 *   | "number"        | number              | inline float64                              |
 *   | "bool"          | boolean             | a reference to True or False                |
 *   | "str"           | string or null      | a str object (or None)                      |
 *   | "ref"           | handle or null      | a reference to any object                   |
 *   | "self"          | instance or null    | a reference to an instance of this class    |
 *   | another class   | its instance / null | a reference to an instance of that class    |
 *   | "any"           | any Value           | a number inline or a reference              |
 *   | hostField(close)| any JS value / null | a host table entry, closed on deallocation  |
 */
import type { FieldSpec } from "../object/index.js";
import {
  FALSE,
  FieldKind,
  NONE,
  newInstance,
  newStr,
  SLOT_SIZE,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  TRUE,
  TYPE_ID_MASK,
  typeIdOf,
  typeWordOf,
} from "../object/index.js";
import {
  attrNameString,
  decref,
  delAttr,
  delAttrString,
  getAttrSlotString,
  incref,
  setAttr,
  setField,
} from "../refcount/index.js";
import { HeapTypeError, HeapValueError } from "../util/index.js";
import { argFunction, argObject, argOptionalFunction } from "./args.js";
import { type HeapContext, refuseAsync } from "./context.js";
import {
  addressOf,
  allOrNothing,
  Handle,
  type HandleMaker,
  type HandleObject,
  handleMaker,
  hostOf,
  jsDescription,
  makeHandle,
  Ownership,
  storeValue,
  type Value,
} from "./handle.js";

/** A field that owns a host value (a file descriptor, a socket, a GPU buffer). */
export interface HostField<T> {
  readonly kind: "host";
  /** Called with the value when it is dropped: on replacement, or when its object is deallocated. */
  readonly close: (value: T) => void;
}

/** Declares a host-value field; `close` runs exactly when the value is dropped: on replacement, or when the object is deallocated. */
export function hostField<T>(close: (value: T) => void): HostField<T> {
  return { kind: "host", close };
}

/** A HeapClass with any fields, as a field type: the field holds a reference to its instances. */
// biome-ignore lint/suspicious/noExplicitAny: the field map of an arbitrary class; instances stay precisely typed
type AnyClass = HeapClass<any>;
/**
 * A field's type in a class's `fields`, and what the field holds:
 * - "number": a number, stored inline
 * - "bool": a boolean (a reference to True or False)
 * - "str": a string or null (a str object, or None)
 * - "ref": a handle or null (a reference to any object)
 * - "self": an instance of this class, or null
 * - another class (a HeapClass): an instance of that class, or null
 * - `() => C`, a function returning a class: the same, for a class defined later (two classes whose
 *   fields refer to each other); it is called when the field is first written
 * - "any": any Value (a number inline, or a reference)
 * - hostField(close): any JS value or null, in a host table; `close` runs when it is dropped
 */
export type FieldType =
  | "number"
  | "bool"
  | "str"
  | "ref"
  | "self"
  | "any"
  | AnyClass
  | (() => AnyClass)
  | HostField<never>;
/** A class's fields: name to FieldType. */
export type FieldsSpec = { readonly [name: string]: FieldType };

/** The JS type of a field of type T in a class with fields F and methods M. */
export type FieldValue<T, F extends FieldsSpec, M = Record<never, never>> = T extends "number"
  ? number
  : T extends "bool"
    ? boolean
    : T extends "str"
      ? string | null
      : T extends "ref"
        ? Handle | null
        : T extends "self"
          ? Instance<F, M> | null
          : T extends "any"
            ? Value
            : T extends HeapClass<infer G, infer N>
              ? Instance<G, N> | null
              : T extends () => HeapClass<infer G, infer N>
                ? Instance<G, N> | null
                : T extends HostField<infer V>
                  ? V | null
                  : never;

/**
 * A class's methods as `defineClass` takes them: each receives the instance (`self`) first, as a
 * Python method does, then the caller's arguments.
 */
export type MethodsSpec<F extends FieldsSpec> = {
  /** A method: the instance first, then the caller's arguments. */
  // biome-ignore lint/suspicious/noExplicitAny: a method's arguments are its own business; calls stay typed (BoundMethods)
  readonly [name: string]: (self: Instance<F>, ...args: any[]) => unknown;
};

/** Methods as called on an instance handle: `self` bound, the rest of the parameters and the result kept. */
export type BoundMethods<M> = {
  // biome-ignore lint/suspicious/noExplicitAny: matches any method; the bound signature is precise
  [K in keyof M]: M[K] extends (self: any, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** An instance handle of a class with fields F and methods M: one accessor per field, M bound. */
export type Instance<F extends FieldsSpec, M = Record<never, never>> = InstanceHandle & {
  -readonly [K in keyof F]: FieldValue<F[K], F, M>;
} & BoundMethods<M>;

/**
 * The handle type of an instance of class `C` (what `C.new()` returns), for annotations:
 * `let head: InstanceOf<typeof Node> | null`.
 */
// biome-ignore lint/suspicious/noExplicitAny: matches any class; the result is precisely typed
export type InstanceOf<C extends HeapClass<any, any>> =
  C extends HeapClass<infer F, infer M> ? Instance<F, M> : never;

/** The options of `heap.defineClass(name, options)`. */
export interface ClassOptions<F extends FieldsSpec, M extends MethodsSpec<F> = Record<never, never>> {
  /** The declared fields: name to FieldType. */
  readonly fields?: F;
  /**
   * Methods, called on instance handles: `methods: { area(self) { return self.w * self.h } }`
   * makes `r.area()`. A call runs in a scope of its own, as a Python call has its own frame: the
   * handles it makes are released when it returns, except the one it returns (see heap.scope).
   */
  readonly methods?: M & MethodsSpec<F>;
  /** Python's __del__: runs once, before the fields are released; may resurrect `self` by storing it. */
  readonly finalize?: (self: Instance<F>) => void;
  /** Instances can be targets of weak references (used by the weakref module). */
  readonly weakrefable?: boolean;
  /** Instances get a table for attributes added at run time: getAttr/setAttr/delAttr. */
  readonly dynamic?: boolean;
}

/**
 * A class made by `heap.defineClass()`: its instances have one accessor per declared field and
 * its methods M.
 */
export interface HeapClass<F extends FieldsSpec, M = Record<never, never>> {
  /** The class's name, as given to defineClass. */
  readonly name: string;
  /** The engine's type id (for newInstance and friends in "refheap/core"). */
  readonly id: number;
  /** Field names in layout (alphabetical) order. */
  readonly fieldNames: readonly string[];
  /** Makes an instance, optionally setting fields. */
  "new"(init?: { [K in keyof F]?: FieldValue<F[K], F, M> }): Instance<F, M>;
  /** True if `value` is a handle to an instance of this class. */
  isInstance(value: unknown): value is Instance<F, M>;
}

/** The base of every instance handle; adds the dynamic-attribute methods. */
export class InstanceHandle extends Handle {
  /** getattr(o, name): the attribute's value, or undefined when absent. Dynamic classes only. */
  getAttr(name: string): Value | undefined {
    const host = hostOf(this);
    const o = addressOf(this, "getAttr");
    const p = getAttrSlotString(host.engine, o, attrName(name, "getAttr"));
    return p === 0 ? undefined : host.decode(p);
  }

  /** setattr(o, name, value). Dynamic classes only. */
  setAttr(name: string, value: Value): void {
    const host = hostOf(this);
    const e = host.engine;
    const o = addressOf(this, "setAttr");
    // An existing attribute's name str is reused: replacing a value needs no memory.
    const existing = attrNameString(e, o, attrName(name, "setAttr"));
    if (existing !== 0) {
      storeValue(host, value, "setAttr", o, (v, isRef) => setAttr(e, o, existing, v, isRef));
      return;
    }
    const key = newStr(e, name);
    try {
      storeValue(host, value, "setAttr", o, (v, isRef) => setAttr(e, o, key, v, isRef));
    } finally {
      decref(e, key);
    }
  }

  /** delattr(o, name); returns false if there was no such attribute. */
  delAttr(name: string): boolean {
    const host = hostOf(this);
    const e = host.engine;
    const o = addressOf(this, "delAttr");
    if (delAttrString(e, o, attrName(name, "delAttr"))) return true; // present: no memory needed
    const key = newStr(e, name);
    try {
      return delAttr(e, o, key);
    } finally {
      decref(e, key);
    }
  }
}

/** Checks an attribute name argument: a string (WRONG_TYPE, naming the argument, otherwise). */
function attrName(name: unknown, op: string): string {
  if (typeof name !== "string") {
    throw new HeapTypeError(`${op}: the attribute name must be a string; got ${jsDescription(name)}`);
  }
  return name;
}

/** Names a field may not take: the members every instance handle already has. */
const RESERVED: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Handle.prototype),
  ...Object.getOwnPropertyNames(InstanceHandle.prototype),
]);

function isHostField(t: FieldType): t is HostField<never> {
  return typeof t === "object" && "kind" in t && t.kind === "host";
}

function engineKind(t: FieldType): FieldSpec["kind"] {
  if (isHostField(t)) return FieldKind.Host;
  if (typeof t === "object" || typeof t === "function" || t === "self") return FieldKind.Ref;
  return t;
}

/** Defines a class on the heap's engine and builds its handle class with one accessor per field. */
export function defineHeapClass<F extends FieldsSpec, M extends MethodsSpec<F>>(
  ctx: HeapContext,
  name: string,
  options: ClassOptions<F, M>,
): HeapClass<F, M> {
  const spec = options.fields ?? ({} as F);
  argObject(spec, "defineClass", "options.fields");
  argOptionalFunction(options.finalize, "defineClass", "options.finalize");
  for (const field of Object.keys(spec)) {
    if (RESERVED.has(field))
      throw new HeapValueError(`class ${name}: a field cannot be named '${field}' (a handle method)`);
  }
  const methods: Record<string, unknown> = options.methods ?? {};
  argObject(methods, "defineClass", "options.methods");
  for (const [method, fn] of Object.entries(methods)) {
    argFunction(fn, "defineClass", `options.methods.${method}`);
    refuseAsync(fn, `defineClass: options.methods.${method}`); // a call's scope ends when it returns
    if (RESERVED.has(method) || Object.hasOwn(spec, method))
      throw new HeapValueError(
        `class ${name}: a method cannot be named '${method}' (${Object.hasOwn(spec, method) ? "a field" : "a handle method"})`,
      );
  }
  const e = ctx.engine;
  let cls: HeapClass<F> | undefined;
  const finalize = options.finalize;
  const info = e.defineClass({
    name,
    fields: Object.entries(spec).map(([field, t]) => ({ name: field, kind: engineKind(t) })),
    dynamic: options.dynamic ?? false,
    weakrefable: options.weakrefable ?? false,
    ...(finalize === undefined
      ? {}
      : {
          finalize: (o: number) => {
            // A handle lent to the finalizer: neither scoped nor registered; released right after.
            incref(e, o);
            const self = makeHandle(new maker(), ctx, o) as Instance<F>; // no leak record: released below
            try {
              // Outside every scope: a handle it keeps (`saved = self.dup()`, a resurrection) is
              // the program's, wherever the collection or deallocation that runs it started.
              ctx.detached(() => finalize(self));
            } finally {
              self.dispose();
            }
          },
        }),
  });
  const id = info.id;

  class HandleClass extends InstanceHandle {}
  Object.defineProperty(HandleClass, "name", { value: name });
  const maker = handleMaker(HandleClass);
  info.fields.forEach((f, i) => {
    const t = spec[f.name]!;
    Object.defineProperty(
      HandleClass.prototype,
      f.name,
      accessor(ctx, name, f.name, i, t, () => cls!, e.typeFieldsOffset[id]! + SLOT_SIZE * i),
    );
  });
  for (const [method, fn] of Object.entries(methods) as [
    string,
    (self: Handle, ...args: unknown[]) => unknown,
  ][]) {
    const op = `${name}.${method}`;
    // A Python call: its own frame (scope), `self` first; what it returns outlives the frame.
    const call = function (this: Handle, ...args: unknown[]): unknown {
      addressOf(this, op); // a released or stale handle is refused before the method runs
      return ctx.scope(() => fn(this, ...args), op, true);
    };
    Object.defineProperty(call, "name", { value: method });
    Object.defineProperty(HandleClass.prototype, method, { value: call });
  }
  ctx.typeMakers[id] = maker;

  /**
   * C.new(init)'s stores, all or nothing (kept out of new() so that new() stays small enough for
   * V8 to inline into the caller's loop).
   */
  const initFields = (h: Instance<F, M>, init: unknown): Instance<F, M> =>
    allOrNothing(
      ctx,
      () => {
        if (typeof init !== "object" || init === null) {
          throw new HeapTypeError(
            `${name}.new(): init must be an object of field values; got ${jsDescription(init)}`,
          );
        }
        for (const [k, v] of Object.entries(init)) {
          if (!Object.hasOwn(spec, k)) throw new HeapValueError(`${name}.new(): unknown field '${k}'`);
          (h as unknown as Record<string, unknown>)[k] = v;
        }
        return h;
      },
      () => h.dispose(),
    );

  const made: HeapClass<F, M> = {
    name,
    id,
    fieldNames: info.fields.map((f) => f.name),
    new(init) {
      if (ctx.closed) ctx.ensureOpen("new");
      // Floating: the first store of the handle hands its reference to the field or container.
      const h = ctx.newFloating(new maker() as HandleObject<Instance<F, M>>, newInstance(e, id));
      return init === undefined ? h : initFields(h, init);
    },
    isInstance(value: unknown): value is Instance<F, M> {
      return (
        value instanceof Handle && hostOf(value) === ctx && typeIdOf(e, addressOf(value, "isInstance")) === id
      );
    },
  };
  cls = made;
  return made;
}

/** A field's class given as a function (`() => Person`): called at the first write, then kept. */
function lateClass(op: string, get: () => AnyClass): () => AnyClass {
  let cls: AnyClass | undefined;
  return () => {
    if (cls !== undefined) return cls;
    const c: unknown = get();
    if (typeof c !== "object" || c === null || typeof (c as AnyClass).isInstance !== "function") {
      throw new HeapTypeError(`${op}: the field's class function returned ${jsDescription(c)}, not a class`);
    }
    cls = c as AnyClass;
    return cls;
  };
}

function accessor(
  ctx: HeapContext,
  className: string,
  field: string,
  i: number,
  t: FieldType,
  self: () => AnyClass,
  offset: number,
): PropertyDescriptor {
  const e = ctx.engine;
  const op = `${className}.${field}`;
  // The field's slot is at a fixed offset in every instance of the class: a handle of the class is
  // made only for its instances, and the use check (addressOf) compares the object's type word.
  const slot = (h: Handle): number => addressOf(h, op) + offset;
  const wrongType = (value: unknown, expected: string): HeapTypeError =>
    new HeapTypeError(`${op} holds ${expected}; got ${jsDescription(value)}`);

  if (t === "number") {
    return {
      get(this: Handle) {
        return slotNumber(e, slot(this));
      },
      set(this: Handle, v: unknown) {
        if (typeof v !== "number") throw wrongType(v, "numbers");
        setField(e, addressOf(this, op), i, v, false);
      },
    };
  }
  if (t === "bool") {
    return {
      get(this: Handle) {
        return slotRef(e, slot(this)) === TRUE;
      },
      set(this: Handle, v: unknown) {
        if (typeof v !== "boolean") throw wrongType(v, "booleans");
        setField(e, addressOf(this, op), i, v ? TRUE : FALSE, true);
      },
    };
  }
  if (t === "str") {
    return {
      get(this: Handle) {
        const p = slot(this);
        const a = slotIsRef(e, p) ? slotRef(e, p) : 0;
        return a === 0 || a === NONE ? null : strValue(e, a);
      },
      set(this: Handle, v: unknown) {
        const o = addressOf(this, op);
        if (v === null) return setField(e, o, i, NONE, true);
        if (typeof v !== "string") throw wrongType(v, "strings");
        const s = newStr(e, v);
        setField(e, o, i, s, true);
        decref(e, s);
      },
    };
  }
  if (isHostField(t)) {
    return {
      get(this: Handle) {
        const index = slotNumber(e, slot(this));
        return index === 0 ? null : ctx.hostValues[index];
      },
      set(this: Handle, v: unknown) {
        const o = addressOf(this, op);
        const old = slotNumber(e, slot(this));
        const index = v === null || v === undefined ? 0 : ctx.hostAdd(v, t.close as (value: unknown) => void);
        setField(e, o, i, index, false);
        if (old !== 0) ctx.hostClose(old);
      },
    };
  }
  // References: "ref", "any", "self", another class, or a function giving one (called lazily).
  const target =
    t === "self" ? self : typeof t === "object" ? () => t : typeof t === "function" ? lateClass(op, t) : null;
  if (target === null) {
    return {
      get(this: Handle) {
        return ctx.decode(slot(this));
      },
      set,
    };
  }
  // A field typed with a class: its object is an instance of that class (checked on every write),
  // so a read makes that class's borrowed handle directly; anything else (a value stored through
  // the engine API) goes the general way.
  let targetId = -1;
  let targetMaker: HandleMaker | undefined;
  return {
    get(this: Handle) {
      const p = slot(this);
      if (!slotIsRef(e, p)) return ctx.decode(p);
      const a = slotRef(e, p);
      if (a === 0 || a === NONE) return null;
      if (targetId < 0) {
        targetId = target().id;
        targetMaker = ctx.typeMakers[targetId]!;
      }
      const word = typeWordOf(e, a);
      if ((word & TYPE_ID_MASK) !== targetId) return ctx.decode(p);
      return makeHandle(new targetMaker!(), ctx, a, Ownership.Borrowed, word);
    },
    set,
  };
  function set(this: Handle, v: unknown): void {
    const o = addressOf(this, op);
    if (t !== "any" && v !== null) {
      // Any object: a handle, or a weak proxy (stored as the proxy object, as in CPython).
      const h = ctx.handleArg(v, op, "the value");
      if (target !== null && !target().isInstance(h)) throw wrongType(v, `${target().name} instances`);
    }
    storeValue(ctx, v as Value, op, o, (value, isRef) => setField(e, o, i, value, isRef));
  }
}
