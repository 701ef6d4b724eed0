/**
 * The object half of the heap verifier. On top of the allocator checks it verifies:
 *  - invariant 1: every allocated block holds exactly one live object or is storage owned by
 *    exactly one live object (a list's items, a dict's or instance's table);
 *  - invariant 2: the generation lists are consistent rings and every tracked object is on
 *    exactly one of them (no collection is running);
 *  - invariant 3: every reference in the heap points to a live object, and each object's
 *    refcount is at least the number of references to it from heap objects (the rest are held
 *    from outside: handles, the engine's temporaries);
 *  - weakref lists: each is a consistent doubly linked list of live weakrefs to its owner, and
 *    every live weakref either is dead (referent 0) or is on its referent's list;
 *  - shared keys (sharedkeys.ts): a class's budget and names fit SHARED_KEYS_MAX_SIZE; an
 *    instance's attrs word holds 0, a values array it owns (values.ts: its order lists exactly
 *    the non-NULL slots, each a name the class shares), or a live dict; every live entry of a
 *    split dict's table is a str whose name the class shares at the index the entry records,
 *    each index at most once.
 * Object-level checks need a checked heap (its block-state map says which blocks are objects);
 * on an unchecked heap only the allocator and the generation rings are verified.
 *
 * It may be called wherever user code runs (see VerifyState): inside a collection, objects also
 * sit on the collector's own lists (the scratch rings) with COLLECTING set; inside a deallocation,
 * dying objects have refcount 0 and may still point at children they already released — they are
 * accepted then, and their references are not counted.
 */
import { BlockState, forEachAllocatedBlock, read32, usableSize, verifyMemory } from "../memory/index.js";
import { hex } from "../util/index.js";
import { DICT_KEYS_KIND, DICT_KEYS_KIND_MASK, DICT_KEYS_SPLIT, DICT_TABLE, splitKeysClass } from "./dict.js";
import { E_INDEX, E_KEY, ENTRY_SIZE, T_INDICES, T_NENTRIES, T_SIZE } from "./dicttable.js";
import { GC_HEAD_SIZE, PREV_MASK, PREV_MASK_COLLECTING, refcnt, typeIdOf } from "./header.js";
import {
  EMPTY_TUPLE,
  FALSE,
  GEN0_HEAD,
  GEN1_HEAD,
  GEN2_HEAD,
  NONE,
  type ObjectHeap,
  PERMANENT_HEAD,
  SCRATCH_HEAD_COUNT,
  SCRATCH_HEADS,
  SHARED_KEYS_MAX_SIZE,
  TRUE,
} from "./heap.js";
import { attrsIsDict } from "./instance.js";
import { Kind, kindIsGc } from "./kinds.js";
import { LIST_ALLOCATED, LIST_ITEMS, LIST_SIZE } from "./list.js";
import { sharedKeyStr } from "./sharedkeys.js";
import { strEquals, strHash } from "./str.js";
import { heldKeyRefs, traverse } from "./traverse.js";
import { REF_TAG, slotIsNull } from "./value.js";
import { valuesBytes, valuesCapacity, valuesCount, valuesOrderAt, valuesSlot } from "./values.js";
import { isWeakref, WR_PREV, weaklistHead, weakrefNext, weakrefObjectSlot } from "./weakref.js";

/** What verify(h) returns. */
export interface VerifyReport {
  /** Problems found; empty when the heap is sound. */
  readonly problems: string[];
  /** Live objects (checked heaps only, including the static singletons). */
  readonly objects: number;
  /** References held from outside the heap, summed over all objects (checked heaps only). */
  readonly externalRefs: number;
  /**
   * Live objects that no external reference reaches, directly or through other objects: cyclic
   * garbage a collection would free (checked heaps only; found by the verifier's own walk).
   */
  readonly unreachable: readonly number[];
}

const GENERATION_HEADS = [GEN0_HEAD, GEN1_HEAD, GEN2_HEAD, PERMANENT_HEAD];
const SCRATCH_RING_HEADS = Array.from({ length: SCRATCH_HEAD_COUNT }, (_, i) => SCRATCH_HEADS + 16 * i);

/** Where the heap is when verify runs (the layers above know; the object layer cannot tell). */
export interface VerifyState {
  /** A collection is running: its scratch lists may hold objects, with COLLECTING set. */
  readonly collecting: boolean;
  /** A deallocation is running: objects with refcount 0 are dying (mid-teardown or deferred). */
  readonly deallocating: boolean;
  /** Storage blocks detached from their object and being released (an instance's attributes). */
  readonly releasing: readonly number[];
}

