/**
 * pymalloc: CPython 3.11's small-object allocator over our heap. Read `allocSmall` and
 * `freeSmall` first; the rest is arena bookkeeping. docs/layout.md draws the structures.
 *
 * Pool header (48 bytes at the start of every 16 KiB pool, one 32-bit word per field):
 *
 *   bits  31                                                            0
 *        ┌───────────────────────────────────────────────────────────────┐
 *     +0 │ count: blocks allocated in this pool                          │
 *     +4 │ freeblock: address of the first free block, 0 = none          │
 *     +8 │ nextpool: next pool in usedpools[szidx] / arena freepools     │
 *    +12 │ prevpool: previous pool in usedpools[szidx] (0 at the head)   │
 *    +16 │ arenaindex: the chunk number of the pool's arena              │
 *    +20 │ szidx: size class, DUMMY_SIZE_IDX (0xffff) until first used   │
 *    +24 │ nextoffset: offset of the next never-used block               │
 *    +28 │ maxnextoffset: POOL_SIZE - block size                         │
 *    +32 │ (padding to POOL_OVERHEAD = 48)                               │
 *        └───────────────────────────────────────────────────────────────┘
 *
 * Pool states (CPython's, exactly):
 *
 *   | state | count            | on which list                            |
 *   |-------|------------------|------------------------------------------|
 *   | used  | 0 < count < max  | usedpools[szidx] (doubly linked)         |
 *   | full  | count == max     | none                                     |
 *   | empty | 0                | its arena's freepools (singly linked)    |
 *
 *   alloc: empty→used (or →full for a 1-block class), used→full when the last block goes.
 *   free:  full→used (linked at the *front* of usedpools), used→empty (front of freepools).
 *
 * A free block's first word links to the next free block (LIFO). Blocks past `nextoffset` were
 * never handed out and are not linked: a pool is carved lazily, one block at a time.
 */
import { assert, DEBUG } from "../util/index.js";
import {
  ARENA_SIZE,
  CHUNK_BITS,
  classSize,
  DUMMY_SIZE_IDX,
  MAX_POOLS_IN_ARENA,
  POOL_MASK,
  POOL_OVERHEAD,
  POOL_SIZE,
} from "./constants.js";
import { ChunkKind, claimChunks, type Memory, read32, releaseChunks, write32 } from "./memory.js";

// Pool header field offsets.
export const POOL_COUNT = 0;
export const POOL_FREEBLOCK = 4;
export const POOL_NEXT = 8;
export const POOL_PREV = 12;
export const POOL_ARENA = 16;
export const POOL_SZIDX = 20;
export const POOL_NEXTOFFSET = 24;
export const POOL_MAXNEXTOFFSET = 28;

/** The pool holding `addr`. */
export function poolOf(addr: number): number {
  return addr & ~POOL_MASK;
}

/**
 * Allocates a block of size class `c` (pymalloc_alloc). Throws HeapMemoryError, with nothing
 * changed, when a new arena is needed and the heap cannot grow.
 */
export function allocSmall(m: Memory, c: number): number {
  const pool = m.usedPools[c]!;
  if (pool !== 0) {
    // Invariant: a pool on usedpools always has a free block.
    write32(m, pool + POOL_COUNT, read32(m, pool + POOL_COUNT) + 1);
    const bp = read32(m, pool + POOL_FREEBLOCK);
    const next = read32(m, bp);
    write32(m, pool + POOL_FREEBLOCK, next);
    if (next === 0) extendPool(m, pool, c);
    return bp;
  }
  return allocFromNewPool(m, c);
}

/** The pool's free list ran dry: hand out the next virgin block, or retire the full pool. */
function extendPool(m: Memory, pool: number, c: number): void {
  const off = read32(m, pool + POOL_NEXTOFFSET);
  if (off <= read32(m, pool + POOL_MAXNEXTOFFSET)) {
    const fb = pool + off;
    write32(m, pool + POOL_FREEBLOCK, fb);
    write32(m, pool + POOL_NEXTOFFSET, off + classSize(c));
    write32(m, fb, 0);
    return;
  }
  // Pool is full: unlink it from usedpools[c].
  unlinkUsed(m, pool, c);
}

