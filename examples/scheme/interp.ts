/**
 * A small Scheme interpreter for runtime authors: every runtime object (pairs, symbols, closures,
 * environments, vectors, and the program's own code, which is data) lives in refheap through the
 * engine API, with exact reference counting and the cycle collector for what counting misses.
 * The evaluator is written against `Backend<V>` (backend.ts), so the same code also runs over
 * plain JS objects (js-backend.ts), for comparison.
 *
 * Subset: integers, symbols, #t/#f, '() and 'x quote, lists (dotted too: (a . b)); special forms quote, if, define
 * (variables and `(define (f a b) body…)`), lambda (a proper list of parameters), let, set!,
 * begin; primitives + - * < = > eq? not cons car cdr set-car! set-cdr! list null? pair? symbol?
 * procedure? make-vector vector vector-ref vector-set! vector-length, and (gc), which runs a full
 * collection and returns its count. Special-form names cannot be rebound. No strings, floats,
 * dotted parameter lists, call/cc or tail calls in anything but closure application, if, begin
 * and let bodies.
 *
 * Environments: a local frame is an Env object (refs parent and layout, one item per variable);
 * its layout, a tuple of the frame's symbols, is computed once per lambda when the closure is
 * made (parameters, then the names the body defines at its top level), so a variable is found
 * by scanning a short tuple for the interned symbol and reading one item, and the frame never
 * grows. The global environment is a heap dict symbol → value, since top-level defines add names
 * at any time. Symbols are interned (one object per name), so eq? and every lookup are address
 * comparisons.
 *
 * Ownership: `eval(x, env)` borrows x and env and returns a new reference. Tail positions (if,
 * begin, let bodies and closure calls) loop instead of recursing, holding the callee closure
 * (which holds the body being run) and the new frame; every owned reference is released in a
 * `finally`, so an error leaks nothing. Non-tail calls recurse in JS, so a deep non-tail
 * recursion in the Scheme program (e.g. (f (- n 1)) under a +) is bounded by the JS stack:
 * acceptable for an example, documented here. The reader is iterative.
 */
import { type Backend, MAX_FIXNUM } from "./backend.js";
import { JsBackend, type JsValue } from "./js-backend.js";
import { RefheapBackend, type RefheapBackendOptions } from "./refheap-backend.js";

export { type Backend, JsBackend, type JsValue, RefheapBackend, type RefheapBackendOptions };

export class SchemeError extends Error {
  override name = "SchemeError";
}

const SPECIAL_FORMS = new Set(["quote", "if", "define", "set!", "lambda", "let", "begin"]);

interface Primitive<V> {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Borrows its arguments, returns a new reference. */
  readonly fn: (args: readonly V[]) => V;
}

export class Interpreter<V, B extends Backend<V> = Backend<V>> {
  readonly b: B;
  private readonly primitives: Primitive<V>[];

  constructor(backend: B) {
    this.b = backend;
    this.primitives = this.makePrimitives();
    const B = this.b;
    this.primitives.forEach((p, i) => {
      const o = B.makePrimitive(i);
      B.globalSet(B.intern(p.name), o);
      B.release(o);
    });
  }

  /**
   * Reads and evaluates every top-level form of `src` in the global environment; returns the
   * printed value of each form whose value is not unspecified (so defines print nothing).
   */
  run(src: string): string[] {
    const B = this.b;
    const forms = this.read(src);
    const out: string[] = [];
    let i = 0;
    try {
      while (i < forms.length) {
        const form = forms[i]!;
        try {
          const v = this.eval(form, B.globalEnv);
          try {
            if (!B.eq(v, B.unspecified)) out.push(this.print(v));
          } finally {
            B.release(v);
          }
        } finally {
          B.release(form);
          i++;
        }
      }
    } finally {
      for (; i < forms.length; i++) B.release(forms[i]!);
    }
    return out;
  }

  /** The printed value of the last form of `src` ("" if it has none). */
  evalString(src: string): string {
    return this.run(src).at(-1) ?? "";
  }

  /** Releases everything the interpreter owns (its globals, its symbols). */
  close(): void {
    this.b.close();
  }