const IDLE: VerifyState = { collecting: false, deallocating: false, releasing: [] };

export function verifyHeap(h: ObjectHeap, state: VerifyState = IDLE): VerifyReport {
  const problems = verifyMemory(h);
  const bad = (msg: string): void => {
    if (problems.length < 100) problems.push(msg);
  };

  // Invariant 2: the generation rings (and, during a collection, its own lists).
  const onRing = new Set<number>();
  for (const head of [...GENERATION_HEADS, ...SCRATCH_RING_HEADS]) {
    const scratch = head >= SCRATCH_HEADS;
    if (scratch && !state.collecting && read32(h, head) !== head) {
      bad(`the collector's list at ${hex(head)} holds objects outside a collection`);
    }
    let prev = head;
    for (let g = read32(h, head); g !== head; g = read32(h, g)) {
      if (onRing.has(g) || g <= 0 || g >= h.buffer.byteLength) {
        bad(`generation list at ${hex(head)}: bad or repeated link ${hex(g)}`);
        break;
      }
      onRing.add(g);
      const prevWord = read32(h, g + 4);
      if ((prevWord & PREV_MASK) !== prev)
        bad(`GC head ${hex(g)} has prev ${hex(prevWord & PREV_MASK)}, expected ${hex(prev)}`);
      if ((prevWord & PREV_MASK_COLLECTING) !== 0 && !scratch)
        bad(`object ${hex(g + GC_HEAD_SIZE)} has COLLECTING set outside the collector's lists`);
      prev = g;
    }
    if ((read32(h, head + 4) & PREV_MASK) !== prev)
      bad(`generation list at ${hex(head)} has a wrong tail link`);
  }
  if (!h.checked) return { problems, objects: 0, externalRefs: 0, unreachable: [] };

  // Invariant 1: classify every allocated block.
  const objects: number[] = [NONE, TRUE, FALSE, EMPTY_TUPLE];
  const rawBlocks = new Set<number>();
  forEachAllocatedBlock(h, (block) => {
    const state = h.blockState[block >> 4];
    if (state === BlockState.Raw) rawBlocks.add(block);
    else if (state === BlockState.Object) objects.push(block);
    else if (state === BlockState.GcObject) objects.push(block + GC_HEAD_SIZE);
    else bad(`allocated block ${hex(block)} has block state ${state}`);
  });
  const live = new Set(objects);
  const owned = new Set<number>();
  const own = (o: number, block: number, what: string): void => {
    if (!rawBlocks.has(block))
      bad(`${what} of object ${hex(o)} points at ${hex(block)}, not an allocated storage block`);
    else if (owned.has(block)) bad(`storage block ${hex(block)} is owned twice (again by ${hex(o)})`);
    owned.add(block);
  };

  // Invariant 3: count references from heap objects.
  const internal = new Map<number, number>();
  const dying = new Set<number>();
  for (const o of objects) {
    const id = typeIdOf(h, o);
    const kind = h.typeKind[id];
    if (h.types[id] === undefined || kind === undefined || kind === 0) {
      bad(`object ${hex(o)} has unknown type id ${id}`);
      continue;
    }
    // Being torn down (or deferred by the trashcan): what it still points at may be gone.
    const isDying = refcnt(h, o) === 0 && state.deallocating;
    if (isDying) dying.add(o);
    else if (refcnt(h, o) < 1) bad(`live object ${hex(o)} has refcount ${refcnt(h, o)}`);
    if (kindIsGc(kind) && o !== EMPTY_TUPLE) {
      const tracked = read32(h, o - GC_HEAD_SIZE) !== 0;
      if (tracked !== onRing.has(o - GC_HEAD_SIZE)) {
        bad(
          `object ${hex(o)} is ${tracked ? "tracked but on no generation list" : "on a list but untracked"}`,
        );
      }
    }
    if (kind === Kind.List) {
      const items = read32(h, o + LIST_ITEMS);
      if (read32(h, o + LIST_SIZE) > read32(h, o + LIST_ALLOCATED))
        bad(`list ${hex(o)} has size > allocated`);
      if (items !== 0) own(o, items, "item storage");
    } else if (kind === Kind.Dict) {
      const t = read32(h, o + DICT_TABLE);
      if (t !== 0) own(o, t, "table");
      const keysKind = read32(h, o + DICT_KEYS_KIND);
      if ((keysKind & DICT_KEYS_KIND_MASK) === DICT_KEYS_SPLIT) {
        const cls = splitKeysClass(keysKind);
        if (!(h.typeAttrsOffset[cls]! >= 0))
          bad(`split dict ${hex(o)} names class ${cls}, which has no shared keys`);
        else if (t !== 0 && rawBlocks.has(t)) verifySplitTable(h, o, t, cls, live, bad);
      }
    } else if (kind === Kind.Instance) {
      const off = h.typeAttrsOffset[id]!;
      const w = off >= 0 ? read32(h, o + off) : 0;
      if (attrsIsDict(w)) {
        if (!live.has(w) || h.typeKind[typeIdOf(h, w)] !== Kind.Dict)
          bad(`instance ${hex(o)}: its attrs word holds ${hex(w)}, which is not a live dict`);
      } else if (w !== 0) {
        own(o, w, "values array");
        if (rawBlocks.has(w)) verifyValues(h, o, w, id, bad);
      }
    }
    if (isDying) continue;
    for (const refs of [traverse, heldKeyRefs]) {
      const n = refs(h, o);
      for (let i = 0; i < n; i++) {
        const r = h.edges[i]!;
        if (!live.has(r)) {
          bad(`object ${hex(o)} references ${hex(r)}, which is not a live object`);
          continue;
        }
        internal.set(r, (internal.get(r) ?? 0) + 1);
      }
    }
  }
  // Storage a deallocation detached and is releasing now (freed when it is done).
  for (const b of state.releasing) owned.add(b);
  for (const b of rawBlocks)
    if (!owned.has(b)) bad(`storage block ${hex(b)} is owned by no live object (leaked)`);
  verifySharedKeys(h, live, bad);
  verifyWeakrefLists(h, objects, live, bad);
  let external = 0;
  const reached = new Set<number>();
  const stack: number[] = [];
  for (const o of objects) {
    const ext = refcnt(h, o) - (internal.get(o) ?? 0);
    if (ext < 0) {
      bad(`object ${hex(o)} has refcount ${refcnt(h, o)} but ${internal.get(o)} references from the heap`);
    }
    external += ext;
    if (ext > 0) {
      reached.add(o);
      stack.push(o);
    }
  }
  // Reachability from the externally referenced objects (an explicit stack: no recursion).
  while (stack.length > 0) {
    const o = stack.pop()!;
    for (const refs of [traverse, heldKeyRefs]) {
      const n = refs(h, o);
      const found = Array.from(h.edges.subarray(0, n));
      for (const r of found) {
        if (live.has(r) && !reached.has(r)) {
          reached.add(r);
          stack.push(r);
        }
      }
    }
  }
  const unreachable = objects.filter((o) => !reached.has(o) && !dying.has(o));
  return { problems, objects: objects.length, externalRefs: external, unreachable };
}

