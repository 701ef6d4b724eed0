/**
 * The linear heap: one ArrayBuffer, its typed views, the chunk map, and the word accessors that
 * every layer above uses. Nothing outside src/memory/ indexes a typed array over the heap.
 *
 * Why a fixed-size buffer that is replaced when it grows, not a resizable ArrayBuffer: on Node 20
 * (V8 11.3) typed arrays over a resizable buffer were about 4x slower to index in optimised code
 * (measured: 5.8 vs 1.4 ns per read-modify-write). Growth copies the old contents into a buffer
 * at least twice as large, so its cost is amortised; addresses are offsets and never change.
 * IMPORTANT: the views change when the buffer grows, so no code may keep a view in a local
 * across an allocation. The accessors below always read the current view.
 */
import type { TraceSink } from "../trace/index.js";
import { HeapMemoryError, HeapValueError } from "../util/index.js";
import {
  ARENA_SIZE,
  CHUNK_BITS,
  CHUNK_SIZE,
  DEFAULT_MAX_BYTES,
  LARGE_FL_COUNT,
  LARGE_SL_COUNT,
  MAX_HEAP_BYTES,
  MAX_POOLS_IN_ARENA,
  NB_SMALL_SIZE_CLASSES,
} from "./constants.js";

/** What a 1 MiB chunk of address space is used for. */
export const ChunkKind = {
  Free: 0,
  Static: 1,
  Arena: 2,
  /** The first chunk of a large-block segment. */
  LargeHead: 3,
  /** A following chunk of a multi-chunk large-block segment. */
  LargeTail: 4,
} as const;
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];

/**
 * Per-16-byte-granule state, kept only by checked heaps. Indexed by block start >> 4.
 * A block is allocated raw (storage owned by an object), or holds a non-GC or GC object, or was
 * freed (so a later access is reported as a use after free, not as a bad address).
 */
export const BlockState = {
  None: 0,
  Raw: 1,
  Object: 2,
  GcObject: 3,
  Freed: 4,
} as const;
export type BlockState = (typeof BlockState)[keyof typeof BlockState];

export interface MemoryOptions {
  /** Validate every address and poison freed blocks (see docs/checked-mode.md). Default false. */
  readonly checked?: boolean;
  /** The most bytes the heap's buffer may occupy. Default 1 GiB, at most 2 GiB. */
  readonly maxBytes?: number;
  /** Receives allocation events (no-op when absent). */
  readonly trace?: TraceSink;
}

/** Byte value written over freed blocks in checked mode (after the free-list link). */
export const POISON_BYTE = 0xdb;

export class Memory {
  /** The heap's bytes. Replaced (never resized) when the heap grows. */
  buffer: ArrayBuffer;
  i32: Int32Array;
  f64: Float64Array;
  u16: Uint16Array;
  u8: Uint8Array;

  readonly checked: boolean;
  readonly maxBytes: number;
  readonly maxChunks: number;
  readonly trace: TraceSink | null;

  /** ChunkKind per chunk of the whole address space (up to maxBytes). */
  readonly chunkKind: Uint8Array;
  /** For a LargeHead chunk: the segment's length in chunks. */
  readonly segmentChunks: Int32Array;
  /** One past the highest chunk in use (the buffer must cover it). */
  chunkTop = 1;
  /** Checked heaps only: BlockState per 16-byte granule. */
  blockState: Uint8Array;
  /**
   * The buffer's size before it last shrank, until growth has gone back to it (0: none): see
   * ensureBuffer.
   */
  shrunkFrom = 0;

  // --- pymalloc state (see pymalloc.ts). Arena descriptors are indexed by chunk number. ---
  /** Head pool of usedpools[class], 0 when the class has no partly used pool. */
  readonly usedPools: Int32Array = new Int32Array(NB_SMALL_SIZE_CLASSES);
  readonly arenaNFreePools: Int32Array;
  readonly arenaNTotalPools: Int32Array;
  /** Address of the next never-carved pool in the arena (arena end when all are carved). */
  readonly arenaPoolAddress: Int32Array;
  /** Head of the arena's singly linked list of empty pools. */
  readonly arenaFreePools: Int32Array;
  /** usable_arenas links (chunk numbers; 0 = none, chunk 0 is never an arena). */
  readonly arenaNext: Int32Array;
  readonly arenaPrev: Int32Array;
  usableArenas = 0;
  /** nfp2lasta[k]: the last arena in usable_arenas with k free pools, or 0. */
  readonly nfp2lasta: Int32Array = new Int32Array(MAX_POOLS_IN_ARENA + 1);
  arenasAllocatedTotal = 0;
  arenasCurrent = 0;
  arenasHighwater = 0;

  // --- large-block (TLSF) state (see large.ts). ---
  largeFlBitmap = 0;
  readonly largeSlBitmap: Int32Array;
  readonly largeHeads: Int32Array;
  largeSegments = 0;
  largeSegmentChunks = 0;