function unlinkUsed(m: Memory, pool: number, c: number): void {
  const next = read32(m, pool + POOL_NEXT);
  const prev = read32(m, pool + POOL_PREV);
  if (prev === 0) m.usedPools[c] = next;
  else write32(m, prev + POOL_NEXT, next);
  if (next !== 0) write32(m, next + POOL_PREV, prev);
}

function linkUsedFront(m: Memory, pool: number, c: number): void {
  const head = m.usedPools[c]!;
  write32(m, pool + POOL_NEXT, head);
  write32(m, pool + POOL_PREV, 0);
  if (head !== 0) write32(m, head + POOL_PREV, pool);
  m.usedPools[c] = pool;
}

/** allocate_from_new_pool: take a pool from the most-used arena and serve one block from it. */
function allocFromNewPool(m: Memory, c: number): number {
  if (m.usableArenas === 0) {
    const a = newArena(m);
    m.usableArenas = a;
    m.arenaNext[a] = 0;
    m.arenaPrev[a] = 0;
    m.nfp2lasta[m.arenaNFreePools[a]!] = a;
  }
  const a = m.usableArenas;
  const nf = m.arenaNFreePools[a]!;
  // The head arena has the fewest free pools: taking one keeps the list sorted.
  if (m.nfp2lasta[nf] === a) m.nfp2lasta[nf] = 0;
  if (nf > 1) m.nfp2lasta[nf - 1] = a;

  let pool = m.arenaFreePools[a]!;
  if (pool !== 0) {
    m.arenaFreePools[a] = read32(m, pool + POOL_NEXT);
  } else {
    pool = m.arenaPoolAddress[a]!;
    m.arenaPoolAddress[a] = pool + POOL_SIZE;
    write32(m, pool + POOL_ARENA, a);
    write32(m, pool + POOL_SZIDX, DUMMY_SIZE_IDX);
  }
  m.arenaNFreePools[a] = nf - 1;
  if (nf - 1 === 0) {
    // The arena is now fully allocated: drop it from usable_arenas.
    const next = m.arenaNext[a]!;
    m.usableArenas = next;
    if (next !== 0) m.arenaPrev[next] = 0;
    m.arenaNext[a] = 0;
  }

  linkUsedFront(m, pool, c);
  write32(m, pool + POOL_COUNT, 1);
  if (read32(m, pool + POOL_SZIDX) === c) {
    // This empty pool last served the same class: its free list is still valid.
    const bp = read32(m, pool + POOL_FREEBLOCK);
    write32(m, pool + POOL_FREEBLOCK, read32(m, bp));
    if (DEBUG) assert(read32(m, pool + POOL_FREEBLOCK) !== 0, "a reused pool keeps a free block");
    return bp;
  }
  const size = classSize(c);
  write32(m, pool + POOL_SZIDX, c);
  write32(m, pool + POOL_NEXTOFFSET, POOL_OVERHEAD + 2 * size);
  write32(m, pool + POOL_MAXNEXTOFFSET, POOL_SIZE - size);
  const bp = pool + POOL_OVERHEAD;
  const fb = bp + size;
  write32(m, pool + POOL_FREEBLOCK, fb);
  write32(m, fb, 0);
  return bp;
}

/** new_arena: reserve a 1 MiB chunk; pools are carved from it lazily. */
function newArena(m: Memory): number {
  const a = claimChunks(m, 1, ChunkKind.Arena, "a new arena");
  m.arenaNFreePools[a] = MAX_POOLS_IN_ARENA;
  m.arenaNTotalPools[a] = MAX_POOLS_IN_ARENA;
  m.arenaPoolAddress[a] = a << CHUNK_BITS;
  m.arenaFreePools[a] = 0;
  m.arenasAllocatedTotal++;
  m.arenasCurrent++;
  if (m.arenasCurrent > m.arenasHighwater) m.arenasHighwater = m.arenasCurrent;
  if (m.trace !== null) m.trace({ kind: "arena-new", addr: a << CHUNK_BITS, size: ARENA_SIZE });
  return a;
}