/**
 * Every dynamic class's shared keys: at most SHARED_KEYS_MAX_SIZE names within the budget, each a
 * live str (the class's reference to it is counted by heldKeyRefs of its type object), no two
 * equal.
 */
function verifySharedKeys(h: ObjectHeap, live: ReadonlySet<number>, bad: (msg: string) => void): void {
  for (let id = 0; id < h.types.length; id++) {
    if (!(h.typeAttrsOffset[id]! >= 0)) continue;
    const n = h.typeSharedCount[id]!;
    const usable = h.typeSharedUsable[id]!;
    if (usable < 0 || n + usable > SHARED_KEYS_MAX_SIZE)
      bad(`class ${id}: shared keys hold ${n} names with a budget of ${usable}`);
    for (let i = 0; i < n; i++) {
      const s = sharedKeyStr(h, id, i);
      if (!live.has(s) || h.typeKind[typeIdOf(h, s)] !== Kind.Str) {
        bad(`class ${id}: shared name ${i} is ${hex(s)}, not a live str`);
        continue;
      }
      for (let j = 0; j < i; j++) {
        if (strEquals(h, s, sharedKeyStr(h, id, j))) bad(`class ${id}: shared names ${j} and ${i} are equal`);
      }
    }
  }
}

/**
 * Values array `v` of instance `o` (class `cls`) is well formed: its capacity fits its block and
 * the shared keys' cap, and its order lists each non-NULL slot once, every one a name the class
 * shares. (The values themselves are checked as traverse's edges.)
 */
