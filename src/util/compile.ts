/**
 * Compiling generated code (the per-class hot paths: object/specialize.ts, refcount/specialize.ts,
 * gc/specialize.ts). A page whose Content-Security-Policy forbids `new Function` makes it throw an
 * EvalError: the callers then go without the generated code, and the general paths serve every
 * request, more slowly.
 */

/** Whether this JavaScript engine compiles code at run time (unknown until the first try). */
let canCompile: boolean | undefined;

/**
 * `new Function(...params, body)`: a function of `params` whose body is `body`, or null where code
 * cannot be compiled at run time. The generated sources hold only layout constants and a class's
 * integers, never a user's string.
 */
export function compileOrNull(
  params: readonly string[],
  body: string,
): ((...args: unknown[]) => unknown) | null {
  if (canCompile === false) return null;
  try {
    const f = new Function(...params, body) as (...args: unknown[]) => unknown;
    canCompile = true;
    return f;
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    canCompile = false;
    return null;
  }
}

/** The word index `bytes` past word `base`, as source text (`base + n`, `base - n`, or `base`). */
export function wordAt(base: string, bytes: number): string {
  if (bytes % 4 !== 0) throw new Error(`offset ${bytes} is not word-aligned`);
  const n = bytes / 4;
  return n === 0 ? base : n > 0 ? `${base} + ${n}` : `${base} - ${-n}`;
}