  // ---------------------------------------------------------------- reader

  /** Parses `src` into its top-level forms (new references). Iterative: nesting depth is free. */
  read(src: string): V[] {
    const B = this.b;
    const tokens = src.match(/;[^\n]*|[()']|[^\s()';]+/g) ?? [];
    const frames: { items: V[]; quote: boolean }[] = [];
    const top: V[] = [];
    try {
      for (const tok of tokens) {
        if (tok.startsWith(";")) continue;
        if (tok === "(" || tok === "'") {
          frames.push({ items: [], quote: tok === "'" });
          continue;
        }
        let d: V;
        if (tok === ")") {
          const fr = frames.pop();
          if (fr === undefined || fr.quote) throw new SchemeError("read: unexpected )");
          const dot = fr.items.findIndex((v) => B.isSymbol(v) && B.symbolName(v) === ".");
          if (dot >= 0 && (dot === 0 || dot !== fr.items.length - 2)) {
            frames.push(fr); // released below
            throw new SchemeError("read: bad dotted list");
          }
          if (dot >= 0) {
            const [dotSym, tail] = fr.items.splice(dot, 2) as [V, V];
            B.release(dotSym);
            d = this.listOf(fr.items, tail);
          } else {
            d = this.listOf(fr.items);
          }
        } else {
          d = this.atom(tok);
        }
        for (;;) {
          const fr = frames.at(-1);
          if (fr?.quote === true) {
            frames.pop();
            d = this.listOf([B.retain(B.intern("quote")), d]);
            continue;
          }
          if (fr) fr.items.push(d);
          else top.push(d);
          break;
        }
      }
      if (frames.length > 0) throw new SchemeError("read: unexpected end of input");
      return top;
    } catch (err) {
      for (const v of top) B.release(v);
      for (const fr of frames) for (const v of fr.items) B.release(v);
      throw err;
    }
  }

  private atom(tok: string): V {
    const B = this.b;
    if (/^[+-]?\d+$/.test(tok)) return B.fixnum(this.checkRange(Number(tok)));
    if (tok === "#t") return B.retain(B.true_);
    if (tok === "#f") return B.retain(B.false_);
    if (tok.startsWith("#")) throw new SchemeError(`read: unknown syntax ${tok}`);
    return B.retain(B.intern(tok));
  }

  /** A new list of `items` ending in `tail` (default '()); consumes (releases) them all, whatever happens. */
  private listOf(items: readonly V[], tail: V = this.b.retain(this.b.nil)): V {
    const B = this.b;
    let acc = tail;
    try {
      for (let i = items.length - 1; i >= 0; i--) {
        const p = B.cons(items[i]!, acc);
        B.release(acc);
        acc = p;
      }
    } catch (err) {
      B.release(acc);
      throw err;
    } finally {
      for (const v of items) B.release(v);
    }
    return acc;
  }

  // ---------------------------------------------------------------- printer

  /** The external representation of `v` (cycles and very long structures are cut with "..."). */
  print(v: V): string {
    let budget = 10_000;
    const go = (x: V): string => {
      const B = this.b;
      if (--budget < 0) return "...";
      if (B.isFixnum(x)) return String(B.fixnumValue(x));
      if (B.eq(x, B.nil)) return "()";
      if (B.eq(x, B.true_)) return "#t";
      if (B.eq(x, B.false_)) return "#f";
      if (B.eq(x, B.unspecified)) return "#<unspecified>";
      if (B.isSymbol(x)) return B.symbolName(x);
      if (B.isPair(x)) {
        const parts: string[] = [];
        let p = x;
        for (; B.isPair(p); p = B.cdr(p)) {
          if (budget <= 0) return `(${parts.join(" ")} ...)`;
          parts.push(go(B.car(p)));
        }
        return B.eq(p, B.nil) ? `(${parts.join(" ")})` : `(${parts.join(" ")} . ${go(p)})`;
      }
      if (B.isVector(x)) {
        const parts: string[] = [];
        for (let i = 0; i < B.vectorLength(x); i++) parts.push(go(B.vectorRef(x, i)));
        return `#(${parts.join(" ")})`;
      }
      if (B.isClosure(x)) return `#<procedure ${B.closureName(x) ?? "lambda"}>`;
      if (B.isPrimitive(x)) return `#<primitive ${this.primitives[B.primitiveIndex(x)]!.name}>`;
      return "#<object>";
    };
    return go(v);
  }

