/**
 * The object layer: headers and GC heads, value slots, the type table, and the layouts of the
 * built-in types. Nothing here releases a reference (that can run deallocators): see
 * src/refcount/.
 */
export {
  allocGcObject,
  allocObject,
  clearFreelists,
  freeObject,
  gcLink,
  gcLinkPooled,
  gcLinkTuple,
  gcUnlink,
  gcUnlinkPooled,
  gcUnlinkTuple,
} from "./alloc.js";
export { checkDecref, checkKind, checkObject, describe } from "./check.js";
export {
  DICT_KEYS_GENERAL,
  DICT_KEYS_KIND,
  DICT_KEYS_KIND_MASK,
  DICT_KEYS_SPLIT,
  DICT_KEYS_STR,
  DICT_TABLE,
  dictSize,
  dictTable,
  newDict,
  setDictTable,
  splitKeysClass,
  splitKeysKind,
} from "./dict.js";
export {
  E_HASH,
  E_INDEX,
  E_KEY,
  E_VALUE,
  entryIsLive,
  keyHash,
  tableAppend,
  tableDelete,
  tableEntry,
  tableIsFull,
  tableLookup,
  tableNEntries,
  tableNew,
  tableResize,
  tableUsed,
} from "./dicttable.js";
export {
  asGc,
  fromGc,
  GC_HEAD_SIZE,
  gcNext,
  gcPrev,
  gcTrack,
  gcTrackNew,
  gcUntrack,
  increfRaw,
  initHeader,
  isFinalized,
  isTracked,
  NEXT_MASK_UNREACHABLE,
  OB_HEAD_SIZE,
  PREV_MASK,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  PREV_SHIFT,
  refcnt,
  reuseTagOf,
  setFinalized,
  setGcNext,
  setGcPrev,
  setRefcnt,
  typeIdOf,
} from "./header.js";
export {
  EMPTY_TUPLE,
  FALSE,
  FREELIST_CAPACITY,
  FREELIST_DICT,
  FREELIST_LIST,
  FREELIST_TUPLE_BASE,
  FREELIST_TUPLE_MAX_SIZE,
  GEN0_HEAD,
  GEN1_HEAD,
  GEN2_HEAD,
  gcListInit,
  isStaticObject,
  NONE,
  ObjectHeap,
  PERMANENT_HEAD,
  SCRATCH_HEAD_COUNT,
  SCRATCH_HEADS,
  SHARED_KEYS_MAX_SIZE,
  STATIC_END,
  TRUE,
} from "./heap.js";
export {
  ATTRS_DICT_BIT,
  attrsIsDict,
  attrsWord,
  defineClass,
  fieldSlot,
  INSTANCE_ATTRS,
  newInstance,
  setAttrsWord,
  typeObjectClass,
} from "./instance.js";
export { BUILTIN_TYPE_NAMES, FIRST_USER_TYPE, KEYED_REF_TYPE, Kind, kindIsGc } from "./kinds.js";
export {
  LIST_BASIC_SIZE,
  listAllocated,
  listItems,
  listResize,
  listSize,
  listSlot,
  newList,
} from "./list.js";
export {
  sharedKeyIndex,
  sharedKeyIs,
  sharedKeyLookup,
  sharedKeyStr,
  splitTableOrdered,
  splitTableSorted,
} from "./sharedkeys.js";
export { hashString, newStr, strEquals, strHash, strValue } from "./str.js";
export { dictMaybeUntrack, markDictAsSet, objectMayBeTracked, tupleCanUntrack } from "./tracking.js";
export { traverse, traverseValues } from "./traverse.js";
export { newTuple, tupleSize, tupleSlot } from "./tuple.js";
export {
  type ClassSpec,
  FieldKind,
  type FieldSpec,
  type Finalizer,
  registerBuiltinTypes,
  type TypeInfo,
  typeInfo,
} from "./types.js";
export {
  copySlot,
  REF_TAG,
  SLOT_SIZE,
  setSlot,
  setSlotNull,
  setSlotNumber,
  setSlotRef,
  slotIsRef,
  slotNumber,
  slotRef,
  slotRefOrZero,
} from "./value.js";
export { type VerifyReport, verifyHeap } from "./verify.js";
export {
  allocWeakref,
  basicProxy,
  basicRef,
  clearWeakref,
  clearWeakrefList,
  isWeakref,
  takeWeakrefCallback,
  type WeakrefCallback,
  WR_KEY,
  weaklistHead,
  weakrefCallback,
  weakrefHasCallback,
  weakrefInsertAfter,
  weakrefInsertHead,
  weakrefNext,
  weakrefObjectSlot,
  weakrefReferent,
  weakrefsEqual,
} from "./weakref.js";
