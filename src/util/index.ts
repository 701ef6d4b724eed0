export { assert, DEBUG } from "./assert.js";
export {
  ErrorCode,
  HeapAccessError,
  HeapMemoryError,
  HeapTypeError,
  HeapValueError,
  internalError,
  RefheapError,
} from "./errors.js";
export { type Addr, hex, NULL, type Obj } from "./types.js";
