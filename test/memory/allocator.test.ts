import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ARENA_SIZE,
  free,
  Memory,
  malloc,
  mallocStats,
  POOL_OVERHEAD,
  POOL_SIZE,
  read32,
  realloc,
  usableSize,
  verifyMemory,
  write32,
} from "../../src/memory/index.js";
import { ErrorCode, RefheapError } from "../../src/util/index.js";

/** Fills a block with a pattern derived from its id, to detect overlap and lost contents. */
function fill(m: Memory, p: number, bytes: number, id: number): void {
  for (let o = 0; o + 4 <= bytes; o += 4) write32(m, p + o, (id * 7919 + o) | 0);
}
function check(m: Memory, p: number, bytes: number, id: number): boolean {
  for (let o = 0; o + 4 <= bytes; o += 4) if (read32(m, p + o) !== ((id * 7919 + o) | 0)) return false;
  return true;
}

describe("pymalloc", () => {
  it("serves 16-byte aligned blocks of the request's size class, first at offset 48 of a pool", () => {
    const m = new Memory();
    const a = malloc(m, 1);
    const b = malloc(m, 16);
    expect(a % 16).toBe(0);
    expect(a % POOL_SIZE).toBe(POOL_OVERHEAD);
    expect(b - a).toBe(16);
    expect(usableSize(m, malloc(m, 17))).toBe(32);
    expect(usableSize(m, malloc(m, 512))).toBe(512);
    expect(verifyMemory(m)).toEqual([]);
  });

  it("reuses the most recently freed block first (LIFO free lists)", () => {
    const m = new Memory();
    const blocks = Array.from({ length: 5 }, () => malloc(m, 40));
    free(m, blocks[1]!);
    free(m, blocks[3]!);
    expect(malloc(m, 40)).toBe(blocks[3]);
    expect(malloc(m, 33)).toBe(blocks[1]);
  });

  it("fills a pool with exactly (16384 - 48) // size blocks before taking another", () => {
    const m = new Memory();
    const first = malloc(m, 48);
    for (let i = 1; i < 340; i++)
      expect(Math.floor(malloc(m, 48) / POOL_SIZE)).toBe(Math.floor(first / POOL_SIZE));
    expect(Math.floor(malloc(m, 48) / POOL_SIZE)).not.toBe(Math.floor(first / POOL_SIZE));
    expect(mallocStats(m).sizeClasses).toEqual([
      { sizeClass: 2, size: 48, pools: 2, blocksInUse: 341, availableBlocks: 339 },
    ]);
    expect(verifyMemory(m)).toEqual([]);
  });

  it("gives a wholly free arena back, but keeps the last one", () => {
    const m = new Memory();
    const blocks: number[] = [];
    // Three arenas' worth of 512-byte blocks (31 per pool, 64 pools per arena).
    for (let i = 0; i < 31 * 64 * 3; i++) blocks.push(malloc(m, 512));
    expect(mallocStats(m).arenasCurrent).toBe(3);
    const reservedFull = mallocStats(m).reservedBytes;
    for (const b of blocks) free(m, b);
    const s = mallocStats(m);
    expect(s.arenasCurrent).toBe(1);
    expect(s.arenasReclaimed).toBe(2);
    expect(s.reservedBytes).toBe(reservedFull - 2 * ARENA_SIZE);
    expect(verifyMemory(m)).toEqual([]);
  });
});

describe("large blocks", () => {
  it("serve requests over 512 bytes inside the heap and coalesce on free", () => {
    const m = new Memory();
    const a = malloc(m, 513);
    const b = malloc(m, 4000);
    const c = malloc(m, 100_000);
    expect([a, b, c].every((p) => p % 16 === 0)).toBe(true);
    expect(usableSize(m, b)).toBeGreaterThanOrEqual(4000);
    free(m, b);
    free(m, a);
    free(m, c);
    const s = mallocStats(m);
    expect(s.large.blocksInUse).toBe(0);
    expect(s.large.freeBlocks).toBe(1);
    expect(verifyMemory(m)).toEqual([]);
  });

  it("spans several chunks for a request over 1 MiB and gives them back", () => {
    const m = new Memory();
    const keep = malloc(m, 1000);
    const big = malloc(m, 3 * ARENA_SIZE);
    fill(m, big, 3 * ARENA_SIZE, 5);
    expect(check(m, big, 3 * ARENA_SIZE, 5)).toBe(true);
    expect(mallocStats(m).large.segments).toBe(2);
    free(m, big);
    expect(mallocStats(m).large.segments).toBe(1);
    free(m, keep);
    expect(verifyMemory(m)).toEqual([]);
  });
});

