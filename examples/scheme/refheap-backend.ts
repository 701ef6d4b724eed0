/**
 * The Scheme interpreter's objects as refheap user kinds (docs/engine.md, "User kinds").
 *
 * A value is one JS number: a heap address (objects are 8-byte aligned, so addresses are even),
 * or an integer n tagged as 2n + 1 (odd), as Lisp fixnums and V8's Smis are tagged. Stored in a
 * heap slot, an integer is the plain number n (isRef = false): numbers never allocate.
 *
 * | Scheme          | heap object                                                              |
 * | --------------- | ------------------------------------------------------------------------ |
 * | pair            | kind Pair, 2 items (car, cdr): items, not reference slots, because a car may be a number |
 * | symbol          | kind Symbol, data word `id` (its name is `names[id]`, JS-side); interned in a JS Map that owns one reference to each |
 * | vector          | kind Vector, n items                                                     |
 * | frame layout    | a tuple of symbols (the names of a frame's slots, as a code object's co_varnames) |
 * | local env       | kind Env, refs parent, layout; one item per name in the layout (NULL = unbound) |
 * | global env      | a dict symbol → value (top-level defines add names at any time)          |
 * | closure         | kind Closure, refs params, body, env, layout; data word `name` (a symbol id, -1 if anonymous) |
 * | primitive       | kind Primitive, data word `index` into the interpreter's table            |
 * | '(), #t, #f     | NONE, TRUE, FALSE                                                        |
 * | unspecified     | kind Unspecified, one object                                             |
 */
import {
  decref,
  dictClear,
  dictGetSlot,
  dictSetItem,
  Engine,
  FALSE,
  fieldItemSlot,
  gc,
  getData,
  incref,
  NONE,
  newDict,
  newObject,
  newTuple,
  objectItemSlot,
  objectSetItem,
  objectSize,
  setData,
  setField,
  slotIsRef,
  slotNumber,
  slotRef,
  TRUE,
  type TypeInfo,
  tupleItemSlot,
  tupleSetItem,
  tupleSize,
  typeIdOf,
  verify,
} from "refheap/core";
import type { Backend } from "./backend.js";

export interface RefheapBackendOptions {
  /** The engine to allocate in (default: a new checked engine). */
  readonly engine?: Engine;
  /** Keep the engine's automatic collections (default false: only `(gc)` collects, so counts are exact). */
  readonly autoGc?: boolean;
  /**
   * Called by the finalizer (PEP 442 tp_finalize) of every pair and closure, when it dies: a
   * pair's tag is its car printed if a number or symbol (else "?"), a closure's its name (else
   * "lambda"). Without it, pairs and closures have no finalizer.
   */
  readonly onFinalize?: (kind: "pair" | "closure", tag: string) => void;
}

export class RefheapBackend implements Backend<number> {
  readonly name = "refheap";
  readonly h: Engine;
  readonly nil = NONE;
  readonly true_ = TRUE;
  readonly false_ = FALSE;
  readonly unspecified: number;
  readonly globalEnv: number;
  /** Live objects (verify(h).objects, checked engines) once the kinds exist, before any allocation. */
  readonly baseObjects: number;
  readonly Pair: TypeInfo;
  readonly Symbol: TypeInfo;
  readonly Vector: TypeInfo;
  readonly Env: TypeInfo;
  readonly Closure: TypeInfo;
  readonly Primitive: TypeInfo;
  private readonly symbols = new Map<string, number>();
  private readonly names: string[] = [];
  private closed = false;

