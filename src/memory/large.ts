/**
 * The large-block path: requests over 512 bytes (list item arrays, big tuples and strings) are
 * served inside the same heap by a TLSF allocator (two-level segregated fit: O(1) allocation and
 * free, immediate coalescing) over "segments" of whole 1 MiB chunks. CPython sends these requests
 * to the C library's malloc; we keep them in the heap so every byte is ours to count.
 *
 * Block header (16 bytes before the payload, which stays 16-aligned):
 *
 *   bits  31                                                 2   1   0
 *        ┌──────────────────────────────────────────────────┬───┬───┐
 *     +0 │ size of the whole block in bytes (multiple of 16) │ P │ F │
 *        ├──────────────────────────────────────────────────┴───┴───┤
 *     +4 │ address of the previous block in the segment (0 = first) │
 *     +8 │ next free block in its size list        (free blocks only)│
 *    +12 │ previous free block in its size list    (free blocks only)│
 *        └───────────────────────────────────────────────────────────┘
 *   F = this block is free; P = the previous block is free.
 *
 * A segment ends with a 16-byte sentinel header of size 0 (in use), so coalescing never runs off
 * the end. A free block is always in exactly one size list; two free blocks are never adjacent.
 */
import { assert, DEBUG } from "../util/index.js";
import {
  CHUNK_BITS,
  CHUNK_SIZE,
  LARGE_FL_COUNT,
  LARGE_SL_BITS,
  LARGE_SL_COUNT,
  LARGE_SMALL_FL_SHIFT,
} from "./constants.js";
import { ChunkKind, claimChunks, type Memory, read32, releaseChunks, write32 } from "./memory.js";

export const LARGE_HEADER = 16;
const FREE = 1;
const PREV_FREE = 2;
const FLAGS = 3;
/** The smallest block: a header plus room to split off. */
const MIN_BLOCK = 32;

const SL_BITS = LARGE_SL_BITS;
const SL_COUNT = LARGE_SL_COUNT;
const SMALL_FL_SHIFT = LARGE_SMALL_FL_SHIFT;
const FL_COUNT = LARGE_FL_COUNT;

// Header field accessors.
function blockSize(m: Memory, b: number): number {
  return read32(m, b) & ~FLAGS;
}
function isFree(m: Memory, b: number): boolean {
  return (read32(m, b) & FREE) !== 0;
}
function prevPhys(m: Memory, b: number): number {
  return read32(m, b + 4);
}
function setPrevFreeFlag(m: Memory, b: number, on: boolean): void {
  const w = read32(m, b);
  write32(m, b, on ? w | PREV_FREE : w & ~PREV_FREE);
}

/** Maps a block size to its list: [first level, second level] packed as fl * SL_COUNT + sl. */
function listIndex(size: number): number {
  if (size < 1 << SMALL_FL_SHIFT) return size >>> 4;
  const fl = 31 - Math.clz32(size);
  const sl = (size >>> (fl - SL_BITS)) & (SL_COUNT - 1);
  return (fl - SMALL_FL_SHIFT + 1) * SL_COUNT + sl;
}

/** Rounds a request up so that any block in its list is large enough (TLSF mapping_search). */
function roundForSearch(size: number): number {
  if (size < 1 << SMALL_FL_SHIFT) return size;
  const fl = 31 - Math.clz32(size);
  return size + (1 << (fl - SL_BITS)) - 1;
}

function insertFree(m: Memory, b: number, size: number): void {
  const idx = listIndex(size);
  const head = m.largeHeads[idx]!;
  write32(m, b + 8, head);
  write32(m, b + 12, 0);
  if (head !== 0) write32(m, head + 12, b);
  m.largeHeads[idx] = b;
  const fl = idx >>> SL_BITS;
  m.largeFlBitmap |= 1 << fl;
  m.largeSlBitmap[fl] = m.largeSlBitmap[fl]! | (1 << (idx & (SL_COUNT - 1)));
}

