/**
 * Object kinds: the layout families. Every type has one kind; a kind implements dealloc,
 * traverse and clear once for all its types (src/refcount/ and traverse.ts switch on it).
 * The built-in types' ids equal their kinds; user classes get ids from FIRST_USER_TYPE on.
 */
export const Kind = {
  NoneType: 1,
  Bool: 2,
  Str: 3,
  Tuple: 4,
  List: 5,
  Dict: 6,
  Type: 7,
  Instance: 8,
  /** weakref.ref and its subclass KeyedRef (see weakref.ts). */
  Weakref: 9,
  /** weakref.proxy. */
  WeakProxy: 10,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The type id of KeyedRef, the weakref subclass WeakValueDictionary stores (kind Weakref). */
export const KEYED_REF_TYPE = 11;

/**
 * The type id of WeakMethod (kind Weakref): weakref.py's `class WeakMethod(ref)`, a weakref to a
 * bound method's instance that also holds a weakref to its function (src/weakref/method.ts).
 */
export const WEAK_METHOD_TYPE = 13;

export const FIRST_USER_TYPE = 18;

/**
 * Bytes of a list, a dict and a weakref (without the GC head): the words a subclass of one
 * extends (their layouts are list.ts, dict.ts and weakref.ts).
 */
export const LIST_BASIC_SIZE = 20;
export const DICT_BASIC_SIZE = 16;
export const WEAKREF_SIZE = 32;

/** Whether objects of a kind carry the GC head (are containers). */
export function kindIsGc(kind: number): boolean {
  return (
    kind === Kind.Tuple ||
    kind === Kind.List ||
    kind === Kind.Dict ||
    kind === Kind.Type ||
    kind === Kind.Instance ||
    kind === Kind.Weakref ||
    kind === Kind.WeakProxy
  );
}

/** CPython's names for the built-in types (used in messages and repr). */
export const BUILTIN_TYPE_NAMES: Readonly<Record<number, string>> = {
  [Kind.NoneType]: "NoneType",
  [Kind.Bool]: "bool",
  [Kind.Str]: "str",
  [Kind.Tuple]: "tuple",
  [Kind.List]: "list",
  [Kind.Dict]: "dict",
  [Kind.Type]: "type",
  [Kind.Weakref]: "weakref.ReferenceType",
  [Kind.WeakProxy]: "weakref.ProxyType",
  [KEYED_REF_TYPE]: "KeyedRef",
  [WEAK_METHOD_TYPE]: "WeakMethod",
};
