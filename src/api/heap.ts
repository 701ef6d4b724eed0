/**
 * Heap: the package's main entry. Today it owns an Engine and offers its checks and
 * statistics; the handle-based API (objects that cannot be misused) grows here.
 */
import type { MallocStats } from "../memory/index.js";
import type { VerifyReport } from "../object/index.js";
import { Engine, type EngineOptions, stats, statsText, sysGetrefcount, verify } from "./engine.js";

export type HeapOptions = EngineOptions;

export class Heap {
  /** The low-level engine (see "refheap/core"). */
  readonly engine: Engine;

  constructor(options: HeapOptions = {}) {
    this.engine = new Engine(options);
  }

  /** True if every address is validated (use after free, double free, underflow, wrong type). */
  get checked(): boolean {
    return this.engine.checked;
  }

  /** Python-compatible facade of the `sys` functions refheap implements. */
  readonly sys = {
    /** sys.getrefcount(o): the object's count plus one (the argument's own reference). */
    getrefcount: (o: number): number => sysGetrefcount(this.engine, o),
    /** sys._debugmallocstats(): the allocator's statistics as text. */
    debugmallocstats: (): string => statsText(this.engine),
  };

  /** Allocator statistics. */
  stats(): MallocStats {
    return stats(this.engine);
  }

  /** Checks the heap's invariants; `problems` is empty when it is sound. */
  verify(): VerifyReport {
    return verify(this.engine);
  }
}