  constructor(options: RefheapBackendOptions = {}) {
    const h = options.engine ?? new Engine({ checked: true });
    this.h = h;
    if (options.autoGc !== true) gc.disable(h);
    const fin = options.onFinalize;
    this.Pair = h.defineKind({
      name: "Pair",
      items: true,
      ...(fin && {
        finalize: (o: number) => fin("pair", this.tagOf(this.fromSlot(objectItemSlot(h, o, 0)))),
      }),
    });
    this.Symbol = h.defineKind({ name: "Symbol", data: ["id"] });
    this.Vector = h.defineKind({ name: "Vector", items: true });
    this.Env = h.defineKind({ name: "Env", refs: ["parent", "layout"], items: true });
    this.Closure = h.defineKind({
      name: "Closure",
      refs: ["params", "body", "env", "layout"],
      data: ["name"],
      ...(fin && { finalize: (o: number) => fin("closure", this.closureName(o) ?? "lambda") }),
    });
    this.Primitive = h.defineKind({ name: "Primitive", data: ["index"] });
    const Unspecified = h.defineKind({ name: "Unspecified" });
    this.baseObjects = verify(h).objects;
    this.unspecified = newObject(h, Unspecified.id);
    this.globalEnv = newDict(h);
  }

  private tagOf(v: number): string {
    if (this.isFixnum(v)) return String(this.fixnumValue(v));
    if (v !== 0 && this.isSymbol(v)) return this.symbolName(v);
    return "?";
  }

  /** A slot's value as a tagged number (0: NULL). */
  private fromSlot(p: number): number {
    return slotIsRef(this.h, p) ? slotRef(this.h, p) : 2 * slotNumber(this.h, p) + 1;
  }

  private setItem(o: number, i: number, v: number): void {
    if (this.isFixnum(v)) objectSetItem(this.h, o, i, this.fixnumValue(v), false);
    else objectSetItem(this.h, o, i, v, true);
  }

  private is(v: number, kind: TypeInfo): boolean {
    return !this.isFixnum(v) && typeIdOf(this.h, v) === kind.id;
  }

  retain(v: number): number {
    if (!this.isFixnum(v)) incref(this.h, v);
    return v;
  }
  release(v: number): void {
    if (!this.isFixnum(v)) decref(this.h, v);
  }
  eq(a: number, b: number): boolean {
    return a === b;
  }

  fixnum(n: number): number {
    return 2 * n + 1;
  }
  isFixnum(v: number): boolean {
    return v % 2 !== 0;
  }
  fixnumValue(v: number): number {
    return (v - 1) / 2;
  }

  cons(car: number, cdr: number): number {
    const p = newObject(this.h, this.Pair.id, 2);
    this.setItem(p, 0, car);
    this.setItem(p, 1, cdr);
    return p;
  }
  isPair(v: number): boolean {
    return this.is(v, this.Pair);
  }
  car(p: number): number {
    return this.fromSlot(objectItemSlot(this.h, p, 0));
  }
  cdr(p: number): number {
    return this.fromSlot(objectItemSlot(this.h, p, 1));
  }
  setCar(p: number, v: number): void {
    this.setItem(p, 0, v);
  }
  setCdr(p: number, v: number): void {
    this.setItem(p, 1, v);
  }

  intern(name: string): number {
    let s = this.symbols.get(name);
    if (s === undefined) {
      s = newObject(this.h, this.Symbol.id);
      setData(this.h, s, 0, this.names.length);
      this.names.push(name);
      this.symbols.set(name, s); // the map owns the new reference
    }
    return s;
  }
  isSymbol(v: number): boolean {
    return this.is(v, this.Symbol);
  }
  symbolName(s: number): string {
    return this.names[getData(this.h, s, 0)]!;
  }

  makeVector(n: number, fill: number): number {
    const v = newObject(this.h, this.Vector.id, n);
    for (let i = 0; i < n; i++) this.setItem(v, i, fill);
    return v;
  }
  isVector(v: number): boolean {
    return this.is(v, this.Vector);
  }
  vectorLength(v: number): number {
    return objectSize(this.h, v);
  }
  vectorRef(v: number, i: number): number {
    return this.fromSlot(objectItemSlot(this.h, v, i));
  }
  vectorSet(v: number, i: number, x: number): void {
    this.setItem(v, i, x);
  }

