/**
 * traverse: the one place that knows every kind's references, visited exactly as CPython's
 * tp_traverse visits them. It writes the addresses of the objects `o` references into `h.edges`
 * and returns how many; every phase that needs an object's references (the collector's
 * visitors, gc.get_referents/get_referrers, the verifier) loops over that buffer — except that
 * subtract_refs and move_unreachable read slotted instances' fields directly (docs/decisions.md
 * §16). The buffer is reused: consume it before the next traverse call.
 *
 *   | kind     | visits, in order (they decide get_referents output and move-back order)  |
 *   |----------|--------------------------------------------------------------------------|
 *   | list     | items, last to first                                                     |
 *   | tuple    | items, last to first                                                     |
 *   | dict     | per entry in order: value, then key — keys only for a "general" table    |
 *   |          | (all-str-key tables visit values only, as CPython's unicode tables do);  |
 *   |          | a split dict: values in shared-key order (sharedkeys.ts)                 |
 *   | instance | declared fields (alphabetical; a user kind's reference slots in declared |
 *   |          | order, then its items, first to last); then either the attribute values in |
 *   |          | shared-key order (CPython's values array) or the materialised dict       |
 *   |          | object; then the type. A subclass's fields: its base's first (they      |
 *   |          | keep their indexes), then its own                                        |
 *   | type     | the class's dict, mro tuple, bases tuple, base's type object             |
 *   | weakref, | a KeyedRef's key or a WeakMethod's _func_ref; then the callback if it is |
 *   | proxy    | a heap object (a JS callback is outside the heap); the referent is       |
 *   |          | borrowed, never visited                                                  |
 *
 * `traverseValues` visits the same slots but also reports numbers (CPython would visit the int
 * objects): edges[i] is 0 for a number and the number is in h.edgeNumbers[i]. `heldKeyRefs`
 * reports the str keys traverse does not visit, for the verifier's reference counting.
 */
import { read32, readF64 } from "../memory/index.js";
import {
  DICT_KEYS_GENERAL,
  DICT_KEYS_KIND,
  DICT_KEYS_KIND_MASK,
  DICT_KEYS_SPLIT,
  DICT_TABLE,
} from "./dict.js";
import { E_KEY, E_VALUE, ENTRY_SIZE, T_INDICES, T_NENTRIES, T_SIZE } from "./dicttable.js";
import { typeIdOf } from "./header.js";
import { type ObjectHeap, SHARED_KEYS_MAX_SIZE } from "./heap.js";
import {
  ATTRS_DICT_BIT,
  TYPE_OBJECT_BASE,
  TYPE_OBJECT_BASES,
  TYPE_OBJECT_CLASS,
  TYPE_OBJECT_DICT,
  TYPE_OBJECT_MRO,
} from "./instance.js";
import { FIRST_USER_TYPE, KEYED_REF_TYPE, Kind, WEAK_METHOD_TYPE } from "./kinds.js";
import { LIST_ITEMS, LIST_SIZE } from "./list.js";
import { splitTableOrdered, splitTableSorted } from "./sharedkeys.js";
import { TUPLE_ITEMS, TUPLE_SIZE } from "./tuple.js";
import { FieldKind, ITEMS_COUNT, typeInfo } from "./types.js";
import { REF_TAG, SLOT_SIZE } from "./value.js";
import { valuesCapacity, valuesSlot } from "./values.js";
import { WM_FUNC_REF, WR_KEY, weakrefCallbackObject } from "./weakref.js";

function ensureEdges(h: ObjectHeap, n: number): Int32Array {
  if (h.edges.length < n) {
    const size = Math.max(n, h.edges.length * 2);
    h.edges = new Int32Array(size);
    h.edgeNumbers = new Float64Array(size);
  }
  return h.edges;
}

/** Visits one slot: a non-NULL reference always, a number only when `numbers` is set. */
function visitSlot(h: ObjectHeap, s: number, out: Int32Array, n: number, numbers: boolean): number {
  if (read32(h, s + 4) === REF_TAG) {
    const r = read32(h, s);
    if (r !== 0) out[n++] = r;
  } else if (numbers) {
    h.edgeNumbers[n] = readF64(h, s);
    out[n++] = 0;
  }
  return n;
}

/** Visits `count` slots from `p` downward (last to first). */
function slotsReversed(h: ObjectHeap, p: number, count: number, n: number, numbers: boolean): number {
  const out = ensureEdges(h, n + count);
  for (let i = count - 1; i >= 0; i--) n = visitSlot(h, p + SLOT_SIZE * i, out, n, numbers);
  return n;
}

