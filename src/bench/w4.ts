/**
 * W4: bytes per object — a one-field instance, a plain instance with three attributes, and a
 * list's storage per item — from refheap's allocator accounting (checked and unchecked engines),
 * from V8's heap statistics for the same shapes as plain JavaScript objects, and from CPython's
 * tracemalloc (bench/python/w4.py).
 *
 * refheap's figures are exact and deterministic: the bytes of the blocks the allocator handed out
 * while the objects were made (so they include each block's rounding to its size class). V8's are
 * the growth of its used heap across forced collections, in a child process with --expose-gc.
 */
import {
  decref,
  Engine,
  gc,
  listAppend,
  NONE,
  newInstance,
  newList,
  newStr,
  setAttr,
  stats,
} from "../core.js";

export const W4_CHILD_ID = "w4-v8";
export const W4_N = 100_000;

/** The shapes, in table order, named as bench/python/w4.py names them. */
export const W4_SHAPES = [
  "one-field instance",
  "plain instance, 3 attributes",
  "list storage, per item",
] as const;
export type W4Shape = (typeof W4_SHAPES)[number];

// --- refheap: the allocator's own accounting -------------------------------------------------

/** Bytes in blocks handed out: small blocks (their size class's size) and large blocks. */
function allocatedBytes(h: Engine): number {
  const s = stats(h);
  return s.bytesInAllocatedBlocks + s.large.bytesInUse;
}

/**
 * Bytes per object of `shape` on a fresh engine: the growth of the allocated bytes while n of
 * them are made (the class and the attribute names are made before the count starts). Frees
 * everything afterwards and checks the allocator is back where it started.
 */
export function refheapBytesPerObject(shape: W4Shape, checked: boolean, n = W4_N): number {
  const h = new Engine({ checked });
  gc.disable(h);
  const owned: number[] = [];
  let bytes: number;
  /** What the engine holds before the objects (and the names) are made: the class, if any. */
  let base = allocatedBytes(h);
  if (shape === "list storage, per item") {
    const before = allocatedBytes(h);
    const l = newList(h);
    for (let i = 0; i < n; i++) listAppend(h, l, NONE, true);
    bytes = allocatedBytes(h) - before;
    owned.push(l);
  } else if (shape === "one-field instance") {
    const t = h.defineClass({ name: "Slots", fields: [{ name: "other", kind: "ref" }] }).id;
    base = allocatedBytes(h);
    const before = allocatedBytes(h);
    for (let i = 0; i < n; i++) owned.push(newInstance(h, t));
    bytes = allocatedBytes(h) - before;
  } else {
    const t = h.defineClass({ name: "Plain", dynamic: true }).id;
    base = allocatedBytes(h);
    const names = ["a", "b", "c"].map((s) => newStr(h, s));
    const before = allocatedBytes(h);
    for (let i = 0; i < n; i++) {
      const o = newInstance(h, t);
      for (const name of names) setAttr(h, o, name, NONE, true);
      owned.push(o);
    }
    bytes = allocatedBytes(h) - before;
    owned.push(...names);
  }
  for (const o of owned) decref(h, o);
  // The class's shared keys keep the three names (and their table), as a CPython type does.
  const left = allocatedBytes(h) - base;
  if (left !== 0 && shape !== "plain instance, 3 attributes") {
    throw new Error(`W4 ${shape}: ${left} bytes still allocated after freeing everything`);
  }
  return bytes / n;
}

// --- V8: the same shapes as plain objects (child process) -------------------------------------

class OneField {
  other: object | null = null;
}

class Plain {
  a: null;
  b: null;
  c: null;
  constructor() {
    this.a = null;
    this.b = null;
    this.c = null;
  }
}

/** V8's used heap after two forced collections (needs --expose-gc). */
function usedHeap(): number {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error("the W4 child needs node --expose-gc");
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

export function v8BytesPerObject(shape: W4Shape, n = W4_N): number {
  const keep: unknown[] = new Array(n).fill(null); // allocated before the count starts
  const before = usedHeap();
  if (shape === "list storage, per item") {
    const a: null[] = [];
    for (let i = 0; i < n; i++) a.push(null);
    keep[0] = a;
  } else if (shape === "one-field instance") {
    for (let i = 0; i < n; i++) keep[i] = new OneField();
  } else {
    for (let i = 0; i < n; i++) keep[i] = new Plain();
  }
  const bytes = usedHeap() - before;
  if (keep.length !== n) throw new Error("unreachable"); // keeps `keep` alive past the measurement
  return bytes / n;
}
