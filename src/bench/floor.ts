/**
 * The floors: for W1, W2 and W3 (floor-w3.ts), the work CPython (and refheap) must do, and nothing else, written by
 * hand as flat TypeScript over an Int32Array of the floor's own, laid out as refheap's heap is
 * (docs/layout.md): an 8-byte GC head [gc_next, gc_prev | flags] before an 8-byte object header
 * [refcnt, reuse tag << 16 | type id], then 8-byte value slots [address, REF_TAG]; pymalloc's
 * 16 KiB pools with their 48-byte headers, per-pool free lists and counts, usedpools, and arenas of
 * 64 pools that are claimed, and given back when wholly free, as src/memory/pymalloc.ts does. The
 * report puts a floor's row next to refheap's, to show how fast an exact implementation can be on
 * this machine. It is not refheap: it knows its one workload's classes, and declines (throws) where
 * a general implementation would branch to code it does not have.
 *
 * The timed functions (floorW1Build, floorW1Drop, floorCollectGarbage, floorCollectPause, and
 * floor-gc.ts's collections) are flat:
 * no helper calls in their loops except pymalloc's slow paths (newPool, freeBlock: once per pool,
 * where refheap calls out too), every word offset a literal (V8 does not fold module-level
 * constants into optimised code). The helpers below them (allocBlock, freeBlock, newNode, ...) do
 * the same steps with names, for the untimed set-up and for the tests, which compare the two.
 *
 * The floor's own words in chunk 0 (beside refheap's list heads, which sit where refheap puts
 * them); arena descriptors live in the heap here, where refheap keeps them in JS typed arrays:
 *
 *   word  4/5   generation 0 head (0x10: next, prev)    word 12/13  generation 2 head (0x30)
 *   word  8/9   generation 1 head (0x20)                word 20/21  the unreachable list (0x50)
 *   word 128…   the type object `Node`: GC head at 0x200, object at 0x208 (refcnt = word 130)
 *   word 192    usedpools head of size class 1 (32-byte blocks: every object here is one, but
 *               W3's weakrefs, in size class 2's 48-byte blocks: usedpools head at word 201)
 *   word 193    usable_arenas head (a chunk number)     word 194   generation 0's count
 *   word 195    the reuse counter                       word 196   count at which a collection is due
 *   word 197    first chunk past the arenas' room       word 198/199  the item regions A and B
 *   word 200    item capacity of a region               word 202   W3's callback's refcount
 *   words 203–212  the collector's counts and state, the list freelist and gc.garbage (floor-gc.ts)
 *   word 1024 + 8a   arena a: +0 nfreepools, +1 pool_address, +2 freepools, +3 next, +4 prev
 *   word 32768 + c   chunk c: 0 free, 2 arena
 *
 * A list's item block lives in one of two item regions past the arenas and moves to the other one
 * when list_resize grows it (the items are copied); the floor has no large-block allocator.
 */

import { floorCollectDue } from "./floor-gc.js";

export const FLOOR_GEN0 = 0x10;
export const FLOOR_GEN1 = 0x20;
export const FLOOR_GEN2 = 0x30;
export const FLOOR_UNREACHABLE = 0x50;
/** The type object of `Node` (its GC head is at 0x200). */
export const FLOOR_TYPE = 0x208;
/** The first user class's type id (FIRST_USER_TYPE): Node is the heap's first class. */
export const FLOOR_NODE_ID = 18;
export const FLOOR_LIST_ID = 5;
export const FLOOR_TYPE_ID = 7;
const REF_TAG = 0xffff0000 | 0;

