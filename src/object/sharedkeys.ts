/**
 * Key sharing (PEP 412) as CPython 3.11 does it for the instances of a dynamic class.
 *
 * Every dynamic class has one *shared keys* object: the attribute names any of its instances
 * has stored, each with a fixed index (the order the class first saw them), and a budget,
 * `usable` (`ObjectHeap.typeSharedUsable[id]`). The names are str objects the class holds a
 * reference to, as CPython's keys object does (`ObjectHeap.sharedKeyStrs`, `typeSharedCount`):
 *
 *   | event                                        | usable                 | names        |
 *   |----------------------------------------------|------------------------|--------------|
 *   | the class is created                         | SHARED_KEYS_MAX_SIZE   | none         |
 *   | an instance is created (init_inline_values)  | − 1, but never below 1 | —            |
 *   | a name not yet shared is stored, or deleted, | − 1                    | name appended|
 *   | on an instance using its values table, and   |                        | (next index) |
 *   | usable > 0 (insert_into_dictkeys)            |                        |              |
 *   | the same with usable == 0                    | 0                      | unchanged    |
 *
 * In the last case the instance's attributes are *materialised* into a real dict object (see
 * the +8 word in instance.ts): CPython predicts that a class with many instances has few names,
 * and a name that does not fit moves that instance to a dict of its own. Names are never
 * removed (`del a.x` leaves x shared), and `usable` never grows, so once one instance has been
 * materialised every later new name materialises the instance it is stored on.
 *
 * An instance's values array (values.ts) holds shared name i's value in slot i, so traverse,
 * clear and dealloc see the values in shared-key order, whatever order this instance stored them
 * in; iteration (and the dict a materialisation builds) follows the instance's insertion order,
 * which the array records. A materialised dict starts *split*: each entry of its table records
 * its name's shared-key index (E_INDEX), and `splitTableOrdered` and `splitTableSorted` give
 * the shared-key order of such a table.
 */
import { read32 } from "../memory/index.js";
import { E_INDEX, E_KEY, ENTRY_SIZE, T_INDICES, T_NENTRIES, T_SIZE } from "./dicttable.js";
import { increfRaw } from "./header.js";
import { type ObjectHeap, SHARED_KEYS_MAX_SIZE } from "./heap.js";
import { strEquals, strEqualsString } from "./str.js";
import { REF_TAG } from "./value.js";

/** The str object holding shared name `i` of class `id` (the class owns a reference to it). */
export function sharedKeyStr(h: ObjectHeap, id: number, i: number): number {
  return h.sharedKeyStrs[id * SHARED_KEYS_MAX_SIZE + i]!;
}

/** True if shared name `i` of class `id` is the str `name` (the same object, or an equal str). */
export function sharedKeyIs(h: ObjectHeap, id: number, i: number, name: number): boolean {
  if (i >= h.typeSharedCount[id]!) return false;
  const s = h.sharedKeyStrs[id * SHARED_KEYS_MAX_SIZE + i]!;
  return s === name || strEquals(h, name, s);
}

/**
 * The shared-key index of str `name` in class `id`'s keys, or −1 if the name is not shared
 * (lookup only: a split dict's insertion and getattr never add names).
 */
export function sharedKeyLookup(h: ObjectHeap, id: number, name: number): number {
  const n = h.typeSharedCount[id]!;
  const base = id * SHARED_KEYS_MAX_SIZE;
  for (let i = 0; i < n; i++) {
    const s = h.sharedKeyStrs[base + i]!;
    if (s === name || strEquals(h, name, s)) return i;
  }
  return -1;
}

/** sharedKeyLookup for a name given as a JS string (`hash` = hashString(name)); allocates nothing. */
export function sharedKeyLookupString(h: ObjectHeap, id: number, name: string, hash: number): number {
  const n = h.typeSharedCount[id]!;
  const base = id * SHARED_KEYS_MAX_SIZE;
  for (let i = 0; i < n; i++) if (strEqualsString(h, h.sharedKeyStrs[base + i]!, name, hash)) return i;
  return -1;
}

/**
 * CPython's insert_into_dictkeys: the shared-key index of str `name` in class `id`'s keys,
 * adding the name (the class takes a reference to `name`, and one unit of the budget) if it is
 * new and the budget allows; −1 if it is new and the budget is spent (the caller materialises
 * the instance's dict). `hint` is the index to try first: instances of a class usually store
 * their names in the same order, so an instance's n-th new name is usually shared-key n, and
 * usually the very str object the class holds.
 */
export function sharedKeyIndex(h: ObjectHeap, id: number, name: number, hint: number): number {
  if (sharedKeyIs(h, id, hint, name)) return hint;
  const ix = sharedKeyLookup(h, id, name);
  if (ix >= 0) return ix;
  const usable = h.typeSharedUsable[id]!;
  if (usable <= 0) return -1;
  h.typeSharedUsable[id] = usable - 1;
  const i = h.typeSharedCount[id]!;
  h.typeSharedCount[id] = i + 1;
  increfRaw(h, name);
  h.sharedKeyStrs[id * SHARED_KEYS_MAX_SIZE + i] = name;
  return i;
}

/**
 * True if the entries of split table `t` are in shared-key order (the usual case: every instance
 * of the class stored its attributes in the same order), so visiting its live entries in entry
 * order is visiting them in CPython's values-array order. Deleted entries keep their index word
 * and are compared too: that can only answer false for a table whose live entries are in order,
 * which sends the caller to splitTableSorted, never to a wrong order, and keeps this loop short.
 */
export function splitTableOrdered(h: ObjectHeap, t: number): boolean {
  const ne = read32(h, t + T_NENTRIES);
  let e = t + T_INDICES + 4 * read32(h, t + T_SIZE) + E_INDEX;
  let last = -1;
  for (let i = 0; i < ne; i++, e += ENTRY_SIZE) {
    const ix = read32(h, e);
    if (ix <= last) return false;
    last = ix;
  }
  return true;
}

/**
 * Fills `out` (at least SHARED_KEYS_MAX_SIZE long) with the addresses of split table `t`'s live
 * entries in shared-key order; returns how many. A live entry's index is below
 * SHARED_KEYS_MAX_SIZE and no two live entries share one, so this is a placement, not a sort.
 */
export function splitTableSorted(h: ObjectHeap, t: number, out: Int32Array): number {
  const ne = read32(h, t + T_NENTRIES);
  const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
  let top = 0;
  out.fill(0);
  for (let i = 0, e = e0; i < ne; i++, e += ENTRY_SIZE) {
    if (read32(h, e + E_KEY + 4) === REF_TAG && read32(h, e + E_KEY) === 0) continue;
    const ix = read32(h, e + E_INDEX);
    out[ix] = e;
    if (ix >= top) top = ix + 1;
  }
  let n = 0;
  for (let ix = 0; ix < top; ix++) if (out[ix] !== 0) out[n++] = out[ix]!;
  return n;
}
