/**
 * Random scenarios for the oracle (docs/oracle.md, "The generator"). fast-check draws a *model*:
 * the classes, and a list of op seeds (small tuples of numbers). `render` turns a model into
 * scenario text, resolving each seed against what is bound at that point, so every rendered
 * scenario is well formed: names are bound before use, weak references only go to weakrefable
 * objects, fields exist. Shrinking works on the model (fewer seeds, smaller numbers) and every
 * shrunk model renders to a valid scenario too.
 *
 * The mix is biased toward cycles (fields pointing at other objects and back), finalizers with
 * every action of the menu, weak references with callbacks, and collections.
 */
import fc from "fast-check";

export interface ClassModel {
  readonly slots: boolean;
  readonly weak: boolean;
  readonly del: readonly number[] | null;
  readonly tpdel: boolean;
  /**
   * A seed for the base class: an earlier class (seed mod the class's index) for 0–3, list for 4,
   * dict for 5, weakref.ref for 6, or none (null).
   */
  readonly base: number | null;
  /** Defines the method `cb`, for bound-method weakref callbacks. */
  readonly cb: boolean;
}

export interface ScenarioModel {
  readonly classes: readonly ClassModel[];
  readonly ops: readonly (readonly [number, number, number, number])[];
}

const CLASS_NAMES = ["A", "B", "C", "D"] as const;
const OBJ = ["o1", "o2", "o3", "o4", "o5", "o6"] as const;
const SLOTS = ["a", "b", "c"] as const;
const ATTRS = ["x", "y", "z"] as const;
const WREFS = ["w1", "w2", "w3", "w4"] as const;
const PROXIES = ["p1", "p2"] as const;
const FINS = ["f1", "f2"] as const;
const KEYS = ["'k1'", "'k2'", "'k3'"] as const;
/** Class attributes: never a field's or an instance attribute's name, nor `cb` (the method). */
const CLASS_ATTRS = ["ca", "cc"] as const;
/** Names only finalizers and callbacks bind or unbind; no body line reads them. */
const DYNAMIC = ["z1", "z2"] as const;

const classArb: fc.Arbitrary<ClassModel> = fc.record({
  slots: fc.boolean(),
  weak: fc.boolean(),
  del: fc.option(fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }), { freq: 2 }),
  tpdel: fc.constantFrom(false, false, false, false, false, true),
  base: fc.option(fc.nat(6), { freq: 2 }),
  cb: fc.boolean(),
});

const opArb = fc.tuple(fc.nat(99), fc.nat(63), fc.nat(63), fc.nat(63));

/** The model of a random scenario. */
export const scenarioModel: fc.Arbitrary<ScenarioModel> = fc.record({
  classes: fc.array(classArb, { minLength: 1, maxLength: 4 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 60, size: "max" }),
});

function pick<T>(xs: readonly T[], n: number): T {
  return xs[n % xs.length]!;
}

/**
 * A finalizer action from its seed: mostly `log`, sometimes the rest of the menu. `new:` makes an
 * instance of a class without a finalizer (`plain`), or it could chain forever: each object's
 * finalizer replacing the previous one's.
 */
function delAction(
  seed: number,
  classIndex: number,
  fields: readonly string[],
  plain: string | null,
): string {
  switch (seed) {
    case 5:
      return `resurrect:${pick(DYNAMIC, classIndex)}`;
    case 6:
      return `clear:${pick(fields, classIndex)}`;
    case 7:
      return plain === null ? "log" : `new:${plain}:${pick(DYNAMIC, classIndex + 1)}`;
    case 8:
      return "throw";
    case 9:
      return "collect";
    default:
      return "log";
  }
}

interface ClassInfo {
  readonly name: string;
  /** Its instances' fields and attributes: its own and its bases'. */
  readonly fields: readonly string[];
  readonly weak: boolean;
  /** Its base class's index, or -1. */
  readonly base: number;
  /** Whether it or a base has slots, a finalizer. */
  readonly slotted: boolean;
  readonly finalized: boolean;
  /** Whether it or a base defines the method `cb`. */
  readonly cb: boolean;
  /**
   * `list`, `dict` or `ref` when its chain of bases ends in one (then it has no finalizer; a `ref`
   * class's instances are made by `new W R X`), else null.
   */
  readonly builtin: string | null;
}

/** What is bound while rendering: each object name's class, containers, refs. */
class Bindings {
  readonly objects = new Map<string, ClassInfo>();
  readonly lists = new Set<string>();
  readonly dicts = new Map<string, Set<string>>();
  readonly refs = new Set<string>();
  readonly fins = new Set<string>();
  /** The scenario's classes still bound to their names (`del C` unbinds one). */
  readonly classes = new Set<string>();
  /** The class finalizers' `new:` actions make (never unbound). */
  plain: string | null = null;
  iterOpen = false;
  gccbs = 0;