const W_USED = 192;
/** usedpools' head of size class 2 (48-byte blocks: W3's weakref objects). */
const W_USED2 = 201;
const W_USABLE = 193;
const W_COUNT0 = 194;
/** The word holding generation 0's count. */
export const FLOOR_COUNT0 = W_COUNT0;
const W_REUSE = 195;
const W_AUTO = 196;
const W_ARENA_LIMIT = 197;
const W_REGION_A = 198;
const W_REGION_B = 199;
const W_REGION_CAP = 200;
/** The list freelist's one block (an object address, or 0), and whether collection is on (floor-gc.ts). */
const W_LIST_FREE = 210;
const W_GC_ON = 211;
/** With collection on, the gc.garbage list's address (an empty list in generation 2). */
const W_GARBAGE = 212;
const ARENA_DESC = 1024;
const CHUNK_KIND = 32768;
const POOL_SIZE = 16384;
const POOL_OVERHEAD = 48;
const BLOCK = 32;
const BLOCKS_PER_POOL = Math.floor((POOL_SIZE - POOL_OVERHEAD) / BLOCK);
/** The size classes the floors use: 1 (32-byte blocks) and 2 (48-byte blocks, W3's weakrefs). */
type SizeClass = 1 | 2;
/** Where usedpools' head of size class `cls` is. */
const usedWord = (cls: number): number => (cls === 1 ? W_USED : W_USED2);
const blockSize = (cls: number): number => (cls + 1) << 4;
const MIB = 1 << 20;

/** The capacity list_resize reaches after `n` appends from empty (0, 4, 8, 16, 24, …). */
export function listCapacityAfter(n: number): number {
  let allocated = 0;
  for (let size = 0; size < n; size++) {
    const newsize = size + 1;
    if (allocated >= newsize && newsize >= allocated >> 1) continue;
    let na = (newsize + (newsize >> 3) + 6) & ~3;
    if (newsize - size > na - newsize) na = (newsize + 3) & ~3;
    allocated = na;
  }
  return allocated;
}

/**
 * A floor heap with room for `objects` live instances (plus a list and its items, and slack):
 * chunk 0 (list heads, the type object, the floor's words), then the arenas' chunks, then the two
 * item regions. Automatic collection is off (the due count is never reached), or with
 * `collection` on at CPython's default thresholds (700, 10, 10; floor-gc.ts), and then a dead
 * list's block is kept on a one-entry list freelist as CPython's list_dealloc keeps it.
 */
export function newFloorHeap(objects: number, collection = false): Int32Array {
  const arenaChunks = Math.ceil((objects + 64) / (64 * BLOCKS_PER_POOL)) + 2;
  const cap = listCapacityAfter(objects);
  const regionChunks = Math.ceil((8 * cap) / MIB) + 1;
  const chunks = 1 + arenaChunks + 2 * regionChunks;
  const i32 = new Int32Array((chunks * MIB) / 4);
  for (const head of [FLOOR_GEN0, FLOOR_GEN1, FLOOR_GEN2, 0x40, FLOOR_UNREACHABLE]) {
    i32[head >> 2] = head;
    i32[(head >> 2) + 1] = head;
  }
  i32[W_AUTO] = collection ? 700 : 0x7fffffff;
  i32[W_GC_ON] = collection ? 1 : 0;
  i32[W_ARENA_LIMIT] = 1 + arenaChunks;
  i32[W_REGION_A] = (1 + arenaChunks) * MIB;
  i32[W_REGION_B] = (1 + arenaChunks + regionChunks) * MIB;
  i32[W_REGION_CAP] = (regionChunks * MIB) / 8;
  // The type object: refcount 1 (the type table's), tracked at the tail of generation 0.
  const tw = FLOOR_TYPE >> 2;
  i32[tw] = 1;
  i32[tw + 1] = FLOOR_TYPE_ID;
  i32[tw + 2] = FLOOR_NODE_ID;
  trackGen0(i32, FLOOR_TYPE - 8);
  i32[W_COUNT0] = 1;
  if (collection) {
    // refheap's gc.garbage: an empty list in generation 2 from the start, not counted, which
    // every full collection walks and counts among the long-lived objects.
    const g = allocBlock(i32);
    initHeader(i32, g + 8, FLOOR_LIST_ID);
    const last = i32[(FLOOR_GEN2 >> 2) + 1]!;
    i32[last >> 2] = g;
    i32[(g >> 2) + 1] = last;
    i32[g >> 2] = FLOOR_GEN2;
    i32[(FLOOR_GEN2 >> 2) + 1] = g;
    i32[W_GARBAGE] = g + 8;
  }
  return i32;
}

/** _PyObject_GC_TRACK of a fresh object: append its GC head `g` at the tail of generation 0. */
function trackGen0(i32: Int32Array, g: number): void {
  const last = i32[(FLOOR_GEN0 >> 2) + 1]! & ~3;
  i32[last >> 2] = g;
  i32[(g >> 2) + 1] = last;
  i32[g >> 2] = FLOOR_GEN0;
  i32[(FLOOR_GEN0 >> 2) + 1] = g;
}

