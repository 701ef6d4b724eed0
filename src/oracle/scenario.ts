/**
 * The scenario language (docs/oracle.md): parsing a scenario's text into declarations and body
 * lines, each checked for its shape. Both runners and the generator share this; the python runner
 * (oracle/runner.py) has its own parser for the same grammar.
 */
import { HeapValueError } from "../core.js";

/** A value token: a name, an int, a str, or a singleton. */
export type Value =
  | { readonly t: "name"; readonly name: string }
  | { readonly t: "int"; readonly v: number }
  | { readonly t: "str"; readonly v: string }
  | { readonly t: "none" }
  | { readonly t: "bool"; readonly v: boolean };

export interface ClassDecl {
  readonly kind: "class";
  readonly line: number;
  readonly name: string;
  /**
   * `base B`: the class's one base, a class declared before it or one of BUILTIN_BASES (`list`,
   * `dict`); null for none.
   */
  readonly base: string | null;
  /** `cb`: the class defines `def cb(self, w): _cb(w)`, a method for `ref W X O.cb` callbacks. */
  readonly cb: boolean;
  /** `__slots__`, or null for an ordinary class with dynamic attributes. */
  readonly slots: readonly string[] | null;
  /** Weakrefable: always for ordinary classes, with `weak` for slots classes. */
  readonly weak: boolean;
  readonly del: readonly string[] | null;
  readonly tpdel: readonly string[] | null;
}

export interface ContainerDecl {
  readonly kind: "wvd" | "wkd" | "wset";
  readonly line: number;
  readonly name: string;
}

/** A body line: the operation and its tokens after the operation name. */
export interface Op {
  readonly line: number;
  readonly op: string;
  readonly args: readonly string[];
}

export interface Scenario {
  readonly classes: readonly ClassDecl[];
  readonly containers: readonly ContainerDecl[];
  readonly body: readonly Op[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT = /^-?[0-9]+$/;
const STR = /^'[A-Za-z0-9_]*'$/;

/** Words that are never names: the singletons. */
const RESERVED = new Set(["None", "True", "False"]);

export function isName(tok: string): boolean {
  return NAME.test(tok) && !RESERVED.has(tok);
}

/** Parses a value token (docs/oracle.md, "Values, names and keys"). */
export function parseValue(tok: string): Value {
  if (tok === "None") return { t: "none" };
  if (tok === "True" || tok === "False") return { t: "bool", v: tok === "True" };
  if (INT.test(tok)) return { t: "int", v: Number(tok) };
  if (STR.test(tok)) return { t: "str", v: tok.slice(1, -1) };
  if (isName(tok)) return { t: "name", name: tok };
  throw new HeapValueError(`'${tok}' is not a value (a name, an int, 'str', None, True or False)`);
}

/** The actions a finalizer may run (docs/oracle.md, finalizer actions). */
const DEL_ACTION =
  /^(log|collect|throw|resurrect:[A-Za-z_]\w*|clear:[A-Za-z_]\w*|new:[A-Za-z_]\w*:[A-Za-z_]\w*)$/;
/** A bound method as a weakref callback: `O.cb`. */
export const METHOD_CALLBACK = /^[A-Za-z_][A-Za-z0-9_]*\.cb$/;
/** The actions of weakref callbacks. */
const CB_ACTION = /^(log|collect|throw|drop:[A-Za-z_]\w*)$/;
/** The actions of gc callbacks. */
const GCCB_ACTION = /^(collect|throw)$/;

type Shape = "name" | "value" | "key" | "int" | "field" | "any";

/** Each body operation: its fixed argument shapes, then the shape of any further arguments. */
const OPS: Readonly<Record<string, { fixed: readonly Shape[]; rest?: Shape; min?: number; max?: number }>> = {
  new: { fixed: ["name", "name"], rest: "name", max: 3 },
  list: { fixed: ["name"], rest: "value" },
  tuple: { fixed: ["name"], rest: "value" },
  dict: { fixed: ["name"], rest: "value" },
  let: { fixed: ["name", "value"] },
  del: { fixed: ["name"], rest: "name" },
  set: { fixed: ["field", "value"] },
  unset: { fixed: ["field"] },
  append: { fixed: ["name", "value"] },
  setitem: { fixed: ["name", "key", "value"] },
  delitem: { fixed: ["name", "key"] },
  pop: { fixed: ["name"] },
  clear: { fixed: ["name"] },
  add: { fixed: ["name", "value"] },
  discard: { fixed: ["name", "value"] },
  ref: { fixed: ["name", "name"], rest: "any" },
  proxy: { fixed: ["name", "name"], rest: "any" },
  wm: { fixed: ["name", "any"], rest: "any" },
  finalize: { fixed: ["name", "name"] },
  call: { fixed: ["name"] },
  iter: { fixed: ["name", "name"] },
  next: { fixed: ["name"] },
  close: { fixed: ["name"] },
  loop: { fixed: ["int", "name"], rest: "any", max: 4 },
  collect: { fixed: [], rest: "int", max: 1 },
  enable: { fixed: [] },
  disable: { fixed: [] },
  freeze: { fixed: [] },
  unfreeze: { fixed: [] },
  threshold: { fixed: ["int"], rest: "int", max: 3 },
  debug: { fixed: ["int"] },
  gccb: { fixed: ["any"], rest: "any" },
  cleargarbage: { fixed: [] },
  show: { fixed: ["any"], rest: "any" },
};

/** The queries and their argument shapes. */
export const QUERIES: Readonly<Record<string, readonly Shape[]>> = {
  count: [],
  threshold: [],
  enabled: [],
  stats: [],
  freeze: [],
  tracked: ["name"],
  finalized: ["name"],
  referents: ["name"],
  objects: ["int"],
  garbage: [],
  refcount: ["name"],
  deref: ["name"],
  wrcount: ["name"],
  wrlist: ["name"],
  len: ["name"],
  get: ["name", "key"],
  has: ["name", "key"],
  items: ["name"],
  proxy: ["name", "name"],
};

function checkShape(tok: string, shape: Shape, where: string): void {
  const ok =
    shape === "any" ||
    (shape === "name" && isName(tok)) ||
    (shape === "int" && INT.test(tok)) ||
    (shape === "field" && /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(tok)) ||
    (shape === "value" && (isName(tok) || INT.test(tok) || STR.test(tok) || RESERVED.has(tok))) ||
    (shape === "key" && (isName(tok) || INT.test(tok) || STR.test(tok)));
  if (!ok) throw new HeapValueError(`${where}: '${tok}' is not a ${shape}`);
  if (shape === "field") checkField(tok.split(".")[1]!, where);
}

/** `__x__` names: Python's special attributes, not part of the language. */
function isDunder(name: string): boolean {
  return name.startsWith("__") && name.endsWith("__");
}

/** Python 3.11's keywords (keyword.kwlist): the generated Python code cannot spell them as fields. */
const PY_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except " +
    "finally for from global if import in is lambda nonlocal not or pass raise return try while with yield"
  ).split(" "),
);

