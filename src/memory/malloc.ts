/**
 * The heap's malloc/free/realloc: requests of 1..512 bytes go to pymalloc, larger ones to the
 * large-block path. In checked mode every free is validated against the block-state map and the
 * freed bytes are poisoned.
 */
import { ErrorCode, HeapAccessError, HeapMemoryError, hex } from "../util/index.js";
import { ALIGNMENT_MASK, CHUNK_BITS, classSize, SMALL_REQUEST_THRESHOLD, sizeClassOf } from "./constants.js";
import { allocLarge, freeLarge, largeUsableSize, reallocLargeInPlace, releaseIdleSegment } from "./large.js";
import { BlockState, ChunkKind, copyBytes, fillBytes, type Memory, POISON_BYTE, read32 } from "./memory.js";
import { allocSmall, freeSmall, POOL_SZIDX, poolOf, releaseIdleArena } from "./pymalloc.js";

/**
 * Allocates at least `n` bytes (n >= 1), 16-byte aligned. Throws HeapMemoryError, with the heap
 * unchanged, when the heap cannot grow. The block's contents are unspecified.
 */
export function malloc(m: Memory, n: number): number {
  let p: number;
  if (n <= SMALL_REQUEST_THRESHOLD) {
    p = allocSmallOrReclaim(m, sizeClassOf(n > 0 ? n : 1));
  } else {
    if (!(n < m.maxBytes)) {
      // CPython's MemoryError: a request no heap of this size can serve is out of memory too.
      throw new HeapMemoryError(
        `out of heap memory: cannot allocate ${n} bytes, more than the heap's maxBytes (${m.maxBytes}). ` +
          "Create the heap with a larger maxBytes.",
      );
    }
    p = allocLargeOrReclaim(m, n);
  }
  if (m.checked) markAllocated(m, p);
  if (m.trace !== null) m.trace({ kind: "alloc", addr: p, size: n });
  return p;
}

/**
 * Checked mode: marks the block's first granule allocated and clears the rest, so that an
 * address inside the block (which may carry a stale state from an earlier, smaller block) is
 * reported as "not a block" rather than as a freed one.
 */
function markAllocated(m: Memory, p: number): void {
  const first = p >> 4;
  m.blockState[first] = BlockState.Raw;
  m.blockState.fill(BlockState.None, first + 1, (p + usableSize(m, p)) >>> 4); // the end may be 2^31
}

/** Frees a block returned by malloc/realloc. */
export function free(m: Memory, p: number): void {
  if (m.checked) checkFree(m, p);
  if (m.trace !== null) m.trace({ kind: "free", addr: p, size: 0 });
  if (m.chunkKind[p >>> CHUNK_BITS] === ChunkKind.Arena) freeSmall(m, p);
  else freeLarge(m, p);
}

/** Usable bytes of the block at `p` (the size class, or the large block's payload). */
export function usableSize(m: Memory, p: number): number {
  if (m.chunkKind[p >>> CHUNK_BITS] === ChunkKind.Arena) return classSize(read32(m, poolOf(p) + POOL_SZIDX));
  return largeUsableSize(m, p);
}

/**
 * Resizes the block at `p` to `n` bytes, keeping min(old, n) bytes of content; returns the
 * (possibly new) address. CPython's rule for pymalloc blocks: keep the block when n fits its size
 * class and would use more than three quarters of it; otherwise move. Large blocks are resized in
 * place when possible. Throws HeapMemoryError with the old block intact when it cannot grow.
 */