/** Visits a table's live entries in order: value, then key if `keys`. */
function tableSlots(h: ObjectHeap, t: number, keys: boolean, n: number, numbers: boolean): number {
  const ne = read32(h, t + T_NENTRIES);
  const out = ensureEdges(h, n + 2 * ne);
  const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
  for (let i = 0; i < ne; i++) {
    const e = e0 + ENTRY_SIZE * i;
    // A deleted entry holds NULL in both slots.
    if (read32(h, e + E_KEY + 4) === REF_TAG && read32(h, e + E_KEY) === 0) continue;
    n = visitSlot(h, e + E_VALUE, out, n, numbers);
    if (keys) n = visitSlot(h, e + E_KEY, out, n, numbers);
  }
  return n;
}

/** Entry addresses of a split table out of order (traverse runs no user code, so one suffices). */
const splitOrder = new Int32Array(SHARED_KEYS_MAX_SIZE);

/** Visits a split table's live values in shared-key order (CPython's values array order). */
function splitSlots(h: ObjectHeap, t: number, n: number, numbers: boolean): number {
  if (splitTableOrdered(h, t)) return tableSlots(h, t, false, n, numbers);
  const m = splitTableSorted(h, t, splitOrder);
  const out = ensureEdges(h, n + m);
  for (let i = 0; i < m; i++) n = visitSlot(h, splitOrder[i]! + E_VALUE, out, n, numbers);
  return n;
}

/** Visits a values array's slots in order (CPython's values-array order); leaves room for one more edge. */
function valuesSlots(h: ObjectHeap, v: number, n: number, numbers: boolean): number {
  const cap = valuesCapacity(h, v);
  const out = ensureEdges(h, n + cap + 1);
  for (let i = 0, p = valuesSlot(h, v, 0); i < cap; i++, p += SLOT_SIZE) n = visitSlot(h, p, out, n, numbers);
  return n;
}

/**
 * Visits a class's object's fields (a subclass's level by level, its own first: subtype_traverse),
 * then its attributes (the values array's slots, or the dict), from edge 0; returns the count.
 * A user kind's items follow its reference slots and are visited after them.
 */
function instanceParts(h: ObjectHeap, o: number, id: number, numbers: boolean): number {
  const nf = h.typeFieldCount[id]! + (h.typeHasItems[id] === 1 ? read32(h, o + ITEMS_COUNT) : 0);
  let out = ensureEdges(h, nf + 1);
  let n = 0;
  const p = o + h.typeFieldsOffset[id]!;
  if ((numbers && h.typeHasHostFields[id] === 1) || h.typeFieldsReordered[id] === 1) {
    // A host field's number names a host value: it is not a Python-visible value.
    const info = typeInfo(h, id);
    const order = info.visitOrder;
    for (let k = 0; k < nf; k++) {
      const i = order === null ? k : order[k]!;
      if (!numbers || info.fields[i]!.kind !== FieldKind.Host) {
        n = visitSlot(h, p + SLOT_SIZE * i, out, n, numbers);
      }
    }
  } else {
    for (let i = 0; i < nf; i++) n = visitSlot(h, p + SLOT_SIZE * i, out, n, numbers);
  }
  const attrsOff = h.typeAttrsOffset[id]!;
  if (attrsOff >= 0) {
    const w = read32(h, o + attrsOff);
    if ((w & ATTRS_DICT_BIT) !== 0) {
      out = ensureEdges(h, n + 2);
      out[n++] = w; // the materialised dict
    } else if (w !== 0) {
      n = valuesSlots(h, w, n, numbers);
    }
  }
  return n;
}

/**
 * A user's subclass of ref, list or dict (id >= FIRST_USER_TYPE) visits its class's part first —
 * fields, attributes, then its type, a heap type (subtype_traverse) — and then what the built-in
 * type's traverse visits, from the count this returns (0 for the built-in types themselves).
 */
function subclassPart(h: ObjectHeap, o: number, id: number, numbers: boolean): number {
  if (id < FIRST_USER_TYPE) return 0;
  const n = instanceParts(h, o, id, numbers);
  ensureEdges(h, n + 1)[n] = h.typeObject[id]!;
  return n + 1;
}