// --- the helpers: the same steps as the flat functions, with names (untimed use, tests) -------

/** new_arena: the lowest free chunk of the arenas' room. */
function newArena(i32: Int32Array): number {
  const limit = i32[W_ARENA_LIMIT]!;
  let c = 1;
  while (c < limit && i32[CHUNK_KIND + c] !== 0) c++;
  if (c >= limit) throw new Error("floor: out of arena chunks");
  i32[CHUNK_KIND + c] = 2;
  const aw = ARENA_DESC + 8 * c;
  i32[aw] = 64;
  i32[aw + 1] = c * MIB;
  i32[aw + 2] = 0;
  i32[aw + 3] = 0;
  i32[aw + 4] = 0;
  return c;
}

/**
 * allocate_from_new_pool, up to the first block: takes a pool from the head of usable_arenas
 * (an empty one of the arena, else the next uncarved one), links it as usedpools' only pool of
 * size class `cls` and leaves it with count 0 and its first block on the free list.
 */
export function newPool(i32: Int32Array, cls: SizeClass = 1): number {
  let a = i32[W_USABLE]!;
  if (a === 0) {
    a = newArena(i32);
    i32[W_USABLE] = a;
  }
  const aw = ARENA_DESC + 8 * a;
  const nf = i32[aw]!;
  let pool = i32[aw + 2]!;
  if (pool !== 0) {
    i32[aw + 2] = i32[(pool >> 2) + 2]!;
  } else {
    pool = i32[aw + 1]!;
    i32[aw + 1] = pool + POOL_SIZE;
    i32[(pool >> 2) + 4] = a;
    i32[(pool >> 2) + 5] = 0xffff;
  }
  i32[aw] = nf - 1;
  if (nf === 1) {
    const next = i32[aw + 3]!;
    i32[W_USABLE] = next;
    if (next !== 0) i32[ARENA_DESC + 8 * next + 4] = 0;
    i32[aw + 3] = 0;
  }
  const pw = pool >> 2;
  i32[pw + 2] = 0;
  i32[pw + 3] = 0;
  i32[usedWord(cls)] = pool;
  i32[pw] = 0;
  if (i32[pw + 5] !== cls) {
    i32[pw + 5] = cls;
    i32[pw + 6] = POOL_OVERHEAD + blockSize(cls);
    i32[pw + 7] = POOL_SIZE - blockSize(cls);
    i32[pw + 1] = pool + POOL_OVERHEAD;
    i32[(pool + POOL_OVERHEAD) >> 2] = 0;
  }
  return pool;
}

/** pymalloc_alloc for a block of size class `cls` (32 bytes, or 48). */
export function allocBlock(i32: Int32Array, cls: SizeClass = 1): number {
  const used = usedWord(cls);
  let pool = i32[used]!;
  if (pool === 0) pool = newPool(i32, cls);
  const pw = pool >> 2;
  i32[pw] = i32[pw]! + 1;
  const bp = i32[pw + 1]!;
  const next = i32[bp >> 2]!;
  if (next !== 0) {
    i32[pw + 1] = next;
  } else {
    const off = i32[pw + 6]!;
    if (off <= i32[pw + 7]!) {
      const fb = pool + off;
      i32[pw + 1] = fb;
      i32[pw + 6] = off + blockSize(cls);
      i32[fb >> 2] = 0;
    } else {
      // Full: off usedpools (it is the head).
      i32[pw + 1] = 0;
      const nx = i32[pw + 2]!;
      i32[used] = nx;
      if (nx !== 0) i32[(nx >> 2) + 3] = 0;
    }
  }
  return bp;
}