  constructor(options: MemoryOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 2 * CHUNK_SIZE || maxBytes > MAX_HEAP_BYTES) {
      throw new HeapValueError(
        `maxBytes must be an integer between ${2 * CHUNK_SIZE} (2 MiB) and ${MAX_HEAP_BYTES} (2 GiB); got ${maxBytes}`,
      );
    }
    this.checked = options.checked ?? false;
    this.maxChunks = Math.floor(maxBytes / CHUNK_SIZE);
    this.maxBytes = this.maxChunks * CHUNK_SIZE;
    this.trace = options.trace ?? null;
    this.chunkKind = new Uint8Array(this.maxChunks);
    this.chunkKind[0] = ChunkKind.Static;
    this.segmentChunks = new Int32Array(this.maxChunks);
    this.arenaNFreePools = new Int32Array(this.maxChunks);
    this.arenaNTotalPools = new Int32Array(this.maxChunks);
    this.arenaPoolAddress = new Int32Array(this.maxChunks);
    this.arenaFreePools = new Int32Array(this.maxChunks);
    this.arenaNext = new Int32Array(this.maxChunks);
    this.arenaPrev = new Int32Array(this.maxChunks);
    this.largeSlBitmap = new Int32Array(LARGE_FL_COUNT);
    this.largeHeads = new Int32Array(LARGE_FL_COUNT * LARGE_SL_COUNT);
    this.buffer = new ArrayBuffer(CHUNK_SIZE);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.blockState = new Uint8Array(this.checked ? CHUNK_SIZE >> 4 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Word accessors. Every read and write of heap memory above this layer goes through these.
// They are tiny so that V8 inlines them; `addr` must be aligned to the access width.
// ---------------------------------------------------------------------------------------------

/** Reads the 32-bit signed word at `addr` (4-aligned). */
export function read32(m: Memory, addr: number): number {
  return m.i32[addr >> 2]!;
}
/** Writes the 32-bit word at `addr` (4-aligned). */
export function write32(m: Memory, addr: number, value: number): void {
  m.i32[addr >> 2] = value;
}
/** Reads the float64 at `addr` (8-aligned). */
export function readF64(m: Memory, addr: number): number {
  return m.f64[addr >> 3]!;
}
/** Writes the float64 at `addr` (8-aligned). The caller canonicalises NaN (see object/value.ts). */
export function writeF64(m: Memory, addr: number, value: number): void {
  m.f64[addr >> 3] = value;
}
/** Reads the byte at `addr`. */
export function read8(m: Memory, addr: number): number {
  return m.u8[addr]!;
}
/** Writes the byte at `addr` (the low 8 bits of `value`). */
export function write8(m: Memory, addr: number, value: number): void {
  m.u8[addr] = value;
}
/** Reads the 16-bit code unit at `addr` (2-aligned). */
export function read16(m: Memory, addr: number): number {
  return m.u16[addr >> 1]!;
}
/** Writes the 16-bit code unit at `addr` (2-aligned). */
export function write16(m: Memory, addr: number, value: number): void {
  m.u16[addr >> 1] = value;
}
/** Copies `n` bytes from `src` to `dst` (regions may overlap). */
export function copyBytes(m: Memory, dst: number, src: number, n: number): void {
  m.u8.copyWithin(dst, src, src + n);
}
/** Fills `n` bytes at `addr` with `byte`. */
export function fillBytes(m: Memory, addr: number, byte: number, n: number): void {
  m.u8.fill(byte, addr, addr + n);
}
/** Writes the UTF-16 code units of `s` at `addr` (2-aligned). */
export function writeUtf16(m: Memory, addr: number, s: string): void {
  const u16 = m.u16;
  const base = addr >> 1;
  for (let i = 0; i < s.length; i++) u16[base + i] = s.charCodeAt(i);
}
/**
 * Reads `length` UTF-16 code units at `addr` as a JS string, unit for unit: lone surrogates stay
 * as they are (a TextDecoder would replace them with U+FFFD, and refuses very long inputs), so
 * every JS string written with writeUtf16 reads back identical.
 */
export function readUtf16(m: Memory, addr: number, length: number): string {
  const base = addr >> 1;
  const u16 = m.u16;
  if (length <= 16) {
    let s = "";
    for (let i = 0; i < length; i++) s += String.fromCharCode(u16[base + i]!);
    return s;
  }
  // fromCharCode over slices: one call per UTF16_CHUNK units keeps the argument count bounded.
  let s = "";
  for (let i = 0; i < length; i += UTF16_CHUNK) {
    const units = u16.subarray(base + i, base + Math.min(length, i + UTF16_CHUNK));
    s += String.fromCharCode.apply(null, units as unknown as number[]);
  }
  return s;
}
const UTF16_CHUNK = 8192;

/** True if the code units at `a` and `b` (both `length` long) are equal. */
export function equalUtf16(m: Memory, a: number, b: number, length: number): boolean {
  const u16 = m.u16;
  const ia = a >> 1;
  const ib = b >> 1;
  for (let i = 0; i < length; i++) if (u16[ia + i] !== u16[ib + i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Chunks: claiming address space, growing and shrinking the buffer.
// ---------------------------------------------------------------------------------------------

/**
 * Claims `count` consecutive free chunks (lowest address first, so the heap's top stays low and
 * the buffer can shrink), growing the buffer to cover them. Returns the first chunk's number.
 * Throws HeapMemoryError, changing nothing, if `maxBytes` does not allow it.
 */
export function claimChunks(m: Memory, count: number, kind: ChunkKind, what: string): number {
  const kinds = m.chunkKind;
  let run = 0;
  let first = -1;
  for (let c = 1; c < m.maxChunks; c++) {
    if (kinds[c] === ChunkKind.Free) {
      run++;
      if (run === count) {
        first = c - count + 1;
        break;
      }
    } else {
      run = 0;
    }
  }
  if (first < 0) {
    throw new HeapMemoryError(
      `out of heap memory: cannot reserve ${count} MiB more for ${what}; the heap is at its maxBytes limit ` +
        `of ${m.maxBytes} bytes (${m.maxBytes / CHUNK_SIZE} MiB). Release objects or create the heap with a larger maxBytes.`,
    );
  }
  const top = first + count;
  if (top > m.chunkTop) {
    ensureBuffer(m, top * CHUNK_SIZE);
    m.chunkTop = top;
  }
  kinds[first] = kind;
  for (let c = first + 1; c < top; c++) kinds[c] = kind === ChunkKind.LargeHead ? ChunkKind.LargeTail : kind;
  return first;
}

/**
 * Returns chunks to the free state. When the chunks in use occupy at most an eighth of the
 * buffer, the buffer shrinks to twice their extent (the gap between the two thresholds keeps a
 * heap that hovers around one size from copying back and forth).
 */
export function releaseChunks(m: Memory, first: number, count: number): void {
  const kinds = m.chunkKind;
  for (let c = first; c < first + count; c++) kinds[c] = ChunkKind.Free;
  if (first + count === m.chunkTop) {
    let top = first;
    while (top > 1 && kinds[top - 1] === ChunkKind.Free) top--;
    m.chunkTop = top;
    const wanted = Math.max(2, top * 2) * CHUNK_SIZE;
    const from = m.buffer.byteLength;
    if (from >= 4 * wanted) {
      try {
        replaceBuffer(m, wanted);
        m.shrunkFrom = Math.max(m.shrunkFrom, from);
      } catch {
        // Shrinking is an optimisation: if the engine refuses the smaller buffer, keep this one.
      }
    }
  }
}

/**
 * Grows the buffer to cover `bytes`: to twice its size or more. After a shrink, growth goes back
 * toward the size the buffer had before it, in one step of at most 8 times the doubling's: a
 * program that fills and empties its heap in rounds would otherwise double through every size
 * again each round, each step a new buffer and a copy of the heap, and the buffers it leaves
 * behind push V8 into collections of its own (W2a's cycles: making them took 80 ns per object
 * with the doubling, 59 with the step back, 34 with no shrinking at all; docs/memory.md).
 */
function ensureBuffer(m: Memory, bytes: number): void {
  const have = m.buffer.byteLength;
  if (bytes <= have) return;
  const doubled = Math.min(m.maxBytes, Math.max(bytes, have * 2));
  const back = Math.min(m.maxBytes, m.shrunkFrom, 8 * doubled);
  if (back > doubled) {
    try {
      replaceBuffer(m, back);
    } catch {
      replaceBuffer(m, doubled); // the engine refused the larger buffer: grow as usual
    }
  } else {
    replaceBuffer(m, doubled);
  }
  if (m.buffer.byteLength >= m.shrunkFrom) m.shrunkFrom = 0;
}

/**
 * Moves the heap into a new buffer of `bytes`. All or nothing: every new array is made before
 * anything is switched, so a refusal (HeapMemoryError) leaves the heap exactly as it was.
 */
function replaceBuffer(m: Memory, bytes: number): void {
  let next: ArrayBuffer;
  let states: Uint8Array;
  try {
    next = new ArrayBuffer(bytes);
    // One state per 16-byte granule (bytes may be 2^31: divide, a signed shift would go negative).
    states = new Uint8Array(m.checked ? bytes / 16 : 0);
  } catch {
    throw new HeapMemoryError(
      `out of memory: the JS engine refused a ${bytes}-byte ArrayBuffer for the heap. Lower the workload or maxBytes.`,
    );
  }
  const keep = Math.min(bytes, m.chunkTop * CHUNK_SIZE, m.buffer.byteLength);
  const u8 = new Uint8Array(next);
  u8.set(m.u8.subarray(0, keep));
  if (m.checked) states.set(m.blockState.subarray(0, Math.min(states.length, m.blockState.length)));
  m.buffer = next;
  m.i32 = new Int32Array(next);
  m.f64 = new Float64Array(next);
  m.u16 = new Uint16Array(next);
  m.u8 = u8;
  m.blockState = states;
}

/** The chunk holding `addr`. */
export function chunkOf(addr: number): number {
  return addr >>> CHUNK_BITS;
}

/** Bytes of address space reserved for arenas and large segments (excludes the static chunk). */
export function reservedBytes(m: Memory): number {
  return (m.arenasCurrent + m.largeSegmentChunks) * ARENA_SIZE;
}