/** pymalloc_free for a block inside an arena. The caller has validated `bp` (checked mode). */
export function freeSmall(m: Memory, bp: number): void {
  const pool = poolOf(bp);
  const last = read32(m, pool + POOL_FREEBLOCK);
  write32(m, bp, last);
  write32(m, pool + POOL_FREEBLOCK, bp);
  const count = read32(m, pool + POOL_COUNT) - 1;
  write32(m, pool + POOL_COUNT, count);
  if (last === 0) {
    // The pool was full: it becomes used again, at the front so it is served next.
    linkUsedFront(m, pool, read32(m, pool + POOL_SZIDX));
    if (count !== 0) return;
  } else if (count !== 0) {
    return;
  }
  poolBecameEmpty(m, pool);
}

/** insert_to_freepool: the pool is empty; move it to its arena and re-sort usable_arenas. */
function poolBecameEmpty(m: Memory, pool: number): void {
  unlinkUsed(m, pool, read32(m, pool + POOL_SZIDX));
  const a = read32(m, pool + POOL_ARENA);
  write32(m, pool + POOL_NEXT, m.arenaFreePools[a]!);
  m.arenaFreePools[a] = pool;
  let nf = m.arenaNFreePools[a]!;
  const lastnf = m.nfp2lasta[nf]!;
  if (lastnf === a) {
    const p = m.arenaPrev[a]!;
    m.nfp2lasta[nf] = p !== 0 && m.arenaNFreePools[p] === nf ? p : 0;
  }
  nf++;
  m.arenaNFreePools[a] = nf;

  // Case 1: wholly free, and not the last arena in the list (bpo-37257 keeps that one).
  if (nf === m.arenaNTotalPools[a] && m.arenaNext[a] !== 0) {
    unlinkArena(m, a);
    freeArena(m, a);
    return;
  }
  // Case 2: it had no free pool, so it was on no list: it becomes the head.
  if (nf === 1) {
    const head = m.usableArenas;
    m.arenaNext[a] = head;
    m.arenaPrev[a] = 0;
    if (head !== 0) m.arenaPrev[head] = a;
    m.usableArenas = a;
    if (m.nfp2lasta[1] === 0) m.nfp2lasta[1] = a;
    return;
  }
  if (m.nfp2lasta[nf] === 0) m.nfp2lasta[nf] = a;
  // Case 4: it was the rightmost arena with its old count, so the order still holds.
  if (a === lastnf) return;
  // Case 3: slide it right, to just after the last arena that had the old count.
  unlinkArena(m, a);
  const after = lastnf;
  const next = m.arenaNext[after]!;
  m.arenaPrev[a] = after;
  m.arenaNext[a] = next;
  if (next !== 0) m.arenaPrev[next] = a;
  m.arenaNext[after] = a;
}

function unlinkArena(m: Memory, a: number): void {
  const prev = m.arenaPrev[a]!;
  const next = m.arenaNext[a]!;
  if (prev === 0) m.usableArenas = next;
  else m.arenaNext[prev] = next;
  if (next !== 0) m.arenaPrev[next] = prev;
  m.arenaNext[a] = 0;
  m.arenaPrev[a] = 0;
}

/**
 * Frees the wholly free arena that bpo-37257's rule keeps (the last one in usable_arenas), if
 * there is one: its chunk can then serve a large block. Called only when the heap is otherwise
 * out of room, so that an idle arena never makes an allocation fail. Returns whether one was freed.
 */
export function releaseIdleArena(m: Memory): boolean {
  for (let a = m.usableArenas; a !== 0; a = m.arenaNext[a]!) {
    const nf = m.arenaNFreePools[a]!;
    if (nf !== m.arenaNTotalPools[a]) continue;
    if (m.nfp2lasta[nf] === a) {
      const p = m.arenaPrev[a]!;
      m.nfp2lasta[nf] = p !== 0 && m.arenaNFreePools[p] === nf ? p : 0;
    }
    unlinkArena(m, a);
    freeArena(m, a);
    return true;
  }
  return false;
}

function freeArena(m: Memory, a: number): void {
  m.arenasCurrent--;
  m.arenaFreePools[a] = 0;
  m.arenaNFreePools[a] = 0;
  m.arenaNTotalPools[a] = 0;
  if (m.trace !== null) m.trace({ kind: "arena-free", addr: a << CHUNK_BITS, size: ARENA_SIZE });
  releaseChunks(m, a, 1);
}
