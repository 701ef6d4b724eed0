/**
 * refheap: CPython's memory management as a TypeScript library. Start with `new Heap()`.
 * The low-level engine API is in "refheap/core".
 */
export { Heap, type HeapOptions } from "./api/index.js";
export {
  ErrorCode,
  HeapAccessError,
  HeapMemoryError,
  HeapTypeError,
  HeapValueError,
  RefheapError,
} from "./util/index.js";