/** pymalloc_free, with the pool's full → used and used → empty transitions and the arena's. */
export function freeBlock(i32: Int32Array, bp: number): void {
  const pool = bp & ~(POOL_SIZE - 1);
  const pw = pool >> 2;
  const last = i32[pw + 1]!;
  i32[bp >> 2] = last;
  i32[pw + 1] = bp;
  const count = i32[pw]! - 1;
  i32[pw] = count;
  const used = usedWord(i32[pw + 5]!);
  if (last === 0) {
    const head = i32[used]!;
    i32[pw + 2] = head;
    i32[pw + 3] = 0;
    if (head !== 0) i32[(head >> 2) + 3] = pool;
    i32[used] = pool;
  }
  if (count !== 0) return;
  // Empty: off usedpools, onto its arena's freepools; usable_arenas kept sorted by nfreepools.
  const nx = i32[pw + 2]!;
  const pv = i32[pw + 3]!;
  if (pv === 0) i32[used] = nx;
  else i32[(pv >> 2) + 2] = nx;
  if (nx !== 0) i32[(nx >> 2) + 3] = pv;
  const a = i32[pw + 4]!;
  const aw = ARENA_DESC + 8 * a;
  i32[pw + 2] = i32[aw + 2]!;
  i32[aw + 2] = pool;
  const nf = i32[aw]! + 1;
  i32[aw] = nf;
  if (nf === 64 && i32[aw + 3] !== 0) {
    unlinkArena(i32, a);
    i32[CHUNK_KIND + a] = 0;
    i32[aw] = 0;
    i32[aw + 2] = 0;
    return;
  }
  if (nf === 1) {
    const head = i32[W_USABLE]!;
    i32[aw + 3] = head;
    i32[aw + 4] = 0;
    if (head !== 0) i32[ARENA_DESC + 8 * head + 4] = a;
    i32[W_USABLE] = a;
    return;
  }
  let after = i32[aw + 3]!;
  if (after === 0 || i32[ARENA_DESC + 8 * after]! >= nf) return;
  while (
    i32[ARENA_DESC + 8 * after + 3] !== 0 &&
    i32[ARENA_DESC + 8 * i32[ARENA_DESC + 8 * after + 3]!]! < nf
  )
    after = i32[ARENA_DESC + 8 * after + 3]!;
  unlinkArena(i32, a);
  const next = i32[ARENA_DESC + 8 * after + 3]!;
  i32[aw + 4] = after;
  i32[aw + 3] = next;
  if (next !== 0) i32[ARENA_DESC + 8 * next + 4] = a;
  i32[ARENA_DESC + 8 * after + 3] = a;
}

function unlinkArena(i32: Int32Array, a: number): void {
  const aw = ARENA_DESC + 8 * a;
  const prev = i32[aw + 4]!;
  const next = i32[aw + 3]!;
  if (prev === 0) i32[W_USABLE] = next;
  else i32[ARENA_DESC + 8 * prev + 3] = next;
  if (next !== 0) i32[ARENA_DESC + 8 * next + 4] = prev;
  i32[aw + 3] = 0;
  i32[aw + 4] = 0;
}

/** A new object's header: refcount 1, the type id and the next reuse tag. */
function initHeader(i32: Int32Array, o: number, typeId: number): void {
  i32[o >> 2] = 1;
  const tag = (i32[W_REUSE]! + 1) & 0xffff;
  i32[W_REUSE] = tag;
  i32[(o >> 2) + 1] = typeId | (tag << 16);
}

/** _PyObject_GC_Link: counts a new GC object in generation 0, collecting first if one is due. */
function gcLink(i32: Int32Array): void {
  const c0 = i32[W_COUNT0]!;
  if (c0 >= i32[W_AUTO]!) floorCollectDue(i32, "helper");
  else i32[W_COUNT0] = c0 + 1;
}

/** A new `Node` (field NULL), tracked in generation 0, holding a reference to its type. */
export function newNode(i32: Int32Array): number {
  gcLink(i32);
  const bp = allocBlock(i32);
  const o = bp + 8;
  initHeader(i32, o, FLOOR_NODE_ID);
  i32[(o >> 2) + 2] = 0;
  i32[(o >> 2) + 3] = REF_TAG;
  i32[FLOOR_TYPE >> 2] = i32[FLOOR_TYPE >> 2]! + 1;
  trackGen0(i32, bp);
  return o;
}

/**
 * A new empty list (no item block), tracked in generation 0: the freelist's block if there is
 * one (not counted, as PyList_New takes it), else a new counted one.
 */