function removeFree(m: Memory, b: number, size: number): void {
  const idx = listIndex(size);
  const next = read32(m, b + 8);
  const prev = read32(m, b + 12);
  if (prev === 0) m.largeHeads[idx] = next;
  else write32(m, prev + 8, next);
  if (next !== 0) write32(m, next + 12, prev);
  if (m.largeHeads[idx] === 0) {
    const fl = idx >>> SL_BITS;
    const sl = m.largeSlBitmap[fl]! & ~(1 << (idx & (SL_COUNT - 1)));
    m.largeSlBitmap[fl] = sl;
    if (sl === 0) m.largeFlBitmap &= ~(1 << fl);
  }
}

/** Finds a free block of at least `size` bytes, or 0. */
function findFree(m: Memory, size: number): number {
  const idx = listIndex(roundForSearch(size));
  let fl = idx >>> SL_BITS;
  if (fl >= FL_COUNT) return 0;
  let slMap = m.largeSlBitmap[fl]! & (~0 << (idx & (SL_COUNT - 1)));
  if (slMap === 0) {
    const flMap = m.largeFlBitmap & (~0 << (fl + 1));
    if (flMap === 0 || fl + 1 >= 32) return 0;
    fl = 31 - Math.clz32(flMap & -flMap);
    slMap = m.largeSlBitmap[fl]!;
  }
  const sl = 31 - Math.clz32(slMap & -slMap);
  return m.largeHeads[fl * SL_COUNT + sl]!;
}

/** Marks `b` (of `size` bytes) in use and tells its successor. */
function markUsed(m: Memory, b: number, size: number): void {
  write32(m, b, size | (read32(m, b) & PREV_FREE));
  setPrevFreeFlag(m, b + size, false);
}

/** Makes `b` a free block of `size` bytes, coalescing with free neighbours, and lists it. */
function makeFree(m: Memory, b: number, size: number): number {
  // Merge with the following block.
  const next = b + size;
  if (isFree(m, next)) {
    const ns = blockSize(m, next);
    removeFree(m, next, ns);
    size += ns;
  }
  // Merge with the preceding block.
  if ((read32(m, b) & PREV_FREE) !== 0) {
    const prev = prevPhys(m, b);
    const ps = blockSize(m, prev);
    removeFree(m, prev, ps);
    size += ps;
    b = prev;
  }
  write32(m, b, size | FREE | (read32(m, b) & PREV_FREE));
  const after = b + size;
  write32(m, after + 4, b);
  setPrevFreeFlag(m, after, true);
  insertFree(m, b, size);
  return b;
}

/** Splits `b` (in use, `size` bytes) so that it keeps `want` bytes; the rest becomes free. */
function trim(m: Memory, b: number, size: number, want: number): void {
  if (size - want < MIN_BLOCK) return;
  write32(m, b, want | (read32(m, b) & PREV_FREE));
  const rest = b + want;
  write32(m, rest, size - want); // in use for a moment, previous (b) in use
  write32(m, rest + 4, b);
  write32(m, rest + size - want + 4, rest);
  makeFree(m, rest, size - want);
}

/** Block size needed for a payload of `n` bytes. */
function blockFor(n: number): number {
  return Math.max(MIN_BLOCK, (n + LARGE_HEADER + 15) & ~15);
}

/** Allocates a large block with at least `n` payload bytes; returns the payload address. */
export function allocLarge(m: Memory, n: number): number {
  const need = blockFor(n);
  let b = findFree(m, need);
  if (b === 0) b = newSegment(m, need);
  const size = blockSize(m, b);
  if (DEBUG) assert(isFree(m, b) && size >= need, "TLSF search returns a large-enough free block");
  removeFree(m, b, size);
  markUsed(m, b, size);
  trim(m, b, size, need);
  return b + LARGE_HEADER;
}

/** Frees a large block given its payload address. */
export function freeLarge(m: Memory, p: number): void {
  const b = p - LARGE_HEADER;
  const merged = makeFree(m, b, blockSize(m, b));
  maybeReleaseSegment(m, merged);
}

/** Payload bytes of the large block at payload address `p`. */
export function largeUsableSize(m: Memory, p: number): number {
  return blockSize(m, p - LARGE_HEADER) - LARGE_HEADER;
}

/**
 * Resizes a large block in place when it can (shrinking, or growing into a free successor);
 * returns 0 when the caller must move it.
 */