  /**
   * The objects whose fields and attributes the body sets: not a ref subclass's instance, because
   * CPython 3.11 and 3.12 crash (a segfault; 3.13 does not) when one holds the last reference to
   * its own referent and dies (its referent then clears the weakref being deallocated).
   */
  settable(): string[] {
    return [...this.objects].filter(([, c]) => c.builtin !== "ref").map(([n]) => n);
  }

  weakObjects(): string[] {
    return [...this.objects].filter(([, c]) => c.weak).map(([n]) => n);
  }
}

/** Renders a model as scenario text (declarations, then the body). */
export function render(model: ScenarioModel): string {
  const classes: ClassInfo[] = [];
  // Each class line up to its finalizer, which needs `plain` (known once every class is).
  const heads: string[] = [];
  model.classes.forEach((c, i) => {
    // A base: an earlier class. A slot is declared once along a chain, and `weak` is given only
    // where no base is weakrefable (the scenario language's rules).
    const builtinSeed =
      c.base !== null && c.base >= 4 ? (["list", "dict", "ref"] as const)[c.base - 4]! : null;
    const base = c.base === null || i === 0 || builtinSeed !== null ? -1 : c.base % i;
    const up = base < 0 ? null : classes[base]!;
    // A subclass of list or dict (or of a class that is one) takes no finalizer (the rules).
    const builtin = builtinSeed ?? up?.builtin ?? null;
    const fresh = (names: readonly string[]): string[] =>
      names.filter((f) => up?.fields.includes(f) !== true);
    const slots = c.slots && fresh(SLOTS).length > 0;
    const own = slots ? fresh(SLOTS).slice(0, 1 + (i % 3)) : up === null || up.slotted ? fresh(ATTRS) : [];
    const name = CLASS_NAMES[i]!;
    classes.push({
      name,
      fields: [...(up?.fields ?? []), ...own],
      weak: (slots ? c.weak : true) || up?.weak === true,
      base,
      slotted: slots || up?.slotted === true,
      finalized: (builtin === null && c.del !== null) || up?.finalized === true,
      cb: c.cb || up?.cb === true,
      builtin,
    });
    let head = `class ${name}`;
    if (up !== null) head += ` base ${up.name}`;
    else if (builtin !== null) head += ` base ${builtin}`;
    if (slots) head += ` slots ${own.join(" ")}${c.weak && up?.weak !== true ? " weak" : ""}`;
    heads.push(c.cb ? `${head} cb` : head);
  });
  // `new:` in a finalizer makes an instance of a class with no finalizer along its chain, or it
  // could chain forever: each object's finalizer replacing the previous one's.
  const plainIndex = classes.findIndex((c) => !c.finalized && c.builtin !== "ref");
  const plain = plainIndex < 0 ? null : CLASS_NAMES[plainIndex]!;
  const out = model.classes.map((c, i) => {
    if (c.del === null || classes[i]!.builtin !== null) return heads[i]!;
    const acts = c.del.map((s) => delAction(s, i, classes[i]!.fields, plain));
    return `${heads[i]!}${c.tpdel ? " tpdel" : " del"} ${acts.join(" ")}`;
  });
  out.push("wvd wv", "wkd wk", "wset ws");
  const b = new Bindings();
  for (const c of classes) b.classes.add(c.name);
  b.plain = plain;
  for (const seed of model.ops) {
    const line = renderOp(seed, classes, b);
    if (line !== null) out.push(line);
  }
  return `${out.join("\n")}\n`;
}

function value(b: Bindings, n: number): string {
  const objs = [...b.objects.keys()];
  if (n % 4 !== 0 && objs.length > 0) return pick(objs, n >> 2);
  return pick(["None", "1", "'s'", "7"], n >> 2);
}

