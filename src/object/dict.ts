/**
 * dict: an insertion-ordered mapping. Created untracked, as in CPython; it becomes tracked when a
 * key or value that may be tracked is stored (MAINTAIN_TRACKING).
 *
 *   -8 [gc_next] -4 [gc_prev]  >obj +0 [refcnt] +4 [type] +8 [table or 0] +12 [keys kind]
 *
 * Keys kind (CPython's dk_kind): 0 = "str keys" — every key stored since the dict was created or
 * last cleared was a str; 1 = "general" — some other key was stored. Only general tables report
 * their keys to traverse (CPython's unicode tables visit values only), which decides
 * gc.get_referents output. The first non-str key makes a dict general until it is cleared.
 */
import { read32, write32 } from "../memory/index.js";
import { allocGcObject, gcLinkPooled } from "./alloc.js";
import { tableUsed } from "./dicttable.js";
import { FREELIST_DICT, type ObjectHeap } from "./heap.js";
import { Kind } from "./kinds.js";

export const DICT_TABLE = 8;
export const DICT_KEYS_KIND = 12;
export const DICT_KEYS_STR = 0;
export const DICT_KEYS_GENERAL = 1;
export const DICT_BASIC_SIZE = 16;

/** Creates an empty, untracked dict (refcount 1). */
export function newDict(h: ObjectHeap): number {
  gcLinkPooled(h, FREELIST_DICT);
  const o = allocGcObject(h, DICT_BASIC_SIZE, Kind.Dict);
  write32(h, o + DICT_TABLE, 0);
  write32(h, o + DICT_KEYS_KIND, DICT_KEYS_STR);
  return o;
}

export function dictTable(h: ObjectHeap, o: number): number {
  return read32(h, o + DICT_TABLE);
}
export function setDictTable(h: ObjectHeap, o: number, t: number): void {
  write32(h, o + DICT_TABLE, t);
}
export function dictSize(h: ObjectHeap, o: number): number {
  const t = read32(h, o + DICT_TABLE);
  return t === 0 ? 0 : tableUsed(h, t);
}
