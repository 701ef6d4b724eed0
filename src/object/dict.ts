/**
 * dict: an insertion-ordered mapping. Created untracked, as in CPython; it becomes tracked when a
 * key or value that may be tracked is stored (MAINTAIN_TRACKING).
 *
 *   -8 [gc_next] -4 [gc_prev]  >obj +0 [refcnt] +4 [type] +8 [table or 0] +12 [keys kind]
 *
 * The keys-kind word (CPython's dk_kind, and for a split dict whose shared keys it uses):
 *
 *        bits 31      24 23                        8 7             0
 *            ┌──────────┬───────────────────────────┬───────────────┐
 *        +12 │ 0        │ class id (split only)     │ kind          │
 *            └──────────┴───────────────────────────┴───────────────┘
 *
 *   | kind | name    | meaning                                                                |
 *   |------|---------|------------------------------------------------------------------------|
 *   | 0    | str     | every key stored since creation or the last clear was a str            |
 *   | 1    | general | some other key was stored; traverse visits keys as well as values      |
 *   | 2    | split   | the attributes of an instance of class `class id`, materialised by a   |
 *   |      |         | name that did not fit its shared keys (sharedkeys.ts, instance.ts) and |
 *   |      |         | not yet given a name outside them: every key is a shared name, each    |
 *   |      |         | entry records its shared-key index, and traverse, clear and dealloc go |
 *   |      |         | in shared-key order. Storing a key the class does not share makes it   |
 *   |      |         | str (or general); clear makes it str.                                  |
 *
 * Only general tables report their keys to traverse (CPython's unicode and split tables visit
 * values only), which decides gc.get_referents output.
 */
import { read32, write32 } from "../memory/index.js";
import { allocGcObject, gcLinkPooled } from "./alloc.js";
import { DICT_TABLE, tableUsed } from "./dicttable.js";
import { FREELIST_DICT, type ObjectHeap } from "./heap.js";
import { DICT_BASIC_SIZE, Kind } from "./kinds.js";

/** The table word (defined beside the table code, which reads it in lookups). */
export { DICT_TABLE };
export const DICT_KEYS_KIND = 12;
export const DICT_KEYS_STR = 0;
export const DICT_KEYS_GENERAL = 1;
export const DICT_KEYS_SPLIT = 2;
/** The kind bits of the keys-kind word. */
export const DICT_KEYS_KIND_MASK = 0xff;
/** The keys-kind word of a split dict holding the attributes of an instance of class `id`. */
export function splitKeysKind(id: number): number {
  return DICT_KEYS_SPLIT | (id << 8);
}
/** The class whose shared keys a split dict's keys-kind word `w` names. */
export function splitKeysClass(w: number): number {
  return w >>> 8;
}
export { DICT_BASIC_SIZE } from "./kinds.js";

/** Creates an empty, untracked dict (refcount 1). */
export function newDict(h: ObjectHeap): number {
  const link = gcLinkPooled(h, FREELIST_DICT);
  const o = allocGcObject(h, DICT_BASIC_SIZE, Kind.Dict, FREELIST_DICT, link);
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
/** len(dict) */
export function dictSize(h: ObjectHeap, o: number): number {
  const t = read32(h, o + DICT_TABLE);
  return t === 0 ? 0 : tableUsed(h, t);
}
