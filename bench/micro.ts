/**
 * Micro-measurements behind docs/performance.md: the typed-array floor of W1's object model and
 * refheap's individual hot operations, each in isolation (one Engine, unchecked).
 * Run with: npm run build && npx tsx bench/micro.ts
 */
import { decref, Engine, listAppend, listAppendSteal, newInstance, newList } from "refheap/core";

const N = 100_000;
const ROUNDS = 40;
const items = new Int32Array(N);

function time(label: string, round: () => void): void {
  for (let r = 0; r < ROUNDS / 2; r++) round(); // warm up
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS / 2; r++) round();
  const ns = ((performance.now() - t0) * 1e6) / ((ROUNDS / 2) * N);
  console.log(`${label.padEnd(62)} ${ns.toFixed(1).padStart(6)} ns/object`);
}

// The floor: one Int32Array, everything hand-inlined. Allocation from a LIFO free list,
// header (refcount, type), generation-0 ring link, type incref; then the reverse.
{
  const i32 = new Int32Array(new ArrayBuffer(64 << 20));
  const GEN0 = 16;
  const TYPE = 64;
  let freeHead = 0;
  let bump = 4096;
  i32[GEN0 >> 2] = GEN0;
  i32[(GEN0 + 4) >> 2] = GEN0;
  time("floor: hand-inlined alloc+link+free over one Int32Array", () => {
    for (let k = 0; k < N; k++) {
      let b = freeHead;
      if (b !== 0) freeHead = i32[b >> 2]!;
      else {
        b = bump;
        bump += 16;
      }
      const o = b + 8;
      i32[o >> 2] = 1;
      i32[(o + 4) >> 2] = 20;
      i32[TYPE >> 2]!++;
      const last = i32[(GEN0 + 4) >> 2]!;
      i32[last >> 2] = b;
      i32[(b + 4) >> 2] = last;
      i32[b >> 2] = GEN0;
      i32[(GEN0 + 4) >> 2] = b;
      items[k] = o;
    }
    for (let k = N - 1; k >= 0; k--) {
      const o = items[k]!;
      const rc = i32[o >> 2]! - 1;
      i32[o >> 2] = rc;
      if (rc === 0) {
        const b = o - 8;
        const prev = i32[(b + 4) >> 2]! & ~3;
        const next = i32[b >> 2]!;
        i32[prev >> 2] = next;
        i32[(next + 4) >> 2] = prev;
        i32[TYPE >> 2]!--;
        i32[b >> 2] = freeHead;
        freeHead = b;
      }
    }
  });
}

const h = new Engine({ checked: false });
const Empty = h.defineClass({ name: "Empty" });
time("refheap: newInstance, then decref (dealloc) each", () => {
  for (let i = 0; i < N; i++) items[i] = newInstance(h, Empty.id);
  for (let i = N - 1; i >= 0; i--) decref(h, items[i]!);
});
time("refheap W1: newInstance + listAppend + decref, drop the list", () => {
  const l = newList(h);
  for (let i = 0; i < N; i++) {
    const o = newInstance(h, Empty.id);
    listAppend(h, l, o, true);
    decref(h, o);
  }
  decref(h, l);
});
time("refheap W1: newInstance + listAppendSteal, drop the list", () => {
  const l = newList(h);
  for (let i = 0; i < N; i++) listAppendSteal(h, l, newInstance(h, Empty.id));
  decref(h, l);
});
