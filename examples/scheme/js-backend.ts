/**
 * The same objects as plain JS objects, collected by the JS engine's own garbage collector: the
 * baseline for a benchmark of the refheap backend. Integers are JS numbers, '() is null, #t/#f
 * are JS booleans; `retain`/`release` do nothing and `collect()` returns 0.
 */
import type { Backend } from "./backend.js";

class Pair {
  car: JsValue;
  cdr: JsValue;
  constructor(car: JsValue, cdr: JsValue) {
    this.car = car;
    this.cdr = cdr;
  }
}
class Sym {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}
class Vec {
  readonly items: JsValue[];
  constructor(items: JsValue[]) {
    this.items = items;
  }
}
class Layout {
  readonly names: readonly JsValue[];
  constructor(names: readonly JsValue[]) {
    this.names = names;
  }
}
class Env {
  readonly parent: JsValue;
  readonly layout: Layout;
  readonly values: (JsValue | undefined)[];
  constructor(parent: JsValue, layout: Layout) {
    this.parent = parent;
    this.layout = layout;
    this.values = new Array<JsValue | undefined>(layout.names.length).fill(undefined);
  }
}
class GlobalEnv {
  readonly table = new Map<JsValue, JsValue>();
}
class Closure {
  readonly params: JsValue;
  readonly body: JsValue;
  readonly env: JsValue;
  readonly layout: Layout;
  name: string | undefined;
  constructor(params: JsValue, body: JsValue, env: JsValue, layout: Layout, name: string | undefined) {
    this.params = params;
    this.body = body;
    this.env = env;
    this.layout = layout;
    this.name = name;
  }
}
class Primitive {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}
class Unspecified {
  readonly unspecified = true;
}

export type JsValue =
  | number
  | boolean
  | null
  | Pair
  | Sym
  | Vec
  | Layout
  | Env
  | GlobalEnv
  | Closure
  | Primitive
  | Unspecified;

function as<T>(v: JsValue, cls: abstract new (...args: never[]) => T, what: string): T {
  if (!(v instanceof cls)) throw new TypeError(`not a ${what}`);
  return v;
}

export class JsBackend implements Backend<JsValue> {
  readonly name = "js";
  readonly nil = null;
  readonly true_ = true;
  readonly false_ = false;
  readonly unspecified: JsValue = new Unspecified();
  readonly globalEnv: JsValue = new GlobalEnv();
  private readonly symbols = new Map<string, Sym>();

  retain(v: JsValue): JsValue {
    return v;
  }
  release(_v: JsValue): void {}
  eq(a: JsValue, b: JsValue): boolean {
    return a === b;
  }

  fixnum(n: number): JsValue {
    return n;
  }
  isFixnum(v: JsValue): boolean {
    return typeof v === "number";
  }
  fixnumValue(v: JsValue): number {
    if (typeof v !== "number") throw new TypeError("not a number");
    return v;
  }

  cons(car: JsValue, cdr: JsValue): JsValue {
    return new Pair(car, cdr);
  }
  isPair(v: JsValue): boolean {
    return v instanceof Pair;
  }
  car(p: JsValue): JsValue {
    return as(p, Pair, "pair").car;
  }
  cdr(p: JsValue): JsValue {
    return as(p, Pair, "pair").cdr;
  }
  setCar(p: JsValue, v: JsValue): void {
    as(p, Pair, "pair").car = v;
  }
  setCdr(p: JsValue, v: JsValue): void {
    as(p, Pair, "pair").cdr = v;
  }

  intern(name: string): JsValue {
    let s = this.symbols.get(name);
    if (s === undefined) {
      s = new Sym(name);
      this.symbols.set(name, s);
    }
    return s;
  }
  isSymbol(v: JsValue): boolean {
    return v instanceof Sym;
  }
  symbolName(s: JsValue): string {
    return as(s, Sym, "symbol").name;
  }

  makeVector(n: number, fill: JsValue): JsValue {
    return new Vec(new Array<JsValue>(n).fill(fill));
  }
  isVector(v: JsValue): boolean {
    return v instanceof Vec;
  }
  vectorLength(v: JsValue): number {
    return as(v, Vec, "vector").items.length;
  }
  vectorRef(v: JsValue, i: number): JsValue {
    return as(v, Vec, "vector").items[i]!;
  }
  vectorSet(v: JsValue, i: number, x: JsValue): void {
    as(v, Vec, "vector").items[i] = x;
  }

  makeLayout(names: readonly JsValue[]): JsValue {
    return new Layout([...names]);
  }
  layoutSize(l: JsValue): number {
    return as(l, Layout, "layout").names.length;
  }
  layoutName(l: JsValue, i: number): JsValue {
    return as(l, Layout, "layout").names[i]!;
  }

  isGlobalEnv(e: JsValue): boolean {
    return e === this.globalEnv;
  }
  globalGet(sym: JsValue): JsValue | undefined {
    return as(this.globalEnv, GlobalEnv, "global environment").table.get(sym);
  }
  globalSet(sym: JsValue, v: JsValue): void {
    as(this.globalEnv, GlobalEnv, "global environment").table.set(sym, v);
  }
  makeEnv(parent: JsValue, layout: JsValue): JsValue {
    return new Env(parent, as(layout, Layout, "layout"));
  }
  envParent(e: JsValue): JsValue {
    return as(e, Env, "environment").parent;
  }
  envLayout(e: JsValue): JsValue {
    return as(e, Env, "environment").layout;
  }
  envGet(e: JsValue, i: number): JsValue | undefined {
    return as(e, Env, "environment").values[i];
  }
  envSet(e: JsValue, i: number, v: JsValue): void {
    as(e, Env, "environment").values[i] = v;
  }

  makeClosure(
    params: JsValue,
    body: JsValue,
    env: JsValue,
    layout: JsValue,
    name: JsValue | undefined,
  ): JsValue {
    return new Closure(
      params,
      body,
      env,
      as(layout, Layout, "layout"),
      name === undefined ? undefined : this.symbolName(name),
    );
  }
  isClosure(v: JsValue): boolean {
    return v instanceof Closure;
  }
  closureParams(c: JsValue): JsValue {
    return as(c, Closure, "closure").params;
  }
  closureBody(c: JsValue): JsValue {
    return as(c, Closure, "closure").body;
  }
  closureEnv(c: JsValue): JsValue {
    return as(c, Closure, "closure").env;
  }
  closureLayout(c: JsValue): JsValue {
    return as(c, Closure, "closure").layout;
  }
  closureName(c: JsValue): string | undefined {
    return as(c, Closure, "closure").name;
  }
  nameClosure(c: JsValue, name: JsValue): void {
    const closure = as(c, Closure, "closure");
    closure.name ??= this.symbolName(name);
  }

  makePrimitive(index: number): JsValue {
    return new Primitive(index);
  }
  isPrimitive(v: JsValue): boolean {
    return v instanceof Primitive;
  }
  primitiveIndex(p: JsValue): number {
    return as(p, Primitive, "primitive").index;
  }

  collect(): number {
    return 0;
  }
  close(): void {
    as(this.globalEnv, GlobalEnv, "global environment").table.clear();
    this.symbols.clear();
  }
}
