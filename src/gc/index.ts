/**
 * The generational cycle collector (CPython 3.11's gcmodule.c): its state, the collection, and
 * the `gc` module's functions (`gcModule`, over raw addresses).
 */
export { GcHeap } from "./gcheap.js";
export {
  type GcCallback,
  type GcCallbackInfo,
  GcDebug,
  type GcGenerationStats,
  GcState,
} from "./heap.js";
export * as gcModule from "./module.js";
