/**
 * Checked-mode validation of object addresses. Unchecked heaps never call these (every call site
 * is guarded by `h.checked`), so they cost nothing there.
 */
import { BlockState, blockStateAt, CHUNK_SIZE } from "../memory/index.js";
import { ErrorCode, HeapAccessError, HeapTypeError, HeapValueError, hex } from "../util/index.js";
import { refcnt, typeIdOf } from "./header.js";
import { isStaticObject, type ObjectHeap } from "./heap.js";
import type { Kind } from "./kinds.js";
import { typeInfo } from "./types.js";

/** Throws unless `o` is the address of a live object of this heap. */
export function checkObject(h: ObjectHeap, o: number, op: string): void {
  if (typeof o !== "number" || !Number.isInteger(o)) {
    throw new HeapAccessError(ErrorCode.InvalidAddress, `${op}: ${String(o)} is not an object address`);
  }
  if (o > 0 && o < CHUNK_SIZE && isStaticObject(o)) return;
  const state = blockStateAt(h, o & ~15);
  if (((o & 15) === 8 && state === BlockState.GcObject) || ((o & 15) === 0 && state === BlockState.Object))
    return;
  if (state === BlockState.Freed && ((o & 15) === 0 || (o & 15) === 8)) {
    throw new HeapAccessError(
      ErrorCode.UseAfterFree,
      `${op} of the object at ${hex(o)}, which was freed when its reference count reached 0 ` +
        "(use after free). Hold a reference (incref) for as long as you use an object.",
    );
  }
  if (o === 0) {
    throw new HeapAccessError(ErrorCode.InvalidAddress, `${op} of NULL (address 0): expected an object`);
  }
  throw new HeapAccessError(
    ErrorCode.InvalidAddress,
    `${op} of ${hex(o)}, which is not the address of an object in this heap`,
  );
}

/** Throws unless `o` is a live object of the given kind. */
export function checkKind(h: ObjectHeap, o: number, kind: Kind, expected: string, op: string): void {
  checkObject(h, o, op);
  if (h.typeKind[typeIdOf(h, o)] !== kind) {
    throw new HeapTypeError(`${op} expects ${expected}, got ${describe(h, o)}`);
  }
}

/** Checked heaps: a size or count argument must be an integer in 0..2^28 (INVALID_ARGUMENT). */
export function checkCount(n: unknown, op: string, what: string): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_COUNT) {
    throw new HeapValueError(
      `${op}: the ${what} must be an integer from 0 to ${MAX_COUNT}; got ${String(n)}`,
    );
  }
}
/** No container in a 2 GiB heap of 8-byte slots can hold more items than this. */
const MAX_COUNT = 2 ** 28;

/** "'list' object at 0x…" */
export function describe(h: ObjectHeap, o: number): string {
  return `'${typeInfo(h, typeIdOf(h, o)).name}' object at ${hex(o)}`;
}

/** Throws if a decref would take `o`'s count below zero (it is already being deallocated). */
export function checkDecref(h: ObjectHeap, o: number): void {
  checkObject(h, o, "decref");
  if (refcnt(h, o) <= 0) {
    throw new HeapAccessError(
      ErrorCode.RefcountUnderflow,
      `decref of ${describe(h, o)} whose reference count is already ${refcnt(h, o)}: ` +
        "more references were released than were held (a double release).",
    );
  }
}
