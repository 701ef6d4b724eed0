/**
 * The allocator's tunables, derived the way CPython's obmalloc derives them (64-bit build,
 * 3.11): a `_BITS` value is given, sizes and masks follow. The relations that must hold are
 * asserted once, at module load, below the table.
 */
import { assert } from "../util/index.js";

/** log2 of the block alignment; every block starts at a multiple of 16 bytes. */
export const ALIGNMENT_SHIFT = 4;
export const ALIGNMENT = 1 << ALIGNMENT_SHIFT;
export const ALIGNMENT_MASK = ALIGNMENT - 1;

/** Requests of at most this many bytes are served by pymalloc; larger ones by the large path. */
export const SMALL_REQUEST_THRESHOLD = 512;
/** 32 size classes: class i serves requests of 16i+1 .. 16(i+1) bytes. */
export const NB_SMALL_SIZE_CLASSES = SMALL_REQUEST_THRESHOLD / ALIGNMENT;

/** 16 KiB pools (CPython's USE_LARGE_POOLS on 64-bit). */
export const POOL_BITS = 14;
/** Bytes per pool (16 KiB). */
export const POOL_SIZE = 1 << POOL_BITS;
export const POOL_MASK = POOL_SIZE - 1;
/**
 * The pool header's size. Our header has eight 32-bit words (32 bytes); we keep CPython's 48 so
 * that every size class has exactly CPython's number of blocks per pool.
 */
export const POOL_OVERHEAD = 48;

/** 1 MiB arenas (CPython's USE_LARGE_ARENAS on 64-bit). */
export const ARENA_BITS = 20;
/** Bytes per arena (1 MiB). */
export const ARENA_SIZE = 1 << ARENA_BITS;
export const ARENA_MASK = ARENA_SIZE - 1;
/** Our arenas are always ARENA_SIZE-aligned, so none loses a pool to alignment: 64, not 63. */
export const MAX_POOLS_IN_ARENA = ARENA_SIZE / POOL_SIZE;

/**
 * The heap's address space is cut into 1 MiB chunks. Chunk 0 is the static segment (NULL, the
 * runtime's list heads and singletons); every other chunk is free, an arena, or part of a
 * large-block segment. A chunk is the unit in which the heap grows and gives memory back.
 */
export const CHUNK_BITS = ARENA_BITS;
export const CHUNK_SIZE = ARENA_SIZE;

/** A size class whose pool is freshly carved and not yet assigned. */
export const DUMMY_SIZE_IDX = 0xffff;

/** The largest heap the 32-bit address words can describe. */
export const MAX_HEAP_BYTES = 2 ** 31;
/** The default `maxBytes`: addresses stay below 2^30, which V8 keeps as small integers. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

/** Size class of a request of `n` bytes (1 <= n <= 512). */
export function sizeClassOf(n: number): number {
  return (n - 1) >> ALIGNMENT_SHIFT;
}
/** Block size of size class `c`. */
export function classSize(c: number): number {
  return (c + 1) << ALIGNMENT_SHIFT;
}
/** Blocks per pool for size class `c` (CPython: (POOL_SIZE - POOL_OVERHEAD) // size). */
export function blocksPerPool(c: number): number {
  return Math.floor((POOL_SIZE - POOL_OVERHEAD) / classSize(c));
}

assert(NB_SMALL_SIZE_CLASSES === 32, "32 size classes up to 512 bytes");
assert(POOL_OVERHEAD % ALIGNMENT === 0, "pool header keeps blocks aligned");
assert(ARENA_SIZE % POOL_SIZE === 0, "an arena holds whole pools");
assert(MAX_POOLS_IN_ARENA === 64, "64 pools per aligned arena");

/** Large-block TLSF: second-level lists per first-level range (see large.ts). */
export const LARGE_SL_BITS = 4;
export const LARGE_SL_COUNT = 1 << LARGE_SL_BITS;
/** Blocks below 2^(LARGE_SL_BITS + 4) = 256 bytes share first-level list 0, one list per 16 bytes. */
export const LARGE_SMALL_FL_SHIFT = LARGE_SL_BITS + 4;
/** Enough first-level lists for blocks up to 2 GiB. */
export const LARGE_FL_COUNT = 31 - LARGE_SMALL_FL_SHIFT + 2;