/** A field (attribute name): no keyword, no dunder. */
function checkField(f: string, where: string): void {
  if (PY_KEYWORDS.has(f)) throw new HeapValueError(`${where}: '${f}': a field cannot be a Python keyword`);
  if (isDunder(f)) throw new HeapValueError(`${where}: '${f}': dunder fields are not part of the language`);
}

function checkActions(actions: readonly string[], pattern: RegExp, where: string): void {
  for (const a of actions) {
    if (!pattern.test(a)) throw new HeapValueError(`${where}: unknown action '${a}'`);
    if (a.startsWith("clear:")) checkField(a.slice(6), where);
  }
}

/**
 * The built-in types a scenario class may subclass: `base list`, `base dict`, `base ref`
 * (weakref.ref: its instances are made by `new W R X`, a weakref to X).
 */
export const BUILTIN_BASES: readonly string[] = ["list", "dict", "ref"];

/** The built-in type at the root of a class's chain of bases, or null (an ordinary class). */
export function builtinBase(c: ClassDecl, classes: readonly ClassDecl[]): string | null {
  let b = c.base;
  while (b !== null && !BUILTIN_BASES.includes(b)) b = classes.find((x) => x.name === b)?.base ?? null;
  return b;
}

function parseClass(line: number, toks: readonly string[]): ClassDecl {
  const where = `line ${line}`;
  const name = toks[1];
  if (name === undefined || !isName(name)) throw new HeapValueError(`${where}: class needs a name`);
  if (BUILTIN_BASES.includes(name)) throw new HeapValueError(`${where}: '${name}' names a built-in type`);
  let slots: string[] | null = null;
  let weak = false;
  let del: string[] | null = null;
  let tpdel: string[] | null = null;
  let base: string | null = null;
  let cb = false;
  let section: "slots" | "del" | "tpdel" | "base" | null = null;
  for (const tok of toks.slice(2)) {
    if (section === "base") {
      checkShape(tok, "name", where);
      base = tok;
      section = null;
    } else if (tok === "base") {
      if (base !== null) throw new HeapValueError(`${where}: base given twice (one base only)`);
      section = "base";
    } else if (tok === "slots") {
      if (slots !== null) throw new HeapValueError(`${where}: slots given twice`);
      slots = [];
      section = "slots";
    } else if (tok === "weak") {
      weak = true;
      section = null;
    } else if (tok === "cb") {
      cb = true;
      section = null;
    } else if (tok === "del") {
      if (del !== null) throw new HeapValueError(`${where}: del given twice`);
      del = [];
      section = "del";
    } else if (tok === "tpdel") {
      if (tpdel !== null) throw new HeapValueError(`${where}: tpdel given twice`);
      tpdel = [];
      section = "tpdel";
    } else if (section === "slots") {
      checkShape(tok, "name", where);
      if (isDunder(tok))
        throw new HeapValueError(`${where}: '${tok}': dunder fields are not part of the language`);
      if (slots!.includes(tok)) throw new HeapValueError(`${where}: slot '${tok}' given twice`);
      slots!.push(tok);
    } else if (section === "del" || section === "tpdel") {
      (section === "del" ? del! : tpdel!).push(tok);
    } else {
      throw new HeapValueError(`${where}: unexpected '${tok}' in a class declaration`);
    }
  }
  if (section === "base") throw new HeapValueError(`${where}: base needs a class name`);
  if (del !== null) checkActions(del, DEL_ACTION, where);
  if (tpdel !== null) checkActions(tpdel, DEL_ACTION, where);
  return { kind: "class", line, name, base, cb, slots, weak: slots === null ? true : weak, del, tpdel };
}

