/**
 * Per-class hot paths, generated when a class is defined: newInstance's fast path for one class,
 * with the class's size class, type id, field layout and type object written into the code as
 * literals. The word offsets come from the same layout constants as the build-time generated
 * paths (scripts/gen-hot.ts; docs/layout.md draws them); the class's numbers come from its
 * TypeInfo. V8 compiles each class's function on its own, so a loop that makes instances of one
 * class inlines a small flat function with nothing left to look up per object
 * (docs/decisions.md §34).
 *
 * test/object/hot-paths.test.ts runs random programs on a heap served by these functions and on
 * one served by the general path, and requires the two heaps to be the same word for word.
 */
import { POOL_COUNT, POOL_FREEBLOCK } from "../memory/index.js";
import { compileOrNull, wordAt } from "../util/index.js";
import {
  GC_HEAD_SIZE,
  GC_NEXT,
  GC_PREV,
  OB_HEAD_SIZE,
  OB_REFCNT,
  OB_TYPE,
  PREV_MASK,
  REUSE_TAG_SHIFT,
} from "./header.js";
import { GEN0_HEAD, type ObjectHeap } from "./heap.js";
import { FieldKind, type TypeInfo } from "./types.js";
import { REF_TAG, SLOT_SIZE, SLOT_TAG } from "./value.js";

/**
 * One class's newInstance fast path: the new instance's address, or 0, having changed nothing,
 * when the general path must serve the request (a collection is due, the size class has no used
 * pool or its pool would become full, the class was freed, or the heap has no generated code).
 */
export type InstanceAllocator = (h: ObjectHeap) => number;

/** The allocator of a type without a fast path: the general path serves every request. */
export const declineAllocator: InstanceAllocator = () => 0;

/** What the generated code calls: the pool's slow step and the trace event. */
interface AllocatorHelpers {
  /** carveNextBlock (instance.ts): the pool's next never-used block, or false. */
  readonly carve: (h: ObjectHeap, pool: number, c: number) => boolean;
  /** The trace event malloc sends for a new block of type `t`. */
  readonly traceAlloc: (h: ObjectHeap, bp: number, t: number) => void;
}

/**
 * The source of class `info`'s allocator, for a heap whose type object for it is at `typeObject`
 * and whose pymalloc size class for it is `sizeClass`. The steps and their order are newInstance's
 * general path's (malloc's usedpools fast path and trace event, the header, the words between the
 * header and the fields, the fields NULL or 0, the shared-keys budget of a dynamic class, the type
 * reference, the generation-0 link); only the words the general path writes are written.
 */
export function allocatorSource(info: TypeInfo, sizeClass: number, typeObject: number): string {
  const t = info.id;
  const lines: string[] = [];
  // The words between the header and the first field: attribute table and weakref list (or a
  // user kind's item count, weakref list and data words), 0.
  for (let b = OB_HEAD_SIZE; b < info.fieldsOffset; b += 4) lines.push(`  i32[${wordAt("ow", b)}] = 0;`);
  if (info.fieldsOffset !== OB_HEAD_SIZE) {
    // init_inline_values: many instances predict few names (0 for classes without shared keys).
    lines.push(
      `  const usable = h.typeSharedUsable[${t}];`,
      `  if (usable > 1) h.typeSharedUsable[${t}] = usable - 1;`,
    );
  }
  info.fields.forEach((f, i) => {
    const p = info.fieldsOffset + SLOT_SIZE * i;
    const number = f.kind === FieldKind.Number || f.kind === FieldKind.Host;
    // A reference field starts NULL; a number or host field 0.0 (both words 0).
    lines.push(
      `  i32[${wordAt("ow", p)}] = 0;`,
      `  i32[${wordAt("ow", p + SLOT_TAG)}] = ${number ? 0 : REF_TAG};`,
    );
  });
  const tw = typeObject >> 2;
  const g0prev = wordAt(String(GEN0_HEAD >> 2), GC_PREV - GC_NEXT);
  return `"use strict";
return function newInstance_${t}(h) {
  if (h.gcCount0 >= h.gcAutoAbove) return 0;
  const pool = h.usedPools[${sizeClass}];
  if (pool === 0) return 0;
  let i32 = h.i32;
  const pw = pool >> 2;
  const bp = i32[${wordAt("pw", POOL_FREEBLOCK)}];
  const next = i32[bp >> 2];
  if (next !== 0) i32[${wordAt("pw", POOL_FREEBLOCK)}] = next;
  else if (!carve(h, pool, ${sizeClass})) return 0;
  i32[${wordAt("pw", POOL_COUNT)}] = i32[${wordAt("pw", POOL_COUNT)}] + 1;
  h.gcCount0++;
  if (h.trace !== null) {
    traceAlloc(h, bp, ${t});
    i32 = h.i32;
  }
  const ow = (bp + ${GC_HEAD_SIZE}) >> 2;
  i32[${wordAt("ow", OB_REFCNT)}] = 1;
  const tag = (h.reuseCounter + 1) & 0xffff;
  h.reuseCounter = tag;
  i32[${wordAt("ow", OB_TYPE)}] = ${t} | (tag << ${REUSE_TAG_SHIFT});
${lines.join("\n")}
  i32[${wordAt(String(tw), OB_REFCNT)}] = i32[${wordAt(String(tw), OB_REFCNT)}] + 1;
  const last = i32[${g0prev}] & ${PREV_MASK};
  i32[last >> 2] = bp;
  const bw = bp >> 2;
  i32[${wordAt("bw", GC_PREV - GC_NEXT)}] = last;
  i32[bw] = ${GEN0_HEAD};
  i32[${g0prev}] = bp;
  return bp + ${GC_HEAD_SIZE};
};`;
}

/**
 * Class `info`'s allocator, compiled from allocatorSource; declineAllocator when pymalloc does
 * not serve its size or code cannot be compiled here (then the general path serves it, slower).
 */
export function instanceAllocator(
  h: ObjectHeap,
  info: TypeInfo,
  helpers: AllocatorHelpers,
): InstanceAllocator {
  const sizeClass = h.typeSizeClass[info.id]!;
  if (!(sizeClass >= 0)) return declineAllocator;
  const make = compileOrNull(
    ["carve", "traceAlloc"],
    allocatorSource(info, sizeClass, h.typeObject[info.id]!),
  );
  if (make === null) return declineAllocator;
  return make(helpers.carve, helpers.traceAlloc) as InstanceAllocator;
}
