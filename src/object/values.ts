/**
 * The values array: where a dynamic instance keeps its attributes while they fit its class's
 * shared keys (CPython 3.11's PyDictValues, PEP 412). The names are not here: shared name `i`
 * lives in the class's shared keys (sharedkeys.ts) and its value in slot `i`. Before the values,
 * the insertion order of the live ones, as CPython 3.11 keeps it in the bytes before its values
 * (_PyDictValues_AddToInsertionOrder), so that a materialised dict lists them in the order the
 * instance stored them. One raw block, owned by its instance (the attrs word, instance.ts).
 *
 *           3                   2                   1
 *         1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
 *        ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┼─┴─┴─┴─┴─┴─┴─┴─┼─┴─┴─┴─┴─┴─┴─┴─┤
 *     +0 │               0               │     count     │   capacity    │
 *        ├───────────────────────────────┴───────────────┴───────────────┤
 *     +4 │ order: `capacity` bytes, the shared-key indices of the live   │
 *        │ values in insertion order (the first `count` are meaningful), │
 *        │ then zero bytes up to the next multiple of 8                  │
 *        ├───────────────────────────────────────────────────────────────┤
 *     +V │ slot 0 … slot capacity−1: 8 bytes each (value.ts); slot i      │
 *        │ holds shared name i's value, or NULL when the instance has    │
 *        │ none                                                          │
 *        └───────────────────────────────────────────────────────────────┘
 *                                        V = (4 + capacity + 7) & ~7
 *
 *   | field    | range                      | meaning                                      |
 *   |----------|----------------------------|----------------------------------------------|
 *   | capacity | 1 … SHARED_KEYS_MAX_SIZE   | slots in this block; grows by reallocation   |
 *   | count    | 0 … capacity               | live values = order bytes in use             |
 *   | order[j] | 0 … capacity−1, distinct   | the shared-key index of the j-th stored one  |
 *   | slot i   | NULL, or a value           | non-NULL exactly for the i in order[0…count) |
 *
 * A new array is as large as the class's shared keys are at the time (CPython sizes it from the
 * keys too), so instances that store their class's names usually never grow it: a plain
 * instance with three attributes has a 32-byte array (CPython 3.11's is 32 bytes too, by
 * tracemalloc). traverse, clear and dealloc go in slot order, which is CPython's
 * values-array order; nothing here changes a refcount.
 */
import { copyBytes, fillBytes, free, malloc, read8, read32, write8, write32 } from "../memory/index.js";
import type { ObjectHeap } from "./heap.js";
import { SLOT_SIZE, setSlotNull } from "./value.js";

/** Byte offset of the order bytes (after the header word). */
export const VALUES_ORDER = 4;
const V_ORDER = VALUES_ORDER;

/**
 * Byte offset of slot 0 in a values array of `capacity` slots: after the order bytes, 8-aligned.
 * (scripts/hot-collector.ts writes the same formula into the collector's generated passes.)
 */
function slotsOffset(capacity: number): number {
  return (V_ORDER + capacity + 7) & ~7;
}

/** Bytes a values array of `capacity` slots needs. */
export function valuesBytes(capacity: number): number {
  return slotsOffset(capacity) + SLOT_SIZE * capacity;
}

/** Allocates an empty values array of `capacity` slots (all NULL). */
export function valuesNew(h: ObjectHeap, capacity: number): number {
  const v = malloc(h, valuesBytes(capacity));
  write32(h, v, capacity);
  const s = slotsOffset(capacity);
  fillBytes(h, v + V_ORDER, 0, s - V_ORDER);
  for (let i = 0, p = v + s; i < capacity; i++, p += SLOT_SIZE) setSlotNull(h, p);
  return v;
}

export function valuesCapacity(h: ObjectHeap, v: number): number {
  return read32(h, v) & 0xff;
}
/** How many values the array holds. */
export function valuesCount(h: ObjectHeap, v: number): number {
  return (read32(h, v) >>> 8) & 0xff;
}
/** The shared-key index of the `j`-th value stored (j < valuesCount). */
export function valuesOrderAt(h: ObjectHeap, v: number, j: number): number {
  return read8(h, v + V_ORDER + j);
}
/** Address of slot `i` (i < valuesCapacity). */
export function valuesSlot(h: ObjectHeap, v: number, i: number): number {
  return v + slotsOffset(read32(h, v) & 0xff) + SLOT_SIZE * i;
}

/** Records that slot `i`, NULL until now, was given a value (it becomes the last in order). */
export function valuesAddOrder(h: ObjectHeap, v: number, i: number): void {
  const w = read32(h, v);
  const count = (w >>> 8) & 0xff;
  write8(h, v + V_ORDER + count, i);
  write32(h, v, (w & 0xff) | ((count + 1) << 8));
}

/** Records that slot `i`'s value was removed: the later ones move up in order. */
export function valuesRemoveOrder(h: ObjectHeap, v: number, i: number): void {
  const w = read32(h, v);
  const count = (w >>> 8) & 0xff;
  let j = 0;
  while (j < count && read8(h, v + V_ORDER + j) !== i) j++;
  if (j === count) return;
  copyBytes(h, v + V_ORDER + j, v + V_ORDER + j + 1, count - j - 1);
  write8(h, v + V_ORDER + count - 1, 0);
  write32(h, v, (w & 0xff) | ((count - 1) << 8));
}

/**
 * A copy of values array `v` (0 = none yet) with `capacity` slots (≥ its own), which replaces it:
 * `v` is freed, its values move, no refcount changes. If the allocation fails, `v` is unchanged.
 */
export function valuesGrow(h: ObjectHeap, v: number, capacity: number): number {
  const nv = valuesNew(h, capacity);
  if (v === 0) return nv;
  const old = valuesCapacity(h, v);
  const count = valuesCount(h, v);
  write32(h, nv, capacity | (count << 8));
  copyBytes(h, nv + V_ORDER, v + V_ORDER, count);
  copyBytes(h, nv + slotsOffset(capacity), v + slotsOffset(old), SLOT_SIZE * old);
  free(h, v);
  return nv;
}