function verifyValues(h: ObjectHeap, o: number, v: number, cls: number, bad: (msg: string) => void): void {
  const cap = valuesCapacity(h, v);
  const count = valuesCount(h, v);
  if (
    cap < 1 ||
    cap > SHARED_KEYS_MAX_SIZE ||
    usableSize(h, v) < valuesBytes(cap) ||
    count > cap ||
    read32(h, v) >>> 16 !== 0
  ) {
    bad(
      `values array of ${hex(o)}: header word ${hex(read32(h, v))} (capacity ${cap}, count ${count}) is not valid`,
    );
    return;
  }
  const inOrder = new Set<number>();
  for (let j = 0; j < count; j++) {
    const ix = valuesOrderAt(h, v, j);
    if (ix >= cap || ix >= h.typeSharedCount[cls]! || inOrder.has(ix))
      bad(`values array of ${hex(o)}: order entry ${j} is ${ix}, not a distinct shared name it has room for`);
    inOrder.add(ix);
  }
  for (let i = 0; i < cap; i++) {
    const p = valuesSlot(h, v, i);
    const isNull = slotIsNull(h, p);
    if (isNull === inOrder.has(i))
      bad(
        `values array of ${hex(o)}: slot ${i} is ${isNull ? "NULL but listed" : "set but not listed"} in its order`,
      );
  }
}

/** The live entries of split dict `o`'s table `t` match class `cls`'s shared keys. */
function verifySplitTable(
  h: ObjectHeap,
  o: number,
  t: number,
  cls: number,
  live: ReadonlySet<number>,
  bad: (msg: string) => void,
): void {
  const count = h.typeSharedCount[cls]!;
  const seen = new Set<number>();
  const ne = read32(h, t + T_NENTRIES);
  const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
  for (let i = 0; i < ne; i++) {
    const e = e0 + ENTRY_SIZE * i;
    if (read32(h, e + E_KEY + 4) !== REF_TAG) {
      bad(`split table of ${hex(o)}: entry ${i} has a number key`);
      continue;
    }
    const k = read32(h, e + E_KEY);
    if (k === 0) continue; // deleted
    if (!live.has(k)) continue; // reported as a reference to a dead object
    if (h.typeKind[typeIdOf(h, k)] !== Kind.Str) {
      bad(`split table of ${hex(o)}: entry ${i} has a key that is not a str`);
      continue;
    }
    const ix = read32(h, e + E_INDEX);
    if (
      !(ix >= 0 && ix < count) ||
      !live.has(sharedKeyStr(h, cls, ix)) ||
      !strEquals(h, k, sharedKeyStr(h, cls, ix)) ||
      read32(h, e) !== strHash(h, k)
    )
      bad(`split table of ${hex(o)}: entry ${i} records shared-key index ${ix}, which is not its name`);
    else if (seen.has(ix)) bad(`split table of ${hex(o)}: shared-key index ${ix} is used twice`);
    seen.add(ix);
  }
}

/** Weakref lists are consistent, and every live weakref is dead or listed by its referent. */
function verifyWeakrefLists(
  h: ObjectHeap,
  objects: readonly number[],
  live: ReadonlySet<number>,
  bad: (msg: string) => void,
): void {
  const listed = new Set<number>();
  for (const o of objects) {
    let prev = 0;
    for (let wr = weaklistHead(h, o); wr !== 0; wr = weakrefNext(h, wr)) {
      if (!live.has(wr) || !isWeakref(h, wr) || listed.has(wr)) {
        bad(`the weakref list of ${hex(o)} holds ${hex(wr)}, which is not a live weakref listed once`);
        break;
      }
      listed.add(wr);
      if (weakrefObjectSlot(h, wr) !== o)
        bad(`weakref ${hex(wr)} is on the list of ${hex(o)} but refers elsewhere`);
      if (read32(h, wr + WR_PREV) !== prev) bad(`weakref ${hex(wr)} has a wrong prev link`);
      prev = wr;
    }
  }
  for (const wr of objects) {
    if (!isWeakref(h, wr) || weakrefObjectSlot(h, wr) === 0 || listed.has(wr)) continue;
    bad(`weakref ${hex(wr)} refers to ${hex(weakrefObjectSlot(h, wr))} but is not on its weakref list`);
  }
}
