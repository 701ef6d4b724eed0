/**
 * refheap: CPython's memory management as a TypeScript library. Start with `new Heap()`; objects
 * are reached through handles that each own one reference. The low-level engine API over raw
 * addresses is in "refheap/core".
 *
 * @module refheap
 */
export {
  type BoundMethods,
  type ClassOptions,
  DictHandle,
  type FieldsSpec,
  type FieldType,
  type FieldValue,
  Finalize,
  type FinalizeInfo,
  type GcFacade,
  Handle,
  Heap,
  type HeapClass,
  type HeapOptions,
  type HostField,
  hostField,
  type Instance,
  InstanceHandle,
  type InstanceOf,
  type Key,
  KeyedRefHandle,
  type LeakPolicy,
  ListHandle,
  type MethodsSpec,
  ProxyHandle,
  type Scope,
  TupleHandle,
  type Value,
  type WeakCallback,
  type WeakEntries,
  WeakKeyDictionary,
  type WeakProxy,
  WeakRefHandle,
  type WeakrefFacade,
  WeakSet,
  WeakValueDictionary,
} from "./api/index.js";
export type { GcCallback, GcCallbackInfo, GcGenerationStats } from "./gc/index.js";
export { GcPhase, type GcTraceEvent, type TraceEvent, type TraceSink } from "./trace/index.js";
export {
  ErrorCode,
  HandleError,
  type HandleReport,
  HeapAccessError,
  HeapMemoryError,
  HeapReferenceError,
  HeapTypeError,
  HeapValueError,
  LeakError,
  RefheapError,
} from "./util/index.js";
