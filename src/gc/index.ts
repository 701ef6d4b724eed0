/**
 * The generational cycle collector (CPython 3.11's gcmodule.c): its state, the collection, and
 * the `gc` module's functions (`gcModule`, over raw addresses).
 */
export {
  type CollectResult,
  collectGenerations,
  collectMain,
  collectWithCallbacks,
  generationHead,
  NUM_GENERATIONS,
  WEAKREF_CALLBACKS_HEAD,
} from "./collect.js";
export { GcHeap } from "./gcheap.js";
export {
  type GcCallback,
  type GcCallbackInfo,
  GcDebug,
  type GcGenerationStats,
  GcState,
  type WeakrefHandler,
} from "./heap.js";
export { gcListAppend, gcListMerge, gcListMove, gcListSize } from "./lists.js";
export * as gcModule from "./module.js";
