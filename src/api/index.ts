/** The public facade: the engine (low level) and the Heap with its handles (main entry). */
export {
  type BoundMethods,
  type ClassOptions,
  type FieldsSpec,
  type FieldType,
  type FieldValue,
  type HeapClass,
  type HostField,
  hostField,
  type Instance,
  InstanceHandle,
  type InstanceOf,
  type MethodsSpec,
} from "./classes.js";
export { DictHandle, type Key, ListHandle, TupleHandle } from "./containers.js";
export type { LeakPolicy, Scope } from "./context.js";
export {
  callObject,
  Engine,
  type EngineOptions,
  gcTrack,
  gcUntrack,
  stats,
  statsText,
  sysGetrefcount,
  verify,
} from "./engine.js";
export { Finalize, type FinalizeInfo, finalizeWeakref } from "./finalize.js";
export { GcFacade } from "./gc.js";
export { Handle, type Value } from "./handle.js";
export { Heap, type HeapOptions } from "./heap.js";
export type { WeakEntries } from "./weakcore.js";
export { WeakKeyDictionary } from "./weakkeydict.js";
export {
  KeyedRefHandle,
  ProxyHandle,
  type WeakCallback,
  type WeakProxy,
  WeakRefHandle,
  WeakrefFacade,
} from "./weakref.js";
export { WeakSet } from "./weakset.js";
export { WeakValueDictionary } from "./weakvaluedict.js";
