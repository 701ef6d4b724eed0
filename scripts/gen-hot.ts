/**
 * Writes refheap's flat hot paths from the layout constants: the word offsets of the pool header
 * (src/memory/pymalloc.ts), the object header and GC head (src/object/header.ts), value slots
 * (src/object/value.ts), list and tuple (src/object/list.ts, tuple.ts) and the allocator's size
 * classes (src/memory/constants.ts), which docs/layout.md draws. The collector's passes are in
 * scripts/hot-collector.ts. Each hot path is a region of a hand-written file, between
 *
 *   // #region generated: NAME (scripts/gen-hot.ts; edit the generator, then `npm run gen`)
 *   // #endregion generated: NAME
 *
 * and reads and writes the heap's Int32Array directly, with every offset a literal computed here
 * from those constants, so that V8 sees one flat function per path (see docs/performance.md, "The
 * generated hot paths"). The general path beside each region is the reference it must match;
 * test/object/hot-paths.test.ts runs both on random programs and compares the heaps byte for byte.
 *
 *   npx tsx scripts/gen-hot.ts           rewrite the regions
 *   npx tsx scripts/gen-hot.ts --check   exit 1 if a region differs from what would be written
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ALIGNMENT_SHIFT } from "../src/memory/constants.js";
import { POOL_COUNT, POOL_FREEBLOCK, POOL_MAXNEXTOFFSET, POOL_NEXTOFFSET } from "../src/memory/pymalloc.js";
import {
  DICT_TABLE,
  E_HASH,
  E_KEY,
  E_VALUE,
  ENTRY_SIZE,
  T_INDICES,
  T_SIZE,
} from "../src/object/dicttable.js";
import {
  GC_HEAD_SIZE,
  GC_NEXT,
  GC_PREV,
  OB_REFCNT,
  OB_TYPE,
  PREV_MASK,
  REUSE_TAG_SHIFT,
} from "../src/object/header.js";
import { GEN0_HEAD } from "../src/object/heap.js";
import { Kind, WEAKREF_SIZE } from "../src/object/kinds.js";
import { LIST_ALLOCATED, LIST_ITEMS, LIST_SIZE } from "../src/object/list.js";
import { STR_DATA, STR_HASH, STR_LENGTH } from "../src/object/str.js";
import { REF_TAG, SLOT_SIZE, SLOT_TAG } from "../src/object/value.js";
import { WR_CALLBACK, WR_HASH, WR_NEXT, WR_OBJECT, WR_PREV } from "../src/object/weakref.js";
import { decrefWordsSource, uncountAndFreeSource, untrackSource } from "../src/refcount/specialize.js";
import { collectorPasses, legacyFinalizers } from "./hot-collector.js";
import { w } from "./hot-words.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface Region {
  readonly file: string;
  readonly name: string;
  readonly code: string;
}

const carveNextBlock = `
/**
 * The pool's free list ran dry (extendPool): hand out its next never-used block, or return false,
 * changing nothing, when the pool would become full (the general path then retires it).
 */
export function carveNextBlock(h: ObjectHeap, pool: number, c: number): boolean {
  const i32 = h.i32;
  const pw = pool >> 2;
  const off = i32[pw${w(POOL_NEXTOFFSET)}]!;
  if (off > i32[pw${w(POOL_MAXNEXTOFFSET)}]!) return false;
  const fb = pool + off;
  i32[pw${w(POOL_FREEBLOCK)}] = fb;
  i32[pw${w(POOL_NEXTOFFSET)}] = off + ((c + 1) << ${ALIGNMENT_SHIFT});
  i32[fb >> 2] = 0;
  return true;
}

