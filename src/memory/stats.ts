/**
 * Allocator statistics, as a structured object and as text shaped like CPython's
 * `sys._debugmallocstats()` (same sections, labels and number formatting).
 */
import {
  ARENA_SIZE,
  blocksPerPool,
  CHUNK_SIZE,
  classSize,
  NB_SMALL_SIZE_CLASSES,
  POOL_OVERHEAD,
  POOL_SIZE,
  SMALL_REQUEST_THRESHOLD,
} from "./constants.js";
import { forEachLargeBlock } from "./large.js";
import { ChunkKind, type Memory, read32, reservedBytes } from "./memory.js";
import { POOL_COUNT, POOL_SZIDX } from "./pymalloc.js";
import { forEachCarvedPool } from "./walk.js";

/** One size class in MallocStats: its block size, pools and blocks. */
export interface SizeClassStats {
  readonly sizeClass: number;
  readonly size: number;
  readonly pools: number;
  readonly blocksInUse: number;
  readonly availableBlocks: number;
}

/**
 * The allocator's statistics (mallocStats, and stats(h) in "refheap/core"): what
 * sys._debugmallocstats() reports, plus the large-block path and the buffer's size.
 */
export interface MallocStats {
  readonly sizeClasses: readonly SizeClassStats[];
  readonly arenasAllocatedTotal: number;
  readonly arenasReclaimed: number;
  readonly arenasHighwater: number;
  readonly arenasCurrent: number;
  readonly arenaBytes: number;
  readonly bytesInAllocatedBlocks: number;
  readonly bytesInAvailableBlocks: number;
  readonly unusedPools: number;
  readonly bytesLostToPoolHeaders: number;
  readonly bytesLostToQuantization: number;
  readonly bytesLostToArenaAlignment: number;
  /** The large-block path (requests over 512 bytes). */
  readonly large: {
    readonly segments: number;
    readonly segmentBytes: number;
    readonly blocksInUse: number;
    readonly bytesInUse: number;
    readonly freeBlocks: number;
    readonly freeBytes: number;
  };
  /** Arena and segment bytes in use (goes down when an arena or segment is given back). */
  readonly reservedBytes: number;
  /** The ArrayBuffer's current length. */
  readonly bufferBytes: number;
  readonly maxBytes: number;
}

/** The allocator's statistics, from a walk over its pools, arenas and large blocks. */
export function mallocStats(m: Memory): MallocStats {
  const pools = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  const inUse = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  const avail = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  forEachCarvedPool(m, (pool) => {
    const count = read32(m, pool + POOL_COUNT);
    if (count === 0) return;
    const c = read32(m, pool + POOL_SZIDX);
    pools[c]!++;
    inUse[c]! += count;
    avail[c]! += blocksPerPool(c) - count;
  });
  let unusedPools = 0;
  for (let a = 1; a < m.chunkTop; a++) unusedPools += m.arenaNFreePools[a]!;
  const sizeClasses: SizeClassStats[] = [];
  let allocated = 0;
  let available = 0;
  let headers = 0;
  let quantization = 0;
  for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    if (pools[c] === 0) continue;
    const size = classSize(c);
    sizeClasses.push({
      sizeClass: c,
      size,
      pools: pools[c]!,
      blocksInUse: inUse[c]!,
      availableBlocks: avail[c]!,
    });
    allocated += inUse[c]! * size;
    available += avail[c]! * size;
    headers += pools[c]! * POOL_OVERHEAD;
    quantization += pools[c]! * ((POOL_SIZE - POOL_OVERHEAD) % size);
  }
  let lBlocks = 0;
  let lBytes = 0;
  let lFree = 0;
  let lFreeBytes = 0;
  forEachLargeBlock(m, (_p, bytes, isFree) => {
    if (isFree) {
      lFree++;
      lFreeBytes += bytes;
    } else {
      lBlocks++;
      lBytes += bytes;
    }
  });
  return {
    sizeClasses,
    arenasAllocatedTotal: m.arenasAllocatedTotal,
    arenasReclaimed: m.arenasAllocatedTotal - m.arenasCurrent,
    arenasHighwater: m.arenasHighwater,
    arenasCurrent: m.arenasCurrent,
    arenaBytes: m.arenasCurrent * CHUNK_SIZE,
    bytesInAllocatedBlocks: allocated,
    bytesInAvailableBlocks: available,
    unusedPools,
    bytesLostToPoolHeaders: headers,
    bytesLostToQuantization: quantization,
    bytesLostToArenaAlignment: 0,
    large: {
      segments: m.largeSegments,
      segmentBytes: m.largeSegmentChunks * CHUNK_SIZE,
      blocksInUse: lBlocks,
      bytesInUse: lBytes,
      freeBlocks: lFree,
      freeBytes: lFreeBytes,
    },
    reservedBytes: reservedBytes(m),
    bufferBytes: m.buffer.byteLength,
    maxBytes: m.maxBytes,
  };
}