describe("realloc", () => {
  it("keeps a pymalloc block when the new size uses more than 3/4 of it (CPython's rule)", () => {
    const m = new Memory();
    const p = malloc(m, 64);
    expect(realloc(m, p, 49)).toBe(p);
    expect(realloc(m, p, 64)).toBe(p);
    const q = realloc(m, p, 48); // 4*48 = 192 = 3*64: not more than 3/4, so it moves
    expect(q).not.toBe(p);
  });

  it("preserves contents when moving between classes and into the large path", () => {
    const m = new Memory();
    let p = malloc(m, 16);
    fill(m, p, 16, 9);
    for (const n of [32, 100, 512, 600, 5000, 70_000, 300, 16]) {
      const keep = Math.min(16, n);
      p = realloc(m, p, n);
      expect(check(m, p, keep, 9)).toBe(true);
    }
    expect(verifyMemory(m)).toEqual([]);
  });
});

describe("maxBytes", () => {
  it("throws a HEAP_EXHAUSTED error and leaves the heap consistent", () => {
    const m = new Memory({ maxBytes: 4 * ARENA_SIZE });
    const blocks: number[] = [];
    let error: unknown;
    try {
      for (;;) blocks.push(malloc(m, 256));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RefheapError);
    expect((error as RefheapError).code).toBe(ErrorCode.HeapExhausted);
    expect((error as Error).message).toMatch(/maxBytes/);
    expect(verifyMemory(m)).toEqual([]);
    // Freeing makes room again.
    for (const b of blocks.splice(0, 100)) free(m, b);
    expect(() => malloc(m, 256)).not.toThrow();
    expect(verifyMemory(m)).toEqual([]);
  });
});

describe("checked mode", () => {
  it("reports a double free and a bad address with stable codes", () => {
    const m = new Memory({ checked: true });
    const p = malloc(m, 32);
    free(m, p);
    expect(() => free(m, p)).toThrow(expect.objectContaining({ code: ErrorCode.DoubleFree }));
    expect(() => free(m, p + 16)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidAddress }));
    expect(() => free(m, 12345)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidAddress }));
    expect(verifyMemory(m)).toEqual([]);
  });

  it("poisons freed blocks after the free-list link", () => {
    const m = new Memory({ checked: true });
    const p = malloc(m, 64);
    fill(m, p, 64, 1);
    free(m, p);
    expect(read32(m, p + 8) >>> 0).toBe(0xdbdbdbdb);
  });
});

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "free"; pick: number }
  | { kind: "realloc"; pick: number; size: number };

const sizeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 2, arbitrary: fc.integer({ min: 513, max: 20_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_001, max: 1_500_000 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: sizeArb.map((size) => ({ kind: "alloc" as const, size })) },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: "free" as const, pick })) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(), sizeArb).map(([pick, size]) => ({ kind: "realloc" as const, pick, size })),
  },
);

describe("random allocation sequences (seeded)", () => {
  it("keep every block disjoint, aligned and intact, and the allocator consistent after every step", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 10, maxLength: 150, size: "max" }),
        fc.boolean(),
        (ops, checked) => {
          const m = new Memory({ checked, maxBytes: 64 * ARENA_SIZE });
          const live: { p: number; size: number; id: number }[] = [];
          let nextId = 1;
          for (const op of ops) {
            if (op.kind === "alloc") {
              const p = malloc(m, op.size);
              expect(p % 16).toBe(0);
              fill(m, p, op.size, nextId);
              live.push({ p, size: op.size, id: nextId++ });
            } else if (live.length > 0) {
              const i = op.pick % live.length;
              const b = live[i]!;
              if (op.kind === "free") {
                free(m, b.p);
                live.splice(i, 1);
              } else {
                const p = realloc(m, b.p, op.size);
                const kept = Math.min(b.size, op.size);
                expect(check(m, p, kept, b.id)).toBe(true);
                fill(m, p, op.size, b.id);
                live[i] = { p, size: op.size, id: b.id };
              }
            }
            expect(verifyMemory(m)).toEqual([]);
          }
          for (const b of live) expect(check(m, b.p, b.size, b.id)).toBe(true);
          const sorted = [...live].sort((x, y) => x.p - y.p);
          for (let i = 1; i < sorted.length; i++) {
            expect(sorted[i - 1]!.p + usableSize(m, sorted[i - 1]!.p)).toBeLessThanOrEqual(sorted[i]!.p);
          }
          for (const b of live) free(m, b.p);
          expect(verifyMemory(m)).toEqual([]);
          expect(mallocStats(m).arenasCurrent).toBeLessThanOrEqual(1);
        },
      ),
      { seed: 20261124, numRuns: 150 },
    );
  });
});