  // ---------------------------------------------------------------- evaluator

  /** Evaluates `expr` in `env` (both borrowed); returns a new reference. */
  eval(expr: V, env: V): V {
    const B = this.b;
    let x = expr;
    let e = env;
    let ownEnv = false; // whether we own a reference to e (a frame made here)
    let hold: V | undefined; // the closure whose body x is in (owned: keeps x alive)
    try {
      for (;;) {
        if (B.isSymbol(x)) return B.retain(this.lookup(x, e));
        if (!B.isPair(x)) return B.retain(x);
        const op = B.car(x);
        if (B.isSymbol(op) && SPECIAL_FORMS.has(B.symbolName(op))) {
          switch (B.symbolName(op)) {
            case "quote":
              return B.retain(this.nth(x, 1));
            case "if": {
              const c = this.eval(this.nth(x, 1), e);
              const truthy = !B.eq(c, B.false_);
              B.release(c);
              const rest = this.nthCdr(x, 3);
              if (truthy) x = this.nth(x, 2);
              else if (B.isPair(rest)) x = B.car(rest);
              else return B.retain(B.unspecified);
              continue;
            }
            case "define":
              this.define(x, e);
              return B.retain(B.unspecified);
            case "set!": {
              const name = this.nth(x, 1);
              if (!B.isSymbol(name)) throw new SchemeError("set!: not a symbol");
              const v = this.eval(this.nth(x, 2), e);
              try {
                this.assign(name, v, e);
              } finally {
                B.release(v);
              }
              return B.retain(B.unspecified);
            }
            case "lambda":
              return this.lambda(this.nth(x, 1), this.nthCdr(x, 2), e, undefined);
            case "begin": {
              const last = this.evalAllButLast(B.cdr(x), e);
              if (last === undefined) return B.retain(B.unspecified);
              x = last;
              continue;
            }
            case "let": {
              const frame = this.letFrame(x, e);
              if (ownEnv) B.release(e); // frame's parent is e: it stays alive
              e = frame;
              ownEnv = true;
              const last = this.evalAllButLast(this.nthCdr(x, 2), e);
              if (last === undefined) throw new SchemeError("let: empty body");
              x = last;
              continue;
            }
          }
        }
        // An application.
        const f = this.eval(op, e);
        let fOwned = true;
        const args: V[] = [];
        try {
          for (let a = B.cdr(x); B.isPair(a); a = B.cdr(a)) args.push(this.eval(B.car(a), e));
          if (B.isPrimitive(f)) return this.applyPrimitive(B.primitiveIndex(f), args);
          if (!B.isClosure(f)) throw new SchemeError(`not a procedure: ${this.print(f)}`);
          const frame = this.bind(f, args);
          for (const a of args.splice(0)) B.release(a);
          if (ownEnv) B.release(e);
          e = frame;
          ownEnv = true;
          if (hold !== undefined) B.release(hold);
          hold = f; // a tail call: f now keeps its body (the new x) alive
          fOwned = false;
          x = this.evalAllButLast(B.closureBody(f), e)!; // lambda bodies are never empty
        } finally {
          for (const a of args) B.release(a);
          if (fOwned) B.release(f);
        }
      }
    } finally {
      if (ownEnv) B.release(e);
      if (hold !== undefined) B.release(hold);
    }
  }

  /** Evaluates every form of `body` but the last, which it returns (borrowed; undefined if empty). */
  private evalAllButLast(body: V, env: V): V | undefined {
    const B = this.b;
    if (!B.isPair(body)) return undefined;
    let p = body;
    for (; B.isPair(B.cdr(p)); p = B.cdr(p)) B.release(this.eval(B.car(p), env));
    return B.car(p);
  }

