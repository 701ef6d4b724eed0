export { assert, DEBUG } from "./assert.js";
export { compileOrNull, wordAt } from "./compile.js";
export {
  ErrorCode,
  HandleError,
  type HandleReport,
  HeapAccessError,
  HeapMemoryError,
  HeapReferenceError,
  HeapTypeError,
  HeapValueError,
  internalError,
  LeakError,
  RefheapError,
} from "./errors.js";
export { writeStderr } from "./stderr.js";
export { type Addr, hex, NULL, type Obj } from "./types.js";