export function realloc(m: Memory, p: number, n: number): number {
  if (p === 0) return malloc(m, n);
  if (m.checked) checkLiveBlock(m, p, "realloc");
  if (m.chunkKind[p >>> CHUNK_BITS] === ChunkKind.Arena) {
    const size = classSize(read32(m, poolOf(p) + POOL_SZIDX));
    if (n <= size && 4 * n > 3 * size) return p;
    const q = n <= SMALL_REQUEST_THRESHOLD ? malloc(m, n) : mallocLargeMoved(m, p, size, n);
    if (n <= SMALL_REQUEST_THRESHOLD) copyBytes(m, q, p, Math.min(size, n));
    free(m, p);
    return q;
  }
  if (n > SMALL_REQUEST_THRESHOLD) {
    const q = reallocLargeInPlace(m, p, n);
    if (q !== 0) {
      if (m.checked) markAllocated(m, q);
      if (m.trace !== null) {
        m.trace({ kind: "free", addr: p, size: 0 });
        m.trace({ kind: "alloc", addr: q, size: n });
      }
      return q;
    }
    const moved = mallocLargeMoved(m, p, largeUsableSize(m, p), n);
    free(m, p);
    return moved;
  }
  const q = malloc(m, n);
  copyBytes(m, q, p, n);
  free(m, p);
  return q;
}

/**
 * The two allocators each keep one idle chunk for reuse (an empty arena, an empty large segment).
 * When the heap has no room left, those are given back and the request tried again: memory the
 * heap holds but does not use never makes an allocation fail.
 */
function allocSmallOrReclaim(m: Memory, c: number): number {
  try {
    return allocSmall(m, c);
  } catch (e) {
    if (!(e instanceof HeapMemoryError) || !releaseIdleSegment(m)) throw e;
    return allocSmall(m, c);
  }
}

function allocLargeOrReclaim(m: Memory, n: number): number {
  try {
    return allocLarge(m, n);
  } catch (e) {
    if (!(e instanceof HeapMemoryError)) throw e;
    const arena = releaseIdleArena(m);
    if (!releaseIdleSegment(m) && !arena) throw e;
    return allocLarge(m, n);
  }
}

function mallocLargeMoved(m: Memory, p: number, oldBytes: number, n: number): number {
  const q = allocLargeOrReclaim(m, n);
  copyBytes(m, q, p, Math.min(oldBytes, n));
  if (m.checked) markAllocated(m, q);
  if (m.trace !== null) m.trace({ kind: "alloc", addr: q, size: n });
  return q;
}

// ---------------------------------------------------------------------------------------------
// Checked mode.
// ---------------------------------------------------------------------------------------------

/** Validates that `p` is an allocated block, then marks it freed and poisons its bytes. */
function checkFree(m: Memory, p: number): void {
  checkLiveBlock(m, p, "free");
  const bytes = usableSize(m, p);
  m.blockState[p >> 4] = BlockState.Freed;
  // Keep the first word: the allocator links the block through it.
  fillBytes(m, p + 4, POISON_BYTE, bytes - 4);
}

/** Throws unless `p` is the start of an allocated block. */
export function checkLiveBlock(m: Memory, p: number, op: string): void {
  const state = blockStateAt(m, p);
  if (state === BlockState.Raw || state === BlockState.Object || state === BlockState.GcObject) return;
  if (state === BlockState.Freed) {
    throw new HeapAccessError(ErrorCode.DoubleFree, `${op} of block ${hex(p)}, which was already freed`);
  }
  throw new HeapAccessError(
    ErrorCode.InvalidAddress,
    `${op} of ${hex(p)}, which is not the start of an allocated block in this heap`,
  );
}

/** The checked-mode state of the 16-byte granule at `p` (None for unaligned or out-of-range addresses). */
export function blockStateAt(m: Memory, p: number): BlockState {
  if (!m.checked || (p & ALIGNMENT_MASK) !== 0 || p <= 0 || p >= m.buffer.byteLength) return BlockState.None;
  const kind = m.chunkKind[p >>> CHUNK_BITS];
  if (kind !== ChunkKind.Arena && kind !== ChunkKind.LargeHead && kind !== ChunkKind.LargeTail) {
    return BlockState.None;
  }
  return m.blockState[p >> 4]! as BlockState;
}

/** Checked mode: records what kind of object now occupies the block at `p`. */
export function setBlockState(m: Memory, p: number, state: BlockState): void {
  if (m.checked) m.blockState[p >> 4] = state;
}
