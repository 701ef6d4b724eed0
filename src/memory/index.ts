/**
 * The memory layer: the linear heap (an ArrayBuffer), pymalloc for small blocks, a TLSF
 * large-block path, and the only code that indexes the heap's typed arrays.
 */
export {
  ALIGNMENT,
  ARENA_SIZE,
  blocksPerPool,
  CHUNK_SIZE,
  classSize,
  DEFAULT_MAX_BYTES,
  MAX_HEAP_BYTES,
  NB_SMALL_SIZE_CLASSES,
  POOL_OVERHEAD,
  POOL_SIZE,
  SMALL_REQUEST_THRESHOLD,
  sizeClassOf,
} from "./constants.js";
export { blockStateAt, checkLiveBlock, free, malloc, realloc, setBlockState, usableSize } from "./malloc.js";
export {
  BlockState,
  ChunkKind,
  chunkOf,
  copyBytes,
  equalUtf16,
  fillBytes,
  Memory,
  type MemoryOptions,
  POISON_BYTE,
  read8,
  read16,
  read32,
  readF64,
  readUtf16,
  reservedBytes,
  write8,
  write16,
  write32,
  writeF64,
  writeUtf16,
} from "./memory.js";
/**
 * pymalloc_free for a block inside an arena, without checks or trace events, and the pool
 * header's words (the generated fast paths).
 */
export { freeSmall, POOL_COUNT, POOL_FREEBLOCK } from "./pymalloc.js";
export {
  type ArenaPools,
  formatMallocStats,
  type MallocStats,
  mallocPools,
  mallocStats,
  type SizeClassStats,
} from "./stats.js";
export { verifyMemory } from "./verify.js";
export { forEachAllocatedBlock } from "./walk.js";