function renderOp(
  [kind, x, y, z]: readonly [number, number, number, number],
  classes: readonly ClassInfo[],
  b: Bindings,
): string | null {
  const objs = [...b.objects.keys()];
  const weakObjs = b.weakObjects();
  const any = (): string | null => (objs.length > 0 ? pick(objs, x) : null);
  const live = classes.filter((c) => b.classes.has(c.name));
  // Weighted kinds: creation and linking dominate, then deletion and collection, then the rest.
  if (kind < 14 || objs.length === 0) {
    if (live.length === 0) return null;
    const name = pick(OBJ, x);
    const cls = pick(live, y);
    if (cls.builtin === "ref") {
      // `new W R X`: R(X), a weakref to a weakrefable object
      const targets = b.weakObjects();
      if (targets.length === 0) return null;
      const target = pick(targets, z);
      b.objects.set(name, cls);
      return `new ${name} ${cls.name} ${target}`;
    }
    b.objects.set(name, cls);
    return `new ${name} ${cls.name}`;
  }
  if (kind < 30) {
    const settable = b.settable();
    if (settable.length === 0) return null;
    const o = pick(settable, x);
    const field = pick(b.objects.get(o)!.fields, y);
    return `set ${o}.${field} ${value(b, z)}`;
  }
  if (kind < 38) {
    const o = pick(objs, x);
    b.objects.delete(o);
    return `del ${o}`;
  }
  if (kind < 44) return z % 3 === 0 ? `collect ${y % 3}` : "collect";
  if (kind < 47) {
    const o = pick(objs, x);
    const name = pick(OBJ, y);
    if (name === o) return null;
    b.objects.set(name, b.objects.get(o)!);
    return `let ${name} ${o}`;
  }
  if (kind < 50) {
    const l = `L${1 + (x % 2)}`;
    if (!b.lists.has(l) || y % 4 === 0) {
      b.lists.add(l);
      return `list ${l} ${y % 2 === 0 ? value(b, z) : ""}`.trimEnd();
    }
    return y % 5 === 1 ? `clear ${l}` : `append ${l} ${value(b, z)}`;
  }
  if (kind < 52) {
    const d = "D1";
    const k = pick(KEYS, y);
    if (!b.dicts.has(d)) {
      b.dicts.set(d, new Set([k]));
      return `dict ${d} ${k} ${value(b, z)}`;
    }
    const keys = b.dicts.get(d)!;
    if (z % 4 === 0 && keys.has(k)) {
      keys.delete(k);
      return `delitem ${d} ${k}`;
    }
    keys.add(k);
    return `setitem ${d} ${k} ${value(b, z)}`;
  }
  if (kind < 53) return `tuple T1 ${value(b, y)} ${value(b, z)}`;
  if (kind < 61) {
    if (weakObjs.length === 0) return null;
    const target = pick(weakObjs, y);
    // A quarter of the callbacks are lambdas, function objects that can be garbage (not with
    // `throw`: the lambda's frame would join the traceback).
    const acts = callbackActions(z);
    // Or a bound method `O.cb` of an object whose class has the method.
    const withCb = [...b.objects].filter(([, c]) => c.cb).map(([n]) => n);
    // Or a WeakMethod of one (its instance weakrefable), whose callback cannot throw.
    const weakCb = withCb.filter((n) => b.objects.get(n)!.weak);
    if (weakCb.length > 0 && y % 6 === 5) {
      const w = pick(WREFS, x);
      b.refs.add(w);
      return `wm ${w} ${pick(weakCb, z)}.cb ${acts.includes("throw") ? "log" : acts}`.trimEnd();
    }
    const cb =
      acts.includes("throw") || (x * 7 + z) % 4 !== 0
        ? acts
        : withCb.length > 0 && y % 2 === 0
          ? `${pick(withCb, z)}.cb ${acts}`
          : `lambda ${acts}`;
    if (z % 5 === 0) {
      const p = pick(PROXIES, x);
      b.refs.add(p);
      return `proxy ${p} ${target} ${cb}`.trimEnd();
    }
    const w = pick(WREFS, x);
    b.refs.add(w);
    return `ref ${w} ${target} ${cb}`.trimEnd();
  }
  if (kind < 66) {
    if (weakObjs.length === 0) return null;
    const o = pick(weakObjs, y);
    switch (x % 4) {
      case 0:
        return `setitem wv ${pick(KEYS, z)} ${o}`;
      case 1:
        return `setitem wk ${o} ${value(b, z)}`;
      case 2:
        return z % 3 === 0 ? `discard ws ${o}` : `add ws ${o}`;
      default:
        return `clear ${pick(["wv", "wk", "ws"], z)}`;
    }
  }
  if (kind < 68) {
    if (weakObjs.length === 0) return null;
    const f = pick(FINS, x);
    if (b.fins.has(f) && y % 2 === 0) return `call ${f}`;
    b.fins.add(f);
    return `finalize ${f} ${pick(weakObjs, y)}`;
  }
  if (kind < 71) {
    if (!b.iterOpen || x % 3 === 0) {
      b.iterOpen = true;
      return `iter i1 ${pick(["wv", "wk"], y)}`;
    }
    if (x % 3 === 1) {
      b.iterOpen = false;
      return "close i1";
    }
    return "next i1";
  }
  if (kind < 74) {
    // `C()` in a loop: not for a subclass of ref, whose instances need a referent
    const loopable = live.filter((c) => c.builtin !== "ref");
    if (loopable.length === 0) return null;
    const cls = pick(loopable, y);
    const n = 1 + ((x * 64 + z) % 400);
    if (b.lists.has("L1") && z % 2 === 0) return `loop ${n} ${cls.name} keep L1`;
    return `loop ${n} ${cls.name}`;
  }
  if (kind < 77) return gcOp(x, y, z, b);
  if (kind < 81) return classOp(x, y, z, live, b);
  return query(kind, x, y, z, b, any);
}

