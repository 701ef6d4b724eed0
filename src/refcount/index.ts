/**
 * Reference counting: incref/decref, deallocation in CPython's order with the trashcan, and the
 * container operations that release references.
 */

export {
  classDelAttr,
  classLookupSlot,
  classObject,
  classSetAttr,
  dropClass,
  isInstance,
  isSubclass,
  loadAttr,
  type ReadyClassOptions,
  readyClass,
} from "./classes.js";
export { ClearKind, clearAs, clearKind } from "./clear.js";
export {
  attrNameString,
  clearField,
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
  listAppend,
  listAppendSteal,
  listClear,
  listDelItem,
  listItemSlot,
  listSetItem,
  objectItemSlot,
  objectSetItem,
  objectSize,
  setAttr,
  setData,
  setField,
  tupleItemSlot,
  tupleSetItem,
} from "./containers.js";
export { printUnraisable, RefcountHeap, TRASH_UNWIND_LEVEL, type UnraisableHook } from "./heap.js";
export {
  clearSlot,
  dealloc,
  decref,
  decrefFast,
  dropWeakrefCallback,
  getrefcount,
  incref,
} from "./refcount.js";
export { decrefWordsSource, releaseFieldSource } from "./specialize.js";
