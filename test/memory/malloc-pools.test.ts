/** mallocPools: every arena's pools, with the occupancy sys._debugmallocstats() counts. */
import { describe, expect, it } from "vitest";
import {
  ARENA_SIZE,
  free,
  Memory,
  malloc,
  mallocPools,
  mallocStats,
  POOL_SIZE,
} from "../../src/memory/index.js";

describe("mallocPools", () => {
  it("agrees with mallocStats per size class, and carved plus uncarved pools fill each arena", () => {
    const m = new Memory();
    const blocks: number[] = [];
    for (let i = 0; i < 3000; i++) blocks.push(malloc(m, 16 + (i % 5) * 16));
    for (let i = 0; i < blocks.length; i += 3) free(m, blocks[i]!);
    const arenas = mallocPools(m);
    expect(arenas.length).toBe(mallocStats(m).arenasCurrent);
    const used = new Map<number, number>();
    for (const a of arenas) {
      expect(a.pools.length + a.uncarved).toBe(ARENA_SIZE / POOL_SIZE);
      for (const p of a.pools) {
        if (p.sizeClass < 0) continue;
        expect(p.used).toBeGreaterThan(0);
        expect(p.used).toBeLessThanOrEqual(p.capacity);
        used.set(p.sizeClass, (used.get(p.sizeClass) ?? 0) + p.used);
      }
    }
    for (const c of mallocStats(m).sizeClasses) expect(used.get(c.sizeClass)).toBe(c.blocksInUse);
  });
});
