/**
 * Walks the allocator's structures: every arena, every carved pool, every block, and every
 * large-block segment. Used by the statistics and by the heap verifier.
 */
import { blocksPerPool, CHUNK_BITS, classSize, POOL_OVERHEAD, POOL_SIZE } from "./constants.js";
import { forEachLargeBlock } from "./large.js";
import { ChunkKind, type Memory, read32 } from "./memory.js";
import { POOL_COUNT, POOL_FREEBLOCK, POOL_NEXTOFFSET, POOL_SZIDX } from "./pymalloc.js";

/** Calls `visit(pool)` for every pool carved so far in every arena (address order). */
export function forEachCarvedPool(m: Memory, visit: (pool: number, arena: number) => void): void {
  for (let a = 1; a < m.chunkTop; a++) {
    if (m.chunkKind[a] !== ChunkKind.Arena) continue;
    const end = m.arenaPoolAddress[a]!;
    for (let pool = a << CHUNK_BITS; pool < end; pool += POOL_SIZE) visit(pool, a);
  }
}

/**
 * Calls `visit(block, bytes)` for every allocated block, small and large, in address order per
 * arena then per segment. Reads the pools' free lists, so it is O(heap), for tools and tests.
 */
export function forEachAllocatedBlock(m: Memory, visit: (block: number, bytes: number) => void): void {
  const freeSet = new Set<number>();
  forEachCarvedPool(m, (pool) => {
    const count = read32(m, pool + POOL_COUNT);
    if (count === 0) return;
    const c = read32(m, pool + POOL_SZIDX);
    const size = classSize(c);
    freeSet.clear();
    for (
      let b = read32(m, pool + POOL_FREEBLOCK);
      b !== 0 && freeSet.size <= blocksPerPool(c);
      b = read32(m, b)
    ) {
      freeSet.add(b);
    }
    const end = pool + read32(m, pool + POOL_NEXTOFFSET);
    for (let b = pool + POOL_OVERHEAD; b < end && b + size <= pool + POOL_SIZE; b += size) {
      if (!freeSet.has(b)) visit(b, size);
    }
  });
  forEachLargeBlock(m, (payload, bytes, isFree) => {
    if (!isFree) visit(payload, bytes);
  });
}