  makeLayout(names: readonly number[]): number {
    const t = newTuple(this.h, names.length);
    names.forEach((s, i) => {
      tupleSetItem(this.h, t, i, s, true);
    });
    return t;
  }
  layoutSize(l: number): number {
    return tupleSize(this.h, l);
  }
  layoutName(l: number, i: number): number {
    return slotRef(this.h, tupleItemSlot(this.h, l, i));
  }

  isGlobalEnv(e: number): boolean {
    return e === this.globalEnv;
  }
  globalGet(sym: number): number | undefined {
    const p = dictGetSlot(this.h, this.globalEnv, sym, true);
    return p === 0 ? undefined : this.fromSlot(p);
  }
  globalSet(sym: number, v: number): void {
    const isNum = this.isFixnum(v);
    dictSetItem(this.h, this.globalEnv, sym, true, isNum ? this.fixnumValue(v) : v, !isNum);
  }
  makeEnv(parent: number, layout: number): number {
    const e = newObject(this.h, this.Env.id, this.layoutSize(layout));
    setField(this.h, e, 0, parent, true);
    setField(this.h, e, 1, layout, true);
    return e;
  }
  envParent(e: number): number {
    return slotRef(this.h, fieldItemSlot(this.h, e, 0));
  }
  envLayout(e: number): number {
    return slotRef(this.h, fieldItemSlot(this.h, e, 1));
  }
  envGet(e: number, i: number): number | undefined {
    const v = this.fromSlot(objectItemSlot(this.h, e, i));
    return v === 0 ? undefined : v;
  }
  envSet(e: number, i: number, v: number): void {
    this.setItem(e, i, v);
  }

  makeClosure(params: number, body: number, env: number, layout: number, name: number | undefined): number {
    const c = newObject(this.h, this.Closure.id);
    setField(this.h, c, 0, params, true);
    setField(this.h, c, 1, body, true);
    setField(this.h, c, 2, env, true);
    setField(this.h, c, 3, layout, true);
    setData(this.h, c, 0, name === undefined ? -1 : getData(this.h, name, 0));
    return c;
  }
  isClosure(v: number): boolean {
    return this.is(v, this.Closure);
  }
  private closureRef(c: number, i: number): number {
    return slotRef(this.h, fieldItemSlot(this.h, c, i));
  }
  closureParams(c: number): number {
    return this.closureRef(c, 0);
  }
  closureBody(c: number): number {
    return this.closureRef(c, 1);
  }
  closureEnv(c: number): number {
    return this.closureRef(c, 2);
  }
  closureLayout(c: number): number {
    return this.closureRef(c, 3);
  }
  closureName(c: number): string | undefined {
    const id = getData(this.h, c, 0);
    return id < 0 ? undefined : this.names[id];
  }
  nameClosure(c: number, name: number): void {
    if (getData(this.h, c, 0) < 0) setData(this.h, c, 0, getData(this.h, name, 0));
  }

  makePrimitive(index: number): number {
    const p = newObject(this.h, this.Primitive.id);
    setData(this.h, p, 0, index);
    return p;
  }
  isPrimitive(v: number): boolean {
    return this.is(v, this.Primitive);
  }
  primitiveIndex(p: number): number {
    return getData(this.h, p, 0);
  }

  collect(): number {
    return gc.collect(this.h);
  }

  /**
   * Empties the global environment (which breaks the global env ↔ top-level closure cycles),
   * releases it, collects whatever cyclic garbage user data leaves (a vector holding itself),
   * then releases the symbols: afterwards verify(h).objects is back to `baseObjects`.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    dictClear(this.h, this.globalEnv);
    decref(this.h, this.globalEnv);
    decref(this.h, this.unspecified);
    gc.collect(this.h);
    for (const s of this.symbols.values()) decref(this.h, s);
    this.symbols.clear();
  }
}
