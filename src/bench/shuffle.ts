/**
 * The permutation W2b's fragmented heap is built with (w2.ts), drawn the same way as
 * bench/python/w2.py draws it, so both heaps are fragmented alike: a Fisher–Yates shuffle whose
 * random numbers come from Marsaglia's xorshift32 (shifts 13, 17, 5), starting from a fixed seed.
 * Each step's index is the generator's 32-bit output modulo the remaining length (the slight
 * modulo bias does not matter here; being identical in both languages does).
 */

/** The seed both sides use (any nonzero 32-bit value). */
export const SHUFFLE_SEED = 0x9e3779b9;

/** One step of xorshift32: the next state (a nonzero unsigned 32-bit integer) after `x`. */
export function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/**
 * A permutation of 0 … n−1: start from the identity and, for i from n−1 down to 1, swap
 * position i with position j = (next xorshift32 output) mod (i + 1).
 */
export function shuffledOrder(n: number, seed: number = SHUFFLE_SEED): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shuffledOrder: bad length ${n}`);
  let x = seed >>> 0;
  if (x === 0) throw new RangeError("shuffledOrder: xorshift32 needs a nonzero seed");
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    x = xorshift32(x);
    const j = x % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
