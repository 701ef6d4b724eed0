/** The public facade: the engine (low level) and the Heap (main entry). */
export { Engine, type EngineOptions, stats, statsText, sysGetrefcount, verify } from "./engine.js";
export { Heap, type HeapOptions } from "./heap.js";