/**
 * A subclass's declaration against its bases (declared before it, or list or dict): CPython
 * refuses `__weakref__` in the slots of a class whose base is weakrefable already; a slot its
 * base declares already is refused here (refheap's fields are declared once along a chain), and
 * so is a finalizer on a subclass of list or dict (refheap refuses one).
 */
function checkBase(c: ClassDecl, classes: readonly ClassDecl[]): ClassDecl {
  if (c.base === null) return c;
  const where = `line ${c.line}`;
  const chain: ClassDecl[] = [];
  for (let b: string | null = c.base; b !== null && !BUILTIN_BASES.includes(b); ) {
    const d = classes.find((x) => x.name === b);
    if (d === undefined)
      throw new HeapValueError(`${where}: base ${b} is not a class declared before ${c.name}`);
    chain.push(d);
    b = d.base;
  }
  const builtin = builtinBase(c, classes);
  if (builtin !== null && (c.del !== null || c.tpdel !== null)) {
    throw new HeapValueError(
      `${where}: ${c.name} subclasses ${builtin}: no del or tpdel (refheap refuses finalizers on subclasses of built-in types)`,
    );
  }
  const inheritsWeak = chain.some((d) => d.weak);
  if (c.slots !== null && c.weak && inheritsWeak) {
    throw new HeapValueError(
      `${where}: ${c.name} cannot add weak: its base is weakrefable already (CPython: __weakref__ slot disallowed)`,
    );
  }
  for (const slot of c.slots ?? []) {
    const owner = chain.find((d) => d.slots?.includes(slot) === true);
    if (owner !== undefined) {
      throw new HeapValueError(
        `${where}: slot ${slot} is declared by ${owner.name}, a base of ${c.name}, already`,
      );
    }
  }
  // A subclass of an ordinary class has its base's __dict__ and __weakref__.
  return { ...c, weak: c.weak || inheritsWeak };
}