export function newFloorList(i32: Int32Array): number {
  let o = i32[W_LIST_FREE]!;
  if (o !== 0) {
    i32[W_LIST_FREE] = 0;
  } else {
    gcLink(i32);
    o = allocBlock(i32) + 8;
  }
  const bp = o - 8;
  initHeader(i32, o, FLOOR_LIST_ID);
  i32[(o >> 2) + 2] = 0;
  i32[(o >> 2) + 3] = 0;
  i32[(o >> 2) + 4] = 0;
  trackGen0(i32, bp);
  return o;
}

/** list.append stealing the reference (LIST_APPEND), list_resize's growth moving the items. */
export function listAppendSteal(i32: Int32Array, list: number, o: number): void {
  const lw = list >> 2;
  const size = i32[lw + 2]!;
  const allocated = i32[lw + 4]!;
  const newsize = size + 1;
  if (!(allocated >= newsize && newsize >= allocated >> 1)) {
    let na = (newsize + (newsize >> 3) + 6) & ~3;
    if (newsize - size > na - newsize) na = (newsize + 3) & ~3;
    if (na > i32[W_REGION_CAP]!) throw new Error("floor: the item region is too small");
    const old = i32[lw + 3]!;
    const dst = old === i32[W_REGION_A]! ? i32[W_REGION_B]! : i32[W_REGION_A]!;
    i32.copyWithin(dst >> 2, old >> 2, (old >> 2) + 2 * size);
    i32[lw + 3] = dst;
    i32[lw + 4] = na;
  }
  const sw = (i32[lw + 3]! >> 2) + 2 * size;
  i32[sw] = o;
  i32[sw + 1] = REF_TAG;
  i32[lw + 2] = newsize;
}

/** _PyObject_GC_UNTRACK: unlink the object from its list, keep only FINALIZED. */
function untrack(i32: Int32Array, o: number): void {
  const gw = (o - 8) >> 2;
  const prevWord = i32[gw + 1]!;
  const prev = prevWord & ~3;
  const next = i32[gw]!;
  i32[prev >> 2] = next;
  i32[(next >> 2) + 1] = (i32[(next >> 2) + 1]! & 3) | prev;
  i32[gw] = 0;
  i32[gw + 1] = prevWord & 1;
}

/** Py_DECREF of a `Node`: at 0 it is untracked, its field released, its block freed, its type released. */
export function decrefNode(i32: Int32Array, o: number): void {
  const rc = i32[o >> 2]! - 1;
  i32[o >> 2] = rc;
  if (rc !== 0) return;
  if ((i32[(o >> 2) + 1]! & 0xffff) !== FLOOR_NODE_ID) throw new Error("floor: not a Node");
  if (i32[(o >> 2) - 2] !== 0) untrack(i32, o);
  if (i32[(o >> 2) + 3] === REF_TAG) {
    const r = i32[(o >> 2) + 2]!;
    if (r !== 0) {
      i32[(o >> 2) + 2] = 0;
      decrefNode(i32, r);
    }
  }
  if (i32[W_COUNT0]! > 0) i32[W_COUNT0] = i32[W_COUNT0]! - 1;
  freeBlock(i32, o - 8);
  const trc = i32[FLOOR_TYPE >> 2]! - 1;
  i32[FLOOR_TYPE >> 2] = trc;
  if (trc === 0) throw new Error("floor: the type object's count reached 0");
}

/** Sets a Node's field to `v` (taking a new reference); the old value must be NULL. */
export function setNodeField(i32: Int32Array, o: number, v: number): void {
  if (i32[(o >> 2) + 2] !== 0) throw new Error("floor: setNodeField over a set field");
  i32[v >> 2] = i32[v >> 2]! + 1;
  i32[(o >> 2) + 2] = v;
  i32[(o >> 2) + 3] = REF_TAG;
}

/** W2a's set-up (untimed): `pairs` cycles a.other = b, b.other = a, both dropped. */
export function floorMakeCycles(i32: Int32Array, pairs: number): void {
  for (let i = 0; i < pairs; i++) {
    const a = newNode(i32);
    const b = newNode(i32);
    setNodeField(i32, a, b);
    setNodeField(i32, b, a);
    decrefNode(i32, a);
    decrefNode(i32, b);
  }
}

/**
 * W2b's fragmented heap (untimed), built as w2.ts's fragmentedList builds refheap's: `objects`
 * Nodes, then a list; then for each i, the Node at order[i] is dropped and a new one appended.
 * Returns the list and how many new Nodes took the block the shuffle meant for them.
 */