/** The trace event malloc sends for the block. */
function traceAlloc(h: ObjectHeap, bp: number, t: number): void {
  h.trace!({ kind: "alloc", addr: bp, size: h.typeAllocSize[t]! });
}
`;

/** The end of a deallocation (free and uncount), as the per-class deallocators end. */
const UNCOUNT_AND_FREE = uncountAndFreeSource("!");

const deallocInstanceHelpers = `
/**
 * gcUntrack over the words, for the weakref fast path (through the accessors it cost the path V8's
 * inlining budget); the same steps as the classes' deallocators (src/refcount/specialize.ts).
 */
function untrackWords(i32: Int32Array, gw: number): void {
  const next = i32[gw]!;
${untrackSource("!")}
}

/** The trace event free sends for the block. */
function traceFree(h: RefcountHeap, g: number): void {
  h.trace!({ kind: "free", addr: g, size: 0 });
}
`;

/** The size class of a weakref's block (GC head and object), as malloc computes it. */
const WEAKREF_CLASS = (GC_HEAD_SIZE + WEAKREF_SIZE - 1) >> ALIGNMENT_SHIFT;

/**
 * newRef's fast paths: one for a weakref with a JS callback (after o's basic ref and basic proxy,
 * as insertAfterBasic puts it), one for a new basic ref (at the head, as weakrefInsertHead puts
 * it). Two functions, not one with a nullable callback: sharing one cost the callback path about
 * 15 ns per weakref death in W3 (V8's inlining of the larger function).
 */
function refFast(basic: boolean): string {
  const name = basic ? "newBasicRefFast" : "newRefFast";
  const what = basic
    ? "`weakref.ref(o)` making a new basic ref (o has none to share)"
    : "`weakref.ref(o, callback)`, the callback a JS function";
  const callbackWord = basic ? "0" : "addWeakrefCallback(h, callback)";
  const place = basic
    ? `  // weakrefInsertHead: the basic ref goes first.
  const wl = (o + wlo) >> 2;
  const head = i32[wl]!;
  const wr = bp + ${GC_HEAD_SIZE};
  i32[rw${w(WR_PREV)}] = 0;
  i32[rw${w(WR_NEXT)}] = head;
  if (head !== 0) i32[(head >> 2)${w(WR_PREV)}] = wr;
  i32[wl] = wr;
  return wr;`
    : `  // insertAfterBasic: after o's basic ref (an exact ref without callback, at the head) and its
  // basic proxy (a proxy without callback, next), else at the head.
  const wl = (o + wlo) >> 2;
  const head = i32[wl]!;
  let prev = 0;
  let p = head;
  if (p !== 0 && (i32[(p >> 2)${w(OB_TYPE)}]! & 0xffff) === ${Kind.Weakref} && i32[(p >> 2)${w(WR_CALLBACK)}] === 0) {
    prev = p;
    p = i32[(p >> 2)${w(WR_NEXT)}]!;
  }
  if (p !== 0 && (i32[(p >> 2)${w(OB_TYPE)}]! & 0xffff) === ${Kind.WeakProxy} && i32[(p >> 2)${w(WR_CALLBACK)}] === 0) prev = p;
  const wr = bp + ${GC_HEAD_SIZE};
  if (prev === 0) {
    i32[rw${w(WR_PREV)}] = 0;
    i32[rw${w(WR_NEXT)}] = head;
    if (head !== 0) i32[(head >> 2)${w(WR_PREV)}] = wr;
    i32[wl] = wr;
  } else {
    const after = i32[(prev >> 2)${w(WR_NEXT)}]!;
    i32[rw${w(WR_PREV)}] = prev;
    i32[rw${w(WR_NEXT)}] = after;
    if (after !== 0) i32[(after >> 2)${w(WR_PREV)}] = wr;
    i32[(prev >> 2)${w(WR_NEXT)}] = wr;
  }
  return wr;`;
  return `
/**
 * newRef's fast path (unchecked heaps) for ${what}.
 * It does gcLink's count, pymalloc's usedpools fast path for the weakref's block (with the trace
 * event where malloc sends it), the header, wr_object, ${basic ? "no callback" : "the callback's table entry"}, prev, next and
 * hash, the generation-0 link, and its place in o's weak list, in the general path's order, flat
 * over the heap's words. Returns 0, having changed nothing, when the general path must serve the
 * request: o does not support weak references, a collection is due, or the size class has no used
 * pool or its pool would become full.
 */
