/**
 * Helpers for the weakref tests: weakrefable classes, labels for weakrefs, Python-style output
 * (so a test can build the exact line CPython prints), and error names mapped to Python's.
 */
import * as core from "../../src/core.js";
import { newHeap, settle } from "../gc/gc-helpers.js";

export type Engine = core.Engine;

/** A tuple in Python output (`('del', True)`); arrays print as lists. */
export class Tup {
  readonly items: readonly PyVal[];
  constructor(...items: PyVal[]) {
    this.items = items;
  }
}
export type PyVal = string | number | boolean | null | Tup | readonly PyVal[];

/** Python's repr of a value: str quoted, booleans True/False, null None, lists and tuples. */
export function py(v: PyVal): string {
  if (v === null) return "None";
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  if (v instanceof Tup) {
    const parts = v.items.map(py);
    return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
  }
  return `[${v.map(py).join(", ")}]`;
}

/** Python's print(a, b, …): each argument's str (a str prints bare), separated by spaces. */
export function pr(...vals: PyVal[]): string {
  return vals.map((v) => (typeof v === "string" ? v : py(v))).join(" ");
}

/** The Python exception name of an engine error ("TypeError: …" as traceback's last line). */
export function pyError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof core.HeapTypeError) return `TypeError: ${error.message}`;
    if (error instanceof core.HeapReferenceError) return `ReferenceError: ${error.message}`;
    if (error instanceof core.HeapValueError) return `ValueError: ${error.message}`;
    throw error;
  }
  return "no error";
}

/**
 * A checked heap with automatic collection off, a weakrefable dynamic class C (an ordinary Python
 * class: instances have a __dict__ and a __weakref__), everything so far collected (as the
 * snippets' `gc.disable(); gc.collect()`).
 */
export function weakHeap(): { h: Engine; C: core.TypeInfo } {
  const h = newHeap();
  const C = weakClass(h, "C");
  settle(h);
  return { h, C };
}

/** Defines a class like a Python `class` statement: dynamic attributes and weakrefable. */
export function weakClass(h: Engine, name: string, spec: Partial<core.ClassSpec> = {}): core.TypeInfo {
  return h.defineClass({ name, dynamic: true, weakrefable: true, ...spec });
}

/** Names for weakrefs (and objects), to print lists of them as Python prints names. */
export class Labels {
  readonly #names = new Map<number, string>();
  /** Labels `addr` and returns it. */
  add(addr: number, name: string): number {
    this.#names.set(addr, name);
    return addr;
  }
  of(addr: number): string {
    const name = this.#names.get(addr);
    if (name === undefined) throw new Error(`no label for ${addr}`);
    return name;
  }
}

/** weakref.getweakrefs(o) as addresses (the list it makes is released). */
export function weakrefsOf(h: Engine, o: number): number[] {
  const l = core.weakref.getweakrefs(h, o);
  const out: number[] = [];
  for (let i = 0; i < core.listSize(h, l); i++) out.push(core.slotRef(h, core.listItemSlot(h, l, i)));
  core.decref(h, l);
  return out;
}

/** r() is None. */
export function isDead(h: Engine, wr: number): boolean {
  return core.weakref.weakrefGet(h, wr) === core.NONE;
}

/** o.me = o. */
export function selfRef(h: Engine, o: number): void {
  setAttr(h, o, "me", o);
}

/** setattr(o, name, v) with an object value. */
export function setAttr(h: Engine, o: number, name: string, v: number): void {
  const key = core.newStr(h, name);
  core.setAttr(h, o, key, v, true);
  core.decref(h, key);
}

/** An error as CPython's `1/0` raises it. */
export function zeroDivision(): Error {
  const e = new Error("division by zero");
  e.name = "ZeroDivisionError";
  return e;
}