export function floorFragmentedList(i32: Int32Array, order: Int32Array): { list: number; placed: number } {
  const n = order.length;
  const first = new Int32Array(n);
  for (let i = 0; i < n; i++) first[i] = newNode(i32);
  const list = newFloorList(i32);
  let placed = 0;
  for (let i = 0; i < n; i++) {
    const block = first[order[i]!]!;
    decrefNode(i32, block);
    const o = newNode(i32);
    if (o === block) placed++;
    listAppendSteal(i32, list, o);
  }
  return { list, placed };
}

// --- the checks -------------------------------------------------------------------------------

/**
 * Walks every arena's carved pools: each pool's free list must hold exactly its carved blocks
 * less its count, usedpools exactly the pools that are neither full nor empty, and every arena's
 * nfreepools its empty and uncarved pools. Returns the blocks in use.
 */
export function floorBlocksInUse(i32: Int32Array): number {
  const fail = (why: string): never => {
    throw new Error(`floor: pymalloc state is wrong: ${why}`);
  };
  let inUse = 0;
  const used = new Set<number>();
  for (const cls of [1, 2]) {
    for (let p = i32[usedWord(cls)]!, prev = 0; p !== 0; prev = p, p = i32[(p >> 2) + 2]!) {
      if (i32[(p >> 2) + 3] !== prev) fail(`usedpools' prev link at pool ${p}`);
      if (i32[(p >> 2) + 5] !== cls)
        fail(`pool ${p} on size class ${cls}'s usedpools has class ${i32[(p >> 2) + 5]}`);
      if (used.has(p)) fail("usedpools has a cycle");
      used.add(p);
    }
  }
  for (let a = 1; a < i32[W_ARENA_LIMIT]!; a++) {
    if (i32[CHUNK_KIND + a] !== 2) continue;
    const aw = ARENA_DESC + 8 * a;
    const empty = new Set<number>();
    for (let p = i32[aw + 2]!; p !== 0; p = i32[(p >> 2) + 2]!) empty.add(p);
    const free = (a * MIB + MIB - i32[aw + 1]!) / POOL_SIZE + empty.size;
    if (free !== i32[aw]) fail(`arena ${a}: nfreepools ${i32[aw]} but ${free} free pools`);
    for (let pool = a * MIB; pool < i32[aw + 1]!; pool += POOL_SIZE) {
      const pw = pool >> 2;
      const count = i32[pw]!;
      const size = blockSize(i32[pw + 5]!);
      const perPool = Math.floor((POOL_SIZE - POOL_OVERHEAD) / size);
      const carved = Math.floor((Math.min(i32[pw + 6]!, POOL_SIZE) - POOL_OVERHEAD) / size);
      let onList = 0;
      for (let b = i32[pw + 1]!; b !== 0; b = i32[b >> 2]!) {
        if ((b & ~(POOL_SIZE - 1)) !== pool || ++onList > perPool) fail(`pool ${pool}'s free list`);
      }
      const full = count === perPool;
      if (onList !== carved - count)
        fail(`pool ${pool}: count ${count}, ${onList} blocks on its free list, ${carved} carved`);
      if ((count === 0) !== empty.has(pool)) fail(`pool ${pool}: count ${count} and freepools disagree`);
      if ((count > 0 && !full) !== used.has(pool))
        fail(`pool ${pool}: count ${count} and usedpools disagree`);
      inUse += count;
    }
  }
  return inUse;
}

/** The objects on the list with head `head`, checking its prev links and that no flag bit is set. */
export function floorListObjects(i32: Int32Array, head: number): number[] {
  const out: number[] = [];
  let prev = head;
  for (let g = i32[head >> 2]!; g !== head; g = i32[g >> 2]!) {
    if ((g & 15) !== 0 || g < 0 || g >= i32.length * 4)
      throw new Error(`floor: bad link ${g} on list ${head}`);
    if (i32[(g >> 2) + 1] !== prev) throw new Error(`floor: gc_prev of ${g + 8} is not its predecessor`);
    out.push(g + 8);
    prev = g;
    if (out.length > i32.length) throw new Error("floor: a list with a cycle");
  }
  if (i32[(head >> 2) + 1] !== prev) throw new Error(`floor: list ${head}'s tail link is wrong`);
  return out;
}

