/**
 * The insertion-ordered hash table behind dicts (CPython's
 * "compact dict": an index array into a dense entry array). It lives in one raw block owned by
 * its dict or instance. This file never changes refcounts: callers incref what they store and
 * decref what they remove.
 *
 *   +0  [size: index slots, a power of 2 >= 8]   +4 [usable = 2/3 size]
 *   +8  [nentries: entries used, live or deleted] +12 [used: live entries]
 *   +16 indices: size × int32 (EMPTY = -1, DUMMY = -2, else an entry number)
 *   then entries: usable × 24 bytes = [hash int32][index int32][key slot][value slot]
 *
 * The index word (E_INDEX) is used by the tables of *split* dicts only (sharedkeys.ts), where it
 * holds the entry's shared-key index; other tables leave it unwritten.
 *
 * A deleted entry keeps its place with a NULL key (so iteration order is insertion order) until
 * the table is rebuilt by a resize.
 */
import { free, malloc, read32, write32 } from "../memory/index.js";
import { HeapTypeError } from "../util/index.js";
import { typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { Kind, WEAK_METHOD_TYPE } from "./kinds.js";
import { hashString, strEquals, strEqualsString, strHash } from "./str.js";
import { tupleSize, tupleSlot } from "./tuple.js";
import { type KindHooks, type TypeInfo, typeInfo } from "./types.js";
import { copySlot, setSlotNull, slotIsNull, slotIsRef, slotNumber, slotRef } from "./value.js";
import { WM_ALIVE, WM_FUNC_REF, WR_HASH, weakrefReferent } from "./weakref.js";

/** Offset, in a dict object, of its table's address (0: no table yet); see dict.ts. */
export const DICT_TABLE = 8;

export const T_SIZE = 0;
export const T_USABLE = 4;
export const T_NENTRIES = 8;
export const T_USED = 12;
export const T_INDICES = 16;
export const ENTRY_SIZE = 24;
export const E_HASH = 0;
/** The entry's shared-key index, in split tables only (sharedkeys.ts). */
export const E_INDEX = 4;
export const E_KEY = 8;
export const E_VALUE = 16;
const EMPTY = -1;
const DUMMY = -2;
const MIN_SIZE = 8;

function usableFor(size: number): number {
  return ((size << 1) / 3) | 0;
}

/** Allocates an empty table with room for at least `minUsable` entries. */
export function tableNew(h: ObjectHeap, minUsable: number): number {
  let size = MIN_SIZE;
  while (usableFor(size) < minUsable) size <<= 1;
  const usable = usableFor(size);
  const t = malloc(h, T_INDICES + 4 * size + ENTRY_SIZE * usable);
  write32(h, t + T_SIZE, size);
  write32(h, t + T_USABLE, usable);
  write32(h, t + T_NENTRIES, 0);
  write32(h, t + T_USED, 0);
  for (let i = 0; i < size; i++) write32(h, t + T_INDICES + 4 * i, EMPTY);
  return t;
}

export function tableUsed(h: ObjectHeap, t: number): number {
  return read32(h, t + T_USED);
}
export function tableNEntries(h: ObjectHeap, t: number): number {
  return read32(h, t + T_NENTRIES);
}
/** Address of entry `i`. */
export function tableEntry(h: ObjectHeap, t: number, i: number): number {
  return t + T_INDICES + 4 * read32(h, t + T_SIZE) + ENTRY_SIZE * i;
}
/** True if entry `i` holds a live key. */
export function entryIsLive(h: ObjectHeap, e: number): boolean {
  return !slotIsNull(h, e + E_KEY);
}

// ---------------------------------------------------------------------------------------------
// Keys: hashing and equality with Python's rules (1 == 1.0 == True; str by content; tuples by
// content; other objects by identity, unless a user kind gives hash and eq hooks; lists and dicts
// are unhashable).
// ---------------------------------------------------------------------------------------------

const scratchF64 = new Float64Array(1);
const scratchI32 = new Int32Array(scratchF64.buffer);

function numberHash(n: number): number {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return n | 0;
  scratchF64[0] = n;
  return scratchI32[0]! ^ scratchI32[1]!;
}

/** Hash of a key given as (v, isRef). Throws HeapTypeError for unhashable objects. */
export function keyHash(h: ObjectHeap, v: number, isRef: boolean): number {
  if (!isRef) return numberHash(v);
  const kind = h.typeKind[typeIdOf(h, v)];
  if (kind === Kind.Str) return strHash(h, v);
  if (kind === Kind.Bool) return read32(h, v + 8);
  if (kind === Kind.Tuple) return tupleHash(h, v);
  if (kind === Kind.List || kind === Kind.Dict || kind === Kind.WeakProxy) {
    throw new HeapTypeError(`unhashable type: '${typeInfo(h, typeIdOf(h, v)).name}'`);
  }
  if (kind === Kind.Weakref) return weakrefHash(h, v);
  if (kind === Kind.Instance) {
    const hook = (h.types[typeIdOf(h, v)] as TypeInfo).hooks?.hash;
    if (hook !== undefined) return userHash(h, v, hook);
  }
  return v >>> 4;
}

/** A user kind's hash hook, held to CPython's rules: an integer, and -1 is never a hash. */
function userHash(h: ObjectHeap, o: number, hook: (obj: number) => number): number {
  const r: unknown = hook(o);
  if (typeof r !== "number" || !Number.isInteger(r)) {
    throw new HeapTypeError(
      `__hash__ method should return an integer (${typeInfo(h, typeIdOf(h, o)).name} returned ${String(r)})`,
    );
  }
  const x = Number(BigInt.asIntN(32, BigInt(r)));
  return x === -1 ? -2 : x;
}

/** A user kind's eq hook for the object `o`, if it has one. */
function eqHook(h: ObjectHeap, o: number): KindHooks["eq"] {
  const id = typeIdOf(h, o);
  return h.typeKind[id] === Kind.Instance ? (h.types[id] as TypeInfo).hooks?.eq : undefined;
}

/**
 * Equality through user `eq` hooks (do_richcompare for types with __eq__): the stored key's hook
 * with the probing key, else the probing key's with the stored key; neither: identity.
 */
function userKeysEqual(h: ObjectHeap, stored: number, sIsRef: boolean, v: number, isRef: boolean): boolean {
  const se = sIsRef ? eqHook(h, stored) : undefined;
  if (se !== undefined) return h.callEq(se, stored, v, isRef);
  const pe = isRef ? eqHook(h, v) : undefined;
  if (pe !== undefined) return h.callEq(pe, v, stored, sIsRef);
  return sIsRef && isRef && stored === v;
}

/** Whether either key is an object of a user kind with an eq hook. */
function hasUserEq(h: ObjectHeap, a: number, aIsRef: boolean, b: number, bIsRef: boolean): boolean {
  return (aIsRef && eqHook(h, a) !== undefined) || (bIsRef && eqHook(h, b) !== undefined);
}

/**
 * A weakref's hash is its referent's, computed on first use and cached, so it outlives the
 * referent; a weakref that dies before it was hashed cannot be hashed any more.
 */
function weakrefHash(h: ObjectHeap, wr: number): number {
  const cached = read32(h, wr + WR_HASH);
  if (cached !== -1) return cached;
  const o = weakrefReferent(h, wr);
  if (o === 0) throw new HeapTypeError("weak object has gone away");
  // Referents are instances and type objects, hashed by identity (never -1).
  const hash = keyHash(h, o, true);
  write32(h, wr + WR_HASH, hash);
  return hash;
}

/** Hash of a tuple from its items' hashes, without recursion (nested tuples use a stack). */
function tupleHash(h: ObjectHeap, t: number): number {
  const stack: number[] = [t, 0, 0x345678];
  let result = 0;
  while (stack.length > 0) {
    const acc = stack.pop()!;
    const i = stack.pop()!;
    const tup = stack.pop()!;
    if (i >= tupleSize(h, tup)) {
      result = Math.imul(acc ^ tupleSize(h, tup), 0x01000193);
      if (stack.length > 0) stack[stack.length - 1] = Math.imul(stack[stack.length - 1]! ^ result, 1000003);
      continue;
    }
    stack.push(tup, i + 1, acc);
    const p = tupleSlot(tup, i);
    if (slotIsRef(h, p) && h.typeKind[typeIdOf(h, slotRef(h, p))] === Kind.Tuple) {
      stack.push(slotRef(h, p), 0, 0x345678);
    } else {
      const ih = slotIsRef(h, p) ? keyHash(h, slotRef(h, p), true) : numberHash(slotNumber(h, p));
      stack[stack.length - 1] = Math.imul(stack[stack.length - 1]! ^ ih, 1000003);
    }
  }
  return result;
}

/** The numeric value of a key for cross-type equality (numbers and bools), or NaN. */
function numericKey(h: ObjectHeap, v: number, isRef: boolean): number {
  if (!isRef) return v;
  return h.typeKind[typeIdOf(h, v)] === Kind.Bool ? read32(h, v + 8) : Number.NaN;
}

/** Python key equality between a stored slot and a probe (v, isRef). */
function keyEqualsSlot(h: ObjectHeap, slot: number, v: number, isRef: boolean): boolean {
  const sIsRef = slotIsRef(h, slot);
  if (sIsRef && isRef) return refKeysEqual(h, slotRef(h, slot), v);
  const s = sIsRef ? slotRef(h, slot) : slotNumber(h, slot);
  if (hasUserEq(h, s, sIsRef, v, isRef)) return userKeysEqual(h, s, sIsRef, v, isRef);
  const a = sIsRef ? numericKey(h, slotRef(h, slot), true) : slotNumber(h, slot);
  return a === numericKey(h, v, isRef);
}

function refKeysEqual(h: ObjectHeap, a: number, b: number): boolean {
  if (a === b) return true;
  const ka = h.typeKind[typeIdOf(h, a)];
  const kb = h.typeKind[typeIdOf(h, b)];
  if ((ka === Kind.Instance || kb === Kind.Instance) && hasUserEq(h, a, true, b, true))
    return userKeysEqual(h, a, true, b, true);
  if (ka === Kind.Str) return kb === Kind.Str && strEquals(h, a, b);
  if (ka === Kind.Bool || kb === Kind.Bool) return false; // distinct bool objects are unequal
  if (ka === Kind.Tuple && kb === Kind.Tuple) return tuplesEqual(h, a, b);
  if (ka === Kind.Weakref && kb === Kind.Weakref) {
    if (typeIdOf(h, a) === WEAK_METHOD_TYPE && typeIdOf(h, b) === WEAK_METHOD_TYPE) {
      // WeakMethod.__eq__: identity once either is dead; else ref.__eq__ and equal _func_refs.
      if (read32(h, a + WM_ALIVE) === 0 || read32(h, b + WM_ALIVE) === 0) return false;
      return (
        refsCompareEqual(h, a, b) &&
        refsCompareEqual(h, slotRef(h, a + WM_FUNC_REF), slotRef(h, b + WM_FUNC_REF))
      );
    }
    return refsCompareEqual(h, a, b);
  }
  return false;
}

/**
 * weakref_richcompare: live referents compare as themselves, through PyObject_RichCompare, which
 * has no identity shortcut (a user kind's eq runs even for the same referent); dead ones by identity.
 * Referents that are weakrefs themselves (instances of a subclass of ref) compare as weakrefs in
 * turn: a loop, not a recursion, since a program can chain refs to refs as deep as it likes.
 */
export function refsCompareEqual(h: ObjectHeap, a: number, b: number): boolean {
  for (;;) {
    const ra = weakrefReferent(h, a);
    const rb = weakrefReferent(h, b);
    if (ra === 0 || rb === 0) return a === b; // a dead weakref equals only itself
    if (hasUserEq(h, ra, true, rb, true)) return userKeysEqual(h, ra, true, rb, true);
    if (ra === rb) return true;
    const ida = typeIdOf(h, ra);
    const idb = typeIdOf(h, rb);
    if (h.typeKind[ida] !== Kind.Weakref || h.typeKind[idb] !== Kind.Weakref) return false;
    if (ida === WEAK_METHOD_TYPE || idb === WEAK_METHOD_TYPE) return refKeysEqual(h, ra, rb);
    a = ra;
    b = rb;
  }
}

/** Structural tuple equality with an explicit stack (tuples can nest arbitrarily deep). */
function tuplesEqual(h: ObjectHeap, a: number, b: number): boolean {
  const stack = [a, b];
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    const n = tupleSize(h, x);
    if (n !== tupleSize(h, y)) return false;
    for (let i = 0; i < n; i++) {
      const px = tupleSlot(x, i);
      const py = tupleSlot(y, i);
      const rx = slotIsRef(h, px);
      const ry = slotIsRef(h, py);
      if (rx && ry) {
        const ox = slotRef(h, px);
        const oy = slotRef(h, py);
        if (ox === oy) continue;
        if (h.typeKind[typeIdOf(h, ox)] === Kind.Tuple && h.typeKind[typeIdOf(h, oy)] === Kind.Tuple) {
          stack.push(ox, oy);
        } else if (!refKeysEqual(h, ox, oy)) {
          return false;
        }
      } else if (!keyEqualsSlot(h, px, ry ? slotRef(h, py) : slotNumber(h, py), ry)) {
        return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Lookup, insertion, deletion.
// ---------------------------------------------------------------------------------------------

/**
 * The entry number holding key (v, isRef) with hash `hash` in dict `d`'s table, or -1 (also when
 * the dict has no table). A user kind's `eq` hook may change the dict: when one has run and the
 * dict's table or the compared entry's key is no longer what it was, the lookup starts again
 * from the dict's current table (lookdict's DKIX_KEY_CHANGED). The caller re-reads the table.
 */
export function tableLookup(h: ObjectHeap, d: number, v: number, isRef: boolean, hash: number): number {
  restart: for (;;) {
    const t = read32(h, d + DICT_TABLE);
    if (t === 0) return -1;
    const size = read32(h, t + T_SIZE);
    const mask = size - 1;
    const entries = t + T_INDICES + 4 * size;
    let perturb = hash >>> 0;
    let i = perturb & mask;
    for (;;) {
      const ix = read32(h, t + T_INDICES + 4 * i);
      if (ix === EMPTY) return -1;
      if (ix >= 0) {
        const e = entries + ENTRY_SIZE * ix;
        if (read32(h, e + E_HASH) === hash) {
          const k = e + E_KEY;
          if (isRef && slotIsRef(h, k) && slotRef(h, k) === v) return ix;
          const calls = h.userEqCalls;
          const k0 = read32(h, k);
          const k1 = read32(h, k + 4);
          const equal = keyEqualsSlot(h, k, v, isRef);
          if (h.userEqCalls !== calls) {
            if (read32(h, d + DICT_TABLE) !== t || read32(h, k) !== k0 || read32(h, k + 4) !== k1)
              continue restart;
          }
          if (equal) return ix;
        }
      }
      perturb >>>= 5;
      i = (i * 5 + perturb + 1) & mask;
    }
  }
}

/**
 * tableLookup for a str key given as the JS string `s` (with its hashString `hash`): finds an
 * equal str key without making a str object, so a lookup never allocates (a full heap can still
 * be read and drained). Only str objects can equal a string key.
 */
export function tableLookupString(h: ObjectHeap, t: number, s: string, hash: number): number {
  const size = read32(h, t + T_SIZE);
  const mask = size - 1;
  const entries = t + T_INDICES + 4 * size;
  let perturb = hash >>> 0;
  let i = perturb & mask;
  for (;;) {
    const ix = read32(h, t + T_INDICES + 4 * i);
    if (ix === EMPTY) return -1;
    if (ix >= 0) {
      const e = entries + ENTRY_SIZE * ix;
      if (read32(h, e + E_HASH) === hash && slotIsRef(h, e + E_KEY)) {
        const k = slotRef(h, e + E_KEY);
        if (k !== 0 && h.typeKind[typeIdOf(h, k)] === Kind.Str && strEqualsString(h, k, s, hash)) return ix;
      }
    }
    perturb >>>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

// #region generated: dictLookupStringFast (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
/**
 * dictGetSlotString's path on unchecked heaps: tableLookupString over dict d's table, flat over
 * the heap's words (a str key's code units read from the Uint16Array). The address of the value
 * slot of str key s, or 0 when it is absent. Reads only; allocates nothing.
 */
export function dictLookupStringFast(h: ObjectHeap, d: number, s: string): number {
  const i32 = h.i32;
  const t = i32[(d >> 2) + 2]!;
  if (t === 0) return 0;
  const hash = hashString(s);
  const n = s.length;
  const tw = t >> 2;
  const mask = i32[tw]! - 1;
  const ew0 = tw + 4 + mask + 1;
  let perturb = hash >>> 0;
  let i = perturb & mask;
  for (;;) {
    const ix = i32[tw + 4 + i]!;
    if (ix === -1) return 0;
    if (ix >= 0) {
      const ew = ew0 + 6 * ix;
      if (i32[ew] === hash && i32[ew + 3] === -65536) {
        const k = i32[ew + 2]!;
        const kw = k >> 2;
        if (k !== 0 && h.typeKind[i32[kw + 1]! & 0xffff] === 3 && i32[kw + 2] === n && i32[kw + 3] === hash) {
          const u16 = h.u16;
          const c = (k + 16) >> 1;
          let j = 0;
          while (j < n && u16[c + j] === s.charCodeAt(j)) j++;
          if (j === n) return (ew << 2) + 16;
        }
      }
    }
    perturb >>>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}
// #endregion generated: dictLookupStringFast

function findEmptyIndex(h: ObjectHeap, t: number, hash: number): number {
  const mask = read32(h, t + T_SIZE) - 1;
  let perturb = hash >>> 0;
  let i = perturb & mask;
  while (read32(h, t + T_INDICES + 4 * i) !== EMPTY) {
    perturb >>>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
  return i;
}

/**
 * True if one more entry needs a bigger table. Callers resize (tableResize) *before* taking any
 * reference, so an allocation failure leaves everything unchanged.
 */
export function tableIsFull(h: ObjectHeap, t: number): boolean {
  return read32(h, t + T_NENTRIES) >= read32(h, t + T_USABLE);
}

/**
 * Appends a new entry for a key known to be absent; returns the entry's address, whose key and
 * value slots the caller fills. The table must not be full.
 */
export function tableAppend(h: ObjectHeap, t: number, hash: number): number {
  const n = read32(h, t + T_NENTRIES);
  const i = findEmptyIndex(h, t, hash);
  write32(h, t + T_INDICES + 4 * i, n);
  write32(h, t + T_NENTRIES, n + 1);
  write32(h, t + T_USED, read32(h, t + T_USED) + 1);
  const e = tableEntry(h, t, n);
  write32(h, e + E_HASH, hash);
  return e;
}

/**
 * Removes entry `ix` (found by tableLookup with `hash`): its index becomes DUMMY and its key and
 * value slots NULL. The caller has read (and will release) the old key and value.
 */
export function tableDelete(h: ObjectHeap, t: number, ix: number, hash: number): void {
  const mask = read32(h, t + T_SIZE) - 1;
  let perturb = hash >>> 0;
  let i = perturb & mask;
  while (read32(h, t + T_INDICES + 4 * i) !== ix) {
    perturb >>>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
  write32(h, t + T_INDICES + 4 * i, DUMMY);
  const e = tableEntry(h, t, ix);
  setSlotNull(h, e + E_KEY);
  setSlotNull(h, e + E_VALUE);
  write32(h, t + T_USED, read32(h, t + T_USED) - 1);
}

/**
 * Rebuilds the table with room for growth (CPython: used × 3, rounded up to a power of 2),
 * compacting deleted entries. Returns the new table; the old block is freed. Throws
 * HeapMemoryError, leaving the old table intact, if the heap cannot grow.
 */
export function tableResize(h: ObjectHeap, t: number): number {
  const used = read32(h, t + T_USED);
  let size = MIN_SIZE;
  while (size < used * 3) size <<= 1;
  const nt = tableNew(h, usableFor(size));
  const n = read32(h, t + T_NENTRIES);
  for (let i = 0; i < n; i++) {
    const e = tableEntry(h, t, i);
    if (!entryIsLive(h, e)) continue;
    const ne = tableAppend(h, nt, read32(h, e + E_HASH));
    write32(h, ne + E_INDEX, read32(h, e + E_INDEX));
    copySlot(h, ne + E_KEY, e + E_KEY);
    copySlot(h, ne + E_VALUE, e + E_VALUE);
  }
  free(h, t);
  return nt;
}
