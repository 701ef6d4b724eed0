/**
 * The allocator half of the heap verifier: checks the heap's first invariant ("a block is either
 * free, on exactly one free list, or allocated") over every arena, pool, block and large
 * segment, plus the consistency of every list the allocator keeps. Returns the problems found
 * (empty when the heap is sound). O(heap size): for tests and tools, not hot paths.
 */
import { hex } from "../util/index.js";
import { blocksPerPool, CHUNK_BITS, CHUNK_SIZE, classSize, POOL_OVERHEAD, POOL_SIZE } from "./constants.js";
import { forEachLargeBlock, LARGE_HEADER } from "./large.js";
import { BlockState, ChunkKind, type Memory, read32 } from "./memory.js";
import {
  POOL_ARENA,
  POOL_COUNT,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXT,
  POOL_NEXTOFFSET,
  POOL_PREV,
  POOL_SZIDX,
} from "./pymalloc.js";
import { forEachCarvedPool } from "./walk.js";

export function verifyMemory(m: Memory): string[] {
  const problems: string[] = [];
  const bad = (msg: string): void => {
    if (problems.length < 50) problems.push(msg);
  };

  // usedpools: every listed pool is used (0 < count < max) and of the right class.
  const onUsed = new Set<number>();
  for (let c = 0; c < m.usedPools.length; c++) {
    let prev = 0;
    for (let p = m.usedPools[c]!; p !== 0; p = read32(m, p + POOL_NEXT)) {
      if (onUsed.has(p)) {
        bad(`usedpools[${c}] has a cycle or lists pool ${hex(p)} twice`);
        break;
      }
      onUsed.add(p);
      if (read32(m, p + POOL_PREV) !== prev) bad(`pool ${hex(p)} has a wrong prevpool link`);
      if (read32(m, p + POOL_SZIDX) !== c)
        bad(`pool ${hex(p)} on usedpools[${c}] has szidx ${read32(m, p + POOL_SZIDX)}`);
      const count = read32(m, p + POOL_COUNT);
      if (count <= 0 || count >= blocksPerPool(c)) bad(`pool ${hex(p)} on usedpools has count ${count}`);
      prev = p;
    }
  }

  // Arenas: free-pool lists and counts.
  const onFree = new Set<number>();
  let arenas = 0;
  for (let a = 1; a < m.chunkTop; a++) {
    if (m.chunkKind[a] !== ChunkKind.Arena) continue;
    arenas++;
    const start = a << CHUNK_BITS;
    const carvedEnd = m.arenaPoolAddress[a]!;
    let nfree = (start + CHUNK_SIZE - carvedEnd) / POOL_SIZE;
    for (let p = m.arenaFreePools[a]!; p !== 0; p = read32(m, p + POOL_NEXT)) {
      if (onFree.has(p) || p < start || p >= carvedEnd) {
        bad(`arena ${a}: bad or repeated pool ${hex(p)} on freepools`);
        break;
      }
      onFree.add(p);
      if (read32(m, p + POOL_COUNT) !== 0) bad(`empty pool ${hex(p)} has count ${read32(m, p + POOL_COUNT)}`);
      nfree++;
    }
    if (nfree !== m.arenaNFreePools[a])
      bad(`arena ${a}: nfreepools ${m.arenaNFreePools[a]} but ${nfree} free pools`);
  }
  if (arenas !== m.arenasCurrent)
    bad(`${arenas} arenas in the chunk map but arenasCurrent = ${m.arenasCurrent}`);

  // usable_arenas: sorted by ascending nfreepools, all with a free pool; nfp2lasta agrees.
  let prevNf = 0;
  let prevArena = 0;
  const seen = new Set<number>();
  for (let a = m.usableArenas; a !== 0; a = m.arenaNext[a]!) {
    if (seen.has(a)) {
      bad("usable_arenas has a cycle");
      break;
    }
    seen.add(a);
    const nf = m.arenaNFreePools[a]!;
    if (m.arenaPrev[a] !== prevArena) bad(`arena ${a} has a wrong prevarena link`);
    if (nf <= 0) bad(`arena ${a} is on usable_arenas with no free pool`);
    if (nf < prevNf) bad(`usable_arenas is not sorted at arena ${a} (${nf} after ${prevNf})`);
    const next = m.arenaNext[a]!;
    const isLastOfCount = next === 0 || m.arenaNFreePools[next] !== nf;
    if (isLastOfCount && m.nfp2lasta[nf] !== a) bad(`nfp2lasta[${nf}] should be arena ${a}`);
    prevNf = nf;
    prevArena = a;
  }
  for (let a = 1; a < m.chunkTop; a++) {
    if (m.chunkKind[a] === ChunkKind.Arena && m.arenaNFreePools[a]! > 0 && !seen.has(a)) {
      bad(`arena ${a} has free pools but is not on usable_arenas`);
    }
  }

  // Every carved pool: block accounting and its free list.
  forEachCarvedPool(m, (pool, a) => {
    if (read32(m, pool + POOL_ARENA) !== a)
      bad(`pool ${hex(pool)} records arena ${read32(m, pool + POOL_ARENA)}`);
    const count = read32(m, pool + POOL_COUNT);
    if (count === 0) {
      if (!onFree.has(pool)) bad(`empty pool ${hex(pool)} is not on its arena's freepools`);
      return;
    }
    const c = read32(m, pool + POOL_SZIDX);
    if (c < 0 || c >= m.usedPools.length) {
      bad(`pool ${hex(pool)} has size class ${c}`);
      return;
    }
    const size = classSize(c);
    const max = blocksPerPool(c);
    const next = read32(m, pool + POOL_NEXTOFFSET);
    if (read32(m, pool + POOL_MAXNEXTOFFSET) !== POOL_SIZE - size)
      bad(`pool ${hex(pool)} has a wrong maxnextoffset`);
    const carved = (next - POOL_OVERHEAD) / size;
    if (!Number.isInteger(carved) || carved > max) bad(`pool ${hex(pool)} has nextoffset ${next}`);
    const free = new Set<number>();
    for (let b = read32(m, pool + POOL_FREEBLOCK); b !== 0; b = read32(m, b)) {
      const off = b - pool - POOL_OVERHEAD;
      if (free.has(b) || off < 0 || off % size !== 0 || b >= pool + next) {
        bad(`pool ${hex(pool)}: free list holds bad or repeated block ${hex(b)}`);
        return;
      }
      free.add(b);
      if (
        m.checked &&
        m.blockState[b >> 4] !== BlockState.Freed &&
        m.blockState[b >> 4] !== BlockState.None
      ) {
        bad(`free block ${hex(b)} is marked allocated in the block-state map`);
      }
    }
    if (free.size + count !== carved) {
      bad(`pool ${hex(pool)}: ${count} allocated + ${free.size} free != ${carved} carved blocks`);
    }
    const full = count === max;
    if (full === onUsed.has(pool))
      bad(`pool ${hex(pool)} (count ${count}/${max}) is ${full ? "" : "not "}on usedpools`);
    if (!full && free.size === 0) bad(`used pool ${hex(pool)} has no free block`);
  });

  // Large segments: headers, flags, coalescing, and free-list membership.
  const listed = new Set<number>();
  for (let i = 0; i < m.largeHeads.length; i++) {
    for (let b = m.largeHeads[i]!; b !== 0; b = read32(m, b + 8)) {
      if (listed.has(b)) {
        bad(`large free list ${i} repeats block ${hex(b)}`);
        break;
      }
      listed.add(b);
    }
  }
  let segs = 0;
  for (let c = 1; c < m.chunkTop; c++) if (m.chunkKind[c] === ChunkKind.LargeHead) segs++;
  if (segs !== m.largeSegments)
    bad(`${segs} large segments in the chunk map, counter says ${m.largeSegments}`);
  let prevFree = false;
  let prevBlock = 0;
  forEachLargeBlock(m, (payload, _bytes, isFree, prevFreeFlag, prev) => {
    const b = payload - LARGE_HEADER;
    const first = (b & (CHUNK_SIZE - 1)) === 0 && m.chunkKind[b >>> CHUNK_BITS] === ChunkKind.LargeHead;
    if (first) {
      prevFree = false;
      prevBlock = 0;
    }
    if (prev !== prevBlock) bad(`large block ${hex(b)} has prev ${hex(prev)}, expected ${hex(prevBlock)}`);
    if (prevFreeFlag !== prevFree) bad(`large block ${hex(b)} has a wrong prev-free flag`);
    if (isFree && prevFree) bad(`large blocks before ${hex(b)} are free and adjacent (not coalesced)`);
    if (isFree !== listed.has(b))
      bad(`large block ${hex(b)} is ${isFree ? "free but not listed" : "listed but in use"}`);
    listed.delete(b);
    prevFree = isFree;
    prevBlock = b;
  });
  if (listed.size > 0) bad(`${listed.size} listed large free blocks are not in any segment`);
  return problems;
}