/** The type object's refcount (1, the type table's, plus one per live Node). */
export const floorTypeRefcnt = (i32: Int32Array): number => i32[FLOOR_TYPE >> 2]!;

/**
 * The floor heap is back where newFloorHeap left it: no block in use (but the list freelist's, if
 * it holds one, and gc.garbage's), only the type object (and gc.garbage) tracked.
 */
export function checkFloorEmpty(i32: Int32Array, what: string): void {
  const garbage = i32[W_GARBAGE]!;
  const inUse = floorBlocksInUse(i32) - (i32[W_LIST_FREE] !== 0 ? 1 : 0) - (garbage !== 0 ? 1 : 0);
  if (inUse !== 0) throw new Error(`floor ${what}: ${inUse} blocks still allocated`);
  const tracked = [FLOOR_GEN0, FLOOR_GEN1, FLOOR_GEN2].flatMap((h) => floorListObjects(i32, h));
  const expected = garbage !== 0 ? [FLOOR_TYPE, garbage].sort((a, b) => a - b) : [FLOOR_TYPE];
  tracked.sort((a, b) => a - b);
  if (tracked.length !== expected.length || tracked.some((o, k) => o !== expected[k]))
    throw new Error(
      `floor ${what}: ${tracked.length} objects tracked, expected only the type object (and gc.garbage)`,
    );
  if (floorListObjects(i32, FLOOR_UNREACHABLE).length !== 0)
    throw new Error(`floor ${what}: the unreachable list is not empty`);
  if (floorTypeRefcnt(i32) !== 1)
    throw new Error(`floor ${what}: the type's count is ${floorTypeRefcnt(i32)}`);
}

/**
 * After W2b's collection: generation 2 holds the type object, the list and its items in the
 * list's order, every gc_prev a plain pointer to its predecessor (gc_refs and COLLECTING gone),
 * no UNREACHABLE tag, the counts unchanged; the younger generations and the unreachable list empty.
 * It allocates nothing on V8's heap (so no V8 collection runs on into the next timed round).
 */
export function checkFloorPause(i32: Int32Array, list: number, objects: number): void {
  const fail = (why: string): never => {
    throw new Error(`floor W2b: ${why}`);
  };
  for (const h of [FLOOR_GEN0, FLOOR_GEN1, FLOOR_UNREACHABLE])
    if (i32[h >> 2] !== h || i32[(h >> 2) + 1] !== h) fail(`list ${h} is not empty`);
  const lw = list >> 2;
  if (i32[lw + 2] !== objects || i32[lw] !== 1) fail("the list's size or count changed");
  const items = i32[lw + 3]! >> 2;
  let prev = FLOOR_GEN2;
  let k = 0;
  for (let g = i32[FLOOR_GEN2 >> 2]!; g !== FLOOR_GEN2; g = i32[g >> 2]!, k++) {
    if (i32[(g >> 2) + 1] !== prev) fail(`gc_prev of ${g + 8} is not its predecessor`);
    const o = g + 8;
    if (k === 0 && o !== FLOOR_TYPE) fail("generation 2 does not start with the type object");
    if (k === 1 && o !== list) fail("the list is not second in generation 2");
    if (k >= 2) {
      const i = k - 2;
      if (i >= objects) fail("generation 2 holds more objects than the list");
      if (i32[items + 2 * i] !== o || i32[items + 2 * i + 1] !== REF_TAG)
        fail(`item ${i} is not the next tracked object`);
      if (i32[o >> 2] !== 1 || (i32[(o >> 2) + 1]! & 0xffff) !== FLOOR_NODE_ID)
        fail(`item ${i}'s header changed`);
    }
    prev = g;
  }
  if (k !== objects + 2) fail(`generation 2 holds ${k} objects, expected ${objects + 2}`);
  if (i32[(FLOOR_GEN2 >> 2) + 1] !== prev) fail("generation 2's tail link is wrong");
  if (floorTypeRefcnt(i32) !== objects + 1) fail(`the type's count is ${floorTypeRefcnt(i32)}`);
  if (floorBlocksInUse(i32) !== objects + 1) fail("pymalloc's blocks in use changed");
}