  private nthCdr(x: V, n: number): V {
    let p = x;
    for (let i = 0; i < n; i++) {
      if (!this.b.isPair(p)) throw new SchemeError(`bad syntax: ${this.print(x)}`);
      p = this.b.cdr(p);
    }
    return p;
  }

  private nth(x: V, n: number): V {
    const p = this.nthCdr(x, n);
    if (!this.b.isPair(p)) throw new SchemeError(`bad syntax: ${this.print(x)}`);
    return this.b.car(p);
  }

  /** The frame slot of `sym` in a local env (-1 if absent). */
  private slotOf(e: V, sym: V): number {
    const B = this.b;
    const layout = B.envLayout(e);
    const n = B.layoutSize(layout);
    for (let i = 0; i < n; i++) if (B.eq(B.layoutName(layout, i), sym)) return i;
    return -1;
  }

  /** A variable's value, borrowed. */
  private lookup(sym: V, env: V): V {
    const B = this.b;
    let e = env;
    while (!B.isGlobalEnv(e)) {
      const i = this.slotOf(e, sym);
      if (i >= 0) {
        const v = B.envGet(e, i);
        if (v === undefined) throw new SchemeError(`${B.symbolName(sym)}: used before its definition`);
        return v;
      }
      e = B.envParent(e);
    }
    const v = B.globalGet(sym);
    if (v === undefined) throw new SchemeError(`unbound variable: ${B.symbolName(sym)}`);
    return v;
  }

  private assign(sym: V, v: V, env: V): void {
    const B = this.b;
    let e = env;
    while (!B.isGlobalEnv(e)) {
      const i = this.slotOf(e, sym);
      if (i >= 0) {
        B.envSet(e, i, v);
        return;
      }
      e = B.envParent(e);
    }
    if (B.globalGet(sym) === undefined) throw new SchemeError(`set!: unbound variable: ${B.symbolName(sym)}`);
    B.globalSet(sym, v);
  }

  private define(x: V, e: V): void {
    const B = this.b;
    const target = this.nth(x, 1);
    let name: V;
    let value: V;
    if (B.isPair(target)) {
      name = B.car(target);
      if (!B.isSymbol(name)) throw new SchemeError("define: not a symbol");
      value = this.lambda(B.cdr(target), this.nthCdr(x, 2), e, name);
    } else {
      name = target;
      if (!B.isSymbol(name)) throw new SchemeError("define: not a symbol");
      value = this.eval(this.nth(x, 2), e);
      if (B.isClosure(value)) B.nameClosure(value, name);
    }
    try {
      if (B.isGlobalEnv(e)) B.globalSet(name, value);
      else {
        const i = this.slotOf(e, name);
        if (i < 0) throw new SchemeError(`define: ${B.symbolName(name)} is not at the start of a body`);
        B.envSet(e, i, value);
      }
    } finally {
      B.release(value);
    }
  }

  /** The names `body` defines at its top level (inside begin too), appended to `names`. */
  private bodyDefines(body: V, names: V[]): void {
    const B = this.b;
    for (let p = body; B.isPair(p); p = B.cdr(p)) {
      const form = B.car(p);
      if (!B.isPair(form) || !B.isSymbol(B.car(form))) continue;
      const head = B.symbolName(B.car(form));
      if (head === "begin") this.bodyDefines(B.cdr(form), names);
      if (head !== "define" || !B.isPair(B.cdr(form))) continue;
      const target = B.car(B.cdr(form));
      const name = B.isPair(target) ? B.car(target) : target;
      if (B.isSymbol(name) && !names.some((n) => B.eq(n, name))) names.push(name);
    }
  }

  /** A frame layout: `names` (distinct symbols), then the names `body` defines. New reference. */
  private layoutFor(names: V[], body: V, form: string): V {
    const B = this.b;
    names.forEach((n, i) => {
      if (!B.isSymbol(n)) throw new SchemeError(`${form}: not a symbol: ${this.print(n)}`);
      if (names.indexOf(n) !== i) throw new SchemeError(`${form}: duplicate name ${B.symbolName(n)}`);
    });
    this.bodyDefines(body, names);
    return B.makeLayout(names);
  }