export function reallocLargeInPlace(m: Memory, p: number, n: number): number {
  const b = p - LARGE_HEADER;
  const size = blockSize(m, b);
  const need = blockFor(n);
  if (need <= size) {
    trim(m, b, size, need);
    return p;
  }
  const next = b + size;
  if (isFree(m, next)) {
    const ns = blockSize(m, next);
    if (size + ns >= need) {
      removeFree(m, next, ns);
      write32(m, b, (size + ns) | (read32(m, b) & PREV_FREE));
      setPrevFreeFlag(m, b + size + ns, false);
      write32(m, b + size + ns + 4, b);
      trim(m, b, size + ns, need);
      return p;
    }
  }
  return 0;
}

/** Reserves a segment big enough for a block of `need` bytes; returns its (free, listed) block. */
function newSegment(m: Memory, need: number): number {
  const chunks = Math.ceil((need + LARGE_HEADER) / CHUNK_SIZE);
  const first = claimChunks(m, chunks, ChunkKind.LargeHead, `a ${need}-byte block`);
  m.segmentChunks[first] = chunks;
  m.largeSegments++;
  m.largeSegmentChunks += chunks;
  const start = first << CHUNK_BITS;
  const size = chunks * CHUNK_SIZE - LARGE_HEADER;
  const end = start + size;
  write32(m, end, 0); // sentinel: size 0, in use
  write32(m, end + 4, start);
  write32(m, start, size);
  write32(m, start + 4, 0);
  return makeFree(m, start, size);
}

/** Gives a wholly free segment back, unless it is the last one (kept to avoid thrashing). */
function maybeReleaseSegment(m: Memory, b: number): void {
  if (prevPhys(m, b) !== 0 || (b & (CHUNK_SIZE - 1)) !== 0) return;
  const first = b >>> CHUNK_BITS;
  const chunks = m.segmentChunks[first]!;
  if (blockSize(m, b) !== chunks * CHUNK_SIZE - LARGE_HEADER) return;
  if (m.largeSegments === 1 && chunks === 1) return;
  removeFree(m, b, blockSize(m, b));
  m.segmentChunks[first] = 0;
  m.largeSegments--;
  m.largeSegmentChunks -= chunks;
  releaseChunks(m, first, chunks);
}

/**
 * Gives back the wholly free one-chunk segment maybeReleaseSegment keeps, if there is one: its
 * chunk can then serve an arena or a larger segment. Called only when the heap is otherwise out
 * of room. Returns whether one was released.
 */
export function releaseIdleSegment(m: Memory): boolean {
  for (let c = 1; c < m.chunkTop; c++) {
    if (m.chunkKind[c] !== ChunkKind.LargeHead) continue;
    const b = c << CHUNK_BITS;
    const chunks = m.segmentChunks[c]!;
    if (!isFree(m, b) || blockSize(m, b) !== chunks * CHUNK_SIZE - LARGE_HEADER) continue;
    removeFree(m, b, blockSize(m, b));
    m.segmentChunks[c] = 0;
    m.largeSegments--;
    m.largeSegmentChunks -= chunks;
    releaseChunks(m, c, chunks);
    return true;
  }
  return false;
}

/** Calls `visit(payload, payloadBytes, free)` for every block of every segment, in address order. */
export function forEachLargeBlock(
  m: Memory,
  visit: (payload: number, bytes: number, free: boolean, prevFreeFlag: boolean, prev: number) => void,
): void {
  for (let c = 1; c < m.chunkTop; c++) {
    if (m.chunkKind[c] !== ChunkKind.LargeHead) continue;
    const start = c << CHUNK_BITS;
    const end = start + m.segmentChunks[c]! * CHUNK_SIZE - LARGE_HEADER;
    for (let b = start; b < end; ) {
      const size = blockSize(m, b);
      if (size <= 0) break;
      visit(
        b + LARGE_HEADER,
        size - LARGE_HEADER,
        isFree(m, b),
        (read32(m, b) & PREV_FREE) !== 0,
        prevPhys(m, b),
      );
      b += size;
    }
  }
}
