/**
 * Branded numbers. An address is a byte offset into the heap's ArrayBuffer; 0 is NULL and never
 * an object. The brands cost nothing at run time and keep a byte count from being passed where
 * an object is expected.
 */

/** A byte offset into the heap (any block, header or field). */
export type Addr = number & { readonly __brand?: "Addr" };
/** The address of a live object (its refcount word). Never 0: nullable is `Obj | 0`. */
export type Obj = Addr & { readonly __obj?: true };
/** The NULL address. */
export const NULL = 0 as Addr;

/** Formats an address as CPython's `%p` does (lowercase hex with 0x). */
export function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}