  private lambda(params: V, body: V, env: V, name: V | undefined): V {
    const B = this.b;
    const names: V[] = [];
    let p = params;
    for (; B.isPair(p); p = B.cdr(p)) names.push(B.car(p));
    if (!B.eq(p, B.nil)) throw new SchemeError("lambda: only proper parameter lists are supported");
    if (!B.isPair(body)) throw new SchemeError("lambda: empty body");
    const layout = this.layoutFor(names, body, "lambda");
    try {
      return B.makeClosure(params, body, env, layout, name);
    } finally {
      B.release(layout);
    }
  }

  /** A new frame for `(let ((v init) …) body…)` in `e`, its variables bound (new reference). */
  private letFrame(x: V, e: V): V {
    const B = this.b;
    const bindings = this.nth(x, 1);
    const names: V[] = [];
    const inits: V[] = [];
    for (let p = bindings; B.isPair(p); p = B.cdr(p)) {
      const binding = B.car(p);
      names.push(this.nth(binding, 0));
      inits.push(this.nth(binding, 1));
    }
    const layout = this.layoutFor(names, this.nthCdr(x, 2), "let");
    let frame: V;
    try {
      frame = B.makeEnv(e, layout);
    } finally {
      B.release(layout);
    }
    try {
      inits.forEach((init, i) => {
        const v = this.eval(init, e);
        B.envSet(frame, i, v);
        B.release(v);
      });
    } catch (err) {
      B.release(frame);
      throw err;
    }
    return frame;
  }

  /** A new frame for calling closure `f` with `args` (borrowed). */
  private bind(f: V, args: readonly V[]): V {
    const B = this.b;
    let n = 0;
    for (let p = B.closureParams(f); B.isPair(p); p = B.cdr(p)) n++;
    if (args.length !== n) {
      throw new SchemeError(`${B.closureName(f) ?? "lambda"}: expected ${n} arguments, got ${args.length}`);
    }
    const frame = B.makeEnv(B.closureEnv(f), B.closureLayout(f));
    args.forEach((a, i) => {
      B.envSet(frame, i, a);
    });
    return frame;
  }

  // ---------------------------------------------------------------- primitives

