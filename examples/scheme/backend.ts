/**
 * The object representation the Scheme interpreter runs on, behind one small interface so the
 * same evaluator can run over refheap (refheap-backend.ts: every object a heap object, explicit
 * references) or over plain JS objects (js-backend.ts: the JS garbage collector's).
 *
 * Ownership follows the engine's rules (docs/engine.md), and the evaluator keeps them exactly:
 * - constructors (`cons`, `makeVector`, `makeEnv`, …) return a NEW reference, which the caller
 *   releases with `release`; their arguments are borrowed (the object takes its own references);
 * - accessors (`car`, `vectorRef`, `envGet`, `lookup`-style reads, `intern`, the constants)
 *   return BORROWED values, valid until the object they were read from is next mutated or freed;
 *   `retain(v)` turns one into an owned reference;
 * - setters borrow the value they store.
 * Numbers never allocate: `retain`/`release` on a fixnum do nothing. The JS backend's
 * `retain`/`release` do nothing at all.
 */

/** Integers are exact up to ±2^50 (the refheap backend tags them as 2n + 1 in a JS number). */
export const MAX_FIXNUM = 2 ** 50;

export interface Backend<V> {
  readonly name: string;
  /** '() */
  readonly nil: V;
  readonly true_: V;
  readonly false_: V;
  /** What define, set!, set-car! … return (never printed by `run`). */
  readonly unspecified: V;
  /** The global environment (borrowed; the backend owns it until `close`). */
  readonly globalEnv: V;

  retain(v: V): V;
  release(v: V): void;
  eq(a: V, b: V): boolean;

  fixnum(n: number): V;
  isFixnum(v: V): boolean;
  fixnumValue(v: V): number;

  cons(car: V, cdr: V): V;
  isPair(v: V): boolean;
  car(p: V): V;
  cdr(p: V): V;
  setCar(p: V, v: V): void;
  setCdr(p: V, v: V): void;

  /** The one symbol object with this name (borrowed: the backend keeps every symbol it interns). */
  intern(name: string): V;
  isSymbol(v: V): boolean;
  symbolName(s: V): string;

  makeVector(n: number, fill: V): V;
  isVector(v: V): boolean;
  vectorLength(v: V): number;
  vectorRef(v: V, i: number): V;
  vectorSet(v: V, i: number, x: V): void;

  /** A frame layout: the variable names (symbols) of an environment frame, slot by slot. */
  makeLayout(names: readonly V[]): V;
  layoutSize(l: V): number;
  layoutName(l: V, i: number): V;

  isGlobalEnv(e: V): boolean;
  /** A global variable's value (borrowed), undefined when unbound. */
  globalGet(sym: V): V | undefined;
  globalSet(sym: V, v: V): void;
  /** A local frame with one (unbound) slot per name in `layout`, whose parent is `parent`. */
  makeEnv(parent: V, layout: V): V;
  envParent(e: V): V;
  envLayout(e: V): V;
  /** Slot i's value (borrowed), undefined while unbound (an internal define not yet run). */
  envGet(e: V, i: number): V | undefined;
  envSet(e: V, i: number, v: V): void;

  /** `name` is a symbol or undefined (an anonymous lambda). */
  makeClosure(params: V, body: V, env: V, layout: V, name: V | undefined): V;
  isClosure(v: V): boolean;
  closureParams(c: V): V;
  closureBody(c: V): V;
  closureEnv(c: V): V;
  closureLayout(c: V): V;
  closureName(c: V): string | undefined;
  /** Names an anonymous closure (what `(define f (lambda …))` does); a named one keeps its name. */
  nameClosure(c: V, name: V): void;

  makePrimitive(index: number): V;
  isPrimitive(v: V): boolean;
  primitiveIndex(p: V): number;

  /** A full collection: the number of unreachable objects found (the JS backend: 0). */
  collect(): number;
  /** Releases everything the backend owns (globals, symbols); the backend is unusable after. */
  close(): void;
}