function visit(h: ObjectHeap, o: number, numbers: boolean): number {
  const id = typeIdOf(h, o);
  switch (h.typeKind[id]) {
    case Kind.Instance: {
      const n = instanceParts(h, o, id, numbers);
      const out = ensureEdges(h, n + 1);
      out[n] = h.typeObject[id]!;
      return n + 1;
    }
    case Kind.List:
      return slotsReversed(
        h,
        read32(h, o + LIST_ITEMS),
        read32(h, o + LIST_SIZE),
        subclassPart(h, o, id, numbers),
        numbers,
      );
    case Kind.Tuple:
      return slotsReversed(h, o + TUPLE_ITEMS, read32(h, o + TUPLE_SIZE), 0, numbers);
    case Kind.Dict: {
      const n = subclassPart(h, o, id, numbers);
      const t = read32(h, o + DICT_TABLE);
      if (t === 0) return n;
      const kind = read32(h, o + DICT_KEYS_KIND);
      if ((kind & DICT_KEYS_KIND_MASK) === DICT_KEYS_SPLIT) return splitSlots(h, t, n, numbers);
      return tableSlots(h, t, kind === DICT_KEYS_GENERAL, n, numbers);
    }
    case Kind.Weakref:
    case Kind.WeakProxy: {
      // A KeyedRef's key (its slot), then the callback when it is a heap object (gc_traverse).
      let out = ensureEdges(h, 2);
      // A WeakMethod's slots: _func_ref (its __slots__ sorted: _alive and _meth_type hold no heap object).
      let n =
        id === KEYED_REF_TYPE
          ? visitSlot(h, o + WR_KEY, out, 0, numbers)
          : id === WEAK_METHOD_TYPE
            ? visitSlot(h, o + WM_FUNC_REF, out, 0, numbers)
            : 0;
      if (id >= FIRST_USER_TYPE) {
        // A user's subclass of ref: its own part, then the ref's callback (gc_traverse).
        n = subclassPart(h, o, id, numbers);
        out = ensureEdges(h, n + 1);
      }
      const cb = weakrefCallbackObject(h, o);
      if (cb !== 0) out[n] = cb;
      return cb !== 0 ? n + 1 : n;
    }
    case Kind.Type: {
      // type_traverse: the dict, the mro tuple, the bases tuple, the base.
      const out = ensureEdges(h, 4);
      let n = 0;
      for (let i = 0; i < TYPE_OBJECT_WORDS.length; i++) {
        const r = read32(h, o + TYPE_OBJECT_WORDS[i]!);
        if (r !== 0) out[n++] = r;
      }
      return n;
    }
    default:
      return 0;
  }
}

const TYPE_OBJECT_WORDS = [TYPE_OBJECT_DICT, TYPE_OBJECT_MRO, TYPE_OBJECT_BASES, TYPE_OBJECT_BASE] as const;

/** Fills h.edges with the objects `o` references, in CPython's visiting order; returns the count. */
export function traverse(h: ObjectHeap, o: number): number {
  return visit(h, o, false);
}

/** Like traverse, but numbers are visited too: edges[i] === 0 means h.edgeNumbers[i] holds one. */
export function traverseValues(h: ObjectHeap, o: number): number {
  return visit(h, o, true);
}

/**
 * The references `o` holds that traverse does not visit: the str keys of an all-str-key or split
 * dict, and the shared names a class's type object holds (sharedkeys.ts; an instance's values
 * array holds no names). Fills h.edges; returns the count.
 */
export function heldKeyRefs(h: ObjectHeap, o: number): number {
  const id = typeIdOf(h, o);
  const kind = h.typeKind[id];
  let t = 0;
  if (kind === Kind.Dict && read32(h, o + DICT_KEYS_KIND) !== DICT_KEYS_GENERAL)
    t = read32(h, o + DICT_TABLE);
  else if (kind === Kind.Type) {
    const cls = read32(h, o + TYPE_OBJECT_CLASS);
    const n = h.typeSharedCount[cls]!;
    const out = ensureEdges(h, n);
    for (let i = 0; i < n; i++) out[i] = h.sharedKeyStrs[cls * SHARED_KEYS_MAX_SIZE + i]!;
    return n;
  }
  if (t === 0) return 0;
  const ne = read32(h, t + T_NENTRIES);
  const out = ensureEdges(h, ne);
  const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
  let n = 0;
  for (let i = 0; i < ne; i++) n = visitSlot(h, e0 + ENTRY_SIZE * i + E_KEY, out, n, false);
  return n;
}