/** CPython's `printone`: the label padded to 35 columns, '=', the value with commas in 21. */
function line(label: string, value: number): string {
  return `${label.padEnd(35)}=${value.toLocaleString("en-US").padStart(21)}\n`;
}

/** The statistics as text in the shape of `sys._debugmallocstats()`. */
export function formatMallocStats(s: MallocStats): string {
  let out = `Small block threshold = ${SMALL_REQUEST_THRESHOLD}, in ${NB_SMALL_SIZE_CLASSES} size classes.\n\n`;
  out += "class   size   num pools   blocks in use  avail blocks\n";
  out += "-----   ----   ---------   -------------  ------------\n";
  for (const c of s.sizeClasses) {
    out += `${String(c.sizeClass).padStart(5)} ${String(c.size).padStart(6)} ${String(c.pools).padStart(11)} `;
    out += `${String(c.blocksInUse).padStart(15)} ${String(c.availableBlocks).padStart(13)}\n`;
  }
  out += "\n";
  out += line("# arenas allocated total", s.arenasAllocatedTotal);
  out += line("# arenas reclaimed", s.arenasReclaimed);
  out += line("# arenas highwater mark", s.arenasHighwater);
  out += line("# arenas allocated current", s.arenasCurrent);
  out += line(`${s.arenasCurrent} arenas * ${CHUNK_SIZE} bytes/arena`, s.arenaBytes);
  out += "\n";
  let total = 0;
  const add = (label: string, v: number): string => {
    total += v;
    return line(label, v);
  };
  out += add("# bytes in allocated blocks", s.bytesInAllocatedBlocks);
  out += add("# bytes in available blocks", s.bytesInAvailableBlocks);
  out += add(`${s.unusedPools} unused pools * ${POOL_SIZE} bytes`, s.unusedPools * POOL_SIZE);
  out += add("# bytes lost to pool headers", s.bytesLostToPoolHeaders);
  out += add("# bytes lost to quantization", s.bytesLostToQuantization);
  out += add("# bytes lost to arena alignment", s.bytesLostToArenaAlignment);
  out += line("Total", total);
  out += "\nlarge blocks (requests over 512 bytes; CPython sends these to malloc)\n";
  out += line("# large segments", s.large.segments);
  out += line("# bytes in large segments", s.large.segmentBytes);
  out += line("# large blocks in use", s.large.blocksInUse);
  out += line("# bytes in large blocks in use", s.large.bytesInUse);
  out += line("# free large blocks", s.large.freeBlocks);
  out += line("# bytes in free large blocks", s.large.freeBytes);
  out += "\nheap\n";
  out += line("# bytes reserved (arenas+segments)", s.reservedBytes);
  out += line("# bytes in the ArrayBuffer", s.bufferBytes);
  out += line("# bytes allowed (maxBytes)", s.maxBytes);
  return out;
}

/** One arena as mallocPools draws it. */
export interface ArenaPools {
  /** The arena's address. */
  readonly address: number;
  /**
   * Its carved pools in address order (pymalloc carves an arena's pools one by one, as they are
   * first needed): each pool's size class (-1 for an empty pool), blocks in use and capacity.
   */
  readonly pools: readonly { readonly sizeClass: number; readonly used: number; readonly capacity: number }[];
  /** Pools not yet carved (ARENA_SIZE / POOL_SIZE in all). */
  readonly uncarved: number;
}

/**
 * Every arena with its pools' occupancy, as sys._debugmallocstats() counts them (a pool with no
 * block in use is empty, whatever size class it last served): a walk over the pools, for tools.
 */
export function mallocPools(m: Memory): ArenaPools[] {
  const byArena = new Map<number, { sizeClass: number; used: number; capacity: number }[]>();
  forEachCarvedPool(m, (pool, arena) => {
    let pools = byArena.get(arena);
    if (pools === undefined) {
      pools = [];
      byArena.set(arena, pools);
    }
    const used = read32(m, pool + POOL_COUNT);
    const c = read32(m, pool + POOL_SZIDX);
    pools.push(
      used === 0
        ? { sizeClass: -1, used: 0, capacity: 0 }
        : { sizeClass: c, used, capacity: blocksPerPool(c) },
    );
  });
  const perArena = ARENA_SIZE / POOL_SIZE;
  const out: ArenaPools[] = [];
  for (let a = 1; a < m.chunkTop; a++) {
    if (m.chunkKind[a] !== ChunkKind.Arena) continue;
    const pools = byArena.get(a) ?? [];
    out.push({ address: a * CHUNK_SIZE, pools, uncarved: perArena - pools.length });
  }
  return out;
}