export function ${name}(h: ObjectHeap, o: number${basic ? "" : ", callback: WeakrefCallback"}): number {
  let i32 = h.i32;
  const ow = o >> 2;
  const wlo = h.typeWeaklistOffset[i32[ow${w(OB_TYPE)}]! & 0xffff]!;
  if (wlo < 0 || h.gcCount0 >= h.gcAutoAbove) return 0;
  const pool = h.usedPools[${WEAKREF_CLASS}]!;
  if (pool === 0) return 0;
  const pw = pool >> 2;
  const bp = i32[pw${w(POOL_FREEBLOCK)}]!;
  const next = i32[bp >> 2]!;
  if (next !== 0) i32[pw${w(POOL_FREEBLOCK)}] = next;
  else if (!carveNextBlock(h, pool, ${WEAKREF_CLASS})) return 0;
  i32[pw${w(POOL_COUNT)}] = i32[pw${w(POOL_COUNT)}]! + 1;
  h.gcCount0++;
  if (h.trace !== null) {
    h.trace({ kind: "alloc", addr: bp, size: ${GC_HEAD_SIZE + WEAKREF_SIZE} });
    i32 = h.i32;
  }
  const rw = (bp + ${GC_HEAD_SIZE}) >> 2;
  i32[rw${w(OB_REFCNT)}] = 1;
  const tag = (h.reuseCounter + 1) & 0xffff;
  h.reuseCounter = tag;
  i32[rw${w(OB_TYPE)}] = ${Kind.Weakref} | (tag << ${REUSE_TAG_SHIFT});
  i32[rw${w(WR_OBJECT)}] = o;
  i32[rw${w(WR_CALLBACK)}] = ${callbackWord};
  i32[rw${w(WR_HASH)}] = -1;
  i32[rw${w(WR_HASH + 4)}] = 0;
  const last = i32[${GEN0_HEAD / 4}${w(GC_PREV - GC_NEXT)}]! & ${PREV_MASK};
  i32[last >> 2] = bp;
  i32[(bp >> 2)${w(GC_PREV - GC_NEXT)}] = last;
  i32[bp >> 2] = ${GEN0_HEAD};
  i32[${GEN0_HEAD / 4}${w(GC_PREV - GC_NEXT)}] = bp;
${place}
}
`;
}

const newRefFast = refFast(false) + refFast(true);

const deallocWeakrefFast = `
/**
 * deallocWeakref's fast path, for an exact weakref.ref (type id Kind.Weakref) on an unchecked heap
 * whose callback, if any, is a JS function: untrack it, clear it (off its referent's weak list),
 * drop its callback's entry in the heap's table, uncount it and free its block (free's trace
 * event, pymalloc's fast path; freeSmall for a pool that was full or becomes empty), in the general
 * path's order, flat over the heap's words. Returns false, having changed nothing, for a heap
 * object as callback (its release can run code: the general path does it).
 */
