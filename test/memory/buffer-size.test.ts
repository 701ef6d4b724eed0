/**
 * The heap's buffer: it doubles as the heap grows, shrinks to twice what is in use once at most
 * an eighth of it is, and after a shrink grows back toward its former size in one step of at most
 * 8 times the doubling's (memory.ts: releaseChunks, ensureBuffer; docs/memory.md, "Growing,
 * shrinking and running out").
 */
import { describe, expect, it } from "vitest";
import { free, Memory, malloc, verifyMemory } from "../../src/memory/index.js";

const MIB = 1024 * 1024;

/**
 * Allocates 64-byte blocks filling about `mib` MiB of arenas; returns them and the sizes (MiB) of
 * the buffers the heap moved into meanwhile (each replacement is a new buffer and a copy).
 */
function grow(m: Memory, mib: number): { blocks: number[]; sizes: number[] } {
  const blocks: number[] = [];
  const sizes: number[] = [];
  let last = m.buffer;
  for (let i = 0; i < (mib * MIB) / 64; i++) {
    blocks.push(malloc(m, 64));
    if (m.buffer !== last) {
      last = m.buffer;
      sizes.push(m.buffer.byteLength / MIB);
    }
  }
  return { blocks, sizes };
}

describe("the heap's buffer", () => {
  it("doubles as the heap grows, and shrinks once at most an eighth of it is in use", () => {
    const m = new Memory();
    const { blocks, sizes } = grow(m, 40);
    expect(sizes).toEqual([2, 4, 8, 16, 32, 64]);
    for (const p of blocks) free(m, p);
    // Every arena but the one CPython keeps is given back: the buffer is 2 × 2 MiB.
    expect(m.buffer.byteLength).toBe(4 * MIB);
    expect(m.shrunkFrom).toBe(64 * MIB);
    expect(verifyMemory(m)).toEqual([]);
  });

  it("grows back to its size before the shrink in one step, not through every doubling", () => {
    const m = new Memory();
    for (const p of grow(m, 40).blocks) free(m, p);
    expect(m.buffer.byteLength).toBe(4 * MIB);
    const { blocks, sizes } = grow(m, 40);
    expect(sizes).toEqual([64]);
    expect(m.shrunkFrom).toBe(0);
    // The contents survived the move and the heap is consistent.
    expect(verifyMemory(m)).toEqual([]);
    for (const p of blocks) free(m, p);
    expect(m.buffer.byteLength).toBe(4 * MIB);
  });

  it("steps back at most 8 times the doubling's size, then doubles on", () => {
    const m = new Memory({ maxBytes: 512 * MIB });
    for (const p of grow(m, 200).blocks) free(m, p);
    expect(m.buffer.byteLength).toBe(4 * MIB);
    expect(m.shrunkFrom).toBe(256 * MIB);
    const { sizes } = grow(m, 100);
    // 4 MiB would double to 8: the step back is 8 × 8 = 64, short of 256; then 256 is in reach.
    expect(sizes).toEqual([64, 256]);
    expect(m.shrunkFrom).toBe(0);
    expect(verifyMemory(m)).toEqual([]);
  });

  it("never steps back past maxBytes", () => {
    const m = new Memory({ maxBytes: 48 * MIB });
    for (const p of grow(m, 40).blocks) free(m, p);
    expect(m.shrunkFrom).toBe(48 * MIB);
    // 4 MiB would double to 8, whose 8-fold step (64) is capped at maxBytes: one step to 48.
    expect(grow(m, 40).sizes).toEqual([48]);
  });
});
