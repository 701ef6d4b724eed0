/**
 * str: an immutable string of UTF-16 code units (not a container, so no GC head).
 *
 *   >obj +0  [refcnt]  +4 [type]  +8 [length in code units]  +12 [hash]  +16 code units…
 */
import { equalUtf16, read16, read32, readUtf16, write32, writeUtf16 } from "../memory/index.js";
import { HeapTypeError } from "../util/index.js";
import { allocObject } from "./alloc.js";
import { checkKind } from "./check.js";
import type { ObjectHeap } from "./heap.js";
import { Kind } from "./kinds.js";

export const STR_LENGTH = 8;
export const STR_HASH = 12;
export const STR_DATA = 16;

/** FNV-1a over the code units; any fixed hash will do, as CPython's values are not observable here. */
export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Creates a str object (refcount 1). */
export function newStr(h: ObjectHeap, s: string): number {
  if (h.checked && typeof s !== "string") {
    throw new HeapTypeError(`newStr: expected a string; got a ${typeof s}`);
  }
  const o = allocObject(h, STR_DATA + 2 * s.length, Kind.Str);
  write32(h, o + STR_LENGTH, s.length);
  write32(h, o + STR_HASH, hashString(s));
  writeUtf16(h, o + STR_DATA, s);
  return o;
}

export function strHash(h: ObjectHeap, o: number): number {
  return read32(h, o + STR_HASH);
}
/** The str's contents as a JS string. */
export function strValue(h: ObjectHeap, o: number): string {
  if (h.checked) checkKind(h, o, Kind.Str, "a str", "strValue");
  return readUtf16(h, o + STR_DATA, read32(h, o + STR_LENGTH));
}
/** Content equality of two str objects. */
export function strEquals(h: ObjectHeap, a: number, b: number): boolean {
  if (a === b) return true;
  const n = read32(h, a + STR_LENGTH);
  return (
    n === read32(h, b + STR_LENGTH) &&
    read32(h, a + STR_HASH) === read32(h, b + STR_HASH) &&
    equalUtf16(h, a + STR_DATA, b + STR_DATA, n)
  );
}
/** True if str object `o` holds exactly the code units of `s` (a lookup by a JS string, with no str made). */
export function strEqualsString(h: ObjectHeap, o: number, s: string, hash: number): boolean {
  const n = s.length;
  if (read32(h, o + STR_LENGTH) !== n || read32(h, o + STR_HASH) !== hash) return false;
  for (let i = 0; i < n; i++) if (read16(h, o + STR_DATA + 2 * i) !== s.charCodeAt(i)) return false;
  return true;
}