function deallocWeakrefFast(h: RefcountHeap, o: number): boolean {
  let i32 = h.i32;
  const ow = o >> 2;
  const cb = i32[ow${w(WR_CALLBACK)}]!;
  if (cb < 0) return false;
  const g = o - ${GC_HEAD_SIZE};
  const gw = g >> 2;
  if (i32[gw] !== 0) untrackWords(i32, gw);
  const ref = i32[ow${w(WR_OBJECT)}]!;
  if (ref !== 0) {
    const prev = i32[ow${w(WR_PREV)}]!;
    const next = i32[ow${w(WR_NEXT)}]!;
    if (prev !== 0) {
      i32[(prev >> 2)${w(WR_NEXT)}] = next;
    } else {
      const wl = h.typeWeaklistOffset[i32[(ref >> 2)${w(OB_TYPE)}]! & 0xffff]!;
      if (wl >= 0 && i32[(ref + wl) >> 2] === o) i32[(ref + wl) >> 2] = next;
    }
    if (next !== 0) i32[(next >> 2)${w(WR_PREV)}] = prev;
    i32[ow${w(WR_OBJECT)}] = 0;
    i32[ow${w(WR_PREV)}] = 0;
    i32[ow${w(WR_NEXT)}] = 0;
  }
  if (cb !== 0) {
    h.weakrefCallbacks[cb] = undefined;
    h.weakrefCallbackFree.push(cb);
    i32[ow${w(WR_CALLBACK)}] = 0;
  }
${UNCOUNT_AND_FREE}
  return true;
}
`;

const dictLookupStringFast = `
/**
 * dictGetSlotString's path on unchecked heaps: tableLookupString over dict d's table, flat over
 * the heap's words (a str key's code units read from the Uint16Array). The address of the value
 * slot of str key s, or 0 when it is absent. Reads only; allocates nothing.
 */
export function dictLookupStringFast(h: ObjectHeap, d: number, s: string): number {
  const i32 = h.i32;
  const t = i32[(d >> 2)${w(DICT_TABLE)}]!;
  if (t === 0) return 0;
  const hash = hashString(s);
  const n = s.length;
  const tw = t >> 2;
  const mask = i32[tw${w(T_SIZE)}]! - 1;
  const ew0 = tw${w(T_INDICES)} + mask + 1;
  let perturb = hash >>> 0;
  let i = perturb & mask;
  for (;;) {
    const ix = i32[tw${w(T_INDICES)} + i]!;
    if (ix === -1) return 0;
    if (ix >= 0) {
      const ew = ew0 + ${ENTRY_SIZE / 4} * ix;
      if (i32[ew${w(E_HASH)}] === hash && i32[ew${w(E_KEY + SLOT_TAG)}] === ${REF_TAG}) {
        const k = i32[ew${w(E_KEY)}]!;
        const kw = k >> 2;
        if (
          k !== 0 &&
          h.typeKind[i32[kw${w(OB_TYPE)}]! & 0xffff] === ${Kind.Str} &&
          i32[kw${w(STR_LENGTH)}] === n &&
          i32[kw${w(STR_HASH)}] === hash
        ) {
          const u16 = h.u16;
          const c = (k + ${STR_DATA}) >> 1;
          let j = 0;
          while (j < n && u16[c + j] === s.charCodeAt(j)) j++;
          if (j === n) return (ew << 2) + ${E_VALUE};
        }
      }
    }
    perturb >>>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}
`;

const listAppendFast = `
/**
 * listAppendSteal's path on unchecked heaps when the list has room (listResize without its
 * realloc): the size, then the item, over the list's words. Returns false, having changed nothing,
 * when list_resize would reallocate (the general path grows or shrinks the items).
 *
 * Word indexes, not byte addresses shifted at each access: in V8 an access at \`(a + 8) >> 2\` costs
 * measurably more than one at \`(a >> 2) + 2\` (W1's append: about 12 ns per item through the
 * accessors, 7 over the words; docs/performance.md, "Word indexes in the hot paths").
 */
export function listAppendStealFast(h: ObjectHeap, l: number, o: number): boolean {
  const i32 = h.i32;
  const lw = l >> 2;
  const n = i32[lw${w(LIST_SIZE)}]!;
  const allocated = i32[lw${w(LIST_ALLOCATED)}]!;
  const size = n + 1;
  if (!(allocated >= size && size >= allocated >> 1)) return false;
  i32[lw${w(LIST_SIZE)}] = size;
  const sw = (i32[lw${w(LIST_ITEMS)}]! >> 2) + ${SLOT_SIZE / 4} * n;
  i32[sw] = o;
  i32[sw${w(SLOT_TAG)}] = ${REF_TAG};
  return true;
}

/** listAppend's path for a reference on unchecked heaps: listAppendStealFast, then a new reference to \`v\`. */
export function listAppendRefFast(h: ObjectHeap, l: number, v: number): boolean {
  if (!listAppendStealFast(h, l, v)) return false;
  const i32 = h.i32;
  const vw = v >> 2;
  i32[vw${w(OB_REFCNT)}] = i32[vw${w(OB_REFCNT)}]! + 1;
  return true;
}
`;

const releaseItemsFast = `
/**
 * The item loop of deallocList and deallocTuple on unchecked heaps: releases the \`n\` slots from
 * word \`first\` on, last to first, as decrefFast does for each reference (decrefWordsSource: an
 * instance whose count reaches 0 goes to its class's generated deallocator, anything else to
 * dealloc), over the words.
 * A release can run user code (a finalizer, a weakref callback) that grows the heap, so the view
 * is read again for every item; the dead container's words do not move.
 */
function releaseItemsFast(h: RefcountHeap, first: number, n: number): void {
  for (let sw = first + ${SLOT_SIZE / 4} * (n - 1); sw >= first; sw -= ${SLOT_SIZE / 4}) {
    const i32 = h.i32;
    if (i32[sw${w(SLOT_TAG)}] !== ${REF_TAG}) continue;
    const v = i32[sw]!;
    if (v === 0) continue;
    ${decrefWordsSource("!")}
  }
}
`;

const REGIONS: readonly Region[] = [
  { file: "src/object/dicttable.ts", name: "dictLookupStringFast", code: dictLookupStringFast },
  { file: "src/object/instance.ts", name: "carveNextBlock", code: carveNextBlock },
  { file: "src/object/list.ts", name: "listAppendFast", code: listAppendFast },
  { file: "src/refcount/refcount.ts", name: "releaseItemsFast", code: releaseItemsFast },
  {
    file: "src/refcount/refcount.ts",
    name: "deallocHelpers",
    code: deallocInstanceHelpers,
  },
  { file: "src/weakref/create.ts", name: "newRefFast", code: newRefFast },
  { file: "src/refcount/refcount.ts", name: "deallocWeakrefFast", code: deallocWeakrefFast },
  { file: "src/gc/deduce.ts", name: "collectorPasses", code: collectorPasses },
  { file: "src/gc/destroy.ts", name: "legacyFinalizers", code: legacyFinalizers },
];

function begin(name: string): string {
  return `// #region generated: ${name} (scripts/gen-hot.ts; edit the generator, then \`npm run gen\`)`;
}
function end(name: string): string {
  return `// #endregion generated: ${name}`;
}

