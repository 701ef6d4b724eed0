/**
 * refheap/core: the engine API over raw addresses (like CPython's C API). Objects are numbers
 * (byte offsets into the heap); you own every reference you create or incref, and release it
 * with decref. Values stored in containers are passed as (v, isRef): an object address, or a
 * number stored inline.
 *
 * @module refheap/core
 */
export {
  callObject,
  Engine,
  type EngineOptions,
  finalizeWeakref,
  gcTrack,
  gcUntrack,
  stats,
  statsText,
  sysGetrefcount,
  verify,
} from "./api/index.js";
export {
  type GcCallback,
  type GcCallbackInfo,
  GcDebug,
  type GcGenerationStats,
  gcModule as gc,
} from "./gc/index.js";
export {
  ARENA_SIZE,
  formatMallocStats,
  type MallocStats,
  mallocStats,
  POOL_SIZE,
  type SizeClassStats,
  SMALL_REQUEST_THRESHOLD,
} from "./memory/index.js";
export {
  type ClassSpec,
  dictSize,
  EMPTY_TUPLE,
  FALSE,
  FieldKind,
  type FieldSpec,
  type Finalizer,
  Kind,
  type KindHooks,
  type KindSpec,
  listSize,
  NONE,
  newDict,
  newInstance,
  newList,
  newObject,
  newStr,
  newTuple,
  reuseTagOf,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  TRUE,
  type TypeInfo,
  traverse,
  tupleSize,
  typeIdOf,
  type VerifyReport,
  type WeakrefCallback,
} from "./object/index.js";
export {
  clearField,
  decref,
  delAttr,
  delAttrString,
  dictClear,
  dictDelItem,
  dictDelItemString,
  dictGetSlot,
  dictGetSlotString,
  dictPop,
  dictSetItem,
  fieldItemSlot,
  getAttrSlot,
  getAttrSlotString,
  getData,
  getrefcount,
  incref,
  listAppend,
  listAppendSteal,
  listClear,
  listDelItem,
  listItemSlot,
  listSetItem,
  objectItemSlot,
  objectSetItem,
  objectSize,
  printUnraisable,
  setAttr,
  setData,
  setField,
  tupleItemSlot,
  tupleSetItem,
  type UnraisableHook,
} from "./refcount/index.js";
export { GcPhase, type GcTraceEvent, type TraceEvent, TraceKind, type TraceSink } from "./trace/index.js";
export {
  ErrorCode,
  HeapAccessError,
  HeapMemoryError,
  HeapReferenceError,
  HeapTypeError,
  HeapValueError,
  RefheapError,
} from "./util/index.js";
export { weakrefModule as weakref } from "./weakref/index.js";