/**
 * Classes as objects: class attributes (which may refer back to instances, or to classes), `del C`
 * (the class then lives as long as its instances, subclasses and whatever refers to it), weakrefs
 * to classes, and their reference counts.
 */
function classOp(x: number, y: number, z: number, live: readonly ClassInfo[], b: Bindings): string | null {
  if (live.length === 0) return null;
  const c = pick(live, y).name;
  const attr = pick(CLASS_ATTRS, z);
  switch (x % 8) {
    case 0:
    case 1:
      return `set ${c}.${attr} ${value(b, z)}`;
    case 2:
      return `set ${c}.${attr} ${pick(live, z).name}`;
    case 3:
      return `unset ${c}.${attr}`;
    case 4: {
      // Never the class finalizers instantiate (a NameError in __del__ is not what this tests).
      if (c === b.plain) return null;
      b.classes.delete(c);
      return `del ${c}`;
    }
    case 5: {
      const w = pick(WREFS, z);
      b.refs.add(w);
      return `ref ${w} ${c} ${callbackActions(z)}`.trimEnd();
    }
    case 6: {
      const dyn = b.settable().filter((n) => b.objects.get(n)!.fields.includes("x"));
      return dyn.length === 0 ? `show refcount ${c}` : `set ${pick(dyn, z)}.x ${c}`;
    }
    default:
      return `show refcount ${c}`;
  }
}

function callbackActions(z: number): string {
  switch (z % 7) {
    case 0:
    case 1:
      return "";
    case 2:
      return "log";
    case 3:
      return `drop:${pick(DYNAMIC, z)}`;
    case 4:
      return "throw";
    case 5:
      return "collect";
    default:
      return `drop:${pick(DYNAMIC, z)} collect`;
  }
}

function gcOp(x: number, y: number, z: number, b: Bindings): string {
  switch (x % 9) {
    case 0:
      return "disable";
    case 1:
      return "enable";
    case 2:
      return `threshold ${pick([1, 2, 5, 10, 50, 700], y)} ${1 + (z % 10)} ${1 + (y % 10)}`;
    case 3:
      return y % 2 === 0 ? "debug 32" : "debug 0";
    case 4:
      return "cleargarbage";
    case 5:
      return y % 2 === 0 ? "freeze" : "unfreeze";
    case 6:
      if (b.gccbs >= 4 || y % 3 === 0) {
        b.gccbs = 0;
        return "gccb clear";
      }
      b.gccbs++;
      return `gccb add ${pick(["", "", "collect", "throw"], z)}`.trimEnd();
    default:
      return "enable";
  }
}

function query(
  kind: number,
  x: number,
  y: number,
  z: number,
  b: Bindings,
  any: () => string | null,
): string | null {
  const q = kind % 12;
  const o = any();
  switch (q) {
    case 0:
      return "show count";
    case 1:
      return "show garbage";
    case 2:
      return "show stats";
    case 3:
      return o === null ? null : `show referents ${o}`;
    case 4:
      return `show objects ${y % 3}`;
    case 5:
      return o === null
        ? null
        : `show ${pick(["tracked", "finalized", "refcount", "wrcount", "wrlist"], z)} ${o}`;
    case 6: {
      const refs = [...b.refs].filter((r) => r.startsWith("w"));
      return refs.length === 0 ? null : `show deref ${pick(refs, y)}`;
    }
    case 7:
      return `show len ${pick(["wv", "wk", "ws"], y)}`;
    case 8:
      return `show items ${pick(["wv", "wk", "ws"], y)}`;
    case 9:
      return `show get wv ${pick(KEYS, z)}`;
    case 10: {
      const weak = b.weakObjects();
      return weak.length === 0 || (x & 1) === 0 ? "show count" : `show has ws ${pick(weak, z)}`;
    }
    default:
      return "show freeze";
  }
}

/** `count` scenarios from `seed`: the same seed always gives the same scenarios. */
export function sampleModels(seed: number, count: number): ScenarioModel[] {
  return fc.sample(scenarioModel, { seed, numRuns: count });
}