/** `text` with each region's body replaced, formatted as Biome formats the file. */
function render(file: string, text: string): string {
  for (const r of REGIONS.filter((x) => x.file === file)) {
    const a = text.indexOf(begin(r.name));
    const b = text.indexOf(end(r.name));
    if (a < 0 || b < a) throw new Error(`${file}: no region "${r.name}" (add the two marker lines)`);
    text = `${text.slice(0, a + begin(r.name).length)}\n${r.code.trim()}\n${text.slice(b)}`;
  }
  const biome = path.join(ROOT, "node_modules", ".bin", "biome");
  const out = spawnSync(biome, ["format", `--stdin-file-path=${file}`], { input: text, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`biome could not format ${file}:\n${out.stderr}`);
  return out.stdout;
}

const check = process.argv.includes("--check");
let stale = 0;
for (const file of [...new Set(REGIONS.map((r) => r.file))]) {
  const full = path.join(ROOT, file);
  const now = readFileSync(full, "utf8");
  const want = render(file, now);
  if (want === now) continue;
  if (check) {
    console.error(`${file}: generated code is out of date (run \`npm run gen\`)`);
    stale++;
  } else {
    writeFileSync(full, want);
    console.log(`wrote ${file}`);
  }
}
if (stale > 0) process.exit(1);