  private checkRange(n: number): number {
    if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_FIXNUM)
      throw new SchemeError(`integer out of range: ${n}`);
    return n;
  }

  private applyPrimitive(index: number, args: readonly V[]): V {
    const p = this.primitives[index]!;
    if (args.length < p.min || args.length > p.max) {
      throw new SchemeError(`${p.name}: wrong number of arguments (${args.length})`);
    }
    return p.fn(args);
  }

  private makePrimitives(): Primitive<V>[] {
    const B = this.b;
    const int = (v: V, who: string): number => {
      if (!B.isFixnum(v)) throw new SchemeError(`${who}: not an integer: ${this.print(v)}`);
      return B.fixnumValue(v);
    };
    const pair = (v: V, who: string): V => {
      if (!B.isPair(v)) throw new SchemeError(`${who}: not a pair: ${this.print(v)}`);
      return v;
    };
    const vectorIndex = (args: readonly V[], who: string): [V, number] => {
      const v = args[0]!;
      if (!B.isVector(v)) throw new SchemeError(`${who}: not a vector: ${this.print(v)}`);
      const i = int(args[1]!, who);
      if (i < 0 || i >= B.vectorLength(v)) throw new SchemeError(`${who}: index out of range: ${i}`);
      return [v, i];
    };
    const bool = (b: boolean): V => B.retain(b ? B.true_ : B.false_);
    const num = (n: number): V => B.fixnum(this.checkRange(n));
    const compare = (name: string, ok: (a: number, b: number) => boolean): Primitive<V> => ({
      name,
      min: 1,
      max: Infinity,
      fn: (args) => {
        const ns = args.map((a) => int(a, name));
        for (let i = 1; i < ns.length; i++) if (!ok(ns[i - 1]!, ns[i]!)) return bool(false);
        return bool(true);
      },
    });
    const unspecified = (): V => B.retain(B.unspecified);
    const many = Infinity;
    return [
      { name: "+", min: 0, max: many, fn: (a) => num(a.reduce((s, v) => s + int(v, "+"), 0)) },
      { name: "*", min: 0, max: many, fn: (a) => num(a.reduce((s, v) => s * int(v, "*"), 1)) },
      {
        name: "-",
        min: 1,
        max: many,
        fn: (a) =>
          num(
            a.length === 1 ? -int(a[0]!, "-") : a.slice(1).reduce((s, v) => s - int(v, "-"), int(a[0]!, "-")),
          ),
      },
      compare("<", (x, y) => x < y),
      compare("=", (x, y) => x === y),
      compare(">", (x, y) => x > y),
      { name: "eq?", min: 2, max: 2, fn: (a) => bool(B.eq(a[0]!, a[1]!)) },
      { name: "not", min: 1, max: 1, fn: (a) => bool(B.eq(a[0]!, B.false_)) },
      { name: "cons", min: 2, max: 2, fn: (a) => B.cons(a[0]!, a[1]!) },
      { name: "car", min: 1, max: 1, fn: (a) => B.retain(B.car(pair(a[0]!, "car"))) },
      { name: "cdr", min: 1, max: 1, fn: (a) => B.retain(B.cdr(pair(a[0]!, "cdr"))) },
      {
        name: "set-car!",
        min: 2,
        max: 2,
        fn: (a) => {
          B.setCar(pair(a[0]!, "set-car!"), a[1]!);
          return unspecified();
        },
      },
      {
        name: "set-cdr!",
        min: 2,
        max: 2,
        fn: (a) => {
          B.setCdr(pair(a[0]!, "set-cdr!"), a[1]!);
          return unspecified();
        },
      },
      { name: "list", min: 0, max: many, fn: (a) => this.listOf(a.map((v) => B.retain(v))) },
      { name: "null?", min: 1, max: 1, fn: (a) => bool(B.eq(a[0]!, B.nil)) },
      { name: "pair?", min: 1, max: 1, fn: (a) => bool(B.isPair(a[0]!)) },
      { name: "symbol?", min: 1, max: 1, fn: (a) => bool(B.isSymbol(a[0]!)) },
      { name: "procedure?", min: 1, max: 1, fn: (a) => bool(B.isClosure(a[0]!) || B.isPrimitive(a[0]!)) },
      {
        name: "make-vector",
        min: 1,
        max: 2,
        fn: (a) => {
          const n = int(a[0]!, "make-vector");
          if (n < 0 || n > 1_000_000) throw new SchemeError(`make-vector: bad length ${n}`);
          return B.makeVector(n, a[1] ?? B.fixnum(0));
        },
      },
      {
        name: "vector",
        min: 0,
        max: many,
        fn: (a) => {
          const v = B.makeVector(a.length, B.fixnum(0));
          a.forEach((x, i) => {
            B.vectorSet(v, i, x);
          });
          return v;
        },
      },
      {
        name: "vector-ref",
        min: 2,
        max: 2,
        fn: (a) => {
          const [v, i] = vectorIndex(a, "vector-ref");
          return B.retain(B.vectorRef(v, i));
        },
      },
      {
        name: "vector-set!",
        min: 3,
        max: 3,
        fn: (a) => {
          const [v, i] = vectorIndex(a, "vector-set!");
          B.vectorSet(v, i, a[2]!);
          return unspecified();
        },
      },
      {
        name: "vector-length",
        min: 1,
        max: 1,
        fn: (a) => {
          if (!B.isVector(a[0]!)) throw new SchemeError("vector-length: not a vector");
          return B.fixnum(B.vectorLength(a[0]!));
        },
      },
      { name: "gc", min: 0, max: 0, fn: () => B.fixnum(B.collect()) },
    ];
  }
}

/** An interpreter over refheap (a new checked engine unless `options.engine` is given). */
export function refheapScheme(options: RefheapBackendOptions = {}): Interpreter<number, RefheapBackend> {
  return new Interpreter<number, RefheapBackend>(new RefheapBackend(options));
}

/** The same interpreter over plain JS objects. */
export function jsScheme(): Interpreter<JsValue> {
  return new Interpreter<JsValue>(new JsBackend());
}