function checkOp(op: Op): void {
  const where = `line ${op.line}`;
  const spec = OPS[op.op];
  if (spec === undefined) throw new HeapValueError(`${where}: unknown operation '${op.op}'`);
  const { args } = op;
  if (args.length < spec.fixed.length || (spec.rest === undefined && args.length > spec.fixed.length)) {
    throw new HeapValueError(
      `${where}: '${op.op}' takes ${spec.fixed.length} argument(s), got ${args.length}`,
    );
  }
  if (spec.max !== undefined && args.length > spec.max) {
    throw new HeapValueError(`${where}: '${op.op}' takes at most ${spec.max} argument(s)`);
  }
  args.forEach((tok, i) => {
    checkShape(tok, spec.fixed[i] ?? spec.rest ?? "any", where);
  });
  switch (op.op) {
    case "ref":
    case "proxy": {
      // `lambda` first: the callback is a lambda made by this line, which can become garbage;
      // `O.cb` first: the bound method O.cb (a `cb` class's method), made by this line.
      const lambda = args[2] === "lambda" || (args[2] !== undefined && METHOD_CALLBACK.test(args[2]));
      const acts = args.slice(lambda ? 3 : 2);
      checkActions(acts, CB_ACTION, where);
      if (lambda && acts.includes("throw")) {
        throw new HeapValueError(
          `${where}: a lambda or method callback cannot throw (its own frame would join the traceback); use log, drop:X or collect`,
        );
      }
      break;
    }
    case "wm": {
      // `wm W O.cb [ACT ...]`: weakref.WeakMethod(O.cb[, _cb]); its callback runs in `_cb`'s frame
      if (!METHOD_CALLBACK.test(args[1]!)) throw new HeapValueError(`${where}: wm W O.cb [ACT ...]`);
      const acts = args.slice(2);
      checkActions(acts, CB_ACTION, where);
      if (acts.includes("throw")) {
        throw new HeapValueError(
          `${where}: a WeakMethod's callback cannot throw (its _cb's frame would join the traceback); use log, drop:X or collect`,
        );
      }
      break;
    }
    case "dict":
      if ((args.length - 1) % 2 !== 0) throw new HeapValueError(`${where}: dict needs key value pairs`);
      for (let i = 1; i < args.length; i += 2) checkShape(args[i]!, "key", where);
      break;
    case "loop":
      if (Number(args[0]) < 0) throw new HeapValueError(`${where}: loop count must not be negative`);
      if (args.length > 2 && (args.length !== 4 || args[2] !== "keep" || !isName(args[3]!))) {
        throw new HeapValueError(`${where}: loop N C [keep X]`);
      }
      break;
    case "gccb":
      if (args[0] === "clear" && args.length === 1) break;
      if (args[0] !== "add") throw new HeapValueError(`${where}: gccb add [ACT ...] or gccb clear`);
      checkActions(args.slice(1), GCCB_ACTION, where);
      break;
    case "show": {
      const q = QUERIES[args[0]!];
      if (q === undefined) throw new HeapValueError(`${where}: unknown query '${args[0]}'`);
      if (args.length - 1 !== q.length) {
        throw new HeapValueError(`${where}: 'show ${args[0]}' takes ${q.length} argument(s)`);
      }
      q.forEach((shape, i) => {
        checkShape(args[i + 1]!, shape, where);
      });
      if (args[0] === "proxy") checkField(args[2]!, where);
      break;
    }
    default:
      break;
  }
}

/**
 * `new W R X` (`W = R(X)`) names a class declared as a subclass of ref, which `new X C` (with no
 * referent) cannot: the language keeps both runners to calls CPython answers without an error.
 */
function checkNew(op: Op, classes: readonly ClassDecl[]): void {
  if (op.op !== "new") return;
  const c = classes.find((d) => d.name === op.args[1]);
  const isRef = c !== undefined && builtinBase(c, classes) === "ref";
  if (op.args.length === 3 && !isRef) {
    throw new HeapValueError(`line ${op.line}: 'new W R X' needs R to be a class declared with base ref`);
  }
  if (op.args.length === 2 && isRef) {
    throw new HeapValueError(`line ${op.line}: ${c.name} subclasses ref: make one with 'new W ${c.name} X'`);
  }
}

/** Parses a scenario; throws HeapValueError naming the line on any malformed line. */
export function parseScenario(text: string): Scenario {
  const classes: ClassDecl[] = [];
  const containers: ContainerDecl[] = [];
  const body: Op[] = [];
  const declared = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf("#");
    const toks = (hash >= 0 ? raw.slice(0, hash) : raw)
      .trim()
      .split(/\s+/)
      .filter((t) => t !== "");
    if (toks.length === 0) return;
    const head = toks[0]!;
    if (head === "class" || head === "wvd" || head === "wkd" || head === "wset") {
      if (body.length > 0) throw new HeapValueError(`line ${line}: declarations come before the body`);
      let name: string;
      if (head === "class") {
        const decl = checkBase(parseClass(line, toks), classes);
        classes.push(decl);
        name = decl.name;
      } else {
        if (toks.length !== 2 || !isName(toks[1]!)) throw new HeapValueError(`line ${line}: ${head} NAME`);
        name = toks[1]!;
        containers.push({ kind: head, line, name });
      }
      if (declared.has(name)) throw new HeapValueError(`line ${line}: '${name}' is declared twice`);
      declared.add(name);
      return;
    }
    const op: Op = { line, op: head, args: toks.slice(1) };
    checkOp(op);
    checkNew(op, classes);
    body.push(op);
  });
  return { classes, containers, body };
}
